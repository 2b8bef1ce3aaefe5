//! Functional [`Model`]s as Keras `Functional` configs: `Model::to_keras_config`,
//! `Model::from_keras_config` (Keras 3 and Keras 2 node formats) and Keras' layer order.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::functional::{Graph, GraphLayer, Model, Node, NodeKind};
use crate::serialize::model::batch_shape;
use crate::serialize::registry::{class_and_config, is_merge_class, merge_layer_from_config};
use crate::serialize::{KerasConfig, layer_from_config};

/// One entry of Keras' `model.layers`: a model input (by node) or a layer (by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    Input(usize),
    Layer(usize),
}

/// A reference to a layer's output: Keras' `[layer, node_index, tensor_index]`.
type Ref = (String, usize, usize);

impl Model {
    fn op_of(&self, node: usize) -> Op {
        match self.graph.nodes[node].kind {
            NodeKind::Input { .. } => Op::Input(node),
            NodeKind::Call { layer, .. } => Op::Layer(layer),
        }
    }

    fn parents(&self, node: usize) -> &[usize] {
        match &self.graph.nodes[node].kind {
            NodeKind::Input { .. } => &[],
            NodeKind::Call { inputs, .. } => inputs,
        }
    }

    /// Keras' `model.layers` order (its `map_graph`): input layers and layers sorted by
    /// depth from the outputs, deepest first; ties in the order a depth-first walk from
    /// the outputs meets them. Legacy `.h5` weights are matched in this order.
    pub(crate) fn keras_order(&self) -> Vec<Op> {
        fn visit(m: &Model, n: usize, finished: &mut [bool], index: &mut Vec<Op>, post: &mut Vec<usize>) {
            if finished[n] {
                return;
            }
            let op = m.op_of(n);
            if !index.contains(&op) {
                index.push(op);
            }
            for &p in m.parents(n) {
                visit(m, p, finished, index, post);
            }
            finished[n] = true;
            post.push(n);
        }
        let (mut finished, mut index, mut post) = (vec![false; self.graph.nodes.len()], Vec::new(), Vec::new());
        for &o in &self.outputs {
            visit(self, o, &mut finished, &mut index, &mut post);
        }
        let mut node_depth: HashMap<usize, usize> = HashMap::new();
        let mut op_depth: Vec<(Op, usize, isize)> = Vec::new(); // in insertion order, with the walk index
        for &n in post.iter().rev() {
            let op = self.op_of(n);
            let mut depth = *node_depth.entry(n).or_insert(0);
            let slot = op_depth.iter().position(|(o, ..)| *o == op);
            depth = depth.max(slot.map_or(0, |s| op_depth[s].1));
            match slot {
                Some(s) => op_depth[s].1 = depth,
                None => {
                    let walk = index.iter().position(|o| *o == op).expect("visited") as isize;
                    op_depth.push((op, depth, walk));
                }
            }
            node_depth.insert(n, depth);
            for &p in self.parents(n) {
                let d = node_depth.entry(p).or_insert(0);
                *d = (*d).max(depth + 1);
            }
        }
        for &i in &self.inputs {
            if !op_depth.iter().any(|(o, ..)| *o == Op::Input(i)) {
                op_depth.push((Op::Input(i), 0, -1));
            }
        }
        op_depth.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
        op_depth.into_iter().map(|(op, ..)| op).collect()
    }

    /// Keras' index of each of the model's nodes among its layer's nodes in the model.
    fn keras_node_index(&self, node: usize) -> usize {
        match self.graph.nodes[node].kind {
            NodeKind::Input { .. } => 0,
            NodeKind::Call { layer, .. } => {
                let call = self.graph.nodes[node].call;
                let same =
                    |&&n: &&usize| matches!(self.graph.nodes[n].kind, NodeKind::Call { layer: l, .. } if l == layer);
                self.order.iter().filter(same).filter(|&&n| self.graph.nodes[n].call < call).count()
            }
        }
    }

    fn keras_ref(&self, node: usize) -> Value {
        json!([self.graph.node_name(node), self.keras_node_index(node), 0])
    }

    fn keras_tensor(&self, node: usize) -> Value {
        let shape: Vec<Value> =
            std::iter::once(Value::Null).chain(self.graph.nodes[node].shape.iter().map(|&d| json!(d))).collect();
        json!({"class_name": "__keras_tensor__", "config": {
            "shape": shape, "dtype": "float32", "keras_history": self.keras_ref(node)
        }})
    }

