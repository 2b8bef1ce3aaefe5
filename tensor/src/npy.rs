//! Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
//!
//! A `.npy` file is the magic string `\x93NUMPY`, a version byte pair, the header length
//! (`u16` in version 1.0, `u32` in 2.0 and 3.0), a Python-dict header such as
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and a newline
//! so that the data starts at a multiple of 64 bytes, and then the elements' raw bytes.
//!
//! Writers produce `<f4` (or, from `f64` arrays, `<f8`) in C order, byte for byte what
//! `numpy.save` writes for a `float32` (`float64`) array. Readers accept `f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1`, little- or big-endian, C or
//! Fortran order, and always return arrays in standard (C) layout. Every malformed or truncated
//! input is an [`Error::Npy`] that says what is wrong and at which byte; nothing is allocated
//! for the data before its length has been checked against the shape.
//!
//! ```
//! use derin_tensor::ndarray::array;
//! use derin_tensor::npy;
//!
//! let kernel = array![[1.0f32, 2.0], [3.0, 4.0]].into_dyn();
//! let bytes = npy::to_bytes_f32(&kernel.view());
//! assert_eq!(npy::from_bytes_f32(&bytes)?, kernel);
//! # Ok::<(), derin_tensor::Error>(())
//! ```

mod dtype;
mod float64;
mod header;
#[cfg(test)]
mod tests;

use std::fs;
use std::path::Path;

use ndarray::{ArrayD, ArrayViewD, IxDyn, ShapeBuilder};

use crate::error::{Error, Result};
use dtype::Kind;
use header::Header;

pub use float64::{from_bytes_f64, read_f64, to_bytes_f64, write_f64};

/// The path that errors from the in-memory functions name.
const MEMORY: &str = "<memory>";

/// Reads a `.npy` file as `f32`, converting from whatever supported type it holds.
///
/// Accepts `f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1`, little- or big-endian, C or Fortran order,
/// 0-d and empty arrays. `f8` values and integers beyond ±2²⁴ are rounded to the nearest `f32`
/// ([`read_f64`] keeps them); `b1` reads as 0 and 1. The result is always in standard (C) layout.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Npy`] if its bytes do not follow the
/// format (bad magic, unsupported version or dtype, malformed header, data length different
/// from shape × itemsize), with the reason and byte position.
///
/// # Example
/// ```
/// use derin_tensor::ndarray::{ArrayD, IxDyn};
/// use derin_tensor::npy;
///
/// let path = std::env::temp_dir().join(format!("derin-npy-doc-read-f32-{}.npy", std::process::id()));
/// let weights = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0.5f32, -1.0, 2.0, 8.0]).unwrap();
/// npy::write_f32(&path, &weights.view())?;
/// let loaded = npy::read_f32(&path)?;
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(loaded.shape(), &[2, 2]);
/// assert_eq!(loaded[[1, 0]], 2.0);
/// # Ok::<(), derin_tensor::Error>(())
/// ```
pub fn read_f32(path: impl AsRef<Path>) -> Result<ArrayD<f32>> {
    let path = path.as_ref();
    decode_f32(&read_file(path)?).map_err(|reason| npy_error(path, reason))
}

/// Reads a `.npy` file of integers as `usize`: class labels, token ids, indices.
///
/// Accepts `i1 i2 i4 i8 u1 u2 u4 u8 b1`, little- or big-endian, C or Fortran order, 0-d and
/// empty arrays. The result is always in standard (C) layout.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Npy`] if it is malformed (as in
/// [`read_f32`]), holds floats, or holds a negative value (the reason names the value and its
/// flat C-order index).
///
/// # Example
/// ```
/// use derin_tensor::ndarray::{ArrayD, IxDyn};
/// use derin_tensor::npy;
///
/// // A NumPy `np.array([3, 0, 7], dtype=np.int64)`, built by hand.
/// let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
/// let header = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }\n";
/// bytes.extend((header.len() as u16).to_le_bytes());
/// bytes.extend(header.as_bytes());
/// for label in [3i64, 0, 7] {
///     bytes.extend(label.to_le_bytes());
/// }
/// let path = std::env::temp_dir().join(format!("derin-npy-doc-read-usize-{}.npy", std::process::id()));
/// std::fs::write(&path, &bytes).unwrap();
/// let labels = npy::read_usize(&path)?;
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(labels, ArrayD::from_shape_vec(IxDyn(&[3]), vec![3usize, 0, 7]).unwrap());
/// # Ok::<(), derin_tensor::Error>(())
/// ```
pub fn read_usize(path: impl AsRef<Path>) -> Result<ArrayD<usize>> {
    let path = path.as_ref();
    decode_usize(&read_file(path)?).map_err(|reason| npy_error(path, reason))
}

