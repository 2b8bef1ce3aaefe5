//! Padding: a constant border or a mirror image of the edge, on any axes.

use ndarray::{ArrayD, IxDyn, Slice};

use crate::autograd::BackwardCtx;
use crate::tensor::Tensor;

/// What [`Tensor::pad`] fills the border with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode {
    /// Every new entry is this value (`0.0` is zero padding).
    Constant(f32),
    /// The entries next to the edge, mirrored without repeating the edge itself
    /// (NumPy's and PyTorch's `"reflect"`): padding `[1, 2, 3]` by 2 on both sides gives
    /// `[3, 2, 1, 2, 3, 2, 1]`. Each pad must be smaller than its axis.
    Reflect,
}

impl Tensor {
    /// Adds `pads[i].0` entries before and `pads[i].1` entries after axis `i`, filled
    /// as `mode` says.
    ///
    /// `pads` has one `(before, after)` pair per axis, first axis first (unlike
    /// `torch.nn.functional.pad`, which lists the last axis first); see
    /// [`pad_last`](Tensor::pad_last) to pad only the trailing axes. The gradient is the
    /// slice of ∂loss/∂out that covers `self`, plus, for [`PadMode::Reflect`], the
    /// gradient of each mirrored entry added onto the entry it copies.
    ///
    /// # Shapes
    /// `self` `[n₀, n₁, …]`, output `[before₀ + n₀ + after₀, before₁ + n₁ + after₁, …]`.
    ///
    /// # Panics
    /// If `pads.len()` is not the number of axes, or, for [`PadMode::Reflect`], a pad of
    /// an axis is not smaller than that axis (the message names the pads and the shape).
    ///
    /// ```
    /// use derin_tensor::{PadMode, Tensor};
    ///
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let zero = x.pad(&[(0, 0), (1, 0)], PadMode::Constant(0.0));
    /// assert_eq!(zero.to_vec(), vec![0.0, 1.0, 2.0, 0.0, 3.0, 4.0]);
    ///
    /// let row = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    /// assert_eq!(row.pad(&[(2, 1)], PadMode::Reflect).to_vec(), vec![3.0, 2.0, 1.0, 2.0, 3.0, 2.0]);
    /// ```
    pub fn pad(&self, pads: &[(usize, usize)], mode: PadMode) -> Tensor {
        let shape = self.shape();
        assert_eq!(
            pads.len(),
            shape.len(),
            "pad: {} (before, after) pairs {pads:?} for shape {shape:?}; it needs one per axis",
            pads.len()
        );
        match mode {
            PadMode::Constant(value) => self.pad_constant(pads, value),
            PadMode::Reflect => {
                for (axis, (&(before, after), &n)) in pads.iter().zip(shape).enumerate() {
                    assert!(
                        (before == 0 && after == 0) || (before < n && after < n),
                        "pad: reflect padding ({before}, {after}) on axis {axis} needs both below the axis size \
                         {n} (shape {shape:?})"
                    );
                }
                // Reflection is a selection of rows, so `index_select` gives the forward
                // values and, by scatter-adding, the backward rule.
                let mut out = self.clone();
                for (axis, (&(before, after), &n)) in pads.iter().zip(shape).enumerate() {
                    if before > 0 || after > 0 {
                        out = out.index_select(axis, &reflected_positions(n, before, after));
                    }
                }
                out
            }
        }
    }

    /// [`pad`](Tensor::pad) for the last `pads.len()` axes only, in order (`pads[0]` is
    /// for axis `ndim − pads.len()`); the leading axes are left as they are.
    ///
    /// # Panics
    /// If `pads` is longer than the number of axes, or as [`pad`](Tensor::pad) does.
    ///
    /// ```
    /// use derin_tensor::{PadMode, Tensor};
    ///
    /// // A batch of two 1×2 images, with a one-pixel zero border.
    /// let images = Tensor::ones(&[2, 1, 2]);
    /// let padded = images.pad_last(&[(1, 1), (1, 1)], PadMode::Constant(0.0));
    /// assert_eq!(padded.shape(), &[2, 3, 4]);
    /// assert_eq!(padded.sum_all().item(), 4.0);
    /// ```
    pub fn pad_last(&self, pads: &[(usize, usize)], mode: PadMode) -> Tensor {
        let ndim = self.ndim();
        assert!(
            pads.len() <= ndim,
            "pad_last: {} (before, after) pairs {pads:?} for shape {:?}, which has only {ndim} axes",
            pads.len(),
            self.shape()
        );
        let mut all = vec![(0, 0); ndim - pads.len()];
        all.extend_from_slice(pads);
        self.pad(&all, mode)
    }

    fn pad_constant(&self, pads: &[(usize, usize)], value: f32) -> Tensor {
        let shape: Vec<usize> = pads.iter().zip(self.shape()).map(|(&(b, a), &n)| b + n + a).collect();
        let inner: Vec<Slice> = pads.iter().zip(self.shape()).map(|(&(b, _), &n)| Slice::from(b..b + n)).collect();
        let mut out = ArrayD::from_elem(IxDyn(&shape), value);
        out.slice_each_axis_mut(|ad| inner[ad.axis.index()]).assign(self.array());
        Tensor::from_op("pad", out, &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(ctx.grad.slice_each_axis(|ad| inner[ad.axis.index()]).to_owned())]
        })
    }
}

