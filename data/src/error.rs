//! The crate's error type: every reader, encoder and split reports through it.

use std::path::PathBuf;

/// What went wrong while reading, encoding, splitting or balancing data.
///
/// Messages name the file (or `<memory>`) and where it broke.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file whose contents do not follow its format.
    #[error("{path}: {reason}")]
    Format {
        /// The file (`<memory>` for bytes).
        path: PathBuf,
        /// What is wrong and where (byte offset, line, column).
        reason: String,
    },
    /// A bad argument or data that does not fit the operation.
    #[error("{op}: {reason}")]
    Invalid {
        /// The operation.
        op: &'static str,
        /// Expected versus got.
        reason: String,
    },
    /// A saved encoder, scaler or imputer that cannot be read back.
    #[error("{path}: invalid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// An item of a dataset that could not be read, as a
    /// [`DataLoader`](crate::DataLoader) reports it.
    #[error("item {index}: {source}")]
    Item {
        /// The item's index in the dataset.
        index: usize,
        /// Why it could not be read.
        source: Box<Error>,
    },
    /// An error from the tensor crate (`.npy` files).
    #[error(transparent)]
    Tensor(#[from] derin_tensor::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
