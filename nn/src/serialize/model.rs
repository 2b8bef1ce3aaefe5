//! `Sequential::save`, `load`, `save_weights`, `load_weights` and the model's Keras config.

#[cfg(feature = "hdf5")]
use std::collections::BTreeMap;
#[cfg(feature = "hdf5")]
use std::path::Path;

#[cfg(feature = "hdf5")]
use derin_optim::{Hyperparameters, OptimizerState, SavedArray, Slot};
#[cfg(feature = "hdf5")]
use derin_tensor::ndarray::{ArrayD, IxDyn};
#[cfg(feature = "hdf5")]
use hdf5_metno as hdf5;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::module::Module;
use crate::sequential::Sequential;
#[cfg(feature = "hdf5")]
use crate::serialize::h5::read_model_config;
#[cfg(feature = "hdf5")]
use crate::serialize::h5::{
    Why, file_error, open, read_f32, read_i64, read_str, read_str_list, write_atomically, write_f32, write_i64,
    write_str, write_str_list,
};
#[cfg(feature = "hdf5")]
use crate::serialize::keras3_weights::{is_keras3, is_keras3_path};
use crate::serialize::registry::class_and_config;
#[cfg(feature = "hdf5")]
use crate::serialize::training::{
    keras_name, loss_from_keras, metric_from_keras, optimizer_from_hyperparameters, optimizer_from_keras,
    training_config,
};
#[cfg(feature = "hdf5")]
use crate::serialize::weights::{from_keras_layout, model_weights, read_weights, weights_group, write_weights};
#[cfg(feature = "hdf5")]
use crate::serialize::{BACKEND, KERAS_VERSION};
use crate::serialize::{KerasConfig, layer_from_config};

impl Sequential {
    /// The model's Keras config, as Keras' `Sequential.get_config()`: `name`, `trainable`,
    /// `dtype`, `layers` (an `InputLayer` with `batch_shape: [null, …input_shape]`, then
    /// each layer's `{"class_name", "config"}`) and `build_input_shape`.
    ///
    /// # Errors
    /// [`Error::Unserializable`] naming the first layer that has no Keras config.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Flatten, Sequential};
    /// let m = Sequential::new(&[2, 2]).add(Flatten::new()).unwrap().add(Dense::new(1, Activation::Sigmoid)).unwrap();
    /// let c = m.to_keras_config().unwrap();
    /// assert_eq!(c["layers"][0]["config"]["batch_shape"], serde_json::json!([null, 2, 2]));
    /// assert_eq!(c["layers"][2]["class_name"], "Dense");
    /// assert_eq!(Sequential::from_keras_config(&c).unwrap().summary(), m.summary());
    /// ```
    pub fn to_keras_config(&self) -> Result<Value> {
        let batch_shape: Vec<Value> =
            std::iter::once(Value::Null).chain(self.input_shape().iter().map(|&d| json!(d))).collect();
        let input = json!({"class_name": "InputLayer", "config": {
            "batch_shape": batch_shape, "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer"
        }});
        let mut layers = vec![input];
        for layer in &self.layers {
            layers.push(json!({"class_name": layer.type_name(), "config": layer.keras_config()?}));
        }
        Ok(json!({
            "name": self.name(), "trainable": self.trainable(), "dtype": "float32",
            "layers": layers, "build_input_shape": batch_shape,
        }))
    }

