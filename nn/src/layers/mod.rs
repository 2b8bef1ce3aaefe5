//! The layers: `Dense`, `Dropout`, `Flatten`, `Reshape`, `Permute`.

mod dense;
mod dropout;
mod reshape;

pub use dense::Dense;
pub use dropout::Dropout;
pub use reshape::{Flatten, Permute, Reshape};
