//! A finite-difference gradient checker that every crate adding ops reuses.
//!
//! For each input coordinate `xᵢ` it evaluates the scalar function at `xᵢ ± h` and
//! compares the central difference `(f(x+h) − f(x−h)) / 2h` with the gradient that
//! `backward` gives. With `f32` arithmetic the central difference has a rounding error
//! of about `ε_f32·|f| / h` and a truncation error of `h²·|f‴| / 6`; the defaults
//! (`h = 1e-3`, tolerance `atol + rtol·|g|` with `atol = rtol = 1e-2`) keep both well
//! inside the tolerance for functions of order-one values.
//!
//! **Kinks.** At a point where `f` is not differentiable (ReLU at 0, `abs` at 0, a tie in
//! `max`) the two one-sided differences `(f(x+h) − f(x))/h` and `(f(x) − f(x−h))/h`
//! disagree. Such coordinates are skipped and counted in the report; the check fails if
//! every coordinate had to be skipped. Tests should still draw their inputs away from
//! kinks (values at least 0.1 from zero and pairwise distinct), so skips are rare.

use std::fmt;

use crate::autograd::no_grad;
use crate::tensor::Tensor;

/// Step size and tolerances of a gradient check.
#[derive(Clone, Copy, Debug)]
pub struct GradCheck {
    /// The finite-difference step `h`.
    pub step: f32,
    /// Absolute tolerance.
    pub atol: f32,
    /// Relative tolerance (times the analytic gradient's magnitude).
    pub rtol: f32,
}

impl Default for GradCheck {
    fn default() -> Self {
        GradCheck { step: 1e-3, atol: 1e-2, rtol: 1e-2 }
    }
}

/// Where a gradient check failed.
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheckError {
    /// Which input (position in the slice given to the check).
    pub input: usize,
    /// Flat index of the coordinate within that input.
    pub index: usize,
    /// The gradient from `backward`.
    pub analytic: f32,
    /// The central finite difference.
    pub numeric: f32,
    /// What went wrong, in words.
    pub reason: String,
}

impl fmt::Display for GradCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradient check failed for input {} at flat index {}: backward gives {}, finite differences give {} ({})",
            self.input, self.index, self.analytic, self.numeric, self.reason
        )
    }
}

impl std::error::Error for GradCheckError {}

/// What a passing check looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GradCheckReport {
    /// Coordinates compared.
    pub checked: usize,
    /// Coordinates skipped because they sit on a kink.
    pub skipped_kinks: usize,
}

/// [`GradCheck::run`] with the default step and tolerances.
pub fn check_gradients<F>(f: F, inputs: &[Tensor]) -> Result<GradCheckReport, GradCheckError>
where
    F: Fn(&[Tensor]) -> Tensor,
{
    GradCheck::default().run(f, inputs)
}