/// Reads a `.npy` file as `f32`, but only if every value converts without loss of meaning:
/// the reader for model inputs such as token ids, where a silently rounded id would be a
/// different token.
///
/// Accepts what [`read_f32`] accepts (`f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1`, either byte order, C
/// or Fortran order). Integers must lie within ±2²⁴ = ±16,777,216, where every integer is an
/// `f32`; `f8` values are rounded to the nearest `f32` (floats are approximate anyway) but must
/// not overflow it; `b1` reads as 0 and 1.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Npy`] if it is malformed (as in
/// [`read_f32`]) or holds a value beyond those limits (the reason names the value and its
/// index).
///
/// # Example
/// ```
/// use derin_tensor::npy;
///
/// // `np.array([[4, 0, 7]], dtype=np.int64)`, built by hand: token ids become exact floats.
/// let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
/// let header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 3), }\n";
/// bytes.extend((header.len() as u16).to_le_bytes());
/// bytes.extend(header.as_bytes());
/// for id in [4i64, 0, 7] {
///     bytes.extend(id.to_le_bytes());
/// }
/// let path = std::env::temp_dir().join(format!("derin-npy-doc-read-as-f32-{}.npy", std::process::id()));
/// std::fs::write(&path, &bytes).unwrap();
/// let ids = npy::read_as_f32(&path)?;
/// assert_eq!(ids.shape(), &[1, 3]);
/// assert_eq!(ids.iter().copied().collect::<Vec<f32>>(), vec![4.0, 0.0, 7.0]);
///
/// // 2²⁴ + 1 has no f32: an error, where `read_f32` would round it to 2²⁴.
/// bytes.truncate(bytes.len() - 8);
/// bytes.extend((16_777_217i64).to_le_bytes());
/// std::fs::write(&path, &bytes).unwrap();
/// let error = npy::read_as_f32(&path).unwrap_err().to_string();
/// assert!(error.contains("value 16777217 (int64) at flat index 2"), "{error}");
/// assert_eq!(npy::read_f32(&path)?[[0, 2]], 16_777_216.0);
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), derin_tensor::Error>(())
/// ```
pub fn read_as_f32(path: impl AsRef<Path>) -> Result<ArrayD<f32>> {
    let path = path.as_ref();
    decode_as_f32(&read_file(path)?).map_err(|reason| npy_error(path, reason))
}

/// Parses the bytes of a whole `.npy` file as `f32`, like [`read_f32`] does a file.
///
/// # Errors
/// [`Error::Npy`] with path `<memory>` if the bytes do not follow the format.
///
/// # Example
/// ```
/// use derin_tensor::npy;
///
/// let truncated = &npy::to_bytes_f32(&derin_tensor::ndarray::ArrayD::zeros(vec![2, 3]).view())[..140];
/// let error = npy::from_bytes_f32(truncated).unwrap_err();
/// assert!(error.to_string().contains("expected 24 bytes of data, found 12"), "{error}");
/// ```
pub fn from_bytes_f32(bytes: &[u8]) -> Result<ArrayD<f32>> {
    decode_f32(bytes).map_err(|reason| npy_error(Path::new(MEMORY), reason))
}

/// Parses the bytes of a whole `.npy` file of integers as `usize`, like [`read_usize`] does a
/// file.
///
/// # Errors
/// [`Error::Npy`] with path `<memory>` if the bytes are malformed, hold floats, or hold a
/// negative value.
///
/// # Example
/// ```
/// use derin_tensor::npy;
///
/// let floats = npy::to_bytes_f32(&derin_tensor::ndarray::ArrayD::zeros(vec![4]).view());
/// let error = npy::from_bytes_usize(&floats).unwrap_err();
/// assert!(error.to_string().contains("expected an integer dtype"), "{error}");
/// ```
pub fn from_bytes_usize(bytes: &[u8]) -> Result<ArrayD<usize>> {
    decode_usize(bytes).map_err(|reason| npy_error(Path::new(MEMORY), reason))
}

/// The bytes of a `.npy` file holding `array` as `<f4` in C order: what `numpy.save` writes.
///
/// Any layout of `array` (transposed, sliced) is written in its logical row-major order. The
/// format version is 1.0, or 2.0 when the header does not fit in 64 KiB (over ~20,000 axes).
///
/// # Example
/// ```
/// use derin_tensor::ndarray::array;
/// use derin_tensor::npy;
///
/// let bytes = npy::to_bytes_f32(&array![[1.0f32, 2.0, 3.0]].into_dyn().view());
/// assert!(bytes.starts_with(b"\x93NUMPY\x01\x00"));
/// assert_eq!(bytes.len(), 128 + 3 * 4); // header padded to a multiple of 64 bytes, then 3 floats
/// ```
pub fn to_bytes_f32(array: &ArrayViewD<f32>) -> Vec<u8> {
    let mut bytes = header::encode("<f4", array.shape());
    bytes.reserve(4 * array.len());
    for &x in array {
        bytes.extend(x.to_le_bytes());
    }
    bytes
}

