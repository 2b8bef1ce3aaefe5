//! Image files (PNG, JPEG) to channels-first `f32` tensors, and HWC ↔ CHW conversion.
//!
//! Images on disk are height × width × channels (HWC); networks take channels first (CHW,
//! or NCHW for a batch), as the course notes say. Readers return CHW values in `[0, 1]`
//! (each 8-bit sample divided by 255; 16-bit samples are reduced to 8 bits first).

use std::io::Cursor;
use std::path::Path;

use derin_tensor::Tensor;
use derin_tensor::ndarray::{Array3, ArrayD, ArrayViewD};
use image::{DynamicImage, ImageReader};

use crate::error::{Error, Result};

/// How many channels an image is read with.
///
/// ```
/// assert_eq!(derin_data::ColorMode::default(), derin_data::ColorMode::Rgb);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorMode {
    /// Three channels, red, green, blue (alpha dropped, gray repeated): `[3, H, W]`.
    #[default]
    Rgb,
    /// One luminance channel, `0.2126 R + 0.7152 G + 0.0722 B` for colour inputs: `[1, H, W]`.
    Gray,
}

impl ColorMode {
    /// The number of channels images have in this mode.
    ///
    /// ```
    /// use derin_data::ColorMode;
    /// assert_eq!(ColorMode::Rgb.channels(), 3);
    /// assert_eq!(ColorMode::Gray.channels(), 1);
    /// ```
    pub fn channels(self) -> usize {
        match self {
            ColorMode::Rgb => 3,
            ColorMode::Gray => 1,
        }
    }
}

/// Reads a PNG or JPEG file (format guessed from its bytes) as a CHW tensor in `[0, 1]`.
///
/// # Shapes
/// `[3, H, W]` for [`ColorMode::Rgb`], `[1, H, W]` for [`ColorMode::Gray`].
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened; [`Error::Format`] naming the file if its bytes
/// are not a PNG or JPEG image the decoder can read, with the decoder's reason.
///
/// # Example
/// ```
/// use derin_data::{ColorMode, read_image};
///
/// let path = std::env::temp_dir().join(format!("derin-doc-read-image-{}.png", std::process::id()));
/// image::RgbImage::from_fn(4, 2, |x, _| image::Rgb([255, 0, (x * 85) as u8])).save(&path).unwrap();
/// let picture = read_image(&path, ColorMode::Rgb)?;
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(picture.shape(), &[3, 2, 4]);
/// assert_eq!(picture.array()[[0, 1, 3]], 1.0);
/// assert_eq!(picture.array()[[2, 0, 3]], 1.0);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn read_image(path: impl AsRef<Path>, mode: ColorMode) -> Result<Tensor> {
    Ok(Tensor::from_array(image_to_chw(&open_image(path.as_ref())?, mode).into_dyn()))
}

/// Decodes the bytes of a PNG or JPEG file as a CHW tensor in `[0, 1]`, like [`read_image`].
///
/// # Errors
/// [`Error::Format`] with the path `<memory>` if the bytes are not a readable image.
///
/// # Example
/// ```
/// use derin_data::{ColorMode, decode_image};
///
/// let error = decode_image(b"not an image", ColorMode::Gray).unwrap_err();
/// assert!(error.to_string().starts_with("<memory>: cannot decode image"), "{error}");
/// ```
pub fn decode_image(bytes: &[u8], mode: ColorMode) -> Result<Tensor> {
    let memory = Path::new("<memory>");
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| io_error(memory, e))?;
    let image = reader.decode().map_err(|e| decode_error(memory, e))?;
    Ok(Tensor::from_array(image_to_chw(&image, mode).into_dyn()))
}

/// Converts HWC to CHW (one image) or NHWC to NCHW (a batch).
///
/// # Shapes
/// `[H, W, C]` → `[C, H, W]`; `[N, H, W, C]` → `[N, C, H, W]`. The result is in standard
/// layout.
///
/// # Errors
/// [`Error::Invalid`] if the array is not 3-D or 4-D.
///
/// # Example
/// ```
/// use derin_data::hwc_to_chw;
/// use derin_tensor::ndarray::{Array3, IxDyn};
///
/// let hwc = Array3::from_shape_fn((2, 3, 4), |(h, w, c)| (100 * h + 10 * w + c) as f32).into_dyn();
/// let chw = hwc_to_chw(hwc.view())?;
/// assert_eq!(chw.shape(), &[4, 2, 3]);
/// assert_eq!(chw[IxDyn(&[3, 1, 2])], 123.0);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn hwc_to_chw<T: Clone>(x: ArrayViewD<'_, T>) -> Result<ArrayD<T>> {
    let order = channel_order("hwc_to_chw", x.shape(), ChannelMove::ToFront)?;
    Ok(x.permuted_axes(order).as_standard_layout().into_owned())
}

