//! `Conv1D` and `Conv2D`: convolution layers over signals and images.

use derin_tensor::{Conv1dOptions, Conv2dOptions, Padding, Padding1d, Rng, Tensor};

use serde_json::Value;

use super::conv_common::{ConvConfig, ConvWeights, check_channels, check_positive, conv_common_methods, conv_out};
use crate::DataFormat;
use crate::activation::Activation;
use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module, check_weight_size};
use crate::serialize::{KerasConfig, padding1d_value, padding2d_value};

/// 2-D convolution: `y[n, o, i, j] = activation(bias[o] + Σ_{c, a, b} kernel[o, c, a, b] ·
/// x[n, g·C/groups + c, i·sh + a·dh − pad_top, j·sw + b·dw − pad_left])`, `g` the group of
/// output channel `o` (PyTorch's `Conv2d`; the formula of [`Tensor::conv2d`]).
///
/// Keras defaults: strides 1, [`Padding::Valid`], dilation 1, one group, Glorot-uniform
/// kernel (fans `in/groups·kh·kw` and `filters·kh·kw`), zero bias, linear activation.
/// Built lazily like [`Dense`](crate::Dense): the kernel is made when the input's
/// channel count is known ([`Module::build`]).
///
/// **Kernel layout.** The weight `kernel` is stored as `[filters, in / groups, kh, kw]`,
/// the layout [`Tensor::conv2d`] takes (PyTorch's). Keras stores it as `[kh, kw, in /
/// groups, filters]`: a Keras kernel `k` becomes this one by permuting its axes with
/// `k.permute(&[3, 2, 0, 1])`.
///
/// # Shapes
/// Channels-first (default): input `[batch, in, h, w]`, output `[batch, filters, h_out,
/// w_out]`, `h_out = (h + pad_top + pad_bottom − dh·(kh − 1) − 1) / sh + 1` (rounded down;
/// `ceil(h / sh)` with [`Padding::Same`]). Channels-last: `[batch, h, w, in]` →
/// `[batch, h_out, w_out, filters]`.
///
/// # Errors
/// [`Module::output_shape`] and [`Module::build`] give [`Error::InputShape`] for an input
/// that is not 3-D (besides the batch axis), whose channels do not match the kernel or
/// `groups`, or that is smaller than the dilated kernel after padding; and
/// [`Error::Hyperparameter`] for a zero size or `filters` not divisible by `groups`.
///
/// ```
/// use derin_nn::{Activation, Conv2D, Ctx, Module};
/// use derin_tensor::{Padding, Rng, Tensor};
/// let mut conv = Conv2D::new(1, [2, 2], Activation::Linear).with_padding(Padding::Same);
/// conv.build(&[1, 3, 3], &mut Rng::seed(0)).unwrap();
/// conv.kernel().unwrap().set(Tensor::ones(&[1, 1, 2, 2]).to_array());
/// let y = conv.forward(&Tensor::ones(&[1, 1, 3, 3]), &mut Ctx::eval());
/// // `same` pads one zero row and column at the bottom/right: 4 ones, then 2, then 1.
/// assert_eq!(y.to_vec(), vec![4.0, 4.0, 2.0, 4.0, 4.0, 2.0, 2.0, 2.0, 1.0]);
/// ```
#[doc(alias = "Conv2d")]
#[derive(Clone, Debug)]
pub struct Conv2D {
    core: LayerCore,
    filters: usize,
    kernel_size: [usize; 2],
    strides: [usize; 2],
    padding: Padding,
    dilation_rate: [usize; 2],
    groups: usize,
    activation: Activation,
    data_format: DataFormat,
    weights: ConvWeights,
}

