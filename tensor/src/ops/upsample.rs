//! Upsampling of `[N, C, H, W]` images: nearest neighbour by integer factors or to any
//! size, and bilinear to any size (PyTorch's `align_corners` both ways), with their gradients.

use ndarray::{Array4, ArrayView4, Ix4};

use crate::autograd::BackwardCtx;
use crate::kernels::pool::map_planes;
use crate::tensor::Tensor;

/// One output index of a linear interpolation: the two inputs and their weights.
#[derive(Clone, Copy, Debug)]
struct Lerp {
    i0: usize,
    i1: usize,
    w0: f32,
    w1: f32,
}

/// PyTorch's source positions for `out` samples of `len` inputs: with `align_corners` the
/// corner samples coincide (`src = o·(len−1)/(out−1)`), without it the pixel areas do
/// (`src = max((o + ½)·len/out − ½, 0)`).
fn lerps(len: usize, out: usize, align_corners: bool) -> Vec<Lerp> {
    // The scale first, then the position, in f32: PyTorch's order of rounding.
    let scale = match (align_corners, out > 1) {
        (true, true) => (len - 1) as f32 / (out - 1) as f32,
        (true, false) => 0.0,
        (false, _) => len as f32 / out as f32,
    };
    (0..out)
        .map(|o| {
            let src = if align_corners { scale * o as f32 } else { (scale * (o as f32 + 0.5) - 0.5).max(0.0) };
            let i0 = (src as usize).min(len - 1);
            let i1 = (i0 + 1).min(len - 1);
            let w1 = if i1 == i0 { 0.0 } else { src - i0 as f32 };
            Lerp { i0, i1, w0: 1.0 - w1, w1 }
        })
        .collect()
}

fn four(a: &ndarray::ArrayRefD<f32>) -> ArrayView4<'_, f32> {
    a.view().into_dimensionality::<Ix4>().expect("checked 4-D")
}

#[track_caller]
fn check(op: &str, shape: &[usize]) {
    assert!(shape.len() == 4, "{op}: input must be [N, C, H, W], got shape {shape:?}");
}

