//! The `Tensor` handle: creation, access to values, printing.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use ndarray::{ArcArray, ArrayD, ArrayViewD, Dimension, IxDyn};

use crate::autograd::Node;

/// Identity of a tensor in the autograd graph; gradients are stored under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(u64);

impl TensorId {
    /// A fresh id, never handed out before in this process.
    pub fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        TensorId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for TensorId {
    fn default() -> Self {
        Self::new()
    }
}

/// A tensor's values: a reference-counted buffer with a layout (shape, strides, offset),
/// so reshapes, permutations, slices and detached copies share one buffer.
pub type SharedArray = ArcArray<f32, IxDyn>;

/// Where a tensor's values live. Cloning shares the buffer (no copy).
#[derive(Clone)]
pub(crate) enum Values {
    /// A buffer and a layout (any strides ndarray can own: permuted, sliced).
    Array(SharedArray),
    /// `base` read with zero strides as `shape`; the dense copy is made only when asked
    /// for as an array ([`Tensor::array`]), never for a [`Tensor::view`].
    Broadcast { base: SharedArray, shape: IxDyn, dense: OnceLock<SharedArray> },
}

impl Values {
    pub(crate) fn view(&self) -> ArrayViewD<'_, f32> {
        match self {
            Values::Array(a) => a.view(),
            Values::Broadcast { base, shape, .. } => {
                base.broadcast(shape.clone()).expect("shape checked by broadcast_to")
            }
        }
    }

    pub(crate) fn array(&self) -> &SharedArray {
        match self {
            Values::Array(a) => a,
            Values::Broadcast { dense, .. } => dense.get_or_init(|| self.view().to_shared()),
        }
    }

    fn shape(&self) -> &[usize] {
        match self {
            Values::Array(a) => a.shape(),
            Values::Broadcast { shape, .. } => shape.slice(),
        }
    }

    /// Applies a layout change to the buffer (a broadcast is expanded first).
    pub(crate) fn map_array(self, f: impl FnOnce(SharedArray) -> SharedArray) -> Values {
        match self {
            Values::Array(a) => Values::Array(f(a)),
            broadcast => Values::Array(f(broadcast.into_array())),
        }
    }

    /// The buffer, expanding a broadcast into one of its own.
    pub(crate) fn into_array(self) -> SharedArray {
        match self {
            Values::Array(a) => a,
            broadcast => broadcast.view().to_shared(),
        }
    }
}

impl Default for Values {
    fn default() -> Self {
        Values::Array(SharedArray::zeros(IxDyn(&[0])))
    }
}

pub(crate) struct Inner {
    pub(crate) id: TensorId,
    pub(crate) data: Values,
    /// Set for tensors made by a differentiable op while gradients are recorded.
    pub(crate) node: Option<Node>,
    /// Leaves that gradients flow to (parameters, inputs marked with `requires_grad`),
    /// and every tensor computed from one of them.
    pub(crate) requires_grad: bool,
}

impl Drop for Inner {
    /// Frees a long chain of nodes iteratively instead of recursively, so dropping the
    /// output of a 100,000-op graph cannot overflow the stack.
    fn drop(&mut self) {
        let Some(node) = self.node.take() else { return };
        let mut stack = node.into_inputs();
        while let Some(t) = stack.pop() {
            if let Some(mut inner) = Arc::into_inner(t.inner)
                && let Some(node) = inner.node.take()
            {
                stack.extend(node.into_inputs());
            }
        }
    }
}

/// An n-dimensional `f32` array with reverse-mode automatic differentiation.
///
/// A `Tensor` is a cheap handle (an `Arc`) to immutable values; cloning it copies no data.
/// Ops build new tensors and, when an input requires gradients and recording is on
/// (see [`no_grad`](crate::no_grad)), remember how to send gradients back.
///
/// ```
/// use derin_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).requires_grad();
/// let y = (&x * &x).sum_all();
/// let grads = y.backward();
/// assert_eq!(grads.get(&x).unwrap().to_vec(), vec![2.0, 4.0, 6.0]);
/// ```
#[derive(Clone)]
pub struct Tensor {
    pub(crate) inner: Arc<Inner>,
}

impl Tensor {
    pub(crate) fn make(data: ArrayD<f32>, node: Option<Node>, requires_grad: bool) -> Self {
        Self::make_values(Values::Array(data.into_shared()), node, requires_grad)
    }

    pub(crate) fn make_values(data: Values, node: Option<Node>, requires_grad: bool) -> Self {
        Tensor { inner: Arc::new(Inner { id: TensorId::new(), data, node, requires_grad }) }
    }

    pub(crate) fn make_with_id(id: TensorId, data: Values, requires_grad: bool) -> Self {
        Tensor { inner: Arc::new(Inner { id, data, node: None, requires_grad }) }
    }