/// For each position of an axis of size `n` reflect-padded by `before` and `after`, the
/// position of `0..n` it copies: `before, …, 1, 0, 1, …, n − 1, n − 2, …, n − 1 − after`.
fn reflected_positions(n: usize, before: usize, after: usize) -> Vec<usize> {
    let mirror_before = (1..=before).rev();
    let mirror_after = (1..=after).map(|k| n - 1 - k);
    mirror_before.chain(0..n).chain(mirror_after).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::PadMode::{Constant, Reflect};
    use crate::Tensor;
    use crate::testing::*;

    #[test]
    fn forward_values() {
        let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        #[rustfmt::skip]
        close(&x.pad(&[(1, 0), (0, 1)], Constant(-1.0)), &[
            -1.0, -1.0, -1.0, -1.0,
            1.0, 2.0, 3.0, -1.0,
            4.0, 5.0, 6.0, -1.0,
        ]);
        // Rows mirror about row 0 / row 1, columns about column 0 / column 2.
        #[rustfmt::skip]
        close(&x.pad(&[(1, 1), (2, 2)], Reflect), &[
            6.0, 5.0, 4.0, 5.0, 6.0, 5.0, 4.0,
            3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0,
            6.0, 5.0, 4.0, 5.0, 6.0, 5.0, 4.0,
            3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0,
        ]);
        close(&x.t().pad(&[(0, 2), (0, 0)], Reflect), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0, 2.0, 5.0, 1.0, 4.0]);
        close(&x.t().pad_last(&[(1, 0)], Constant(0.0)), &[0.0, 1.0, 4.0, 0.0, 2.0, 5.0, 0.0, 3.0, 6.0]);
        assert_eq!(Tensor::zeros(&[1, 0]).pad(&[(0, 0), (1, 2)], Constant(0.0)).shape(), &[1, 3]);
        assert_eq!(Tensor::zeros(&[1, 0]).pad(&[(0, 0), (0, 0)], Reflect).shape(), &[1, 0]);
    }

    #[test]
    fn reflect_backward_adds_mirrored_gradients() {
        // [a, b, c] → [c, b, a, b, c, b]: b appears three times, c twice, a once.
        let x = t(&[1.0, 2.0, 3.0], &[3]).requires_grad();
        let y = x.pad(&[(2, 1)], Reflect);
        let grads = (&y * &t(&[1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0], &[6])).sum_all().backward();
        assert_eq!(grads.get(&x).unwrap().to_vec(), vec![100.0, 101010.0, 10001.0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = away_from_kinks(&[3, 4], -1.0, 1.0, 4);
        grad_ok(
            "pad_constant",
            |v| weighted_sum(&v[0].pad(&[(1, 2), (0, 3)], Constant(0.5))),
            std::slice::from_ref(&x),
        );
        grad_ok("pad_constant_t", |v| weighted_sum(&v[0].pad(&[(2, 0), (1, 1)], Constant(0.0))), &[x.t()]);
        grad_ok("pad_reflect", |v| weighted_sum(&v[0].pad(&[(2, 1), (3, 2)], Reflect)), std::slice::from_ref(&x));
        grad_ok("pad_reflect_t", |v| weighted_sum(&v[0].pad(&[(3, 3), (0, 2)], Reflect)), &[x.t()]);
        let cube = away_from_kinks(&[2, 3, 2], -1.0, 1.0, 5).permute(&[2, 0, 1]);
        grad_ok("pad_last_reflect", |v| weighted_sum(&v[0].pad_last(&[(1, 1), (2, 1)], Reflect)), &[cube]);
    }

    #[test]
    #[should_panic(expected = "pad: 1 (before, after) pairs [(1, 1)] for shape [2, 3]; it needs one per axis")]
    fn pad_needs_one_pair_per_axis() {
        Tensor::zeros(&[2, 3]).pad(&[(1, 1)], Constant(0.0));
    }

    #[test]
    #[should_panic(expected = "pad: reflect padding (1, 3) on axis 1 needs both below the axis size 3 (shape [2, 3])")]
    fn reflect_pad_must_be_smaller_than_the_axis() {
        Tensor::zeros(&[2, 3]).pad(&[(0, 0), (1, 3)], Reflect);
    }

    #[test]
    #[should_panic(expected = "pad_last: 3 (before, after) pairs [(1, 1), (1, 1), (1, 1)] for shape [2, 3]")]
    fn pad_last_checks_the_number_of_pairs() {
        Tensor::zeros(&[2, 3]).pad_last(&[(1, 1); 3], Constant(0.0));
    }

    proptest! {
        #[test]
        fn pad_then_narrow_is_identity(
            dims in proptest::collection::vec(1usize..5, 1..4),
            pads in proptest::collection::vec((0usize..4, 0usize..4), 3),
            reflect in any::<bool>(),
        ) {
            let n: usize = dims.iter().product();
            let x = Tensor::arange(0.0, n as f32, 1.0).reshape(&dims);
            // Reflect pads must stay below the axis size.
            let pads: Vec<(usize, usize)> = if reflect {
                dims.iter().zip(&pads).map(|(&d, &(b, a))| (b % d, a % d)).collect()
            } else {
                pads[..dims.len()].to_vec()
            };
            let y = x.pad(&pads, if reflect { Reflect } else { Constant(7.0) });
            let mut back = y.clone();
            for (axis, (&(b, _), &d)) in pads.iter().zip(&dims).enumerate() {
                prop_assert_eq!(y.shape()[axis], d + pads[axis].0 + pads[axis].1);
                back = back.narrow(axis, b, d);
            }
            prop_assert_eq!(back.to_vec(), x.to_vec());
        }
    }
}
