//! `.npy` files as `f64`: a reader that keeps `float64` data at full precision, and the
//! matching writer (`<f8`, what `numpy.save` writes for a `float64` array).

use std::path::Path;

use ndarray::{ArrayD, ArrayViewD};

use super::dtype::Kind;
use super::{MEMORY, header, into_array, multi_index, npy_error, read_file, write_atomically};
use crate::error::Result;

/// Reads a `.npy` file as `f64`, refusing any value `f64` cannot hold exactly.
///
/// `f8` reads as stored (NaN, infinities and `-0.0` included) and `f4` widens exactly;
/// integers (`i1 i2 i4 i8 u1 u2 u4 u8`) read when within ±2⁵³ = ±9,007,199,254,740,992,
/// where every integer is an `f64`; `b1` reads as 0 and 1. Little- or big-endian, C or
/// Fortran order, 0-d and empty arrays; the result is always in standard (C) layout.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) if the file cannot be read;
/// [`Error::Npy`](crate::Error::Npy) if its bytes do not follow the format (as
/// [`read_f32`](super::read_f32) explains) or it holds an integer beyond ±2⁵³ (the reason
/// names the value, its type and its index).
///
/// # Example
/// ```
/// use derin_tensor::ndarray::{ArrayD, IxDyn};
/// use derin_tensor::npy;
///
/// let path = std::env::temp_dir().join(format!("derin-npy-doc-read-f64-{}.npy", std::process::id()));
/// // 0.1 and 1e10 + 0.5 have no exact f32: read_f32 would round them.
/// let x = ArrayD::from_shape_vec(IxDyn(&[2]), vec![0.1, 1e10 + 0.5]).unwrap();
/// npy::write_f64(&path, &x.view())?;
/// let back = npy::read_f64(&path)?;
/// assert_eq!(back, x);
/// assert_ne!(f64::from(npy::read_f32(&path)?[[1]]), 1e10 + 0.5);
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), derin_tensor::Error>(())
/// ```
pub fn read_f64(path: impl AsRef<Path>) -> Result<ArrayD<f64>> {
    let path = path.as_ref();
    decode_f64(&read_file(path)?).map_err(|reason| npy_error(path, reason))
}

/// Parses the bytes of a whole `.npy` file as `f64`, like [`read_f64`] does a file.
///
/// # Errors
/// [`Error::Npy`](crate::Error::Npy) with path `<memory>` if the bytes do not follow the
/// format or hold an integer beyond ±2⁵³.
///
/// # Example
/// ```
/// use derin_tensor::npy;
///
/// // `np.array([2**53 + 1], dtype=np.int64)`, built by hand: no f64 holds it.
/// let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
/// let header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n";
/// bytes.extend((header.len() as u16).to_le_bytes());
/// bytes.extend(header.as_bytes());
/// bytes.extend(((1i64 << 53) + 1).to_le_bytes());
/// let error = npy::from_bytes_f64(&bytes).unwrap_err().to_string();
/// assert!(error.contains("value 9007199254740993 (int64) at flat index 0"), "{error}");
/// ```
pub fn from_bytes_f64(bytes: &[u8]) -> Result<ArrayD<f64>> {
    decode_f64(bytes).map_err(|reason| npy_error(Path::new(MEMORY), reason))
}

/// The bytes of a `.npy` file holding `array` as `<f8` in C order: what `numpy.save` writes
/// for a `float64` array.
///
/// Any layout of `array` (transposed, sliced) is written in its logical row-major order.
///
/// # Example
/// ```
/// use derin_tensor::ndarray::array;
/// use derin_tensor::npy;
///
/// let bytes = npy::to_bytes_f64(&array![[1.0, 2.0, 3.0]].into_dyn().view());
/// assert!(bytes.starts_with(b"\x93NUMPY\x01\x00"));
/// assert_eq!(bytes.len(), 128 + 3 * 8); // header padded to a multiple of 64 bytes, then 3 doubles
/// assert_eq!(npy::from_bytes_f64(&bytes)?, array![[1.0, 2.0, 3.0]].into_dyn());
/// # Ok::<(), derin_tensor::Error>(())
/// ```
pub fn to_bytes_f64(array: &ArrayViewD<f64>) -> Vec<u8> {
    let mut bytes = header::encode("<f8", array.shape());
    bytes.reserve(8 * array.len());
    for &x in array {
        bytes.extend(x.to_le_bytes());
    }
    bytes
}

/// Writes `array` to a `.npy` file as `<f8` in C order (see [`to_bytes_f64`]), atomically, as
/// [`write_f32`](super::write_f32) does.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) naming `path` if the temporary file cannot be created,
/// written or renamed (the temporary file is removed again).
///
/// # Example
/// ```
/// use derin_tensor::ndarray::{ArrayD, IxDyn};
/// use derin_tensor::npy;
///
/// let path = std::env::temp_dir().join(format!("derin-npy-doc-write-f64-{}.npy", std::process::id()));
/// let x = ArrayD::from_elem(IxDyn(&[2, 2]), std::f64::consts::PI);
/// npy::write_f64(&path, &x.view())?;
/// assert_eq!(npy::read_f64(&path)?, x);
/// std::fs::remove_file(&path).unwrap();
/// assert!(npy::write_f64("/no/such/dir/x.npy", &x.view()).unwrap_err().to_string().contains("/no/such/dir/x.npy"));
/// # Ok::<(), derin_tensor::Error>(())
/// ```
pub fn write_f64(path: impl AsRef<Path>, array: &ArrayViewD<f64>) -> Result<()> {
    write_atomically(path.as_ref(), &to_bytes_f64(array))
}

fn decode_f64(bytes: &[u8]) -> std::result::Result<ArrayD<f64>, String> {
    let (header, data) = header::split(bytes)?;
    let values = header.dtype.to_f64_exact(data).map_err(|(position, value)| {
        let index = multi_index(&header, position);
        let flat = index.iter().zip(&header.shape).fold(0, |flat, (&i, &dim)| flat * dim + i);
        debug_assert_ne!(header.dtype.kind, Kind::Float, "every float is an f64");
        format!(
            "value {value} ({}) at flat index {flat} (index {index:?}) is beyond ±2^53, where float64 can no \
             longer hold every integer",
            header.dtype.name()
        )
    })?;
    into_array(&header, values)
}
