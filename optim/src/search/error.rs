//! Errors of the hyperparameter search: a bad space, an unknown or mistyped parameter, a bad setting.

use thiserror::Error;

use super::params::ValueKind;

/// Everything that can go wrong in [`crate::search`]; each message names the operation, what was
/// expected and what came.
///
/// ```
/// use derin_optim::search::{Dimension, SearchError, SearchSpace};
/// let err = SearchSpace::new().add("lr", Dimension::LogUniform { low: 0.0, high: 1.0 }).unwrap_err();
/// assert!(matches!(err, SearchError::InvalidDimension { .. }));
/// assert!(err.to_string().contains("lr"));
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SearchError {
    /// A dimension whose bounds or choices describe no valid range.
    #[error("search space: dimension `{name}`: {reason}")]
    InvalidDimension {
        /// The dimension's name.
        name: String,
        /// What is wrong with it, with the values that came.
        reason: String,
    },
    /// Two dimensions with the same name.
    #[error("search space: dimension `{0}` is declared twice")]
    DuplicateName(String),
    /// A search over a space without dimensions.
    #[error("{op}: the search space has no dimensions; add one with `SearchSpace::add`")]
    EmptySpace {
        /// The operation that needed a dimension.
        op: &'static str,
    },
    /// A search asked for zero evaluations.
    #[error("{op}: budget is 0; at least one evaluation is needed")]
    ZeroBudget {
        /// The search that was run.
        op: &'static str,
    },
    /// A search setting outside its range.
    #[error("{op}: setting `{setting}`: {reason}")]
    InvalidSetting {
        /// The search whose setting is wrong.
        op: &'static str,
        /// The setting's name (its builder method).
        setting: &'static str,
        /// What was expected and what came.
        reason: String,
    },
    /// Inputs to a numerical routine (Gaussian process fit or prediction) that do not fit together.
    #[error("{op}: {reason}")]
    InvalidInput {
        /// The routine.
        op: &'static str,
        /// What was expected and what came.
        reason: String,
    },
    /// A covariance matrix that stayed non-positive-definite even with added jitter.
    #[error("{op}: {n}×{n} covariance matrix is not positive definite even with jitter {jitter:e} on the diagonal")]
    NotPositiveDefinite {
        /// The routine that factored it.
        op: &'static str,
        /// The matrix size.
        n: usize,
        /// The largest jitter tried.
        jitter: f64,
    },
    /// A parameter name that the point does not have.
    #[error("params: no parameter named `{name}` (known: {known})")]
    UnknownParam {
        /// The name asked for.
        name: String,
        /// The names the point has, comma-separated.
        known: String,
    },
    /// A parameter read with the getter of another type.
    #[error("params: `{name}` has type {found}, not {expected}")]
    TypeMismatch {
        /// The parameter's name.
        name: String,
        /// The type the getter reads.
        expected: ValueKind,
        /// The type the parameter has.
        found: ValueKind,
    },
}

/// Result of the search module's fallible operations.
pub type Result<T> = std::result::Result<T, SearchError>;
