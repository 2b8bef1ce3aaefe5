//! The crate's one error type.

/// Everything that can go wrong while building, compiling or training a model.
///
/// ```
/// use derin_nn::Error;
/// let e = Error::NotCompiled { operation: "fit" };
/// assert_eq!(e.to_string(), "fit: the model is not compiled; call `compile` first");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A layer cannot take an input of this shape (shapes exclude the batch axis).
    #[error("{layer}: expected input {expected}, got {got:?}")]
    InputShape {
        /// The layer, as `name (Type)`.
        layer: String,
        /// What the layer accepts, in words.
        expected: String,
        /// The shape it was given.
        got: Vec<usize>,
    },
    /// A layer added to a model does not fit the output of the layer before it.
    #[error("cannot add {layer} after {previous}: {previous} outputs {previous_shape:?}, but {reason}")]
    Incompatible {
        /// The previous layer (or `input`), as `name (Type)`.
        previous: String,
        /// Its output shape, without the batch axis.
        previous_shape: Vec<usize>,
        /// The layer being added, as `name (Type)`.
        layer: String,
        /// Why the layer rejects that shape.
        reason: String,
    },
    /// Two layers of one model share a name.
    #[error("a layer named {name:?} is already in the model")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// A hyperparameter is out of its valid range.
    #[error("{what}: {value} is not in {range}")]
    Hyperparameter {
        /// The layer or option and the value's name.
        what: String,
        /// The value given.
        value: f64,
        /// The valid range.
        range: &'static str,
    },
    /// Data given to `fit`, `evaluate`, `predict` or a loss do not fit the model.
    #[error("{operation}: {reason}")]
    Data {
        /// The operation.
        operation: &'static str,
        /// What does not fit, naming both shapes.
        reason: String,
    },
    /// Writing or reading a file failed (a CSV log, a plot, a font).
    #[error("{operation}: {path}: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A functional model's graph does not hold together: a node from another graph, an
    /// output that needs an input the model does not take, a merge layer called as a
    /// one-input layer.
    #[error("{operation}: {reason}")]
    Graph {
        /// The operation (`Model::new`, `Graph::call`, …).
        operation: &'static str,
        /// What is wrong, naming the nodes or layers.
        reason: String,
    },
    /// `fit`, `evaluate` or `train_on_batch` before `compile`.
    #[error("{operation}: the model is not compiled; call `compile` first")]
    NotCompiled {
        /// The operation.
        operation: &'static str,
    },
    /// A Keras config (a layer's, a loss's, an optimizer's, the model's) lacks a key,
    /// holds a value of the wrong type, or asks for something Derin does not have.
    #[error("{layer}: config key {key:?}: {reason}")]
    Config {
        /// The layer (`name (Type)`, or the class name when the name is unknown) or
        /// other object whose config it is.
        layer: String,
        /// The key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A layer (or optimizer) that cannot be written as a Keras config yet.
    #[error("{layer} cannot be saved: {reason}")]
    Unserializable {
        /// The layer, as `name (Type)`.
        layer: String,
        /// Why.
        reason: String,
    },
    /// A model file cannot be read or written: not HDF5, truncated, a missing group,
    /// attribute or dataset, a weight of the wrong shape or type, an I/O failure.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What is wrong, naming the group, attribute or dataset.
        reason: String,
    },
    /// A tensor-level failure: reading or writing a safetensors file (malformed, a
    /// duplicate name, an I/O error), with the file and what is wrong.
    #[error(transparent)]
    Tensor(#[from] derin_tensor::Error),
    /// A batch a [`DataLoader`](derin_data::DataLoader) could not make: an item that
    /// could not be read (named by its index) or items that do not collate.
    #[error("DataLoader: {0}")]
    Loader(#[from] derin_data::Error),
    /// The operation needs a cargo feature of `derin-nn` that this build left out (saving
    /// a model to HDF5 without the `hdf5` feature, say).
    #[error("{operation}: needs derin-nn's `{feature}` cargo feature, which this build left out")]
    FeatureDisabled {
        /// The operation.
        operation: &'static str,
        /// The cargo feature it needs.
        feature: &'static str,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
