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
