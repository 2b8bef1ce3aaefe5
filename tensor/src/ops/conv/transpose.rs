//! Transposed convolutions (`conv_transpose1d`/`2d`, Keras' `Conv2DTranspose`): the
//! gradient of a convolution with respect to its input, run forward.

use ndarray::Ix1;

use super::{Padding, Padding1d, as4, back_to};
use crate::autograd::BackwardCtx;
use crate::kernels::conv::{
    Conv2dGeometry, conv2d_backward_bias, conv2d_backward_input, conv2d_backward_weight, conv2d_forward,
};
use crate::ops::conv::{ConvTranspose1dOptions, ConvTranspose2dOptions};
use crate::tensor::Tensor;

impl Tensor {
    /// Transposed 2-D convolution (also called deconvolution): the adjoint of
    /// [`conv2d`](Tensor::conv2d) with the same options, so each input pixel adds its
    /// weighted kernel into a `stride`-spaced place of the output, as in PyTorch's
    /// `conv_transpose2d`.
    ///
    /// # Shapes
    /// `self`: `[N, C_in, H, W]`; `weight`: `[C_in, C_out / groups, kH, kW]` (PyTorch's
    /// layout); `bias`: `[C_out]`; result `[N, C_out, H_out, W_out]` with `H_out = (H −
    /// 1)·sh − pad_top − pad_bottom + dh·(kH − 1) + 1 + output_padding[0]`, or `H·sh` for
    /// [`Padding::Same`] (see [`ConvTranspose2dOptions`]).
    ///
    /// # Panics
    /// If a shape is not as above (the message names the op and both shapes),
    /// `groups` does not divide the channels, a stride or dilation is 0, an output
    /// padding is not below its stride (or is not 0 with `Same`), or the output would be
    /// empty.
    ///
    /// ```
    /// use derin_tensor::{ConvTranspose2dOptions, Tensor};
    /// // Stride 2 with a 2×2 kernel of ones: every input pixel becomes a 2×2 block.
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[1, 1, 1, 2]);
    /// let w = Tensor::ones(&[1, 1, 2, 2]);
    /// let opts = ConvTranspose2dOptions { stride: [2, 2], ..Default::default() };
    /// let y = x.conv_transpose2d(&w, None, &opts);
    /// assert_eq!(y.shape(), &[1, 1, 2, 4]);
    /// assert_eq!(y.to_vec(), vec![1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
    /// ```
    #[doc(alias = "Conv2DTranspose")]
    #[doc(alias = "deconvolution")]
    pub fn conv_transpose2d(&self, weight: &Tensor, bias: Option<&Tensor>, opts: &ConvTranspose2dOptions) -> Tensor {
        let op = "conv_transpose2d";
        check_transpose(op, self.shape(), weight.shape(), bias, opts.groups, 4);
        let (x, w) = (self.shape(), weight.shape());
        let axes = [0, 1].map(|i| Axis2 {
            input: x[2 + i],
            kernel: w[2 + i],
            stride: opts.stride[i],
            dilation: opts.dilation[i],
        });
        let geo = geometry(op, x, w, axes, opts.padding, opts.output_padding, opts.groups);
        transpose_op(op, self, weight, bias, geo)
    }

    /// Transposed 1-D convolution: [`conv_transpose2d`](Tensor::conv_transpose2d) with a
    /// single row.
    ///
    /// # Shapes
    /// `self`: `[N, C_in, L]`; `weight`: `[C_in, C_out / groups, k]`; `bias`: `[C_out]`;
    /// result `[N, C_out, L_out]`, `L_out = (L − 1)·stride − pad_left − pad_right +
    /// dilation·(k − 1) + 1 + output_padding`, or `L·stride` for [`Padding1d::Same`].
    ///
    /// # Panics
    /// As [`conv_transpose2d`](Tensor::conv_transpose2d), and for [`Padding1d::Causal`].
    ///
    /// ```
    /// use derin_tensor::{ConvTranspose1dOptions, Padding1d, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[1, 1, 3]);
    /// let w = Tensor::from_vec(vec![1.0, 1.0, 1.0], &[1, 1, 3]);
    /// // Stride 1, same: each output sums its neighbourhood.
    /// let same = ConvTranspose1dOptions { padding: Padding1d::Same, ..Default::default() };
    /// assert_eq!(x.conv_transpose1d(&w, None, &same).to_vec(), vec![3.0, 6.0, 5.0]);
    /// ```
    #[doc(alias = "Conv1DTranspose")]
    pub fn conv_transpose1d(&self, weight: &Tensor, bias: Option<&Tensor>, opts: &ConvTranspose1dOptions) -> Tensor {
        let op = "conv_transpose1d";
        check_transpose(op, self.shape(), weight.shape(), bias, opts.groups, 3);
        let (x, w) = (self.shape(), weight.shape());
        let padding = match opts.padding {
            Padding1d::Valid => Padding::Valid,
            Padding1d::Same => Padding::Same,
            Padding1d::Explicit(p) => Padding::Explicit([0, p]),
            Padding1d::Asymmetric([l, r]) => Padding::Asymmetric([0, 0, l, r]),
            Padding1d::Causal => panic!("{op}: causal padding is not defined for a transposed convolution"),
        };
        let axes = [
            Axis2 { input: 1, kernel: 1, stride: 1, dilation: 1 },
            Axis2 { input: x[2], kernel: w[2], stride: opts.stride, dilation: opts.dilation },
        ];
        let geo = geometry(op, x, w, axes, padding, [0, opts.output_padding], opts.groups);
        transpose_op(op, self, weight, bias, geo)
    }
}

