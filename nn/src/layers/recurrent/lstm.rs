//! `LSTM`: the long short-term memory layer (gate order i, f, c, o).

use derin_tensor::Tensor;
use derin_tensor::ndarray::{ArrayD, IxDyn};

use super::lstm_op::lstm_sequence;
use super::{RnnBase, RnnOutput, Steps, initial_states, recurrent_layer};

/// Long short-term memory over `[N, T, F]`, Keras' gate order `i, f, c, o`:
///
/// `[aᵢ, a_f, a_c, a_o] = xₜ · kernel + hₜ₋₁ · recurrent_kernel + bias`,
/// `i = σ(aᵢ)`, `f = σ(a_f)`, `o = σ(a_o)`, `cₜ = f ⊙ cₜ₋₁ + i ⊙ tanh(a_c)`,
/// `hₜ = o ⊙ tanh(cₜ)`.
///
/// Keras defaults: Glorot-uniform `kernel` `[F, 4·units]`, orthogonal
/// `recurrent_kernel` `[units, 4·units]`, `bias` `[4·units]` zero except 1 for the forget
/// gate (`unit_forget_bias=True`); tanh and sigmoid are fixed. PyTorch's `LSTM` orders
/// its gates `i, f, g, o` (the same order) but keeps two biases; their sum is this `bias`.
/// The final states are `[h, c]`. The recurrence runs as one fused op, as for [`GRU`](crate::GRU).
///
/// # Shapes
/// input `[N, T, F]`; output `[N, units]`, or `[N, T, units]` with `return_sequences`.
///
/// ```
/// use derin_nn::{Ctx, LSTM, Module, Recurrent};
/// use derin_tensor::{Rng, Tensor};
/// let mut lstm = LSTM::new(1);
/// lstm.build(&[1, 1], &mut Rng::seed(0)).unwrap();
/// lstm.kernel().unwrap().set(Tensor::zeros(&[1, 4]).to_array());
/// let out = lstm.call(&Tensor::ones(&[1, 1, 1]), None, &mut Ctx::eval());
/// // all pre-activations 0 except a_f = 1: c = σ(0)·tanh(0) = 0, h = 0
/// assert_eq!(out.states[1].to_vec(), vec![0.0]);
/// assert_eq!(lstm.bias().unwrap().value().to_vec(), vec![0.0, 1.0, 0.0, 0.0]);
/// ```
#[derive(Clone, Debug)]
pub struct LSTM {
    pub(super) base: RnnBase,
}

impl LSTM {
    /// An unbuilt layer with `units` units.
    ///
    /// ```
    /// # use derin_nn::{LSTM, Module};
    /// let lstm = LSTM::new(5);
    /// assert_eq!(lstm.name(), "lstm");
    /// assert_eq!(lstm.output_shape(&[3, 2]).unwrap(), vec![5]);
    /// ```
    pub fn new(units: usize) -> Self {
        LSTM { base: RnnBase::new("lstm", units, 4) }
    }

    /// Gives the layer a name (its weights become `<name>/kernel`, …).
    ///
    /// ```
    /// # use derin_nn::{LSTM, Module};
    /// assert_eq!(LSTM::new(2).named("decoder").name(), "decoder");
    /// ```
    pub fn named(mut self, name: &str) -> Self {
        self.base.core.name = name.to_string();
        self
    }

    fn initial_bias(&self) -> ArrayD<f32> {
        let u = self.base.units;
        ArrayD::from_shape_fn(IxDyn(&[4 * u]), |ix| if ix[0] / u == 1 { 1.0 } else { 0.0 })
    }

    fn run(
        &self,
        label: &str,
        x: &Tensor,
        k: &Tensor,
        rk: &Tensor,
        b: &Tensor,
        init: Option<&[Tensor]>,
        mask: Option<&Tensor>,
    ) -> RnnOutput {
        let u = self.base.units;
        let steps = Steps::new(label, x, k, Some(b), &self.base.opts, mask);
        let init = initial_states(label, init, 2, steps.n, u);
        let hc = lstm_sequence(&steps.xp, &init[0], &init[1], rk, steps.mask.clone());
        let last = |from| hc.narrow(1, steps.t - 1, 1).narrow(2, from, u).reshape(&[steps.n, u]);
        let (h, c) = (last(0), last(u));
        RnnOutput { output: steps.output(&hc.narrow(2, 0, u), &self.base.opts), states: vec![h, c] }
    }
}

recurrent_layer!(LSTM, "LSTM");

/// The recurrence on weight tensors (for gradient checks).
#[cfg(test)]
pub(crate) fn lstm_with(x: &Tensor, w: &[Tensor], opts: super::RnnOptions, mask: Option<&Tensor>) -> RnnOutput {
    let mut layer = LSTM::new(w[1].shape()[0]);
    layer.base.opts = opts;
    layer.run("lstm", x, &w[0], &w[1], &w[2], None, mask)
}
