//! The functional API: a [`Graph`] of layers applied to symbolic [`Node`]s, turned into
//! a [`Model`] with several inputs and outputs (Keras' `Input`, `layer(x)` and
//! `Model(inputs, outputs)`).

mod model;
mod summary;
mod train;

pub use model::Model;

use std::sync::atomic::{AtomicU64, Ordering};

use derin_tensor::{Param, Rng, Tensor};

use crate::error::{Error, Result};
use crate::layers::MergeLayer;
use crate::module::Module;

/// A layer of a graph: one input, or several (a merge layer).
pub(crate) enum GraphLayer {
    Single(Box<dyn Module>),
    Merge(Box<dyn MergeLayer>),
}

impl GraphLayer {
    pub(crate) fn name(&self) -> &str {
        match self {
            GraphLayer::Single(l) => l.name(),
            GraphLayer::Merge(l) => l.name(),
        }
    }

    pub(crate) fn label(&self) -> String {
        match self {
            GraphLayer::Single(l) => l.label(),
            GraphLayer::Merge(l) => l.label(),
        }
    }

    /// The layer's weights with `f` (nothing for merge layers).
    pub(crate) fn with<T: Default>(&self, f: impl Fn(&dyn Module) -> T) -> T {
        match self {
            GraphLayer::Single(l) => f(l.as_ref()),
            GraphLayer::Merge(_) => T::default(),
        }
    }

    pub(crate) fn count_params(&self) -> usize {
        self.with(|l| l.weights().iter().chain(&l.state_weights()).map(Param::len).sum())
    }
}

/// What a node is: a model input, or the output of one call of a layer.
pub(crate) enum NodeKind {
    Input { name: String },
    Call { layer: usize, inputs: Vec<usize> },
}

pub(crate) struct NodeData {
    pub(crate) kind: NodeKind,
    pub(crate) shape: Vec<usize>,
    /// Which call of its layer made the node (0 for the first; Keras' node index).
    pub(crate) call: usize,
}

/// A symbolic tensor of a [`Graph`]: a model input or a layer's output, with its shape
/// inferred when it was made (without the batch axis; Keras' `KerasTensor`).
///
/// ```
/// use derin_nn::Graph;
/// let mut g = Graph::new();
/// let x = g.input("features", &[4]).unwrap();
/// assert_eq!(x.shape(), &[4]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    graph: u64,
    index: usize,
    shape: Vec<usize>,
}

impl Node {
    /// The sample shape (without the batch axis).
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[4]).unwrap();
    /// assert_eq!(g.apply(Dense::new(2, Activation::Relu), &x).unwrap().shape(), &[2]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
}

/// A layer added to a [`Graph`] with [`Graph::layer`], to be [`call`](Graph::call)ed on
/// one node or several times on several nodes (shared weights).
///
/// ```
/// use derin_nn::{Activation, Dense, Graph};
/// let mut g = Graph::new();
/// let shared = g.layer(Dense::new(3, Activation::Relu)).unwrap();
/// let (a, b) = (g.input("a", &[2]).unwrap(), g.input("b", &[2]).unwrap());
/// assert_eq!(g.call(shared, &a).unwrap().shape(), g.call(shared, &b).unwrap().shape());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerId {
    graph: u64,
    index: usize,
}

static NEXT_GRAPH: AtomicU64 = AtomicU64::new(0);

/// Layers applied to symbolic inputs, building a directed acyclic graph that
/// [`Model::new`] turns into a model (Keras' functional API).
///
/// Each call builds the layer for its input shape (weights drawn from the graph's seeded
/// generator, on the first call) and infers the output shape, so a mismatch is an `Err`
/// naming the layer and both shapes when the graph is built. A layer called several
/// times keeps one set of weights; a layer given a name keeps it, others are numbered
/// as in [`Sequential`](crate::Sequential) (`dense`, `dense_1`, …).
///
/// ```
/// use derin_nn::{Activation, Concatenate, Dense, Graph, Model};
/// let mut g = Graph::new();
/// let a = g.input("a", &[3]).unwrap();
/// let b = g.input("b", &[2]).unwrap();
/// let joined = g.merge(Concatenate::new(-1), &[&a, &b]).unwrap();
/// assert_eq!(joined.shape(), &[5]);
/// let out = g.apply(Dense::new(1, Activation::Sigmoid).named("out"), &joined).unwrap();
/// let model = Model::new(g, &[&a, &b], &[&out]).unwrap();
/// assert_eq!(model.count_params(), 5 + 1);
/// let mut other = Graph::new();
/// let x = other.input("x", &[3]).unwrap();
/// let mut g = Graph::new();
/// assert!(g.apply(Dense::new(2, Activation::Linear), &x).is_err()); // x is other's
/// ```
pub struct Graph {
    id: u64,
    pub(crate) layers: Vec<GraphLayer>,
    pub(crate) nodes: Vec<NodeData>,
    pub(crate) rng: Rng,
}

