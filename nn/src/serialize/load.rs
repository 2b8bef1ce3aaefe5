//! `load_model`: any Keras model file Derin reads, as a [`KerasModel`].

#[cfg(feature = "hdf5")]
use std::path::Path;

use derin_tensor::Tensor;

use crate::error::{Error, Result};
use crate::functional::Model;
use crate::module::Module;
use crate::sequential::Sequential;
#[cfg(feature = "hdf5")]
use crate::serialize::h5::{open, read_model_config};
#[cfg(feature = "hdf5")]
use crate::serialize::keras_zip::{is_keras_zip, load_keras_zip};
use crate::serialize::registry::class_and_config;

/// A model loaded by [`load_model`]: a Keras `Sequential` model or a functional one.
#[derive(Debug)]
pub enum KerasModel {
    /// A Keras `Sequential` model.
    Sequential(Sequential),
    /// A Keras functional model (`Model(inputs, outputs)`).
    Functional(Model),
}

impl KerasModel {
    /// The predictions for `xs`, one tensor per model input (a `Sequential` model takes
    /// exactly one), one output per model output, computed `batch_size` samples at a time.
    ///
    /// # Errors
    /// [`Error::InputShape`] when the inputs do not fit the model.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, KerasModel, Sequential};
    /// use derin_tensor::Tensor;
    /// let m = KerasModel::Sequential(Sequential::new(&[2]).add(Dense::new(3, Activation::Softmax)).unwrap());
    /// let y = m.predict(&[Tensor::ones(&[4, 2])], 32).unwrap();
    /// assert_eq!(y[0].shape(), &[4, 3]);
    /// assert!(m.predict(&[], 32).is_err());
    /// ```
    pub fn predict(&self, xs: &[Tensor], batch_size: usize) -> Result<Vec<Tensor>> {
        match self {
            KerasModel::Sequential(m) => match xs {
                [x] => Ok(vec![m.predict(x, batch_size)?]),
                _ => Err(Error::InputShape {
                    layer: format!("{} (Sequential)", m.name()),
                    expected: format!("one input tensor, got {}; the shape of the first", xs.len()),
                    got: xs.first().map(|x| x.shape().to_vec()).unwrap_or_default(),
                }),
            },
            KerasModel::Functional(m) => m.predict(xs, batch_size),
        }
    }

    /// The sample shape of each input (without the batch axis).
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, KerasModel, Sequential};
    /// let m = KerasModel::Sequential(Sequential::new(&[2]).add(Dense::new(3, Activation::Relu)).unwrap());
    /// assert_eq!(m.input_shapes(), vec![vec![2]]);
    /// ```
    pub fn input_shapes(&self) -> Vec<Vec<usize>> {
        match self {
            KerasModel::Sequential(m) => vec![m.input_shape().to_vec()],
            KerasModel::Functional(m) => m.input_shapes(),
        }
    }

    /// Saves the model in a file Keras reads with the same predictions: a `.keras`
    /// archive when `path` ends in `.keras` ([`Sequential::save_keras_zip`],
    /// [`Model::save_keras_zip`]), else a legacy `.h5` file ([`Sequential::save`],
    /// [`Model::save`]). [`load_model`] and Keras' `load_model` read both.
    ///
    /// # Errors
    /// The errors of those: a layer without a Keras config, a file that cannot be written.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, KerasModel, Sequential, load_model};
    /// let path = std::env::temp_dir().join(format!("derin-doc-save-keras-{}.h5", std::process::id()));
    /// let m = KerasModel::Sequential(Sequential::new(&[2]).add(Dense::new(3, Activation::Relu)).unwrap());
    /// m.save_keras(&path).unwrap();
    /// assert_eq!(load_model(&path).unwrap().summary(), m.summary());
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    #[cfg(feature = "hdf5")]
    pub fn save_keras(&self, path: impl AsRef<Path>) -> Result<()> {
        let zip = path.as_ref().extension().is_some_and(|e| e == "keras");
        match self {
            KerasModel::Sequential(m) if zip => m.save_keras_zip(path),
            KerasModel::Functional(m) if zip => m.save_keras_zip(path),
            KerasModel::Sequential(m) => m.save(path),
            KerasModel::Functional(m) => m.save(path),
        }
    }

    /// The architecture as Keras' `model.to_json()` writes it:
    /// `{"class_name": "Sequential" | "Functional", "config": …}`, no weights.
    ///
    /// # Errors
    /// [`Error::Unserializable`] naming a layer without a Keras config.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, KerasModel, Sequential, model_from_json};
    /// let m = KerasModel::Sequential(Sequential::new(&[2]).add(Dense::new(3, Activation::Relu)).unwrap());
    /// let json = m.to_json().unwrap();
    /// assert!(json.starts_with(r#"{"class_name":"Sequential""#));
    /// assert_eq!(model_from_json(&json).unwrap().summary(), m.summary());
    /// ```
    pub fn to_json(&self) -> Result<String> {
        let (class, config) = match self {
            KerasModel::Sequential(m) => ("Sequential", m.to_keras_config()?),
            KerasModel::Functional(m) => ("Functional", m.to_keras_config()?),
        };
        Ok(serde_json::json!({"class_name": class, "config": config}).to_string())
    }

    /// Loads weights from a legacy `.h5` weights or model file into the model
    /// ([`Sequential::load_weights`] or [`Model::load_weights`]: layers with weights
    /// matched in order, as Keras).
    ///
    /// # Errors
    /// [`Error::File`] when the file is bad or does not fit the model (then unchanged).
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, KerasModel, Sequential};
    /// let mut m = KerasModel::Sequential(Sequential::new(&[2]).add(Dense::new(3, Activation::Relu)).unwrap());
    /// assert!(m.load_weights("/nonexistent/weights.h5").is_err());
    /// ```
    #[cfg(feature = "hdf5")]
    pub fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<()> {
        match self {
            KerasModel::Sequential(m) => m.load_weights(path),
            KerasModel::Functional(m) => m.load_weights(path),
        }
    }

    /// The model's summary table, as Keras' `model.summary()` prints it.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, KerasModel, Sequential};
    /// let m = KerasModel::Sequential(Sequential::new(&[2]).add(Dense::new(3, Activation::Relu)).unwrap());
    /// assert!(m.summary().contains("Total params: 9"), "{}", m.summary());
    /// ```
    pub fn summary(&self) -> String {
        match self {
            KerasModel::Sequential(m) => m.summary(),
            KerasModel::Functional(m) => m.summary(),
        }
    }
}

