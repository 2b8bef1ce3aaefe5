//! The crate's error type: bad hyperparameters and optimizer states that do not fit.

/// What went wrong while building an optimizer or schedule, or loading a saved state.
///
/// Messages name the optimizer (or operation), what was expected and what came.
///
/// ```
/// use derin_optim::{Adam, AdamConfig, Error};
/// let err = Adam::try_new(AdamConfig { beta_1: 1.5, ..AdamConfig::default() }).unwrap_err();
/// assert!(matches!(err, Error::Hyperparameter { name: "beta_1", .. }));
/// assert_eq!(err.to_string(), "Adam: beta_1 must be in [0, 1), got 1.5");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hyperparameter outside its valid range.
    #[error("{owner}: {name} must be {expected}, got {value}")]
    Hyperparameter {
        /// The optimizer or schedule it belongs to (`"Adam"`, `"CosineDecay"`, …).
        owner: &'static str,
        /// The hyperparameter, by its field name.
        name: &'static str,
        /// The valid range, in words (`"in [0, 1)"`, `"> 0"`).
        expected: &'static str,
        /// The value that came.
        value: f32,
    },
    /// Hyperparameters that are valid one by one but not together (Nesterov without momentum).
    #[error("{owner}: {reason}")]
    Incompatible {
        /// The optimizer or schedule.
        owner: &'static str,
        /// What conflicts with what.
        reason: String,
    },
    /// A saved slot whose shape differs from its parameter's.
    #[error(
        "{optimizer}::load_state: parameter \"{param}\" has shape {param_shape:?}, \
         its saved slot \"{slot}\" has shape {saved_shape:?}"
    )]
    ShapeMismatch {
        /// The optimizer loading the state.
        optimizer: &'static str,
        /// The parameter's name.
        param: String,
        /// The slot (`momentum`, `velocity`, …).
        slot: String,
        /// The parameter's shape.
        param_shape: Vec<usize>,
        /// The saved slot's shape.
        saved_shape: Vec<usize>,
    },
    /// A saved state that does not fit the optimizer or the parameters it is loaded for.
    #[error("{optimizer}::load_state: {reason}")]
    State {
        /// The optimizer loading the state.
        optimizer: &'static str,
        /// What does not fit.
        reason: String,
    },
    /// Text that is not a valid serialized optimizer state.
    #[error("OptimizerState::from_json: {0}")]
    Json(#[from] serde_json::Error),
    /// A hyperparameter search that could not run (bad space, bad settings); the search
    /// functions return [`SearchError`](crate::search::SearchError) itself, and `?`
    /// converts it into this variant.
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
