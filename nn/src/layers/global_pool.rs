//! `GlobalAveragePooling1D/2D` and `GlobalMaxPooling1D/2D`: one value per channel; the
//! 1-D ones honour (and consume) the time-step mask.

use derin_tensor::Tensor;
use serde_json::{Value, json};

use crate::DataFormat;
use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module};
use crate::serialize::{KerasConfig, base_config, data_format_value};

/// The global pooling of `x` (batch axis first) over its `rank` spatial axes, keeping
/// them as size 1 when `keepdims`; with a `[batch, length]` mask of 1/0 (1-D only) it
/// pools the kept steps only and gives 0 where a sample keeps none.
fn global_pool(
    label: &str,
    x: &Tensor,
    data_format: DataFormat,
    rank: usize,
    average: bool,
    keepdims: bool,
    mask: Option<Tensor>,
) -> Tensor {
    let first = data_format.first_spatial_axis();
    let axes: Vec<usize> = (first..first + rank).collect();
    let y = match mask {
        None if average => x.mean(&axes, true),
        None => x.max(&axes, true),
        Some(mask) => {
            let (n, len) = (x.shape()[0], x.shape()[first]);
            assert!(
                mask.shape() == [n, len],
                "{label}: the mask {:?} does not fit input {:?} (expected [{n}, {len}], [batch, length])",
                mask.shape(),
                x.shape()
            );
            let m = match data_format {
                DataFormat::ChannelsFirst => mask.reshape(&[n, 1, len]),
                DataFormat::ChannelsLast => mask.reshape(&[n, len, 1]),
            };
            let kept = m.sum(&axes, true);
            if average {
                x.mul(&m).sum(&axes, true).div(&kept.clamp(1.0, f32::MAX))
            } else {
                let top = Tensor::where_(&m, x, &Tensor::scalar(f32::MIN)).max(&axes, true);
                Tensor::where_(&kept, &top, &Tensor::scalar(0.0))
            }
        }
    };
    if keepdims {
        y
    } else {
        let channels = if data_format == DataFormat::ChannelsFirst { 1 } else { first + rank };
        y.reshape(&[x.shape()[0], x.shape()[channels]])
    }
}

