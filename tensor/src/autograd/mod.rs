//! Reverse-mode autograd: graph nodes, `backward`, the gradient store, `no_grad`.

mod grad_mode;
mod gradients;
mod sparse;

pub use grad_mode::{GradMode, is_grad_enabled, no_grad};
pub use gradients::{GradRef, Gradients};
pub(crate) use sparse::Grad;
pub use sparse::RowSparse;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use ndarray::{ArrayD, ArrayViewD};

use crate::tensor::{Tensor, TensorId, Values};

/// What a backward rule sees: the gradient arriving at the op's output, the op's
/// inputs and its output values.
pub struct BackwardCtx<'a> {
    /// ∂loss/∂output, with the output's shape.
    pub grad: &'a ArrayD<f32>,
    /// The op's inputs, in the order given to [`Tensor::from_op`].
    pub inputs: &'a [Tensor],
    /// The op's output values.
    pub output: ArrayViewD<'a, f32>,
}

impl BackwardCtx<'_> {
    /// Whether input `i` wants a gradient; a rule may return `None` for it when not.
    pub fn needs(&self, i: usize) -> bool {
        self.inputs[i].is_tracked()
    }
}

type BackwardFn = dyn Fn(&BackwardCtx<'_>) -> Vec<Option<Grad>> + Send + Sync;

/// How an op's output was made: its inputs and its backward rule.
///
/// `backward` takes both out once it has used them (like PyTorch frees a graph's
/// buffers), so that parameters can be updated in place while the loss is still alive.
pub(crate) struct Node {
    name: &'static str,
    edges: Mutex<Option<Edges>>,
}

struct Edges {
    inputs: Vec<Tensor>,
    backward: Box<BackwardFn>,
}

impl Node {
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn into_inputs(self) -> Vec<Tensor> {
        self.edges.into_inner().unwrap_or_else(|e| e.into_inner()).map(|e| e.inputs).unwrap_or_default()
    }

    /// The inputs, if `backward` has not consumed them yet.
    fn inputs(&self) -> Vec<Tensor> {
        self.edges.lock().expect("graph lock poisoned").as_ref().map(|e| e.inputs.clone()).unwrap_or_default()
    }

    fn take(&self) -> Option<Edges> {
        self.edges.lock().expect("graph lock poisoned").take()
    }
}

impl Tensor {
    /// Makes the output of a differentiable op from its values, its inputs and its
    /// backward rule; this is how any crate adds an op.
    ///
    /// The rule gets ∂loss/∂output and returns one gradient per input, each with that
    /// input's shape (or `None` where the input needs none, see
    /// [`BackwardCtx::needs`]). When no input is tracked, or inside [`no_grad`], the
    /// rule is dropped at once and the result is a plain constant.
    ///
    /// ```
    /// use derin_tensor::{Tensor, BackwardCtx, check_gradients};
    ///
    /// /// `y = x³`, with `dy/dx = 3x²`.
    /// fn cube(x: &Tensor) -> Tensor {
    ///     let out = x.array().mapv(|v| v * v * v);
    ///     Tensor::from_op("cube", out, &[x], |ctx: &BackwardCtx| {
    ///         let x = ctx.inputs[0].array();
    ///         vec![Some(ctx.grad * &x.mapv(|v| 3.0 * v * v))]
    ///     })
    /// }
    ///
    /// let x = Tensor::from_vec(vec![1.0, -2.0], &[2]).requires_grad();
    /// let grads = cube(&x).sum_all().backward();
    /// assert_eq!(grads.get(&x).unwrap().to_vec(), vec![3.0, 12.0]);
    /// // and the rule agrees with finite differences:
    /// check_gradients(|xs| cube(&xs[0]).sum_all(), &[x]).unwrap();
    /// ```
    pub fn from_op<F>(name: &'static str, output: ArrayD<f32>, inputs: &[&Tensor], backward: F) -> Tensor
    where
        F: Fn(&BackwardCtx<'_>) -> Vec<Option<ArrayD<f32>>> + Send + Sync + 'static,
    {
        Self::from_op_values(name, Values::Array(output.into_shared()), inputs, backward)
    }

    /// [`from_op`](Tensor::from_op) for an output that may share its buffer with an input.
    pub(crate) fn from_op_values<F>(name: &'static str, output: Values, inputs: &[&Tensor], backward: F) -> Tensor
    where
        F: Fn(&BackwardCtx<'_>) -> Vec<Option<ArrayD<f32>>> + Send + Sync + 'static,
    {
        Self::from_op_grads(name, output, inputs, move |ctx: &BackwardCtx<'_>| {
            backward(ctx).into_iter().map(|g| g.map(Grad::Dense)).collect()
        })
    }

    /// [`from_op_values`](Tensor::from_op_values) with a rule that may send row-sparse gradients.
    pub(crate) fn from_op_grads<F>(name: &'static str, output: Values, inputs: &[&Tensor], backward: F) -> Tensor
    where
        F: Fn(&BackwardCtx<'_>) -> Vec<Option<Grad>> + Send + Sync + 'static,
    {
        if !is_grad_enabled() || !inputs.iter().any(|t| t.is_tracked()) {
            return Tensor::make_values(output, None, false);
        }
        let edges = Edges { inputs: inputs.iter().map(|&t| t.clone()).collect(), backward: Box::new(backward) };
        let node = Node { name, edges: Mutex::new(Some(edges)) };
        Tensor::make_values(output, Some(node), true)
    }

    /// Gradients of this scalar with respect to every leaf it depends on (parameters and
    /// tensors marked with [`requires_grad`](Tensor::requires_grad)).
    ///
    /// A tensor used several times receives the sum of its gradients. The graph is
    /// consumed (its saved inputs released), as in PyTorch without `retain_graph`.
    ///
    /// # Panics
    /// If `self` has more than one element, or its graph was already consumed by an
    /// earlier `backward`.
    pub fn backward(&self) -> Gradients {
        self.backward_keeping(&[])
    }

    /// Like [`backward`](Tensor::backward), and also keeps the gradients of the
    /// intermediate tensors in `keep` (feature maps for Grad-CAM, say).
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad();
    /// let h = &x * 3.0;
    /// let y = (&h * &h).sum_all();
    /// let grads = y.backward_keeping(&[&h]);
    /// assert_eq!(grads.get(&h).unwrap().to_vec(), vec![6.0, 12.0]);
    /// assert_eq!(grads.get(&x).unwrap().to_vec(), vec![18.0, 36.0]);
    /// ```
    pub fn backward_keeping(&self, keep: &[&Tensor]) -> Gradients {
        assert_eq!(
            self.len(),
            1,
            "backward: called on a tensor of shape {:?}; it needs a single value (a loss)",
            self.shape()
        );
        let seed = ArrayD::from_elem(self.shape(), 1.0f32);
        self.backward_with_grad(seed, keep)
    }

    /// Backpropagates `grad` (∂loss/∂self, with `self`'s shape) instead of 1.
    pub fn backward_with_grad(&self, grad: ArrayD<f32>, keep: &[&Tensor]) -> Gradients {
        assert_eq!(
            grad.shape(),
            self.shape(),
            "backward_with_grad: gradient shape {:?} vs tensor {:?}",
            grad.shape(),
            self.shape()
        );
        let keep: HashSet<TensorId> = keep.iter().map(|t| t.id()).collect();
        if !self.is_tracked() {
            return Gradients::default();
        }
        let order = topological_order(self);
        // On the calling thread: the rules' parallel kernels share their work with the
        // library's spinning helpers (and the few on the rayon pool hand it over there).
        run_rules(order, grad, &keep)
    }
}

/// Runs the backward rules of `order` (inputs before outputs) from the root's gradient.
fn run_rules(order: Vec<Tensor>, grad: ArrayD<f32>, keep: &HashSet<TensorId>) -> Gradients {
    let mut store = Gradients::default();
    let root = order.last().expect("the root is in its own order");
    let mut pending: HashMap<TensorId, Grad> = HashMap::new();
    pending.insert(root.id(), Grad::Dense(grad));
    for t in order.iter().rev() {
        let Some(g) = pending.remove(&t.id()) else { continue };
        let Some(node) = &t.inner.node else {
            store.insert(t.id(), g);
            continue;
        };
        let Some(edges) = node.take() else {
            panic!("backward: the graph through `{}` was already used by an earlier backward call", node.name);
        };
        let g = g.into_dense();
        let ctx = BackwardCtx { grad: &g, inputs: &edges.inputs, output: t.view() };
        let input_grads = (edges.backward)(&ctx);
        assert_eq!(
            input_grads.len(),
            edges.inputs.len(),
            "{}: backward rule returned {} gradients for {} inputs",
            node.name,
            input_grads.len(),
            edges.inputs.len()
        );
        for (input, ig) in edges.inputs.iter().zip(input_grads) {
            let Some(ig) = ig else { continue };
            if !input.is_tracked() {
                continue;
            }
            assert_eq!(
                ig.shape(),
                input.shape(),
                "{}: backward rule gave a gradient of shape {:?} for an input of shape {:?}",
                node.name,
                ig.shape(),
                input.shape()
            );
            accumulate(&mut pending, input.id(), ig);
        }
        if keep.contains(&t.id()) {
            store.insert(t.id(), Grad::Dense(g));
        }
    }
    store
}

fn accumulate(map: &mut HashMap<TensorId, Grad>, id: TensorId, g: Grad) {
    let sum = match map.remove(&id) {
        Some(acc) => acc.add(g),
        None => g,
    };
    map.insert(id, sum);
}

/// Tracked tensors reachable from `root`, each after all of its inputs.
fn topological_order(root: &Tensor) -> Vec<Tensor> {
    let mut order = Vec::new();
    let mut seen: HashSet<TensorId> = HashSet::new();
    // Iterative depth-first search: (tensor, whether its inputs were already pushed).
    let mut stack = vec![(root.clone(), false)];
    while let Some((t, expanded)) = stack.pop() {
        if expanded {
            order.push(t);
            continue;
        }
        if !seen.insert(t.id()) {
            continue;
        }
        stack.push((t.clone(), true));
        if let Some(node) = &t.inner.node {
            for input in node.inputs().into_iter().filter(|i| i.is_tracked() && !seen.contains(&i.id())) {
                stack.push((input, false));
            }
        }
    }
    order
}

#[cfg(test)]
mod tests;
