//! Pooling, channels-first: max and average pooling (1-D and 2-D), adaptive and
//! global average pooling, each with its gradient.

mod indices;
#[cfg(test)]
mod tests;

pub use indices::PoolIndices;

use super::conv::{Padding, Padding1d, as4, back_to};
use crate::autograd::BackwardCtx;
use crate::kernels::pool::{
    Pool2dGeometry, adaptive_avg_pool2d_backward, adaptive_avg_pool2d_forward, avg_pool2d_backward, avg_pool2d_forward,
    max_pool2d_backward, max_pool2d_forward,
};
use crate::tensor::Tensor;

/// Options of the 2-D poolings ([`Tensor::max_pool2d`], [`Tensor::avg_pool2d`]).
///
/// ```
/// use derin_tensor::{Padding, Pool2dOptions, Tensor};
/// // Keras `MaxPooling2D(3, strides=2, padding="same")`: 9×9 → 5×5.
/// let o = Pool2dOptions { stride: Some([2, 2]), padding: Padding::Same, ..Default::default() };
/// assert_eq!(Tensor::zeros(&[1, 1, 9, 9]).max_pool2d([3, 3], &o).shape(), &[1, 1, 5, 5]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dOptions {
    /// Step between windows; `None` (the default) means the kernel size, as in Keras and
    /// PyTorch.
    pub stride: Option<[usize; 2]>,
    /// Padding, at most half the kernel on every side; default [`Padding::Valid`].
    /// Max pooling never picks it; average pooling counts it as zeros or not, see
    /// `count_include_pad`.
    pub padding: Padding,
    /// Average pooling only: divide by the whole window `kh·kw` even where it covers
    /// padding (`true`, PyTorch's default) or by the input values it covers (`false`,
    /// what Keras' `AveragePooling2D(padding="same")` does).
    pub count_include_pad: bool,
}

impl Default for Pool2dOptions {
    fn default() -> Self {
        Pool2dOptions { stride: None, padding: Padding::Valid, count_include_pad: true }
    }
}

/// Options of the 1-D poolings ([`Tensor::max_pool1d`], [`Tensor::avg_pool1d`]); see
/// [`Pool2dOptions`]. [`Padding1d::Causal`] is not accepted.
///
/// ```
/// use derin_tensor::{Pool1dOptions, Tensor};
/// let o = Pool1dOptions { stride: Some(1), ..Default::default() };
/// assert_eq!(Tensor::zeros(&[1, 1, 9]).avg_pool1d(3, &o).shape(), &[1, 1, 7]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool1dOptions {
    /// Step between windows; `None` (the default) means the kernel size.
    pub stride: Option<usize>,
    /// Padding, at most half the kernel at each end; default [`Padding1d::Valid`].
    pub padding: Padding1d,
    /// Average pooling only: divide by the kernel size (`true`, the default) or by the
    /// input values in the window (`false`).
    pub count_include_pad: bool,
}

impl Default for Pool1dOptions {
    fn default() -> Self {
        Pool1dOptions { stride: None, padding: Padding1d::Valid, count_include_pad: true }
    }
}

impl Pool1dOptions {
    /// The same pooling on a `[N, C, 1, L]` view.
    fn to_2d(self, op: &str, kernel: usize) -> (Pool2dOptions, [usize; 2]) {
        let padding = match self.padding {
            Padding1d::Valid => Padding::Valid,
            Padding1d::Same => Padding::Same,
            Padding1d::Explicit(p) => Padding::Explicit([0, p]),
            Padding1d::Asymmetric([l, r]) => Padding::Asymmetric([0, 0, l, r]),
            Padding1d::Causal => panic!("{op}: causal padding is only for convolutions"),
        };
        let stride = self.stride.map(|s| [1, s]);
        (Pool2dOptions { stride, padding, count_include_pad: self.count_include_pad }, [1, kernel])
    }
}

