//! Gaussian-process regression with a Matérn 5/2 kernel: fit with given hyperparameters or with
//! hyperparameters that maximize the log marginal likelihood, and posterior mean and deviation.

use std::f64::consts::PI;

use super::error::{Result, SearchError};
use super::linalg::Cholesky;

/// Matérn 5/2 correlation at scaled distance `r`: `(1 + √5·r + 5r²/3)·e^{−√5·r}`.
///
/// ```
/// use derin_optim::search::matern52;
/// assert_eq!(matern52(0.0), 1.0);
/// let s5 = 5f64.sqrt();
/// assert!((matern52(1.0) - (1.0 + s5 + 5.0 / 3.0) * (-s5).exp()).abs() < 1e-15);
/// assert!(matern52(1.0) < matern52(0.5) && matern52(20.0) < 1e-15);
/// ```
pub fn matern52(r: f64) -> f64 {
    let s = 5f64.sqrt() * r;
    (1.0 + s + s * s / 3.0) * (-s).exp()
}

/// Kernel hyperparameters: one length scale per input coordinate (ARD) and the noise as a fraction
/// of the signal variance. The kernel is `k(x, x') = s²·matern52(r) + s²·noise·[x = x']` with
/// `r² = Σᵢ ((xᵢ − x'ᵢ)/ℓᵢ)²`; the signal variance `s²` is not a field because it is always set to its
/// maximum-likelihood value in closed form, `s² = yᵀ(R + noise·I)⁻¹y / n` (on standardized `y`).
///
/// ```
/// use derin_optim::search::GpHyperparams;
/// let h = GpHyperparams::isotropic(3, 0.5, 1e-6);
/// assert_eq!(h.length_scales, [0.5, 0.5, 0.5]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GpHyperparams {
    /// `ℓᵢ > 0`, one per input coordinate.
    pub length_scales: Vec<f64>,
    /// Noise variance over signal variance, `≥ 0` (also acts as jitter).
    pub noise: f64,
}

impl GpHyperparams {
    /// The same length scale for each of `dims` coordinates.
    ///
    /// ```
    /// use derin_optim::search::GpHyperparams;
    /// assert_eq!(GpHyperparams::isotropic(2, 1.0, 0.0).length_scales.len(), 2);
    /// ```
    pub fn isotropic(dims: usize, length_scale: f64, noise: f64) -> Self {
        GpHyperparams { length_scales: vec![length_scale; dims], noise }
    }
}

/// Length scales searched by [`GaussianProcess::fit_ml`] (inputs live on the unit cube).
const LENGTH_SCALE_RANGE: (f64, f64) = (0.01, 10.0);
/// Noise ratios searched by [`GaussianProcess::fit_ml`].
const NOISE_RANGE: (f64, f64) = (1e-6, 0.5);

/// A Gaussian process fitted to `(x, y)` pairs, with zero prior mean on standardized targets
/// (`y` shifted by its mean and divided by its standard deviation; predictions are in `y`'s units).
///
/// ```
/// use derin_optim::search::{GaussianProcess, GpHyperparams};
/// let x = vec![vec![0.0], vec![0.5], vec![1.0]];
/// let gp = GaussianProcess::fit(&x, &[1.0, 0.0, 1.0], &GpHyperparams::isotropic(1, 0.3, 1e-10)).unwrap();
/// let (mean, std) = gp.predict(&[0.5]);
/// assert!((mean - 0.0).abs() < 1e-6 && std < 1e-3);
/// ```
#[derive(Debug, Clone)]
pub struct GaussianProcess {
    /// Training inputs divided by the length scales.
    scaled: Vec<Vec<f64>>,
    inv_length: Vec<f64>,
    hyper: GpHyperparams,
    chol: Cholesky,
    /// `(R + noise·I)⁻¹·y_standardized`.
    alpha: Vec<f64>,
    y_mean: f64,
    y_scale: f64,
    /// Signal variance in standardized units.
    signal: f64,
    lml: f64,
}

const OP: &str = "gaussian process";

