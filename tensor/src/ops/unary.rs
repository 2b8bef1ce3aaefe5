//! Elementwise functions of one tensor (and a constant): neg, exp, log, sqrt, abs,
//! powf, clamp, scalar arithmetic. Each derivative sits beside its function.

use ndarray::{ArrayD, ArrayRefD, Zip};

use super::broadcast::map;
use crate::autograd::BackwardCtx;
use crate::tensor::Tensor;
use crate::threads::{self, PARALLEL_THRESHOLD};

impl Tensor {
    /// `y = f(x)` elementwise, with `dy/dx = df(x, y)`; the building block of every
    /// elementwise function here, and open to other crates.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad();
    /// let y = x.map_op("square", |v| v * v, |x, _y| 2.0 * x);
    /// let g = y.sum_all().backward();
    /// assert_eq!(g.get(&x).unwrap().to_vec(), vec![2.0, 4.0]);
    /// ```
    pub fn map_op<F, D>(&self, name: &'static str, f: F, df: D) -> Tensor
    where
        F: Fn(f32) -> f32 + Sync + Send,
        D: Fn(f32, f32) -> f32 + Sync + Send + 'static,
    {
        let out = map(&self.view(), f);
        Tensor::from_op(name, out, &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(grad_times(ctx.grad, &ctx.inputs[0].view(), &ctx.output, &df))]
        })
    }

    /// `-x`.
    pub fn neg(&self) -> Tensor {
        self.map_op("neg", |x| -x, |_, _| -1.0)
    }

    /// `eˣ`.
    pub fn exp(&self) -> Tensor {
        self.map_op("exp", f32::exp, |_, y| y)
    }

    /// Natural logarithm; `-inf` at 0 and NaN below, as in PyTorch.
    pub fn log(&self) -> Tensor {
        self.map_op("log", f32::ln, |x, _| 1.0 / x)
    }

    /// `√x`.
    pub fn sqrt(&self) -> Tensor {
        self.map_op("sqrt", f32::sqrt, |_, y| 0.5 / y)
    }

    /// `|x|`, with gradient `sign(x)` (0 at 0).
    pub fn abs(&self) -> Tensor {
        self.map_op("abs", f32::abs, |x, _| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        })
    }

    /// `xᵖ` for a constant exponent.
    pub fn powf(&self, p: f32) -> Tensor {
        self.map_op("powf", move |x| x.powf(p), move |x, _| if p == 0.0 { 0.0 } else { p * x.powf(p - 1.0) })
    }

    /// `x²`.
    pub fn square(&self) -> Tensor {
        self.map_op("square", |x| x * x, |x, _| 2.0 * x)
    }

    /// Limits every element to `[min, max]`; the gradient is 1 inside and 0 outside.
    ///
    /// # Panics
    /// If `min > max`.
    pub fn clamp(&self, min: f32, max: f32) -> Tensor {
        assert!(min <= max, "clamp: min {min} is above max {max}");
        self.map_op("clamp", move |x| x.clamp(min, max), move |x, _| if x >= min && x <= max { 1.0 } else { 0.0 })
    }

    /// `x + c`.
    pub fn add_scalar(&self, c: f32) -> Tensor {
        self.map_op("add_scalar", move |x| x + c, |_, _| 1.0)
    }

    /// `x · c`.
    pub fn mul_scalar(&self, c: f32) -> Tensor {
        self.map_op("mul_scalar", move |x| x * c, move |_, _| c)
    }

    /// `c / x`.
    pub fn rdiv_scalar(&self, c: f32) -> Tensor {
        self.map_op("rdiv_scalar", move |x| c / x, move |x, _| -c / (x * x))
    }

    /// `c - x`.
    pub fn rsub_scalar(&self, c: f32) -> Tensor {
        self.map_op("rsub_scalar", move |x| c - x, |_, _| -1.0)
    }
}

/// `grad · df(x, y)` elementwise (all three share one shape).
pub(crate) fn grad_times(
    grad: &ArrayRefD<f32>,
    x: &ArrayRefD<f32>,
    y: &ArrayRefD<f32>,
    df: impl Fn(f32, f32) -> f32 + Sync + Send,
) -> ArrayD<f32> {
    let same = grad.shape() == x.shape() && x.shape() == y.shape();
    if let (true, Some(g), Some(xs), Some(ys)) = (same, grad.as_slice(), x.as_slice(), y.as_slice())
        && g.len() >= PARALLEL_THRESHOLD
    {
        let out = threads::fill_ranges(g.len(), 1 << 14, |at, out| {
            out.iter_mut().zip(&g[at..]).zip(&xs[at..]).zip(&ys[at..]).for_each(|(((o, &g), &x), &y)| {
                o.write(g * df(x, y));
            })
        });
        return ArrayD::from_shape_vec(grad.raw_dim(), out).expect("same length");
    }
    let z = Zip::from(grad).and(x).and(y);
    if grad.len() >= PARALLEL_THRESHOLD {
        threads::install(|| z.par_map_collect(|&g, &x, &y| g * df(x, y)))
    } else {
        z.map_collect(|&g, &x, &y| g * df(x, y))
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testing::*;

    #[test]
    fn forward_values() {
        let x = t(&[1.0, 4.0, 9.0], &[3]);
        close(&x.sqrt(), &[1.0, 2.0, 3.0]);
        close(&x.neg(), &[-1.0, -4.0, -9.0]);
        close(&t(&[0.0, 1.0], &[2]).exp(), &[1.0, std::f32::consts::E]);
        close(&t(&[1.0, std::f32::consts::E], &[2]).log(), &[0.0, 1.0]);
        close(&t(&[-2.0, 3.0], &[2]).abs(), &[2.0, 3.0]);
        close(&t(&[2.0, 3.0], &[2]).powf(3.0), &[8.0, 27.0]);
        close(&t(&[-2.0, 0.5, 3.0], &[3]).clamp(-1.0, 1.0), &[-1.0, 0.5, 1.0]);
        close(&x.add_scalar(1.0), &[2.0, 5.0, 10.0]);
        close(&x.rdiv_scalar(36.0), &[36.0, 9.0, 4.0]);
        close(&x.rsub_scalar(1.0), &[0.0, -3.0, -8.0]);
        close(&x.square(), &[1.0, 16.0, 81.0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let pos = away_from_kinks(&[2, 3], 0.5, 2.0, 1);
        let any = away_from_kinks(&[2, 3], -2.0, 2.0, 2);
        let fs: Vec<(&str, fn(&Tensor) -> Tensor, &Tensor)> = vec![
            ("neg", |x| x.neg(), &any),
            ("exp", |x| x.exp(), &any),
            ("log", |x| x.log(), &pos),
            ("sqrt", |x| x.sqrt(), &pos),
            ("abs", |x| x.abs(), &any),
            ("powf", |x| x.powf(2.5), &pos),
            ("square", |x| x.square(), &any),
            ("clamp", |x| x.clamp(-1.0, 1.0), &any),
            ("scalar", |x| x.add_scalar(2.0).mul_scalar(3.0).rsub_scalar(1.0), &any),
            ("rdiv", |x| x.rdiv_scalar(2.0), &pos),
        ];
        for (name, f, x) in fs {
            grad_ok(name, |xs| weighted_sum(&f(&xs[0])), &[x.clone()]);
            grad_ok(name, |xs| weighted_sum(&f(&xs[0])), &[x.transpose(0, 1)]);
        }
    }

    #[test]
    #[should_panic(expected = "clamp: min 2 is above max 1")]
    fn clamp_checks_its_bounds() {
        t(&[1.0], &[1]).clamp(2.0, 1.0);
    }
}
