//! `GRU`: the gated recurrent unit layer (Keras `reset_after` true or false, gate order z, r, h).

use derin_tensor::Tensor;
use derin_tensor::ndarray::{ArrayD, IxDyn};

use super::gru_op::gru_sequence;
use super::{RnnBase, RnnOutput, Steps, initial_states, recurrent_layer};

/// Gated recurrent unit over `[N, T, F]`, as Keras computes it. By default
/// (`reset_after=True`, also cuDNN's and PyTorch's formula), with `bias = [b_in; b_rec]`
/// and the gate order `z, r, h`:
///
/// `[x_z, x_r, x_h] = xₜ · kernel + b_in`, `[h_z, h_r, h_h] = hₜ₋₁ · recurrent_kernel + b_rec`,
/// `z = σ(x_z + h_z)`, `r = σ(x_r + h_r)`, `h̃ = tanh(x_h + r ⊙ h_h)`,
/// `hₜ = z ⊙ hₜ₋₁ + (1 − z) ⊙ h̃`.
///
/// With [`reset_after(false)`](GRU::reset_after) (Keras' `reset_after=False`, the original
/// GRU; Keras 1 and early Keras 2 models) the bias is one vector `[3·units]` added to the
/// input side, and the reset gate scales the state before its product:
/// `h̃ = tanh(xₜ · kernel_h + b_h + (r ⊙ hₜ₋₁) · recurrent_kernel_h)`.
///
/// Keras defaults: Glorot-uniform `kernel` `[F, 3·units]`, orthogonal
/// `recurrent_kernel` `[units, 3·units]`, zero `bias` `[2, 3·units]` (`[3·units]` without
/// `reset_after`); tanh and sigmoid are fixed. PyTorch's `GRU` orders its gates `r, z, n` and has `1 − z` on the other
/// term: the same function once the blocks are swapped.
///
/// The recurrence runs as one fused op (forward loop and hand-written backpropagation
/// through time), after one product for the input projection of every step.
///
/// # Shapes
/// input `[N, T, F]`; output `[N, units]`, or `[N, T, units]` with `return_sequences`.
///
/// ```
/// use derin_nn::{Ctx, GRU, Module, Recurrent};
/// use derin_tensor::{Rng, Tensor};
/// let mut gru = GRU::new(1);
/// gru.build(&[1, 1], &mut Rng::seed(0)).unwrap();
/// gru.kernel().unwrap().set(Tensor::from_vec(vec![0.0, 0.0, 1.0], &[1, 3]).to_array());
/// let y = gru.forward(&Tensor::ones(&[1, 1, 1]), &mut Ctx::eval());
/// // z = σ(0) = ½, h̃ = tanh(1), h = ½·0 + ½·tanh(1)
/// assert!((y.item() - 0.5 * 1f32.tanh()).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct GRU {
    pub(super) base: RnnBase,
    pub(super) reset_after: bool,
}

impl GRU {
    /// An unbuilt layer with `units` units.
    ///
    /// ```
    /// # use derin_nn::{GRU, Module, Recurrent};
    /// let gru = GRU::new(128);
    /// assert_eq!(gru.name(), "gru");
    /// assert_eq!(gru.units(), 128);
    /// assert_eq!(gru.output_shape(&[50, 64]).unwrap(), vec![128]);
    /// ```
    pub fn new(units: usize) -> Self {
        GRU { base: RnnBase::new("gru", units, 3), reset_after: true }
    }

    /// Keras' `reset_after`: `true` (the default) applies the reset gate after the
    /// recurrent product, `false` before it, with a `[3·units]` bias (see [`GRU`]). Set it
    /// before [`build`](crate::Module::build).
    ///
    /// ```
    /// use derin_nn::{Ctx, GRU, Module, Recurrent};
    /// use derin_tensor::{Rng, Tensor};
    /// let mut gru = GRU::new(1).reset_after(false);
    /// gru.build(&[1, 1], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(gru.bias().unwrap().shape(), &[3]);
    /// gru.kernel().unwrap().set(Tensor::from_vec(vec![0.0, 0.0, 1.0], &[1, 3]).to_array());
    /// gru.recurrent_kernel().unwrap().set(Tensor::from_vec(vec![0.0, 0.0, 2.0], &[1, 3]).to_array());
    /// let y = gru.return_sequences(true).forward(&Tensor::ones(&[1, 2, 1]), &mut Ctx::eval());
    /// // z = r = σ(0) = ½. Step 1: h̃ = tanh(1) ≈ 0.761594, h₁ = ½·h̃ ≈ 0.380797.
    /// // Step 2: h̃ = tanh(1 + 2·(½·h₁)) = tanh(1.380797) ≈ 0.881091, h₂ = ½·h₁ + ½·h̃.
    /// let (h1, h2) = (0.5 * 1f32.tanh(), 0.5 * 0.5 * 1f32.tanh() + 0.5 * 1.380797f32.tanh());
    /// let out = y.to_vec();
    /// assert!((out[0] - h1).abs() < 1e-6 && (out[1] - h2).abs() < 1e-6);
    /// ```
    pub fn reset_after(mut self, on: bool) -> Self {
        self.reset_after = on;
        self
    }

    /// Whether the reset gate applies after the recurrent product (Keras' `reset_after`).
    ///
    /// ```
    /// # use derin_nn::GRU;
    /// assert!(GRU::new(2).resets_after());
    /// assert!(!GRU::new(2).reset_after(false).resets_after());
    /// ```
    pub fn resets_after(&self) -> bool {
        self.reset_after
    }

    /// Gives the layer a name (its weights become `<name>/kernel`, …).
    ///
    /// ```
    /// # use derin_nn::{GRU, Module};
    /// assert_eq!(GRU::new(2).named("encoder").name(), "encoder");
    /// ```
    pub fn named(mut self, name: &str) -> Self {
        self.base.core.name = name.to_string();
        self
    }

    fn initial_bias(&self) -> ArrayD<f32> {
        if self.reset_after {
            ArrayD::zeros(IxDyn(&[2, 3 * self.base.units]))
        } else {
            ArrayD::zeros(IxDyn(&[3 * self.base.units]))
        }
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
        let g = 3 * self.base.units;
        let (b_in, b_rec) = if self.reset_after {
            (b.narrow(0, 0, 1).reshape(&[g]), b.narrow(0, 1, 1).reshape(&[g]))
        } else {
            // One bias, all on the input side; the op's recurrent bias stays zero.
            (b.clone(), Tensor::zeros(&[g]))
        };
        let steps = Steps::new(label, x, k, Some(&b_in), &self.base.opts, mask);
        let h0 = initial_states(label, init, 1, steps.n, self.base.units).remove(0);
        let seq = gru_sequence(&steps.xp, &h0, rk, &b_rec, steps.mask.clone(), self.reset_after);
        let last = seq.narrow(1, steps.t - 1, 1).reshape(&[steps.n, self.base.units]);
        RnnOutput { output: steps.output(&seq, &self.base.opts), states: vec![last] }
    }
}

recurrent_layer!(GRU, "GRU");

/// The recurrence on weight tensors (for gradient checks); a 1-D bias means
/// `reset_after=False`.
#[cfg(test)]
pub(crate) fn gru_with(x: &Tensor, w: &[Tensor], opts: super::RnnOptions, mask: Option<&Tensor>) -> RnnOutput {
    let mut layer = GRU::new(w[1].shape()[0]).reset_after(w[2].shape().len() == 2);
    layer.base.opts = opts;
    layer.run("gru", x, &w[0], &w[1], &w[2], None, mask)
}
