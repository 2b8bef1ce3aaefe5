//! Max pooling that returns where each maximum came from, and max-unpooling from those
//! switches (PyTorch's `return_indices=True` and `max_unpool2d`): what a deconvnet uses
//! to map a feature back to the pixels that caused it.

use std::sync::Arc;

use ndarray::{Array4, ArrayD, ArrayView4, IxDyn};

use super::geometry;
use crate::Pool2dOptions;
use crate::autograd::BackwardCtx;
use crate::kernels::pool::{max_pool2d_backward, max_pool2d_forward};
use crate::ops::conv::as4;
use crate::tensor::Tensor;

/// Where each maximum of a [`Tensor::max_pool2d_with_indices`] came from: for every
/// output element `[n, c, i, j]`, the flat index `h·W + w` of its input element within
/// plane `[n, c]` of the unpadded `H × W` input (PyTorch's `return_indices` convention).
#[derive(Clone, Debug, PartialEq)]
pub struct PoolIndices {
    indices: Arc<Array4<u32>>,
    input_size: [usize; 2],
}

impl PoolIndices {
    /// The indices, shaped as the pooled output `[N, C, H_out, W_out]`.
    pub fn indices(&self) -> ArrayView4<'_, u32> {
        self.indices.view()
    }

    /// The pooled input's height and width: the default output size of
    /// [`Tensor::max_unpool2d`].
    pub fn input_size(&self) -> [usize; 2] {
        self.input_size
    }

    /// The indices in row-major order.
    pub fn to_vec(&self) -> Vec<u32> {
        self.indices.iter().copied().collect()
    }
}

