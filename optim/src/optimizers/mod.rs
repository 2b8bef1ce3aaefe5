//! The update rules, one per file, and the flat-slice plumbing they share.

mod adagrad;
mod adam;
mod adamw;
mod nadam;
mod rmsprop;
mod sgd;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, AdamEpsilon};
pub use adamw::{AdamW, AdamWConfig};
pub use nadam::{Nadam, NadamConfig};
pub use rmsprop::{EpsilonPlacement, RmsProp, RmsPropConfig};
pub use sgd::{Sgd, SgdConfig};

use derin_tensor::Param;
use derin_tensor::ndarray::ArrayD;

/// Calls `f` with the parameter's values and its gradient as row-major slices, in place.
///
/// A parameter stored in another layout is made row-major first (its shape is kept), so
/// its elements line up with the gradient's and with the optimizer's slots.
pub(crate) fn update_flat(p: &Param, g: &ArrayD<f32>, f: impl FnOnce(&mut [f32], &[f32])) {
    let g = g.as_standard_layout();
    p.update(|theta| {
        if !theta.is_standard_layout() {
            *theta = theta.as_standard_layout().into_owned();
        }
        f(theta.as_slice_mut().expect("row-major after the copy above"), g.as_slice().expect("row-major gradient"));
    });
}

/// Zero-filled slots shaped like `g`, one per name in `count`.
pub(crate) fn zeros_like(g: &ArrayD<f32>, count: usize) -> Vec<ArrayD<f32>> {
    (0..count).map(|_| ArrayD::zeros(g.raw_dim())).collect()
}

/// The slots as mutable row-major slices, in storage order.
pub(crate) fn flat(slots: &mut [ArrayD<f32>]) -> impl Iterator<Item = &mut [f32]> {
    slots.iter_mut().map(|s| s.as_slice_mut().expect("optimizer slots are kept row-major"))
}

/// `1 - x`, computed in f64 as Keras and PyTorch do with their Python-float hyperparameters.
pub(crate) fn one_minus(x: f32) -> f32 {
    (1.0 - x as f64) as f32
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the optimizers' unit tests: fixed gradients fed to one parameter.
    use derin_tensor::{Gradients, Param, Tensor};

    use crate::Optimizer;

    /// A gradient store with `g` as the gradient of `p` (built through autograd: ∂(p·g)/∂p = g).
    pub(crate) fn grads_for(p: &Param, g: &[f32]) -> Gradients {
        let gt = Tensor::from_vec(g.to_vec(), &[g.len()]);
        (&p.value() * &gt).sum_all().backward()
    }

    /// Steps `opt` once per gradient in `gs` on a parameter starting at `theta0`; the
    /// parameter's value after each step.
    pub(crate) fn run(opt: &mut dyn Optimizer, theta0: &[f32], gs: &[&[f32]]) -> Vec<Vec<f32>> {
        let p = Param::new("w", Tensor::from_vec(theta0.to_vec(), &[theta0.len()]).to_array());
        gs.iter()
            .map(|g| {
                opt.step(&[p.clone()], &grads_for(&p, g));
                p.value().to_vec()
            })
            .collect()
    }

    /// Asserts `a ≈ b` elementwise within `tol` (absolute); `b` holds hand-computed decimals.
    pub(crate) fn assert_close(a: &[f32], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((*x as f64 - y).abs() <= tol, "{a:?} vs {b:?}");
        }
    }
}
