//! Options of the convolutions and poolings: stride, padding (Keras' `valid`/`same`,
//! explicit amounts), dilation, groups.

/// Zeros added around the two spatial axes of a 2-D convolution or pooling.
///
/// ```
/// use derin_tensor::Padding;
/// // Keras `same`: 5 rows, stride 2, 3×3 kernel → 3 outputs, one zero row each side.
/// assert_eq!(Padding::Same.resolve([5, 6], [3, 3], [2, 2], [1, 1]), [1, 1, 0, 1]);
/// assert_eq!(Padding::Explicit([1, 2]).resolve([5, 6], [3, 3], [1, 1], [1, 1]), [1, 1, 2, 2]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Padding {
    /// No padding (Keras `valid`): windows only where they fit.
    #[default]
    Valid,
    /// Keras/TensorFlow `same`: `out = ceil(in / stride)`, with the total
    /// `max((out − 1)·stride + dilation·(kernel − 1) + 1 − in, 0)` split evenly and the
    /// odd one at the bottom/right.
    Same,
    /// The same amount on both sides of each axis, `[rows, columns]` (PyTorch's `padding`).
    Explicit([usize; 2]),
    /// Each side on its own: `[top, bottom, left, right]`.
    Asymmetric([usize; 4]),
}

impl Padding {
    /// The amounts `[top, bottom, left, right]` for an input of `input` (height, width).
    pub fn resolve(
        self,
        input: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        dilation: [usize; 2],
    ) -> [usize; 4] {
        match self {
            Padding::Valid => [0; 4],
            Padding::Same => {
                let [t, b] = same(input[0], kernel[0], stride[0], dilation[0]);
                let [l, r] = same(input[1], kernel[1], stride[1], dilation[1]);
                [t, b, l, r]
            }
            Padding::Explicit([h, w]) => [h, h, w, w],
            Padding::Asymmetric(p) => p,
        }
    }
}

/// Zeros added at the two ends of the axis of a 1-D convolution or pooling.
///
/// ```
/// use derin_tensor::Padding1d;
/// // Keras `causal`: all of the padding on the left, so output t sees inputs ≤ t only.
/// assert_eq!(Padding1d::Causal.resolve(10, 3, 1, 2), [4, 0]);
/// assert_eq!(Padding1d::Same.resolve(10, 4, 1, 1), [1, 2]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Padding1d {
    /// No padding (Keras `valid`).
    #[default]
    Valid,
    /// Keras/TensorFlow `same`, as [`Padding::Same`]: the odd zero goes on the right.
    Same,
    /// Keras `causal`: `dilation·(kernel − 1)` zeros on the left, none on the right
    /// (convolutions only).
    Causal,
    /// The same amount at both ends (PyTorch's `padding`).
    Explicit(usize),
    /// Each end on its own: `[left, right]`.
    Asymmetric([usize; 2]),
}

impl Padding1d {
    /// The amounts `[left, right]` for an input of length `input`.
    pub fn resolve(self, input: usize, kernel: usize, stride: usize, dilation: usize) -> [usize; 2] {
        match self {
            Padding1d::Valid => [0, 0],
            Padding1d::Same => same(input, kernel, stride, dilation),
            Padding1d::Causal => [dilation * kernel.saturating_sub(1), 0],
            Padding1d::Explicit(p) => [p, p],
            Padding1d::Asymmetric(p) => p,
        }
    }

    /// The 2-D padding of the same convolution run on a `[N, C, 1, L]` view.
    pub(crate) fn to_2d(self, input: usize, kernel: usize, stride: usize, dilation: usize) -> Padding {
        let [l, r] = self.resolve(input, kernel, stride, dilation);
        Padding::Asymmetric([0, 0, l, r])
    }
}

/// TensorFlow's `same` padding of one axis, `[before, after]`.
fn same(input: usize, kernel: usize, stride: usize, dilation: usize) -> [usize; 2] {
    let out = input.div_ceil(stride.max(1));
    let span = dilation * kernel.saturating_sub(1) + 1;
    let total = (out.saturating_sub(1) * stride + span).saturating_sub(input);
    [total / 2, total - total / 2]
}

/// Options of [`Tensor::conv2d`](crate::Tensor::conv2d) (PyTorch's `Conv2d` arguments,
/// Keras' `Conv2D` ones).
///
/// ```
/// use derin_tensor::{Conv2dOptions, Padding, Tensor};
/// // Keras `Conv2D(8, 3, strides=2, padding="same")` on 32×32 gives 16×16.
/// let o = Conv2dOptions { stride: [2, 2], padding: Padding::Same, ..Default::default() };
/// let y = Tensor::zeros(&[1, 3, 32, 32]).conv2d(&Tensor::zeros(&[8, 3, 3, 3]), None, &o);
/// assert_eq!(y.shape(), &[1, 8, 16, 16]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// Step between windows `[rows, columns]`; default `[1, 1]`.
    pub stride: [usize; 2],
    /// Zeros around the input; default [`Padding::Valid`].
    pub padding: Padding,
    /// Spacing between kernel taps (Keras `dilation_rate`); default `[1, 1]`.
    pub dilation: [usize; 2],
    /// Channel groups (`C_in` and `C_out` split into `groups` independent convolutions);
    /// default 1. `groups = C_in` is a depthwise convolution.
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions { stride: [1, 1], padding: Padding::Valid, dilation: [1, 1], groups: 1 }
    }
}