impl Default for Graph {
    fn default() -> Self {
        Graph::new()
    }
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let layers: Vec<String> = self.layers.iter().map(GraphLayer::label).collect();
        f.debug_struct("Graph").field("layers", &layers).field("nodes", &self.nodes.len()).finish()
    }
}

impl Graph {
    /// An empty graph whose weights are drawn from seed 0.
    ///
    /// ```
    /// # use derin_nn::Graph;
    /// assert!(format!("{:?}", derin_nn::Graph::new()).contains("nodes: 0"));
    /// ```
    pub fn new() -> Self {
        Graph::with_seed(0)
    }

    /// An empty graph whose weights are drawn from `seed`, in the order layers are first
    /// called.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph, Model};
    /// let model = |seed| {
    ///     let mut g = Graph::with_seed(seed);
    ///     let x = g.input("x", &[2]).unwrap();
    ///     let y = g.apply(Dense::new(2, Activation::Linear), &x).unwrap();
    ///     Model::new(g, &[&x], &[&y]).unwrap().weights()[0].value().to_vec()
    /// };
    /// assert_eq!(model(3), model(3));
    /// assert_ne!(model(3), model(4));
    /// ```
    pub fn with_seed(seed: u64) -> Self {
        let id = NEXT_GRAPH.fetch_add(1, Ordering::Relaxed);
        Graph { id, layers: Vec::new(), nodes: Vec::new(), rng: Rng::seed(seed) }
    }

    fn taken(&self, name: &str) -> bool {
        self.layers.iter().any(|l| l.name() == name)
            || self.nodes.iter().any(|n| matches!(&n.kind, NodeKind::Input { name: i } if i == name))
    }

    /// `name` if free, else [`Error::DuplicateName`]; a default name is numbered instead.
    fn unique_name(&self, name: &str, default: &str) -> Result<String> {
        if name == default {
            let mut names = (0..).map(|i| if i == 0 { default.to_string() } else { format!("{default}_{i}") });
            return Ok(names.find(|n| !self.taken(n)).expect("an unbounded range has a free name"));
        }
        if self.taken(name) {
            return Err(Error::DuplicateName { name: name.to_string() });
        }
        Ok(name.to_string())
    }

    /// A model input called `name` for samples of shape `shape` (Keras'
    /// `Input(shape, name=…)`).
    ///
    /// # Errors
    /// [`Error::DuplicateName`] when a layer or input already has that name.
    ///
    /// ```
    /// # use derin_nn::Graph;
    /// let mut g = Graph::new();
    /// g.input("image", &[1, 28, 28]).unwrap();
    /// assert!(g.input("image", &[3]).is_err());
    /// ```
    pub fn input(&mut self, name: &str, shape: &[usize]) -> Result<Node> {
        let name = self.unique_name(name, "")?;
        let index = self.nodes.len();
        self.nodes.push(NodeData { kind: NodeKind::Input { name }, shape: shape.to_vec(), call: 0 });
        Ok(Node { graph: self.id, index, shape: shape.to_vec() })
    }

    /// Adds `layer` without calling it, to [`call`](Graph::call) it once or several
    /// times (each call shares the layer's weights).
    ///
    /// # Errors
    /// [`Error::DuplicateName`] when a layer given a name collides with one already in
    /// the graph.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph};
    /// let mut g = Graph::new();
    /// g.layer(Dense::new(2, Activation::Relu).named("h")).unwrap();
    /// assert!(g.layer(Dense::new(2, Activation::Relu).named("h")).is_err());
    /// ```
    pub fn layer(&mut self, layer: impl Module + 'static) -> Result<LayerId> {
        self.layer_boxed(Box::new(layer))
    }

    /// [`layer`](Graph::layer) for a boxed layer (from a Keras config).
    pub(crate) fn layer_boxed(&mut self, mut layer: Box<dyn Module>) -> Result<LayerId> {
        let name = self.unique_name(layer.name(), &layer.default_name())?;
        layer.set_name(&name);
        self.layers.push(GraphLayer::Single(layer));
        Ok(LayerId { graph: self.id, index: self.layers.len() - 1 })
    }

