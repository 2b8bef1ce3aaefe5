//! `Conv2DTranspose`: the transposed ("de-") convolution layer, an upsampler.

use derin_tensor::{ConvTranspose2dOptions, Padding, Rng, Tensor};

use serde_json::Value;

use super::conv_common::{ConvConfig, ConvWeights, check_channels, check_positive, conv_common_methods};
use crate::DataFormat;
use crate::activation::Activation;
use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module, check_weight_size};
use crate::serialize::{KerasConfig, padding2d_value};

/// Transposed 2-D convolution: each input pixel adds its kernel, weighted by the pixel's
/// value, into a `strides`-spaced place of the output (the adjoint of a [`Conv2D`]
/// with the same options; the formula of [`Tensor::conv_transpose2d`]), then the bias
/// and activation (PyTorch's `ConvTranspose2d`).
///
/// Keras defaults: strides 1, [`Padding::Valid`], dilation 1, Glorot-uniform kernel,
/// zero bias, linear activation; built lazily like [`Conv2D`].
///
/// **Output size** per axis, as Keras computes it (`k' = dilation·(k − 1) + 1`):
/// `Valid` gives `in·stride + max(k' − stride, 0)` (so `(in − 1)·stride + k'`, plus the
/// `stride − k'` rows and columns of `output_padding` that only the bias reaches when
/// `k' < stride`); `Same` gives `in·stride`; explicit padding crops PyTorch's output
/// `(in − 1)·stride + k'` by the amounts given.
///
/// **Kernel layout.** `kernel` is stored as `[in, filters, kh, kw]`, the layout
/// [`Tensor::conv_transpose2d`] takes (PyTorch's). Keras stores it as `[kh, kw,
/// filters, in]`: a Keras kernel `k` becomes this one with `k.permute(&[3, 2, 0, 1])`.
/// The Glorot fans are Keras' for that kernel: `filters·kh·kw` in, `in·kh·kw` out.
///
/// # Shapes
/// Channels-first (default): `[batch, in, h, w]` → `[batch, filters, h_out, w_out]`;
/// channels-last: `[batch, h, w, in]` → `[batch, h_out, w_out, filters]`.
///
/// # Errors
/// [`Module::output_shape`] and [`Module::build`] give [`Error::InputShape`] for an input
/// that is not 3-D (besides the batch axis), has no channels or not the kernel's, or
/// whose output explicit padding would crop away; [`Error::Hyperparameter`] for a zero
/// size.
///
/// [`Conv2D`]: crate::Conv2D
///
/// ```
/// use derin_nn::{Activation, Conv2DTranspose, Ctx, Module};
/// use derin_tensor::{Rng, Tensor};
/// let mut up = Conv2DTranspose::new(1, [2, 2], Activation::Linear).with_strides([2, 2]);
/// assert_eq!(up.output_shape(&[1, 1, 2]).unwrap(), vec![1, 2, 4]);
/// up.build(&[1, 1, 2], &mut Rng::seed(0)).unwrap();
/// up.kernel().unwrap().set(Tensor::ones(&[1, 1, 2, 2]).to_array());
/// let y = up.forward(&Tensor::from_vec(vec![1.0, 2.0], &[1, 1, 1, 2]), &mut Ctx::eval());
/// assert_eq!(y.to_vec(), vec![1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]); // 2×2 blocks
/// ```
#[doc(alias = "ConvTranspose2d")]
#[doc(alias = "Deconvolution2D")]
#[derive(Clone, Debug)]
pub struct Conv2DTranspose {
    core: LayerCore,
    filters: usize,
    kernel_size: [usize; 2],
    strides: [usize; 2],
    padding: Padding,
    dilation_rate: [usize; 2],
    activation: Activation,
    data_format: DataFormat,
    weights: ConvWeights,
}

