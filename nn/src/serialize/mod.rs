//! Saving and loading models: Keras configs for layers and whole models (`Sequential`
//! and functional [`Model`](crate::Model)s) in HDF5, in Keras' `.h5` layout, and Keras 3's
//! `.keras` and `.weights.h5` formats.
//!
//! # Keras interoperability at a glance
//! - [`load_model`]: a full-model file written by Keras 3 (`.h5` or `.keras`), by Keras 2
//!   / tf.keras (`.h5`), or by Derin, as a [`KerasModel`] (Sequential or functional) that
//!   predicts what Keras predicts (checked over every supported layer within 1e-4
//!   relative + 1e-5 absolute by `nn/tests/keras_interop.rs`, fixtures from
//!   `reference/keras_interop.py`).
//! - [`KerasModel::load_weights`]: a Keras 3 `.weights.h5` or a legacy `.h5` weights (or
//!   model) file into a model of the same architecture.
//! - [`KerasModel::save_keras`]: a `.h5` (or, for a `.keras` path, a `.keras`) file that
//!   Keras' `load_model` reads with the same predictions.
//! - [`model_from_json`] / [`KerasModel::to_json`]: the architecture alone.
//! - [`predict_files`]: what the `keras_predict` example does (`.npy` in, `.npy` out).
//!
//! **Layouts.** A model keeps the `data_format` its file gives: a Keras model, being
//! channels-last, loads as channels-last Derin layers, so it takes Keras' `[N, H, W, C]`
//! inputs and its `Flatten` yields Keras' feature order (a `Dense` after it needs no
//! permutation). Derin's own channels-first models save as `channels_first` layers,
//! which Keras 3 runs as well. Only kernels are permuted (see *Weight layouts*).
//!
//! **Keras 2 differences handled.** `batch_input_shape`, dtype strings, `:0` weight
//! names, `[[["layer", 0, 0, {}]]]` inbound nodes, GRU `reset_after=False`, and
//! tf-keras' `hard_sigmoid` (`clip(0.2x + 0.5, 0, 1)`, not Keras 3's `relu6(x + 3) / 6`:
//! a file whose `keras_version` is 2.x gets Keras 2's; such a model cannot be saved for
//! Keras 3, which has no name for it). Options Derin does not have (`stateful`,
//! constraints, …) are [`Error::Config`](crate::Error::Config)s naming the layer's class,
//! name and key.
//!
//! # Configs
//! Every layer can describe itself as its Keras config ([`Module::keras_config`](crate::Module::keras_config): the
//! keys and value spellings Keras' `get_config()` uses), and
//! [`layer_from_config`] rebuilds a layer from a Keras class name and config.
//! Layers without a config yet return [`Error::Unserializable`](crate::Error::Unserializable)
//! from the trait's default; a new layer plugs in by overriding `keras_config` and adding
//! one arm to `layer_from_config`.
//!
//! # The `.h5` layout
//! [`Sequential::save`](crate::Sequential::save) writes what Keras 3's legacy HDF5 saver
//! (`model.save("x.h5")`) writes, so Keras can read the file back and Derin reads Keras'
//! files (for the layers it has):
//!
//! ```text
//! /                         @model_config   {"class_name": "Sequential", "config": {…, "layers": [InputLayer, …]}}
//!                           @keras_version  "3.15.1" (the Keras layout followed)   @backend "derin"
//!                           @training_config {"loss", "metrics", "optimizer_config": {"class_name", "config"}, …}  (compiled only)
//! /model_weights            @layer_names ["dense", "dropout", …]   @backend   @keras_version
//! /model_weights/dense      @weight_names ["sequential/dense/kernel", "sequential/dense/bias"]
//! /model_weights/dense/sequential/dense/kernel   float32 [in, units]
//! /model_weights/top_level_model_weights        @weight_names []
//! /optimizer_weights        @weight_names ["adam/iteration", "adam/learning_rate",
//!                                          "adam/sequential_dense_kernel_momentum", …]
//!                           @derin_hyperparameters  Derin's exact optimizer settings (JSON)
//! /optimizer_weights/adam/iteration   int64 scalar
//! /optimizer_weights/adam/sequential_dense_kernel_momentum   float32, the parameter's shape
//! ```
//!
//! Strings are variable-length UTF-8 attributes, as h5py 3 writes them; fixed-length
//! strings (older files) are read too. Weight names follow Keras 3
//! (`<model>/<layer>/<weight>`, no `:0`); weights are matched by layer order and weight
//! order, as Keras' legacy loader does, so Keras 2 names read as well.
//!
//! **Functional models.** [`Model::save`](crate::Model::save) writes the same layout
//! with `model_config` `{"class_name": "Functional", "config": {"name", "trainable",
//! "layers", "input_layers", "output_layers"}}` (Keras 3's format: each layer entry has
//! its `inbound_nodes`, one per call, as `{"args": [keras tensors], "kwargs": {}}`);
//! `layer_names` lists Keras' `model.layers` order (input layers first, then by depth),
//! input and merge layers with empty `weight_names`, and weight names are
//! `<layer>/<weight>`. [`Model::load`](crate::Model::load) reads Keras 3's and Keras 2's
//! (`[[["layer", node, tensor, {}]]]`) formats, class `Functional` or `Model`. The
//! `training_config` holds losses, loss weights and the optimizer's config, not the
//! metrics nor the optimizer's state; read from a file, it compiles the model only when
//! Derin can map its losses and optimizer (else it is ignored, not an error).
//! [`load_model`] picks the loader from `model_config`'s class.
//!
//! **Weight layouts.** Weights are stored in Keras' layouts: a `Dense` kernel is
//! `[in, units]` in both libraries; convolution kernels, whose Derin layout differs, are
//! permuted on save and back on load through [`Module::keras_weight_axes`](crate::Module::keras_weight_axes)
//! (Conv2D `[kh, kw, in/groups, filters]`, Conv1D `[k, in/groups, filters]`,
//! Conv2DTranspose `[kh, kw, filters, in]`). `data_format` and BatchNormalization's `axis`
//! are written as the layer has them, so a Keras channels-last model loads as
//! channels-last layers.
//!
//! **Optimizer state.** `training_config.optimizer_config` holds the keys Keras knows;
//! options Keras lacks (SGD's dampening and coupled weight decay, Nadam's momentum
//! decay, Derin's epsilon placements) live in `optimizer_weights`'
//! `derin_hyperparameters`. `load` of a compiled model restores the optimizer (step
//! count, hyperparameters, every slot) bit for bit, so `fit` after `load` continues as
//! it would have without the round trip. What the file does not hold: the generator of
//! `fit` (reseeded from [`FitOptions::seed`](crate::FitOptions) at every call, so nothing
//! to restore) and the model's own generator used by `train_on_batch` and for drawing new
//! weights (a loaded model starts it from seed 0).
//!
//! # Keras 3's native formats
//! Keras 3's own weights file (`model.save_weights("x.weights.h5")`) keeps each layer's
//! variables under `/layers/<class in snake case, numbered per class>/vars/0, 1, …`
//! (recurrent layers under `…/cell/vars`, `Bidirectional` under
//! `…/forward_layer/cell/vars` and `…/backward_layer/cell/vars`, BatchNormalization's
//! moving statistics after gamma and beta), in the same Keras layouts as above.
//! [`Sequential::load_weights`](crate::Sequential::load_weights) tells the two layouts
//! apart by the file's content; [`Sequential::save_weights`](crate::Sequential::save_weights)
//! writes Keras 3's when the path ends in `.weights.h5` (and the same for
//! [`Model`](crate::Model), whose layers are keyed in Keras' `model.layers` order). A
//! `.keras` file is a zip archive of `config.json` (the model's config), `metadata.json`
//! and `model.weights.h5` (Keras 3's weights layout): [`load_model`] reads it,
//! [`Sequential::save_keras_zip`](crate::Sequential::save_keras_zip) and
//! [`Model::save_keras_zip`](crate::Model::save_keras_zip) write it.
//!
//! # Safety of writes and reads
//! Files are written to a temporary file in the same directory and renamed over the
//! target when complete: a failing or interrupted save leaves the previous file intact.
//! Loading never panics on a bad file: not HDF5, truncated, missing attributes, groups
//! or datasets, wrong shapes or element types, unknown layer classes are all
//! [`Error`](crate::Error)s naming what is wrong. Files crafted to crash libhdf5 itself
//! (malformed internal structures the C library does not check) are beyond what Derin
//! can turn into an `Err`.
//!
//! # Cargo features
//! Everything that reads or writes a file here needs `derin-nn`'s `hdf5` feature (on by
//! default; it links the system's libhdf5): `save`, `load`, `save_weights`,
//! `load_weights` and `save_keras_zip` of [`Sequential`](crate::Sequential) and
//! [`Model`](crate::Model), [`KerasModel::save_keras`], [`KerasModel::load_weights`],
//! [`load_model`] and [`predict_files`] (with [`PREDICT_BATCH_SIZE`] and
//! [`output_paths`]). Without it ([`ModelCheckpoint`](crate::ModelCheckpoint) then
//! returns [`Error::FeatureDisabled`](crate::Error::FeatureDisabled) for Sequential and
//! functional models), the configs stay: `to_keras_config` / `from_keras_config`,
//! [`layer_from_config`], [`model_from_json`] and [`KerasModel::to_json`].
//!
//! ```
//! # #[cfg(feature = "hdf5")] {
//! use derin_nn::{Activation, Dense, Dropout, Loss, Sequential};
//! use derin_optim::Adam;
//! let path = std::env::temp_dir().join(format!("derin-doc-serialize-{}.h5", std::process::id()));
//! let mut m = Sequential::new(&[4])
//!     .add(Dense::new(8, Activation::Relu)).unwrap()
//!     .add(Dropout::new(0.5).unwrap()).unwrap()
//!     .add(Dense::new(2, Activation::Softmax)).unwrap();
//! m.compile(Box::new(Adam::new()), Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![]);
//! m.save(&path).unwrap();
//! let back = Sequential::load(&path).unwrap();
//! assert_eq!(back.summary(), m.summary());
//! assert!(back.is_compiled());
//! # std::fs::remove_file(&path).unwrap();
//! # }
//! ```