    /// The model's Keras config, as Keras 3's `Functional.get_config()`: `name`,
    /// `trainable`, `layers` in Keras' `model.layers` order (an `InputLayer` per input,
    /// then each layer's `{"class_name", "config", "name", "inbound_nodes"}`, one
    /// inbound node per call, each `{"args": […keras tensors], "kwargs": {}}` whose
    /// tensors name `[layer, node_index, 0]`), `input_layers` and `output_layers` (a
    /// list of `[layer, node_index, 0]`, or one such reference alone, as Keras writes a
    /// single input or output).
    /// [`save`](Model::save) stores it as `{"class_name": "Functional", "config": …}`.
    ///
    /// # Errors
    /// [`Error::Unserializable`] naming the first layer that has no Keras config.
    ///
    /// ```
    /// use derin_nn::{Activation, Add, Dense, Graph, Model};
    /// let mut g = Graph::new();
    /// let (a, b) = (g.input("a", &[2]).unwrap(), g.input("b", &[2]).unwrap());
    /// let shared = g.layer(Dense::new(2, Activation::Relu).named("shared")).unwrap();
    /// let (ya, yb) = (g.call(shared, &a).unwrap(), g.call(shared, &b).unwrap());
    /// let sum = g.merge(Add::new(), &[&ya, &yb]).unwrap();
    /// let m = Model::new(g, &[&a, &b], &[&sum]).unwrap();
    /// let c = m.to_keras_config().unwrap();
    /// assert_eq!(c["input_layers"], serde_json::json!([["a", 0, 0], ["b", 0, 0]]));
    /// let shared = &c["layers"][2];
    /// assert_eq!(shared["inbound_nodes"][1]["args"][0]["config"]["keras_history"], serde_json::json!(["b", 0, 0]));
    /// assert_eq!(Model::from_keras_config(&c).unwrap().summary(), m.summary());
    /// ```
    pub fn to_keras_config(&self) -> Result<Value> {
        let mut layers = Vec::new();
        for op in self.keras_order() {
            layers.push(match op {
                Op::Input(n) => {
                    let name = self.graph.node_name(n);
                    let shape = &self.keras_tensor(n)["config"]["shape"];
                    json!({"class_name": "InputLayer", "config": {
                        "batch_shape": shape, "dtype": "float32", "sparse": false, "ragged": false, "name": name
                    }, "name": name, "inbound_nodes": []})
                }
                Op::Layer(l) => {
                    let layer = &self.graph.layers[l];
                    let (class, config) = match layer {
                        GraphLayer::Single(m) => (m.type_name(), m.keras_config()?),
                        GraphLayer::Merge(m) => (m.type_name(), m.keras_config()?),
                    };
                    let mut calls: Vec<usize> = self
                        .order
                        .iter()
                        .copied()
                        .filter(|&n| matches!(self.graph.nodes[n].kind, NodeKind::Call { layer, .. } if layer == l))
                        .collect();
                    calls.sort_by_key(|&n| self.graph.nodes[n].call);
                    let nodes: Vec<Value> = calls
                        .iter()
                        .map(|&n| {
                            let tensors: Vec<Value> = self.parents(n).iter().map(|&p| self.keras_tensor(p)).collect();
                            let args = match layer {
                                GraphLayer::Single(_) => Value::Array(tensors),
                                GraphLayer::Merge(_) => json!([tensors]),
                            };
                            json!({"args": args, "kwargs": {}})
                        })
                        .collect();
                    json!({"class_name": class, "config": config, "name": layer.name(), "inbound_nodes": nodes})
                }
            });
        }
        // One input (output) is written as a bare reference, as Keras 3 does.
        let refs = |nodes: &[usize]| -> Value {
            match nodes {
                [one] => self.keras_ref(*one),
                _ => nodes.iter().map(|&n| self.keras_ref(n)).collect(),
            }
        };
        let trainable = self.used.is_empty()
            || self.used.iter().any(|&l| match &self.graph.layers[l] {
                GraphLayer::Single(m) => m.trainable(),
                GraphLayer::Merge(m) => m.core().trainable,
            });
        Ok(json!({
            "name": self.name(), "trainable": trainable, "layers": layers,
            "input_layers": refs(&self.inputs), "output_layers": refs(&self.outputs),
        }))
    }

