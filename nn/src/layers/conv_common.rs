//! What the convolution layers share: their kernel and bias, size arithmetic, checks,
//! and the builder methods every one of them has.

use derin_tensor::{Param, Rng, Tensor};
use serde_json::{Value, json};

use crate::DataFormat;
use crate::activation::Activation;
use crate::error::{Error, Result};
use crate::module::LayerCore;
use crate::regularizer::Regularizer;
use crate::serialize::{KerasConfig, base_config, data_format_value, initializer};

/// A convolution's kernel (in the tensor kernel's layout) and optional bias, with their
/// penalties.
#[derive(Clone, Debug)]
pub(crate) struct ConvWeights {
    /// The kernel's weight name (`kernel`; Keras' `depthwise_kernel`, `pointwise_kernel`).
    pub(crate) kernel_name: &'static str,
    pub(crate) use_bias: bool,
    pub(crate) kernel: Option<Param>,
    pub(crate) bias: Option<Param>,
    pub(crate) kernel_regularizer: Option<Regularizer>,
    pub(crate) bias_regularizer: Option<Regularizer>,
}

impl ConvWeights {
    pub(crate) fn new() -> Self {
        ConvWeights::named_kernel("kernel")
    }

    /// No weights yet, the kernel to be called `kernel_name`.
    pub(crate) fn named_kernel(kernel_name: &'static str) -> Self {
        ConvWeights {
            kernel_name,
            use_bias: true,
            kernel: None,
            bias: None,
            kernel_regularizer: None,
            bias_regularizer: None,
        }
    }

    /// Glorot-uniform `kernel` of `shape` (fans as [`derin_tensor::fans`]: the receptive
    /// field times axes 1 and 0) and, with a bias, zeros of length `outputs`.
    pub(crate) fn make(&mut self, shape: &[usize], outputs: usize, rng: &mut Rng) {
        self.kernel = Some(Param::new(self.kernel_name, Tensor::glorot_uniform(shape, rng).to_array()));
        if self.use_bias {
            self.bias = Some(Param::new("bias", Tensor::zeros(&[outputs]).to_array()));
        }
    }

    /// The kernel and bias values, detached when the layer is frozen.
    ///
    /// # Panics
    /// If the layer is not built; the message names `label`.
    pub(crate) fn values(&self, label: &str, trainable: bool) -> (Tensor, Option<Tensor>) {
        let kernel = self.kernel.as_ref().unwrap_or_else(|| panic!("{label}: forward before build"));
        let freeze = |p: &Param| if trainable { p.value() } else { p.frozen_value() };
        (freeze(kernel), self.bias.as_ref().map(freeze))
    }

    /// `<name>/<kernel name>`, `<name>/bias`.
    pub(crate) fn named(&self, name: &str) -> Vec<Param> {
        let kernel = self.kernel.iter().map(|k| k.renamed(&format!("{name}/{}", self.kernel_name)));
        kernel.chain(self.bias.iter().map(|b| b.renamed(&format!("{name}/bias")))).collect()
    }

    /// The sum of the kernel and bias penalties, if any.
    pub(crate) fn regularization_loss(&self) -> Option<Tensor> {
        let kernel = self.kernel.as_ref().zip(self.kernel_regularizer).map(|(p, r)| r.penalty(p));
        let bias = self.bias.as_ref().zip(self.bias_regularizer).map(|(p, r)| r.penalty(p));
        match (kernel, bias) {
            (Some(k), Some(b)) => Some(k + b),
            (k, b) => k.or(b),
        }
    }
}

/// What a Keras convolution config holds (`Conv1D`, `Conv2D`, `Conv2DTranspose`).
pub(crate) struct ConvConfig {
    pub(crate) core: LayerCore,
    pub(crate) filters: usize,
    pub(crate) kernel_size: Vec<usize>,
    pub(crate) strides: Vec<usize>,
    pub(crate) dilation_rate: Vec<usize>,
    pub(crate) groups: usize,
    pub(crate) activation: Activation,
    pub(crate) data_format: DataFormat,
    pub(crate) weights: ConvWeights,
}

impl ConvConfig {
    /// Reads the keys the convolutions share, sizes of `rank` axes; the caller reads
    /// `padding` (and `output_padding`). Initializers are not read: the weights come from
    /// the file, or Derin's Glorot-uniform/zeros.
    pub(crate) fn read(c: &KerasConfig, default_name: &str, rank: usize) -> Result<Self> {
        let mut weights = ConvWeights::new();
        weights.use_bias = c.bool_or("use_bias", true)?;
        weights.kernel_regularizer = c.regularizer("kernel_regularizer")?;
        weights.bias_regularizer = c.regularizer("bias_regularizer")?;
        c.unsupported_all(&["activity_regularizer", "kernel_constraint", "bias_constraint", "lora_rank"])?;
        let strides = if c.get("strides").is_some() { c.sizes("strides", rank)? } else { vec![1; rank] };
        let dilation_rate =
            if c.get("dilation_rate").is_some() { c.sizes("dilation_rate", rank)? } else { vec![1; rank] };
        Ok(ConvConfig {
            core: c.core(default_name)?,
            filters: c.usize("filters")?,
            kernel_size: c.sizes("kernel_size", rank)?,
            strides,
            dilation_rate,
            groups: if c.get("groups").is_some() { c.usize("groups")? } else { 1 },
            activation: c.activation("activation")?,
            data_format: c.data_format()?,
            weights,
        })
    }