impl Conv2D {
    /// An unbuilt layer with `filters` output channels and a `kernel_size` = `[kh, kw]`
    /// window.
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv2D, Module};
    /// let c = Conv2D::new(32, [3, 3], Activation::Relu);
    /// assert_eq!(c.output_shape(&[1, 28, 28]).unwrap(), vec![32, 26, 26]);
    /// assert_eq!(c.name(), "conv2d");
    /// ```
    pub fn new(filters: usize, kernel_size: [usize; 2], activation: Activation) -> Self {
        Conv2D {
            core: LayerCore::new("conv2d"),
            filters,
            kernel_size,
            strides: [1, 1],
            padding: Padding::Valid,
            dilation_rate: [1, 1],
            groups: 1,
            activation,
            data_format: DataFormat::ChannelsFirst,
            weights: ConvWeights::new(),
        }
    }

    /// Steps between windows `[rows, columns]` (Keras' `strides`, default `[1, 1]`).
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv2D, Module};
    /// let c = Conv2D::new(4, [3, 3], Activation::Linear).with_strides([2, 2]);
    /// assert_eq!(c.output_shape(&[1, 9, 9]).unwrap(), vec![4, 4, 4]); // (9 − 3) / 2 + 1
    /// ```
    pub fn with_strides(mut self, strides: [usize; 2]) -> Self {
        self.strides = strides;
        self
    }

    /// Zeros around the input: [`Padding::Valid`] (default), [`Padding::Same`] (output
    /// `ceil(in / stride)`, the odd zero at the bottom/right as in Keras), or explicit
    /// amounts as in PyTorch.
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv2D, Module};
    /// # use derin_tensor::Padding;
    /// let c = Conv2D::new(4, [3, 3], Activation::Linear).with_strides([2, 2]).with_padding(Padding::Same);
    /// assert_eq!(c.output_shape(&[1, 9, 9]).unwrap(), vec![4, 5, 5]);
    /// ```
    pub fn with_padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// Spacing between kernel taps (Keras' `dilation_rate`, default `[1, 1]`).
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv2D, Module};
    /// let c = Conv2D::new(1, [3, 3], Activation::Linear).with_dilation_rate([2, 2]);
    /// assert_eq!(c.output_shape(&[1, 9, 9]).unwrap(), vec![1, 5, 5]); // span 5
    /// ```
    pub fn with_dilation_rate(mut self, dilation_rate: [usize; 2]) -> Self {
        self.dilation_rate = dilation_rate;
        self
    }

    /// Splits the input and output channels into `groups` independent convolutions
    /// (default 1; `groups` = input channels = `filters` is a depthwise convolution).
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv2D, Module};
    /// # use derin_tensor::Rng;
    /// let mut c = Conv2D::new(4, [3, 3], Activation::Linear).with_groups(2);
    /// c.build(&[6, 5, 5], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(c.kernel().unwrap().shape(), vec![4, 3, 3, 3]);
    /// ```
    pub fn with_groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }

    conv_common_methods!(Conv2D, "Conv2D::new(2, [3, 3], Activation::Linear)", "[1, 4, 4]");

    /// The (unbuilt) layer a Keras `Conv2D` config describes.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let k = ConvConfig::read(c, "conv2d", 2)?;
        Ok(Conv2D {
            core: k.core,
            filters: k.filters,
            kernel_size: [k.kernel_size[0], k.kernel_size[1]],
            strides: [k.strides[0], k.strides[1]],
            padding: c.padding2d()?,
            dilation_rate: [k.dilation_rate[0], k.dilation_rate[1]],
            groups: k.groups,
            activation: k.activation,
            data_format: k.data_format,
            weights: k.weights,
        })
    }

    fn config(&self) -> ConvConfig {
        ConvConfig {
            core: self.core.clone(),
            filters: self.filters,
            kernel_size: self.kernel_size.to_vec(),
            strides: self.strides.to_vec(),
            dilation_rate: self.dilation_rate.to_vec(),
            groups: self.groups,
            activation: self.activation,
            data_format: self.data_format,
            weights: self.weights.clone(),
        }
    }

    fn options(&self) -> Conv2dOptions {
        Conv2dOptions { stride: self.strides, padding: self.padding, dilation: self.dilation_rate, groups: self.groups }
    }
}