/// Defines one global pooling layer: the struct, its builder methods and `Module` impl.
macro_rules! global_pooling_layer {
    (
        $(#[$doc:meta])*
        $ty:ident, $snake:literal, $rank:literal, $average:literal, $axes:literal,
        $input:literal, $output:literal, $kept:literal
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $ty {
            core: LayerCore,
            data_format: DataFormat,
            keepdims: bool,
        }

        impl $ty {
            /// The layer, channels-first, dropping the pooled axes.
            ///
            #[doc = concat!(
                "```\n# use derin_nn::{Module, ", stringify!($ty), "};\n",
                "let p = ", stringify!($ty), "::new();\n",
                "assert_eq!(p.output_shape(&", $input, ").unwrap(), vec!", $output, ");\n",
                "assert_eq!(p.name(), \"", $snake, "\");\n```"
            )]
            pub fn new() -> Self {
                $ty { core: LayerCore::new($snake), data_format: DataFormat::ChannelsFirst, keepdims: false }
            }

            /// Keeps the pooled axes with size 1 (Keras' `keepdims=True`).
            ///
            #[doc = concat!(
                "```\n# use derin_nn::{Module, ", stringify!($ty), "};\n",
                "let p = ", stringify!($ty), "::new().with_keepdims(true);\n",
                "assert_eq!(p.output_shape(&", $input, ").unwrap(), vec!", $kept, ");\n```"
            )]
            pub fn with_keepdims(mut self, keepdims: bool) -> Self {
                self.keepdims = keepdims;
                self
            }

            /// Reads inputs in `data_format` (default [`DataFormat::ChannelsFirst`]).
            ///
            #[doc = concat!(
                "```\n# use derin_nn::{DataFormat, ", stringify!($ty), "};\n",
                "let p = ", stringify!($ty), "::new().with_data_format(DataFormat::ChannelsLast);\n",
                "assert_eq!(p.data_format(), DataFormat::ChannelsLast);\n```"
            )]
            pub fn with_data_format(mut self, data_format: DataFormat) -> Self {
                self.data_format = data_format;
                self
            }

            /// Gives the layer a name.
            ///
            #[doc = concat!(
                "```\n# use derin_nn::{Module, ", stringify!($ty), "};\n",
                "assert_eq!(", stringify!($ty), "::new().named(\"gap\").name(), \"gap\");\n```"
            )]
            pub fn named(mut self, name: &str) -> Self {
                self.core.name = name.to_string();
                self
            }

            /// Where the channel axis sits.
            ///
            #[doc = concat!(
                "```\n# use derin_nn::{DataFormat, ", stringify!($ty), "};\n",
                "assert_eq!(", stringify!($ty), "::new().data_format(), DataFormat::ChannelsFirst);\n```"
            )]
            pub fn data_format(&self) -> DataFormat {
                self.data_format
            }

            /// The layer a Keras config describes.
            pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
                Ok($ty { core: c.core($snake)?, data_format: c.data_format()?, keepdims: c.bool_or("keepdims", false)? })
            }
        }

        impl Default for $ty {
            fn default() -> Self {
                $ty::new()
            }
        }

        impl Module for $ty {
            /// # Panics
            /// If the input is not of the layer's rank, or (1-D) the mask is not
            /// `[batch, length]`.
            fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
                let mask = if $rank == 1 { ctx.take_mask() } else { None };
                global_pool(&self.label(), x, self.data_format, $rank, $average, self.keepdims, mask)
            }

            fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
                let layout = self.data_format.describe($axes);
                let split = self.data_format.split(input).filter(|(c, s)| s.len() == $rank && *c > 0 && !s.contains(&0));
                let Some((channels, _)) = split else {
                    let expected = format!("{layout}, every axis non-empty");
                    return Err(Error::InputShape { layer: self.label(), expected, got: input.to_vec() });
                };
                Ok(if self.keepdims { self.data_format.join(channels, &[1; $rank]) } else { vec![channels] })
            }

            fn type_name(&self) -> &'static str {
                stringify!($ty)
            }

            fn keras_config(&self) -> Result<Value> {
                let mut c = base_config(&self.core);
                c.insert("data_format".into(), data_format_value(self.data_format));
                c.insert("keepdims".into(), json!(self.keepdims));
                Ok(c.into())
            }

            fn core(&self) -> &LayerCore {
                &self.core
            }

            fn core_mut(&mut self) -> &mut LayerCore {
                &mut self.core
            }
        }
    };
}

global_pooling_layer! {
    /// The mean of each channel over height and width: `y[n, c] = mean_{i, j} x[n, c, i,
    /// j]` (PyTorch's `AdaptiveAvgPool2d(1)` then flatten; [`Tensor::global_avg_pool2d`]).
    ///
    /// # Shapes
    /// Channels-first (default): `[batch, c, h, w]` → `[batch, c]` (`[batch, c, 1, 1]` with
    /// `keepdims`); channels-last: `[batch, h, w, c]` → `[batch, c]` (`[batch, 1, 1, c]`).
    ///
    /// # Errors
    /// [`Module::output_shape`] gives [`Error::InputShape`] for an input that is not 3-D
    /// (besides the batch axis) or has an empty axis.
    ///
    /// ```
    /// use derin_nn::{Ctx, GlobalAveragePooling2D, Module};
    /// use derin_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 8.0, 1.0).reshape(&[1, 2, 2, 2]);
    /// let y = GlobalAveragePooling2D::new().forward(&x, &mut Ctx::eval());
    /// assert_eq!(y.to_vec(), vec![1.5, 5.5]); // (0+1+2+3)/4, (4+5+6+7)/4
    /// ```
    #[doc(alias = "AdaptiveAvgPool2d")]
    GlobalAveragePooling2D, "global_average_pooling2d", 2, true, "height, width",
    "[8, 7, 7]", "[8]", "[8, 1, 1]"
}