/// Writes `array` to a `.npy` file as `<f4` in C order (see [`to_bytes_f32`]), atomically.
///
/// The bytes go to a temporary file in the same directory, which is synced and then renamed
/// over `path`: a save that fails midway leaves any previous file at `path` intact.
///
/// # Errors
/// [`Error::Io`] naming `path` if the temporary file cannot be created, written or renamed
/// (the temporary file is removed again).
///
/// # Example
/// ```
/// use derin_tensor::ndarray::{ArrayD, IxDyn};
/// use derin_tensor::npy;
///
/// let path = std::env::temp_dir().join(format!("derin-npy-doc-write-{}.npy", std::process::id()));
/// let bias = ArrayD::from_elem(IxDyn(&[3]), 0.25f32);
/// npy::write_f32(&path, &bias.view())?;
/// assert_eq!(std::fs::read(&path).unwrap(), npy::to_bytes_f32(&bias.view()));
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), derin_tensor::Error>(())
/// ```
pub fn write_f32(path: impl AsRef<Path>, array: &ArrayViewD<f32>) -> Result<()> {
    crate::atomic::write_atomically(path.as_ref(), &to_bytes_f32(array))
}

/// Writes `bytes` to `path` atomically (see `crate::atomic`).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::atomic::write_atomically(path, bytes)
}

fn decode_f32(bytes: &[u8]) -> std::result::Result<ArrayD<f32>, String> {
    let (header, data) = header::split(bytes)?;
    into_array(&header, header.dtype.to_f32(data))
}

fn decode_as_f32(bytes: &[u8]) -> std::result::Result<ArrayD<f32>, String> {
    let (header, data) = header::split(bytes)?;
    let values = header.dtype.to_f32_exact(data).map_err(|(position, value)| {
        let index = multi_index(&header, position);
        let flat = index.iter().zip(&header.shape).fold(0, |flat, (&i, &dim)| flat * dim + i);
        let limit = if header.dtype.kind == Kind::Float {
            "overflows float32"
        } else {
            "is beyond ±2^24, where float32 can no longer hold every integer"
        };
        format!("value {value} ({}) at flat index {flat} (index {index:?}) {limit}", header.dtype.name())
    })?;
    into_array(&header, values)
}

fn decode_usize(bytes: &[u8]) -> std::result::Result<ArrayD<usize>, String> {
    let (header, data) = header::split(bytes)?;
    if header.dtype.kind == Kind::Float {
        return Err(format!(
            "expected an integer dtype (i1..i8, u1..u8, b1) for usize values, found {}",
            header.dtype.name()
        ));
    }
    let values = header.dtype.to_usize(data).map_err(|(position, value)| {
        let index = multi_index(&header, position);
        let flat = index.iter().zip(&header.shape).fold(0, |flat, (&i, &dim)| flat * dim + i);
        let problem =
            if value < 0 { "is negative; usize values must be non-negative" } else { "does not fit in usize" };
        format!("value {value} at flat index {flat} (index {index:?}) {problem}")
    })?;
    into_array(&header, values)
}

/// Shapes `values` (in the file's storage order) as the header says, in standard layout.
fn into_array<T: Clone>(header: &Header, values: Vec<T>) -> std::result::Result<ArrayD<T>, String> {
    let shape = IxDyn(&header.shape);
    let array = if header.fortran_order {
        ArrayD::from_shape_vec(shape.f(), values)
    } else {
        ArrayD::from_shape_vec(shape, values)
    };
    let array = array.map_err(|e| format!("shape {} cannot be an array: {e}", header::shape_text(&header.shape)))?;
    Ok(if array.is_standard_layout() { array } else { array.as_standard_layout().into_owned() })
}

/// The multi-index of the element at `position` in the file's storage order.
fn multi_index(header: &Header, mut position: usize) -> Vec<usize> {
    let mut index = vec![0; header.shape.len()];
    let mut axes: Vec<usize> = (0..header.shape.len()).collect();
    if !header.fortran_order {
        axes.reverse(); // C order: the last axis varies fastest
    }
    for axis in axes {
        index[axis] = position % header.shape[axis];
        position /= header.shape[axis];
    }
    index
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })
}

fn npy_error(path: &Path, reason: String) -> Error {
    Error::Npy { path: path.to_path_buf(), reason }
}