    /// Builds a model from a Keras functional config: Keras 3's `Functional.get_config()`
    /// (inbound nodes as `{"args": [keras tensors], "kwargs"}`), Keras 2 / tf.keras'
    /// (inbound nodes as `[[["layer", node, tensor, {kwargs}], …]]`, `InputLayer`s with
    /// `batch_input_shape`), or either wrapped as `{"class_name": "Functional" | "Model",
    /// "config": …}`. Shared layers (several inbound nodes) keep one set of weights;
    /// merge layers go through [`merge_layer_from_config`](crate::merge_layer_from_config),
    /// the others through [`layer_from_config`]. Call keyword arguments (`kwargs`) are
    /// ignored. Weights are drawn from seed 0.
    ///
    /// # Errors
    /// [`Error::Config`] naming the layer and key: an unknown class, a malformed inbound
    /// node, a reference to an unknown layer or to a node index that layer does not
    /// have, a missing `input_layers` or `output_layers`; the errors of
    /// [`Graph`] and [`Model::new`] when layers do not fit together.
    ///
    /// ```
    /// use derin_nn::Model;
    /// let c = serde_json::json!({"name": "m", "layers": [
    ///     {"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [null, 3], "name": "x"}, "inbound_nodes": []},
    ///     {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2}, "inbound_nodes": [[["x", 0, 0, {}]]]}],
    ///     "input_layers": [["x", 0, 0]], "output_layers": [["d", 0, 0]]});
    /// let m = Model::from_keras_config(&c).unwrap();
    /// assert_eq!((m.input_shapes(), m.output_shapes()), (vec![vec![3]], vec![vec![2]]));
    /// let mut bad = c.clone();
    /// bad["layers"][1]["inbound_nodes"] = serde_json::json!([[["y", 0, 0, {}]]]);
    /// assert!(Model::from_keras_config(&bad).unwrap_err().to_string().contains("unknown layer \"y\""));
    /// ```
    pub fn from_keras_config(config: &Value) -> Result<Model> {
        let config = match (config.get("class_name"), config.get("config")) {
            (Some(_), Some(_)) => {
                let (class, inner) = class_and_config(config, "model_config")?;
                if class != "Functional" && class != "Model" {
                    let reason = format!("{class:?}, expected \"Functional\" or \"Model\"");
                    return Err(Error::Config { layer: "model_config".into(), key: "class_name".into(), reason });
                }
                inner
            }
            _ => config,
        };
        let c = KerasConfig::new("Functional", config)?;
        let entries =
            c.get("layers").and_then(Value::as_array).ok_or_else(|| c.error("layers", "missing or not a list"))?;
        let mut g = Graph::new();
        let mut made: HashMap<(String, usize), Node> = HashMap::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for entry in entries {
            let (class, cfg) = class_and_config(entry, "Functional layer")?;
            let lc = KerasConfig::new(class, cfg)?;
            let name = match entry.get("name").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                None => lc.str_opt("name")?.ok_or_else(|| lc.error("name", "missing"))?.to_string(),
            };
            let who = format!("{name} ({class})");
            names.push(name.clone());
            if class == "InputLayer" {
                let key = ["batch_shape", "batch_input_shape"].into_iter().find(|k| lc.get(k).is_some());
                let key = key.ok_or_else(|| lc.error("batch_shape", "missing"))?;
                let node = g.input(&name, &batch_shape(&lc, key)?)?;
                made.insert((name, 0), node);
                continue;
            }
            let calls = inbound_nodes(entry, &who)?;
            let layer = if is_merge_class(class) {
                if calls.len() > 1 {
                    let reason = format!("{} calls of a merge layer; Derin calls a merge layer once", calls.len());
                    return Err(Error::Config { layer: who, key: "inbound_nodes".into(), reason });
                }
                Made::Merge(Some(merge_layer_from_config(class, cfg)?))
            } else {
                let id = g.layer_boxed(layer_from_config(class, cfg)?)?;
                if g.layers[g.layers.len() - 1].name() != name {
                    let reason = format!("the layer's config names it {:?}", g.layers[g.layers.len() - 1].name());
                    return Err(Error::Config { layer: who, key: "name".into(), reason });
                }
                Made::Single(id)
            };
            pending.push(Pending { who, name, layer, calls, done: 0 });
        }
        // Calls are made once their inputs exist: a shared layer listed early may wait
        // for a layer listed later, as Keras' own loader does.
        loop {
            let mut progress = false;
            for p in &mut pending {
                while p.done < p.calls.len() {
                    let refs = &p.calls[p.done];
                    let Some(xs) = refs.iter().map(|(l, k, _)| made.get(&(l.clone(), *k))).collect::<Option<Vec<_>>>()
                    else {
                        break;
                    };
                    let y = match &mut p.layer {
                        Made::Single(id) => match xs.as_slice() {
                            [x] => g.call(*id, x)?,
                            _ => {
                                let reason = format!("a call with {} inputs; the layer takes one", xs.len());
                                return Err(Error::Config {
                                    layer: p.who.clone(),
                                    key: "inbound_nodes".into(),
                                    reason,
                                });
                            }
                        },
                        Made::Merge(layer) => {
                            let layer = layer.take().expect("merge layers are called once");
                            g.merge_boxed(layer, &xs)?
                        }
                    };
                    made.insert((p.name.clone(), p.done), y);
                    p.done += 1;
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
        if let Some(p) = pending.iter().find(|p| p.done < p.calls.len()) {
            let missing = p.calls[p.done].iter().find(|(l, k, _)| !made.contains_key(&(l.clone(), *k)));
            let (l, k, _) = missing.expect("an unmade call has an unmade input");
            let reason = if names.contains(l) {
                format!("node {k} of layer {l:?} does not exist (or the graph has a cycle)")
            } else {
                format!("unknown layer {l:?}")
            };
            return Err(Error::Config { layer: p.who.clone(), key: "inbound_nodes".into(), reason });
        }
        let ends = |key: &str| -> Result<Vec<&Node>> {
            let v = c.get(key).ok_or_else(|| c.error(key, "missing"))?;
            let refs = ref_list(v).map_err(|reason| c.error(key, reason))?;
            refs.iter()
                .map(|(l, k, _)| {
                    made.get(&(l.clone(), *k)).ok_or_else(|| c.error(key, format!("no node {k} of a layer {l:?}")))
                })
                .collect()
        };
        let (inputs, outputs) = (ends("input_layers")?, ends("output_layers")?);
        let mut model = Model::new(g, &inputs, &outputs)?.named(c.str_opt("name")?.unwrap_or("model"));
        if !c.bool_or("trainable", true)? {
            model.set_trainable(false);
        }
        Ok(model)
    }
}

/// A layer of the config being rebuilt, with its calls and how many are made.
struct Pending {
    who: String,
    name: String,
    layer: Made,
    calls: Vec<Vec<Ref>>,
    done: usize,
}

enum Made {
    Single(crate::functional::LayerId),
    Merge(Option<Box<dyn crate::layers::MergeLayer>>),
}

/// The calls of a layer entry: for each inbound node, the tensors it takes.
fn inbound_nodes(entry: &Value, who: &str) -> Result<Vec<Vec<Ref>>> {
    let bad = |reason: String| Error::Config { layer: who.to_string(), key: "inbound_nodes".into(), reason };
    let nodes = match entry.get("inbound_nodes") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(nodes)) => nodes,
        Some(other) => return Err(bad(format!("expected a list, got {other}"))),
    };
    nodes
        .iter()
        .map(|node| {
            let refs = match node {
                // Keras 3: {"args": [...], "kwargs": {...}}; tensors anywhere in args.
                Value::Object(map) => {
                    let args = map.get("args").ok_or_else(|| bad(format!("node {node} has no args")))?;
                    let mut refs = Vec::new();
                    keras_tensors(args, &mut refs).map_err(bad)?;
                    refs
                }
                // Keras 2: [["layer", node, tensor, {kwargs}], ...].
                Value::Array(list) => list.iter().map(one_ref).collect::<std::result::Result<_, _>>().map_err(bad)?,
                other => return Err(bad(format!("expected a node, got {other}"))),
            };
            if refs.is_empty() {
                return Err(bad(format!("node {node} takes no tensor")));
            }
            Ok(refs)
        })
        .collect()
}