/// Checks a pooling's input, kernel, stride and padding; returns the geometry on the
/// `[N, C, H, W]` view (`H = 1` for 1-D, whose messages then show the 1-D values).
#[track_caller]
fn geometry(op: &str, shape: &[usize], kernel: [usize; 2], opts: &Pool2dOptions, one_d: bool) -> Pool2dGeometry {
    let show = |v: [usize; 2]| if one_d { format!("{}", v[1]) } else { format!("{v:?}") };
    check_rank(op, shape, one_d);
    let stride = opts.stride.unwrap_or(kernel);
    assert!(
        kernel.iter().chain(&stride).all(|&v| v > 0),
        "{op}: kernel {} and stride {} must be positive",
        show(kernel),
        show(stride)
    );
    let in_size = if one_d { [1, shape[2]] } else { [shape[2], shape[3]] };
    let padding = opts.padding.resolve(in_size, kernel, stride, [1, 1]);
    let (shown_pad, off) = if one_d { (format!("{:?}", &padding[2..]), 2) } else { (format!("{padding:?}"), 0) };
    assert!(
        (off..4).all(|i| padding[i] <= kernel[i / 2] / 2),
        "{op}: padding {shown_pad} must be at most half the kernel {}",
        show(kernel)
    );
    let geo = Pool2dGeometry { in_size, kernel, stride, padding };
    assert!(
        geo.out_size().iter().all(|&o| o > 0),
        "{op}: kernel {} is larger than input {shape:?} with padding {shown_pad}",
        show(kernel)
    );
    geo
}

#[track_caller]
fn check_rank(op: &str, shape: &[usize], one_d: bool) {
    let (rank, axes) = if one_d { (3, "L") } else { (4, "H, W") };
    assert!(shape.len() == rank, "{op}: input must be [N, C, {axes}], got shape {shape:?}");
}

