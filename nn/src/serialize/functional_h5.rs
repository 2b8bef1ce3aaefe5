//! `Model::save`, `load`, `save_weights` and `load_weights`: functional models in Keras'
//! legacy `.h5` layout.

use std::path::Path;

use hdf5_metno as hdf5;
use serde_json::{Value, json};

use crate::error::Result;
use crate::functional::{GraphLayer, Model};
use crate::module::Module;
use crate::serialize::f32_value;
use crate::serialize::functional::Op;
use crate::serialize::h5::read_model_config;
use crate::serialize::h5::{Why, file_error, open, read_str, write_atomically, write_str};
use crate::serialize::keras3_weights::{is_keras3, is_keras3_path, read_keras3_weights, write_keras3_weights};
use crate::serialize::registry::class_and_config;
use crate::serialize::training::{loss_from_keras, loss_to_keras, optimizer_from_keras, optimizer_to_keras};
use crate::serialize::weights::{model_weights, read_weights, weights_group, write_weights};
use crate::serialize::{BACKEND, KERAS_VERSION};

impl Model {
    /// `layer_names` entries in Keras' `model.layers` order: inputs and merge layers
    /// with no weights, one-input layers with theirs.
    fn weight_entries(&self) -> Vec<(&str, Option<&dyn Module>)> {
        self.keras_order()
            .into_iter()
            .map(|op| match op {
                Op::Input(n) => (self.graph.node_name(n), None),
                Op::Layer(l) => match &self.graph.layers[l] {
                    GraphLayer::Single(m) => (m.name(), Some(m.as_ref())),
                    GraphLayer::Merge(m) => (m.name(), None),
                },
            })
            .collect()
    }

    /// The one-input layers in Keras' `model.layers` order, for the weight reader.
    fn keras_modules(&self) -> Vec<&dyn Module> {
        self.weight_entries().into_iter().filter_map(|(_, m)| m).collect()
    }

