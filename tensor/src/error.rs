//! The crate's error type, for everything that reads user data or files.

use std::path::PathBuf;

/// Errors from operations on user data and files (`.npy` and safetensors I/O, shape checks on
/// user input).
///
/// Low-level tensor ops panic on programmer shape mismatches instead, naming the op and
/// both shapes, like `ndarray` does.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error, with the file it happened on.
    #[error("{path}: {source}")]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A `.npy` file whose bytes do not follow the format.
    #[error("{path}: malformed .npy file: {reason}")]
    Npy {
        /// The file being read (`<memory>` for a byte buffer).
        path: PathBuf,
        /// What is wrong, and where.
        reason: String,
    },
    /// A safetensors file that is malformed, holds values that `f32` cannot hold exactly, or
    /// does not match the parameters it is loaded into (the reason says which).
    #[error("{path}: {reason}")]
    SafeTensors {
        /// The file being read or written (`<memory>` for a byte buffer).
        path: PathBuf,
        /// What is wrong: the tensor or parameter, expected versus found.
        reason: String,
    },
    /// A shape that does not fit the operation.
    #[error("{op}: {reason}")]
    Shape {
        /// The operation that was asked for.
        op: &'static str,
        /// Expected versus got.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
