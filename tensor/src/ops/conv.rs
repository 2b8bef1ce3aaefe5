//! Convolutions, channels-first: `conv1d`, `conv2d` and (in `conv/transpose.rs`) their
//! transposes, on the tile-wise im2col + GEMM kernels of `kernels::conv`.

mod options;
mod transpose;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_transpose;

use ndarray::{ArrayD, ArrayRefD, ArrayView4, ArrayViewD, Axis, Ix1, Ix4};

use crate::autograd::BackwardCtx;
use crate::kernels::conv::{
    Conv2dGeometry, conv2d_backward_bias, conv2d_backward_input, conv2d_backward_weight,
    conv2d_backward_weight_and_bias, conv2d_forward,
};
use crate::tensor::Tensor;

pub use options::{Conv1dOptions, Conv2dOptions, ConvTranspose1dOptions, ConvTranspose2dOptions, Padding, Padding1d};

impl Tensor {
    /// 2-D convolution (cross-correlation, as in PyTorch and Keras):
    /// `y[n, o, i, j] = bias[o] + Σ_{c, a, b} w[o, c, a, b] · x[n, g·C_in/groups + c,
    /// i·sh + a·dh − pad_top, j·sw + b·dw − pad_left]`, zero outside the input, where `g` is
    /// the group of output channel `o`.
    ///
    /// # Shapes
    /// `self`: `[N, C_in, H, W]`; `weight`: `[C_out, C_in / groups, kH, kW]` (PyTorch's
    /// layout); `bias`: `[C_out]`; result `[N, C_out, H_out, W_out]` with `H_out = (H +
    /// pad_top + pad_bottom − dh·(kH − 1) − 1) / sh + 1` (rounded down), `W_out` likewise.
    ///
    /// # Panics
    /// If a shape is not as above (the message names the op and both shapes, e.g.
    /// `conv2d: input has 3 channels, weight expects 1`), `groups` does not divide the
    /// channels, a stride or dilation is 0, or the dilated kernel is larger than the
    /// padded input.
    ///
    /// ```
    /// use derin_tensor::{Conv2dOptions, Padding, Tensor};
    /// let x = Tensor::ones(&[1, 1, 4, 4]);
    /// let w = Tensor::ones(&[1, 1, 3, 3]);
    /// let same = Conv2dOptions { padding: Padding::Same, ..Default::default() };
    /// let y = x.conv2d(&w, None, &same);
    /// assert_eq!(y.shape(), &[1, 1, 4, 4]);
    /// // A corner window sees 2×2 ones, an inner one 3×3.
    /// assert_eq!(y.to_vec()[..2], [4.0, 6.0]);
    /// assert_eq!(y.to_vec()[5], 9.0);
    /// ```
    #[doc(alias = "Conv2D")]
    pub fn conv2d(&self, weight: &Tensor, bias: Option<&Tensor>, opts: &Conv2dOptions) -> Tensor {
        check_conv("conv2d", self.shape(), weight.shape(), bias, opts.groups, 4);
        let s = self.shape();
        let geo = geometry(
            "conv2d",
            self.shape(),
            weight.shape(),
            [s[2], s[3]],
            [weight.shape()[2], weight.shape()[3]],
            opts.stride,
            opts.padding,
            opts.dilation,
            opts.groups,
        );
        conv_op("conv2d", self, weight, bias, geo)
    }

    /// 1-D convolution: [`conv2d`](Tensor::conv2d) with a single row.
    ///
    /// # Shapes
    /// `self`: `[N, C_in, L]`; `weight`: `[C_out, C_in / groups, k]`; `bias`: `[C_out]`;
    /// result `[N, C_out, L_out]` with `L_out = (L + pad_left + pad_right − dilation·(k −
    /// 1) − 1) / stride + 1` (rounded down).
    ///
    /// # Panics
    /// As [`conv2d`](Tensor::conv2d), with `conv1d` in the messages.
    ///
    /// ```
    /// use derin_tensor::{Conv1dOptions, Padding1d, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 1, 4]);
    /// let w = Tensor::from_vec(vec![1.0, 10.0], &[1, 1, 2]);
    /// // Causal: output t sees x[t−1] and x[t] only.
    /// let causal = Conv1dOptions { padding: Padding1d::Causal, ..Default::default() };
    /// assert_eq!(x.conv1d(&w, None, &causal).to_vec(), vec![10.0, 21.0, 32.0, 43.0]);
    /// ```
    #[doc(alias = "Conv1D")]
    pub fn conv1d(&self, weight: &Tensor, bias: Option<&Tensor>, opts: &Conv1dOptions) -> Tensor {
        check_conv("conv1d", self.shape(), weight.shape(), bias, opts.groups, 3);
        let (len, k) = (self.shape()[2], weight.shape()[2]);
        let padding = opts.padding.to_2d(len, k, opts.stride, opts.dilation);
        let geo = geometry(
            "conv1d",
            self.shape(),
            weight.shape(),
            [1, len],
            [1, k],
            [1, opts.stride],
            padding,
            [1, opts.dilation],
            opts.groups,
        );
        conv_op("conv1d", self, weight, bias, geo)
    }
}

