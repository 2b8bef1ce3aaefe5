//! `ZeroPadding2D`, `Cropping2D` and `UpSampling2D`: the parameter-free layers that
//! change an image's height and width, with Keras' names, configs and defaults.

use derin_tensor::{PadMode, Tensor};
use serde_json::{Value, json};

use crate::DataFormat;
use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module};
use crate::serialize::{KerasConfig, base_config, data_format_value};

/// Amounts per side, `[[top, bottom], [left, right]]`.
pub type Sides = [[usize; 2]; 2];

/// Per-side amounts from a Keras value: one number (every side), `[h, w]` (both sides of
/// each axis) or `[[top, bottom], [left, right]]`.
fn sides(c: &KerasConfig, key: &str, default: Sides) -> Result<Sides> {
    let bad = || c.error(key, "expected a number, [height, width] or [[top, bottom], [left, right]]");
    let number = |v: &Value| v.as_u64().map(|n| n as usize).ok_or_else(bad);
    let Some(v) = c.get(key) else { return Ok(default) };
    if let Some(n) = v.as_u64() {
        let n = n as usize;
        return Ok([[n, n], [n, n]]);
    }
    let axes = v.as_array().filter(|a| a.len() == 2).ok_or_else(bad)?;
    let mut out = [[0; 2]; 2];
    for (o, axis) in out.iter_mut().zip(axes) {
        *o = match axis.as_array() {
            Some(pair) if pair.len() == 2 => [number(&pair[0])?, number(&pair[1])?],
            Some(_) => return Err(bad()),
            None => [number(axis)?; 2],
        };
    }
    Ok(out)
}

/// `(channels, [height, width])` of a per-sample shape, or the layer's input-shape error.
fn image(label: String, format: DataFormat, input: &[usize]) -> Result<(usize, [usize; 2])> {
    match format.split(input) {
        Some((c, s)) if s.len() == 2 => Ok((c, [s[0], s[1]])),
        _ => Err(Error::InputShape { layer: label, expected: format.describe("height, width"), got: input.to_vec() }),
    }
}

/// Defines the builder methods and accessors every layer here shares.
macro_rules! common_methods {
    ($ty:ident) => {
        impl $ty {
            /// Reads inputs in `data_format` (default [`DataFormat::ChannelsFirst`]).
            pub fn with_data_format(mut self, data_format: DataFormat) -> Self {
                self.data_format = data_format;
                self
            }

            /// Gives the layer a name.
            pub fn named(mut self, name: &str) -> Self {
                self.core.name = name.to_string();
                self
            }

            /// Where the channel axis sits.
            pub fn data_format(&self) -> DataFormat {
                self.data_format
            }
        }
    };
}

/// Adds zeros around each image: `top`/`bottom` rows and `left`/`right` columns (Keras'
/// `ZeroPadding2D`, PyTorch's `ZeroPad2d`).
///
/// # Shapes
/// Channels-first (default): `[batch, c, h, w]` → `[batch, c, top + h + bottom, left + w
/// + right]`; channels-last: `[batch, h, w, c]` → `[batch, h', w', c]`.
///
/// ```
/// use derin_nn::{Ctx, Module, ZeroPadding2D};
/// use derin_tensor::Tensor;
/// let pad = ZeroPadding2D::new([[1, 0], [0, 2]]);
/// let y = pad.forward(&Tensor::ones(&[1, 1, 1, 1]), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[1, 1, 2, 3]);
/// assert_eq!(y.to_vec(), vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
/// assert_eq!(ZeroPadding2D::symmetric([1, 1]).padding(), [[1, 1], [1, 1]]); // Keras' default
/// ```
#[doc(alias = "ZeroPad2d")]
#[derive(Clone, Debug)]
pub struct ZeroPadding2D {
    core: LayerCore,
    padding: Sides,
    data_format: DataFormat,
}

impl ZeroPadding2D {
    /// Pads `[[top, bottom], [left, right]]`.
    pub fn new(padding: Sides) -> Self {
        ZeroPadding2D { core: LayerCore::new("zero_padding2d"), padding, data_format: DataFormat::ChannelsFirst }
    }

    /// Pads `h` rows above and below and `w` columns left and right.
    pub fn symmetric([h, w]: [usize; 2]) -> Self {
        ZeroPadding2D::new([[h, h], [w, w]])
    }

