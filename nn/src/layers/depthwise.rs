//! `DepthwiseConv2D`: one small filter bank per input channel (MobileNet, EfficientNet,
//! Xception), as Keras has it.

use derin_tensor::{Conv2dOptions, Padding, Param, Rng, Tensor};
use serde_json::{Value, json};

use super::conv_common::{ConvWeights, check_positive, conv_out};
use crate::DataFormat;
use crate::activation::Activation;
use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module, check_weight_size};
use crate::regularizer::Regularizer;
use crate::serialize::{KerasConfig, base_config, data_format_value, initializer, padding2d_value};

/// Depthwise 2-D convolution: each input channel `c` is convolved with its own
/// `depth_multiplier` filters, giving output channels `c·M + m` (Keras' and TensorFlow's
/// order; PyTorch's `Conv2d(C, C·M, groups=C)`):
///
/// `y[n, c·M + m, i, j] = activation(bias[c·M + m] + Σ_{a, b} kernel[c, m, a, b] ·
/// x[n, c, i·sh + a·dh − pad_top, j·sw + b·dw − pad_left])`.
///
/// Keras' defaults: strides 1, `valid` padding, multiplier 1, no dilation, a bias,
/// channels-first here (Keras' files say channels-last, which the loader keeps).
///
/// Weights: `depthwise_kernel` `[C, M, kh, kw]` (Keras `[kh, kw, C, M]`), Glorot-uniform;
/// `bias` `[C·M]`, zeros.
///
/// # Shapes
/// Channels-first: `[batch, C, h, w]` → `[batch, C·M, h', w']`, sizes as for
/// [`Conv2D`](crate::Conv2D).
///
/// ```
/// use derin_nn::{Activation, Ctx, DepthwiseConv2D, Module};
/// use derin_tensor::{Rng, Tensor};
/// let mut dw = DepthwiseConv2D::new([3, 3], Activation::Linear).with_depth_multiplier(2);
/// assert_eq!(dw.output_shape(&[4, 10, 10]).unwrap(), vec![8, 8, 8]);
/// dw.build(&[4, 10, 10], &mut Rng::seed(0)).unwrap();
/// assert_eq!(dw.depthwise_kernel().unwrap().shape(), vec![4, 2, 3, 3]);
/// let y = dw.forward(&Tensor::zeros(&[1, 4, 10, 10]), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[1, 8, 8, 8]);
/// ```
#[derive(Clone, Debug)]
pub struct DepthwiseConv2D {
    core: LayerCore,
    kernel_size: [usize; 2],
    strides: [usize; 2],
    padding: Padding,
    dilation_rate: [usize; 2],
    depth_multiplier: usize,
    activation: Activation,
    data_format: DataFormat,
    weights: ConvWeights,
}

impl DepthwiseConv2D {
    /// An unbuilt layer with windows of `kernel_size` and one filter per channel.
    pub fn new(kernel_size: [usize; 2], activation: Activation) -> Self {
        DepthwiseConv2D {
            core: LayerCore::new("depthwise_conv2d"),
            kernel_size,
            strides: [1, 1],
            padding: Padding::Valid,
            dilation_rate: [1, 1],
            depth_multiplier: 1,
            activation,
            data_format: DataFormat::ChannelsFirst,
            weights: ConvWeights::named_kernel("depthwise_kernel"),
        }
    }

    /// Step between windows (default `[1, 1]`).
    pub fn with_strides(mut self, strides: [usize; 2]) -> Self {
        self.strides = strides;
        self
    }

    /// [`Padding::Valid`] (default), `Same` or explicit.
    pub fn with_padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// Spacing between kernel taps (default `[1, 1]`).
    pub fn with_dilation_rate(mut self, dilation_rate: [usize; 2]) -> Self {
        self.dilation_rate = dilation_rate;
        self
    }

    /// Filters per input channel, `M` (default 1).
    pub fn with_depth_multiplier(mut self, depth_multiplier: usize) -> Self {
        self.depth_multiplier = depth_multiplier;
        self
    }

    /// Reads inputs in `data_format` (default [`DataFormat::ChannelsFirst`]).
    pub fn with_data_format(mut self, data_format: DataFormat) -> Self {
        self.data_format = data_format;
        self
    }

    /// Leaves out the bias.
    pub fn without_bias(mut self) -> Self {
        self.weights.use_bias = false;
        self
    }

    /// Penalizes the depthwise kernel (Keras' `depthwise_regularizer`).
    pub fn with_kernel_regularizer(mut self, regularizer: Regularizer) -> Self {
        self.weights.kernel_regularizer = Some(regularizer);
        self
    }

    /// Gives the layer a name.
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// The kernel `[C, M, kh, kw]`, once built.
    pub fn depthwise_kernel(&self) -> Option<&Param> {
        self.weights.kernel.as_ref()
    }

    /// The bias `[C·M]`, once built (none without a bias).
    pub fn bias(&self) -> Option<&Param> {
        self.weights.bias.as_ref()
    }

    /// Filters per input channel.
    pub fn depth_multiplier(&self) -> usize {
        self.depth_multiplier
    }

    /// Where the channel axis sits.
    pub fn data_format(&self) -> DataFormat {
        self.data_format
    }