    /// The Keras config: `padding` as given, `groups` when `Some` (Conv2DTranspose has
    /// none), `output_padding: null` for the transposed convolution.
    pub(crate) fn write(&self, label: &str, padding: Value, transposed: bool) -> Result<Value> {
        let regularizer = |r: Option<Regularizer>| r.map_or(Value::Null, |r| r.to_keras_config());
        let mut c = base_config(&self.core);
        c.insert("filters".into(), json!(self.filters));
        c.insert("kernel_size".into(), json!(self.kernel_size));
        c.insert("strides".into(), json!(self.strides));
        c.insert("padding".into(), padding);
        if transposed {
            c.insert("output_padding".into(), Value::Null);
        }
        c.insert("data_format".into(), data_format_value(self.data_format));
        c.insert("dilation_rate".into(), json!(self.dilation_rate));
        if !transposed {
            c.insert("groups".into(), json!(self.groups));
        }
        c.insert("activation".into(), self.activation.keras_value(label)?);
        c.insert("use_bias".into(), json!(self.weights.use_bias));
        let glorot = json!({"seed": null, "input_axes": null, "output_axes": null});
        c.insert("kernel_initializer".into(), initializer("GlorotUniform", glorot));
        c.insert("bias_initializer".into(), initializer("Zeros", json!({})));
        c.insert("kernel_regularizer".into(), regularizer(self.weights.kernel_regularizer));
        c.insert("bias_regularizer".into(), regularizer(self.weights.bias_regularizer));
        for key in ["activity_regularizer", "kernel_constraint", "bias_constraint"] {
            c.insert(key.into(), Value::Null);
        }
        Ok(c.into())
    }
}

/// The output length of a convolution (or pooling) along one axis: `(in + before + after
/// − dilation·(kernel − 1) − 1) / stride + 1`; `None` when the dilated kernel is longer
/// than the padded input.
pub(crate) fn conv_out(input: usize, pads: [usize; 2], kernel: usize, stride: usize, dilation: usize) -> Option<usize> {
    let padded = input + pads[0] + pads[1];
    let span = dilation * (kernel - 1) + 1;
    (input > 0 && padded >= span).then(|| (padded - span) / stride + 1)
}

/// `Err` naming `label` and the option when a size option holds a 0.
pub(crate) fn check_positive(label: &str, option: &str, values: &[usize]) -> Result<()> {
    if values.contains(&0) {
        let what = format!("{label} {option} {values:?}");
        return Err(Error::Hyperparameter { what, value: 0.0, range: "positive integers" });
    }
    Ok(())
}

/// Checks the channel count `channels` of an input against a built kernel (`expected`
/// channels) or, unbuilt, against `groups`.
pub(crate) fn check_channels(
    label: String,
    input: &[usize],
    channels: usize,
    expected: Option<usize>,
    groups: usize,
    layout: String,
) -> Result<()> {
    let fits = match expected {
        Some(e) => channels == e,
        None => channels > 0 && channels.is_multiple_of(groups),
    };
    if fits {
        return Ok(());
    }
    let expected = match expected {
        Some(e) => format!("{layout} with {e} channels (the kernel's)"),
        None => format!("{layout} with a positive number of channels divisible by groups = {groups}"),
    };
    Err(Error::InputShape { layer: label, expected, got: input.to_vec() })
}