fn check_inputs(x: &[Vec<f64>], y: &[f64]) -> Result<()> {
    let bad = |reason: String| Err(SearchError::InvalidInput { op: OP, reason });
    if x.is_empty() || x.len() != y.len() {
        return bad(format!(
            "needs as many targets as inputs, at least one; got {} inputs, {} targets",
            x.len(),
            y.len()
        ));
    }
    if let Some(i) = x.iter().position(|p| p.len() != x[0].len()) {
        return bad(format!("input {i} has {} coordinates, input 0 has {}", x[i].len(), x[0].len()));
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return bad(format!("target {i} is {}, targets must be finite", y[i]));
    }
    Ok(())
}

/// Mean and standard deviation (1 when the targets are all equal).
fn standardize(y: &[f64]) -> (Vec<f64>, f64, f64) {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let scale = if sd > 0.0 && sd > 1e-12 * mean.abs() { sd } else { 1.0 };
    (y.iter().map(|v| (v - mean) / scale).collect(), mean, scale)
}

/// Squared coordinate differences of every pair `i > j`, `d` values per pair, in row order.
fn pair_sq_diffs(x: &[Vec<f64>]) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len() * x.len() / 2 * x[0].len());
    for i in 0..x.len() {
        for j in 0..i {
            out.extend(x[i].iter().zip(&x[j]).map(|(a, b)| (a - b) * (a - b)));
        }
    }
    out
}

/// `R + noise·I` from the pair differences and squared inverse length scales.
fn correlation(n: usize, diffs: &[f64], inv_sq: &[f64], noise: f64) -> Vec<f64> {
    let d = inv_sq.len();
    let mut r = vec![0.0; n * n];
    let mut p = 0;
    for i in 0..n {
        for j in 0..i {
            let r2: f64 = diffs[p * d..(p + 1) * d].iter().zip(inv_sq).map(|(a, b)| a * b).sum();
            let k = matern52(r2.sqrt());
            r[i * n + j] = k;
            r[j * n + i] = k;
            p += 1;
        }
        r[i * n + i] = 1.0 + noise;
    }
    r
}

/// Factor, `α`, profiled signal variance and log marginal likelihood on standardized targets:
/// `ln p = −n/2 − (n/2)·ln s² − ½·ln det(R + noise·I) − (n/2)·ln 2π`.
fn solve_standardized(ys: &[f64], chol: Cholesky) -> (Cholesky, Vec<f64>, f64, f64) {
    let n = ys.len() as f64;
    let alpha = chol.solve(ys);
    let signal = (ys.iter().zip(&alpha).map(|(a, b)| a * b).sum::<f64>() / n).max(1e-12);
    let lml = -0.5 * n * (1.0 + signal.ln() + (2.0 * PI).ln()) - 0.5 * chol.log_det();
    (chol, alpha, signal, lml)
}

impl GaussianProcess {
    /// Fits with the given hyperparameters (the signal variance at its maximum-likelihood value);
    /// adds growing jitter to the diagonal if the covariance does not factor.
    ///
    /// # Errors
    /// [`SearchError::InvalidInput`] for no inputs, `x`/`y` of different lengths, ragged inputs,
    /// non-finite targets, a length-scale count other than the input width, or non-positive length
    /// scales or negative noise; [`SearchError::NotPositiveDefinite`] if jitter does not help.
    ///
    /// ```
    /// use derin_optim::search::{GaussianProcess, GpHyperparams};
    /// let h = GpHyperparams::isotropic(2, 1.0, 1e-6);
    /// assert!(GaussianProcess::fit(&[vec![0.0, 0.0]], &[1.0, 2.0], &h).is_err());
    /// ```
    pub fn fit(x: &[Vec<f64>], y: &[f64], hyper: &GpHyperparams) -> Result<Self> {
        check_inputs(x, y)?;
        let d = x[0].len();
        let bad = |reason: String| Err(SearchError::InvalidInput { op: OP, reason });
        if hyper.length_scales.len() != d {
            return bad(format!("{} length scales for inputs of {d} coordinates", hyper.length_scales.len()));
        }
        if let Some(l) = hyper.length_scales.iter().find(|l| !(**l > 0.0 && l.is_finite())) {
            return bad(format!("length scales must be positive and finite, got {l}"));
        }
        if !(hyper.noise >= 0.0 && hyper.noise.is_finite()) {
            return bad(format!("noise must be finite and ≥ 0, got {}", hyper.noise));
        }
        let (ys, y_mean, y_scale) = standardize(y);
        let inv_length: Vec<f64> = hyper.length_scales.iter().map(|l| 1.0 / l).collect();
        let inv_sq: Vec<f64> = inv_length.iter().map(|v| v * v).collect();
        let r = correlation(x.len(), &pair_sq_diffs(x), &inv_sq, hyper.noise);
        let (chol, _) = Cholesky::factor_with_jitter(&r, x.len(), OP)?;
        let (chol, alpha, signal, lml_std) = solve_standardized(&ys, chol);
        let scaled = x.iter().map(|p| p.iter().zip(&inv_length).map(|(a, b)| a * b).collect()).collect();
        let lml = lml_std - x.len() as f64 * y_scale.ln();
        Ok(GaussianProcess { scaled, inv_length, hyper: hyper.clone(), chol, alpha, y_mean, y_scale, signal, lml })
    }

