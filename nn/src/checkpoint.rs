//! Checkpoints of anything: the weights of any set of [`Param`]s, and the state of the
//! optimizers that train them, in one safetensors file (the format PyTorch and Hugging
//! Face users share); [`prefixed`] names keep nested models apart.

use std::collections::BTreeMap;
use std::path::Path;

use derin_optim::{Optimizer, OptimizerState, Slot};
use derin_tensor::ndarray::{ArrayD, ArrayViewD};
use derin_tensor::{Param, Tensor, load_safetensors, save_safetensors};

use crate::error::{Error, Result};

/// Where optimizer slots live in a checkpoint: `optimizer/<name>/<n>`.
const OPTIMIZER_PREFIX: &str = "optimizer/";

/// `params` renamed `prefix/name`, sharing their storage (and gradient ids): how a struct
/// holding several models keeps their weights apart (`generator/dense/kernel`,
/// `discriminator/dense/kernel`), for [`save_weights`] and for one optimizer over both.
///
/// ```
/// use derin_nn::prefixed;
/// use derin_tensor::{Param, Tensor};
/// let k = Param::new("dense/kernel", Tensor::zeros(&[2]).to_array());
/// let p = prefixed("generator", [k.clone()]);
/// assert_eq!(p[0].name(), "generator/dense/kernel");
/// assert_eq!(p[0].id(), k.id()); // the same parameter
/// ```
pub fn prefixed(prefix: &str, params: impl IntoIterator<Item = Param>) -> Vec<Param> {
    params.into_iter().map(|p| p.renamed(&format!("{prefix}/{}", p.name()))).collect()
}

/// Writes the values of `params` to a safetensors file at `path`, one `F32` tensor per
/// parameter under its name; atomically (a temporary file, then a rename), so a failed
/// save leaves the previous file whole. The file loads in Python with
/// `safetensors.numpy.load_file` (or `safetensors.torch`).
///
/// # Errors
/// [`Error::Tensor`] when two parameters share a name or the file cannot be written.
///
/// ```
/// use derin_nn::{load_weights, save_weights};
/// use derin_tensor::{Param, Tensor};
/// let path = std::env::temp_dir().join(format!("derin_weights_doc_{}.safetensors", std::process::id()));
/// let w = Param::new("w", Tensor::from_vec(vec![1.0, 2.0], &[2]).to_array());
/// save_weights(&path, &[w.clone()]).unwrap();
/// w.set(Tensor::zeros(&[2]).to_array());
/// load_weights(&path, &[w.clone()]).unwrap();
/// assert_eq!(w.value().to_vec(), vec![1.0, 2.0]);
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_weights(path: impl AsRef<Path>, params: &[Param]) -> Result<()> {
    save_checkpoint(path, params, &[])
}

/// Sets each of `params` to the tensor of its name in the safetensors file at `path`
/// (written by [`save_weights`], [`save_checkpoint`], or PyTorch's `save_file` with
/// these names). All or nothing: nothing changes unless every parameter is there with
/// its shape and every tensor of the file (but optimizer state) is a parameter.
///
/// # Errors
/// [`Error::Tensor`] when the file cannot be read or is malformed; [`Error::File`]
/// listing the missing parameters, the shape mismatches (both shapes) and the tensors
/// that match no parameter.
///
/// ```
/// use derin_nn::{load_weights, save_weights};
/// use derin_tensor::{Param, Tensor};
/// let path = std::env::temp_dir().join(format!("derin_weights_err_doc_{}.safetensors", std::process::id()));
/// save_weights(&path, &[Param::new("w", Tensor::zeros(&[2]).to_array())]).unwrap();
/// let err = load_weights(&path, &[Param::new("v", Tensor::zeros(&[2]).to_array())]).unwrap_err().to_string();
/// assert!(err.contains("missing parameter \"v\"") && err.contains("unexpected tensor \"w\""), "{err}");
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn load_weights(path: impl AsRef<Path>, params: &[Param]) -> Result<()> {
    load_checkpoint(path, params, &mut [])
}