/// Checks ranks, channels, groups and bias of a convolution whose tensors have `rank`
/// axes; `weight` is in the convolution's own layout `[C_out, C_in / groups, k…]`.
#[track_caller]
pub(super) fn check_conv(op: &str, x: &[usize], w: &[usize], bias: Option<&Tensor>, groups: usize, rank: usize) {
    let spatial = if rank == 4 { "H, W" } else { "L" };
    let taps = if rank == 4 { "kH, kW" } else { "k" };
    assert!(x.len() == rank, "{op}: input must be [N, C, {spatial}], got shape {x:?}");
    assert!(w.len() == rank, "{op}: weight must be [C_out, C_in / groups, {taps}], got shape {w:?}");
    assert!(groups > 0, "{op}: groups must be positive, got 0");
    assert!(
        x[1] == w[1] * groups,
        "{op}: input has {} channels, weight expects {} (input {x:?}, weight {w:?}, groups {groups})",
        x[1],
        w[1] * groups
    );
    assert!(
        w[0].is_multiple_of(groups),
        "{op}: groups {groups} do not divide the {} output channels of weight {w:?}",
        w[0]
    );
    assert!(w[2..].iter().all(|&k| k > 0), "{op}: weight {w:?} has an empty kernel");
    if let Some(b) = bias {
        assert!(
            b.shape() == [w[0]],
            "{op}: bias {:?} does not match the {} output channels of weight {w:?}",
            b.shape(),
            w[0]
        );
    }
}

/// The kernel geometry of a convolution on a `[N, C, H, W]` view (`H = 1` for 1-D);
/// `x` and `w` are the caller's shapes, for the messages.
#[track_caller]
pub(super) fn geometry(
    op: &str,
    x: &[usize],
    w: &[usize],
    in_size: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: Padding,
    dilation: [usize; 2],
    groups: usize,
) -> Conv2dGeometry {
    assert!(
        stride.iter().chain(&dilation).all(|&v| v > 0),
        "{op}: stride {stride:?} and dilation {dilation:?} must be positive"
    );
    let padding = padding.resolve(in_size, kernel, stride, dilation);
    let geo =
        Conv2dGeometry { in_channels: x[1], out_channels: w[0], in_size, kernel, stride, padding, dilation, groups };
    assert!(
        geo.out_size().iter().all(|&o| o > 0),
        "{op}: the kernel of weight {w:?} (dilation {dilation:?}) is larger than input {x:?} with padding {padding:?}"
    );
    geo
}

/// A 3-D `[N, C, L]` array viewed as `[N, C, 1, L]`; 4-D arrays unchanged.
pub(super) fn as4(a: &ArrayRefD<f32>) -> ArrayView4<'_, f32> {
    let v: ArrayViewD<'_, f32> = if a.ndim() == 3 { a.view().insert_axis(Axis(2)) } else { a.view() };
    v.into_dimensionality::<Ix4>().expect("a 3-D or 4-D array")
}

/// `a` with the unit row axis of a 1-D view dropped again when `one_d`.
pub(super) fn back_to(a: ndarray::Array4<f32>, one_d: bool) -> ArrayD<f32> {
    if one_d { a.index_axis_move(Axis(2), 0).into_dyn() } else { a.into_dyn() }
}

/// The differentiable convolution on checked inputs (3-D tensors run as one-row 2-D).
fn conv_op(name: &'static str, x: &Tensor, w: &Tensor, bias: Option<&Tensor>, geo: Conv2dGeometry) -> Tensor {
    let one_d = x.ndim() == 3;
    let b = bias.map(|b| b.array().view().into_dimensionality::<Ix1>().expect("checked 1-D"));
    let out = back_to(conv2d_forward(as4(x.array()), as4(w.array()), b, &geo), one_d);
    let mut inputs = vec![x, w];
    inputs.extend(bias);
    Tensor::from_op(name, out, &inputs, move |ctx: &BackwardCtx<'_>| {
        let dy = as4(ctx.grad);
        let (x, w) = (as4(ctx.inputs[0].array()), as4(ctx.inputs[1].array()));
        let dx = ctx.needs(0).then(|| back_to(conv2d_backward_input(dy, w, &geo), one_d));
        let has_bias = ctx.inputs.len() == 3;
        if has_bias && ctx.needs(1) && ctx.needs(2) {
            // One pass over `dy` for both.
            let (dw, db) = conv2d_backward_weight_and_bias(x, dy, &geo);
            return vec![dx, Some(back_to(dw, one_d)), Some(db.into_dyn())];
        }
        let mut grads = vec![dx, ctx.needs(1).then(|| back_to(conv2d_backward_weight(x, dy, &geo), one_d))];
        if has_bias {
            grads.push(ctx.needs(2).then(|| conv2d_backward_bias(dy).into_dyn()));
        }
        grads
    })
}