    /// Calls the layer `layer` on `x`: builds it on its first call, infers the output
    /// shape. Calling it again on another node reuses the same weights.
    ///
    /// # Errors
    /// [`Error::Incompatible`] naming the node's producer, its shape and the layer when
    /// the layer cannot take that shape (for a shared layer: a shape other than the one
    /// it was built for); [`Error::Graph`] when `layer` or `x` belong to another graph or
    /// `layer` is a merge layer.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph};
    /// let mut g = Graph::new();
    /// let shared = g.layer(Dense::new(2, Activation::Relu)).unwrap();
    /// let (a, b) = (g.input("a", &[3]).unwrap(), g.input("b", &[4]).unwrap());
    /// g.call(shared, &a).unwrap();
    /// let err = g.call(shared, &b).unwrap_err().to_string();
    /// assert!(err.contains("dense (Dense)") && err.contains("b (InputLayer) outputs [4]"), "{err}");
    /// ```
    pub fn call(&mut self, layer: LayerId, x: &Node) -> Result<Node> {
        self.check_ids("Graph::call", Some(layer), &[x])?;
        let previous = self.producer_label(x.index);
        let GraphLayer::Single(module) = &mut self.layers[layer.index] else {
            let reason = format!("{} takes several inputs; use Graph::merge", self.layers[layer.index].label());
            return Err(Error::Graph { operation: "Graph::call", reason });
        };
        let incompatible = |e: Error, module: &dyn Module| match e {
            Error::InputShape { expected, .. } => Error::Incompatible {
                previous: previous.clone(),
                previous_shape: x.shape.clone(),
                layer: module.label(),
                reason: format!("{} expects {expected}", module.label()),
            },
            other => other,
        };
        if let Err(e) = module.build(&x.shape, &mut self.rng) {
            return Err(incompatible(e, module.as_ref()));
        }
        let shape = module.output_shape(&x.shape).map_err(|e| incompatible(e, module.as_ref()))?;
        Ok(self.push_call(layer.index, vec![x.index], shape))
    }

    /// Adds `layer` and calls it on `x` (Keras' `Layer(...)(x)`).
    ///
    /// # Errors
    /// As [`layer`](Graph::layer) and [`call`](Graph::call).
    ///
    /// ```
    /// # use derin_nn::{Flatten, Graph};
    /// let mut g = Graph::new();
    /// let x = g.input("image", &[1, 4, 4]).unwrap();
    /// assert_eq!(g.apply(Flatten::new(), &x).unwrap().shape(), &[16]);
    /// ```
    pub fn apply(&mut self, layer: impl Module + 'static, x: &Node) -> Result<Node> {
        self.check_ids("Graph::apply", None, &[x])?;
        let id = self.layer(layer)?;
        self.call(id, x).inspect_err(|_| {
            self.layers.pop();
        })
    }

    /// Adds the merge layer `layer` and calls it on `xs` (Keras' `Concatenate()([a, b])`).
    ///
    /// # Errors
    /// [`Error::InputShape`] naming the layer and the shape it cannot take;
    /// [`Error::DuplicateName`]; [`Error::Graph`] for a node of another graph.
    ///
    /// ```
    /// # use derin_nn::{Add, Graph};
    /// let mut g = Graph::new();
    /// let (a, b) = (g.input("a", &[3]).unwrap(), g.input("b", &[3]).unwrap());
    /// assert_eq!(g.merge(Add::new(), &[&a, &b]).unwrap().shape(), &[3]);
    /// let c = g.input("c", &[4]).unwrap();
    /// assert!(g.merge(Add::new(), &[&a, &c]).unwrap_err().to_string().contains("add_1 (Add)"));
    /// ```
    pub fn merge(&mut self, layer: impl MergeLayer + 'static, xs: &[&Node]) -> Result<Node> {
        self.merge_boxed(Box::new(layer), xs)
    }

    /// [`merge`](Graph::merge) for a boxed layer (from a Keras config).
    pub(crate) fn merge_boxed(&mut self, mut layer: Box<dyn MergeLayer>, xs: &[&Node]) -> Result<Node> {
        self.check_ids("Graph::merge", None, xs)?;
        let name = self.unique_name(layer.name(), &layer.default_name())?;
        layer.core_mut().name = name;
        let shapes: Vec<Vec<usize>> = xs.iter().map(|x| x.shape.clone()).collect();
        let shape = layer.output_shape(&shapes)?;
        self.layers.push(GraphLayer::Merge(layer));
        Ok(self.push_call(self.layers.len() - 1, xs.iter().map(|x| x.index).collect(), shape))
    }

