//! Helpers for the crate's own tests: building tensors, comparing values, checking
//! gradients on inputs drawn away from kinks.

use crate::gradcheck::check_gradients;
use crate::init::Rng;
use crate::tensor::Tensor;

/// A tensor from values and a shape.
pub fn t(values: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(values.to_vec(), shape)
}

/// Asserts `x`'s values equal `expected` within 1e-5 relative.
#[track_caller]
pub fn close(x: &Tensor, expected: &[f32]) {
    let got = x.to_vec();
    assert_eq!(got.len(), expected.len(), "length: got {got:?}, expected {expected:?}");
    for (g, e) in got.iter().zip(expected) {
        assert!(
            (g - e).abs() <= 1e-5 * (1.0 + e.abs()) || (g.is_nan() && e.is_nan()),
            "got {got:?}, expected {expected:?}"
        );
    }
}

/// Uniform values in `[lo, hi]` at least 0.1 from zero and 0.05 apart from each other,
/// so no input of a test sits on a kink or a tie.
pub fn away_from_kinks(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut rng = Rng::seed(seed);
    let mut vals: Vec<f32> = Vec::with_capacity(n);
    while vals.len() < n {
        let v = lo + (hi - lo) * rng.uniform01();
        if v.abs() >= 0.1 && vals.iter().all(|u| (u - v).abs() >= 0.05 * (hi - lo) / n.max(4) as f32) {
            vals.push(v);
        }
    }
    Tensor::from_vec(vals, shape)
}

/// `Σ wᵢ·yᵢ` with fixed distinct weights, so every output element matters differently.
pub fn weighted_sum(y: &Tensor) -> Tensor {
    let n = y.len();
    let w: Vec<f32> = (0..n).map(|i| 0.5 + ((i * 7919) % 13) as f32 / 13.0).collect();
    let w = Tensor::from_vec(w, y.shape());
    (y * &w).sum_all()
}

/// Runs the default gradient check and panics with `name` on failure.
#[track_caller]
pub fn grad_ok(name: &str, f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    if let Err(e) = check_gradients(f, inputs) {
        panic!("{name}: {e}");
    }
}
