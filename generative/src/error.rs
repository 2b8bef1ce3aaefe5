//! The crate's one error type.

/// What went wrong building, training or sampling a generative model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error of a layer, a model or the training loop of `nn`.
    #[error(transparent)]
    Nn(#[from] derin_nn::Error),
    /// A setting out of its range.
    #[error("{op}: {what}")]
    Option {
        /// The model or function that refused it.
        op: &'static str,
        /// The setting and its range.
        what: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