/// Builds a model from its architecture alone, as Keras' `model_from_json`: what
/// [`KerasModel::to_json`] or Keras' `model.to_json()` wrote. Weights are drawn afresh
/// (seed 0); [`KerasModel::load_weights`] fills them from a file.
///
/// # Errors
/// [`Error::Config`] for bad JSON, an unknown model class, or a layer or option Derin
/// does not have (naming the layer's class and name).
///
/// ```
/// let json = r#"{"class_name": "Sequential", "config": {"name": "m", "layers": [
///     {"class_name": "InputLayer", "config": {"batch_shape": [null, 3]}},
///     {"class_name": "Dense", "config": {"name": "out", "units": 2, "activation": "softmax"}}]}}"#;
/// let m = derin_nn::model_from_json(json).unwrap();
/// assert_eq!(m.input_shapes(), vec![vec![3]]);
/// assert!(derin_nn::model_from_json("{").is_err());
/// ```
pub fn model_from_json(json: &str) -> Result<KerasModel> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::Config {
        layer: "model".into(),
        key: "json".into(),
        reason: format!("not JSON: {e}"),
    })?;
    let (class, config) = class_and_config(&value, "model")?;
    match class {
        "Sequential" => Ok(KerasModel::Sequential(Sequential::from_keras_config(config)?)),
        "Functional" | "Model" => Ok(KerasModel::Functional(Model::from_keras_config(config)?)),
        other => Err(unknown_model(other)),
    }
}

/// Loads a Keras model file: a full-model `.h5` written by Keras 3 or Keras 2 / tf.keras
/// (`model.save("m.h5")`), or Derin's own `save`; or a Keras 3 `.keras` file
/// (`model.save("m.keras")`, told by its extension or its zip magic), whose
/// `model.weights.h5` is extracted to a temporary file, removed afterwards. The config's
/// `class_name` picks the model: `Sequential` → [`Sequential`], `Functional` or `Model`
/// → the functional [`Model`].
///
/// # Errors
/// [`Error::File`] naming what is wrong with the file; [`Error::Config`] naming the
/// class and name of a layer, or the option, Derin does not have, or a model class
/// other than those.
///
/// ```
/// let err = derin_nn::load_model("/nonexistent/model.h5").unwrap_err();
/// assert_eq!(err.to_string(), "/nonexistent/model.h5: no such file");
/// ```
#[cfg(feature = "hdf5")]
pub fn load_model(path: impl AsRef<Path>) -> Result<KerasModel> {
    let path = path.as_ref();
    if is_keras_zip(path) {
        return load_keras_zip(path);
    }
    let file = open(path)?;
    let config = read_model_config(&file, path)?;
    match class_and_config(&config, "model_config")?.0 {
        "Sequential" => Ok(KerasModel::Sequential(Sequential::load_opened(&file, path, &config)?)),
        "Functional" | "Model" => Ok(KerasModel::Functional(Model::load_opened(&file, path, &config)?)),
        other => Err(unknown_model(other)),
    }
}

/// An [`Error::Config`] for a model class `load_model` does not read.
pub(crate) fn unknown_model(class: &str) -> Error {
    let reason = format!("a {class} model; Derin loads Sequential and Functional (Model) models");
    Error::Config { layer: "model_config".into(), key: "class_name".into(), reason }
}