impl Tensor {
    /// Max pooling: the largest value of each `kernel` window. The gradient goes to the
    /// first largest value of each window (row-major order); padding is never picked.
    ///
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, H_out, W_out]`, `H_out = (H + pad_top + pad_bottom − kH) /
    /// sH + 1` (rounded down), `W_out` likewise.
    ///
    /// # Panics
    /// If the input is not 4-D, a kernel or stride is 0, a padding exceeds half the
    /// kernel, or the kernel is larger than the padded input; the message names the op
    /// and the shapes.
    ///
    /// ```
    /// use derin_tensor::{Pool2dOptions, Tensor};
    /// let x = Tensor::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]);
    /// let y = x.max_pool2d([2, 2], &Pool2dOptions::default());
    /// assert_eq!(y.to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
    /// ```
    #[doc(alias = "MaxPooling2D")]
    pub fn max_pool2d(&self, kernel: [usize; 2], opts: &Pool2dOptions) -> Tensor {
        let geo = geometry("max_pool2d", self.shape(), kernel, opts, false);
        self.max_pool(geo, "max_pool2d")
    }

    /// 1-D max pooling: [`max_pool2d`](Tensor::max_pool2d) along the last axis.
    ///
    /// # Shapes
    /// `[N, C, L]` → `[N, C, L_out]`, `L_out = (L + pad_left + pad_right − kernel) /
    /// stride + 1`.
    ///
    /// # Panics
    /// As [`max_pool2d`](Tensor::max_pool2d), and for [`Padding1d::Causal`].
    ///
    /// ```
    /// use derin_tensor::{Padding1d, Pool1dOptions, Tensor};
    /// let x = Tensor::from_vec(vec![3.0, 1.0, 4.0, 1.0, 5.0], &[1, 1, 5]);
    /// let same = Pool1dOptions { padding: Padding1d::Same, ..Default::default() };
    /// assert_eq!(x.max_pool1d(2, &same).to_vec(), vec![3.0, 4.0, 5.0]);
    /// ```
    #[doc(alias = "MaxPooling1D")]
    pub fn max_pool1d(&self, kernel: usize, opts: &Pool1dOptions) -> Tensor {
        let (o, k) = opts.to_2d("max_pool1d", kernel);
        let geo = geometry("max_pool1d", self.shape(), k, &o, true);
        self.max_pool(geo, "max_pool1d")
    }

    fn max_pool(&self, geo: Pool2dGeometry, name: &'static str) -> Tensor {
        let one_d = self.ndim() == 3;
        let (y, argmax) = max_pool2d_forward(as4(self.array()), &geo);
        Tensor::from_op(name, back_to(y, one_d), &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(back_to(max_pool2d_backward(as4(ctx.grad), argmax.view(), geo.in_size), one_d))]
        })
    }

    /// Average pooling: the mean of each `kernel` window; with padding, the divisor is
    /// set by [`Pool2dOptions::count_include_pad`] (PyTorch's `count_include_pad=True` by
    /// default: padded zeros count).
    ///
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, H_out, W_out]`, sizes as in
    /// [`max_pool2d`](Tensor::max_pool2d).
    ///
    /// # Panics
    /// As [`max_pool2d`](Tensor::max_pool2d).
    ///
    /// ```
    /// use derin_tensor::{Padding, Pool2dOptions, Tensor};
    /// let x = Tensor::ones(&[1, 1, 2, 2]);
    /// let padded = Pool2dOptions { stride: Some([1, 1]), padding: Padding::Same, ..Default::default() };
    /// // The last row/column of windows hangs over the padding.
    /// assert_eq!(x.avg_pool2d([2, 2], &padded).to_vec(), vec![1.0, 0.5, 0.5, 0.25]);
    /// let keras = Pool2dOptions { count_include_pad: false, ..padded };
    /// assert_eq!(x.avg_pool2d([2, 2], &keras).to_vec(), vec![1.0; 4]);
    /// ```
    #[doc(alias = "AveragePooling2D")]
    pub fn avg_pool2d(&self, kernel: [usize; 2], opts: &Pool2dOptions) -> Tensor {
        let geo = geometry("avg_pool2d", self.shape(), kernel, opts, false);
        self.avg_pool(geo, opts.count_include_pad, "avg_pool2d")
    }

    /// 1-D average pooling: [`avg_pool2d`](Tensor::avg_pool2d) along the last axis.
    ///
    /// # Shapes
    /// `[N, C, L]` → `[N, C, L_out]`, sizes as in [`max_pool1d`](Tensor::max_pool1d).
    ///
    /// # Panics
    /// As [`max_pool1d`](Tensor::max_pool1d).
    ///
    /// ```
    /// use derin_tensor::{Pool1dOptions, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 3.0, 5.0, 7.0], &[1, 1, 4]);
    /// let o = Pool1dOptions { stride: Some(1), ..Default::default() };
    /// assert_eq!(x.avg_pool1d(2, &o).to_vec(), vec![2.0, 4.0, 6.0]);
    /// ```
    #[doc(alias = "AveragePooling1D")]
    pub fn avg_pool1d(&self, kernel: usize, opts: &Pool1dOptions) -> Tensor {
        let (o, k) = opts.to_2d("avg_pool1d", kernel);
        let geo = geometry("avg_pool1d", self.shape(), k, &o, true);
        self.avg_pool(geo, o.count_include_pad, "avg_pool1d")
    }

    fn avg_pool(&self, geo: Pool2dGeometry, include_pad: bool, name: &'static str) -> Tensor {
        let one_d = self.ndim() == 3;
        let y = avg_pool2d_forward(as4(self.array()), &geo, include_pad);
        Tensor::from_op(name, back_to(y, one_d), &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(back_to(avg_pool2d_backward(as4(ctx.grad), &geo, include_pad), one_d))]
        })
    }

    /// Adaptive average pooling to a fixed `output` size (PyTorch's
    /// `adaptive_avg_pool2d`): output `(i, j)` averages input rows `floor(i·H/out_h) ..
    /// ceil((i+1)·H/out_h)` and the columns likewise, so bins may overlap.
    ///
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C, output[0], output[1]]`.
    ///
    /// # Panics
    /// If the input is not 4-D or has an empty plane, or an output size is 0.
    ///
    /// ```
    /// use derin_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]);
    /// assert_eq!(x.adaptive_avg_pool2d([2, 2]).to_vec(), vec![2.5, 4.5, 10.5, 12.5]);
    /// assert_eq!(x.adaptive_avg_pool2d([1, 1]).to_vec(), vec![7.5]);
    /// ```
    pub fn adaptive_avg_pool2d(&self, output: [usize; 2]) -> Tensor {
        check_rank("adaptive_avg_pool2d", self.shape(), false);
        self.adaptive(output, "adaptive_avg_pool2d")
    }

    /// Adaptive average pooling of `[N, C, L]` to `[N, C, output]`, bins as in
    /// [`adaptive_avg_pool2d`](Tensor::adaptive_avg_pool2d).
    ///
    /// # Shapes
    /// `[N, C, L]` → `[N, C, output]`.
    ///
    /// # Panics
    /// If the input is not 3-D or empty along `L`, or `output` is 0.
    ///
    /// ```
    /// use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 6.0], &[1, 1, 3]);
    /// assert_eq!(x.adaptive_avg_pool1d(2).to_vec(), vec![1.5, 4.0]);
    /// ```
    pub fn adaptive_avg_pool1d(&self, output: usize) -> Tensor {
        check_rank("adaptive_avg_pool1d", self.shape(), true);
        self.adaptive([1, output], "adaptive_avg_pool1d")
    }

    fn adaptive(&self, output: [usize; 2], name: &'static str) -> Tensor {
        let one_d = self.ndim() == 3;
        let x = as4(self.array());
        let in_size = [x.shape()[2], x.shape()[3]];
        let shown = if one_d { format!("{}", output[1]) } else { format!("{output:?}") };
        assert!(
            output[0] > 0 && output[1] > 0 && in_size[0] > 0 && in_size[1] > 0,
            "{name}: cannot pool input {:?} to output size {shown}",
            self.shape()
        );
        let y = adaptive_avg_pool2d_forward(x, output);
        Tensor::from_op(name, back_to(y, one_d), &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(back_to(adaptive_avg_pool2d_backward(as4(ctx.grad), in_size), one_d))]
        })
    }

    /// The mean over the spatial axes (Keras' `GlobalAveragePooling2D`).
    ///
    /// # Shapes
    /// `[N, C, H, W]` → `[N, C]`.
    ///
    /// # Panics
    /// If the input is not 4-D.
    ///
    /// ```
    /// use derin_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 8.0, 1.0).reshape(&[1, 2, 2, 2]);
    /// assert_eq!(x.global_avg_pool2d().to_vec(), vec![1.5, 5.5]);
    /// ```
    #[doc(alias = "GlobalAveragePooling2D")]
    pub fn global_avg_pool2d(&self) -> Tensor {
        check_rank("global_avg_pool2d", self.shape(), false);
        self.mean(&[2, 3], false)
    }

    /// The mean over the length axis (Keras' `GlobalAveragePooling1D`, channels-first).
    ///
    /// # Shapes
    /// `[N, C, L]` → `[N, C]`.
    ///
    /// # Panics
    /// If the input is not 3-D.
    ///
    /// ```
    /// use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 5.0], &[2, 1, 2]);
    /// assert_eq!(x.global_avg_pool1d().to_vec(), vec![1.5, 4.0]);
    /// ```
    #[doc(alias = "GlobalAveragePooling1D")]
    pub fn global_avg_pool1d(&self) -> Tensor {
        check_rank("global_avg_pool1d", self.shape(), true);
        self.mean(&[2], false)
    }
}
