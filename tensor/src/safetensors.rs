//! Checkpoints in the safetensors format, the one PyTorch and Hugging Face share: named
//! tensors and a string-to-string metadata map in one file.
//!
//! # Format
//! A file is an 8-byte little-endian header length `n`, then `n` bytes of JSON such as
//! `{"__metadata__": {"epoch": "3"}, "kernel": {"dtype": "F32", "shape": [2, 3],
//! "data_offsets": [0, 24]}}` (padded with spaces), then the tensors' raw little-endian bytes
//! in C order. `data_offsets` are byte ranges within that data; together they cover it exactly
//! once.
//!
//! # Writing
//! [`save_safetensors`] and [`save_params`] write `F32` tensors, in name order, with a header
//! padded to a multiple of 8 bytes (what the reference implementation writes): the same
//! tensors and metadata always give the same bytes. Writes are atomic: the bytes go to a
//! temporary file in the same folder, which is synced and then renamed over the target, so a
//! failed save never destroys the previous file.
//!
//! # Reading
//! [`load_safetensors`] and [`load_params`] return `f32` values whatever the file holds:
//! - `F32` as is; `F64` rounded to the nearest `f32` (a finite value beyond `f32::MAX` is an
//!   error); `F16` and `BF16` widened exactly;
//! - `I8`, `I16`, `I32`, `I64`, `U8`, `U16`, `U32`, `U64` and `BOOL` only when the value is
//!   exactly an `f32` (every integer up to 2²⁴ is): otherwise an error naming the tensor.
//!
//! 8-, 6- and 4-bit floats and `C64` are refused. Every malformed file (truncated, a header
//! over 100 MB, bad JSON, an unknown dtype, offsets out of range, overlapping or leaving bytes
//! unclaimed, a shape that does not match its byte count, a name given twice) is an
//! [`Error::SafeTensors`] naming the file and what is wrong; nothing panics and nothing is
//! allocated for a tensor before its size has been checked against the file.
//!
//! ```
//! use std::collections::BTreeMap;
//! use derin_tensor::{Tensor, load_safetensors, save_safetensors};
//!
//! let path = std::env::temp_dir().join(format!("derin-st-doc-module-{}.safetensors", std::process::id()));
//! let kernel = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
//! let metadata = BTreeMap::from([("format".to_string(), "pt".to_string())]);
//! save_safetensors(&path, &[("kernel", kernel.array())], Some(&metadata))?;
//! let file = load_safetensors(&path)?;
//! std::fs::remove_file(&path).unwrap();
//! assert_eq!(&file.tensors["kernel"], kernel.array());
//! assert_eq!(file.metadata["format"], "pt");
//! # Ok::<(), derin_tensor::Error>(())
//! ```

mod dtype;
mod header;
mod params;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ndarray::{ArrayD, ArrayViewD, AsArray, IxDyn};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use header::{MAX_HEADER_LEN, METADATA_KEY};

pub use params::{Strictness, load_params, save_params};

/// The path that errors from the in-memory functions name.
const MEMORY: &str = "<memory>";

/// The contents of a safetensors file: its tensors as `f32` arrays and its metadata.
///
/// # Example
/// ```
/// use derin_tensor::SafeTensors;
///
/// // A file by hand: an 8-byte header length, the JSON header, then one F32 value.
/// let header = br#"{"bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
/// let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
/// bytes.extend(header);
/// bytes.extend(0.5f32.to_le_bytes());
/// let file = SafeTensors::from_bytes(&bytes)?;
/// assert_eq!(file.tensors["bias"].as_slice(), Some(&[0.5][..]));
/// assert!(file.metadata.is_empty());
/// # Ok::<(), derin_tensor::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SafeTensors {
    /// The tensors by name, in name order, converted to `f32` (see the [module docs](self)).
    pub tensors: BTreeMap<String, ArrayD<f32>>,
    /// The header's `__metadata__` map (empty when the file has none).
    pub metadata: BTreeMap<String, String>,
}

impl SafeTensors {
    /// Reads the bytes of a whole safetensors file (see [`load_safetensors`]).
    ///
    /// # Errors
    /// [`Error::SafeTensors`] naming `<memory>` if the bytes do not follow the format or hold
    /// a value that cannot be an `f32` (as in [`load_safetensors`]).
    ///
    /// # Example
    /// ```
    /// use derin_tensor::SafeTensors;
    ///
    /// let err = SafeTensors::from_bytes(b"\x02\x00").unwrap_err();
    /// assert!(err.to_string().contains("too short"), "{err}");
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<SafeTensors> {
        decode(bytes).map_err(|reason| Error::SafeTensors { path: MEMORY.into(), reason })
    }
}

/// Writes named `f32` tensors and optional metadata to a safetensors file, atomically.
///
/// Tensors are stored as `F32` in name order; a transposed or sliced array is written in its
/// logical (C) order. Pass a [`Tensor`](crate::Tensor)'s values with
/// [`array`](crate::Tensor::array).
///
/// # Errors
/// [`Error::SafeTensors`] naming `path` if two tensors share a name or one is called
/// `__metadata__`; [`Error::Io`] naming `path` if the file cannot be written (a missing
/// folder, no permission). Either way a previous file at `path` is left intact.
///
/// # Example
/// ```
/// use derin_tensor::{SafeTensors, Tensor, save_safetensors};
///
/// let path = std::env::temp_dir().join(format!("derin-st-doc-save-{}.safetensors", std::process::id()));
/// let scalar = Tensor::scalar(2.5);
/// save_safetensors(&path, &[("step_size", scalar.array())], None)?;
/// let bytes = std::fs::read(&path).unwrap();
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(bytes.len() % 8, 4); // 8-byte length, header padded to 8 bytes, one f32
/// assert_eq!(SafeTensors::from_bytes(&bytes)?.tensors["step_size"].shape(), &[] as &[usize]);
/// # Ok::<(), derin_tensor::Error>(())
/// ```
pub fn save_safetensors<'a, V>(
    path: impl AsRef<Path>,
    tensors: &[(&str, V)],
    metadata: Option<&BTreeMap<String, String>>,
) -> Result<()>
where
    V: AsArray<'a, f32, IxDyn> + Clone,
{
    let path = path.as_ref();
    let bytes = encode(tensors, metadata).map_err(|reason| Error::SafeTensors { path: path.to_path_buf(), reason })?;
    crate::atomic::write_atomically(path, &bytes)
}