/// Collects the `keras_history` of every `__keras_tensor__` in `v`, in order.
fn keras_tensors(v: &Value, out: &mut Vec<Ref>) -> std::result::Result<(), String> {
    match v {
        Value::Array(items) => items.iter().try_for_each(|x| keras_tensors(x, out)),
        Value::Object(map) if map.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") => {
            let history = map.get("config").and_then(|c| c.get("keras_history"));
            out.push(one_ref(history.ok_or_else(|| format!("a keras tensor without keras_history: {v}"))?)?);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `[layer, node_index, tensor_index, …]` with tensor index 0 (Derin layers have one
/// output).
fn one_ref(v: &Value) -> std::result::Result<Ref, String> {
    let parts = v.as_array().filter(|p| p.len() >= 3);
    let parsed =
        parts.and_then(|p| Some((p[0].as_str()?.to_string(), p[1].as_u64()? as usize, p[2].as_u64()? as usize)));
    match parsed {
        Some((_, _, t)) if t != 0 => Err(format!("{v}: tensor index {t}; Derin layers have one output")),
        Some(r) => Ok(r),
        None => Err(format!("expected [layer, node_index, tensor_index], got {v}")),
    }
}

/// `input_layers` / `output_layers`: a list of references, or one reference alone.
fn ref_list(v: &Value) -> std::result::Result<Vec<Ref>, String> {
    match v.as_array() {
        Some(list) if list.first().is_some_and(Value::is_string) => Ok(vec![one_ref(v)?]),
        Some(list) if !list.is_empty() => list.iter().map(one_ref).collect(),
        _ => Err(format!("expected a non-empty list of [layer, node_index, tensor_index], got {v}")),
    }
}
