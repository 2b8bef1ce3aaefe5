//! Keras 3's own weights layout: `model.save_weights("x.weights.h5")`, and the
//! `model.weights.h5` inside a `.keras` file.
//!
//! ```text
//! /vars                                  @name "sequential"  (the model's own variables: none)
//! /layers/conv2d/vars/0, 1               kernel [kh, kw, in, filters], bias   @name on vars: the layer's name
//! /layers/conv2d_1/vars/0, 1             the second Conv2D
//! /layers/batch_normalization/vars/0..3  gamma, beta, moving_mean, moving_variance
//! /layers/flatten/vars                   (empty: every layer has its group)
//! /layers/gru/vars                       (empty)   /layers/gru/cell/vars/0..2  kernel, recurrent_kernel, bias
//! /layers/bidirectional/forward_layer/cell/vars/0..2, /layers/bidirectional/backward_layer/cell/vars/0..2
//! /optimizer/vars/0..                    (a compiled model's optimizer: ignored on read)
//! ```
//!
//! A layer's group is not its name but its class in snake case, numbered per class in
//! the model's layer order (`dense`, `dense_1`, …; the `vars` group's `name` attribute
//! holds the layer's name), and a layer's variables are numbered in Keras' order, which
//! is Derin's [`weights`](Module::weights) then [`state_weights`](Module::state_weights).
//! Functional models number their `InputLayer`s too (`input_layer`, …), which have no
//! weights and so shift no other key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use derin_tensor::Param;
use derin_tensor::ndarray::ArrayD;
use hdf5_metno as hdf5;

use crate::module::{Module, snake_case};
use crate::sequential::Sequential;
use crate::serialize::h5::{Why, h5, write_str};
use crate::serialize::weights::{read_weight, write_weight};

/// Every weight of `layer` in Keras' order: weights, then state weights.
fn all_weights(layer: &dyn Module) -> Vec<Param> {
    [layer.weights(), layer.state_weights()].concat()
}

/// Each layer's group under `/layers`: its class in snake case, then `_1`, `_2`, … for
/// later layers of the same class, as Keras' saver names them.
pub(crate) fn layer_keys(layers: &[&dyn Module]) -> Vec<String> {
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    layers
        .iter()
        .map(|l| {
            let base = snake_case(l.type_name());
            match used.get_mut(&base) {
                Some(n) => {
                    *n += 1;
                    format!("{base}_{n}")
                }
                None => {
                    used.insert(base.clone(), 0);
                    base
                }
            }
        })
        .collect()
}

/// Where a layer's `n` weights live under its group, in order: `(path, count)`.
/// Recurrent layers keep theirs in their cell; `Bidirectional` in its two wrapped
/// layers' cells, forward first.
fn var_groups(layer: &dyn Module, n: usize) -> Vec<(&'static str, usize)> {
    match layer.type_name() {
        "SimpleRNN" | "GRU" | "LSTM" => vec![("cell/vars", n)],
        "Bidirectional" => vec![("forward_layer/cell/vars", n / 2), ("backward_layer/cell/vars", n - n / 2)],
        _ => vec![("vars", n)],
    }
}

/// Whether the file (or group) `g` is in Keras 3's layout: a `layers` group and no
/// legacy `layer_names` attribute.
pub(crate) fn is_keras3(g: &hdf5::Group) -> bool {
    let legacy = g.attr_names().map(|names| names.iter().any(|n| n.starts_with("layer_names"))).unwrap_or(false);
    !legacy && g.link_exists("layers") && g.group("layers").is_ok()
}

