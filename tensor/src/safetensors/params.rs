//! Saving and loading [`Param`]s by name: a model's weights as one safetensors file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{check_unique, load_safetensors, save_safetensors};
use crate::error::{Error, Result};
use crate::param::Param;

/// What [`load_params`] does with tensors in the file that match no parameter.
///
/// Unlike PyTorch's `strict=False`, a parameter missing from the file is an error either way:
/// it would silently keep its old value.
///
/// # Example
/// ```
/// use derin_tensor::Strictness;
/// assert_eq!(Strictness::default(), Strictness::Strict);
/// ```
#[doc(alias = "strict")]
#[doc(alias = "load_state_dict")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strictness {
    /// Every tensor in the file must match a parameter (PyTorch's
    /// `load_state_dict(strict=True)`).
    #[default]
    Strict,
    /// Tensors that match no parameter are skipped (a file that holds more than this model).
    IgnoreUnexpected,
}

/// Writes the parameters' current values to a safetensors file under their names, atomically.
///
/// See [`save_safetensors`] for the layout and atomicity.
///
/// # Errors
/// [`Error::SafeTensors`] naming `path` and the name if two parameters share a name or one is
/// called `__metadata__`; [`Error::Io`] naming `path` if the file cannot be written. Either
/// way a previous file at `path` is left intact.
///
/// # Example
/// ```
/// use derin_tensor::{Param, Tensor, load_safetensors, save_params};
///
/// let path = std::env::temp_dir().join(format!("derin-st-doc-save-params-{}.safetensors", std::process::id()));
/// let kernel = Param::new("dense/kernel", Tensor::ones(&[2, 3]).to_array());
/// let bias = Param::new("dense/bias", Tensor::zeros(&[3]).to_array());
/// save_params(&path, &[kernel, bias.clone()], None)?;
/// let file = load_safetensors(&path)?;
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(file.tensors.keys().collect::<Vec<_>>(), ["dense/bias", "dense/kernel"]);
///
/// let err = save_params(&path, &[bias.clone(), bias], None).unwrap_err();
/// assert!(err.to_string().contains("parameter name \"dense/bias\" is given twice"), "{err}");
/// # Ok::<(), derin_tensor::Error>(())
/// ```
pub fn save_params(
    path: impl AsRef<Path>,
    params: &[Param],
    metadata: Option<&BTreeMap<String, String>>,
) -> Result<()> {
    let path = path.as_ref();
    check_unique(params.iter().map(Param::name), "parameter")
        .map_err(|reason| Error::SafeTensors { path: path.to_path_buf(), reason })?;
    let values: Vec<_> = params.iter().map(Param::value).collect();
    let tensors: Vec<_> = params.iter().zip(&values).map(|(p, v)| (p.name(), v.view())).collect();
    save_safetensors(path, &tensors, metadata)
}

/// Sets each parameter to the tensor of the same name in a safetensors file.
///
/// All or nothing: every parameter must have a tensor of its exact shape in the file, and
/// with [`Strictness::Strict`] every tensor must match a parameter; only then are the values
/// set (with [`Param::set`]). Values are converted to `f32` as [`load_safetensors`] does.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::SafeTensors`] naming `path` if it is
/// malformed, if two parameters share a name, or if it does not fit the parameters: the
/// message lists every missing parameter, every shape mismatch (the parameter and both
/// shapes) and, when strict, every unexpected tensor. No parameter changes then.
///
/// # Example
/// ```
/// use derin_tensor::{Param, Strictness, Tensor, load_params, save_params};
///
/// let path = std::env::temp_dir().join(format!("derin-st-doc-load-params-{}.safetensors", std::process::id()));
/// let trained = Param::new("kernel", Tensor::full(&[2, 2], 0.5).to_array());
/// save_params(&path, &[trained], None)?;
///
/// let fresh = Param::new("kernel", Tensor::zeros(&[2, 2]).to_array());
/// load_params(&path, &[fresh.clone()], Strictness::Strict)?;
/// assert_eq!(fresh.value().to_vec(), vec![0.5; 4]);
///
/// let wrong = Param::new("kernel", Tensor::zeros(&[4]).to_array());
/// let err = load_params(&path, &[wrong.clone()], Strictness::Strict).unwrap_err();
/// std::fs::remove_file(&path).unwrap();
/// assert!(err.to_string().contains("parameter \"kernel\" has shape [4], the file's tensor has [2, 2]"), "{err}");
/// assert_eq!(wrong.value().to_vec(), vec![0.0; 4]); // unchanged
/// # Ok::<(), derin_tensor::Error>(())
/// ```
pub fn load_params(path: impl AsRef<Path>, params: &[Param], strictness: Strictness) -> Result<()> {
    let path = path.as_ref();
    let error = |reason| Error::SafeTensors { path: path.to_path_buf(), reason };
    check_unique(params.iter().map(Param::name), "parameter").map_err(error)?;
    let mut file = load_safetensors(path)?;

    let mut problems = Vec::new();
    let missing: Vec<&str> = params.iter().map(Param::name).filter(|&n| !file.tensors.contains_key(n)).collect();
    if !missing.is_empty() {
        problems.push(format!(
            "no tensor for parameter(s) {} (the file holds {})",
            quoted(missing),
            quoted(file.tensors.keys().map(String::as_str))
        ));
    }
    for param in params {
        if let Some(array) = file.tensors.get(param.name()) {
            let shape = param.shape();
            if array.shape() != shape.as_slice() {
                let name = param.name();
                problems
                    .push(format!("parameter {name:?} has shape {shape:?}, the file's tensor has {:?}", array.shape()));
            }
        }
    }
    if strictness == Strictness::Strict {
        let wanted: BTreeSet<&str> = params.iter().map(Param::name).collect();
        let unexpected: Vec<&str> = file.tensors.keys().map(String::as_str).filter(|n| !wanted.contains(n)).collect();
        if !unexpected.is_empty() {
            problems.push(format!(
                "unexpected tensor(s) {} match no parameter (Strictness::IgnoreUnexpected skips them)",
                quoted(unexpected)
            ));
        }
    }
    if !problems.is_empty() {
        return Err(error(format!("cannot load parameters: {}", problems.join("; "))));
    }
    for param in params {
        if let Some(array) = file.tensors.remove(param.name()) {
            param.set(array);
        }
    }
    Ok(())
}

/// `["a", "b", …]`, at most 20 names, then how many more.
fn quoted<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    const SHOWN: usize = 20;
    let names: Vec<&str> = names.into_iter().collect();
    let mut text: Vec<String> = names.iter().take(SHOWN).map(|n| format!("{n:?}")).collect();
    if names.len() > SHOWN {
        text.push(format!("… and {} more", names.len() - SHOWN));
    }
    format!("[{}]", text.join(", "))
}