    /// Saves the whole model to an HDF5 file in Keras' legacy `.h5` layout (see
    /// [the module docs](crate::serialize)): `model_config` holds
    /// `{"class_name": "Functional", "config": `[`to_keras_config`](Model::to_keras_config)`}`,
    /// `model_weights` the weights, one group per entry of Keras' `model.layers` (input
    /// and merge layers with empty `weight_names`; weight names `<layer>/<weight>`, as
    /// Keras 3 writes them for functional models). Keras 3 loads the file with
    /// `keras.models.load_model`. A compiled model also gets a `training_config` (one
    /// loss and loss weight per output, the optimizer's hyperparameters; not the metrics),
    /// so that Keras and [`load`](Model::load) compile it; the optimizer's state is not
    /// saved, so training after `load` starts the optimizer afresh.
    ///
    /// Written to a temporary file renamed over `path` at the end, so an error midway
    /// leaves a previous file intact.
    ///
    /// # Errors
    /// [`Error::Unserializable`](crate::Error::Unserializable) for a layer without a Keras
    /// config; [`Error::File`](crate::Error::File) when the file cannot be written.
    ///
    /// ```
    /// use derin_nn::{Activation, Concatenate, Dense, Graph, Model};
    /// use derin_tensor::Tensor;
    /// let path = std::env::temp_dir().join(format!("derin-doc-fsave-{}.h5", std::process::id()));
    /// let mut g = Graph::new();
    /// let (a, b) = (g.input("a", &[2]).unwrap(), g.input("b", &[3]).unwrap());
    /// let ab = g.merge(Concatenate::new(-1), &[&a, &b]).unwrap();
    /// let y = g.apply(Dense::new(2, Activation::Softmax), &ab).unwrap();
    /// let m = Model::new(g, &[&a, &b], &[&y]).unwrap();
    /// m.save(&path).unwrap();
    /// let back = Model::load(&path).unwrap();
    /// let xs = [Tensor::ones(&[1, 2]), Tensor::ones(&[1, 3])];
    /// assert_eq!(back.predict(&xs, 1).unwrap()[0].to_vec(), m.predict(&xs, 1).unwrap()[0].to_vec());
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let config = json!({"class_name": "Functional", "config": self.to_keras_config()?});
        write_atomically(path, |f| {
            let why = |r: String| file_error(path, r);
            let weights = f.create_group("model_weights").map_err(|e| why(format!("group model_weights: {e}")))?;
            write_weights(&weights, &self.weight_entries(), "").map_err(why)?;
            write_str(f, "model_config", &config.to_string()).map_err(why)?;
            write_str(f, "keras_version", KERAS_VERSION).map_err(why)?;
            write_str(f, "backend", BACKEND).map_err(why)?;
            if let Some(training) = self.training_config() {
                write_str(f, "training_config", &training.to_string()).map_err(why)?;
            }
            Ok(())
        })
    }

    /// Keras' `training_config` of a compiled model: one loss and loss weight per output,
    /// the optimizer's config; no metrics.
    fn training_config(&self) -> Option<Value> {
        let compiled = self.compiled.as_ref()?;
        let losses: Vec<Value> = compiled.losses.iter().map(loss_to_keras).collect::<Option<_>>()?;
        let weights: Vec<Value> = compiled.loss_weights.iter().map(|&w| f32_value(w)).collect();
        Some(json!({
            "loss": losses, "loss_weights": weights, "metrics": null, "weighted_metrics": null,
            "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false,
            "optimizer_config": optimizer_to_keras(&compiled.optimizer.state().hyperparameters),
        }))
    }

    /// Loads a functional model saved by [`save`](Model::save) or by Keras 3 or Keras 2 /
    /// tf.keras (`model.save("x.h5")`, for layers Derin has): rebuilt from `model_config`
    /// through [`from_keras_config`](Model::from_keras_config), weights from
    /// `model_weights` matched in Keras' layer order.
    ///
    /// A `training_config` (a compiled Keras model) compiles the model when Derin can map
    /// its loss (one for all outputs, or one per output) and optimizer, without metrics
    /// and with a fresh optimizer state; one it cannot map is ignored, leaving the model
    /// uncompiled, never an error.
    ///
    /// # Errors
    /// [`Error::File`](crate::Error::File) naming what is wrong with the file (missing, not HDF5, missing
    /// attribute or group, weights of the wrong shape); [`Error::Config`](crate::Error::Config) for a model that
    /// is not functional, an unknown layer class or a bad config.
    ///
    /// ```
    /// use derin_nn::Model;
    /// let err = Model::load("/nonexistent/model.h5").unwrap_err();
    /// assert_eq!(err.to_string(), "/nonexistent/model.h5: no such file");
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let path = path.as_ref();
        let file = open(path)?;
        Model::load_opened(&file, path, &read_model_config(&file, path)?)
    }

    /// [`load`](Model::load) of an opened file whose `model_config` is `config`.
    pub(crate) fn load_opened(file: &hdf5::File, path: &Path, config: &Value) -> Result<Model> {
        let why = |r: String| file_error(path, r);
        class_and_config(config, "model_config")?;
        let mut model = Model::from_keras_config(config)?;
        read_weights(&model_weights(file).map_err(why)?, &model.keras_modules()).map_err(why)?;
        if let Some(text) = read_str(file, "training_config").map_err(why)?
            && let Ok(training) = serde_json::from_str::<Value>(&text)
        {
            model.compile_from(&training);
        }
        Ok(model)
    }

    /// Compiles from a Keras `training_config` if Derin can map it; else leaves the model
    /// uncompiled.
    fn compile_from(&mut self, training: &Value) {
        let Some(loss) = training.get("loss") else { return };
        let losses: Option<Vec<_>> = match loss {
            Value::Array(list) => list.iter().map(|l| loss_from_keras(l).ok()).collect(),
            Value::Object(map) if self.output_names().iter().all(|n| map.contains_key(n)) => {
                self.output_names().iter().map(|n| loss_from_keras(&map[n]).ok()).collect()
            }
            other => loss_from_keras(other).ok().map(|l| vec![l]),
        };
        let weights: Option<Vec<f32>> = match training.get("loss_weights") {
            Some(Value::Array(list)) => list.iter().map(|w| w.as_f64().map(|w| w as f32)).collect(),
            _ => None,
        };
        let optimizer = training.get("optimizer_config").and_then(|o| optimizer_from_keras(o).ok());
        if let (Some(losses), Some(optimizer)) = (losses, optimizer) {
            let _ = self.compile(optimizer, losses, weights, vec![]);
        }
    }

    /// Saves the weights only, in Keras' legacy weights layout: the `model_weights`
    /// group of [`save`](Model::save) at the file's root. Atomic like `save`.
    ///
    /// # Errors
    /// [`Error::File`](crate::Error::File) when the file cannot be written.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Graph, Model};
    /// let path = std::env::temp_dir().join(format!("derin-doc-fweights-{}.h5", std::process::id()));
    /// let model = |seed| {
    ///     let mut g = Graph::with_seed(seed);
    ///     let x = g.input("x", &[3]).unwrap();
    ///     let y = g.apply(Dense::new(2, Activation::Linear), &x).unwrap();
    ///     Model::new(g, &[&x], &[&y]).unwrap()
    /// };
    /// let (a, mut b) = (model(1), model(2));
    /// a.save_weights(&path).unwrap();
    /// b.load_weights(&path).unwrap();
    /// assert_eq!(a.weights()[0].value().to_vec(), b.weights()[0].value().to_vec());
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn save_weights(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if is_keras3_path(path) {
            return write_atomically(path, |f| self.write_keras3(f).map_err(|r| file_error(path, r)));
        }
        write_atomically(path, |f| write_weights(f, &self.weight_entries(), "").map_err(|r| file_error(path, r)))
    }

    /// Loads weights into this model from a file written by
    /// [`save_weights`](Model::save_weights) or [`save`](Model::save), or Keras' legacy
    /// h5 `save_weights`/`save`. As Keras, the file's layers with weights are matched in
    /// order with the model's layers with weights in Keras' `model.layers` order; every
    /// shape is checked before any weight changes.
    ///
    /// # Errors
    /// [`Error::File`](crate::Error::File) naming the layer, the weight and both shapes when the file does
    /// not fit the model, or what is wrong with the file. On error the model is unchanged.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Graph, Model};
    /// let path = std::env::temp_dir().join(format!("derin-doc-fweights-bad-{}.h5", std::process::id()));
    /// let model = |n| {
    ///     let mut g = Graph::new();
    ///     let x = g.input("x", &[n]).unwrap();
    ///     let y = g.apply(Dense::new(2, Activation::Linear), &x).unwrap();
    ///     Model::new(g, &[&x], &[&y]).unwrap()
    /// };
    /// model(3).save_weights(&path).unwrap();
    /// let err = model(4).load_weights(&path).unwrap_err().to_string();
    /// assert!(err.contains("has shape [3, 2], dense (Dense) needs [4, 2]"), "{err}");
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let file = open(path)?;
        if is_keras3(&file) {
            return self.read_keras3(&file).map_err(|r| file_error(path, r));
        }
        let group = weights_group(&file).map_err(|r| file_error(path, r))?;
        read_weights(&group, &self.keras_modules()).map_err(|r| file_error(path, r))
    }

    /// Reads and checks every weight from the Keras 3 weights file at `group` (layers
    /// keyed by class in Keras' `model.layers` order), then sets them all.
    pub(crate) fn read_keras3(&self, group: &hdf5::Group) -> Why<()> {
        for (p, array) in read_keras3_weights(group, &self.keras_modules())? {
            p.set(array);
        }
        Ok(())
    }

    /// Writes the model's weights at `group` in Keras 3's layout.
    pub(crate) fn write_keras3(&self, group: &hdf5::Group) -> Why<()> {
        write_keras3_weights(group, &self.keras_modules(), self.name())
    }
}