impl GradCheck {
    /// Compares `backward`'s gradients of the scalar `f(inputs)` with central finite
    /// differences, for every coordinate of every input.
    ///
    /// Inputs are used as given (each is re-marked with `requires_grad`), so a
    /// non-contiguous (transposed, sliced) input is checked as such.
    ///
    /// # Errors
    /// The first coordinate whose gradients disagree beyond `atol + rtol·|analytic|`,
    /// a missing gradient, or a function on which every coordinate was a kink.
    ///
    /// ```
    /// use derin_tensor::{Tensor, check_gradients};
    /// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]);
    /// let report = check_gradients(|xs| xs[0].tanh().sum_all(), &[x]).unwrap();
    /// assert_eq!(report.checked, 3);
    /// ```
    pub fn run<F>(&self, f: F, inputs: &[Tensor]) -> Result<GradCheckReport, GradCheckError>
    where
        F: Fn(&[Tensor]) -> Tensor,
    {
        let tracked: Vec<Tensor> = inputs.iter().map(|t| leaf_like(t, t.to_array())).collect();
        let out = f(&tracked);
        let grads = out.backward();
        let f0 = out.item();
        let h = self.step;
        let mut report = GradCheckReport { checked: 0, skipped_kinks: 0 };
        for (i, input) in tracked.iter().enumerate() {
            let analytic = grads.array(input).cloned().unwrap_or_else(|| ndarray::ArrayD::zeros(input.shape()));
            let base = input.to_array();
            let eval = |index: usize, delta: f32| -> f32 {
                let mut moved = base.clone();
                *moved.iter_mut().nth(index).expect("index in range") += delta;
                let mut args = tracked.clone();
                args[i] = leaf_like(input, moved);
                no_grad(|| f(&args)).item()
            };
            for (index, &g) in analytic.iter().enumerate() {
                let (fp, fm) = (eval(index, h), eval(index, -h));
                let numeric = (fp - fm) / (2.0 * h);
                let tol = self.atol + self.rtol * g.abs().max(numeric.abs());
                let (forward, backward) = ((fp - f0) / h, (f0 - fm) / h);
                if (forward - backward).abs() > 10.0 * tol {
                    report.skipped_kinks += 1;
                    continue;
                }
                report.checked += 1;
                if !g.is_finite() || (g - numeric).abs() > tol {
                    let reason = format!("difference {} exceeds tolerance {tol}", (g - numeric).abs());
                    return Err(GradCheckError { input: i, index, analytic: g, numeric, reason });
                }
            }
        }
        if report.checked == 0 && report.skipped_kinks > 0 {
            let reason = "every coordinate sits on a kink; move the inputs away from it".to_string();
            return Err(GradCheckError { input: 0, index: 0, analytic: f32::NAN, numeric: f32::NAN, reason });
        }
        Ok(report)
    }
}

/// A tracked leaf with `values`, laid out with the same strides as `like` (so a
/// transposed input stays transposed).
fn leaf_like(like: &Tensor, values: ndarray::ArrayD<f32>) -> Tensor {
    let mut a = values;
    if !like.array().is_standard_layout() && like.array().as_slice_memory_order().is_some() {
        // Rebuild the same memory order: permute to standard order, copy, permute back.
        let order = axis_order(like.array().strides());
        let standard = a.view().permuted_axes(order.clone()).as_standard_layout().into_owned();
        let mut inverse = vec![0; order.len()];
        for (k, &o) in order.iter().enumerate() {
            inverse[o] = k;
        }
        a = standard.permuted_axes(inverse);
    }
    Tensor::from_array(a).requires_grad()
}

/// Axes sorted by decreasing stride.
fn axis_order(strides: &[isize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..strides.len()).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(strides[k].unsigned_abs()));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catches_a_wrong_backward_rule() {
        let x = Tensor::from_vec(vec![0.5, 1.5], &[2]);
        let wrong = |xs: &[Tensor]| {
            let out = xs[0].array().mapv(|v| v * v);
            Tensor::from_op("wrong_square", out, &[&xs[0]], |ctx| {
                vec![Some(ctx.grad * &ctx.inputs[0].array().mapv(|v| 3.0 * v))]
            })
            .sum_all()
        };
        let err = check_gradients(wrong, &[x]).unwrap_err();
        assert_eq!((err.input, err.index), (0, 0));
        assert!((err.analytic - 1.5).abs() < 1e-6 && (err.numeric - 1.0).abs() < 1e-2, "{err}");
    }

    #[test]
    fn skips_kinks_and_fails_when_nothing_is_left() {
        let x = Tensor::from_vec(vec![0.0, 1.0], &[2]);
        let r = check_gradients(|xs| xs[0].relu().sum_all(), &[x]).unwrap();
        assert_eq!(r, GradCheckReport { checked: 1, skipped_kinks: 1 });
        let at_kink = Tensor::from_vec(vec![0.0], &[1]);
        assert!(check_gradients(|xs| xs[0].abs().sum_all(), &[at_kink]).is_err());
    }

    #[test]
    fn keeps_a_transposed_input_transposed() {
        let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).transpose(0, 1);
        let seen_layout = std::sync::Mutex::new(Vec::new());
        check_gradients(
            |xs| {
                seen_layout.lock().unwrap().push(xs[0].array().is_standard_layout());
                xs[0].square().sum_all()
            },
            &[x],
        )
        .unwrap();
        assert!(seen_layout.lock().unwrap().iter().all(|&s| !s));
    }
}
