//! How `relu` sends gradients back: the standard rule, or the rules of two ways of seeing
//! what a network responds to — Zeiler & Fergus' deconvnet and Springenberg et al.'s
//! guided backpropagation — chosen for the ReLUs made inside [`with_relu_gradient`].

use std::cell::Cell;

use crate::autograd::BackwardCtx;
use crate::tensor::Tensor;

/// The backward rule of `relu` for ∂loss/∂y = `g` at input `x`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReluGradient {
    /// The derivative: `g` where `x > 0`, else 0.
    #[default]
    Standard,
    /// The deconvnet's reconstruction: `relu(g)`, whatever `x` was (the backward signal is
    /// itself passed through a ReLU).
    Deconvnet,
    /// Guided backpropagation: `g` where both `x > 0` and `g > 0`, else 0.
    Guided,
}

thread_local! {
    static MODE: Cell<ReluGradient> = const { Cell::new(ReluGradient::Standard) };
}

/// Runs `f` with every `relu` it makes (on this thread) sending gradients back by `mode`;
/// the mode is fixed when the op is made, so `backward` may run after `f` returns.
///
/// ```
/// use derin_tensor::{ReluGradient, Tensor, with_relu_gradient};
/// let x = Tensor::from_vec(vec![-1.0, 2.0, 3.0], &[3]).requires_grad();
/// let g = Tensor::from_vec(vec![5.0, -4.0, 6.0], &[3]);
/// let grad = |mode| {
///     let y = with_relu_gradient(mode, || x.relu());
///     (&y * &g).sum_all().backward().get(&x).unwrap().to_vec()
/// };
/// assert_eq!(grad(ReluGradient::Standard), vec![0.0, -4.0, 6.0]);
/// assert_eq!(grad(ReluGradient::Deconvnet), vec![5.0, 0.0, 6.0]);
/// assert_eq!(grad(ReluGradient::Guided), vec![0.0, 0.0, 6.0]);
/// ```
pub fn with_relu_gradient<R>(mode: ReluGradient, f: impl FnOnce() -> R) -> R {
    let before = MODE.with(|m| m.replace(mode));
    struct Restore(ReluGradient);
    impl Drop for Restore {
        fn drop(&mut self) {
            MODE.with(|m| m.set(self.0));
        }
    }
    let _restore = Restore(before);
    f()
}

impl Tensor {
    /// `max(0, x)`, range [0, ∞); the default hidden activation. The gradient at 0 is 0;
    /// it follows the [`ReluGradient`] in force when the op is made (the derivative,
    /// unless inside [`with_relu_gradient`]).
    pub fn relu(&self) -> Tensor {
        let mode = MODE.with(Cell::get);
        if mode == ReluGradient::Standard {
            return self.map_op("relu", |x| x.max(0.0), |x, _| if x > 0.0 { 1.0 } else { 0.0 });
        }
        let out = self.view().mapv(|x| x.max(0.0));
        Tensor::from_op("relu", out, &[self], move |ctx: &BackwardCtx<'_>| {
            let x = ctx.inputs[0].view();
            let mut g = ctx.grad.clone();
            guide(&mut g, &x, mode);
            vec![Some(g)]
        })
    }
}

/// Applies a non-standard rule to the incoming gradient `g` in place.
fn guide(g: &mut ndarray::ArrayD<f32>, x: &ndarray::ArrayViewD<f32>, mode: ReluGradient) {
    ndarray::Zip::from(g).and(x).for_each(|g, &x| {
        *g = match mode {
            ReluGradient::Deconvnet => g.max(0.0),
            _ if x > 0.0 && *g > 0.0 => *g,
            _ => 0.0,
        }
    });
}
