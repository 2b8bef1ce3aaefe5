//! `Model`: a graph with chosen inputs and outputs, its forward pass and its weights.

use derin_tensor::{Param, Tensor};

use super::train::CompiledOutputs;
use super::{Graph, GraphLayer, Node, NodeKind};
use crate::callbacks::TrainableModel;
use crate::error::{Error, Result};
use crate::module::{Ctx, Module, owned_weights};

/// A functional model: the part of a [`Graph`] that leads from `inputs` to `outputs`
/// (Keras' `Model(inputs, outputs)`), with several inputs and outputs and layers shared
/// between branches.
///
/// The forward pass evaluates the nodes in the order they were made (a topological
/// order), each layer once per call, all in one [`Ctx`]. Masks: a one-input layer gets
/// the time-step mask its input node produced (as in `Sequential`), and merge layers drop
/// masks (their output carries none).
///
/// Each output is named after the layer that makes it; these names prefix the per-output
/// losses and metrics in the logs (`digit_loss`, `digit_accuracy`).
///
/// ```
/// use derin_nn::{Activation, Ctx, Dense, Graph, Model};
/// use derin_tensor::Tensor;
/// let mut g = Graph::new();
/// let x = g.input("x", &[4]).unwrap();
/// let h = g.apply(Dense::new(8, Activation::Relu), &x).unwrap();
/// let a = g.apply(Dense::new(3, Activation::Softmax).named("class"), &h).unwrap();
/// let b = g.apply(Dense::new(1, Activation::Linear).named("size"), &h).unwrap();
/// let model = Model::new(g, &[&x], &[&a, &b]).unwrap();
/// assert_eq!(model.output_names(), ["class", "size"]);
/// let ys = model.forward(&[Tensor::ones(&[2, 4])], &mut Ctx::eval()).unwrap();
/// assert_eq!((ys[0].shape(), ys[1].shape()), (&[2, 3][..], &[2, 1][..]));
/// ```
pub struct Model {
    pub(crate) name: String,
    pub(crate) graph: Graph,
    pub(crate) inputs: Vec<usize>,
    pub(crate) outputs: Vec<usize>,
    /// The nodes needed for the outputs, in topological order.
    pub(crate) order: Vec<usize>,
    /// The layers those nodes call, in the order of their first call.
    pub(crate) used: Vec<usize>,
    output_names: Vec<String>,
    pub(crate) compiled: Option<CompiledOutputs>,
}