global_pooling_layer! {
    /// The largest value of each channel over height and width (PyTorch's
    /// `AdaptiveMaxPool2d(1)` then flatten).
    ///
    /// # Shapes
    /// As [`GlobalAveragePooling2D`].
    ///
    /// # Errors
    /// As [`GlobalAveragePooling2D`].
    ///
    /// ```
    /// use derin_nn::{Ctx, GlobalMaxPooling2D, Module};
    /// use derin_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 8.0, 1.0).reshape(&[1, 2, 2, 2]);
    /// assert_eq!(GlobalMaxPooling2D::new().forward(&x, &mut Ctx::eval()).to_vec(), vec![3.0, 7.0]);
    /// ```
    #[doc(alias = "AdaptiveMaxPool2d")]
    GlobalMaxPooling2D, "global_max_pooling2d", 2, false, "height, width",
    "[8, 7, 7]", "[8]", "[8, 1, 1]"
}

global_pooling_layer! {
    /// The mean of each channel over the length (time) axis (PyTorch's
    /// `AdaptiveAvgPool1d(1)` then flatten; [`Tensor::global_avg_pool1d`]).
    ///
    /// **Masks.** With a time-step mask in the [`Ctx`] (`[batch, length]` of 1 and 0, as
    /// `Embedding(mask_zero=True)` makes it) only the kept steps count: `y[n, c] =
    /// Σₜ m[n, t]·x[n, c, t] / Σₜ m[n, t]` (0 where a sample keeps no step). The layer
    /// consumes the mask, as the time axis is gone.
    ///
    /// # Shapes
    /// Channels-first (default): `[batch, c, length]` → `[batch, c]` (`[batch, c, 1]` with
    /// `keepdims`); channels-last (`[batch, time, features]`, what `Embedding` gives):
    /// `[batch, length, c]` → `[batch, c]` (`[batch, 1, c]`).
    ///
    /// # Errors
    /// As [`GlobalAveragePooling2D`], for 2-D inputs.
    ///
    /// ```
    /// use derin_nn::{Ctx, DataFormat, GlobalAveragePooling1D, Module};
    /// use derin_tensor::Tensor;
    /// let pool = GlobalAveragePooling1D::new().with_data_format(DataFormat::ChannelsLast);
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 9.0, 9.0], &[1, 3, 2]); // 3 steps
    /// let mut ctx = Ctx::eval();
    /// ctx.set_mask(Some(Tensor::from_vec(vec![1.0, 1.0, 0.0], &[1, 3])));
    /// assert_eq!(pool.forward(&x, &mut ctx).to_vec(), vec![2.0, 3.0]); // step 3 masked
    /// assert!(ctx.mask().is_none());
    /// ```
    #[doc(alias = "AdaptiveAvgPool1d")]
    GlobalAveragePooling1D, "global_average_pooling1d", 1, true, "length",
    "[16, 50]", "[16]", "[16, 1]"
}

global_pooling_layer! {
    /// The largest value of each channel over the length (time) axis (PyTorch's
    /// `AdaptiveMaxPool1d(1)` then flatten).
    ///
    /// **Masks.** With a time-step mask in the [`Ctx`] only the kept steps compete
    /// (0 where a sample keeps no step); the layer consumes the mask.
    ///
    /// # Shapes
    /// As [`GlobalAveragePooling1D`].
    ///
    /// # Errors
    /// As [`GlobalAveragePooling1D`].
    ///
    /// ```
    /// use derin_nn::{Ctx, GlobalMaxPooling1D, Module};
    /// use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 7.0, 3.0], &[1, 1, 3]);
    /// let mut ctx = Ctx::eval();
    /// assert_eq!(GlobalMaxPooling1D::new().forward(&x, &mut ctx).to_vec(), vec![7.0]);
    /// ctx.set_mask(Some(Tensor::from_vec(vec![1.0, 0.0, 1.0], &[1, 3])));
    /// assert_eq!(GlobalMaxPooling1D::new().forward(&x, &mut ctx).to_vec(), vec![3.0]);
    /// ```
    #[doc(alias = "AdaptiveMaxPool1d")]
    GlobalMaxPooling1D, "global_max_pooling1d", 1, false, "length",
    "[16, 50]", "[16]", "[16, 1]"
}
