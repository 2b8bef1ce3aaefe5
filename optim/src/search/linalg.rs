//! Dense Cholesky factorization `A = L·Lᵀ` and its triangular solves, for the Gaussian process's
//! small covariance matrices (row-major `f64`).

use super::error::{Result, SearchError};

/// The lower-triangular factor `L` of a symmetric positive-definite matrix.
#[derive(Debug, Clone)]
pub(crate) struct Cholesky {
    n: usize,
    /// Row-major `n × n`; the upper triangle is zero.
    l: Vec<f64>,
}

impl Cholesky {
    /// Factors the row-major `n × n` matrix `a` (only its lower triangle is read); `None` when a
    /// pivot is not positive (the matrix is not positive definite, or too badly conditioned).
    pub(crate) fn factor(a: &[f64], n: usize) -> Option<Cholesky> {
        assert_eq!(a.len(), n * n, "cholesky: {} values for a {n}×{n} matrix", a.len());
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
                let v = a[i * n + j] - dot;
                if i == j {
                    if !(v > 0.0 && v.is_finite()) {
                        return None;
                    }
                    l[i * n + i] = v.sqrt();
                } else {
                    l[i * n + j] = v / l[j * n + j];
                }
            }
        }
        Some(Cholesky { n, l })
    }

    /// [`Cholesky::factor`], retried with jitter `1e-10·mean(diag)`, ten times larger on each
    /// failure, up to `1e-2·mean(diag)`, added to the diagonal. Returns the factor and the jitter used.
    ///
    /// # Errors
    /// [`SearchError::NotPositiveDefinite`] when even the largest jitter fails.
    pub(crate) fn factor_with_jitter(a: &[f64], n: usize, op: &'static str) -> Result<(Cholesky, f64)> {
        if let Some(c) = Cholesky::factor(a, n) {
            return Ok((c, 0.0));
        }
        let mean_diag = ((0..n).map(|i| a[i * n + i].abs()).sum::<f64>() / n.max(1) as f64).max(f64::MIN_POSITIVE);
        let mut jitter = 1e-10 * mean_diag;
        let mut b = a.to_vec();
        while jitter <= 1e-2 * mean_diag * 1.000_001 {
            for i in 0..n {
                b[i * n + i] = a[i * n + i] + jitter;
            }
            if let Some(c) = Cholesky::factor(&b, n) {
                return Ok((c, jitter));
            }
            jitter *= 10.0;
        }
        Err(SearchError::NotPositiveDefinite { op, n, jitter: jitter / 10.0 })
    }

    /// `L[i][j]`.
    pub(crate) fn at(&self, i: usize, j: usize) -> f64 {
        self.l[i * self.n + j]
    }

    /// Solves `L·x = b` in place.
    pub(crate) fn solve_lower(&self, b: &mut [f64]) {
        let n = self.n;
        for i in 0..n {
            let row = &self.l[i * n..i * n + i];
            let dot: f64 = row.iter().zip(&b[..i]).map(|(l, x)| l * x).sum();
            b[i] = (b[i] - dot) / self.l[i * n + i];
        }
    }

    /// Solves `Lᵀ·x = b` in place.
    pub(crate) fn solve_upper(&self, b: &mut [f64]) {
        let n = self.n;
        for i in (0..n).rev() {
            let dot: f64 = (i + 1..n).map(|k| self.l[k * n + i] * b[k]).sum();
            b[i] = (b[i] - dot) / self.l[i * n + i];
        }
    }

    /// Solves `A·x = b` (`A = L·Lᵀ`).
    pub(crate) fn solve(&self, b: &[f64]) -> Vec<f64> {
        let mut x = b.to_vec();
        self.solve_lower(&mut x);
        self.solve_upper(&mut x);
        x
    }

    /// `ln det A = 2 Σ ln L_ii`.
    pub(crate) fn log_det(&self) -> f64 {
        2.0 * (0..self.n).map(|i| self.at(i, i).ln()).sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A = [[4, 12, -16], [12, 37, -43], [-16, -43, 98]] has L = [[2, 0, 0], [6, 1, 0], [-8, 5, 3]]
    // (multiply out L·Lᵀ by hand to check).
    const A: [f64; 9] = [4.0, 12.0, -16.0, 12.0, 37.0, -43.0, -16.0, -43.0, 98.0];

    #[test]
    fn factor_matches_hand_example() {
        let c = Cholesky::factor(&A, 3).unwrap();
        assert_eq!(c.l, [2.0, 0.0, 0.0, 6.0, 1.0, 0.0, -8.0, 5.0, 3.0]);
        // det A = (2·1·3)² = 36.
        assert!((c.log_det() - 36f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn solve_matches_hand_example() {
        // A·[1, 2, 3] = [4 + 24 − 48, 12 + 74 − 129, −16 − 86 + 294] = [−20, −43, 192].
        let x = Cholesky::factor(&A, 3).unwrap().solve(&[-20.0, -43.0, 192.0]);
        for (got, want) in x.iter().zip([1.0, 2.0, 3.0]) {
            assert!((got - want).abs() < 1e-10, "{x:?}");
        }
    }

    #[test]
    fn indefinite_fails_and_jitter_rescues_singular() {
        assert!(Cholesky::factor(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
        // [[1, 1], [1, 1]] is singular: plain factor fails (zero pivot), jitter makes it work.
        let singular = [1.0, 1.0, 1.0, 1.0];
        assert!(Cholesky::factor(&singular, 2).is_none());
        let (c, jitter) = Cholesky::factor_with_jitter(&singular, 2, "test").unwrap();
        assert!(jitter > 0.0 && jitter <= 1e-2);
        assert!(c.at(1, 1) > 0.0 && c.at(0, 1) == 0.0);
        let err = Cholesky::factor_with_jitter(&[1.0, 2.0, 2.0, 1.0], 2, "test").unwrap_err();
        assert!(err.to_string().contains("not positive definite"), "{err}");
    }
}