mod config;
mod functional;
#[cfg(feature = "hdf5")]
mod functional_h5;
#[cfg(feature = "hdf5")]
mod h5;
#[cfg(feature = "hdf5")]
mod keras3_weights;
#[cfg(feature = "hdf5")]
mod keras_zip;
mod load;
mod model;
#[cfg(not(feature = "hdf5"))]
mod no_hdf5;
#[cfg(feature = "hdf5")]
mod predict;
pub(crate) mod registry;
#[cfg(feature = "hdf5")]
mod training;
#[cfg(feature = "hdf5")]
mod weights;

#[cfg(feature = "hdf5")]
pub(crate) use config::mark_keras2_activations;
pub(crate) use config::{
    KerasConfig, base_config, data_format_value, f32_value, initializer, padding1d_value, padding2d_value,
    unserializable,
};
#[cfg(feature = "hdf5")]
pub use load::load_model;
pub use load::{KerasModel, model_from_json};
#[cfg(feature = "hdf5")]
pub use predict::{PREDICT_BATCH_SIZE, output_paths, predict_files};
pub use registry::{layer_from_config, merge_layer_from_config};

/// The Keras version whose `.h5` layout Derin writes, stored as `keras_version`.
///
/// ```
/// assert!(derin_nn::serialize::KERAS_VERSION.starts_with("3."));
/// ```
pub const KERAS_VERSION: &str = "3.15.1";

/// The `backend` attribute Derin writes: it marks weights in Derin's own layouts.
///
/// ```
/// assert_eq!(derin_nn::serialize::BACKEND, "derin");
/// ```
pub const BACKEND: &str = "derin";
