//! `predict_files`: a Keras model file and `.npy` inputs in, `.npy` predictions out (the
//! `keras_predict` example).

use std::path::{Path, PathBuf};

use derin_tensor::{Tensor, npy};

use crate::error::{Error, Result};
use crate::serialize::load::load_model;

/// How many samples [`predict_files`] runs through the model at a time.
///
/// ```
/// assert_eq!(derin_nn::serialize::PREDICT_BATCH_SIZE, 32);
/// ```
pub const PREDICT_BATCH_SIZE: usize = 32;

/// Loads the model file `model` with [`load_model`], predicts on the `.npy` arrays `inputs`
/// (one per model input, in the model's input order, each `[batch, …sample shape]`) and
/// writes the predictions as float32 `.npy` files; returns the paths written.
///
/// Inputs may be float32 or float64, or integers (int32/int64 token ids, uint8 images, …):
/// they are read with [`npy::read_as_f32`], which refuses integers beyond ±2²⁴ rather than
/// round them to another id. The first output goes to `output`, the others of a
/// multi-output model to [`output_paths`]' `OUTPUT_1.npy`, `OUTPUT_2.npy`, ….
///
/// # Errors
/// What [`load_model`] returns for the model file; [`Error::File`] naming an input that
/// cannot be read or an output that cannot be written; [`Error::Data`] when the number of
/// inputs or an input's shape does not fit the model (naming the expected and the given
/// shape). Nothing is written unless every input fits.
///
/// ```
/// use derin_nn::{Activation, Dense, Sequential, serialize::predict_files};
/// use derin_tensor::{ndarray::ArrayD, npy};
/// let dir = std::env::temp_dir().join(format!("derin-doc-predict-files-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let m = Sequential::new(&[3]).add(Dense::new(2, Activation::Softmax)).unwrap();
/// m.save(dir.join("m.h5")).unwrap();
/// npy::write_f32(dir.join("x.npy"), &ArrayD::from_elem(vec![5, 3], 0.5).view()).unwrap();
/// let written = predict_files(dir.join("m.h5"), &[dir.join("x.npy")], dir.join("y.npy")).unwrap();
/// assert_eq!(written, vec![dir.join("y.npy")]);
/// assert_eq!(npy::read_f32(&written[0]).unwrap().shape(), &[5, 2]);
///
/// npy::write_f32(dir.join("bad.npy"), &ArrayD::from_elem(vec![5, 4], 0.5).view()).unwrap();
/// let err = predict_files(dir.join("m.h5"), &[dir.join("bad.npy")], dir.join("y.npy")).unwrap_err();
/// assert!(err.to_string().contains("expected shape [batch, 3], got [5, 4]"), "{err}");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn predict_files<P: AsRef<Path>>(
    model: impl AsRef<Path>,
    inputs: &[P],
    output: impl AsRef<Path>,
) -> Result<Vec<PathBuf>> {
    let model = load_model(model)?;
    let shapes = model.input_shapes();
    if inputs.len() != shapes.len() {
        return Err(Error::Data {
            operation: "predict_files",
            reason: format!(
                "the model takes {} input array(s) (sample shapes {shapes:?}), got {} .npy file(s)",
                shapes.len(),
                inputs.len()
            ),
        });
    }
    let mut xs = Vec::with_capacity(inputs.len());
    for (i, (path, sample)) in inputs.iter().zip(&shapes).enumerate() {
        let path = path.as_ref();
        let x = npy::read_as_f32(path).map_err(|e| file_error(path, e))?;
        if x.ndim() != sample.len() + 1 || &x.shape()[1..] != sample.as_slice() {
            let expected: Vec<String> = sample.iter().map(usize::to_string).collect();
            return Err(Error::Data {
                operation: "predict_files",
                reason: format!(
                    "input {} ({}): expected shape [batch, {}], got {:?}",
                    i + 1,
                    path.display(),
                    expected.join(", "),
                    x.shape()
                ),
            });
        }
        xs.push(Tensor::from_array(x));
    }
    let ys = model.predict(&xs, PREDICT_BATCH_SIZE)?;
    let paths = output_paths(output, ys.len());
    for (y, path) in ys.iter().zip(&paths) {
        npy::write_f32(path, &y.array().view()).map_err(|e| file_error(path, e))?;
    }
    Ok(paths)
}

/// Where [`predict_files`] writes `n` outputs: `output` itself, then `output` with `_1`,
/// `_2`, … added to its file stem (`pred.npy`, `pred_1.npy`, `pred_2.npy`).
///
/// ```
/// use derin_nn::serialize::output_paths;
/// use std::path::PathBuf;
/// let paths = output_paths("out/pred.npy", 3);
/// assert_eq!(paths, ["out/pred.npy", "out/pred_1.npy", "out/pred_2.npy"].map(PathBuf::from));
/// assert_eq!(output_paths("pred", 2)[1], PathBuf::from("pred_1"));
/// ```
pub fn output_paths(output: impl AsRef<Path>, n: usize) -> Vec<PathBuf> {
    let output = output.as_ref();
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    (0..n)
        .map(|i| {
            if i == 0 {
                return output.to_path_buf();
            }
            let name = match output.extension() {
                Some(ext) => format!("{stem}_{i}.{}", ext.to_string_lossy()),
                None => format!("{stem}_{i}"),
            };
            output.with_file_name(name)
        })
        .collect()
}

/// A tensor-crate file error as this crate's [`Error::File`].
fn file_error(path: &Path, e: derin_tensor::Error) -> Error {
    let reason = match e {
        derin_tensor::Error::Npy { reason, .. } => format!("not a .npy file Derin can read: {reason}"),
        derin_tensor::Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    };
    Error::File { path: path.display().to_string(), reason }
}
