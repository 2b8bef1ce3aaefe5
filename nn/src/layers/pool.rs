//! `MaxPooling1D/2D` and `AveragePooling1D/2D`: window poolings.

use derin_tensor::{Padding, Padding1d, Pool1dOptions, Pool2dOptions, Tensor};
use serde_json::{Value, json};

use super::conv_common::{check_positive, conv_out};
use crate::DataFormat;
use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module};
use crate::serialize::{KerasConfig, base_config, data_format_value, padding1d_value, padding2d_value};

/// A pool or stride size: `usize` for 1-D layers, `[rows, columns]` for 2-D ones.
trait Dims: Copy {
    const RANK: usize;
    fn dims(self) -> Vec<usize>;
    /// From `RANK` sizes.
    fn from_dims(v: &[usize]) -> Self;
}

impl Dims for usize {
    const RANK: usize = 1;
    fn dims(self) -> Vec<usize> {
        vec![self]
    }
    fn from_dims(v: &[usize]) -> Self {
        v[0]
    }
}

impl Dims for [usize; 2] {
    const RANK: usize = 2;
    fn dims(self) -> Vec<usize> {
        self.to_vec()
    }
    fn from_dims(v: &[usize]) -> Self {
        [v[0], v[1]]
    }
}

/// The `[before, after]` padding of each spatial axis; `None` when the padding is not one
/// a pooling takes (causal).
trait PoolPadding: Copy {
    fn pads(self, spatial: &[usize], pool: &[usize], strides: &[usize]) -> Option<Vec<[usize; 2]>>;
    /// Keras' spelling; `Err` naming `label` for explicit amounts.
    fn keras(self, label: &str) -> Result<Value>;
    /// From a Keras config's `padding`.
    fn from_keras(c: &KerasConfig) -> Result<Self>;
}

impl PoolPadding for Padding {
    fn pads(self, spatial: &[usize], pool: &[usize], strides: &[usize]) -> Option<Vec<[usize; 2]>> {
        let [t, b, l, r] = self.resolve([spatial[0], spatial[1]], [pool[0], pool[1]], [strides[0], strides[1]], [1, 1]);
        Some(vec![[t, b], [l, r]])
    }
    fn keras(self, label: &str) -> Result<Value> {
        padding2d_value(label, self)
    }
    fn from_keras(c: &KerasConfig) -> Result<Self> {
        c.padding2d()
    }
}

impl PoolPadding for Padding1d {
    fn pads(self, spatial: &[usize], pool: &[usize], strides: &[usize]) -> Option<Vec<[usize; 2]>> {
        (self != Padding1d::Causal).then(|| vec![self.resolve(spatial[0], pool[0], strides[0], 1)])
    }
    fn keras(self, label: &str) -> Result<Value> {
        padding1d_value(label, self)
    }
    fn from_keras(c: &KerasConfig) -> Result<Self> {
        match c.padding1d()? {
            Padding1d::Causal => Err(c.error("padding", "causal padding is for convolutions")),
            p => Ok(p),
        }
    }
}

/// The output shape of a pooling, or the error naming `label` and the shapes.
fn pool_shape(
    label: String,
    input: &[usize],
    data_format: DataFormat,
    axes: &str,
    pool: &[usize],
    strides: &[usize],
    padding: impl PoolPadding + std::fmt::Debug,
) -> Result<Vec<usize>> {
    check_positive(&label, "pool_size", pool)?;
    check_positive(&label, "strides", strides)?;
    let layout = data_format.describe(axes);
    let bad = |expected: String| Error::InputShape { layer: label.clone(), expected, got: input.to_vec() };
    let (channels, spatial) =
        data_format.split(input).filter(|_| input.len() == pool.len() + 1).ok_or_else(|| bad(layout.clone()))?;
    let Some(pads) = padding.pads(&spatial, pool, strides) else {
        let what = format!("{label} padding {padding:?}");
        return Err(Error::Hyperparameter {
            what,
            value: 0.0,
            range: "valid, same or explicit (causal is for convolutions)",
        });
    };
    if pads.iter().zip(pool).any(|(p, &k)| p[0] > k / 2 || p[1] > k / 2) {
        let what = format!("{label} padding {pads:?} for pool_size {pool:?}");
        return Err(Error::Hyperparameter { what, value: 0.0, range: "at most half the pool size on each side" });
    }
    let out: Option<Vec<usize>> =
        (0..pool.len()).map(|i| conv_out(spatial[i], pads[i], pool[i], strides[i], 1)).collect();
    let out =
        out.ok_or_else(|| bad(format!("{layout} at least as large as pool_size {pool:?} after padding {pads:?}")))?;
    Ok(data_format.join(channels, &out))
}