    /// Fits with the hyperparameters that maximize the log marginal likelihood: the best of an
    /// isotropic grid (length scales 0.05…3.2 doubling, noise 1e-6, 1e-3, 0.1) and `start`, then a
    /// compass search on `(ln ℓ₁ … ln ℓ_d, ln noise)` (steps 1, ½, ¼, ⅛; at most 30·(d+1)
    /// evaluations) within length scales `[0.01, 10]` and noise `[1e-6, 0.5]`.
    ///
    /// # Errors
    /// As [`GaussianProcess::fit`].
    ///
    /// ```
    /// use derin_optim::search::{GaussianProcess, GpHyperparams};
    /// // A smooth function of x₀ that ignores x₁: x₁ gets the longer length scale.
    /// let x: Vec<Vec<f64>> = (0..30).map(|i| vec![(i % 6) as f64 / 5.0, (i / 6) as f64 / 4.0]).collect();
    /// let y: Vec<f64> = x.iter().map(|p| (6.0 * p[0]).sin()).collect();
    /// let gp = GaussianProcess::fit_ml(&x, &y, None).unwrap();
    /// let l = &gp.hyperparams().length_scales;
    /// assert!(l[1] > 2.0 * l[0], "{l:?}");
    /// let fixed = GaussianProcess::fit(&x, &y, &GpHyperparams::isotropic(2, 0.05, 0.1)).unwrap();
    /// assert!(gp.log_marginal_likelihood() > fixed.log_marginal_likelihood());
    /// ```
    pub fn fit_ml(x: &[Vec<f64>], y: &[f64], start: Option<&GpHyperparams>) -> Result<Self> {
        check_inputs(x, y)?;
        let (n, d) = (x.len(), x[0].len());
        let (ys, _, _) = standardize(y);
        let diffs = pair_sq_diffs(x);
        // θ = (ln ℓ₁ … ln ℓ_d, ln noise); returns −∞ where the matrix does not factor.
        let lml = |theta: &[f64]| -> f64 {
            let inv_sq: Vec<f64> = theta[..d].iter().map(|t| (-2.0 * t).exp()).collect();
            let r = correlation(n, &diffs, &inv_sq, theta[d].exp());
            match Cholesky::factor(&r, n) {
                Some(c) => solve_standardized(&ys, c).3,
                None => f64::NEG_INFINITY,
            }
        };
        let lo: Vec<f64> = [vec![LENGTH_SCALE_RANGE.0.ln(); d], vec![NOISE_RANGE.0.ln()]].concat();
        let hi: Vec<f64> = [vec![LENGTH_SCALE_RANGE.1.ln(); d], vec![NOISE_RANGE.1.ln()]].concat();
        let clamp = |t: Vec<f64>| -> Vec<f64> { t.iter().enumerate().map(|(k, v)| v.clamp(lo[k], hi[k])).collect() };
        let mut starts: Vec<Vec<f64>> = Vec::new();
        for l in [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2f64] {
            for noise in [1e-6, 1e-3, 1e-1f64] {
                starts.push([vec![l.ln(); d], vec![noise.ln()]].concat());
            }
        }
        if let Some(h) = start.filter(|h| h.length_scales.len() == d && h.length_scales.iter().all(|l| *l > 0.0)) {
            let t = h.length_scales.iter().map(|l| l.ln()).chain([h.noise.max(NOISE_RANGE.0).ln()]).collect();
            starts.push(clamp(t));
        }
        let (mut theta, mut best) = (starts[0].clone(), f64::NEG_INFINITY);
        for t in starts {
            let v = lml(&t);
            if v > best {
                (theta, best) = (t, v);
            }
        }
        let (mut step, mut evals, max_evals) = (1.0, 0, 30 * (d + 1));
        while step >= 0.1 && evals < max_evals {
            let mut improved = false;
            for k in 0..=d {
                for sign in [1.0, -1.0] {
                    let mut t = theta.clone();
                    t[k] = (t[k] + sign * step).clamp(lo[k], hi[k]);
                    if t[k] == theta[k] {
                        continue;
                    }
                    let v = lml(&t);
                    evals += 1;
                    if v > best + 1e-9 {
                        (theta, best, improved) = (t, v, true);
                        break;
                    }
                }
            }
            if !improved {
                step *= 0.5;
            }
        }
        let hyper =
            GpHyperparams { length_scales: theta[..d].iter().map(|t| t.exp()).collect(), noise: theta[d].exp() };
        GaussianProcess::fit(x, y, &hyper)
    }

