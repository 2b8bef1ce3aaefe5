//! Expected improvement and the normal-distribution functions it needs (`erfc` written out, accurate
//! to ~1e-13 relative, and a tail-safe `z·Φ(z) + φ(z)`).

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Expected improvement of a Gaussian prediction over the best (smallest) value seen, for
/// minimization:
///
/// `EI = (best − ξ − μ)·Φ(z) + σ·φ(z)`, `z = (best − ξ − μ)/σ`,
///
/// the expectation of `max(0, best − ξ − f)` for `f ~ N(μ, σ²)`; `Φ`, `φ` are the standard normal cdf
/// and density, `ξ ≥ 0` trades exploration for exploitation. With `σ = 0` it is
/// `max(0, best − ξ − μ)`. For maximization pass negated values.
///
/// ```
/// use derin_optim::search::expected_improvement;
/// // A prediction right at the best value with σ = 1: EI = φ(0) = 1/√(2π).
/// let ei = expected_improvement(0.0, 1.0, 0.0, 0.0);
/// assert!((ei - 0.398_942_280_401_432_7).abs() < 1e-15);
/// // Far worse than the best with little uncertainty: no expected improvement.
/// assert!(expected_improvement(50.0, 1.0, 0.0, 0.0) < 1e-300);
/// ```
pub fn expected_improvement(mean: f64, std: f64, best: f64, xi: f64) -> f64 {
    let gain = best - xi - mean;
    if std > 0.0 { std * improvement_factor(gain / std) } else { gain.max(0.0) }
}

/// `τ(z) = z·Φ(z) + φ(z)`, so that `EI = σ·τ(z)`; for `z < −5` through the continued fraction of
/// Mills' ratio (`τ = φ(z)·a/(t + a)`, `t = −z`, `a = 1/(t + 2/(t + 3/(t + …)))`), which avoids the
/// cancellation of the direct form.
pub(crate) fn improvement_factor(z: f64) -> f64 {
    if z >= -5.0 {
        return z * normal_cdf(z) + normal_pdf(z);
    }
    let t = -z;
    let mut a = t;
    for k in (2..=80).rev() {
        a = t + k as f64 / a;
    }
    let a = 1.0 / a;
    normal_pdf(z) * a / (t + a)
}

/// Standard normal density `φ(z) = e^{−z²/2}/√(2π)`.
pub(crate) fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * PI).sqrt()
}

/// Standard normal cdf `Φ(z) = erfc(−z/√2)/2`.
pub(crate) fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z * FRAC_1_SQRT_2)
}

/// Complementary error function: for `0 ≤ x < 2.5` as `1 − erf(x)` with the positive series
/// `erf(x) = (2/√π)·e^{−x²}·Σ 2ⁿx^{2n+1}/(1·3···(2n+1))`; for `x ≥ 2.5` the continued fraction
/// `erfc(x) = e^{−x²}/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …))))`; `erfc(−x) = 2 − erfc(x)`.
pub(crate) fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.5 {
        let x2 = x * x;
        let (mut term, mut sum) = (x, x);
        let mut n = 0.0;
        while term > 1e-17 * sum {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
        }
        return 1.0 - 2.0 / PI.sqrt() * (-x2).exp() * sum;
    }
    let mut f = x;
    for k in (1..=60).rev() {
        f = x + (k as f64 / 2.0) / f;
    }
    (-x * x).exp() / (PI.sqrt() * f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn erfc_matches_reference_values() {
        // Reference values: mpmath 1.3.0, `mpmath.erfc` at 30 digits.
        let cases = [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (2.0, 4.677_734_981_047_266e-3),
            (2.5, 4.069_520_174_449_59e-4),
            (3.0, 2.209_049_699_858_544e-5),
            (5.0, 1.537_459_794_428_034_8e-12),
            (10.0, 2.088_487_583_762_545e-45),
            (-1.0, 1.842_700_792_949_715),
        ];
        for (x, want) in cases {
            assert!(rel(erfc(x), want) < 1e-13, "erfc({x}) = {} want {want}", erfc(x));
        }
    }

    #[test]
    fn improvement_factor_is_continuous_and_matches_mpmath() {
        // Both branches agree where they meet.
        let direct = -5.0 * normal_cdf(-5.0) + normal_pdf(-5.0);
        assert!(rel(improvement_factor(-5.0 - 1e-12), direct) < 1e-9);
        // Far tail, where the direct form cancels: mpmath 1.3.0, `z*ncdf(z) + npdf(z)` at z = −30.
        let z: f64 = -30.0;
        assert!(rel(improvement_factor(z), 1.631_956_734_091_401_2e-199) < 1e-12);
        assert!(improvement_factor(z) > 0.0);
    }

    #[test]
    fn ei_is_zero_at_known_points_and_far_above_best() {
        // At a training point of a nearly noise-free GP (σ ≈ 0) no better than the best: EI = 0.
        assert_eq!(expected_improvement(1.0, 0.0, 1.0, 0.0), 0.0);
        assert_eq!(expected_improvement(2.0, 0.0, 1.0, 0.0), 0.0);
        assert!(expected_improvement(1.0, 1e-12, 1.0, 0.01) < 1e-300);
        // Mean far above the best (minimization) with modest σ: vanishingly small but not negative.
        let far = expected_improvement(100.0, 1.0, 0.0, 0.0);
        assert!((0.0..1e-300).contains(&far));
        // Anywhere uncertain near the best: positive, and growing with σ.
        let (a, b) = (expected_improvement(0.5, 0.5, 0.0, 0.0), expected_improvement(0.5, 1.0, 0.0, 0.0));
        assert!(a > 0.0 && b > a);
        // A certain improvement of 2 gives exactly 2.
        assert_eq!(expected_improvement(-2.0, 0.0, 0.0, 0.0), 2.0);
    }
}