    /// The same layer with another activation.
    pub(crate) fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        c.unsupported_all(&["activity_regularizer", "depthwise_constraint", "bias_constraint"])?;
        let pair = |key: &str| -> Result<[usize; 2]> {
            Ok(if c.get(key).is_some() {
                let s = c.sizes(key, 2)?;
                [s[0], s[1]]
            } else {
                [1, 1]
            })
        };
        let kernel = c.sizes("kernel_size", 2)?;
        let mut weights = ConvWeights::named_kernel("depthwise_kernel");
        weights.use_bias = c.bool_or("use_bias", true)?;
        weights.kernel_regularizer = c.regularizer("depthwise_regularizer")?;
        weights.bias_regularizer = c.regularizer("bias_regularizer")?;
        Ok(DepthwiseConv2D {
            core: c.core("depthwise_conv2d")?,
            kernel_size: [kernel[0], kernel[1]],
            strides: pair("strides")?,
            padding: c.padding2d()?,
            dilation_rate: pair("dilation_rate")?,
            depth_multiplier: if c.get("depth_multiplier").is_some() { c.usize("depth_multiplier")? } else { 1 },
            activation: c.activation("activation")?,
            data_format: c.data_format()?,
            weights,
        })
    }
}

impl Module for DepthwiseConv2D {
    /// # Panics
    /// If the layer is not built or the input does not fit.
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        ctx.set_mask(None);
        let (kernel, bias) = self.weights.values(&self.label(), self.trainable());
        let [c, m, kh, kw] = [0, 1, 2, 3].map(|i| kernel.shape()[i]);
        let k = kernel.reshape(&[c * m, 1, kh, kw]);
        let options =
            Conv2dOptions { stride: self.strides, padding: self.padding, dilation: self.dilation_rate, groups: c };
        let y = self.data_format.to_first(x).conv2d(&k, bias.as_ref(), &options);
        self.activation.apply(&self.data_format.back_from_first(&y))
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let label = self.label();
        check_positive(&label, "kernel_size", &self.kernel_size)?;
        check_positive(&label, "strides", &self.strides)?;
        check_positive(&label, "dilation_rate", &self.dilation_rate)?;
        check_positive(&label, "depth_multiplier", &[self.depth_multiplier])?;
        let layout = self.data_format.describe("height, width");
        let bad = |expected: String| Error::InputShape { layer: label.clone(), expected, got: input.to_vec() };
        let (channels, spatial) =
            self.data_format.split(input).filter(|_| input.len() == 3).ok_or_else(|| bad(layout.clone()))?;
        if let Some(k) = &self.weights.kernel
            && k.shape()[0] != channels
        {
            return Err(bad(format!("{layout} with {} channels (the layer was built for them)", k.shape()[0])));
        }
        if channels == 0 {
            return Err(bad(format!("{layout} with at least one channel")));
        }
        let (k, s, d) = (self.kernel_size, self.strides, self.dilation_rate);
        let pads = self.padding.resolve([spatial[0], spatial[1]], k, s, d);
        let out: Option<Vec<usize>> =
            (0..2).map(|i| conv_out(spatial[i], [pads[2 * i], pads[2 * i + 1]], k[i], s[i], d[i])).collect();
        let out = out.ok_or_else(|| bad(format!("{layout} at least as large as the dilated kernel after padding")))?;
        Ok(self.data_format.join(channels * self.depth_multiplier, &out))
    }

    fn build(&mut self, input: &[usize], rng: &mut Rng) -> Result<()> {
        self.output_shape(input)?;
        if self.weights.kernel.is_none() {
            let (channels, _) = self.data_format.split(input).expect("checked by output_shape");
            let [kh, kw] = self.kernel_size;
            let shape = [channels, self.depth_multiplier, kh, kw];
            check_weight_size(self.label(), input, "depthwise_kernel", &shape)?;
            self.weights.make(&shape, channels * self.depth_multiplier, rng);
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "DepthwiseConv2D"
    }

    fn keras_config(&self) -> Result<Value> {
        let label = self.label();
        let regularizer = |r: Option<Regularizer>| r.map_or(Value::Null, |r| r.to_keras_config());
        let mut c = base_config(&self.core);
        c.insert("kernel_size".into(), json!(self.kernel_size));
        c.insert("strides".into(), json!(self.strides));
        c.insert("padding".into(), padding2d_value(&label, self.padding)?);
        c.insert("depth_multiplier".into(), json!(self.depth_multiplier));
        c.insert("data_format".into(), data_format_value(self.data_format));
        c.insert("dilation_rate".into(), json!(self.dilation_rate));
        c.insert("activation".into(), self.activation.keras_value(&label)?);
        c.insert("use_bias".into(), json!(self.weights.use_bias));
        let glorot = json!({"seed": null, "input_axes": null, "output_axes": null});
        c.insert("depthwise_initializer".into(), initializer("GlorotUniform", glorot));
        c.insert("bias_initializer".into(), initializer("Zeros", json!({})));
        c.insert("depthwise_regularizer".into(), regularizer(self.weights.kernel_regularizer));
        c.insert("bias_regularizer".into(), regularizer(self.weights.bias_regularizer));
        for key in ["activity_regularizer", "depthwise_constraint", "bias_constraint"] {
            c.insert(key.into(), Value::Null);
        }
        Ok(c.into())
    }

    /// The kernel: Derin `[C, M, kh, kw]`, Keras `[kh, kw, C, M]`.
    fn keras_weight_axes(&self, index: usize) -> Option<Vec<usize>> {
        (index == 0).then(|| vec![2, 3, 0, 1])
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

    fn weights(&self) -> Vec<Param> {
        self.weights.named(&self.core.name)
    }
}

#[cfg(test)]
mod tests;