    /// The padding, `[[top, bottom], [left, right]]`.
    pub fn padding(&self) -> Sides {
        self.padding
    }

    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let padding = sides(c, "padding", [[1, 1], [1, 1]])?;
        Ok(ZeroPadding2D { core: c.core("zero_padding2d")?, padding, data_format: c.data_format()? })
    }
}

common_methods!(ZeroPadding2D);

impl Module for ZeroPadding2D {
    /// # Panics
    /// If the input is not 4-D.
    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        let first = self.data_format.first_spatial_axis();
        let mut pads = vec![(0, 0); x.ndim()];
        assert!(x.ndim() == 4, "{}: input must be 4-D, got shape {:?}", self.label(), x.shape());
        pads[first] = (self.padding[0][0], self.padding[0][1]);
        pads[first + 1] = (self.padding[1][0], self.padding[1][1]);
        x.pad(&pads, PadMode::Constant(0.0))
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let (c, [h, w]) = image(self.label(), self.data_format, input)?;
        let [[t, b], [l, r]] = self.padding;
        Ok(self.data_format.join(c, &[t + h + b, l + w + r]))
    }

    fn type_name(&self) -> &'static str {
        "ZeroPadding2D"
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("padding".into(), json!(self.padding));
        c.insert("data_format".into(), data_format_value(self.data_format));
        Ok(c.into())
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }
}

/// Cuts `top`/`bottom` rows and `left`/`right` columns off each image (Keras'
/// `Cropping2D`).
///
/// # Shapes
/// Channels-first (default): `[batch, c, h, w]` → `[batch, c, h − top − bottom, w − left
/// − right]`; channels-last likewise with the channels last.
///
/// # Errors
/// [`Module::output_shape`] gives [`Error::InputShape`] when the cropping leaves no row
/// or no column.
///
/// ```
/// use derin_nn::{Cropping2D, Ctx, Module};
/// use derin_tensor::Tensor;
/// let crop = Cropping2D::new([[1, 0], [0, 1]]);
/// let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[1, 1, 2, 3]);
/// assert_eq!(crop.forward(&x, &mut Ctx::eval()).to_vec(), vec![3.0, 4.0]);
/// assert!(crop.output_shape(&[1, 1, 5]).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Cropping2D {
    core: LayerCore,
    cropping: Sides,
    data_format: DataFormat,
}

impl Cropping2D {
    /// Crops `[[top, bottom], [left, right]]`.
    pub fn new(cropping: Sides) -> Self {
        Cropping2D { core: LayerCore::new("cropping2d"), cropping, data_format: DataFormat::ChannelsFirst }
    }

    /// The cropping, `[[top, bottom], [left, right]]`.
    pub fn cropping(&self) -> Sides {
        self.cropping
    }

    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let cropping = sides(c, "cropping", [[0, 0], [0, 0]])?;
        Ok(Cropping2D { core: c.core("cropping2d")?, cropping, data_format: c.data_format()? })
    }
}

common_methods!(Cropping2D);

impl Module for Cropping2D {
    /// # Panics
    /// If the input is not 4-D or the cropping leaves nothing.
    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        let first = self.data_format.first_spatial_axis();
        let out = self.output_shape(x.shape().get(1..).unwrap_or(&[])).unwrap_or_else(|e| panic!("{e}"));
        let [[t, _], [l, _]] = self.cropping;
        let (h, w) = (out[first - 1], out[first]);
        x.narrow(first, t, h).narrow(first + 1, l, w)
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let (c, [h, w]) = image(self.label(), self.data_format, input)?;
        let [[t, b], [l, r]] = self.cropping;
        if t + b >= h || l + r >= w {
            let expected =
                format!("height above {} and width above {} (the cropping {:?})", t + b, l + r, self.cropping);
            return Err(Error::InputShape { layer: self.label(), expected, got: input.to_vec() });
        }
        Ok(self.data_format.join(c, &[h - t - b, w - l - r]))
    }

    fn type_name(&self) -> &'static str {
        "Cropping2D"
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("cropping".into(), json!(self.cropping));
        c.insert("data_format".into(), data_format_value(self.data_format));
        Ok(c.into())
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }
}

