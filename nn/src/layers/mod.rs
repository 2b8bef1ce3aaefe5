//! The layers: `Dense`, `Dropout`, `Flatten`, `Reshape`, `Permute`, `BatchNormalization`,
//! `LayerNormalization`, `Embedding`, `Masking`.

mod dense;
mod dropout;
mod embedding;
mod layer_normalization;
pub(crate) mod normalization;
mod reshape;

pub use dense::Dense;
pub use dropout::Dropout;
pub use embedding::{Embedding, Masking};
pub use layer_normalization::LayerNormalization;
pub use normalization::BatchNormalization;
pub use reshape::{Flatten, Permute, Reshape};
