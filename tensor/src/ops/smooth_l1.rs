//! Smooth L1, elementwise: the box-regression loss of detectors (Fast R-CNN, the RPN).

use crate::tensor::Tensor;

impl Tensor {
    /// PyTorch's `smooth_l1_loss(self, target, beta, reduction='none')`: with
    /// `e = self − target`, `0.5·e²/beta` where `|e| < beta`, else `|e| − 0.5·beta`
    /// (`beta = 0` is the L1 loss). Torchvision's detectors use `beta = 1/9`. It is
    /// Huber's loss divided by `beta`. Differentiable in both arguments, which broadcast
    /// as in subtraction; the gradient is `e/beta` inside and `sign(e)` outside (0 at
    /// `e = 0`).
    ///
    /// # Panics
    /// If `beta` is negative or not finite, or the shapes do not broadcast.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let pred = Tensor::from_vec(vec![0.5, -2.0], &[2]);
    /// let l = pred.smooth_l1(&Tensor::zeros(&[2]), 1.0);
    /// assert_eq!(l.to_vec(), vec![0.125, 1.5]); // ½·0.5², then 2 − ½
    /// ```
    pub fn smooth_l1(&self, target: &Tensor, beta: f32) -> Tensor {
        assert!(beta.is_finite() && beta >= 0.0, "smooth_l1: beta must be finite and ≥ 0, got {beta}");
        (self - target).map_op(
            "smooth_l1",
            move |e| if e.abs() < beta { 0.5 * e * e / beta } else { e.abs() - 0.5 * beta },
            move |e, _| if e.abs() < beta { e / beta } else { sign(e) },
        )
    }
}

/// −1, 0 or 1 (0 at ±0, as `torch.sign`).
fn sign(e: f32) -> f32 {
    if e > 0.0 {
        1.0
    } else if e < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testing::*;

    fn pair() -> (Tensor, Tensor) {
        (t(&[0.5, -2.0, 1.0, 3.0, 0.0, -0.25], &[2, 3]), t(&[0.0, 0.0, 1.2, 0.0, 0.0, 0.5], &[2, 3]))
    }

    #[test]
    fn values_match_pytorch() {
        // torch 2.15.0, reference/vision_ops.py.
        let (p, y) = pair();
        close(&p.smooth_l1(&y, 1.0), &[0.125, 1.5, 0.020_000_009, 2.5, 0.0, 0.281_25]);
        close(&p.smooth_l1(&y, 0.5), &[0.25, 1.75, 0.040_000_018, 2.75, 0.0, 0.5]);
        close(&p.smooth_l1(&y, 0.0), &[0.5, 2.0, 0.200_000_05, 3.0, 0.0, 0.75]);
        // Broadcasting a target row.
        close(&p.smooth_l1(&t(&[0.0, 0.0, 0.0], &[3]), 1.0), &[0.125, 1.5, 0.5, 2.5, 0.0, 0.031_25]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let p = away_from_kinks(&[3, 4], -3.0, 3.0, 11);
        let y = away_from_kinks(&[3, 4], -3.0, 3.0, 12);
        for beta in [1.0, 0.3, 0.0] {
            grad_ok(
                &format!("smooth_l1 beta {beta}"),
                |v| weighted_sum(&v[0].smooth_l1(&v[1], beta)),
                &[p.clone(), y.clone()],
            );
        }
    }

    #[test]
    #[should_panic(expected = "smooth_l1: beta must be finite and ≥ 0, got -1")]
    fn negative_beta_is_named() {
        let (p, y) = pair();
        p.smooth_l1(&y, -1.0);
    }
}