    /// Posterior mean and standard deviation of the latent function at `x` (the noise term is not
    /// included in the deviation).
    ///
    /// # Panics
    /// If `x` has another width than the training inputs.
    ///
    /// ```
    /// use derin_optim::search::{GaussianProcess, GpHyperparams};
    /// let gp = GaussianProcess::fit(&[vec![0.0]], &[3.0], &GpHyperparams::isotropic(1, 0.2, 1e-8)).unwrap();
    /// let (m, s) = gp.predict(&[5.0]); // far from the data: back to the prior
    /// assert!((m - 3.0).abs() < 1e-9 && s > 0.0);
    /// ```
    pub fn predict(&self, x: &[f64]) -> (f64, f64) {
        assert_eq!(x.len(), self.inv_length.len(), "gaussian process predict: input width");
        let xs: Vec<f64> = x.iter().zip(&self.inv_length).map(|(a, b)| a * b).collect();
        let mut k: Vec<f64> = self
            .scaled
            .iter()
            .map(|p| matern52(p.iter().zip(&xs).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()))
            .collect();
        let mean = k.iter().zip(&self.alpha).map(|(a, b)| a * b).sum::<f64>();
        self.chol.solve_lower(&mut k);
        let var = (1.0 - k.iter().map(|v| v * v).sum::<f64>()).max(0.0) * self.signal;
        (self.y_mean + self.y_scale * mean, self.y_scale * var.sqrt())
    }

    /// Log marginal likelihood `ln p(y | x, θ)` of the training targets, in `y`'s units.
    ///
    /// ```
    /// use derin_optim::search::{GaussianProcess, GpHyperparams};
    /// let gp = GaussianProcess::fit(&[vec![0.0], vec![1.0]], &[0.0, 1.0], &GpHyperparams::isotropic(1, 1.0, 1e-6)).unwrap();
    /// assert!(gp.log_marginal_likelihood().is_finite());
    /// ```
    pub fn log_marginal_likelihood(&self) -> f64 {
        self.lml
    }

    /// The kernel hyperparameters in use.
    ///
    /// ```
    /// use derin_optim::search::{GaussianProcess, GpHyperparams};
    /// let h = GpHyperparams::isotropic(1, 0.7, 1e-6);
    /// assert_eq!(GaussianProcess::fit(&[vec![0.0]], &[1.0], &h).unwrap().hyperparams(), &h);
    /// ```
    pub fn hyperparams(&self) -> &GpHyperparams {
        &self.hyper
    }

    /// The fitted signal variance `s²`, in `y`'s units squared.
    ///
    /// ```
    /// use derin_optim::search::{GaussianProcess, GpHyperparams};
    /// let x = vec![vec![0.0], vec![1.0]];
    /// let gp = GaussianProcess::fit(&x, &[-10.0, 10.0], &GpHyperparams::isotropic(1, 0.1, 1e-6)).unwrap();
    /// assert!(gp.signal_variance() > 10.0);
    /// ```
    pub fn signal_variance(&self) -> f64 {
        self.signal * self.y_scale * self.y_scale
    }
}