    /// Builds a model from a Keras `Sequential` config (what
    /// [`to_keras_config`](Sequential::to_keras_config) or Keras wrote): the input shape
    /// from the `InputLayer`'s `batch_shape` (Keras 2: `batch_input_shape`, or the
    /// config's `build_input_shape`), then each layer through
    /// [`layer_from_config`](crate::layer_from_config). Weights are drawn from seed 0.
    ///
    /// # Errors
    /// [`Error::Config`] naming the layer and key; the errors of
    /// [`add`](Sequential::add) when the layers do not fit together.
    ///
    /// ```
    /// use derin_nn::Sequential;
    /// let c = serde_json::json!({"name": "m", "layers": [
    ///     {"class_name": "InputLayer", "config": {"batch_shape": [null, 3]}},
    ///     {"class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": "relu"}}]});
    /// let m = Sequential::from_keras_config(&c).unwrap();
    /// assert_eq!((m.input_shape(), m.output_shape()), (&[3][..], &[2][..]));
    /// let bad = serde_json::json!({"layers": [{"class_name": "Dense", "config": {"units": 2}}]});
    /// assert!(Sequential::from_keras_config(&bad).unwrap_err().to_string().contains("batch_shape"));
    /// ```
    pub fn from_keras_config(config: &Value) -> Result<Self> {
        let c = KerasConfig::new("Sequential", config)?;
        let entries =
            c.get("layers").and_then(Value::as_array).ok_or_else(|| c.error("layers", "missing or not a list"))?;
        let mut entries: Vec<(&str, &Value)> =
            entries.iter().map(|e| class_and_config(e, "Sequential layer")).collect::<Result<_>>()?;
        let shape_of = |class: &str, config: &Value| -> Result<Option<Vec<usize>>> {
            let lc = KerasConfig::new(class, config)?;
            let key = ["batch_shape", "batch_input_shape"].into_iter().find(|k| lc.get(k).is_some());
            key.map(|k| batch_shape(&lc, k)).transpose()
        };
        let input_shape = match entries.first() {
            Some(&(class @ "InputLayer", cfg)) => {
                entries.remove(0);
                KerasConfig::new(class, cfg)?.unsupported_all(&["sparse", "ragged"])?;
                shape_of(class, cfg)?
            }
            _ if c.get("build_input_shape").is_some() => Some(batch_shape(&c, "build_input_shape")?),
            Some(&(class, cfg)) => shape_of(class, cfg)?,
            None => None,
        };
        let input_shape = input_shape.ok_or_else(|| c.error("layers", "no InputLayer with a batch_shape"))?;
        let mut model = Sequential::new(&input_shape);
        model.set_name(c.str_opt("name")?.unwrap_or("sequential"));
        model.core_mut().trainable = c.bool_or("trainable", true)?;
        for (class, cfg) in entries {
            let layer = layer_from_config(class, cfg)?;
            let name = layer.name().to_string();
            model = model.add_boxed(layer)?;
            if model.layers.last().is_some_and(|l| l.name() != name) {
                return Err(Error::DuplicateName { name });
            }
        }
        Ok(model)
    }
}

