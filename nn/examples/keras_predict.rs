//! Predictions of a Keras model file on NumPy arrays, written as NumPy arrays.
//!
//! ```text
//! cargo run --release -p derin-nn --example keras_predict -- MODEL INPUT.npy [INPUT2.npy ...] OUTPUT.npy
//! ```
//!
//! `MODEL` is anything [`derin_nn::load_model`] reads (a Keras `.h5` full-model file, from
//! Keras 3 or Keras 2 / tf.keras, or one Derin saved). Give one `.npy` per model input, in
//! the model's input order, each shaped `[batch, …sample shape]` in the layout the model was
//! built for (Keras' channels-last for Keras files); float32/float64 arrays and integer
//! arrays (int32/int64 token ids, uint8 pixels) are accepted, integers within ±2²⁴. The
//! predictions are written as float32 `.npy`: the first (or only) model output to
//! `OUTPUT.npy`, further outputs of a multi-output model to `OUTPUT_1.npy`, `OUTPUT_2.npy`, ….
//!
//! Any problem (wrong argument count, unreadable model or array, an array whose shape does
//! not fit the model) prints one message on stderr and exits with status 1.
//!
//! In Python, `np.load("OUTPUT.npy")` then equals `model.predict(x)` to within float
//! rounding.

use std::path::PathBuf;
use std::process::ExitCode;

use derin_nn::serialize::predict_files;

const USAGE: &str = "usage: keras_predict MODEL INPUT.npy [INPUT2.npy ...] OUTPUT.npy";

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [model, inputs @ .., output] = args.as_slice() else {
        eprintln!("keras_predict: expected at least 3 arguments, got {}\n{USAGE}", args.len());
        return ExitCode::FAILURE;
    };
    if inputs.is_empty() {
        eprintln!("keras_predict: expected at least 3 arguments, got {}\n{USAGE}", args.len());
        return ExitCode::FAILURE;
    }
    match predict_files(model, inputs, output) {
        Ok(written) => {
            for path in written {
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("keras_predict: {e}");
            ExitCode::FAILURE
        }
    }
}
