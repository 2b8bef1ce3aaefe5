//! `load_model`: any Keras model file Derin reads, as a [`KerasModel`].

use std::path::Path;

use derin_tensor::Tensor;

use crate::error::{Error, Result};
use crate::functional::Model;
use crate::module::Module;
use crate::sequential::Sequential;
use crate::serialize::functional_h5::{model_class, unknown_model};

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

    /// Saves the model as a Keras `.h5` file ([`Sequential::save`] or [`Model::save`]),
    /// which [`load_model`] and Keras' `load_model` read back.
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
    pub fn save_keras(&self, path: impl AsRef<Path>) -> Result<()> {
        match self {
            KerasModel::Sequential(m) => m.save(path),
            KerasModel::Functional(m) => m.save(path),
        }
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

/// Loads a Keras model file: a full-model `.h5` written by Keras 3 or Keras 2 / tf.keras
/// (`model.save("m.h5")`), or Derin's own `save`. The `model_config`'s `class_name`
/// picks the loader: `Sequential` → [`Sequential::load`], `Functional` or `Model` →
/// [`Model::load`].
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
pub fn load_model(path: impl AsRef<Path>) -> Result<KerasModel> {
    let path = path.as_ref();
    match model_class(path)?.as_str() {
        "Sequential" => Ok(KerasModel::Sequential(Sequential::load(path)?)),
        "Functional" | "Model" => Ok(KerasModel::Functional(Model::load(path)?)),
        other => Err(unknown_model(other)),
    }
}