/// Whether `g` or a group below it holds a dataset.
fn holds_datasets(g: &hdf5::Group) -> Why<bool> {
    if !g.datasets().map_err(h5(&format!("datasets of {}", g.name())))?.is_empty() {
        return Ok(true);
    }
    for sub in g.groups().map_err(h5(&format!("groups of {}", g.name())))? {
        if holds_datasets(&sub)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Reads the weights of `layers` (the model's layers in Keras' `model.layers` order)
/// from a Keras 3 weights file whose root is `group`, checking every shape against the
/// model (Keras' layout: convolution kernels are permuted through
/// [`Module::keras_weight_axes`]) before returning anything; the caller sets them.
/// A group in the file with weights for no layer of the model is an error; the
/// optimizer's variables are ignored.
pub(crate) fn read_keras3_weights(group: &hdf5::Group, layers: &[&dyn Module]) -> Why<Vec<(Param, ArrayD<f32>)>> {
    let root = group.name().trim_end_matches('/').to_string();
    if !group.link_exists("layers") {
        return Err(format!("missing group {root}/layers (not a Keras 3 weights file)"));
    }
    let lg = group.group("layers").map_err(h5(&format!("group {root}/layers")))?;
    let keys = layer_keys(layers);
    let known: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
    for member in lg.member_names().map_err(h5(&format!("members of {root}/layers")))? {
        if !known.contains(member.as_str()) {
            let g = lg.group(&member).map_err(h5(&format!("group {root}/layers/{member}")))?;
            if holds_datasets(&g)? {
                return Err(format!("group {root}/layers/{member} holds weights, the model has no layer for it"));
            }
        }
    }
    let mut out = Vec::new();
    for (layer, key) in layers.iter().zip(&keys) {
        let params = all_weights(*layer);
        if params.is_empty() {
            continue;
        }
        let at = format!("{root}/layers/{key}");
        if !lg.link_exists(key) {
            return Err(format!("missing group {at} for {}", layer.label()));
        }
        let layer_group = lg.group(key).map_err(h5(&format!("group {at}")))?;
        let mut index = 0;
        for (path, count) in var_groups(*layer, params.len()) {
            let vars_at = format!("{at}/{path}");
            let exists = path.split('/').scan(String::new(), |acc, part| {
                if !acc.is_empty() {
                    acc.push('/');
                }
                acc.push_str(part);
                Some(layer_group.link_exists(acc))
            });
            if !exists.into_iter().all(|e| e) {
                return Err(format!("missing group {vars_at} for {}", layer.label()));
            }
            let vars = layer_group.group(path).map_err(h5(&format!("group {vars_at}")))?;
            let found = vars.member_names().map_err(h5(&format!("members of {vars_at}")))?.len();
            if found != count {
                return Err(format!("group {vars_at} has {found} weights, {} needs {count}", layer.label()));
            }
            for k in 0..count {
                let p = &params[index];
                out.push((p.clone(), read_weight(&vars, &k.to_string(), *layer, index, p)?));
                index += 1;
            }
        }
    }
    Ok(out)
}

/// Creates (or opens) the group at `path` under `g`, with Keras' `name` attribute when
/// it is a `vars` group.
fn vars_group(g: &hdf5::Group, path: &str, name: &str) -> Why<hdf5::Group> {
    let group = crate::serialize::h5::group_at(g, path)?;
    write_str(&group, "name", name)?;
    Ok(group)
}

/// The class and name of the layer a `Bidirectional` wraps, from its config
/// (`LSTM`, `lstm` when the config does not say).
fn wrapped(layer: &dyn Module) -> (String, String) {
    let config = layer.keras_config().ok();
    let inner = config.as_ref().and_then(|c| c.get("layer"));
    let class = inner.and_then(|l| l.get("class_name")).and_then(|c| c.as_str()).unwrap_or("LSTM").to_string();
    let name = inner.and_then(|l| l.pointer("/config/name")).and_then(|c| c.as_str()).map(str::to_string);
    let name = name.unwrap_or_else(|| snake_case(&class));
    (class, name)
}

/// Writes `layers` (the model's layers, in order) and the model's empty `vars` group
/// (`model_name`) under `group` in Keras 3's layout, weights in Keras' layouts, as
/// Keras' `model.save_weights("x.weights.h5")` does.
pub(crate) fn write_keras3_weights(group: &hdf5::Group, layers: &[&dyn Module], model_name: &str) -> Why<()> {
    let lg = group.create_group("layers").map_err(h5("group layers"))?;
    for (layer, key) in layers.iter().zip(layer_keys(layers)) {
        let g = lg.create_group(&key).map_err(h5(&format!("group layers/{key}")))?;
        vars_group(&g, "vars", layer.name())?;
        let params = all_weights(*layer);
        let cell = |class: &str| format!("{}_cell", snake_case(class));
        match layer.type_name() {
            "SimpleRNN" | "GRU" | "LSTM" => {
                vars_group(&g, "cell/vars", &cell(layer.type_name()))?;
            }
            "Bidirectional" => {
                let (class, name) = wrapped(*layer);
                for side in ["forward", "backward"] {
                    vars_group(&g, &format!("{side}_layer/vars"), &format!("{side}_{name}"))?;
                    vars_group(&g, &format!("{side}_layer/cell/vars"), &cell(&class))?;
                }
            }
            _ => {}
        }
        let mut index = 0;
        for (path, count) in var_groups(*layer, params.len()) {
            for k in 0..count {
                write_weight(&g, &format!("{path}/{k}"), *layer, index, &params[index])?;
                index += 1;
            }
        }
    }
    vars_group(group, "vars", model_name).map(|_| ())
}

/// Whether `path` names a Keras 3 weights file (`….weights.h5`), which
/// [`Sequential::save_weights`] writes in Keras 3's layout.
pub(crate) fn is_keras3_path(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".weights.h5"))
}

impl Sequential {
    /// The layers, as `&dyn Module`, in order.
    fn layer_refs(&self) -> Vec<&dyn Module> {
        self.layers.iter().map(|l| l.as_ref()).collect()
    }

    /// Reads and checks every weight from the Keras 3 weights file at `group`, then
    /// sets them all (on error the model is unchanged).
    pub(crate) fn read_keras3(&self, group: &hdf5::Group) -> Why<()> {
        for (p, array) in read_keras3_weights(group, &self.layer_refs())? {
            p.set(array);
        }
        Ok(())
    }

    /// Writes the model's weights at `group` in Keras 3's layout.
    pub(crate) fn write_keras3(&self, group: &hdf5::Group) -> Why<()> {
        write_keras3_weights(group, &self.layer_refs(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::layers::{Dense, Dropout, GRU};

    #[test]
    fn keys_number_layers_per_class_as_keras() {
        let a = Dense::new(2, Activation::Relu).named("first");
        let b = Dropout::new(0.5).unwrap();
        let c = Dense::new(2, Activation::Relu).named("d1");
        let d = GRU::new(3);
        let e = Dense::new(2, Activation::Relu);
        let layers: Vec<&dyn Module> = vec![&a, &b, &c, &d, &e];
        assert_eq!(layer_keys(&layers), ["dense", "dropout", "dense_1", "gru", "dense_2"]);
    }
}