/// The builder methods and accessors every convolution layer has. `$ctor` builds an
/// example layer in a doc test and `$input` is an input shape it accepts.
macro_rules! conv_common_methods {
    ($ty:ident, $ctor:literal, $input:literal) => {
        /// Reads and writes inputs in `data_format` (default
        /// [`DataFormat::ChannelsFirst`](crate::DataFormat::ChannelsFirst)).
        ///
        #[doc = concat!(
                    "```\n# use derin_nn::{Activation, DataFormat, Module, ", stringify!($ty), "};\n",
                    "let l = ", $ctor, ".with_data_format(DataFormat::ChannelsLast);\n",
                    "assert_eq!(l.data_format(), DataFormat::ChannelsLast);\n```"
                )]
        pub fn with_data_format(mut self, data_format: crate::DataFormat) -> Self {
            self.data_format = data_format;
            self
        }

        /// Without a bias (`use_bias=False`), before building.
        ///
        #[doc = concat!(
                    "```\n# use derin_nn::{Activation, Module, ", stringify!($ty), "};\n# use derin_tensor::Rng;\n",
                    "let mut l = ", $ctor, ".without_bias();\n",
                    "l.build(&", $input, ", &mut Rng::seed(0)).unwrap();\n",
                    "assert_eq!(l.weights().len(), 1);\nassert!(l.bias().is_none());\n```"
                )]
        pub fn without_bias(mut self) -> Self {
            self.weights.use_bias = false;
            self
        }

        /// Penalises the kernel with `regularizer` (Keras' `kernel_regularizer`).
        ///
        #[doc = concat!(
                    "```\n# use derin_nn::{Activation, Module, Regularizer, ", stringify!($ty), "};\n",
                    "# use derin_tensor::Rng;\n",
                    "let mut l = ", $ctor, ".with_kernel_regularizer(Regularizer::L2(0.5));\n",
                    "l.build(&", $input, ", &mut Rng::seed(0)).unwrap();\n",
                    "let k = l.kernel().unwrap().value().to_vec();\n",
                    "let want: f32 = 0.5 * k.iter().map(|v| v * v).sum::<f32>();\n",
                    "assert!((l.regularization_loss().unwrap().item() - want).abs() < 1e-5);\n```"
                )]
        pub fn with_kernel_regularizer(mut self, regularizer: crate::Regularizer) -> Self {
            self.weights.kernel_regularizer = Some(regularizer);
            self
        }

        /// Penalises the bias with `regularizer` (Keras' `bias_regularizer`).
        ///
        #[doc = concat!(
                    "```\n# use derin_nn::{Activation, Module, Regularizer, ", stringify!($ty), "};\n",
                    "# use derin_tensor::Rng;\n",
                    "let mut l = ", $ctor, ".with_bias_regularizer(Regularizer::l1());\n",
                    "l.build(&", $input, ", &mut Rng::seed(0)).unwrap();\n",
                    "assert_eq!(l.regularization_loss().unwrap().item(), 0.0); // zero bias\n```"
                )]
        pub fn with_bias_regularizer(mut self, regularizer: crate::Regularizer) -> Self {
            self.weights.bias_regularizer = Some(regularizer);
            self
        }

        /// Gives the layer a name (its weights become `<name>/kernel`, `<name>/bias`).
        ///
        #[doc = concat!(
                    "```\n# use derin_nn::{Activation, Module, ", stringify!($ty), "};\n",
                    "let l = ", $ctor, ".named(\"features\");\n",
                    "assert_eq!(l.name(), \"features\");\n```"
                )]
        pub fn named(mut self, name: &str) -> Self {
            self.core.name = name.to_string();
            self
        }

        /// The number of output channels (Keras' `filters`).
        ///
        #[doc = concat!(
                    "```\n# use derin_nn::{Activation, ", stringify!($ty), "};\n",
                    "assert_eq!(", $ctor, ".filters(), 2);\n```"
                )]
        pub fn filters(&self) -> usize {
            self.filters
        }

        /// Where the channel axis sits.
        ///
        #[doc = concat!(
                    "```\n# use derin_nn::{Activation, DataFormat, ", stringify!($ty), "};\n",
                    "assert_eq!(", $ctor, ".data_format(), DataFormat::ChannelsFirst);\n```"
                )]
        pub fn data_format(&self) -> crate::DataFormat {
            self.data_format
        }

        /// The kernel (unprefixed name `kernel`), once built, in the layout the tensor
        /// kernel takes (see the type's docs for it and for Keras' layout).
        ///
        #[doc = concat!(
                    "```\n# use derin_nn::{Activation, Module, ", stringify!($ty), "};\n# use derin_tensor::Rng;\n",
                    "let mut l = ", $ctor, ";\nassert!(l.kernel().is_none());\n",
                    "l.build(&", $input, ", &mut Rng::seed(0)).unwrap();\n",
                    "assert_eq!(l.kernel().unwrap().name(), \"kernel\");\n```"
                )]
        pub fn kernel(&self) -> Option<&derin_tensor::Param> {
            self.weights.kernel.as_ref()
        }

        /// The bias `[filters]`, once built (zeros at first).
        ///
        #[doc = concat!(
                    "```\n# use derin_nn::{Activation, Module, ", stringify!($ty), "};\n# use derin_tensor::Rng;\n",
                    "let mut l = ", $ctor, ";\n",
                    "l.build(&", $input, ", &mut Rng::seed(0)).unwrap();\n",
                    "assert_eq!(l.bias().unwrap().value().to_vec(), vec![0.0; 2]);\n```"
                )]
        pub fn bias(&self) -> Option<&derin_tensor::Param> {
            self.weights.bias.as_ref()
        }
    };
}

pub(crate) use conv_common_methods;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_lengths_follow_the_formula() {
        assert_eq!(conv_out(5, [0, 0], 3, 1, 1), Some(3));
        assert_eq!(conv_out(5, [1, 1], 3, 2, 1), Some(3)); // (7 − 3) / 2 + 1
        assert_eq!(conv_out(5, [0, 0], 3, 1, 2), Some(1)); // span 5
        assert_eq!(conv_out(4, [0, 0], 3, 1, 2), None);
        assert_eq!(conv_out(0, [1, 1], 1, 1, 1), None);
    }
}