/// One spatial axis of a transposed convolution.
#[derive(Clone, Copy)]
struct Axis2 {
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
}

/// Checks ranks, channels, groups and bias; `w` is `[C_in, C_out / groups, k…]`.
#[track_caller]
fn check_transpose(op: &str, x: &[usize], w: &[usize], bias: Option<&Tensor>, groups: usize, rank: usize) {
    let spatial = if rank == 4 { "H, W" } else { "L" };
    let taps = if rank == 4 { "kH, kW" } else { "k" };
    assert!(x.len() == rank, "{op}: input must be [N, C, {spatial}], got shape {x:?}");
    assert!(w.len() == rank, "{op}: weight must be [C_in, C_out / groups, {taps}], got shape {w:?}");
    assert!(groups > 0, "{op}: groups must be positive, got 0");
    assert!(x[1] == w[0], "{op}: input has {} channels, weight expects {} (input {x:?}, weight {w:?})", x[1], w[0]);
    assert!(
        w[0].is_multiple_of(groups),
        "{op}: groups {groups} do not divide the {} input channels of weight {w:?}",
        w[0]
    );
    assert!(w[2..].iter().all(|&k| k > 0), "{op}: weight {w:?} has an empty kernel");
    if let Some(b) = bias {
        assert!(
            b.shape() == [w[1] * groups],
            "{op}: bias {:?} does not match the {} output channels of weight {w:?} (groups {groups})",
            b.shape(),
            w[1] * groups
        );
    }
}

/// The geometry of the convolution whose input gradient this transposed convolution is:
/// its input is the transposed output.
#[track_caller]
fn geometry(
    op: &str,
    x: &[usize],
    w: &[usize],
    axes: [Axis2; 2],
    padding: Padding,
    output_padding: [usize; 2],
    groups: usize,
) -> Conv2dGeometry {
    let (stride, dilation) = (axes.map(|a| a.stride), axes.map(|a| a.dilation));
    assert!(
        stride.iter().chain(&dilation).all(|&v| v > 0),
        "{op}: stride {stride:?} and dilation {dilation:?} must be positive"
    );
    assert!(
        output_padding[0] < stride[0] && output_padding[1] < stride[1],
        "{op}: output_padding {output_padding:?} must be smaller than the stride {stride:?}"
    );
    let kernel = axes.map(|a| a.kernel);
    let (out, pads) = if padding == Padding::Same {
        assert!(output_padding == [0, 0], "{op}: output_padding {output_padding:?} needs Valid or explicit padding");
        let out = axes.map(|a| a.input * a.stride);
        (out, padding.resolve(out, kernel, stride, dilation))
    } else {
        let pads = padding.resolve([0, 0], kernel, stride, dilation);
        let full = [0, 1].map(|i| {
            let a = axes[i];
            a.input.saturating_sub(1) * a.stride + a.dilation * (a.kernel - 1) + 1 + output_padding[i]
        });
        let out = [0, 1].map(|i| full[i].saturating_sub(pads[2 * i] + pads[2 * i + 1]));
        assert!(
            out[0] > 0 && out[1] > 0 && full[0] > pads[0] + pads[1] && full[1] > pads[2] + pads[3],
            "{op}: padding {pads:?} crops away the whole output of input {x:?} and weight {w:?}"
        );
        (out, pads)
    };
    let geo = Conv2dGeometry {
        in_channels: w[1] * groups,
        out_channels: w[0],
        in_size: out,
        kernel,
        stride,
        padding: pads,
        dilation,
        groups,
    };
    debug_assert_eq!(geo.out_size(), axes.map(|a| a.input));
    geo
}

/// The differentiable transposed convolution on checked inputs.
fn transpose_op(name: &'static str, x: &Tensor, w: &Tensor, bias: Option<&Tensor>, geo: Conv2dGeometry) -> Tensor {
    let one_d = x.ndim() == 3;
    let mut out = conv2d_backward_input(as4(x.array()), as4(w.array()), &geo);
    if let Some(b) = bias {
        let b = b.array().view().into_dimensionality::<Ix1>().expect("checked 1-D");
        for mut image in out.outer_iter_mut() {
            for (mut plane, &v) in image.outer_iter_mut().zip(&b) {
                plane += v;
            }
        }
    }
    let mut inputs = vec![x, w];
    inputs.extend(bias);
    Tensor::from_op(name, back_to(out, one_d), &inputs, move |ctx: &BackwardCtx<'_>| {
        let dy = as4(ctx.grad);
        let (x, w) = (as4(ctx.inputs[0].array()), as4(ctx.inputs[1].array()));
        let mut grads = vec![
            ctx.needs(0).then(|| back_to(conv2d_forward(dy, w, None, &geo), one_d)),
            ctx.needs(1).then(|| back_to(conv2d_backward_weight(dy, x, &geo), one_d)),
        ];
        if ctx.inputs.len() == 3 {
            grads.push(ctx.needs(2).then(|| conv2d_backward_bias(dy).into_dyn()));
        }
        grads
    })
}
