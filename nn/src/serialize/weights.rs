//! Keras' legacy HDF5 weights layout for a list of layers, shared by `Sequential` and
//! functional `Model`: `layer_names`, one group per layer with `weight_names` and the
//! weights in Keras' layouts.

use derin_tensor::Param;
use derin_tensor::ndarray::{ArrayD, IxDyn};
use hdf5_metno as hdf5;

use crate::module::Module;
use crate::serialize::h5::{Why, read_f32, read_str_list, write_f32, write_str, write_str_list};
use crate::serialize::{BACKEND, KERAS_VERSION};

/// Every weight of `layer` in Keras' order: weights, then state weights.
pub(crate) fn all_weights(layer: &dyn Module) -> Vec<Param> {
    [layer.weights(), layer.state_weights()].concat()
}

/// Keras' `save_weights_to_hdf5_group`: `layer_names` (every entry of `layers`, in
/// order), `backend`, `keras_version`, one group per entry with `weight_names`
/// (`<prefix><layer>/<weight>`) and its datasets. An entry without a module (an
/// `InputLayer`, a merge layer) gets a group with empty `weight_names`.
pub(crate) fn write_weights(g: &hdf5::Group, layers: &[(&str, Option<&dyn Module>)], prefix: &str) -> Why<()> {
    let names: Vec<String> = layers.iter().map(|(n, _)| n.to_string()).collect();
    write_str_list(g, "layer_names", &names)?;
    write_str(g, "backend", BACKEND)?;
    write_str(g, "keras_version", KERAS_VERSION)?;
    for &(name, layer) in layers {
        let lg = g.create_group(name).map_err(|e| format!("group {name}: {e}"))?;
        let Some(layer) = layer else {
            write_str_list(&lg, "weight_names", &[])?;
            continue;
        };
        let weights = all_weights(layer);
        let names: Vec<String> = weights.iter().map(|p| format!("{prefix}{}", p.name())).collect();
        write_str_list(&lg, "weight_names", &names)?;
        for (i, (p, name)) in weights.iter().zip(&names).enumerate() {
            write_weight(&lg, name, layer, i, p)?;
        }
    }
    let top = g.create_group("top_level_model_weights").map_err(|e| format!("group top_level_model_weights: {e}"))?;
    write_str_list(&top, "weight_names", &[])
}

/// The group holding `layer_names` in a weights file: the root of a weights-only file,
/// `/model_weights` of a full-model file.
pub(crate) fn weights_group(file: &hdf5::File) -> Why<hdf5::Group> {
    let names = file.attr_names().map_err(|e| e.to_string())?;
    if names.iter().any(|n| n.starts_with("layer_names")) || !file.link_exists("model_weights") {
        Ok((**file).clone())
    } else {
        model_weights(file)
    }
}

/// The `/model_weights` group of a full-model file.
pub(crate) fn model_weights(file: &hdf5::File) -> Why<hdf5::Group> {
    if !file.link_exists("model_weights") {
        return Err("missing group /model_weights".into());
    }
    file.group("model_weights").map_err(|e| format!("group /model_weights: {e}"))
}

/// Keras' `load_weights_from_hdf5_group`: the file's layers with weights are matched in
/// order with those of `layers` that have weights, and each layer's weights in order.
/// Reads and checks everything, then sets: on error nothing changed.
pub(crate) fn read_weights(g: &hdf5::Group, layers: &[&dyn Module]) -> Why<()> {
    let at = g.name();
    let names = read_str_list(g, "layer_names")?.ok_or_else(|| format!("missing attribute layer_names on {at}"))?;
    let mut file_layers = Vec::new();
    for name in &names {
        if !g.link_exists(name) {
            return Err(format!("missing group {}/{name}", at.trim_end_matches('/')));
        }
        let lg = g.group(name).map_err(|e| format!("group {name}: {e}"))?;
        let weight_names = read_str_list(&lg, "weight_names")?
            .ok_or_else(|| format!("missing attribute weight_names on {}", lg.name()))?;
        if !weight_names.is_empty() {
            file_layers.push((lg, weight_names));
        }
    }
    let layers: Vec<&dyn Module> = layers.iter().copied().filter(|l| !all_weights(*l).is_empty()).collect();
    if layers.len() != file_layers.len() {
        let file: Vec<String> = file_layers.iter().map(|(lg, _)| lg.name()).collect();
        let model: Vec<String> = layers.iter().map(|l| l.label()).collect();
        return Err(format!(
            "the file has weights for {} layers ({}), the model has {} layers with weights ({})",
            file.len(),
            file.join(", "),
            model.len(),
            model.join(", ")
        ));
    }
    let mut updates = Vec::new();
    for (layer, (lg, weight_names)) in layers.iter().zip(&file_layers) {
        let params = all_weights(*layer);
        if params.len() != weight_names.len() {
            return Err(format!(
                "group {} has {} weights, {} has {}",
                lg.name(),
                weight_names.len(),
                layer.label(),
                params.len()
            ));
        }
        for (i, (p, name)) in params.iter().zip(weight_names).enumerate() {
            let array = read_weight(lg, name, *layer, i, p)?;
            updates.push((p.clone(), array));
        }
    }
    for (p, array) in updates {
        p.set(array);
    }
    Ok(())
}

/// Writes weight `index` (`p`) of `layer` as dataset `name` of `g`, in Keras' layout
/// (permuted by [`Module::keras_weight_axes`]).
pub(crate) fn write_weight(g: &hdf5::Group, name: &str, layer: &dyn Module, index: usize, p: &Param) -> Why<()> {
    let mut value = p.value().to_array();
    if let Some(axes) = layer.keras_weight_axes(index) {
        value = value.permuted_axes(IxDyn(&axes));
    }
    write_f32(g, name, value.shape(), &value.iter().copied().collect::<Vec<f32>>())
}

/// Reads dataset `name` of `g` as weight `index` (`p`) of `layer`: checks the shape in
/// Keras' layout, then permutes it into Derin's.
pub(crate) fn read_weight(
    g: &hdf5::Group,
    name: &str,
    layer: &dyn Module,
    index: usize,
    p: &Param,
) -> Why<ArrayD<f32>> {
    let axes = layer.keras_weight_axes(index);
    let want: Vec<usize> = match &axes {
        Some(axes) => axes.iter().map(|&a| p.shape()[a]).collect(),
        None => p.shape(),
    };
    let (shape, data) = read_f32(g, name, |what, shape| {
        if shape == want.as_slice() {
            return Ok(());
        }
        let layout = if axes.is_some() { " (Keras' layout)" } else { "" };
        Err(format!("{what} has shape {shape:?}, {} needs {want:?}{layout} for {}", layer.label(), p.name()))
    })?;
    let array = ArrayD::from_shape_vec(IxDyn(&shape), data).map_err(|e| format!("dataset {name}: {e}"))?;
    Ok(match axes {
        Some(axes) => from_keras_layout(array, &axes),
        None => array,
    })
}

/// An array in Keras' layout (Derin's permuted by `axes`) back in Derin's, contiguous.
pub(crate) fn from_keras_layout(array: ArrayD<f32>, axes: &[usize]) -> ArrayD<f32> {
    let mut inverse = vec![0; axes.len()];
    for (k, &a) in axes.iter().enumerate() {
        inverse[a] = k;
    }
    array.permuted_axes(IxDyn(&inverse)).as_standard_layout().into_owned()
}
