//! MNIST's IDX format: unsigned-byte image files (`idx3`) and label files (`idx1`), raw or gzip.
//!
//! An IDX file is a big-endian header — the magic number `0x0000_08_0D` (`08` = unsigned byte,
//! `D` = number of dimensions), then `D` sizes as `u32` — followed by the elements, one byte
//! each, in C order. Images are `0x00000803` (`[N, rows, cols]`), labels `0x00000801` (`[N]`).
//! A file that starts with the gzip magic `1f 8b` is decompressed first.
//!
//! Every malformed input is an [`Error::Format`] naming the file and the byte offset where it
//! broke (offsets count decompressed bytes for gzip files). Nothing is allocated from the
//! header's sizes before they have been checked against the bytes actually present.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use derin_tensor::ndarray::{Array3, Array4, Axis};
use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// The path that errors from the in-memory functions name.
const MEMORY: &str = "<memory>";
/// Magic number of an unsigned-byte 3-D file: images `[N, rows, cols]`.
const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an unsigned-byte 1-D file: labels `[N]`.
const LABELS_MAGIC: u32 = 0x0000_0801;

/// Reads an IDX image file (`idx3`, raw or gzip) as bytes `[N, rows, cols]`.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Format`] naming the file and byte offset
/// for a broken gzip stream, a wrong magic number, a header cut short, sizes whose product
/// overflows, data shorter than the header promises, or bytes left over after the data.
///
/// # Example
/// ```
/// use derin_data::read_idx_images;
///
/// // Two 2×3 images, built by hand.
/// let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3];
/// bytes.extend(0..12u8);
/// let path = std::env::temp_dir().join(format!("derin-idx-doc-{}.idx3", std::process::id()));
/// std::fs::write(&path, &bytes).unwrap();
/// let images = read_idx_images(&path)?;
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(images.shape(), &[2, 2, 3]);
/// assert_eq!(images[[1, 0, 2]], 8);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<Array3<u8>> {
    let path = path.as_ref();
    parse_images(&load(path)?, path)
}

/// Reads an IDX image file like [`read_idx_images`], as `f32` `[N, 1, rows, cols]` in `[0, 1]`
/// (each byte divided by 255): the channels-first batch a network takes.
///
/// # Errors
/// As [`read_idx_images`].
///
/// # Example
/// ```
/// use derin_data::read_idx_images_f32;
///
/// let mut bytes = vec![0x00, 0x00, 0x08, 0x03, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2];
/// bytes.extend([0u8, 255]);
/// let path = std::env::temp_dir().join(format!("derin-idx-doc-f32-{}.idx3", std::process::id()));
/// std::fs::write(&path, &bytes).unwrap();
/// let images = read_idx_images_f32(&path)?;
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(images.shape(), &[1, 1, 1, 2]);
/// assert_eq!(images[[0, 0, 0, 1]], 1.0);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn read_idx_images_f32(path: impl AsRef<Path>) -> Result<Array4<f32>> {
    Ok(images_to_f32(&read_idx_images(path)?))
}

/// Reads an IDX label file (`idx1`, raw or gzip) as one `usize` per sample.
///
/// # Errors
/// As [`read_idx_images`], with the label magic `0x00000801` expected.
///
/// # Example
/// ```
/// use derin_data::read_idx_labels;
///
/// let bytes = [0u8, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4];
/// let path = std::env::temp_dir().join(format!("derin-idx-doc-labels-{}.idx1", std::process::id()));
/// std::fs::write(&path, bytes).unwrap();
/// let labels = read_idx_labels(&path)?;
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(labels, vec![5, 0, 4]);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<usize>> {
    let path = path.as_ref();
    parse_labels(&load(path)?, path)
}

/// Parses the bytes of an IDX image file (raw or gzip), like [`read_idx_images`] does a file.
///
/// # Errors
/// As [`read_idx_images`], with the path `<memory>`.
///
/// # Example
/// ```
/// use derin_data::idx_images_from_bytes;
///
/// let error = idx_images_from_bytes(&[0, 0, 8, 3, 0, 0]).unwrap_err();
/// assert!(error.to_string().contains("header ends at byte 6"), "{error}");
/// ```
pub fn idx_images_from_bytes(bytes: &[u8]) -> Result<Array3<u8>> {
    let path = Path::new(MEMORY);
    parse_images(&decompress(bytes.to_vec(), path)?, path)
}