    /// A constant tensor (no gradient) holding `array`.
    pub fn from_array(array: ArrayD<f32>) -> Self {
        Self::make(array, None, false)
    }

    /// A tensor of `shape` from row-major `values`.
    ///
    /// # Panics
    /// If `values.len()` is not the product of `shape`.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.shape(), &[2, 2]);
    /// ```
    pub fn from_vec(values: Vec<f32>, shape: &[usize]) -> Self {
        let n: usize = shape.iter().product();
        assert_eq!(values.len(), n, "from_vec: {} values do not fill shape {shape:?}", values.len());
        Self::from_array(ArrayD::from_shape_vec(IxDyn(shape), values).expect("length checked"))
    }

    /// A 0-d tensor holding `value`.
    pub fn scalar(value: f32) -> Self {
        Self::from_array(ArrayD::from_elem(IxDyn(&[]), value))
    }

    /// A tensor of `shape` filled with `value`.
    pub fn full(shape: &[usize], value: f32) -> Self {
        Self::from_array(ArrayD::from_elem(IxDyn(shape), value))
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, 0.0)
    }

    /// A tensor of ones.
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, 1.0)
    }

    /// Zeros with the shape of `self`.
    pub fn zeros_like(&self) -> Self {
        Self::zeros(self.shape())
    }

    /// Ones with the shape of `self`.
    pub fn ones_like(&self) -> Self {
        Self::ones(self.shape())
    }

    /// `start, start + step, …` below `end` (exclusive), like `torch.arange`.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// assert_eq!(Tensor::arange(0.0, 2.0, 0.5).to_vec(), vec![0.0, 0.5, 1.0, 1.5]);
    /// ```
    pub fn arange(start: f32, end: f32, step: f32) -> Self {
        assert!(step != 0.0, "arange: step must not be zero");
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        Self::from_vec((0..n).map(|i| start + i as f32 * step).collect(), &[n])
    }

    /// `n` evenly spaced values from `start` to `end`, both included.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// assert_eq!(Tensor::linspace(0.0, 1.0, 5).to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: f32, end: f32, n: usize) -> Self {
        let step = if n > 1 { (end - start) / (n - 1) as f32 } else { 0.0 };
        Self::from_vec((0..n).map(|i| start + i as f32 * step).collect(), &[n])
    }

    /// The `n × n` identity matrix.
    pub fn eye(n: usize) -> Self {
        Self::from_array(ndarray::Array2::<f32>::eye(n).into_dyn())
    }

    /// The same values as a leaf that gradients flow to (like `requires_grad_()` in PyTorch).
    pub fn requires_grad(self) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                let data = std::mem::take(&mut inner.data);
                Self::make_with_id(inner.id, data, true)
            }
            Err(shared) => Self::make_values(shared.data.clone(), None, true),
        }
    }

    /// The same values, cut off from the graph: no gradient flows through the result.
    /// The values are shared, not copied.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::ones(&[1000]).requires_grad();
    /// let d = x.detach();
    /// assert!(!d.is_tracked());
    /// assert_eq!(d.array().as_ptr(), x.array().as_ptr()); // one buffer
    /// ```
    pub fn detach(&self) -> Self {
        Tensor::make_with_id(TensorId::new(), self.inner.data.clone(), false)
    }

    /// This tensor's id, the key of its gradient in a [`Gradients`](crate::Gradients) store.
    pub fn id(&self) -> TensorId {
        self.inner.id
    }

    /// Whether gradients flow to or through this tensor.
    pub fn is_tracked(&self) -> bool {
        self.inner.requires_grad
    }

    /// The values as a shared `ndarray` array (a buffer and a layout; cloning it copies no
    /// data). A tensor made by [`broadcast_to`](Tensor::broadcast_to) is expanded into a
    /// buffer of its own the first time this is called; [`view`](Tensor::view) never copies.
    pub fn array(&self) -> &SharedArray {
        self.inner.data.array()
    }

    /// A view of the values (never copies).
    pub fn view(&self) -> ArrayViewD<'_, f32> {
        self.inner.data.view()
    }

    /// The values as an owned `ndarray` array (copies).
    pub fn to_array(&self) -> ArrayD<f32> {
        self.view().to_owned()
    }

    /// The values in row-major order.
    pub fn to_vec(&self) -> Vec<f32> {
        self.view().iter().copied().collect()
    }

    /// The value of a tensor with one element.
    ///
    /// # Panics
    /// If the tensor has more or fewer than one element.
    pub fn item(&self) -> f32 {
        assert_eq!(self.len(), 1, "item: tensor of shape {:?} has {} elements, not 1", self.shape(), self.len());
        *self.view().iter().next().expect("one element")
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        self.inner.data.shape()
    }

    /// The number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The op that made this tensor, if it is part of a recorded graph.
    pub fn op_name(&self) -> Option<&'static str> {
        self.inner.node.as_ref().map(|n| n.name())
    }
}