/// HDF5 files (the `hdf5` feature).
#[cfg(feature = "hdf5")]
impl Sequential {
    /// Saves the whole model to an HDF5 file in Keras' `.h5` layout (see
    /// [the module docs](crate::serialize)): the architecture, the weights and, when
    /// compiled, the loss, metrics and optimizer with its state, so that
    /// [`load`](Sequential::load) resumes training exactly.
    ///
    /// The file is written to a temporary file in the same directory and renamed over
    /// `path` at the end: an error (or a crash) midway leaves a previous file intact.
    ///
    /// # Errors
    /// [`Error::Unserializable`] for a layer without a Keras config; [`Error::File`] when
    /// the file cannot be written.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Sequential};
    /// use derin_tensor::Tensor;
    /// let path = std::env::temp_dir().join(format!("derin-doc-save-{}.h5", std::process::id()));
    /// let m = Sequential::new(&[3]).add(Dense::new(2, Activation::Softmax)).unwrap();
    /// m.save(&path).unwrap();
    /// let back = Sequential::load(&path).unwrap();
    /// let x = Tensor::ones(&[1, 3]);
    /// assert_eq!(back.predict(&x, 1).unwrap().to_vec(), m.predict(&x, 1).unwrap().to_vec());
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        write_atomically(path, |f| {
            let why = |r: String| file_error(path, r);
            let weights = f.create_group("model_weights").map_err(|e| why(format!("group model_weights: {e}")))?;
            write_weights(&weights, &self.weight_entries(), &format!("{}/", self.name())).map_err(why)?;
            let config = json!({"class_name": "Sequential", "config": self.to_keras_config()?});
            write_str(f, "model_config", &config.to_string()).map_err(why)?;
            write_str(f, "keras_version", KERAS_VERSION).map_err(why)?;
            write_str(f, "backend", BACKEND).map_err(why)?;
            if let Some(training) = self.compiled.as_ref().and_then(training_config) {
                write_str(f, "training_config", &training.to_string()).map_err(why)?;
                self.write_optimizer(f).map_err(why)?;
            }
            Ok(())
        })
    }

    /// Loads a model saved by [`save`](Sequential::save) or by Keras (`model.save("x.h5")`,
    /// for layers Derin has): rebuilt from `model_config`, weights from `model_weights`,
    /// and, when the file has a `training_config`, compiled with its loss, metrics and
    /// optimizer, whose state (`optimizer_weights`) is restored.
    ///
    /// # Errors
    /// [`Error::File`] naming what is wrong: no such file, not HDF5, truncated, a missing
    /// attribute, group or dataset, a weight of the wrong shape or type;
    /// [`Error::Config`] for an unknown layer class or a bad config key. Never a panic
    /// (files crafted to crash libhdf5 itself aside; see [the module docs](crate::serialize)).
    ///
    /// ```
    /// use derin_nn::Sequential;
    /// let err = Sequential::load("/nonexistent/model.h5").unwrap_err();
    /// assert_eq!(err.to_string(), "/nonexistent/model.h5: no such file");
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = open(path)?;
        Sequential::load_opened(&file, path, &read_model_config(&file, path)?)
    }

    /// [`load`](Sequential::load) of an opened file whose `model_config` is `config`.
    pub(crate) fn load_opened(file: &hdf5::File, path: &Path, config: &Value) -> Result<Self> {
        let why = |r: String| file_error(path, r);
        let (class, inner) = class_and_config(config, "model_config")?;
        if class != "Sequential" {
            let reason = format!("a {class} model; Derin loads Sequential models");
            return Err(Error::Config { layer: "model_config".into(), key: "class_name".into(), reason });
        }
        let mut model = Sequential::from_keras_config(inner)?;
        read_weights(&model_weights(file).map_err(why)?, &model.modules()).map_err(why)?;
        if let Some(text) = read_str(file, "training_config").map_err(why)? {
            let training: Value =
                serde_json::from_str(&text).map_err(|e| why(format!("attribute training_config is not JSON: {e}")))?;
            model.compile_from(&training)?;
            model.read_optimizer(file).map_err(why)?;
        }
        Ok(model)
    }

    /// Saves the weights only, in Keras' legacy weights layout: the `model_weights`
    /// group of [`save`](Sequential::save) at the file's root; or, when `path` ends in
    /// `.weights.h5`, in Keras 3's layout (`model.save_weights("x.weights.h5")`, which
    /// Keras 3's `load_weights` reads). Atomic like `save`.
    ///
    /// # Errors
    /// [`Error::File`] when the file cannot be written.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Module, Sequential};
    /// let path = std::env::temp_dir().join(format!("derin-doc-weights-{}.h5", std::process::id()));
    /// let a = Sequential::with_seed(&[3], 1).add(Dense::new(2, Activation::Linear)).unwrap();
    /// let mut b = Sequential::with_seed(&[3], 2).add(Dense::new(2, Activation::Linear)).unwrap();
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
        let prefix = format!("{}/", self.name());
        write_atomically(path, |f| write_weights(f, &self.weight_entries(), &prefix).map_err(|r| file_error(path, r)))
    }

    /// Loads weights into this model from a file written by
    /// [`save_weights`](Sequential::save_weights) or [`save`](Sequential::save) (or
    /// Keras' legacy h5 `save_weights`/`save`, or Keras 3's `.weights.h5`, told by its
    /// `layers` group). As Keras, layers are matched in order,
    /// counting only layers with weights, and each layer's weights in order; every shape
    /// is checked before any weight changes.
    ///
    /// # Errors
    /// [`Error::File`] naming the layer, the weight and both shapes when the file does
    /// not fit the model; the errors of [`load`](Sequential::load) for a bad file. On
    /// error the model is unchanged.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Sequential};
    /// let path = std::env::temp_dir().join(format!("derin-doc-weights-bad-{}.h5", std::process::id()));
    /// Sequential::new(&[3]).add(Dense::new(2, Activation::Linear)).unwrap().save_weights(&path).unwrap();
    /// let mut other = Sequential::new(&[4]).add(Dense::new(2, Activation::Linear)).unwrap();
    /// let err = other.load_weights(&path).unwrap_err().to_string();
    /// assert!(err.contains("has shape [3, 2], dense (Dense) needs [4, 2]"), "{err}");
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let why = |r: String| file_error(path, r);
        let file = open(path)?;
        if is_keras3(&file) {
            return self.read_keras3(&file).map_err(why);
        }
        let group = weights_group(&file).map_err(why)?;
        read_weights(&group, &self.modules()).map_err(why)
    }

    /// The layers, for the weight reader.
    fn modules(&self) -> Vec<&dyn Module> {
        self.layers.iter().map(|l| l.as_ref()).collect()
    }

    /// `layer_names` entries for the weight writer: every layer, by name.
    fn weight_entries(&self) -> Vec<(&str, Option<&dyn Module>)> {
        self.layers.iter().map(|l| (l.name(), Some(l.as_ref()))).collect()
    }

    /// Compiles from a Keras `training_config`.
    fn compile_from(&mut self, training: &Value) -> Result<()> {
        let c = KerasConfig::new("training_config", training)?;
        let loss = loss_from_keras(c.get("loss").ok_or_else(|| c.error("loss", "missing"))?)?;
        let metrics = match c.get("metrics") {
            None => Vec::new(),
            Some(Value::Array(list)) => list.iter().map(metric_from_keras).collect::<Result<_>>()?,
            Some(other) => return Err(c.error("metrics", format!("expected a list, got {other}"))),
        };
        let optimizer =
            optimizer_from_keras(c.get("optimizer_config").ok_or_else(|| c.error("optimizer_config", "missing"))?)?;
        self.compile(optimizer, loss, metrics);
        Ok(())
    }

    /// The permutation into Keras' layout of every parameter that has one (conv kernels),
    /// by name: optimizer slots are stored in that layout too.
    fn keras_axes(&self) -> BTreeMap<String, Vec<usize>> {
        let mut out = BTreeMap::new();
        for layer in self.modules() {
            for (i, p) in crate::serialize::weights::all_weights(layer).iter().enumerate() {
                if let Some(axes) = layer.keras_weight_axes(i) {
                    out.insert(p.name().to_string(), axes);
                }
            }
        }
        out
    }

    /// The dataset name of `param`'s `slot` under optimizer prefix `prefix`, as Keras 3
    /// names optimizer variables: `adam/sequential_dense_kernel_momentum`.
    fn slot_name(&self, prefix: &str, param: &str, slot: Slot) -> String {
        format!("{prefix}/{}_{}_{slot}", self.name(), param.replace('/', "_"))
    }

    /// Keras' `optimizer_weights` group: `weight_names`, `<opt>/iteration` (int64),
    /// `<opt>/learning_rate`, one dataset per slot in Keras' variable order, plus Derin's
    /// exact hyperparameters as JSON (`derin_hyperparameters`).
    fn write_optimizer(&self, f: &hdf5::File) -> Why<()> {
        let Some(compiled) = &self.compiled else { return Ok(()) };
        let state = compiled.optimizer.state();
        let g = f.create_group("optimizer_weights").map_err(|e| format!("group optimizer_weights: {e}"))?;
        let hyper = serde_json::to_string(&state.hyperparameters).map_err(|e| e.to_string())?;
        write_str(&g, "derin_hyperparameters", &hyper)?;
        let prefix = keras_name(&state.hyperparameters);
        let mut names = vec![format!("{prefix}/iteration"), format!("{prefix}/learning_rate")];
        write_i64(&g, &names[0], state.iterations as i64)?;
        write_f32(&g, &names[1], &[], &[state.hyperparameters.learning_rate()])?;
        let params: Vec<String> = self.params().iter().map(|p| p.name().to_string()).collect();
        let axes = self.keras_axes();
        for slots in keras_slot_order(&state.hyperparameters) {
            for p in &params {
                for &slot in slots.iter() {
                    if let Some(array) = state.slots.get(p).and_then(|s| s.get(&slot)) {
                        let name = self.slot_name(&prefix, p, slot);
                        let (shape, data) = match axes.get(p) {
                            Some(axes) => to_keras_layout(array, axes),
                            None => (array.shape.clone(), array.data.clone()),
                        };
                        write_f32(&g, &name, &shape, &data)?;
                        names.push(name);
                    }
                }
            }
        }
        write_str_list(&g, "weight_names", &names)
    }

    /// Restores the optimizer from `optimizer_weights`, when the file has it: Derin's
    /// exact hyperparameters when saved by Derin (else the `optimizer_config` ones, with
    /// the saved learning rate), the iteration count and every slot Derin knows by name.
    fn read_optimizer(&mut self, f: &hdf5::File) -> Why<()> {
        if !f.link_exists("optimizer_weights") {
            return Ok(());
        }
        let g = f.group("optimizer_weights").map_err(|e| format!("group /optimizer_weights: {e}"))?;
        let names = read_str_list(&g, "weight_names")?
            .ok_or_else(|| "missing attribute weight_names on /optimizer_weights".to_string())?;
        let hyper = read_str(&g, "derin_hyperparameters")?;
        let Some(iteration) = names.iter().find(|n| n.ends_with("/iteration") || n.as_str() == "iteration") else {
            return match hyper {
                Some(_) => Err("missing the iteration dataset in /optimizer_weights".to_string()),
                None => Ok(()), // a layout Derin does not read (Keras 2): the optimizer starts fresh
            };
        };
        let prefix = iteration.strip_suffix("iteration").unwrap_or("").trim_end_matches('/').to_string();
        let compiled = self.compiled.as_mut().ok_or("optimizer_weights without a training_config")?;
        if let Some(text) = hyper {
            let h: Hyperparameters =
                serde_json::from_str(&text).map_err(|e| format!("attribute derin_hyperparameters: {e}"))?;
            compiled.optimizer =
                optimizer_from_hyperparameters(&h).map_err(|e| format!("derin_hyperparameters: {e}"))?;
        } else if let Some(lr) = names.iter().find(|n| n.ends_with("/learning_rate")) {
            let (_, value) = read_f32(&g, lr, |what, shape| match shape {
                [] | [1] => Ok(()),
                _ => Err(format!("{what} has shape {shape:?}, expected a scalar")),
            })?;
            let lr = value.first().copied().filter(|v| v.is_finite() && *v >= 0.0);
            compiled.optimizer.set_learning_rate(lr.ok_or_else(|| format!("dataset {lr:?} is not a learning rate"))?);
        }
        let iterations = read_i64(&g, iteration)?;
        let iterations = u64::try_from(iterations).map_err(|_| format!("dataset {iteration} holds {iterations}"))?;
        let params = self.params();
        let axes = self.keras_axes();
        let mut slots: BTreeMap<String, BTreeMap<Slot, SavedArray>> = BTreeMap::new();
        for p in &params {
            for slot in [Slot::Momentum, Slot::Velocity, Slot::VelocityHat, Slot::AverageGradient, Slot::Accumulator] {
                let name = self.slot_name(&prefix, p.name(), slot);
                if names.contains(&name) {
                    // Slots are stored in Keras' layout, as the weights are.
                    let axes = axes.get(p.name());
                    let want: Vec<usize> = match axes {
                        Some(axes) => axes.iter().map(|&a| p.shape()[a]).collect(),
                        None => p.shape(),
                    };
                    let (shape, data) = read_f32(&g, &name, |what, shape| {
                        if shape == want.as_slice() {
                            return Ok(());
                        }
                        Err(format!(
                            "{what} has shape {shape:?}, parameter {} needs {want:?} (Keras' layout)",
                            p.name()
                        ))
                    })?;
                    let saved = match axes {
                        Some(axes) => from_keras_slot(&shape, data, axes),
                        None => SavedArray { shape, data },
                    };
                    slots.entry(p.name().to_string()).or_default().insert(slot, saved);
                }
            }
        }
        let compiled = self.compiled.as_mut().expect("checked above");
        let state = OptimizerState { iterations, hyperparameters: compiled.optimizer.state().hyperparameters, slots };
        compiled.optimizer.load_state(&state, &params).map_err(|e| format!("optimizer_weights: {e}"))
    }
}