impl Module for Conv2D {
    /// # Panics
    /// If the layer is not built or the input does not fit (see [`Tensor::conv2d`]).
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        // As Keras, convolutions and poolings do not support masking: a mask stops here.
        ctx.set_mask(None);
        let (kernel, bias) = self.weights.values(&self.label(), self.trainable());
        let y = self.data_format.to_first(x).conv2d(&kernel, bias.as_ref(), &self.options());
        self.activation.apply(&self.data_format.back_from_first(&y))
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let label = self.label();
        check_hyper(&label, self.filters, &self.kernel_size, &self.strides, &self.dilation_rate, self.groups)?;
        let layout = self.data_format.describe("height, width");
        let bad = |expected: String| Error::InputShape { layer: label.clone(), expected, got: input.to_vec() };
        let (channels, spatial) =
            self.data_format.split(input).filter(|_| input.len() == 3).ok_or_else(|| bad(layout.clone()))?;
        let expected = self.weights.kernel.as_ref().map(|k| k.shape()[1] * self.groups);
        check_channels(label.clone(), input, channels, expected, self.groups, layout.clone())?;
        let (k, s, d) = (self.kernel_size, self.strides, self.dilation_rate);
        let pads = self.padding.resolve([spatial[0], spatial[1]], k, s, d);
        let out: Option<Vec<usize>> =
            (0..2).map(|i| conv_out(spatial[i], [pads[2 * i], pads[2 * i + 1]], k[i], s[i], d[i])).collect();
        let span = [0, 1].map(|i| d[i] * (k[i] - 1) + 1);
        let out = out.ok_or_else(|| {
            bad(format!("{layout} at least as large as the dilated kernel {span:?} after padding {pads:?}"))
        })?;
        Ok(self.data_format.join(self.filters, &out))
    }

    fn build(&mut self, input: &[usize], rng: &mut Rng) -> Result<()> {
        self.output_shape(input)?;
        if self.weights.kernel.is_none() {
            let (channels, _) = self.data_format.split(input).expect("checked by output_shape");
            let [kh, kw] = self.kernel_size;
            let shape = [self.filters, channels / self.groups, kh, kw];
            check_weight_size(self.label(), input, "kernel", &shape)?;
            self.weights.make(&shape, self.filters, rng);
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "Conv2D"
    }

    fn keras_config(&self) -> Result<Value> {
        self.config().write(&self.label(), padding2d_value(&self.label(), self.padding)?, false)
    }

    /// The kernel: Derin `[filters, in/groups, kh, kw]`, Keras `[kh, kw, in/groups, filters]`.
    fn keras_weight_axes(&self, index: usize) -> Option<Vec<usize>> {
        (index == 0).then(|| vec![2, 3, 1, 0])
    }

    fn regularization_loss(&self) -> Option<Tensor> {
        self.weights.regularization_loss()
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }

    fn weights(&self) -> Vec<derin_tensor::Param> {
        self.weights.named(&self.core.name)
    }
}

/// 1-D convolution over `[batch, channels, length]` signals (or `[batch, time,
/// features]` sequences with [`DataFormat::ChannelsLast`]): `y[n, o, t] =
/// activation(bias[o] + Σ_{c, a} kernel[o, c, a] · x[n, g·C/groups + c, t·stride +
/// a·dilation − pad_left])` (PyTorch's `Conv1d`; the formula of [`Tensor::conv1d`]).
///
/// Keras defaults as [`Conv2D`]; the padding may also be [`Padding1d::Causal`]
/// (`dilation·(k − 1)` zeros on the left, so output `t` sees inputs up to `t` only).
///
/// **Kernel layout.** `kernel` is stored as `[filters, in / groups, k]`
/// ([`Tensor::conv1d`]'s layout); Keras' is `[k, in / groups, filters]`, which becomes
/// this one with `k.permute(&[2, 1, 0])`.
///
/// # Shapes
/// Channels-first (default): `[batch, in, length]` → `[batch, filters, length_out]`,
/// `length_out = (length + pads − dilation·(k − 1) − 1) / stride + 1` (rounded down;
/// `ceil(length / stride)` with `Same`, `length` with `Causal` and stride 1).
/// Channels-last: `[batch, length, in]` → `[batch, length_out, filters]`.
///
/// # Errors
/// As [`Conv2D`], for 2-D inputs (besides the batch axis).
///
/// ```
/// use derin_nn::{Activation, Conv1D, Ctx, Module};
/// use derin_tensor::{Padding1d, Rng, Tensor};
/// let mut conv = Conv1D::new(1, 2, Activation::Linear).with_padding(Padding1d::Causal);
/// conv.build(&[1, 4], &mut Rng::seed(0)).unwrap();
/// conv.kernel().unwrap().set(Tensor::from_vec(vec![1.0, 10.0], &[1, 1, 2]).to_array());
/// let y = conv.forward(&Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 1, 4]), &mut Ctx::eval());
/// assert_eq!(y.to_vec(), vec![10.0, 21.0, 32.0, 43.0]); // x[t−1] + 10·x[t]
/// ```
#[doc(alias = "Conv1d")]
#[derive(Clone, Debug)]
pub struct Conv1D {
    core: LayerCore,
    filters: usize,
    kernel_size: usize,
    strides: usize,
    padding: Padding1d,
    dilation_rate: usize,
    groups: usize,
    activation: Activation,
    data_format: DataFormat,
    weights: ConvWeights,
}

