//! Standard test functions for optimizers: Branin (2-D, three global minima) and Rosenbrock (n-D).

use std::f64::consts::PI;

/// Global minimum value of [`branin`], `0.397887…` (`5/(4π)`).
pub const BRANIN_MINIMUM: f64 = 5.0 / (4.0 * PI);

/// The three global minimizers `(x₁, x₂)` of [`branin`] on `x₁ ∈ [−5, 10]`, `x₂ ∈ [0, 15]`.
pub const BRANIN_MINIMIZERS: [(f64, f64); 3] = [(-PI, 12.275), (PI, 2.275), (3.0 * PI, 2.475)];

/// The Branin–Hoo function
/// `a·(x₂ − b·x₁² + c·x₁ − r)² + s·(1 − t)·cos x₁ + s` with `a = 1`, `b = 5.1/(4π²)`, `c = 5/π`,
/// `r = 6`, `s = 10`, `t = 1/(8π)`; usual domain `x₁ ∈ [−5, 10]`, `x₂ ∈ [0, 15]`, global minimum
/// [`BRANIN_MINIMUM`] at [`BRANIN_MINIMIZERS`].
///
/// ```
/// use derin_optim::search::{BRANIN_MINIMIZERS, BRANIN_MINIMUM, branin};
/// for (x1, x2) in BRANIN_MINIMIZERS {
///     assert!((branin(x1, x2) - BRANIN_MINIMUM).abs() < 1e-5);
/// }
/// assert!((BRANIN_MINIMUM - 0.397887).abs() < 1e-6);
/// ```
pub fn branin(x1: f64, x2: f64) -> f64 {
    let (b, c, t) = (5.1 / (4.0 * PI * PI), 5.0 / PI, 1.0 / (8.0 * PI));
    (x2 - b * x1 * x1 + c * x1 - 6.0).powi(2) + 10.0 * (1.0 - t) * x1.cos() + 10.0
}

/// The Rosenbrock function `Σᵢ 100·(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²` over consecutive pairs; minimum 0 at
/// `(1, …, 1)`, in a long curved valley.
///
/// ```
/// use derin_optim::search::rosenbrock;
/// assert_eq!(rosenbrock(&[1.0; 5]), 0.0);
/// assert_eq!(rosenbrock(&[0.0, 0.0]), 1.0);
/// ```
pub fn rosenbrock(x: &[f64]) -> f64 {
    x.windows(2).map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2)).sum()
}
