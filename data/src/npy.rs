//! NumPy `.npy` readers for data sets: features as `f32` (or `f64`), labels as `usize`.
//!
//! Thin wrappers over [`derin_tensor::npy`], which holds the format itself (and the
//! writers, [`derin_tensor::npy::write_f32`] and [`derin_tensor::npy::write_f64`]).

use std::path::Path;

use derin_tensor::ndarray::ArrayD;
use derin_tensor::npy;

use crate::error::{Error, Result};

/// Reads a `.npy` file of any numeric type as `f32` (see [`derin_tensor::npy::read_f32`]).
///
/// # Errors
/// [`Error::Tensor`] wrapping the I/O error or the format error, which names the file and
/// the byte where it broke.
///
/// # Example
/// ```
/// use derin_data::read_npy;
/// use derin_tensor::ndarray::ArrayD;
///
/// let path = std::env::temp_dir().join(format!("derin-doc-read-npy-{}.npy", std::process::id()));
/// let features = ArrayD::from_shape_vec(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap();
/// derin_tensor::npy::write_f32(&path, &features.view())?;
/// assert_eq!(read_npy(&path)?, features);
/// std::fs::write(&path, b"\x93NUMPY\x01\x00garbage").unwrap();
/// let error = read_npy(&path).unwrap_err();
/// std::fs::remove_file(&path).unwrap();
/// assert!(error.to_string().contains("derin-doc-read-npy"), "{error}");
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn read_npy(path: impl AsRef<Path>) -> Result<ArrayD<f32>> {
    Ok(npy::read_f32(path)?)
}

/// Reads a `.npy` file as `f64` at full precision, for tabular data bound for the
/// scalers' `f64` methods (see [`derin_tensor::npy::read_f64`]: `f8` as stored, `f4`
/// widened, integers only within ±2⁵³).
///
/// # Errors
/// [`Error::Tensor`] wrapping the I/O error or the format error (which names the file, and
/// the value and index of an integer no `f64` holds).
///
/// # Example
/// ```
/// use derin_data::read_npy_f64;
/// use derin_tensor::ndarray::ArrayD;
///
/// let path = std::env::temp_dir().join(format!("derin-doc-read-npy-f64-{}.npy", std::process::id()));
/// let prices = ArrayD::from_shape_vec(vec![3], vec![1e10 + 0.25, 0.1, -7.5]).unwrap();
/// derin_tensor::npy::write_f64(&path, &prices.view())?;
/// let read = read_npy_f64(&path);
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(read?, prices);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn read_npy_f64(path: impl AsRef<Path>) -> Result<ArrayD<f64>> {
    Ok(npy::read_f64(path)?)
}

/// Reads a 1-D `.npy` file of non-negative integers as class labels.
///
/// # Errors
/// As [`read_npy`], and if the file holds floats or negative values; [`Error::Format`]
/// naming the file if the array is not 1-D.
///
/// # Example
/// ```
/// use derin_data::read_npy_labels;
///
/// // `np.save(path, np.array([2, 0, 1], dtype=np.uint8))`, built by hand.
/// let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
/// let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }\n";
/// bytes.extend((header.len() as u16).to_le_bytes());
/// bytes.extend(header.as_bytes());
/// bytes.extend([2u8, 0, 1]);
/// let path = std::env::temp_dir().join(format!("derin-doc-npy-labels-{}.npy", std::process::id()));
/// std::fs::write(&path, &bytes).unwrap();
/// let labels = read_npy_labels(&path);
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(labels?, vec![2, 0, 1]);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn read_npy_labels(path: impl AsRef<Path>) -> Result<Vec<usize>> {
    let path = path.as_ref();
    let labels = npy::read_usize(path)?;
    if labels.ndim() != 1 {
        return Err(Error::Format {
            path: path.to_path_buf(),
            reason: format!("expected 1-D labels, found shape {:?}", labels.shape()),
        });
    }
    Ok(labels.into_iter().collect())
}