/// Reads a safetensors file: every tensor as an `f32` array, and the metadata.
///
/// Accepts `F32`, `F64`, `F16`, `BF16`, and integer and `BOOL` tensors whose values are exact
/// `f32`s (see the [module docs](self)), 0-d and empty tensors, in any order in the file.
///
/// # Errors
/// [`Error::Io`] naming `path` if the file cannot be read (it does not exist);
/// [`Error::SafeTensors`] naming `path` and what is wrong if the file is malformed (truncated
/// header, header over 100 MB, bad JSON, unknown dtype, offsets out of range or overlapping,
/// shape × dtype size different from the bytes, a name given twice) or a value cannot be an
/// `f32` (the reason names the tensor, the value and its flat index).
///
/// # Example
/// ```
/// use derin_tensor::{Error, load_safetensors};
///
/// let path = std::env::temp_dir().join(format!("derin-st-doc-load-{}.safetensors", std::process::id()));
/// std::fs::write(&path, b"\xff\xff\xff\xff\xff\xff\xff\x7f{}").unwrap();
/// let err = load_safetensors(&path).unwrap_err();
/// std::fs::remove_file(&path).unwrap();
/// assert!(matches!(err, Error::SafeTensors { .. }));
/// assert!(err.to_string().contains("header length 9223372036854775807 is over the limit"), "{err}");
/// ```
pub fn load_safetensors(path: impl AsRef<Path>) -> Result<SafeTensors> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    decode(&bytes).map_err(|reason| Error::SafeTensors { path: path.to_path_buf(), reason })
}

/// The bytes of a file holding `tensors` as `F32`, in name order, and `metadata`.
fn encode<'a, V: AsArray<'a, f32, IxDyn> + Clone>(
    tensors: &[(&str, V)],
    metadata: Option<&BTreeMap<String, String>>,
) -> std::result::Result<Vec<u8>, String> {
    let tensors: Vec<(&str, ArrayViewD<'a, f32>)> = tensors.iter().map(|(name, v)| (*name, v.clone().into())).collect();
    check_unique(tensors.iter().map(|(name, _)| *name), "tensor")?;
    let mut sorted = tensors.to_vec();
    sorted.sort_by_key(|(name, _)| *name);

    let mut header = serde_json::Map::new();
    if let Some(metadata) = metadata {
        header.insert(METADATA_KEY.into(), json!(metadata));
    }
    let mut offset = 0;
    for (name, array) in &sorted {
        let end = offset + 4 * array.len();
        header.insert((*name).into(), json!({"dtype": "F32", "shape": array.shape(), "data_offsets": [offset, end]}));
        offset = end;
    }
    let mut bytes = vec![0; 8];
    serde_json::to_writer(&mut bytes, &Value::Object(header)).map_err(|e| format!("cannot write the header: {e}"))?;
    // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
    bytes.resize(bytes.len().next_multiple_of(8), b' ');
    let header_len = bytes.len() as u64 - 8;
    if header_len > MAX_HEADER_LEN {
        return Err(format!("header of {header_len} bytes is over the limit of {MAX_HEADER_LEN} bytes"));
    }
    bytes[..8].copy_from_slice(&header_len.to_le_bytes());
    bytes.reserve(offset);
    for (_, array) in &sorted {
        bytes.extend(array.iter().flat_map(|x| x.to_le_bytes()));
    }
    Ok(bytes)
}

/// The tensors and metadata in the bytes of a whole file.
fn decode(bytes: &[u8]) -> std::result::Result<SafeTensors, String> {
    let parsed = header::parse(bytes)?;
    let mut tensors = BTreeMap::new();
    for entry in parsed.entries {
        let name = entry.name;
        let values = entry
            .dtype
            .to_f32(&parsed.data[entry.begin..entry.end])
            .map_err(|(index, reason)| format!("tensor {name:?}: {reason} (flat index {index})"))?;
        let array = ArrayD::from_shape_vec(IxDyn(&entry.shape), values)
            .map_err(|e| format!("tensor {name:?}: shape {:?} cannot be an array: {e}", entry.shape))?;
        tensors.insert(name, array);
    }
    Ok(SafeTensors { tensors, metadata: parsed.metadata })
}

/// Checks that no name repeats and none is the reserved `__metadata__`; `what` names the
/// things named ("tensor", "parameter") in the error.
fn check_unique<'a>(names: impl Iterator<Item = &'a str>, what: &str) -> std::result::Result<(), String> {
    let mut seen = BTreeSet::new();
    for name in names {
        if name == METADATA_KEY {
            return Err(format!("{what} name {METADATA_KEY:?} is reserved for the metadata map"));
        }
        if !seen.insert(name) {
            return Err(format!("{what} name {name:?} is given twice; names in a safetensors file must be unique"));
        }
    }
    Ok(())
}
