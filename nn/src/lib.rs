//! Layers, activations, losses, metrics, `Sequential` models, functional models with
//! several inputs and outputs ([`Graph`], [`Model`]) and the Keras-style training loop
//! (`compile`, `fit`, `evaluate`, `predict`).
//!
//! Every layer implements [`Module`]: `forward` with a [`Ctx`] (training or inference
//! mode, the generator dropout draws from, state updates), named weights
//! (`dense/kernel`, `dense/bias`, trainable or frozen) and the output shape for an input
//! shape, so that a [`Sequential`] model checks its shapes when it is built.
//!
//! Cargo features, both on by default: `hdf5` for model files (saving, loading, Keras
//! `.h5` and `.keras` files, `load_model`; see [`serialize`]) and `plots` for
//! `line_chart` and `plot_history`. With `default-features = false` the crate needs no
//! system library (libhdf5) and no plotting stack; Keras configs (JSON) stay.
//!
//! ```
//! use derin_nn::{Activation, Dense, Loss, Sequential};
//! use derin_tensor::Tensor;
//! let model = Sequential::new(&[4])
//!     .add(Dense::new(8, Activation::Relu)).unwrap()
//!     .add(Dense::new(3, Activation::Softmax)).unwrap();
//! assert_eq!(model.output_shape(), &[3]);
//! assert_eq!(model.count_params(), 4 * 8 + 8 + 8 * 3 + 3);
//! let p = model.predict(&Tensor::ones(&[5, 4]), 32).unwrap();
//! assert_eq!(p.shape(), &[5, 3]);
//! assert!(Loss::SparseCategoricalCrossentropy { from_logits: false }.compute(&p, &derin_data::Targets::Labels(vec![0; 5])).is_ok());
//! ```
#![deny(missing_docs)]

mod activation;
mod callbacks;
mod checkpoint;
mod diagnosis;
mod error;
mod fit;
mod fit_loop;
mod functional;
mod layers;
mod logs;
mod loss;
mod metric;
mod module;
#[cfg(feature = "plots")]
mod plot;
mod progress;
mod regularizer;
mod sequential;
pub mod serialize;
mod step;
mod summary;
mod train;

pub use activation::{Activation, ActivationLayer};
pub use callbacks::{
    CSVLogger, Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint, Monitor, ReduceLROnPlateau,
    TerminateOnNaN, TrainInfo, TrainableModel,
};
pub use checkpoint::{load_checkpoint, load_weights, prefixed, save_checkpoint, save_weights};
pub use derin_tensor::{Padding, Padding1d};
pub use diagnosis::{Diagnosis, DiagnosisThresholds, Verdict};
pub use error::{Error, Result};
pub use fit::{EpochLog, FitOptions, History};
pub use fit_loop::fit;
pub use functional::{Graph, LayerId, Model, Node};
pub use layers::{
    Add, Average, AveragePooling1D, AveragePooling2D, BatchNormalization, Bidirectional, Concatenate, Conv1D, Conv2D,
    Conv2DTranspose, Cropping2D, DataFormat, Dense, DepthwiseConv2D, Dropout, Embedding, Flatten, GRU,
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, Interpolation, LSTM,
    LayerNormalization, Masking, MaxPooling1D, MaxPooling2D, MergeLayer, MergeMode, Multiply, Normalization, Permute,
    ReLU, Recurrent, Rescaling, Reshape, RnnOptions, RnnOutput, SeparableConv2D, Sides, SimpleRNN, UpSampling2D,
    ZeroPadding2D,
};
pub use logs::{Logs, StepLogs};
pub use loss::functions as losses;
pub use loss::{CustomLoss, EPSILON, Loss, LossFn};
pub use metric::{ClassScores, ClassificationReport, Metric, classification_report, confusion_matrix, roc_auc};
pub use module::{Ctx, LayerCore, Mode, Module};
#[cfg(feature = "plots")]
pub use plot::{line_chart, plot_history};
pub use regularizer::Regularizer;
pub use sequential::Sequential;
#[cfg(feature = "hdf5")]
pub use serialize::load_model;
pub use serialize::{KerasModel, layer_from_config, merge_layer_from_config, model_from_json};
pub use step::{BatchSource, TrainBatch, TrainStep};
pub use train::{OutputScores, Scores};