/// Defines one pooling layer: the struct, its builder methods and its `Module` impl.
macro_rules! pooling_layer {
    (
        $(#[$doc:meta])*
        $ty:ident, $snake:literal, $size:ty, $pad:ty, $axes:literal,
        $pool:literal, $input:literal, $output:literal,
        |$layer:ident, $x:ident| $forward:expr
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $ty {
            core: LayerCore,
            pool_size: $size,
            strides: Option<$size>,
            padding: $pad,
            data_format: DataFormat,
        }

        impl $ty {
            /// A layer pooling windows of `pool_size` (Keras' default is 2), with strides
            /// equal to `pool_size` and no padding.
            ///
            #[doc = concat!(
                "```\n# use derin_nn::{Module, ", stringify!($ty), "};\n",
                "let p = ", stringify!($ty), "::new(", $pool, ");\n",
                "assert_eq!(p.output_shape(&", $input, ").unwrap(), vec!", $output, ");\n",
                "assert_eq!(p.name(), \"", $snake, "\");\n```"
            )]
            pub fn new(pool_size: $size) -> Self {
                $ty {
                    core: LayerCore::new($snake),
                    pool_size,
                    strides: None,
                    padding: <$pad>::Valid,
                    data_format: DataFormat::ChannelsFirst,
                }
            }

            /// Steps between windows (Keras' `strides`; by default `pool_size`).
            ///
            #[doc = concat!(
                "```\n# use derin_nn::", stringify!($ty), ";\n",
                "let p = ", stringify!($ty), "::new(", $pool, ").with_strides(", $pool, ");\n",
                "assert_eq!(p.strides(), ", $pool, ");\n```"
            )]
            pub fn with_strides(mut self, strides: $size) -> Self {
                self.strides = Some(strides);
                self
            }

            /// `Valid` (default) or `Same` (output `ceil(in / stride)`, the odd padding at
            /// the end; max pooling never picks padding, average pooling divides by the
            /// input values a window covers, as Keras), or explicit amounts of at most half
            /// the pool size.
            ///
            #[doc = concat!(
                "```\n# use derin_nn::", stringify!($ty), ";\n",
                "let p = ", stringify!($ty), "::new(", $pool, ").with_padding(derin_tensor::", stringify!($pad), "::Same);\n",
                "assert_eq!(p.padding(), derin_tensor::", stringify!($pad), "::Same);\n```"
            )]
            pub fn with_padding(mut self, padding: $pad) -> Self {
                self.padding = padding;
                self
            }

            /// Reads and writes inputs in `data_format` (default
            /// [`DataFormat::ChannelsFirst`]).
            ///
            #[doc = concat!(
                "```\n# use derin_nn::{DataFormat, ", stringify!($ty), "};\n",
                "let p = ", stringify!($ty), "::new(", $pool, ").with_data_format(DataFormat::ChannelsLast);\n",
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
                "assert_eq!(", stringify!($ty), "::new(", $pool, ").named(\"pool\").name(), \"pool\");\n```"
            )]
            pub fn named(mut self, name: &str) -> Self {
                self.core.name = name.to_string();
                self
            }

            /// The window size.
            ///
            #[doc = concat!(
                "```\n# use derin_nn::", stringify!($ty), ";\n",
                "assert_eq!(", stringify!($ty), "::new(", $pool, ").pool_size(), ", $pool, ");\n```"
            )]
            pub fn pool_size(&self) -> $size {
                self.pool_size
            }

            /// The step between windows (`pool_size` unless set).
            ///
            #[doc = concat!(
                "```\n# use derin_nn::", stringify!($ty), ";\n",
                "assert_eq!(", stringify!($ty), "::new(", $pool, ").strides(), ", $pool, ");\n```"
            )]
            pub fn strides(&self) -> $size {
                self.strides.unwrap_or(self.pool_size)
            }

            /// The padding.
            ///
            #[doc = concat!(
                "```\n# use derin_nn::", stringify!($ty), ";\n",
                "assert_eq!(", stringify!($ty), "::new(", $pool, ").padding(), derin_tensor::", stringify!($pad), "::Valid);\n```"
            )]
            pub fn padding(&self) -> $pad {
                self.padding
            }

            /// Where the channel axis sits.
            ///
            #[doc = concat!(
                "```\n# use derin_nn::{DataFormat, ", stringify!($ty), "};\n",
                "assert_eq!(", stringify!($ty), "::new(", $pool, ").data_format(), DataFormat::ChannelsFirst);\n```"
            )]
            pub fn data_format(&self) -> DataFormat {
                self.data_format
            }

            /// The layer a Keras config describes.
            pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
                let rank = <$size as Dims>::RANK;
                let pool = if c.get("pool_size").is_some() { c.sizes("pool_size", rank)? } else { vec![2; rank] };
                let strides = match c.get("strides") {
                    Some(_) => Some(<$size as Dims>::from_dims(&c.sizes("strides", rank)?)),
                    None => None,
                };
                Ok($ty {
                    core: c.core($snake)?,
                    pool_size: <$size as Dims>::from_dims(&pool),
                    strides,
                    padding: <$pad as PoolPadding>::from_keras(c)?,
                    data_format: c.data_format()?,
                })
            }
        }

        impl Module for $ty {
            fn keras_config(&self) -> Result<Value> {
                let mut c = base_config(&self.core);
                c.insert("pool_size".into(), json!(self.pool_size.dims()));
                c.insert("padding".into(), self.padding.keras(&self.label())?);
                c.insert("strides".into(), json!(self.strides().dims()));
                c.insert("data_format".into(), data_format_value(self.data_format));
                Ok(c.into())
            }

            /// # Panics
            /// If the input does not fit (the tensor pooling's message names the shapes).
            fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
                // As Keras, convolutions and poolings do not support masking: a mask stops here.
                ctx.set_mask(None);
                let ($layer, $x) = (self, self.data_format.to_first(x));
                self.data_format.back_from_first(&$forward)
            }

            fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
                let (pool, strides) = (self.pool_size.dims(), self.strides().dims());
                pool_shape(self.label(), input, self.data_format, $axes, &pool, &strides, self.padding)
            }

            fn type_name(&self) -> &'static str {
                stringify!($ty)
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

