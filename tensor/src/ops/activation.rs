//! Activation functions: sigmoid, tanh, relu, leaky_relu, elu, gelu (exact and tanh), silu, softplus,
//! softmax and log_softmax (both numerically stable).

use ndarray::Zip;

use super::axes::AxisIndex;
use crate::autograd::BackwardCtx;
use crate::tensor::Tensor;

fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) }
}

/// `ln(1 + eˣ)` without overflow.
fn softplus(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Standard normal CDF via `erf` (Abramowitz–Stegun 7.1.26 is too coarse, so a
/// series/continued-fraction-free rational approximation of erf with |error| < 1.2e-7).
fn erf(x: f32) -> f32 {
    let x = x as f64;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let y = t
        * (-x * x - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    (if x >= 0.0 { 1.0 - y } else { y - 1.0 }) as f32
}

const INV_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
const INV_SQRT_2PI: f32 = 0.398_942_3;

impl Tensor {
    /// `σ(x) = 1 / (1 + e⁻ˣ)`, range (0, 1); the output of a binary classifier.
    pub fn sigmoid(&self) -> Tensor {
        self.map_op("sigmoid", sigmoid, |_, y| y * (1.0 - y))
    }

    /// `tanh(x)`, range (−1, 1); used inside recurrent cells.
    pub fn tanh(&self) -> Tensor {
        self.map_op("tanh", f32::tanh, |_, y| 1.0 - y * y)
    }

    /// `x` for `x > 0`, else `slope·x` (Keras' default slope is 0.3, PyTorch's 0.01);
    /// keeps a gradient for negative inputs against dying ReLUs.
    pub fn leaky_relu(&self, slope: f32) -> Tensor {
        self.map_op(
            "leaky_relu",
            move |x| if x > 0.0 { x } else { slope * x },
            move |x, _| if x > 0.0 { 1.0 } else { slope },
        )
    }

    /// `x` for `x > 0`, else `α(eˣ − 1)`, range (−α, ∞).
    pub fn elu(&self, alpha: f32) -> Tensor {
        self.map_op(
            "elu",
            move |x| if x > 0.0 { x } else { alpha * x.exp_m1() },
            move |x, y| if x > 0.0 { 1.0 } else { y + alpha },
        )
    }

    /// `x·Φ(x)` with Φ the standard normal CDF (exact GELU, Keras `approximate=False`).
    pub fn gelu(&self) -> Tensor {
        self.map_op(
            "gelu",
            |x| x * 0.5 * (1.0 + erf(x * INV_SQRT_2)),
            |x, _| 0.5 * (1.0 + erf(x * INV_SQRT_2)) + x * INV_SQRT_2PI * (-0.5 * x * x).exp(),
        )
    }

    /// GELU's tanh approximation, `½x(1 + tanh(√(2/π)(x + 0.044715x³)))` (Keras
    /// `gelu(approximate=True)`, PyTorch `GELU(approximate='tanh')`); within 5e-4 of
    /// [`gelu`](Tensor::gelu).
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let y = Tensor::from_vec(vec![1.0], &[1]).gelu_tanh().item();
    /// assert!((y - 0.841_192).abs() < 1e-6); // torch 2.15: gelu(1, approximate='tanh')
    /// ```
    pub fn gelu_tanh(&self) -> Tensor {
        const C: f32 = 0.797_884_6; // √(2/π)
        const A: f32 = 0.044_715;
        self.map_op(
            "gelu_tanh",
            |x| 0.5 * x * (1.0 + (C * (x + A * x * x * x)).tanh()),
            |x, _| {
                let t = (C * (x + A * x * x * x)).tanh();
                0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * C * (1.0 + 3.0 * A * x * x)
            },
        )
    }

    /// `x·σ(x)` (SiLU / swish).
    pub fn silu(&self) -> Tensor {
        self.map_op(
            "silu",
            |x| x * sigmoid(x),
            |x, _| {
                let s = sigmoid(x);
                s * (1.0 + x * (1.0 - s))
            },
        )
    }

    /// `ln(1 + eˣ)`, range (0, ∞), computed without overflow.
    pub fn softplus(&self) -> Tensor {
        self.map_op("softplus", softplus, |x, _| sigmoid(x))
    }

    /// `eˣⁱ / Σⱼ eˣʲ` along `axis` (−1 is the last axis), range (0, 1) summing to 1; the
    /// output of a multi-class classifier. The maximum is subtracted first, so large inputs
    /// do not overflow.
    ///
    /// # Panics
    /// If `axis` is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1000.0, 1000.0], &[1, 2]);
    /// assert_eq!(x.softmax(1).to_vec(), vec![0.5, 0.5]);
    /// assert_eq!(x.softmax(-1).to_vec(), vec![0.5, 0.5]);
    /// ```
    pub fn softmax(&self, axis: impl AxisIndex) -> Tensor {
        let axis = axis.resolve("softmax", self.shape());
        let mut out = self.to_array();
        out.lanes_mut(ndarray::Axis(axis)).into_iter().for_each(|mut lane| {
            let m = lane.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            lane.mapv_inplace(|v| (v - m).exp());
            let s: f32 = lane.sum();
            lane.mapv_inplace(|v| v / s);
        });
        Tensor::from_op("softmax", out, &[self], move |ctx: &BackwardCtx<'_>| {
            // dx = y · (g − Σ g·y)
            let y = &ctx.output;
            let gy = Zip::from(ctx.grad).and(y).map_collect(|&g, &y| g * y);
            let s = gy.sum_axis(ndarray::Axis(axis)).insert_axis(ndarray::Axis(axis));
            vec![Some(Zip::from(y).and(ctx.grad).and_broadcast(&s).map_collect(|&y, &g, &s| y * (g - s)))]
        })
    }

    /// `x − logsumexp(x)` along `axis` (−1 is the last axis), computed stably.
    ///
    /// # Panics
    /// If `axis` is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let p = Tensor::from_vec(vec![3.0, 3.0], &[2, 1]).log_softmax(-2);
    /// assert_eq!(p.to_vec(), vec![-(2f32.ln()), -(2f32.ln())]);
    /// ```
    pub fn log_softmax(&self, axis: impl AxisIndex) -> Tensor {
        let axis = axis.resolve("log_softmax", self.shape());
        let mut out = self.to_array();
        out.lanes_mut(ndarray::Axis(axis)).into_iter().for_each(|mut lane| {
            let m = lane.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            let lse = m + lane.iter().map(|&v| (v - m).exp()).sum::<f32>().ln();
            lane.mapv_inplace(|v| v - lse);
        });
        Tensor::from_op("log_softmax", out, &[self], move |ctx: &BackwardCtx<'_>| {
            // dx = g − softmax · Σ g
            let s = ctx.grad.sum_axis(ndarray::Axis(axis)).insert_axis(ndarray::Axis(axis));
            vec![Some(
                Zip::from(&ctx.output).and(ctx.grad).and_broadcast(&s).map_collect(|&ly, &g, &s| g - ly.exp() * s),
            )]
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testing::*;

    #[test]
    fn forward_values() {
        let x = t(&[-1.0, 0.0, 2.0], &[3]);
        let s = |v: f32| 1.0 / (1.0 + (-v).exp());
        close(&x.sigmoid(), &[s(-1.0), 0.5, s(2.0)]);
        close(&x.tanh(), &[(-1f32).tanh(), 0.0, 2f32.tanh()]);
        close(&x.relu(), &[0.0, 0.0, 2.0]);
        close(&x.leaky_relu(0.3), &[-0.3, 0.0, 2.0]);
        close(&x.elu(1.0), &[(-1f32).exp() - 1.0, 0.0, 2.0]);
        // GELU reference values: x·Φ(x), Φ(−1) = 0.158655254, Φ(2) = 0.977249868.
        close(&x.gelu(), &[-0.158_655_25, 0.0, 1.954_499_7]);
        // torch 2.15.0 gelu(approximate="tanh") at −1, 0, 2 (reference/vision_ops.py).
        close(&x.gelu_tanh(), &[-0.158_808, 0.0, 1.954_598]);
        close(&x.silu(), &[-s(-1.0), 0.0, 2.0 * s(2.0)]);
        close(&x.softplus(), &[(1.0 + (-1f32).exp()).ln(), 2f32.ln(), (1.0 + 2f32.exp()).ln()]);
        let z = 1.0 + 1f32.exp() + 3f32.exp();
        close(&x.softmax(0), &[(-1f32).exp() / z * 1f32.exp(), 1.0 / z * 1f32.exp(), 3f32.exp() / z]);
        close(&x.log_softmax(0), &[-1.0 - (z / 1f32.exp()).ln(), -(z / 1f32.exp()).ln(), 2.0 - (z / 1f32.exp()).ln()]);
        // Stable for large inputs.
        close(&t(&[-1e4, 1e4], &[2]).softplus(), &[0.0, 1e4]);
        close(&t(&[-1e4, 1e4], &[2]).log_softmax(0), &[-2e4, 0.0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = away_from_kinks(&[3, 4], -3.0, 3.0, 7);
        type F = fn(&Tensor) -> Tensor;
        let fs: Vec<(&str, F)> = vec![
            ("sigmoid", |x| x.sigmoid()),
            ("tanh", |x| x.tanh()),
            ("relu", |x| x.relu()),
            ("leaky_relu", |x| x.leaky_relu(0.2)),
            ("elu", |x| x.elu(1.5)),
            ("gelu", |x| x.gelu()),
            ("gelu_tanh", |x| x.gelu_tanh()),
            ("silu", |x| x.silu()),
            ("softplus", |x| x.softplus()),
            ("softmax0", |x| x.softmax(0)),
            ("softmax1", |x| x.softmax(1)),
            ("log_softmax", |x| x.log_softmax(1)),
        ];
        for (name, f) in fs {
            grad_ok(name, |xs| weighted_sum(&f(&xs[0])), &[x.clone()]);
            grad_ok(name, |xs| weighted_sum(&f(&xs[0])), &[x.transpose(0, 1)]);
        }
    }

    #[test]
    #[should_panic(expected = "softmax: axis 2 is out of range for shape [3, 4]")]
    fn softmax_names_a_bad_axis() {
        Tensor::zeros(&[3, 4]).softmax(2);
    }
}