/// Options of [`Tensor::conv1d`](crate::Tensor::conv1d).
///
/// ```
/// use derin_tensor::{Conv1dOptions, Padding1d, Tensor};
/// let o = Conv1dOptions { padding: Padding1d::Explicit(1), dilation: 2, ..Default::default() };
/// let y = Tensor::zeros(&[2, 4, 10]).conv1d(&Tensor::zeros(&[6, 4, 3]), None, &o);
/// assert_eq!(y.shape(), &[2, 6, 8]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv1dOptions {
    /// Step between windows; default 1.
    pub stride: usize,
    /// Zeros at the ends; default [`Padding1d::Valid`].
    pub padding: Padding1d,
    /// Spacing between kernel taps; default 1.
    pub dilation: usize,
    /// Channel groups; default 1.
    pub groups: usize,
}

impl Default for Conv1dOptions {
    fn default() -> Self {
        Conv1dOptions { stride: 1, padding: Padding1d::Valid, dilation: 1, groups: 1 }
    }
}

/// Options of [`Tensor::conv_transpose2d`](crate::Tensor::conv_transpose2d), the
/// gradient of a [`conv2d`](crate::Tensor::conv2d) with these same options.
///
/// Output size per axis (PyTorch's formula, with [`Padding::Valid`] meaning 0):
/// `(in − 1)·stride − pad_before − pad_after + dilation·(kernel − 1) + 1 + output_padding`; with
/// [`Padding::Same`] it is `in·stride` (Keras' `Conv2DTranspose(padding="same")`). Keras'
/// `valid` matches `Valid` when `kernel ≥ stride`, and `output_padding = stride − kernel`
/// otherwise.
///
/// ```
/// use derin_tensor::{ConvTranspose2dOptions, Padding, Tensor};
/// // PyTorch's usual 2× upsampler: kernel 3, stride 2, padding 1, output_padding 1.
/// let o = ConvTranspose2dOptions {
///     stride: [2, 2],
///     padding: Padding::Explicit([1, 1]),
///     output_padding: [1, 1],
///     ..Default::default()
/// };
/// let y = Tensor::zeros(&[1, 8, 7, 7]).conv_transpose2d(&Tensor::zeros(&[8, 4, 3, 3]), None, &o);
/// assert_eq!(y.shape(), &[1, 4, 14, 14]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose2dOptions {
    /// Upsampling step `[rows, columns]`; default `[1, 1]`.
    pub stride: [usize; 2],
    /// Rows/columns cropped from the full transposed output (the padding of the forward
    /// convolution); default [`Padding::Valid`].
    pub padding: Padding,
    /// Extra rows/columns at the bottom/right, each below the stride; default `[0, 0]`.
    pub output_padding: [usize; 2],
    /// Spacing between kernel taps; default `[1, 1]`.
    pub dilation: [usize; 2],
    /// Channel groups; default 1.
    pub groups: usize,
}

impl Default for ConvTranspose2dOptions {
    fn default() -> Self {
        ConvTranspose2dOptions {
            stride: [1, 1],
            padding: Padding::Valid,
            output_padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
        }
    }
}

/// Options of [`Tensor::conv_transpose1d`](crate::Tensor::conv_transpose1d); see
/// [`ConvTranspose2dOptions`] for the output size. [`Padding1d::Causal`] is not accepted.
///
/// ```
/// use derin_tensor::{ConvTranspose1dOptions, Padding1d, Tensor};
/// let o = ConvTranspose1dOptions { stride: 4, padding: Padding1d::Same, ..Default::default() };
/// let y = Tensor::zeros(&[1, 2, 5]).conv_transpose1d(&Tensor::zeros(&[2, 3, 8]), None, &o);
/// assert_eq!(y.shape(), &[1, 3, 20]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose1dOptions {
    /// Upsampling step; default 1.
    pub stride: usize,
    /// Entries cropped from the full transposed output; default [`Padding1d::Valid`].
    pub padding: Padding1d,
    /// Extra entries at the end, below the stride; default 0.
    pub output_padding: usize,
    /// Spacing between kernel taps; default 1.
    pub dilation: usize,
    /// Channel groups; default 1.
    pub groups: usize,
}

impl Default for ConvTranspose1dOptions {
    fn default() -> Self {
        ConvTranspose1dOptions { stride: 1, padding: Padding1d::Valid, output_padding: 0, dilation: 1, groups: 1 }
    }
}
