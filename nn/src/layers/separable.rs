//! `SeparableConv2D`: a depthwise convolution followed by a 1×1 convolution (Xception,
//! MobileNet), as Keras has it.

use derin_tensor::{Conv2dOptions, Padding, Param, Rng, Tensor};
use serde_json::{Value, json};

use super::conv_common::{ConvWeights, check_positive};
use super::depthwise::DepthwiseConv2D;
use crate::DataFormat;
use crate::activation::Activation;
use crate::error::Result;
use crate::module::{Ctx, LayerCore, Module, check_weight_size};
use crate::serialize::{KerasConfig, base_config, initializer};

/// Depthwise-separable 2-D convolution: [`DepthwiseConv2D`] (no bias, no activation)
/// with `depth_multiplier` `M`, then a 1×1 convolution of its `C·M` channels to
/// `filters` outputs, plus a bias, then the activation (Keras' `SeparableConv2D`):
///
/// `y = activation(bias + pointwise ⊛ depthwise(x))`.
///
/// Weights: `depthwise_kernel` `[C, M, kh, kw]` (Keras `[kh, kw, C, M]`),
/// `pointwise_kernel` `[filters, C·M, 1, 1]` (Keras `[1, 1, C·M, filters]`), `bias`
/// `[filters]`; Glorot-uniform kernels, zero bias.
///
/// # Shapes
/// Channels-first: `[batch, C, h, w]` → `[batch, filters, h', w']`, sizes as for
/// [`Conv2D`](crate::Conv2D).
///
/// ```
/// use derin_nn::{Activation, Ctx, Module, SeparableConv2D};
/// use derin_tensor::{Padding, Rng, Tensor};
/// let mut sep = SeparableConv2D::new(16, [3, 3], Activation::Relu).with_padding(Padding::Same);
/// sep.build(&[8, 10, 10], &mut Rng::seed(0)).unwrap();
/// assert_eq!(sep.pointwise_kernel().unwrap().shape(), vec![16, 8, 1, 1]);
/// assert_eq!(sep.forward(&Tensor::zeros(&[2, 8, 10, 10]), &mut Ctx::eval()).shape(), &[2, 16, 10, 10]);
/// ```
#[derive(Clone, Debug)]
pub struct SeparableConv2D {
    core: LayerCore,
    filters: usize,
    activation: Activation,
    depthwise: DepthwiseConv2D,
    /// The pointwise kernel and the bias.
    pointwise: ConvWeights,
}

impl SeparableConv2D {
    /// An unbuilt layer with `filters` outputs and depthwise windows of `kernel_size`.
    pub fn new(filters: usize, kernel_size: [usize; 2], activation: Activation) -> Self {
        SeparableConv2D {
            core: LayerCore::new("separable_conv2d"),
            filters,
            activation,
            depthwise: DepthwiseConv2D::new(kernel_size, Activation::Linear).without_bias(),
            pointwise: ConvWeights::named_kernel("pointwise_kernel"),
        }
    }

    /// Step between the depthwise windows (default `[1, 1]`).
    pub fn with_strides(mut self, strides: [usize; 2]) -> Self {
        self.depthwise = self.depthwise.with_strides(strides);
        self
    }

    /// [`Padding::Valid`] (default), `Same` or explicit, of the depthwise step.
    pub fn with_padding(mut self, padding: Padding) -> Self {
        self.depthwise = self.depthwise.with_padding(padding);
        self
    }

    /// Spacing between the depthwise kernel's taps (default `[1, 1]`).
    pub fn with_dilation_rate(mut self, dilation_rate: [usize; 2]) -> Self {
        self.depthwise = self.depthwise.with_dilation_rate(dilation_rate);
        self
    }

    /// Depthwise filters per input channel (default 1).
    pub fn with_depth_multiplier(mut self, depth_multiplier: usize) -> Self {
        self.depthwise = self.depthwise.with_depth_multiplier(depth_multiplier);
        self
    }

    /// Reads inputs in `data_format` (default [`DataFormat::ChannelsFirst`]).
    pub fn with_data_format(mut self, data_format: DataFormat) -> Self {
        self.depthwise = self.depthwise.with_data_format(data_format);
        self
    }

    /// Leaves out the bias.
    pub fn without_bias(mut self) -> Self {
        self.pointwise.use_bias = false;
        self
    }

    /// Gives the layer a name.
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// The depthwise kernel `[C, M, kh, kw]`, once built.
    pub fn depthwise_kernel(&self) -> Option<&Param> {
        self.depthwise.depthwise_kernel()
    }

