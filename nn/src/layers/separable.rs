//! `SeparableConv2D`: a depthwise convolution followed by a 1×1 convolution (Xception,
//! MobileNet), as Keras has it.

use derin_tensor::{Conv2dOptions, Padding, Param, Rng, Tensor};
use serde_json::{Value, json};

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
    use_bias: bool,
    depthwise: DepthwiseConv2D,
    pointwise: Option<Param>,
    bias: Option<Param>,
}

impl SeparableConv2D {
    /// An unbuilt layer with `filters` outputs and depthwise windows of `kernel_size`.
    pub fn new(filters: usize, kernel_size: [usize; 2], activation: Activation) -> Self {
        SeparableConv2D {
            core: LayerCore::new("separable_conv2d"),
            filters,
            activation,
            use_bias: true,
            depthwise: DepthwiseConv2D::new(kernel_size, Activation::Linear).without_bias(),
            pointwise: None,
            bias: None,
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
        self.use_bias = false;
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
        self.pointwise.as_ref()
    }

    /// The bias `[filters]`, once built (none without a bias).
    pub fn bias(&self) -> Option<&Param> {
        self.bias.as_ref()
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
        Ok(SeparableConv2D {
            core: c.core("separable_conv2d")?,
            filters: c.usize("filters")?,
            activation: c.activation("activation")?,
            use_bias: c.bool_or("use_bias", true)?,
            depthwise: depthwise.with_activation(Activation::Linear).without_bias(),
            pointwise: None,
            bias: None,
        })
    }

    fn freeze(&self, p: &Param) -> Tensor {
        if self.trainable() { p.value() } else { p.frozen_value() }
    }
}

impl Module for SeparableConv2D {
    /// # Panics
    /// If the layer is not built or the input does not fit.
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        let pointwise = self.pointwise.as_ref().unwrap_or_else(|| panic!("{}: forward before build", self.label()));
        let format = self.depthwise.data_format();
        let mid = format.to_first(&self.depthwise.forward(x, ctx));
        let bias = self.bias.as_ref().map(|b| self.freeze(b));
        let y = mid.conv2d(&self.freeze(pointwise), bias.as_ref(), &Conv2dOptions::default());
        self.activation.apply(&format.back_from_first(&y))
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let mid = self.depthwise.output_shape(input)?;
        let format = self.depthwise.data_format();
        let (_, spatial) = format.split(&mid).expect("the depthwise step gives an image");
        crate::layers::conv_common::check_positive(&self.label(), "filters", &[self.filters])?;
        Ok(format.join(self.filters, &spatial))
    }

    fn build(&mut self, input: &[usize], rng: &mut Rng) -> Result<()> {
        self.output_shape(input)?;
        self.depthwise.build(input, rng)?;
        if self.pointwise.is_none() {
            let channels =
                self.depthwise.depthwise_kernel().expect("built").shape()[0] * self.depthwise.depth_multiplier();
            let shape = [self.filters, channels, 1, 1];
            check_weight_size(self.label(), input, "pointwise_kernel", &shape)?;
            self.pointwise = Some(Param::new("pointwise_kernel", Tensor::glorot_uniform(&shape, rng).to_array()));
            if self.use_bias {
                self.bias = Some(Param::new("bias", Tensor::zeros(&[self.filters]).to_array()));
            }
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
        c.insert("use_bias".into(), json!(self.use_bias));
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
        let pointwise = self.pointwise.iter().map(|p| p.renamed(&format!("{name}/pointwise_kernel")));
        let bias = self.bias.iter().map(|b| b.renamed(&format!("{name}/bias")));
        depthwise.into_iter().chain(pointwise).chain(bias).collect()
    }

    fn set_trainable(&mut self, trainable: bool) {
        self.core.trainable = trainable;
        self.depthwise.set_trainable(trainable);
    }
}

#[cfg(test)]
mod tests;
