//! `SimpleRNN`: the fully connected (Elman) recurrent layer.

use derin_tensor::Tensor;
use derin_tensor::ndarray::{ArrayD, IxDyn};

use super::{RnnBase, RnnOutput, Steps, initial_states, keep_where, recurrent_layer};
use crate::activation::Activation;

/// `hₜ = activation(xₜ · kernel + hₜ₋₁ · recurrent_kernel + bias)`, over `[N, T, F]`
/// (PyTorch's `RNN` with one layer and `batch_first=True`).
///
/// Keras defaults: tanh activation, Glorot-uniform `kernel` `[F, units]`, orthogonal
/// `recurrent_kernel` `[units, units]`, zero `bias` `[units]`. Options (sequences,
/// states, direction, masks) come from [`Recurrent`](crate::Recurrent).
///
/// # Shapes
/// input `[N, T, F]`; output `[N, units]`, or `[N, T, units]` with `return_sequences`.
///
/// ```
/// use derin_nn::{Ctx, Module, Recurrent, SimpleRNN};
/// use derin_tensor::{Rng, Tensor};
/// let mut rnn = SimpleRNN::new(1);
/// rnn.build(&[2, 1], &mut Rng::seed(0)).unwrap();
/// rnn.kernel().unwrap().set(Tensor::from_vec(vec![1.0], &[1, 1]).to_array());
/// rnn.recurrent_kernel().unwrap().set(Tensor::from_vec(vec![0.5], &[1, 1]).to_array());
/// let y = rnn.forward(&Tensor::from_vec(vec![1.0, 0.0], &[1, 2, 1]), &mut Ctx::eval());
/// // h₁ = tanh(1), h₂ = tanh(0.5·tanh(1))
/// assert!((y.item() - (0.5 * 1f32.tanh()).tanh()).abs() < 1e-6);
/// ```
#[doc(alias = "RNN")]
#[derive(Clone, Debug)]
pub struct SimpleRNN {
    pub(super) base: RnnBase,
    pub(super) activation: Activation,
}

impl SimpleRNN {
    /// An unbuilt layer with `units` units and tanh activation.
    ///
    /// ```
    /// # use derin_nn::{Module, Recurrent, SimpleRNN};
    /// let rnn = SimpleRNN::new(4);
    /// assert_eq!(rnn.name(), "simple_rnn");
    /// assert!(rnn.kernel().is_none());
    /// assert_eq!(rnn.output_shape(&[6, 2]).unwrap(), vec![4]);
    /// ```
    pub fn new(units: usize) -> Self {
        SimpleRNN { base: RnnBase::new("simple_rnn", units, 1), activation: Activation::Tanh }
    }

    /// Uses `activation` instead of tanh.
    ///
    /// ```
    /// # use derin_nn::{Activation, SimpleRNN};
    /// assert_eq!(SimpleRNN::new(2).with_activation(Activation::Relu).activation(), Activation::Relu);
    /// ```
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The activation.
    ///
    /// ```
    /// # use derin_nn::{Activation, SimpleRNN};
    /// assert_eq!(SimpleRNN::new(2).activation(), Activation::Tanh);
    /// ```
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Gives the layer a name (its weights become `<name>/kernel`, …).
    ///
    /// ```
    /// # use derin_nn::{Module, SimpleRNN};
    /// assert_eq!(SimpleRNN::new(2).named("encoder").name(), "encoder");
    /// ```
    pub fn named(mut self, name: &str) -> Self {
        self.base.core.name = name.to_string();
        self
    }

    fn initial_bias(&self) -> ArrayD<f32> {
        ArrayD::zeros(IxDyn(&[self.base.units]))
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
        let steps = Steps::new(label, x, k, Some(b), &self.base.opts, mask);
        let mut h = initial_states(label, init, 1, steps.n, self.base.units).remove(0);
        let mut hs = Vec::with_capacity(steps.t);
        for s in 0..steps.t {
            let new = self.activation.apply(&(steps.at(s) + h.matmul(rk)));
            h = keep_where(steps.mask_at(s).as_ref(), new, &h);
            hs.push(h.clone());
        }
        let seq = Tensor::stack(&hs.iter().collect::<Vec<_>>(), 1);
        RnnOutput { output: steps.output(&seq, &self.base.opts), states: vec![h] }
    }
}

recurrent_layer!(SimpleRNN, "SimpleRNN");

/// The plain recurrence on weight tensors (for gradient checks).
#[cfg(test)]
pub(crate) fn simple_rnn_with(x: &Tensor, w: &[Tensor], opts: super::RnnOptions, mask: Option<&Tensor>) -> RnnOutput {
    let mut layer = SimpleRNN::new(w[1].shape()[0]);
    layer.base.opts = opts;
    layer.run("simple_rnn", x, &w[0], &w[1], &w[2], None, mask)
}