fn options2(strides: [usize; 2], padding: Padding) -> Pool2dOptions {
    Pool2dOptions { stride: Some(strides), padding, count_include_pad: false }
}

fn options1(strides: usize, padding: Padding1d) -> Pool1dOptions {
    Pool1dOptions { stride: Some(strides), padding, count_include_pad: false }
}

pooling_layer! {
    /// The largest value of each `pool_size` window of every channel (PyTorch's
    /// `MaxPool2d`; [`Tensor::max_pool2d`]). The gradient goes to the first largest value
    /// of each window; `same` padding is never picked.
    ///
    /// # Shapes
    /// Channels-first (default): `[batch, c, h, w]` → `[batch, c, h_out, w_out]`, `h_out =
    /// (h + pads − ph) / sh + 1` (rounded down; `ceil(h / sh)` with `Same`);
    /// channels-last: `[batch, h, w, c]` → `[batch, h_out, w_out, c]`.
    ///
    /// # Errors
    /// [`Module::output_shape`] gives [`Error::InputShape`] for an input that is not 3-D
    /// (besides the batch axis) or smaller than the window after padding, and
    /// [`Error::Hyperparameter`] for a zero size or a padding over half the window.
    ///
    /// ```
    /// use derin_nn::{Ctx, MaxPooling2D, Module};
    /// use derin_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]);
    /// let y = MaxPooling2D::new([2, 2]).forward(&x, &mut Ctx::eval());
    /// assert_eq!(y.to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
    /// ```
    #[doc(alias = "MaxPool2d")]
    MaxPooling2D, "max_pooling2d", [usize; 2], Padding, "height, width",
    "[2, 2]", "[3, 28, 28]", "[3, 14, 14]",
    |l, x| x.max_pool2d(l.pool_size, &options2(l.strides(), l.padding))
}

pooling_layer! {
    /// The mean of each `pool_size` window of every channel (PyTorch's `AvgPool2d` with
    /// `count_include_pad=False`; [`Tensor::avg_pool2d`]). With padding, a window is
    /// divided by the number of input values it covers, as Keras' `padding="same"` does.
    ///
    /// # Shapes
    /// As [`MaxPooling2D`].
    ///
    /// # Errors
    /// As [`MaxPooling2D`].
    ///
    /// ```
    /// use derin_nn::{AveragePooling2D, Ctx, Module};
    /// use derin_tensor::{Padding, Tensor};
    /// let x = Tensor::arange(0.0, 9.0, 1.0).reshape(&[1, 1, 3, 3]);
    /// let y = AveragePooling2D::new([2, 2]).with_padding(Padding::Same).forward(&x, &mut Ctx::eval());
    /// // Windows {0,1,3,4}, {2,5}, {6,7}, {8}: padding is not counted.
    /// assert_eq!(y.to_vec(), vec![2.0, 3.5, 6.5, 8.0]);
    /// ```
    #[doc(alias = "AvgPool2d")]
    AveragePooling2D, "average_pooling2d", [usize; 2], Padding, "height, width",
    "[2, 2]", "[3, 28, 28]", "[3, 14, 14]",
    |l, x| x.avg_pool2d(l.pool_size, &options2(l.strides(), l.padding))
}