/// How [`UpSampling2D`] fills the new pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Interpolation {
    /// Each pixel repeated (Keras' default).
    #[default]
    Nearest,
    /// Bilinear, pixel areas aligned (PyTorch's `align_corners=False`, what Keras'
    /// `ops.image.resize` does when enlarging).
    Bilinear,
}

/// Enlarges each image by integer factors (Keras' `UpSampling2D`, PyTorch's
/// `Upsample(scale_factor)`).
///
/// # Shapes
/// Channels-first (default): `[batch, c, h, w]` → `[batch, c, h·sh, w·sw]`; channels-last
/// likewise with the channels last.
///
/// ```
/// use derin_nn::{Ctx, Interpolation, Module, UpSampling2D};
/// use derin_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0, 2.0], &[1, 1, 1, 2]);
/// let near = UpSampling2D::new([1, 2]).forward(&x, &mut Ctx::eval());
/// assert_eq!(near.to_vec(), vec![1.0, 1.0, 2.0, 2.0]);
/// let smooth = UpSampling2D::new([1, 2]).with_interpolation(Interpolation::Bilinear);
/// assert_eq!(smooth.forward(&x, &mut Ctx::eval()).to_vec(), vec![1.0, 1.25, 1.75, 2.0]);
/// ```
#[doc(alias = "Upsample")]
#[derive(Clone, Debug)]
pub struct UpSampling2D {
    core: LayerCore,
    size: [usize; 2],
    interpolation: Interpolation,
    data_format: DataFormat,
}

impl UpSampling2D {
    /// Enlarges by `[sh, sw]` (Keras' default is `[2, 2]`), nearest neighbour.
    pub fn new(size: [usize; 2]) -> Self {
        UpSampling2D {
            core: LayerCore::new("up_sampling2d"),
            size,
            interpolation: Interpolation::Nearest,
            data_format: DataFormat::ChannelsFirst,
        }
    }

    /// Sets how new pixels are filled.
    pub fn with_interpolation(mut self, interpolation: Interpolation) -> Self {
        self.interpolation = interpolation;
        self
    }

    /// The factors `[sh, sw]`.
    pub fn size(&self) -> [usize; 2] {
        self.size
    }

    /// How new pixels are filled.
    pub fn interpolation(&self) -> Interpolation {
        self.interpolation
    }

    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let size = match c.get("size") {
            None => [2, 2],
            Some(_) => {
                let s = c.sizes("size", 2)?;
                [s[0], s[1]]
            }
        };
        if size.contains(&0) {
            return Err(c.error("size", format!("factors must be positive, got {size:?}")));
        }
        let interpolation = match c.str_opt("interpolation")? {
            None | Some("nearest") => Interpolation::Nearest,
            Some("bilinear") => Interpolation::Bilinear,
            Some(other) => return Err(c.error("interpolation", format!("{other:?} (Derin has nearest and bilinear)"))),
        };
        Ok(UpSampling2D { core: c.core("up_sampling2d")?, size, interpolation, data_format: c.data_format()? })
    }
}

common_methods!(UpSampling2D);

impl Module for UpSampling2D {
    /// # Panics
    /// If the input is not 4-D or a factor is 0.
    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        let x = self.data_format.to_first(x);
        let y = match self.interpolation {
            Interpolation::Nearest => x.upsample_nearest2d(self.size),
            Interpolation::Bilinear => {
                let size = [x.shape()[2] * self.size[0], x.shape()[3] * self.size[1]];
                x.upsample_bilinear2d(size, false)
            }
        };
        self.data_format.back_from_first(&y)
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let (c, [h, w]) = image(self.label(), self.data_format, input)?;
        Ok(self.data_format.join(c, &[h * self.size[0], w * self.size[1]]))
    }

    fn type_name(&self) -> &'static str {
        "UpSampling2D"
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("size".into(), json!(self.size));
        c.insert("data_format".into(), data_format_value(self.data_format));
        let interpolation = match self.interpolation {
            Interpolation::Nearest => "nearest",
            Interpolation::Bilinear => "bilinear",
        };
        c.insert("interpolation".into(), json!(interpolation));
        Ok(c.into())
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }
}

#[cfg(test)]
mod tests;