impl Conv1D {
    /// An unbuilt layer with `filters` output channels and windows of `kernel_size`.
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv1D, Module};
    /// let c = Conv1D::new(16, 5, Activation::Relu);
    /// assert_eq!(c.output_shape(&[8, 100]).unwrap(), vec![16, 96]);
    /// assert_eq!(c.name(), "conv1d");
    /// ```
    pub fn new(filters: usize, kernel_size: usize, activation: Activation) -> Self {
        Conv1D {
            core: LayerCore::new("conv1d"),
            filters,
            kernel_size,
            strides: 1,
            padding: Padding1d::Valid,
            dilation_rate: 1,
            groups: 1,
            activation,
            data_format: DataFormat::ChannelsFirst,
            weights: ConvWeights::new(),
        }
    }

    /// Step between windows (Keras' `strides`, default 1).
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv1D, Module};
    /// let c = Conv1D::new(2, 3, Activation::Linear).with_strides(2);
    /// assert_eq!(c.output_shape(&[1, 9]).unwrap(), vec![2, 4]);
    /// ```
    pub fn with_strides(mut self, strides: usize) -> Self {
        self.strides = strides;
        self
    }

    /// Zeros at the ends: [`Padding1d::Valid`] (default), `Same`, `Causal`, or explicit.
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv1D, Module};
    /// # use derin_tensor::Padding1d;
    /// let c = Conv1D::new(2, 3, Activation::Linear).with_padding(Padding1d::Same);
    /// assert_eq!(c.output_shape(&[1, 9]).unwrap(), vec![2, 9]);
    /// ```
    pub fn with_padding(mut self, padding: Padding1d) -> Self {
        self.padding = padding;
        self
    }

    /// Spacing between kernel taps (Keras' `dilation_rate`, default 1).
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv1D, Module};
    /// let c = Conv1D::new(2, 3, Activation::Linear).with_dilation_rate(4);
    /// assert_eq!(c.output_shape(&[1, 9]).unwrap(), vec![2, 1]); // span 9
    /// ```
    pub fn with_dilation_rate(mut self, dilation_rate: usize) -> Self {
        self.dilation_rate = dilation_rate;
        self
    }

    /// Splits the channels into `groups` independent convolutions (default 1).
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv1D, Module};
    /// # use derin_tensor::Rng;
    /// let mut c = Conv1D::new(4, 3, Activation::Linear).with_groups(4);
    /// c.build(&[4, 10], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(c.kernel().unwrap().shape(), vec![4, 1, 3]); // depthwise
    /// ```
    pub fn with_groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }

    conv_common_methods!(Conv1D, "Conv1D::new(2, 3, Activation::Linear)", "[1, 5]");

    /// The (unbuilt) layer a Keras `Conv1D` config describes.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let k = ConvConfig::read(c, "conv1d", 1)?;
        Ok(Conv1D {
            core: k.core,
            filters: k.filters,
            kernel_size: k.kernel_size[0],
            strides: k.strides[0],
            padding: c.padding1d()?,
            dilation_rate: k.dilation_rate[0],
            groups: k.groups,
            activation: k.activation,
            data_format: k.data_format,
            weights: k.weights,
        })
    }

    fn options(&self) -> Conv1dOptions {
        Conv1dOptions { stride: self.strides, padding: self.padding, dilation: self.dilation_rate, groups: self.groups }
    }
}

