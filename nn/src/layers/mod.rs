//! The layers: `Dense`, `Dropout`, `Flatten`, `Reshape`, `Permute`, the convolutions
//! (`Conv1D`, `Conv2D`, `Conv2DTranspose`), the poolings, `BatchNormalization`,
//! `LayerNormalization`, `Embedding`, `Masking`, the image resizers (`ZeroPadding2D`,
//! `Cropping2D`, `UpSampling2D`), the recurrent ones (`SimpleRNN`, `GRU`,
//! `LSTM`, `Bidirectional`) and the merge layers of functional models (`Concatenate`,
//! `Add`, `Multiply`, `Average`).

mod conv;
mod conv_common;
mod conv_transpose;
mod data_format;
mod dense;
mod depthwise;
mod dropout;
mod embedding;
mod global_pool;
mod layer_normalization;
mod merge;
pub(crate) mod normalization;
mod pointwise;
mod pool;
mod preprocessing;
pub(crate) mod recurrent;
mod reshape;
mod separable;
mod spatial;

pub use conv::{Conv1D, Conv2D};
pub use conv_transpose::Conv2DTranspose;
pub use data_format::DataFormat;
pub use dense::Dense;
pub use depthwise::DepthwiseConv2D;
pub use dropout::Dropout;
pub use embedding::{Embedding, Masking};
pub use global_pool::{GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D};
pub use layer_normalization::LayerNormalization;
pub use merge::{Add, Average, Concatenate, MergeLayer, Multiply};
pub use normalization::BatchNormalization;
pub use pointwise::{ReLU, Rescaling};
pub use pool::{AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D};
pub use preprocessing::Normalization;
pub use recurrent::{Bidirectional, GRU, LSTM, MergeMode, Recurrent, RnnOptions, RnnOutput, SimpleRNN};
pub use reshape::{Flatten, Permute, Reshape};
pub use separable::SeparableConv2D;
pub use spatial::{Cropping2D, Interpolation, Sides, UpSampling2D, ZeroPadding2D};