impl Conv2DTranspose {
    /// An unbuilt layer with `filters` output channels and a `kernel_size` = `[kh, kw]`
    /// kernel.
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv2DTranspose, Module};
    /// let up = Conv2DTranspose::new(8, [3, 3], Activation::Relu);
    /// assert_eq!(up.output_shape(&[4, 5, 5]).unwrap(), vec![8, 7, 7]);
    /// assert_eq!(up.name(), "conv2d_transpose");
    /// ```
    pub fn new(filters: usize, kernel_size: [usize; 2], activation: Activation) -> Self {
        Conv2DTranspose {
            core: LayerCore::new("conv2d_transpose"),
            filters,
            kernel_size,
            strides: [1, 1],
            padding: Padding::Valid,
            dilation_rate: [1, 1],
            activation,
            data_format: DataFormat::ChannelsFirst,
            weights: ConvWeights::new(),
        }
    }

    /// The upsampling steps `[rows, columns]` (Keras' `strides`, default `[1, 1]`).
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv2DTranspose, Module};
    /// let up = Conv2DTranspose::new(1, [3, 3], Activation::Linear).with_strides([2, 2]);
    /// assert_eq!(up.output_shape(&[1, 4, 4]).unwrap(), vec![1, 9, 9]); // 3·2 + 3
    /// ```
    pub fn with_strides(mut self, strides: [usize; 2]) -> Self {
        self.strides = strides;
        self
    }

    /// [`Padding::Valid`] (default), [`Padding::Same`] (output `in·stride`), or explicit
    /// amounts cropped from PyTorch's output.
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv2DTranspose, Module};
    /// # use derin_tensor::Padding;
    /// let up = Conv2DTranspose::new(1, [3, 3], Activation::Linear)
    ///     .with_strides([2, 2])
    ///     .with_padding(Padding::Same);
    /// assert_eq!(up.output_shape(&[1, 4, 4]).unwrap(), vec![1, 8, 8]);
    /// ```
    pub fn with_padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// Spacing between kernel taps (Keras' `dilation_rate`, default `[1, 1]`).
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv2DTranspose, Module};
    /// let up = Conv2DTranspose::new(1, [3, 3], Activation::Linear).with_dilation_rate([2, 2]);
    /// assert_eq!(up.output_shape(&[1, 4, 4]).unwrap(), vec![1, 8, 8]); // 3 + 5
    /// ```
    pub fn with_dilation_rate(mut self, dilation_rate: [usize; 2]) -> Self {
        self.dilation_rate = dilation_rate;
        self
    }

    conv_common_methods!(Conv2DTranspose, "Conv2DTranspose::new(2, [3, 3], Activation::Linear)", "[1, 4, 4]");

    /// The (unbuilt) layer a Keras `Conv2DTranspose` config describes (`output_padding`
    /// must be `null`: Derin derives it as Keras does then).
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let k = ConvConfig::read(c, "conv2d_transpose", 2)?;
        c.unsupported("output_padding", &Value::Null, "output_padding")?;
        if k.groups != 1 {
            return Err(c.error("groups", format!("groups {} is not supported", k.groups)));
        }
        Ok(Conv2DTranspose {
            core: k.core,
            filters: k.filters,
            kernel_size: [k.kernel_size[0], k.kernel_size[1]],
            strides: [k.strides[0], k.strides[1]],
            padding: c.padding2d()?,
            dilation_rate: [k.dilation_rate[0], k.dilation_rate[1]],
            activation: k.activation,
            data_format: k.data_format,
            weights: k.weights,
        })
    }

    /// The dilated kernel size per axis.
    fn span(&self) -> [usize; 2] {
        [0, 1].map(|i| self.dilation_rate[i] * (self.kernel_size[i] - 1) + 1)
    }

    fn options(&self) -> ConvTranspose2dOptions {
        let span = self.span();
        let output_padding = match self.padding {
            Padding::Valid => [0, 1].map(|i| self.strides[i].saturating_sub(span[i])),
            _ => [0, 0],
        };
        ConvTranspose2dOptions {
            stride: self.strides,
            padding: self.padding,
            output_padding,
            dilation: self.dilation_rate,
            groups: 1,
        }
    }
}

impl Module for Conv2DTranspose {
    /// # Panics
    /// If the layer is not built or the input does not fit (see
    /// [`Tensor::conv_transpose2d`]).
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        // As Keras, convolutions and poolings do not support masking: a mask stops here.
        ctx.set_mask(None);
        let (kernel, bias) = self.weights.values(&self.label(), self.trainable());
        let y = self.data_format.to_first(x).conv_transpose2d(&kernel, bias.as_ref(), &self.options());
        self.activation.apply(&self.data_format.back_from_first(&y))
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let label = self.label();
        check_positive(&label, "filters", &[self.filters])?;
        check_positive(&label, "kernel_size", &self.kernel_size)?;
        check_positive(&label, "strides", &self.strides)?;
        check_positive(&label, "dilation_rate", &self.dilation_rate)?;
        let layout = self.data_format.describe("height, width");
        let bad = |expected: String| Error::InputShape { layer: label.clone(), expected, got: input.to_vec() };
        let (channels, spatial) =
            self.data_format.split(input).filter(|_| input.len() == 3).ok_or_else(|| bad(layout.clone()))?;
        let expected = self.weights.kernel.as_ref().map(|k| k.shape()[0]);
        check_channels(label.clone(), input, channels, expected, 1, layout.clone())?;
        let (s, span, opts) = (self.strides, self.span(), self.options());
        let pads = match self.padding {
            Padding::Same | Padding::Valid => [0; 4],
            p => p.resolve([0, 0], self.kernel_size, s, self.dilation_rate),
        };
        let mut out = [0; 2];
        for i in 0..2 {
            let full = spatial[i].saturating_sub(1) * s[i] + span[i] + opts.output_padding[i];
            out[i] = match self.padding {
                Padding::Same => spatial[i] * s[i],
                _ => full.saturating_sub(pads[2 * i] + pads[2 * i + 1]),
            };
        }
        if spatial.contains(&0) || out.contains(&0) {
            return Err(bad(format!("{layout} with a non-empty output after cropping padding {pads:?}")));
        }
        Ok(self.data_format.join(self.filters, &out))
    }

    fn build(&mut self, input: &[usize], rng: &mut Rng) -> Result<()> {
        self.output_shape(input)?;
        if self.weights.kernel.is_none() {
            let (channels, _) = self.data_format.split(input).expect("checked by output_shape");
            let [kh, kw] = self.kernel_size;
            let shape = [channels, self.filters, kh, kw];
            check_weight_size(self.label(), input, "kernel", &shape)?;
            self.weights.make(&shape, self.filters, rng);
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "Conv2DTranspose"
    }

    fn keras_config(&self) -> Result<Value> {
        let k = ConvConfig {
            core: self.core.clone(),
            filters: self.filters,
            kernel_size: self.kernel_size.to_vec(),
            strides: self.strides.to_vec(),
            dilation_rate: self.dilation_rate.to_vec(),
            groups: 1,
            activation: self.activation,
            data_format: self.data_format,
            weights: self.weights.clone(),
        };
        k.write(&self.label(), padding2d_value(&self.label(), self.padding)?, true)
    }

    /// The kernel: Derin `[in, filters, kh, kw]`, Keras `[kh, kw, filters, in]`.
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