impl Module for Conv1D {
    /// # Panics
    /// If the layer is not built or the input does not fit (see [`Tensor::conv1d`]).
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        // As Keras, convolutions and poolings do not support masking: a mask stops here.
        ctx.set_mask(None);
        let (kernel, bias) = self.weights.values(&self.label(), self.trainable());
        let y = self.data_format.to_first(x).conv1d(&kernel, bias.as_ref(), &self.options());
        self.activation.apply(&self.data_format.back_from_first(&y))
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let label = self.label();
        let (k, s, d) = (self.kernel_size, self.strides, self.dilation_rate);
        check_hyper(&label, self.filters, &[k], &[s], &[d], self.groups)?;
        let layout = self.data_format.describe("length");
        let bad = |expected: String| Error::InputShape { layer: label.clone(), expected, got: input.to_vec() };
        let (channels, spatial) =
            self.data_format.split(input).filter(|_| input.len() == 2).ok_or_else(|| bad(layout.clone()))?;
        let expected = self.weights.kernel.as_ref().map(|k| k.shape()[1] * self.groups);
        check_channels(label.clone(), input, channels, expected, self.groups, layout.clone())?;
        let pads = self.padding.resolve(spatial[0], k, s, d);
        let out = conv_out(spatial[0], pads, k, s, d).ok_or_else(|| {
            bad(format!("{layout} at least as long as the dilated kernel {} after padding {pads:?}", d * (k - 1) + 1))
        })?;
        Ok(self.data_format.join(self.filters, &[out]))
    }

    fn build(&mut self, input: &[usize], rng: &mut Rng) -> Result<()> {
        self.output_shape(input)?;
        if self.weights.kernel.is_none() {
            let (channels, _) = self.data_format.split(input).expect("checked by output_shape");
            let shape = [self.filters, channels / self.groups, self.kernel_size];
            check_weight_size(self.label(), input, "kernel", &shape)?;
            self.weights.make(&shape, self.filters, rng);
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "Conv1D"
    }

    fn keras_config(&self) -> Result<Value> {
        let k = ConvConfig {
            core: self.core.clone(),
            filters: self.filters,
            kernel_size: vec![self.kernel_size],
            strides: vec![self.strides],
            dilation_rate: vec![self.dilation_rate],
            groups: self.groups,
            activation: self.activation,
            data_format: self.data_format,
            weights: self.weights.clone(),
        };
        k.write(&self.label(), padding1d_value(&self.label(), self.padding)?, false)
    }

    /// The kernel: Derin `[filters, in/groups, k]`, Keras `[k, in/groups, filters]`.
    fn keras_weight_axes(&self, index: usize) -> Option<Vec<usize>> {
        (index == 0).then(|| vec![2, 1, 0])
    }

    fn regularization_loss(&self) -> Option<Tensor> {
        self.weights.regularization_loss()
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }

    fn weights(&self) -> Vec<derin_tensor::Param> {
        self.weights.named(&self.core.name)
    }
}

/// Zero sizes and `filters` not divisible by `groups` are hyperparameter errors.
fn check_hyper(
    label: &str,
    filters: usize,
    kernel: &[usize],
    strides: &[usize],
    dilation: &[usize],
    groups: usize,
) -> Result<()> {
    check_positive(label, "filters", &[filters])?;
    check_positive(label, "kernel_size", kernel)?;
    check_positive(label, "strides", strides)?;
    check_positive(label, "dilation_rate", dilation)?;
    check_positive(label, "groups", &[groups])?;
    if !filters.is_multiple_of(groups) {
        let what = format!("{label} filters {filters} with groups {groups}");
        return Err(Error::Hyperparameter { what, value: filters as f64, range: "multiples of groups" });
    }
    Ok(())
}
