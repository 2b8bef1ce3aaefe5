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

use derin_tensor::ndarray::{ArrayD, IxDyn};
use derin_tensor::{GradRef, Param};

/// Calls `f(theta, g, at)` over the parameter's values in row-major order, in place:
/// `theta` is the run of values starting at flat index `at` (where the same run of each
/// slot starts) and `g` its gradient.
///
/// A dense gradient is one call over everything. A row-sparse one is one call per row of
/// the parameter, rows outside it getting zeros, so the update is the one a dense
/// gradient would make, without a dense gradient; with `zero_is_noop` (the rule leaves a
/// value with a zero gradient unchanged, as plain SGD does) only its rows are visited.
/// A parameter stored in another layout is made row-major first (its shape is kept), so
/// its elements line up with the gradient's and with the optimizer's slots.
pub(crate) fn update_flat(p: &Param, g: GradRef<'_>, zero_is_noop: bool, mut f: impl FnMut(&mut [f32], &[f32], usize)) {
    p.update(|theta| {
        if !theta.is_standard_layout() {
            *theta = theta.as_standard_layout().into_owned();
        }
        let theta = theta.as_slice_mut().expect("row-major after the copy above");
        match g {
            GradRef::Dense(g) => f(theta, g.as_standard_layout().as_slice().expect("row-major gradient"), 0),
            GradRef::Rows(rows) => {
                let width = rows.row_len();
                let values = rows.values().as_slice().expect("row-sparse values are row-major");
                if zero_is_noop {
                    for (k, &r) in rows.rows().iter().enumerate() {
                        let at = r * width;
                        f(&mut theta[at..at + width], &values[k * width..(k + 1) * width], at);
                    }
                    return;
                }
                let zeros = vec![0.0; width];
                let mut next = rows.rows().iter().enumerate().peekable();
                for (r, run) in theta.chunks_mut(width.max(1)).enumerate().take(rows.shape()[0]) {
                    let g = match next.next_if(|&(_, &row)| row == r) {
                        Some((k, _)) => &values[k * width..(k + 1) * width],
                        None => &zeros[..],
                    };
                    f(run, g, r * width);
                }
            }
        }
    });
}

/// Zero-filled slots of `shape`, `count` of them.
pub(crate) fn zeros_like(shape: &[usize], count: usize) -> Vec<ArrayD<f32>> {
    (0..count).map(|_| ArrayD::zeros(IxDyn(shape))).collect()
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

#[cfg(test)]
mod sparse_tests;