/// [`save_weights`] and, in the same file, the state of each named optimizer (its step
/// count, hyperparameters and per-parameter buffers such as Adam's moments), so that
/// training resumes where it stopped. Buffers are tensors named `optimizer/<name>/<n>`;
/// the rest of each state is JSON in the file's metadata.
///
/// # Errors
/// As [`save_weights`].
///
/// ```
/// use derin_nn::{load_checkpoint, save_checkpoint};
/// use derin_optim::{Adam, Optimizer};
/// use derin_tensor::{Param, Tensor};
/// let path = std::env::temp_dir().join(format!("derin_ckpt_doc_{}.safetensors", std::process::id()));
/// let w = Param::new("w", Tensor::from_vec(vec![1.0], &[1]).to_array());
/// let mut adam = Adam::new();
/// adam.step(&[w.clone()], &w.value().square().sum_all().backward());
/// save_checkpoint(&path, &[w.clone()], &[("adam", &adam)]).unwrap();
/// let mut resumed = Adam::new();
/// load_checkpoint(&path, &[w.clone()], &mut [("adam", &mut resumed, &[w.clone()])]).unwrap();
/// assert_eq!(resumed.state(), adam.state());
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_checkpoint(path: impl AsRef<Path>, params: &[Param], optimizers: &[(&str, &dyn Optimizer)]) -> Result<()> {
    // The parameters' current values are written from the tensors themselves, uncopied.
    let values: Vec<Tensor> = params.iter().map(Param::value).collect();
    let (mut slot_names, mut slot_arrays) = (Vec::new(), Vec::new());
    let mut metadata = BTreeMap::from([("format".to_string(), "derin".to_string())]);
    for (name, optimizer) in optimizers {
        let mut state = optimizer.state();
        let mut table: BTreeMap<String, BTreeMap<Slot, String>> = BTreeMap::new();
        for (param, slots) in std::mem::take(&mut state.slots) {
            for (slot, saved) in slots {
                let tensor = format!("{OPTIMIZER_PREFIX}{name}/{}", params.len() + slot_arrays.len());
                let array =
                    saved.to_array().ok_or_else(|| file_error(path.as_ref(), "an optimizer buffer is malformed"))?;
                slot_arrays.push(array);
                slot_names.push(tensor.clone());
                table.entry(param.clone()).or_default().insert(slot, tensor);
            }
        }
        metadata.insert(format!("{OPTIMIZER_PREFIX}{name}"), state.to_json());
        let slots = serde_json::to_string(&table).expect("a slot table always serializes");
        metadata.insert(format!("{OPTIMIZER_PREFIX}{name}/slots"), slots);
    }
    let weights = params.iter().map(Param::name).zip(values.iter().map(Tensor::view));
    let slots = slot_names.iter().map(String::as_str).zip(slot_arrays.iter().map(|a| a.view()));
    let tensors: Vec<(&str, ArrayViewD<'_, f32>)> = weights.chain(slots).collect();
    Ok(save_safetensors(path, &tensors, Some(&metadata))?)
}

/// [`load_weights`] and the state of each named optimizer saved by
/// [`save_checkpoint`], each checked against the parameters it will update (the third
/// element). All or nothing for the weights; each optimizer's state is checked before it
/// replaces the old one.
///
/// # Errors
/// As [`load_weights`]; [`Error::File`] when an optimizer's state is missing or does
/// not fit its parameters.
pub fn load_checkpoint(
    path: impl AsRef<Path>,
    params: &[Param],
    optimizers: &mut [(&str, &mut dyn Optimizer, &[Param])],
) -> Result<()> {
    let path = path.as_ref();
    let file = load_safetensors(path)?;
    let mut problems = Vec::new();
    for p in params {
        match file.tensors.get(p.name()) {
            None => problems.push(format!("missing parameter {:?}", p.name())),
            Some(t) if t.shape() != p.shape().as_slice() => problems.push(format!(
                "parameter {:?} has shape {:?}, the file's tensor {:?}",
                p.name(),
                p.shape(),
                t.shape()
            )),
            Some(_) => {}
        }
    }
    let known = |name: &str| name.starts_with(OPTIMIZER_PREFIX) || params.iter().any(|p| p.name() == name);
    problems.extend(file.tensors.keys().filter(|k| !known(k)).map(|k| format!("unexpected tensor {k:?}")));
    if !problems.is_empty() {
        return Err(file_error(path, &format!("does not fit the parameters: {}", problems.join("; "))));
    }
    let mut states = Vec::new();
    for (name, _, _) in optimizers.iter() {
        states.push(optimizer_state(path, &file.metadata, &file.tensors, name)?);
    }
    for p in params {
        p.set(file.tensors[p.name()].clone());
    }
    for ((_, optimizer, owned), state) in optimizers.iter_mut().zip(&states) {
        optimizer.load_state(state, owned).map_err(|e| file_error(path, &e.to_string()))?;
    }
    Ok(())
}

/// The state of optimizer `name` from a checkpoint's metadata and tensors.
fn optimizer_state(
    path: &Path,
    metadata: &BTreeMap<String, String>,
    tensors: &BTreeMap<String, ArrayD<f32>>,
    name: &str,
) -> Result<OptimizerState> {
    let key = format!("{OPTIMIZER_PREFIX}{name}");
    let missing = || file_error(path, &format!("holds no state of optimizer {name:?}"));
    let mut state = OptimizerState::from_json(metadata.get(&key).ok_or_else(missing)?)
        .map_err(|e| file_error(path, &format!("optimizer {name:?}: {e}")))?;
    let table: BTreeMap<String, BTreeMap<Slot, String>> =
        serde_json::from_str(metadata.get(&format!("{key}/slots")).ok_or_else(missing)?)
            .map_err(|e| file_error(path, &format!("optimizer {name:?} slot table: {e}")))?;
    for (param, slots) in table {
        for (slot, tensor) in slots {
            let array = tensors
                .get(&tensor)
                .ok_or_else(|| file_error(path, &format!("optimizer {name:?}: tensor {tensor:?} is missing")))?;
            state.slots.entry(param.clone()).or_default().insert(slot, derin_optim::SavedArray::from_array(array));
        }
    }
    Ok(state)
}

fn file_error(path: &Path, reason: &str) -> Error {
    Error::File { path: path.display().to_string(), reason: reason.to_string() }
}