impl Tensor {
    /// Nearest-neighbour upsampling by integer factors: `y[n, c, i, j] = x[n, c, i / sh,
    /// j / sw]`, every pixel repeated `sh × sw` times (Keras' `UpSampling2D`).
    ///
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, H·sh, W·sw]`.
    ///
    /// # Panics
    /// If the input is not 4-D or a factor is 0.
    ///
    /// ```
    /// use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[1, 1, 1, 2]);
    /// let y = x.upsample_nearest2d([2, 2]);
    /// assert_eq!(y.to_vec(), vec![1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
    /// ```
    #[doc(alias = "UpSampling2D")]
    pub fn upsample_nearest2d(&self, scale: [usize; 2]) -> Tensor {
        let op = "upsample_nearest2d";
        check(op, self.shape());
        assert!(scale[0] > 0 && scale[1] > 0, "{op}: scale factors {scale:?} must be positive");
        let [h, w] = [self.shape()[2], self.shape()[3]];
        let rows = (0..h * scale[0]).map(|i| i / scale[0]).collect();
        let cols = (0..w * scale[1]).map(|j| j / scale[1]).collect();
        self.nearest(op, rows, cols)
    }

    /// Nearest-neighbour resizing to `size` (height, width) with PyTorch's
    /// `F.interpolate(mode="nearest")` semantics: output row `i` copies input row
    /// `min(⌊i·H/H_out⌋, H − 1)` (the ratio in `f32`, as PyTorch computes it), columns
    /// likewise. This is how a feature pyramid brings a top-down map to a lateral map of
    /// odd size; it also shrinks.
    ///
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, size[0], size[1]]`.
    ///
    /// # Panics
    /// If the input is not 4-D or has an empty plane, or a size is 0.
    ///
    /// ```
    /// use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[1, 1, 1, 2]);
    /// assert_eq!(x.upsample_nearest2d_to([1, 3]).to_vec(), vec![1.0, 1.0, 2.0]);
    /// ```
    #[doc(alias = "interpolate")]
    pub fn upsample_nearest2d_to(&self, size: [usize; 2]) -> Tensor {
        let op = "upsample_nearest2d_to";
        check(op, self.shape());
        let [h, w] = [self.shape()[2], self.shape()[3]];
        assert!(
            size[0] > 0 && size[1] > 0 && h > 0 && w > 0,
            "{op}: cannot resize input {:?} to size {size:?}",
            self.shape()
        );
        let source = |len: usize, out: usize| -> Vec<usize> {
            let scale = len as f32 / out as f32;
            (0..out).map(|o| ((o as f32 * scale).floor() as usize).min(len - 1)).collect()
        };
        self.nearest(op, source(h, size[0]), source(w, size[1]))
    }

    /// `y[n, c, i, j] = x[n, c, rows[i], cols[j]]`, and its gradient (each output's
    /// gradient added to the input it copied).
    fn nearest(&self, op: &'static str, rows: Vec<usize>, cols: Vec<usize>) -> Tensor {
        let x = four(self.array()).as_standard_layout().into_owned();
        let (n, c, h, w) = x.dim();
        let (oh, ow) = (rows.len(), cols.len());
        let mut y = Array4::<f32>::zeros((n, c, oh, ow));
        let xs = x.as_slice().expect("standard layout");
        map_planes(xs, h * w, y.as_slice_mut().expect("fresh array"), oh * ow, |_, src, dst| {
            for (&r, row) in rows.iter().zip(dst.chunks_mut(ow)) {
                let s = &src[r * w..][..w];
                row.iter_mut().zip(&cols).for_each(|(d, &q)| *d = s[q]);
            }
        });
        Tensor::from_op(op, y.into_dyn(), &[self], move |ctx: &BackwardCtx<'_>| {
            let g = four(ctx.grad).as_standard_layout().into_owned();
            let mut dx = Array4::<f32>::zeros((n, c, h, w));
            let gs = g.as_slice().expect("standard layout");
            map_planes(gs, oh * ow, dx.as_slice_mut().expect("fresh array"), h * w, |_, src, dst| {
                for (&r, row) in rows.iter().zip(src.chunks(ow)) {
                    let d = &mut dst[r * w..][..w];
                    row.iter().zip(&cols).for_each(|(v, &q)| d[q] += v);
                }
            });
            vec![Some(dx.into_dyn())]
        })
    }

    /// Bilinear resizing to `size` (height, width) with PyTorch's `upsample_bilinear2d`
    /// (`F.interpolate(mode="bilinear")`) semantics: with `align_corners` the corner
    /// pixels' centres map onto each other, `src = dst·(in − 1)/(out − 1)`; without it the
    /// image edges do, `src = max((dst + ½)·in/out − ½, 0)`; each output mixes its two
    /// nearest rows and columns (clamped at the last one). Works for shrinking too.
    ///
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, size[0], size[1]]`.
    ///
    /// # Panics
    /// If the input is not 4-D or has an empty plane, or a size is 0.
    ///
    /// ```
    /// use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[1, 1, 1, 2]);
    /// assert_eq!(x.upsample_bilinear2d([1, 4], false).to_vec(), vec![1.0, 1.25, 1.75, 2.0]);
    /// let y = x.upsample_bilinear2d([1, 3], true).to_vec();
    /// assert_eq!(y, vec![1.0, 1.5, 2.0]);
    /// ```
    pub fn upsample_bilinear2d(&self, size: [usize; 2], align_corners: bool) -> Tensor {
        let op = "upsample_bilinear2d";
        check(op, self.shape());
        let x = four(self.array()).as_standard_layout().into_owned();
        let (n, c, h, w) = x.dim();
        assert!(
            size[0] > 0 && size[1] > 0 && h > 0 && w > 0,
            "{op}: cannot resize input {:?} to size {size:?}",
            self.shape()
        );
        let (rows, cols) = (lerps(h, size[0], align_corners), lerps(w, size[1], align_corners));
        let [oh, ow] = size;
        let mut y = Array4::<f32>::zeros((n, c, oh, ow));
        let xs = x.as_slice().expect("standard layout");
        map_planes(xs, h * w, y.as_slice_mut().expect("fresh array"), oh * ow, |_, src, dst| {
            for (r, row) in rows.iter().zip(dst.chunks_mut(ow)) {
                let (top, bottom) = (&src[r.i0 * w..][..w], &src[r.i1 * w..][..w]);
                for (q, d) in cols.iter().zip(row) {
                    let t = q.w0 * top[q.i0] + q.w1 * top[q.i1];
                    let b = q.w0 * bottom[q.i0] + q.w1 * bottom[q.i1];
                    *d = r.w0 * t + r.w1 * b;
                }
            }
        });
        Tensor::from_op(op, y.into_dyn(), &[self], move |ctx: &BackwardCtx<'_>| {
            let g = four(ctx.grad).as_standard_layout().into_owned();
            let mut dx = Array4::<f32>::zeros((n, c, h, w));
            let gs = g.as_slice().expect("standard layout");
            map_planes(gs, oh * ow, dx.as_slice_mut().expect("fresh array"), h * w, |_, src, dst| {
                for (r, row) in rows.iter().zip(src.chunks(ow)) {
                    for (q, &v) in cols.iter().zip(row) {
                        for (i, wr) in [(r.i0, r.w0), (r.i1, r.w1)] {
                            dst[i * w + q.i0] += v * wr * q.w0;
                            dst[i * w + q.i1] += v * wr * q.w1;
                        }
                    }
                }
            });
            vec![Some(dx.into_dyn())]
        })
    }
}

#[cfg(test)]
mod tests;