/// `array` (Derin's layout) permuted by `axes` into Keras' layout.
#[cfg(feature = "hdf5")]
fn to_keras_layout(array: &SavedArray, axes: &[usize]) -> (Vec<usize>, Vec<f32>) {
    let a = ArrayD::from_shape_vec(IxDyn(&array.shape), array.data.clone()).expect("a slot fits its shape");
    let a = a.permuted_axes(IxDyn(axes)).as_standard_layout().into_owned();
    (a.shape().to_vec(), a.iter().copied().collect())
}

/// Data of `shape` in Keras' layout (Derin's permuted by `axes`) back in Derin's.
#[cfg(feature = "hdf5")]
fn from_keras_slot(shape: &[usize], data: Vec<f32>, axes: &[usize]) -> SavedArray {
    let a = from_keras_layout(ArrayD::from_shape_vec(IxDyn(shape), data).expect("read with this shape"), axes);
    SavedArray { shape: a.shape().to_vec(), data: a.iter().copied().collect() }
}

/// The order Keras creates an optimizer's slot variables in: groups of slots, each group
/// over every parameter (Adam interleaves momentum and velocity per parameter, then
/// AMSGrad's velocity_hat; RMSprop has all velocities, then momentums, then averages).
#[cfg(feature = "hdf5")]
fn keras_slot_order(h: &Hyperparameters) -> &'static [&'static [Slot]] {
    match h {
        Hyperparameters::Adam(_) | Hyperparameters::AdamW(_) | Hyperparameters::Nadam(_) => {
            &[&[Slot::Momentum, Slot::Velocity], &[Slot::VelocityHat]]
        }
        Hyperparameters::RmsProp(_) => &[&[Slot::Velocity], &[Slot::Momentum], &[Slot::AverageGradient]],
        Hyperparameters::Sgd(_) => &[&[Slot::Momentum]],
        Hyperparameters::Adagrad(_) => &[&[Slot::Accumulator]],
    }
}

/// The non-batch dimensions of a `[null, d₁, …]` batch shape under `key`.
pub(crate) fn batch_shape(c: &KerasConfig, key: &str) -> Result<Vec<usize>> {
    let v = c.get(key).ok_or_else(|| c.error(key, "missing"))?;
    let dims =
        v.as_array().filter(|d| !d.is_empty()).ok_or_else(|| c.error(key, format!("expected [null, …], got {v}")))?;
    dims[1..]
        .iter()
        .map(|d| {
            d.as_u64().map(|n| n as usize).ok_or_else(|| {
                c.error(key, format!("{v}: Derin needs every dimension but the batch's to be a fixed integer"))
            })
        })
        .collect()
}