impl From<ArrayD<f32>> for Tensor {
    fn from(array: ArrayD<f32>) -> Self {
        Tensor::from_array(array)
    }
}

impl From<f32> for Tensor {
    fn from(value: f32) -> Self {
        Tensor::scalar(value)
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Tensor {
    /// Prints like PyTorch: `tensor([[1., 2.], [3., 4.]], shape=[2, 2])`, with
    /// `grad_fn=<op>` or `requires_grad=True` when the tensor is tracked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tensor(")?;
        write_nested(f, &self.view(), 7)?;
        write!(f, ", shape={:?}", self.shape())?;
        match (&self.inner.node, self.inner.requires_grad) {
            (Some(node), _) => write!(f, ", grad_fn=<{}>", node.name())?,
            (None, true) => write!(f, ", requires_grad=True")?,
            _ => {}
        }
        write!(f, ")")
    }
}

fn write_nested(f: &mut fmt::Formatter<'_>, a: &ArrayViewD<'_, f32>, indent: usize) -> fmt::Result {
    const EDGE: usize = 3;
    if a.ndim() == 0 {
        return write_value(f, a[IxDyn(&[])]);
    }
    let n = a.shape()[0];
    write!(f, "[")?;
    let shown: Vec<usize> = if n > 2 * EDGE + 1 { (0..EDGE).chain(n - EDGE..n).collect() } else { (0..n).collect() };
    for (k, &i) in shown.iter().enumerate() {
        if k > 0 {
            if a.ndim() > 1 {
                write!(f, ",\n{:indent$}", "", indent = indent + 1)?;
            } else {
                write!(f, ", ")?;
            }
        }
        if n > 2 * EDGE + 1 && k == EDGE {
            write!(f, "...")?;
            write!(f, "{}", if a.ndim() > 1 { format!(",\n{:w$}", "", w = indent + 1) } else { ", ".into() })?;
        }
        let sub = a.index_axis(ndarray::Axis(0), i);
        write_nested(f, &sub, indent + 1)?;
    }
    write!(f, "]")
}

fn write_value(f: &mut fmt::Formatter<'_>, v: f32) -> fmt::Result {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e7 {
        write!(f, "{v:.0}.")
    } else if v.is_finite() && (v.abs() >= 1e4 || (v != 0.0 && v.abs() < 1e-4)) {
        write!(f, "{v:.4e}")
    } else {
        write!(f, "{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_functions() {
        assert_eq!(Tensor::zeros(&[2, 3]).to_vec(), vec![0.0; 6]);
        assert_eq!(Tensor::ones(&[2]).to_vec(), vec![1.0, 1.0]);
        assert_eq!(Tensor::full(&[1, 2], 7.5).to_vec(), vec![7.5, 7.5]);
        assert_eq!(Tensor::eye(2).to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
        assert_eq!(Tensor::scalar(3.0).shape(), &[] as &[usize]);
        assert_eq!(Tensor::arange(1.0, 4.0, 1.0).to_vec(), vec![1.0, 2.0, 3.0]);
        assert_eq!(Tensor::arange(4.0, 1.0, -1.5).to_vec(), vec![4.0, 2.5]);
        assert_eq!(Tensor::linspace(-1.0, 1.0, 3).to_vec(), vec![-1.0, 0.0, 1.0]);
        assert_eq!(Tensor::linspace(2.0, 5.0, 1).to_vec(), vec![2.0]);
    }

    #[test]
    #[should_panic(expected = "from_vec: 3 values do not fill shape [2, 2]")]
    fn from_vec_names_the_mismatch() {
        Tensor::from_vec(vec![1.0, 2.0, 3.0], &[2, 2]);
    }

    #[test]
    fn display_prints_like_pytorch() {
        let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.5], &[2, 2]);
        assert_eq!(t.to_string(), "tensor([[1., 2.],\n        [3., 4.5000]], shape=[2, 2])");
        assert_eq!(Tensor::scalar(2.0).to_string(), "tensor(2., shape=[])");
        let long = Tensor::arange(0.0, 10.0, 1.0);
        assert_eq!(long.to_string(), "tensor([0., 1., 2., ..., 7., 8., 9.], shape=[10])");
        let tracked = Tensor::ones(&[1]).requires_grad();
        assert_eq!(tracked.to_string(), "tensor([1.], shape=[1], requires_grad=True)");
    }

    #[test]
    fn deep_graph_drops_without_overflow() {
        let x = Tensor::scalar(1.0).requires_grad();
        let mut y = x.clone();
        for _ in 0..200_000 {
            y = &y * 1.0;
        }
        drop(y);
    }
}