/// Parses the bytes of an IDX label file (raw or gzip), like [`read_idx_labels`] does a file.
///
/// # Errors
/// As [`read_idx_labels`], with the path `<memory>`.
///
/// # Example
/// ```
/// use derin_data::idx_labels_from_bytes;
///
/// assert_eq!(idx_labels_from_bytes(&[0, 0, 8, 1, 0, 0, 0, 2, 7, 2])?, vec![7, 2]);
/// let error = idx_labels_from_bytes(&[0, 0, 8, 3, 0, 0, 0, 0]).unwrap_err();
/// assert!(error.to_string().contains("byte 0: expected magic 0x00000801"), "{error}");
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn idx_labels_from_bytes(bytes: &[u8]) -> Result<Vec<usize>> {
    let path = Path::new(MEMORY);
    parse_labels(&decompress(bytes.to_vec(), path)?, path)
}

/// Converts byte images `[N, rows, cols]` to `f32` `[N, 1, rows, cols]` in `[0, 1]`
/// (each byte divided by 255).
///
/// # Example
/// ```
/// use derin_data::images_to_f32;
/// use derin_tensor::ndarray::Array3;
///
/// let images = images_to_f32(&Array3::from_elem((2, 28, 28), 51u8));
/// assert_eq!(images.shape(), &[2, 1, 28, 28]);
/// assert!((images[[1, 0, 5, 5]] - 0.2).abs() < 1e-6);
/// ```
pub fn images_to_f32(images: &Array3<u8>) -> Array4<f32> {
    images.mapv(|b| f32::from(b) / 255.0).insert_axis(Axis(1))
}

/// Reads a whole file and decompresses it when it starts with the gzip magic.
fn load(path: &Path) -> Result<Vec<u8>> {
    let bytes = fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    decompress(bytes, path)
}

/// Returns `bytes` unchanged, or their gzip decompression when they start with `1f 8b`.
fn decompress(bytes: Vec<u8>, path: &Path) -> Result<Vec<u8>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    match MultiGzDecoder::new(bytes.as_slice()).read_to_end(&mut out) {
        Ok(_) => Ok(out),
        Err(e) => Err(format_error(path, format!("gzip stream broken after {} decompressed bytes: {e}", out.len()))),
    }
}

/// Checks the header of an unsigned-byte IDX file with `ndims` dimensions and returns
/// its sizes and the data that follows, which must be exactly their product in bytes.
fn split_header<'a>(bytes: &'a [u8], magic: u32, what: &str, path: &Path) -> Result<(Vec<usize>, &'a [u8])> {
    if bytes.len() < 4 {
        return Err(format_error(
            path,
            format!("header ends at byte {}: the 4-byte magic number is cut short", bytes.len()),
        ));
    }
    let found = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if found != magic {
        return Err(format_error(path, format!("byte 0: expected magic 0x{magic:08x} ({what}), found 0x{found:08x}")));
    }
    let ndims = (magic & 0xff) as usize;
    let header_len = 4 + 4 * ndims;
    if bytes.len() < header_len {
        return Err(format_error(
            path,
            format!("header ends at byte {}: {what} need a {header_len}-byte header", bytes.len()),
        ));
    }
    let dims: Vec<usize> =
        bytes[4..header_len].chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize).collect();
    let shown = dims.iter().map(usize::to_string).collect::<Vec<_>>().join("×");
    let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(|| {
        format_error(path, format!("bytes 4..{header_len}: sizes {shown} overflow the address space"))
    })?;
    let data = &bytes[header_len..];
    if data.len() < expected {
        return Err(format_error(
            path,
            format!(
                "data ends at byte {}: header promises {shown} = {expected} bytes from byte {header_len}, found {}",
                bytes.len(),
                data.len()
            ),
        ));
    }
    if data.len() > expected {
        return Err(format_error(
            path,
            format!(
                "byte {}: {} unexpected bytes after the {shown} data",
                header_len + expected,
                data.len() - expected
            ),
        ));
    }
    Ok((dims, data))
}

/// Parses decompressed `idx3` bytes.
fn parse_images(bytes: &[u8], path: &Path) -> Result<Array3<u8>> {
    let (dims, data) = split_header(bytes, IMAGES_MAGIC, "idx3 unsigned-byte images", path)?;
    Array3::from_shape_vec((dims[0], dims[1], dims[2]), data.to_vec())
        .map_err(|e| format_error(path, format!("bytes 4..16: sizes do not make an array: {e}")))
}

/// Parses decompressed `idx1` bytes.
fn parse_labels(bytes: &[u8], path: &Path) -> Result<Vec<usize>> {
    let (_, data) = split_header(bytes, LABELS_MAGIC, "idx1 unsigned-byte labels", path)?;
    Ok(data.iter().map(|&b| usize::from(b)).collect())
}

/// An [`Error::Format`] for `path`.
fn format_error(path: &Path, reason: String) -> Error {
    Error::Format { path: PathBuf::from(path), reason }
}

#[cfg(test)]
mod tests;
