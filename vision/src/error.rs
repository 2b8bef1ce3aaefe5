//! The crate's one error type: what was wrong with the boxes, tensors or options given.

use crate::BoxXyxy;

/// What was wrong with boxes or scores handed to a box operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A box with a coordinate that is NaN or infinite, or with `x2 < x1` or `y2 < y1`.
    #[error("{op}: box {index} {value:?} {reason}")]
    InvalidBox {
        /// The operation that refused it.
        op: &'static str,
        /// Its position in the input.
        index: usize,
        /// The box as given.
        value: BoxXyxy,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A score that is NaN.
    #[error("{op}: score {index} is NaN")]
    InvalidScore {
        /// The operation that refused it.
        op: &'static str,
        /// Its position in the input.
        index: usize,
    },
    /// Inputs that should be parallel differ in length.
    #[error("{op}: {what}")]
    Mismatch {
        /// The operation that refused them.
        op: &'static str,
        /// The lengths that differ.
        what: String,
    },
    /// A tensor argument of the wrong shape.
    #[error("{op}: {what}")]
    Shape {
        /// The operation that refused it.
        op: &'static str,
        /// The shapes expected and given.
        what: String,
    },
    /// A region of interest `[batch index, x1, y1, x2, y2]` that is not one.
    #[error("{op}: roi {index} {value:?} {reason}")]
    InvalidRoi {
        /// The operation that refused it.
        op: &'static str,
        /// Its row in the boxes.
        index: usize,
        /// The row as given.
        value: [f32; 5],
        /// What is wrong with it.
        reason: String,
    },
    /// An error of `data` (a picture that cannot be made or written).
    #[error(transparent)]
    Data(#[from] derin_data::Error),
    /// An error of a layer or model of `nn` (building a backbone, running it).
    #[error(transparent)]
    Nn(#[from] derin_nn::Error),
    /// A detector's training target that does not fit its image.
    #[error("{op}: image {image}: {what}")]
    Target {
        /// The operation that refused it.
        op: &'static str,
        /// The image's position in the batch.
        image: usize,
        /// The box or label and what is wrong with it.
        what: String,
    },
    /// A file that cannot be read or written.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An annotation file (VOC XML, COCO JSON) that is malformed or does not fit its images.
    #[error("{}: {what}", path.display())]
    Annotation {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, and where in it.
        what: String,
    },
    /// An option out of its range.
    #[error("{op}: {what}")]
    Option {
        /// The operation that refused it.
        op: &'static str,
        /// The option and its range.
        what: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
