//! The activations beyond the classic ones, as elementwise ops with their derivatives:
//! SELU, softsign, ReLU6, the hard and sparse approximations, shrinkage functions, mish,
//! log-sigmoid and squareplus (Keras 3.15 formulas and default arguments).

use derin_tensor::Tensor;

/// SELU's α and scale (Klambauer et al. 2017; Keras' constants).
pub(super) const SELU_ALPHA: f32 = 1.673_263_2;
/// SELU's scale.
pub(super) const SELU_SCALE: f32 = 1.050_701;
/// The threshold of Keras' `hard_shrink` and `soft_shrink` by name.
const SHRINK: f32 = 0.5;
/// Squareplus' `b` by name.
const SQUAREPLUS_B: f32 = 4.0;

fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + eˣ)` without overflow.
fn softplus(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// 1 inside the open interval `(lo, hi)`, else 0: the slope of a clipped line.
fn inside(x: f32, lo: f32, hi: f32) -> f32 {
    if x > lo && x < hi { 1.0 } else { 0.0 }
}

pub(super) fn selu(x: &Tensor) -> Tensor {
    x.elu(SELU_ALPHA).mul_scalar(SELU_SCALE)
}

pub(super) fn softsign(x: &Tensor) -> Tensor {
    x.map_op("softsign", |x| x / (1.0 + x.abs()), |x, _| 1.0 / ((1.0 + x.abs()) * (1.0 + x.abs())))
}

pub(super) fn relu6(x: &Tensor) -> Tensor {
    x.map_op("relu6", |x| x.clamp(0.0, 6.0), |x, _| inside(x, 0.0, 6.0))
}

/// Keras 3: `relu6(x + 3) / 6`.
pub(super) fn hard_sigmoid(x: &Tensor) -> Tensor {
    x.map_op("hard_sigmoid", |x| ((x + 3.0) / 6.0).clamp(0.0, 1.0), |x, _| inside(x, -3.0, 3.0) / 6.0)
}

/// Keras 2 / tf-keras: `clip(0.2x + 0.5, 0, 1)`.
pub(super) fn hard_sigmoid_keras2(x: &Tensor) -> Tensor {
    x.map_op("hard_sigmoid_keras2", |x| (0.2 * x + 0.5).clamp(0.0, 1.0), |x, _| 0.2 * inside(x, -2.5, 2.5))
}

/// `x · relu6(x + 3) / 6`.
pub(super) fn hard_silu(x: &Tensor) -> Tensor {
    x.map_op(
        "hard_silu",
        |x| x * ((x + 3.0) / 6.0).clamp(0.0, 1.0),
        |x, _| ((x + 3.0) / 6.0).clamp(0.0, 1.0) + x * inside(x, -3.0, 3.0) / 6.0,
    )
}

/// `x · tanh(softplus(x))`.
pub(super) fn mish(x: &Tensor) -> Tensor {
    x.map_op(
        "mish",
        |x| x * softplus(x).tanh(),
        |x, _| {
            let t = softplus(x).tanh();
            t + x * (1.0 - t * t) * sigmoid(x)
        },
    )
}

pub(super) fn hard_tanh(x: &Tensor) -> Tensor {
    x.map_op("hard_tanh", |x| x.clamp(-1.0, 1.0), |x, _| inside(x, -1.0, 1.0))
}

/// `x` where `|x| > 0.5`, else 0.
pub(super) fn hard_shrink(x: &Tensor) -> Tensor {
    x.map_op("hard_shrink", |x| if x.abs() > SHRINK { x } else { 0.0 }, |x, _| if x.abs() > SHRINK { 1.0 } else { 0.0 })
}

/// `x ∓ 0.5` where `|x| > 0.5`, else 0.
pub(super) fn soft_shrink(x: &Tensor) -> Tensor {
    x.map_op(
        "soft_shrink",
        |x| {
            if x > SHRINK {
                x - SHRINK
            } else if x < -SHRINK {
                x + SHRINK
            } else {
                0.0
            }
        },
        |x, _| if x.abs() > SHRINK { 1.0 } else { 0.0 },
    )
}

/// `x − tanh(x)`.
pub(super) fn tanh_shrink(x: &Tensor) -> Tensor {
    x.map_op("tanh_shrink", |x| x - x.tanh(), |x, _| x.tanh() * x.tanh())
}

/// `ln σ(x) = −softplus(−x)`.
pub(super) fn log_sigmoid(x: &Tensor) -> Tensor {
    x.map_op("log_sigmoid", |x| -softplus(-x), |x, _| sigmoid(-x))
}

/// 0 for `x ≤ −1`, `(x + 1)²/4` on (−1, 1), `x` for `x ≥ 1`.
pub(super) fn sparse_plus(x: &Tensor) -> Tensor {
    x.map_op(
        "sparse_plus",
        |x| {
            if x <= -1.0 {
                0.0
            } else if x >= 1.0 {
                x
            } else {
                (x + 1.0) * (x + 1.0) / 4.0
            }
        },
        |x, _| {
            if x <= -1.0 {
                0.0
            } else if x >= 1.0 {
                1.0
            } else {
                (x + 1.0) / 2.0
            }
        },
    )
}

/// `clip((x + 1)/2, 0, 1)`.
pub(super) fn sparse_sigmoid(x: &Tensor) -> Tensor {
    x.map_op("sparse_sigmoid", |x| ((x + 1.0) / 2.0).clamp(0.0, 1.0), |x, _| inside(x, -1.0, 1.0) / 2.0)
}

/// `(x + √(x² + 4)) / 2`.
pub(super) fn squareplus(x: &Tensor) -> Tensor {
    x.map_op(
        "squareplus",
        |x| (x + (x * x + SQUAREPLUS_B).sqrt()) / 2.0,
        |x, _| (1.0 + x / (x * x + SQUAREPLUS_B).sqrt()) / 2.0,
    )
}

/// Sparsemax over the last axis (Martins & Astudillo 2016): the Euclidean projection of
/// each row onto the probability simplex, `max(x − τ, 0)` with `τ` such that the row sums
/// to 1. Its gradient is `g − mean(g over the support)` on the support, 0 elsewhere.
pub(super) fn sparsemax(x: &Tensor) -> Tensor {
    let mut out = x.array().as_standard_layout().into_owned();
    let n = out.shape().last().copied().unwrap_or(1).max(1);
    if let Some(values) = out.as_slice_mut() {
        values.chunks_mut(n).for_each(project_onto_simplex);
    }
    Tensor::from_op("sparsemax", out, &[x], move |ctx| {
        let mut dx = ctx.grad.as_standard_layout().into_owned();
        let y = ctx.output.as_standard_layout();
        if let (Some(dx), Some(y)) = (dx.as_slice_mut(), y.as_slice()) {
            for (d, y) in dx.chunks_mut(n).zip(y.chunks(n)) {
                let support = y.iter().filter(|&&v| v > 0.0).count().max(1);
                let mean = d.iter().zip(y).filter(|(_, v)| **v > 0.0).map(|(g, _)| g).sum::<f32>() / support as f32;
                d.iter_mut().zip(y).for_each(|(g, &v)| *g = if v > 0.0 { *g - mean } else { 0.0 });
            }
        }
        vec![Some(dx)]
    })
}

/// `row ← max(row − τ, 0)`, `τ = (Σ of the k largest − 1)/k` for the largest `k` with
/// `1 + k·z₍ₖ₎ > Σ of the k largest` (`z` sorted in decreasing order).
fn project_onto_simplex(row: &mut [f32]) {
    let mut sorted = row.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let (mut sum, mut support_sum, mut k) = (0.0f32, 0.0f32, 1usize);
    for (i, &z) in sorted.iter().enumerate() {
        sum += z;
        if 1.0 + (i + 1) as f32 * z > sum {
            (support_sum, k) = (sum, i + 1);
        }
    }
    let tau = (support_sum - 1.0) / k as f32;
    row.iter_mut().for_each(|v| *v = (*v - tau).max(0.0));
}
