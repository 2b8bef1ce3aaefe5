//! The layers: `Dense`, `Dropout`, `Flatten`, `Reshape`, `Permute`, and the recurrent
//! ones (`SimpleRNN`, `GRU`, `LSTM`, `Bidirectional`).

mod dense;
mod dropout;
pub(crate) mod recurrent;
mod reshape;

pub use dense::Dense;
pub use dropout::Dropout;
pub use recurrent::{Bidirectional, GRU, LSTM, MergeMode, Recurrent, RnnOptions, RnnOutput, SimpleRNN};
pub use reshape::{Flatten, Permute, Reshape};
