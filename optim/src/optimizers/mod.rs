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
use std::sync::Mutex;

use derin_tensor::{GradRef, Param};

/// Elements per part below which an update is not split across threads.
const MIN_PART: usize = 1 << 15;

/// Calls `f(theta, g, slots)` over the parameter's values in row-major order, in place:
/// `theta` is a run of values, `g` its gradient and `slots` the same run of each of the
/// optimizer's slots (given whole, in the order `f` expects them).
///
/// A dense gradient is one call over everything, or one per contiguous part on the
/// library's threads when the parameter is large (the rule is elementwise, so the result
/// is the same). A row-sparse one is one call per row of the parameter, rows outside it
/// getting zeros, so the update is the one a dense gradient would make, without a dense
/// gradient; with `zero_is_noop` (the rule leaves a value with a zero gradient unchanged,
/// as plain SGD does) only its rows are visited. A parameter stored in another layout is
/// made row-major first (its shape is kept), so its elements line up with the gradient's
/// and with the optimizer's slots.
pub(crate) fn update_flat(
    p: &Param,
    g: GradRef<'_>,
    zero_is_noop: bool,
    mut slots: Vec<&mut [f32]>,
    f: impl Fn(&mut [f32], &[f32], &mut [&mut [f32]]) + Sync,
) {
    p.update(|theta| {
        if !theta.is_standard_layout() {
            *theta = theta.as_standard_layout().into_owned();
        }
        let theta = theta.as_slice_mut().expect("row-major after the copy above");
        match g {
            GradRef::Dense(g) => {
                let g = g.as_standard_layout();
                let g = g.as_slice().expect("row-major gradient");
                update_parts(theta, g, slots, &f);
            }
            GradRef::Rows(rows) => {
                let width = rows.row_len();
                let values = rows.values().as_slice().expect("row-sparse values are row-major");
                if zero_is_noop {
                    for (k, &r) in rows.rows().iter().enumerate() {
                        let at = r * width;
                        f(
                            &mut theta[at..at + width],
                            &values[k * width..(k + 1) * width],
                            &mut run(&mut slots, at, width),
                        );
                    }
                    return;
                }
                let zeros = vec![0.0; width];
                let mut next = rows.rows().iter().enumerate().peekable();
                for (r, chunk) in theta.chunks_mut(width.max(1)).enumerate().take(rows.shape()[0]) {
                    let g = match next.next_if(|&(_, &row)| row == r) {
                        Some((k, _)) => &values[k * width..(k + 1) * width],
                        None => &zeros[..],
                    };
                    f(chunk, g, &mut run(&mut slots, r * width, width));
                }
            }
        }
    });
}

/// `f` over `theta`, `g` and `slots` (all of one length), split into contiguous parts run
/// on the library's threads when there are at least two parts of [`MIN_PART`] elements.
fn update_parts(
    theta: &mut [f32],
    g: &[f32],
    mut slots: Vec<&mut [f32]>,
    f: &(impl Fn(&mut [f32], &[f32], &mut [&mut [f32]]) + Sync),
) {
    let parts = (theta.len() / MIN_PART).min(derin_tensor::num_threads());
    if parts <= 1 {
        f(theta, g, &mut slots);
        return;
    }
    let len = theta.len().div_ceil(parts);
    let mut slot_chunks: Vec<_> = slots.into_iter().map(|s| s.chunks_mut(len)).collect();
    let pieces: Vec<Mutex<Option<Piece<'_>>>> = theta
        .chunks_mut(len)
        .zip(g.chunks(len))
        .map(|(t, g)| {
            let s = slot_chunks.iter_mut().map(|c| c.next().expect("slots as long as theta")).collect();
            Mutex::new(Some((t, g, s)))
        })
        .collect();
    derin_tensor::for_each_part(pieces.len(), |i| {
        let piece = pieces[i].lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((t, g, mut s)) = piece {
            f(t, g, &mut s);
        }
    });
}

/// The run `at..at + len` of each slot.
fn run<'a>(slots: &'a mut [&mut [f32]], at: usize, len: usize) -> Vec<&'a mut [f32]> {
    slots.iter_mut().map(|s| &mut s[at..at + len]).collect()
}

/// One part of an update: values, gradient, slots.
type Piece<'a> = (&'a mut [f32], &'a [f32], Vec<&'a mut [f32]>);

/// Zero-filled slots of `shape`, `count` of them.
pub(crate) fn zeros_like(shape: &[usize], count: usize) -> Vec<ArrayD<f32>> {
    (0..count).map(|_| ArrayD::zeros(IxDyn(shape))).collect()
}

/// The slots as mutable row-major slices, in storage order.
pub(crate) fn flat(slots: &mut [ArrayD<f32>]) -> Vec<&mut [f32]> {
    slots.iter_mut().map(|s| s.as_slice_mut().expect("optimizer slots are kept row-major")).collect()
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
mod parallel_tests;
#[cfg(test)]
mod sparse_tests;
