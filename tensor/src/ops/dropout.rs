//! Dropout: zeroing random elements during training, scaled so the expected value is
//! unchanged (inverted dropout).

use ndarray::ArrayD;

use crate::autograd::BackwardCtx;
use crate::init::Rng;
use crate::ops::unary::grad_times;
use crate::tensor::Tensor;

impl Tensor {
    /// Inverted dropout: each element is kept with probability `1 − rate` and then
    /// divided by `1 − rate`, or set to 0; the gradient flows through the kept elements
    /// with the same factor.
    ///
    /// The mask is drawn from `rng`, one uniform number per element in row-major order,
    /// so the same seed gives the same mask. This op always drops: training versus
    /// inference is the caller's business (`nn`'s `Dropout` layer calls it in training
    /// mode only and passes its input through unchanged at inference).
    ///
    /// # Shapes
    /// Any shape; the result has the input's shape.
    ///
    /// # Panics
    /// If `rate` is not in `[0, 1)`.
    ///
    /// ```
    /// use derin_tensor::{Rng, Tensor};
    /// let x = Tensor::ones(&[1000]);
    /// let y = x.dropout(0.25, &mut Rng::seed(1)).to_vec();
    /// // Kept values are scaled by 1 / (1 − 0.25).
    /// assert!(y.iter().all(|&v| v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6));
    /// let dropped = y.iter().filter(|&&v| v == 0.0).count();
    /// assert!((200..300).contains(&dropped));
    /// // Rate 0 is the identity.
    /// assert_eq!(x.dropout(0.0, &mut Rng::seed(1)).to_vec(), x.to_vec());
    /// ```
    #[doc(alias = "Dropout")]
    pub fn dropout(&self, rate: f32, rng: &mut Rng) -> Tensor {
        assert!((0.0..1.0).contains(&rate), "dropout: rate must be in [0, 1), got {rate}");
        if rate == 0.0 {
            return self.clone();
        }
        let scale = 1.0 / (1.0 - rate);
        let mask = ArrayD::from_shape_simple_fn(self.shape(), || if rng.uniform01() >= rate { scale } else { 0.0 });
        let out = &mask * self.array();
        Tensor::from_op("dropout", out, &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(grad_times(ctx.grad, &mask, &mask, |m, _| m))]
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use crate::{Rng, Tensor};

    #[test]
    fn keeps_and_scales_by_the_seeded_mask() {
        let x = away_from_kinks(&[4, 50], -2.0, 2.0, 1);
        let y = x.dropout(0.5, &mut Rng::seed(7));
        let (xs, ys) = (x.to_vec(), y.to_vec());
        let kept = ys.iter().filter(|&&v| v != 0.0).count();
        assert!((70..130).contains(&kept), "kept {kept} of 200");
        for (a, b) in xs.iter().zip(&ys) {
            assert!(*b == 0.0 || (b - 2.0 * a).abs() < 1e-6);
        }
        // The same seed gives the same mask; another seed another one.
        assert_eq!(x.dropout(0.5, &mut Rng::seed(7)).to_vec(), ys);
        assert_ne!(x.dropout(0.5, &mut Rng::seed(8)).to_vec(), ys);
        // The mask follows the generator's row-major draws: element i kept iff u_i ≥ rate.
        let mut rng = Rng::seed(7);
        let expect: Vec<bool> = (0..200).map(|_| rng.uniform01() >= 0.5).collect();
        assert_eq!(ys.iter().map(|&v| v != 0.0).collect::<Vec<_>>(), expect);
    }

    #[test]
    fn gradient_uses_the_same_mask() {
        let x = away_from_kinks(&[3, 4], -2.0, 2.0, 2).requires_grad();
        let y = x.dropout(0.3, &mut Rng::seed(3));
        let g = weighted_sum(&y).backward();
        let gx = g.get(&x).unwrap().to_vec();
        let (xs, ys) = (x.to_vec(), y.to_vec());
        for i in 0..12 {
            // y = m·x, so dy/dx = m = y/x.
            let w = 0.5 + ((i * 7919) % 13) as f32 / 13.0;
            assert!((gx[i] - w * ys[i] / xs[i]).abs() < 1e-5);
        }
        // A fixed mask (fresh generator per evaluation) makes dropout linear: finite differences agree.
        grad_ok("dropout", |v| weighted_sum(&v[0].dropout(0.3, &mut Rng::seed(3))), &[x.detach()]);
        grad_ok("dropout transposed", |v| weighted_sum(&v[0].dropout(0.6, &mut Rng::seed(4))), &[x.detach().t()]);
    }

    #[test]
    fn rate_zero_is_the_identity() {
        let x = Tensor::arange(0.0, 5.0, 1.0).requires_grad();
        let y = x.dropout(0.0, &mut Rng::seed(0));
        assert_eq!(y.id(), x.id());
    }

    #[test]
    #[should_panic(expected = "dropout: rate must be in [0, 1), got 1")]
    fn rate_one_is_refused() {
        Tensor::ones(&[2]).dropout(1.0, &mut Rng::seed(0));
    }

    #[test]
    #[should_panic(expected = "dropout: rate must be in [0, 1), got NaN")]
    fn nan_rate_is_refused() {
        Tensor::ones(&[2]).dropout(f32::NAN, &mut Rng::seed(0));
    }
}
