//! `load_model`: any Keras model file Derin reads, as a [`KerasModel`].

use std::path::Path;

use derin_tensor::Tensor;

use crate::error::{Error, Result};
use crate::functional::Model;
use crate::module::Module;
use crate::sequential::Sequential;
use crate::serialize::keras_zip::{is_keras_zip, load_keras_zip};

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
}

/// Loads a Keras model file: a full-model `.h5` written by Keras 3 or Keras 2 / tf.keras
/// (`model.save("m.h5")`), or Derin's own `save`; or a Keras 3 `.keras` file
/// (`model.save("m.keras")`, told by its extension or its zip magic), whose
/// `model.weights.h5` is extracted to a temporary file, removed afterwards. Sequential
/// and functional models.
///
/// # Errors
/// [`Error::File`] naming what is wrong with the file; [`Error::Config`] naming the
/// class and name of a layer, or the option, Derin does not have.
///
/// ```
/// let err = derin_nn::load_model("/nonexistent/model.h5").unwrap_err();
/// assert_eq!(err.to_string(), "/nonexistent/model.h5: no such file");
/// ```
pub fn load_model(path: impl AsRef<Path>) -> Result<KerasModel> {
    let path = path.as_ref();
    if is_keras_zip(path) {
        return load_keras_zip(path);
    }
    Ok(KerasModel::Sequential(Sequential::load(path)?))
}