    fn push_call(&mut self, layer: usize, inputs: Vec<usize>, shape: Vec<usize>) -> Node {
        let call =
            self.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Call { layer: l, .. } if l == layer)).count();
        self.nodes.push(NodeData { kind: NodeKind::Call { layer, inputs }, shape: shape.clone(), call });
        Node { graph: self.id, index: self.nodes.len() - 1, shape }
    }

    /// `Err` unless `layer` and every node come from this graph.
    pub(crate) fn check_ids(&self, operation: &'static str, layer: Option<LayerId>, nodes: &[&Node]) -> Result<()> {
        let foreign = layer.is_some_and(|l| l.graph != self.id) || nodes.iter().any(|n| n.graph != self.id);
        if foreign {
            let reason = "a layer or node comes from another graph".to_string();
            return Err(Error::Graph { operation, reason });
        }
        Ok(())
    }

    /// `name (Type)` of what makes node `index`: `image (InputLayer)` for an input.
    pub(crate) fn producer_label(&self, index: usize) -> String {
        match &self.nodes[index].kind {
            NodeKind::Input { name } => format!("{name} (InputLayer)"),
            NodeKind::Call { layer, .. } => self.layers[*layer].label(),
        }
    }

    /// The name a node goes by: the input's name or its layer's name.
    pub(crate) fn node_name(&self, index: usize) -> &str {
        match &self.nodes[index].kind {
            NodeKind::Input { name } => name,
            NodeKind::Call { layer, .. } => self.layers[*layer].name(),
        }
    }

    /// `image[0][0]`: Keras' reference to a node in the summary's "Connected to".
    pub(crate) fn node_ref(&self, index: usize) -> String {
        format!("{}[{}][0]", self.node_name(index), self.nodes[index].call)
    }

    /// The node's index, for [`Model`].
    pub(crate) fn index(node: &Node) -> usize {
        node.index
    }

    /// Evaluates the nodes in `order` (topological) on `inputs` (by input node index).
    pub(crate) fn run(
        &self,
        order: &[usize],
        inputs: &[(usize, Tensor)],
        ctx: &mut crate::module::Ctx,
    ) -> Vec<Option<Tensor>> {
        let mut values: Vec<Option<(Tensor, Option<Tensor>)>> = vec![None; self.nodes.len()];
        for &i in order {
            values[i] = Some(match &self.nodes[i].kind {
                NodeKind::Input { .. } => {
                    let x = inputs.iter().find(|(n, _)| *n == i).expect("Model::new checked the inputs");
                    (x.1.clone(), None)
                }
                NodeKind::Call { layer, inputs } => {
                    let value = |n: usize| values[n].as_ref().expect("topological order").clone();
                    match &self.layers[*layer] {
                        GraphLayer::Single(m) => {
                            let (x, mask) = value(inputs[0]);
                            ctx.set_mask(mask);
                            let y = m.forward(&x, ctx);
                            let mask = ctx.take_mask();
                            (y, mask.filter(|_| m.supports_masking()))
                        }
                        GraphLayer::Merge(m) => {
                            let xs: Vec<Tensor> = inputs.iter().map(|&n| value(n).0).collect();
                            ctx.set_mask(None);
                            (m.forward(&xs, ctx), None)
                        }
                    }
                }
            });
        }
        ctx.set_mask(None);
        values.into_iter().map(|v| v.map(|(t, _)| t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, Add, Dense};

    #[test]
    fn layers_are_numbered_and_calls_counted() {
        let mut g = Graph::new();
        let a = g.input("a", &[2]).unwrap();
        let shared = g.layer(Dense::new(2, Activation::Linear)).unwrap();
        let (x, y) = (g.call(shared, &a).unwrap(), g.call(shared, &a).unwrap());
        let z = g.apply(Dense::new(2, Activation::Linear), &x).unwrap();
        let sum = g.merge(Add::new(), &[&y, &z]).unwrap();
        assert_eq!(g.node_ref(x.index), "dense[0][0]");
        assert_eq!(g.node_ref(y.index), "dense[1][0]");
        assert_eq!(g.node_ref(z.index), "dense_1[0][0]");
        assert_eq!(g.producer_label(sum.index), "add (Add)");
        // A failed apply leaves no layer behind, so the next default name is free again.
        assert!(g.apply(Dense::new(2, Activation::Linear), &Node { shape: vec![], ..a.clone() }).is_err());
        assert_eq!(g.layers.len(), 3);
        assert!(g.call(LayerId { graph: g.id, index: 2 }, &a).is_err()); // a merge layer
        assert!(g.input("dense", &[1]).is_err());
    }
}