pooling_layer! {
    /// The largest value of each `pool_size` window along the length of every channel
    /// (PyTorch's `MaxPool1d`; [`Tensor::max_pool1d`]).
    ///
    /// # Shapes
    /// Channels-first (default): `[batch, c, length]` → `[batch, c, length_out]`;
    /// channels-last (`[batch, time, features]` sequences): `[batch, length, c]` →
    /// `[batch, length_out, c]`.
    ///
    /// # Errors
    /// As [`MaxPooling2D`], for 2-D inputs; [`Padding1d::Causal`] is a
    /// [`Error::Hyperparameter`].
    ///
    /// ```
    /// use derin_nn::{Ctx, MaxPooling1D, Module};
    /// use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 2.0, 4.0, 3.0], &[1, 1, 5]);
    /// assert_eq!(MaxPooling1D::new(2).forward(&x, &mut Ctx::eval()).to_vec(), vec![5.0, 4.0]);
    /// ```
    #[doc(alias = "MaxPool1d")]
    MaxPooling1D, "max_pooling1d", usize, Padding1d, "length",
    "2", "[4, 10]", "[4, 5]",
    |l, x| x.max_pool1d(l.pool_size, &options1(l.strides(), l.padding))
}

pooling_layer! {
    /// The mean of each `pool_size` window along the length of every channel (PyTorch's
    /// `AvgPool1d` with `count_include_pad=False`; [`Tensor::avg_pool1d`]); padding is not
    /// counted, as in Keras.
    ///
    /// # Shapes
    /// As [`MaxPooling1D`].
    ///
    /// # Errors
    /// As [`MaxPooling1D`].
    ///
    /// ```
    /// use derin_nn::{AveragePooling1D, Ctx, Module};
    /// use derin_tensor::{Padding1d, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 2.0], &[1, 1, 3]);
    /// let p = AveragePooling1D::new(2).with_padding(Padding1d::Same);
    /// assert_eq!(p.forward(&x, &mut Ctx::eval()).to_vec(), vec![3.0, 2.0]); // (1+5)/2, 2/1
    /// ```
    #[doc(alias = "AvgPool1d")]
    AveragePooling1D, "average_pooling1d", usize, Padding1d, "length",
    "2", "[4, 10]", "[4, 5]",
    |l, x| x.avg_pool1d(l.pool_size, &options1(l.strides(), l.padding))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_errors_name_the_layer_and_shapes() {
        let err = MaxPooling2D::new([3, 3]).output_shape(&[1, 2, 5]).unwrap_err().to_string();
        assert!(err.contains("max_pooling2d (MaxPooling2D)") && err.contains("[1, 2, 5]"), "{err}");
        assert!(err.contains("pool_size [3, 3]"), "{err}");
        let err = AveragePooling1D::new(2).output_shape(&[1, 2, 5]).unwrap_err().to_string();
        assert!(err.contains("[channels, length]") && err.contains("[1, 2, 5]"), "{err}");
        let err = MaxPooling1D::new(2).with_padding(Padding1d::Causal).output_shape(&[1, 4]).unwrap_err();
        assert!(err.to_string().contains("causal is for convolutions"), "{err}");
        let err = MaxPooling1D::new(2).with_padding(Padding1d::Explicit(2)).output_shape(&[1, 4]).unwrap_err();
        assert!(err.to_string().contains("at most half"), "{err}");
        assert!(MaxPooling2D::new([0, 2]).output_shape(&[1, 4, 4]).is_err());
    }

    #[test]
    fn same_padding_rounds_up_and_channels_last_moves_channels() {
        let p = MaxPooling2D::new([3, 3]).with_strides([2, 2]).with_padding(Padding::Same);
        assert_eq!(p.output_shape(&[4, 9, 10]).unwrap(), vec![4, 5, 5]);
        let p = p.with_data_format(DataFormat::ChannelsLast);
        assert_eq!(p.output_shape(&[9, 10, 4]).unwrap(), vec![5, 5, 4]);
        assert_eq!(AveragePooling1D::new(3).with_strides(1).output_shape(&[2, 7]).unwrap(), vec![2, 5]);
    }
}