    /// The pointwise kernel `[filters, C·M, 1, 1]`, once built.
    pub fn pointwise_kernel(&self) -> Option<&Param> {
        self.pointwise.kernel.as_ref()
    }

    /// The bias `[filters]`, once built (none without a bias).
    pub fn bias(&self) -> Option<&Param> {
        self.pointwise.bias.as_ref()
    }

    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        c.unsupported_all(&[
            "activity_regularizer",
            "depthwise_regularizer",
            "pointwise_regularizer",
            "bias_regularizer",
            "depthwise_constraint",
            "pointwise_constraint",
            "bias_constraint",
        ])?;
        // The depthwise step reads the keys the two layers share.
        let depthwise = DepthwiseConv2D::from_keras_config(c)?;
        let mut pointwise = ConvWeights::named_kernel("pointwise_kernel");
        pointwise.use_bias = c.bool_or("use_bias", true)?;
        Ok(SeparableConv2D {
            core: c.core("separable_conv2d")?,
            filters: c.usize("filters")?,
            activation: c.activation("activation")?,
            depthwise: depthwise.with_activation(Activation::Linear).without_bias(),
            pointwise,
        })
    }
}

impl Module for SeparableConv2D {
    /// # Panics
    /// If the layer is not built or the input does not fit.
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        let (pointwise, bias) = self.pointwise.values(&self.label(), self.trainable());
        let format = self.depthwise.data_format();
        let mid = format.to_first(&self.depthwise.forward(x, ctx));
        let y = mid.conv2d(&pointwise, bias.as_ref(), &Conv2dOptions::default());
        self.activation.apply(&format.back_from_first(&y))
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let mid = self.depthwise.output_shape(input)?;
        let format = self.depthwise.data_format();
        let (_, spatial) = format.split(&mid).expect("the depthwise step gives an image");
        check_positive(&self.label(), "filters", &[self.filters])?;
        Ok(format.join(self.filters, &spatial))
    }

    fn build(&mut self, input: &[usize], rng: &mut Rng) -> Result<()> {
        self.output_shape(input)?;
        self.depthwise.build(input, rng)?;
        if self.pointwise.kernel.is_none() {
            let channels =
                self.depthwise.depthwise_kernel().expect("built").shape()[0] * self.depthwise.depth_multiplier();
            let shape = [self.filters, channels, 1, 1];
            check_weight_size(self.label(), input, "pointwise_kernel", &shape)?;
            self.pointwise.make(&shape, self.filters, rng);
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "SeparableConv2D"
    }

    fn keras_config(&self) -> Result<Value> {
        let label = self.label();
        let d = self.depthwise.keras_config()?;
        let mut c = base_config(&self.core);
        c.insert("filters".into(), json!(self.filters));
        for key in ["kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier"] {
            c.insert(key.into(), d[key].clone());
        }
        c.insert("activation".into(), self.activation.keras_value(&label)?);
        c.insert("use_bias".into(), json!(self.pointwise.use_bias));
        let glorot = json!({"seed": null, "input_axes": null, "output_axes": null});
        c.insert("depthwise_initializer".into(), initializer("GlorotUniform", glorot.clone()));
        c.insert("pointwise_initializer".into(), initializer("GlorotUniform", glorot));
        c.insert("bias_initializer".into(), initializer("Zeros", json!({})));
        for key in [
            "depthwise_regularizer",
            "pointwise_regularizer",
            "bias_regularizer",
            "activity_regularizer",
            "depthwise_constraint",
            "pointwise_constraint",
            "bias_constraint",
        ] {
            c.insert(key.into(), Value::Null);
        }
        Ok(c.into())
    }

    /// Depthwise `[C, M, kh, kw]` ↔ Keras `[kh, kw, C, M]`; pointwise `[filters, C·M, 1,
    /// 1]` ↔ Keras `[1, 1, C·M, filters]`.
    fn keras_weight_axes(&self, index: usize) -> Option<Vec<usize>> {
        match index {
            0 => Some(vec![2, 3, 0, 1]),
            1 => Some(vec![2, 3, 1, 0]),
            _ => None,
        }
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }

    fn weights(&self) -> Vec<Param> {
        let name = &self.core.name;
        let depthwise = self.depthwise.depthwise_kernel().map(|k| k.renamed(&format!("{name}/depthwise_kernel")));
        depthwise.into_iter().chain(self.pointwise.named(name)).collect()
    }

    fn set_trainable(&mut self, trainable: bool) {
        self.core.trainable = trainable;
        self.depthwise.set_trainable(trainable);
    }
}

#[cfg(test)]
mod tests;