impl Tensor {
    /// [`max_pool2d`](Tensor::max_pool2d) and where each maximum came from. Ties go to
    /// the first largest value in row-major order, as in PyTorch.
    ///
    /// # Panics
    /// As [`max_pool2d`](Tensor::max_pool2d), and if the input is not 4-D.
    ///
    /// ```
    /// use derin_tensor::{Pool2dOptions, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 2.0, 0.0, 3.0, 4.0, 9.0, 8.0], &[1, 1, 2, 4]);
    /// let (y, switches) = x.max_pool2d_with_indices([2, 2], &Pool2dOptions::default());
    /// assert_eq!(y.to_vec(), vec![5.0, 9.0]);
    /// assert_eq!(switches.to_vec(), vec![1, 6]); // row 0 column 1, row 1 column 2
    /// ```
    #[doc(alias = "return_indices")]
    pub fn max_pool2d_with_indices(&self, kernel: [usize; 2], opts: &Pool2dOptions) -> (Tensor, PoolIndices) {
        let geo = geometry("max_pool2d_with_indices", self.shape(), kernel, opts, false);
        let (y, argmax) = max_pool2d_forward(as4(self.array()), &geo);
        let indices = Arc::new(argmax);
        let switches = Arc::clone(&indices);
        let y = Tensor::from_op("max_pool2d", y.into_dyn(), &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(max_pool2d_backward(as4(ctx.grad), switches.view(), geo.in_size).into_dyn())]
        });
        (y, PoolIndices { indices, input_size: geo.in_size })
    }

    /// Max-unpooling (PyTorch's `max_unpool2d`): a zero map of `output_size` (by default
    /// the size of the input that was pooled) with each value of `self` put back where
    /// `indices` says its maximum came from. Where two values name one place (windows
    /// that overlap), the later one in row-major order stays, and only it gets a gradient.
    ///
    /// # Shapes
    /// `self`: `[N, C, H_out, W_out]` (the shape of `indices`), result `[N, C, H, W]`.
    ///
    /// # Panics
    /// If `self` and `indices` differ in shape, or an index falls outside `output_size`.
    ///
    /// ```
    /// use derin_tensor::{Pool2dOptions, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 2.0, 0.0, 3.0, 4.0, 9.0, 8.0], &[1, 1, 2, 4]);
    /// let (y, switches) = x.max_pool2d_with_indices([2, 2], &Pool2dOptions::default());
    /// let back = y.max_unpool2d(&switches, None);
    /// assert_eq!(back.to_vec(), vec![0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 9.0, 0.0]);
    /// ```
    #[doc(alias = "MaxUnpool2d")]
    pub fn max_unpool2d(&self, indices: &PoolIndices, output_size: Option<[usize; 2]>) -> Tensor {
        let [h, w] = output_size.unwrap_or(indices.input_size);
        assert!(
            self.shape() == indices.indices.shape(),
            "max_unpool2d: input {:?} does not match indices {:?}",
            self.shape(),
            indices.indices.shape()
        );
        let plane = h * w;
        if let Some(bad) = indices.indices.iter().find(|&&i| i as usize >= plane) {
            panic!("max_unpool2d: index {bad} is outside the output size [{h}, {w}]");
        }
        let (n, c) = (self.shape()[0], self.shape()[1]);
        let pooled = self.shape()[2] * self.shape()[3];
        let x = self.to_array();
        let xs = x.as_slice().expect("a fresh array");
        let idx = indices.to_vec();
        let mut out = vec![0.0f32; n * c * plane];
        for (p, dst) in out.chunks_exact_mut(plane).enumerate() {
            for (&v, &i) in xs[p * pooled..][..pooled].iter().zip(&idx[p * pooled..][..pooled]) {
                dst[i as usize] = v;
            }
        }
        let out = Array4::from_shape_vec((n, c, h, w), out).expect("n·c·h·w values");
        let in_shape = self.shape().to_vec();
        Tensor::from_op("max_unpool2d", out.into_dyn(), &[self], move |ctx: &BackwardCtx<'_>| {
            let g = ctx.grad.as_standard_layout();
            let gs = g.as_slice().expect("standard layout");
            let mut dx = vec![0.0f32; n * c * pooled];
            let mut owner = vec![usize::MAX; plane];
            for (p, d) in dx.chunks_exact_mut(pooled).enumerate() {
                let idx = &idx[p * pooled..][..pooled];
                idx.iter().enumerate().for_each(|(k, &i)| owner[i as usize] = k);
                for (k, (d, &i)) in d.iter_mut().zip(idx).enumerate() {
                    if owner[i as usize] == k {
                        *d = gs[p * plane + i as usize];
                    }
                }
            }
            vec![Some(ArrayD::from_shape_vec(IxDyn(&in_shape), dx).expect("one value per input element"))]
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use crate::{Padding, Pool2dOptions, Tensor};

    fn padded() -> Pool2dOptions {
        Pool2dOptions { stride: Some([2, 2]), padding: Padding::Explicit([1, 1]), ..Default::default() }
    }

    /// `(7·i) mod 11` for i in 0..40, `[1, 2, 4, 5]`: ties within some windows.
    fn input() -> Tensor {
        Tensor::from_vec((0..40).map(|i| ((7 * i) % 11) as f32).collect(), &[1, 2, 4, 5])
    }

    #[test]
    fn values_indices_and_unpooling_match_pytorch() {
        // torch 2.15.0, reference/vision_ops.py.
        let (y, idx) = input().max_pool2d_with_indices([2, 2], &padded());
        let want_y = [0., 7., 10., 4., 9., 10., 6., 9., 5., 8., 4., 7., 10., 8., 9., 3., 10., 9.];
        assert_eq!(y.shape(), &[1, 2, 3, 3]);
        close(&y, &want_y);
        assert_eq!(idx.to_vec(), vec![0, 1, 3, 10, 6, 14, 15, 17, 18, 0, 1, 3, 5, 11, 8, 15, 16, 19]);
        assert_eq!(idx.input_size(), [4, 5]);
        assert_eq!(idx.indices().shape(), &[1, 2, 3, 3]);
        let u = y.max_unpool2d(&idx, None);
        assert_eq!(u.shape(), &[1, 2, 4, 5]);
        let want_u = [
            0., 7., 0., 10., 0., 0., 9., 0., 0., 0., 4., 0., 0., 0., 10., 6., 0., 9., 5., 0., 8., 4., 0., 7., 0., 10.,
            0., 0., 9., 0., 0., 8., 0., 0., 0., 3., 10., 0., 0., 9.,
        ];
        close(&u, &want_u);
        // The same values as max_pool2d.
        assert_eq!(y.to_vec(), input().max_pool2d([2, 2], &padded()).to_vec());
        // A larger output size puts the values at the same flat indices.
        assert_eq!(y.max_unpool2d(&idx, Some([5, 5])).shape(), &[1, 2, 5, 5]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = away_from_kinks(&[2, 2, 4, 6], -1.0, 1.0, 5);
        let o = Pool2dOptions::default();
        grad_ok("max_pool2d_with_indices", |v| weighted_sum(&v[0].max_pool2d_with_indices([2, 2], &o).0), &[x.clone()]);
        let (_, idx) = x.max_pool2d_with_indices([2, 2], &o);
        let z = away_from_kinks(&[2, 2, 2, 3], -1.0, 1.0, 6);
        grad_ok("max_unpool2d", |v| weighted_sum(&v[0].max_unpool2d(&idx, None)), &[z]);
        // Overlapping windows (stride 1) name some places twice: the later value stays,
        // and the gradient agrees with that.
        let s1 = Pool2dOptions { stride: Some([1, 1]), ..Default::default() };
        let (y, idx) = x.max_pool2d_with_indices([2, 2], &s1);
        let ids = idx.to_vec();
        assert!((1..ids.len()).any(|i| ids[..i].contains(&ids[i])), "some index repeats");
        grad_ok("max_unpool2d overlapping", |v| weighted_sum(&v[0].max_unpool2d(&idx, None)), &[y.detach()]);
    }

    #[test]
    #[should_panic(expected = "max_unpool2d: input [1, 2, 2, 2] does not match indices [1, 2, 3, 3]")]
    fn shape_mismatch_is_named() {
        let (_, idx) = input().max_pool2d_with_indices([2, 2], &padded());
        Tensor::zeros(&[1, 2, 2, 2]).max_unpool2d(&idx, None);
    }

    #[test]
    #[should_panic(expected = "max_unpool2d: index 10 is outside the output size [2, 5]")]
    fn index_outside_the_output_is_named() {
        let (y, idx) = input().max_pool2d_with_indices([2, 2], &padded());
        y.max_unpool2d(&idx, Some([2, 5]));
    }

    #[test]
    #[should_panic(expected = "max_pool2d_with_indices: input must be [N, C, H, W], got shape [2, 4]")]
    fn needs_a_4d_input() {
        Tensor::zeros(&[2, 4]).max_pool2d_with_indices([2, 2], &Pool2dOptions::default());
    }
}