/// Converts CHW to HWC (one image) or NCHW to NHWC (a batch): the inverse of [`hwc_to_chw`].
///
/// # Shapes
/// `[C, H, W]` → `[H, W, C]`; `[N, C, H, W]` → `[N, H, W, C]`.
///
/// # Errors
/// [`Error::Invalid`] if the array is not 3-D or 4-D.
///
/// # Example
/// ```
/// use derin_data::{chw_to_hwc, hwc_to_chw};
/// use derin_tensor::ndarray::ArrayD;
///
/// let nhwc = ArrayD::from_shape_fn(vec![2, 5, 4, 3], |i| (i[0] + i[1] * i[2] + i[3]) as u8);
/// let back = chw_to_hwc(hwc_to_chw(nhwc.view())?.view())?;
/// assert_eq!(back, nhwc);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn chw_to_hwc<T: Clone>(x: ArrayViewD<'_, T>) -> Result<ArrayD<T>> {
    let order = channel_order("chw_to_hwc", x.shape(), ChannelMove::ToBack)?;
    Ok(x.permuted_axes(order).as_standard_layout().into_owned())
}

/// [`hwc_to_chw`] on a tensor, through [`Tensor::permute`] so gradients flow through it.
///
/// # Errors
/// [`Error::Invalid`] if the tensor is not 3-D or 4-D.
///
/// # Example
/// ```
/// use derin_data::hwc_to_chw_tensor;
/// use derin_tensor::Tensor;
///
/// let nhwc = Tensor::zeros(&[8, 32, 32, 3]);
/// assert_eq!(hwc_to_chw_tensor(&nhwc)?.shape(), &[8, 3, 32, 32]);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn hwc_to_chw_tensor(x: &Tensor) -> Result<Tensor> {
    Ok(x.permute(&channel_order("hwc_to_chw_tensor", x.shape(), ChannelMove::ToFront)?))
}

/// [`chw_to_hwc`] on a tensor, through [`Tensor::permute`] so gradients flow through it.
///
/// # Errors
/// [`Error::Invalid`] if the tensor is not 3-D or 4-D.
///
/// # Example
/// ```
/// use derin_data::chw_to_hwc_tensor;
/// use derin_tensor::Tensor;
///
/// assert_eq!(chw_to_hwc_tensor(&Tensor::zeros(&[1, 28, 20]))?.shape(), &[28, 20, 1]);
/// assert!(chw_to_hwc_tensor(&Tensor::zeros(&[28, 20])).is_err());
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn chw_to_hwc_tensor(x: &Tensor) -> Result<Tensor> {
    Ok(x.permute(&channel_order("chw_to_hwc_tensor", x.shape(), ChannelMove::ToBack)?))
}

/// Which way [`channel_order`] moves the channel axis.
#[derive(Clone, Copy)]
enum ChannelMove {
    ToFront,
    ToBack,
}

/// The axis order that moves the channel axis of a 3-D or 4-D shape.
fn channel_order(op: &'static str, shape: &[usize], direction: ChannelMove) -> Result<Vec<usize>> {
    let order: &[usize] = match (shape.len(), direction) {
        (3, ChannelMove::ToFront) => &[2, 0, 1],
        (3, ChannelMove::ToBack) => &[1, 2, 0],
        (4, ChannelMove::ToFront) => &[0, 3, 1, 2],
        (4, ChannelMove::ToBack) => &[0, 2, 3, 1],
        _ => {
            return Err(Error::Invalid {
                op,
                reason: format!("expected a 3-D image or 4-D batch, got shape {shape:?}"),
            });
        }
    };
    Ok(order.to_vec())
}

/// Opens and decodes an image file, format guessed from its bytes.
pub(crate) fn open_image(path: &Path) -> Result<DynamicImage> {
    let reader = ImageReader::open(path).and_then(ImageReader::with_guessed_format).map_err(|e| io_error(path, e))?;
    reader.decode().map_err(|e| decode_error(path, e))
}

/// Reads only the header of an image file: `(width, height)`.
pub(crate) fn image_size(path: &Path) -> Result<(u32, u32)> {
    let reader = ImageReader::open(path).and_then(ImageReader::with_guessed_format).map_err(|e| io_error(path, e))?;
    reader.into_dimensions().map_err(|e| decode_error(path, e))
}

/// A decoded image as CHW `f32` in `[0, 1]`.
pub(crate) fn image_to_chw(image: &DynamicImage, mode: ColorMode) -> Array3<f32> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let (samples, channels) = match mode {
        ColorMode::Rgb => (image.to_rgb8().into_raw(), 3),
        ColorMode::Gray => (image.to_luma8().into_raw(), 1),
    };
    Array3::from_shape_fn((channels, height, width), |(c, h, w)| {
        f32::from(samples[(h * width + w) * channels + c]) / 255.0
    })
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io { path: path.to_path_buf(), source }
}

fn decode_error(path: &Path, e: image::ImageError) -> Error {
    Error::Format { path: path.to_path_buf(), reason: format!("cannot decode image: {e}") }
}

#[cfg(test)]
mod tests;