impl Model {
    /// The model from `inputs` to `outputs` of `graph`.
    ///
    /// # Errors
    /// [`Error::Graph`] when a node comes from another graph, an input is not an input
    /// node or is given twice, there are no inputs or outputs, or an output depends on
    /// an input node missing from `inputs`.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Graph, Model};
    /// let mut g = Graph::new();
    /// let (a, b) = (g.input("a", &[2]).unwrap(), g.input("b", &[2]).unwrap());
    /// let sum = g.merge(derin_nn::Add::new(), &[&a, &b]).unwrap();
    /// let err = Model::new(g, &[&a], &[&sum]).unwrap_err().to_string();
    /// assert!(err.contains("needs input \"b\""), "{err}");
    /// ```
    pub fn new(graph: Graph, inputs: &[&Node], outputs: &[&Node]) -> Result<Self> {
        graph.check_ids("Model::new", None, inputs)?;
        graph.check_ids("Model::new", None, outputs)?;
        let bad = |reason: String| Err(Error::Graph { operation: "Model::new", reason });
        if inputs.is_empty() || outputs.is_empty() {
            return bad("a model needs at least one input and one output".to_string());
        }
        let inputs: Vec<usize> = inputs.iter().map(|n| Graph::index(n)).collect();
        for (k, &i) in inputs.iter().enumerate() {
            if !matches!(graph.nodes[i].kind, NodeKind::Input { .. }) {
                return bad(format!("{} is not a model input (made by Graph::input)", graph.producer_label(i)));
            }
            if inputs[..k].contains(&i) {
                return bad(format!("input {:?} is given twice", graph.node_name(i)));
            }
        }
        let outputs: Vec<usize> = outputs.iter().map(|n| Graph::index(n)).collect();
        let mut needed = vec![false; graph.nodes.len()];
        let mut stack = outputs.clone();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut needed[i], true) {
                continue;
            }
            match &graph.nodes[i].kind {
                NodeKind::Input { name } if !inputs.contains(&i) => {
                    return bad(format!("an output needs input {name:?}, which is not among the model's inputs"));
                }
                NodeKind::Input { .. } => {}
                NodeKind::Call { inputs, .. } => stack.extend(inputs),
            }
        }
        let order: Vec<usize> = (0..graph.nodes.len()).filter(|&i| needed[i]).collect();
        let mut used = Vec::new();
        for &i in &order {
            if let NodeKind::Call { layer, .. } = graph.nodes[i].kind
                && !used.contains(&layer)
            {
                used.push(layer);
            }
        }
        let mut output_names: Vec<String> = Vec::new();
        for &o in &outputs {
            let base = graph.node_name(o).to_string();
            let taken = |n: &String| output_names.contains(n);
            let name = (0..).map(|k| if k == 0 { base.clone() } else { format!("{base}_{k}") }).find(|n| !taken(n));
            output_names.push(name.expect("an unbounded range has a free name"));
        }
        Ok(Model { name: "model".to_string(), graph, inputs, outputs, order, used, output_names, compiled: None })
    }

    /// The model's name (Keras: `model`), shown by `summary`.
    ///
    /// ```
    /// # use derin_nn::{Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[1]).unwrap();
    /// assert_eq!(Model::new(g, &[&x], &[&x]).unwrap().named("identity").name(), "identity");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same model called `name`.
    ///
    /// ```
    /// # use derin_nn::{Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[1]).unwrap();
    /// assert_eq!(Model::new(g, &[&x], &[&x]).unwrap().name(), "model");
    /// ```
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// The inputs' names, in the order `fit` and `predict` take them.
    ///
    /// ```
    /// # use derin_nn::{Graph, Model};
    /// let mut g = Graph::new();
    /// let (a, b) = (g.input("a", &[1]).unwrap(), g.input("b", &[1]).unwrap());
    /// assert_eq!(Model::new(g, &[&b, &a], &[&a, &b]).unwrap().input_names(), ["b", "a"]);
    /// ```
    pub fn input_names(&self) -> Vec<&str> {
        self.inputs.iter().map(|&i| self.graph.node_name(i)).collect()
    }

    /// The outputs' names: the names of the layers that make them.
    ///
    /// ```
    /// # use derin_nn::{Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[1]).unwrap();
    /// assert_eq!(Model::new(g, &[&x], &[&x]).unwrap().output_names(), ["x"]);
    /// ```
    pub fn output_names(&self) -> &[String] {
        &self.output_names
    }

    /// The inputs' sample shapes (without the batch axis).
    ///
    /// ```
    /// # use derin_nn::{Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2, 3]).unwrap();
    /// assert_eq!(Model::new(g, &[&x], &[&x]).unwrap().input_shapes(), [vec![2, 3]]);
    /// ```
    pub fn input_shapes(&self) -> Vec<Vec<usize>> {
        self.inputs.iter().map(|&i| self.graph.nodes[i].shape.clone()).collect()
    }

    /// The outputs' sample shapes (without the batch axis).
    ///
    /// ```
    /// # use derin_nn::{Flatten, Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2, 3]).unwrap();
    /// let y = g.apply(Flatten::new(), &x).unwrap();
    /// assert_eq!(Model::new(g, &[&x], &[&y]).unwrap().output_shapes(), [vec![6]]);
    /// ```
    pub fn output_shapes(&self) -> Vec<Vec<usize>> {
        self.outputs.iter().map(|&i| self.graph.nodes[i].shape.clone()).collect()
    }

    /// The outputs for inputs `xs` (one per model input, batch axis first), in `ctx`.
    ///
    /// # Errors
    /// [`Error::Data`] when `xs` do not fit the inputs (count, shapes, batch sizes).
    ///
    /// ```
    /// # use derin_nn::{Ctx, Graph, Model};
    /// # use derin_tensor::Tensor;
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2]).unwrap();
    /// let m = Model::new(g, &[&x], &[&x]).unwrap();
    /// assert!(m.forward(&[Tensor::ones(&[1, 3])], &mut Ctx::eval()).is_err());
    /// ```
    pub fn forward(&self, xs: &[Tensor], ctx: &mut Ctx) -> Result<Vec<Tensor>> {
        self.check_inputs("forward", xs)?;
        Ok(self.run(xs, ctx))
    }

    /// The model's outputs and, from the same forward pass, the outputs of the layers
    /// (or the inputs) called `taps`, in that order: what Grad-CAM differentiates (a
    /// class score against a feature map) and what a feature pyramid taps off a
    /// backbone. A layer called several times is tapped at its first call.
    ///
    /// # Errors
    /// [`Error::Data`] when the inputs do not fit, or naming a tap that is no layer or
    /// input of the model (with the names it has).
    ///
    /// ```
    /// # use derin_nn::{Activation, Ctx, Dense, Graph, Model};
    /// # use derin_tensor::Tensor;
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2]).unwrap();
    /// let h = g.apply(Dense::new(3, Activation::Relu).named("hidden"), &x).unwrap();
    /// let y = g.apply(Dense::new(1, Activation::Linear), &h).unwrap();
    /// let m = Model::new(g, &[&x], &[&y]).unwrap();
    /// let (out, taps) = m.forward_with_taps(&[Tensor::ones(&[4, 2])], &["hidden", "x"], &mut Ctx::eval()).unwrap();
    /// assert_eq!((out[0].shape(), taps[0].shape(), taps[1].shape()), (&[4, 1][..], &[4, 3][..], &[4, 2][..]));
    /// assert!(m.outputs_of(&[Tensor::ones(&[4, 2])], &["conv5"], &mut Ctx::eval()).is_err());
    /// ```
    pub fn forward_with_taps(&self, xs: &[Tensor], taps: &[&str], ctx: &mut Ctx) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
        self.check_inputs("forward_with_taps", xs)?;
        let nodes = taps.iter().map(|&name| self.tap_node(name)).collect::<Result<Vec<usize>>>()?;
        let inputs: Vec<(usize, Tensor)> = self.inputs.iter().copied().zip(xs.iter().cloned()).collect();
        let values = self.graph.run(&self.order, &inputs, ctx);
        let take = |i: usize| values[i].clone().expect("every node of the order is evaluated");
        Ok((self.outputs.iter().map(|&o| take(o)).collect(), nodes.into_iter().map(take).collect()))
    }

    /// The outputs of the layers (or inputs) called `names` for `xs`
    /// ([`forward_with_taps`](Model::forward_with_taps) without the model's outputs).
    ///
    /// # Errors
    /// As [`forward_with_taps`](Model::forward_with_taps).
    pub fn outputs_of(&self, xs: &[Tensor], names: &[&str], ctx: &mut Ctx) -> Result<Vec<Tensor>> {
        Ok(self.forward_with_taps(xs, names, ctx)?.1)
    }

    /// The sample shapes (no batch axis) of the outputs of the layers (or inputs) called
    /// `names`, as [`outputs_of`](Model::outputs_of) would give them, without running
    /// the model: what a feature pyramid needs to know of a backbone's stages.
    ///
    /// # Errors
    /// [`Error::Data`] naming a layer or input the model does not have.
    ///
    /// ```
    /// # use derin_nn::{Activation, Conv2D, Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("image", &[3, 32, 32]).unwrap();
    /// let c = g.apply(Conv2D::new(8, [3, 3], Activation::Relu).with_strides([2, 2]).named("stem"), &x).unwrap();
    /// let m = Model::new(g, &[&x], &[&c]).unwrap();
    /// assert_eq!(m.shapes_of(&["stem", "image"]).unwrap(), vec![vec![8, 15, 15], vec![3, 32, 32]]);
    /// ```
    pub fn shapes_of(&self, names: &[&str]) -> Result<Vec<Vec<usize>>> {
        names.iter().map(|&name| Ok(self.graph.nodes[self.tap_node(name)?].shape.clone())).collect()
    }

    /// The first node (in evaluation order) made by the layer or input called `name`.
    fn tap_node(&self, name: &str) -> Result<usize> {
        self.order.iter().copied().find(|&i| self.graph.node_name(i) == name).ok_or_else(|| {
            let known: Vec<&str> = self.order.iter().map(|&i| self.graph.node_name(i)).collect();
            Error::Data {
                operation: "outputs_of",
                reason: format!("no layer or input called {name:?} (the model has {known:?})"),
            }
        })
    }

    /// The forward pass on checked inputs.
    pub(crate) fn run(&self, xs: &[Tensor], ctx: &mut Ctx) -> Vec<Tensor> {
        let inputs: Vec<(usize, Tensor)> = self.inputs.iter().copied().zip(xs.iter().cloned()).collect();
        let values = self.graph.run(&self.order, &inputs, ctx);
        self.outputs.iter().map(|&o| values[o].clone().expect("outputs are evaluated")).collect()
    }

    /// `Err` naming both when `xs` do not fit the inputs; returns the batch size.
    pub(crate) fn check_inputs(&self, operation: &'static str, xs: &[Tensor]) -> Result<usize> {
        if xs.len() != self.inputs.len() {
            let reason = format!(
                "{} input arrays for the model's {} inputs {:?}",
                xs.len(),
                self.inputs.len(),
                self.input_names()
            );
            return Err(Error::Data { operation, reason });
        }
        let n = xs.first().and_then(|x| x.shape().first().copied()).unwrap_or(0);
        for ((x, shape), name) in xs.iter().zip(self.input_shapes()).zip(self.input_names()) {
            if x.ndim() == 0 || x.shape()[1..] != shape[..] || x.shape()[0] != n {
                let reason = format!(
                    "input {name:?} has shape {:?}, the model expects [{n}] + {shape:?} (the batch of the first input)",
                    x.shape()
                );
                return Err(Error::Data { operation, reason });
            }
        }
        Ok(n)
    }

    /// The layers the model uses, as `name (Type)`, in the order of their first call.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2]).unwrap();
    /// let y = g.apply(Dense::new(1, Activation::Linear), &x).unwrap();
    /// assert_eq!(Model::new(g, &[&x], &[&y]).unwrap().layer_labels(), ["dense (Dense)"]);
    /// ```
    pub fn layer_labels(&self) -> Vec<String> {
        self.used.iter().map(|&l| self.graph.layers[l].label()).collect()
    }

    /// The one-input layer called `name`.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph, Model, Module};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2]).unwrap();
    /// let y = g.apply(Dense::new(1, Activation::Linear), &x).unwrap();
    /// let m = Model::new(g, &[&x], &[&y]).unwrap();
    /// assert_eq!(m.layer("dense").unwrap().weights().len(), 2);
    /// ```
    pub fn layer(&self, name: &str) -> Option<&dyn Module> {
        self.used.iter().find_map(|&l| match &self.graph.layers[l] {
            GraphLayer::Single(m) if m.name() == name => Some(m.as_ref()),
            _ => None,
        })
    }

    /// The one-input layer called `name`, mutably (to freeze it).
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph, Model, Module};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2]).unwrap();
    /// let y = g.apply(Dense::new(1, Activation::Linear), &x).unwrap();
    /// let mut m = Model::new(g, &[&x], &[&y]).unwrap();
    /// m.layer_mut("dense").unwrap().set_trainable(false);
    /// assert!(m.params().is_empty());
    /// assert_eq!(m.non_trainable_params().len(), 2);
    /// ```
    pub fn layer_mut(&mut self, name: &str) -> Option<&mut Box<dyn Module>> {
        let used = &self.used;
        self.graph.layers.iter_mut().enumerate().find_map(|(i, l)| match l {
            GraphLayer::Single(m) if m.name() == name && used.contains(&i) => Some(m),
            _ => None,
        })
    }

    /// Freezes (`false`) or unfreezes (`true`) every layer, as Keras' `model.trainable`.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2]).unwrap();
    /// let y = g.apply(Dense::new(1, Activation::Linear), &x).unwrap();
    /// let mut m = Model::new(g, &[&x], &[&y]).unwrap();
    /// m.set_trainable(false);
    /// assert!(m.params().is_empty());
    /// m.set_trainable(true);
    /// assert_eq!(m.params().len(), 2);
    /// ```
    pub fn set_trainable(&mut self, trainable: bool) {
        for &l in &self.used {
            match &mut self.graph.layers[l] {
                GraphLayer::Single(m) => m.set_trainable(trainable),
                GraphLayer::Merge(m) => m.core_mut().trainable = trainable,
            }
        }
    }

    fn collect(&self, f: impl Fn(&dyn Module) -> Vec<Param>) -> Vec<Param> {
        self.used.iter().flat_map(|&l| self.graph.layers[l].with(|m| owned_weights(m, &f))).collect()
    }

    /// Every weight, trainable or frozen, once per layer however often it is called.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph, Model};
    /// let mut g = Graph::new();
    /// let (a, b) = (g.input("a", &[2]).unwrap(), g.input("b", &[2]).unwrap());
    /// let shared = g.layer(Dense::new(1, Activation::Linear)).unwrap();
    /// let (ya, yb) = (g.call(shared, &a).unwrap(), g.call(shared, &b).unwrap());
    /// assert_eq!(Model::new(g, &[&a, &b], &[&ya, &yb]).unwrap().weights().len(), 2);
    /// ```
    pub fn weights(&self) -> Vec<Param> {
        self.collect(|l| l.weights())
    }

    /// Weights no optimizer trains (moving statistics).
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[3]).unwrap();
    /// let y = g.apply(BatchNormalization::new(), &x).unwrap();
    /// assert_eq!(Model::new(g, &[&x], &[&y]).unwrap().state_weights().len(), 2);
    /// ```
    pub fn state_weights(&self) -> Vec<Param> {
        self.collect(|l| l.state_weights())
    }

    /// The weights an optimizer updates (those of trainable layers).
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2]).unwrap();
    /// let y = g.apply(Dense::new(1, Activation::Linear), &x).unwrap();
    /// assert_eq!(Model::new(g, &[&x], &[&y]).unwrap().params()[0].name(), "dense/kernel");
    /// ```
    pub fn params(&self) -> Vec<Param> {
        self.collect(|l| l.params())
    }

    /// The weights an optimizer leaves alone: state weights and frozen layers' weights.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2]).unwrap();
    /// let y = g.apply(Dense::new(1, Activation::Linear), &x).unwrap();
    /// assert!(Model::new(g, &[&x], &[&y]).unwrap().non_trainable_params().is_empty());
    /// ```
    pub fn non_trainable_params(&self) -> Vec<Param> {
        self.collect(|l| l.non_trainable_params())
    }

    /// The number of weights, trainable and not.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[3]).unwrap();
    /// let y = g.apply(Dense::new(2, Activation::Linear), &x).unwrap();
    /// assert_eq!(Model::new(g, &[&x], &[&y]).unwrap().count_params(), 8);
    /// ```
    pub fn count_params(&self) -> usize {
        self.used.iter().map(|&l| self.graph.layers[l].count_params()).sum()
    }

    /// The sum of the layers' weight penalties, if any.
    pub(crate) fn regularization_loss(&self) -> Option<Tensor> {
        self.used.iter().filter_map(|&l| self.graph.layers[l].with(|m| m.regularization_loss())).reduce(|a, b| a + b)
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.name)
            .field("inputs", &self.input_names())
            .field("outputs", &self.output_names)
            .field("layers", &self.layer_labels())
            .field("compiled", &self.compiled.is_some())
            .finish()
    }
}

impl TrainableModel for Model {
    fn learning_rate(&self) -> Option<f32> {
        Model::learning_rate(self)
    }

    fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        Model::set_learning_rate(self, lr)
    }

    fn model_weights(&self) -> Vec<Param> {
        [self.weights(), self.state_weights()].concat()
    }

    fn save_model(&self, path: &std::path::Path) -> Result<()> {
        self.save(path)
    }
}
