//! Shape ops that move no values: reshape, permute/transpose, squeeze/unsqueeze,
//! broadcast_to/expand, flatten. Each backward is the inverse shape change.

use std::sync::OnceLock;

use ndarray::{Axis, IxDyn};

use super::axes::{AxisIndex, resolve_all};
use super::broadcast::reduce_to_shape;
use crate::autograd::BackwardCtx;
use crate::tensor::{Tensor, Values};

impl Tensor {
    /// The same values in a new shape (row-major order); one entry may be inferred by
    /// passing [`Tensor::INFER`] (PyTorch's `-1`).
    ///
    /// # Panics
    /// If the element counts differ; the message names both shapes.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[2, Tensor::INFER]);
    /// assert_eq!(x.shape(), &[2, 3]);
    /// ```
    pub fn reshape(&self, shape: &[usize]) -> Tensor {
        let shape = infer_shape(self.shape(), shape);
        if shape == self.shape() {
            return self.clone();
        }
        let out = match &self.inner.data {
            Values::Array(a) if a.is_standard_layout() => {
                a.clone().into_shape_with_order(IxDyn(&shape)).expect("sizes checked, layout row-major")
            }
            other => other.view().to_shape(IxDyn(&shape)).expect("sizes checked").into_owned().into_shared(),
        };
        Tensor::from_op_values("reshape", Values::Array(out), &[self], |ctx: &BackwardCtx<'_>| {
            vec![Some(ctx.grad.to_shape(IxDyn(ctx.inputs[0].shape())).expect("same size").into_owned())]
        })
    }

    /// Marks the axis that [`reshape`](Tensor::reshape) infers.
    pub const INFER: usize = usize::MAX;

    /// Reorders the axes: axis `i` of the result is axis `order[i]` of `self` (negative
    /// entries count from the end).
    ///
    /// The result shares `self`'s buffer with permuted strides (no copy), so it is
    /// non-contiguous; every op accepts that.
    ///
    /// # Panics
    /// If an axis is out of range or `order` is not a permutation of the axes.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::zeros(&[2, 3, 4]);
    /// assert_eq!(x.permute(&[2, 0, 1]).shape(), &[4, 2, 3]);
    /// assert_eq!(x.permute(&[-1, 0, 1]).shape(), &[4, 2, 3]);
    /// ```
    pub fn permute(&self, order: &[impl AxisIndex]) -> Tensor {
        let order = resolve_all(order, "permute", self.shape());
        let order = &order[..];
        let mut sorted = order.to_vec();
        sorted.sort_unstable();
        assert!(
            sorted == (0..self.ndim()).collect::<Vec<_>>(),
            "permute: {order:?} is not a permutation of the axes of shape {:?}",
            self.shape()
        );
        let out = self.inner.data.clone().map_array(|a| a.permuted_axes(IxDyn(order)));
        let mut inverse = vec![0; order.len()];
        for (i, &o) in order.iter().enumerate() {
            inverse[o] = i;
        }
        Tensor::from_op_values("permute", out, &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(ctx.grad.clone().permuted_axes(IxDyn(&inverse)).as_standard_layout().into_owned())]
        })
    }

    /// Swaps two axes (negative axes count from the end).
    ///
    /// # Panics
    /// If an axis is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::zeros(&[2, 3, 4]).transpose(0, 2);
    /// assert_eq!(x.shape(), &[4, 3, 2]);
    /// assert_eq!(Tensor::zeros(&[2, 3, 4]).transpose(-1, -2).shape(), &[2, 4, 3]);
    /// ```
    pub fn transpose(&self, a: impl AxisIndex, b: impl AxisIndex) -> Tensor {
        let (a, b) = (a.resolve("transpose", self.shape()), b.resolve("transpose", self.shape()));
        let mut order: Vec<usize> = (0..self.ndim()).collect();
        order.swap(a, b);
        self.permute(&order)
    }

    /// The transpose of a 2-D tensor.
    pub fn t(&self) -> Tensor {
        assert_eq!(self.ndim(), 2, "t: needs a 2-D tensor, got shape {:?}", self.shape());
        self.transpose(0, 1)
    }

    /// Removes axis `axis` (−1 is the last), which must have size 1.
    ///
    /// # Panics
    /// If `axis` is out of range or its size is not 1.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// assert_eq!(Tensor::zeros(&[2, 3, 1]).squeeze(-1).shape(), &[2, 3]);
    /// ```
    pub fn squeeze(&self, axis: impl AxisIndex) -> Tensor {
        let axis = axis.resolve("squeeze", self.shape());
        assert!(self.shape()[axis] == 1, "squeeze: axis {axis} of shape {:?} does not have size 1", self.shape());
        let out = self.inner.data.clone().map_array(|a| a.index_axis_move(Axis(axis), 0));
        Tensor::from_op_values("squeeze", out, &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(ctx.grad.clone().insert_axis(Axis(axis)))]
        })
    }

    /// Inserts an axis of size 1 at position `axis` of the result, in `0..=rank`; −1 appends
    /// it (NumPy's `expand_dims`, PyTorch's `unsqueeze`).
    ///
    /// # Panics
    /// If `axis` is outside `-(rank + 1)..=rank`.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// assert_eq!(Tensor::zeros(&[2, 3]).unsqueeze(1).shape(), &[2, 1, 3]);
    /// assert_eq!(Tensor::zeros(&[2, 3]).unsqueeze(-1).shape(), &[2, 3, 1]);
    /// ```
    #[doc(alias = "expand_dims")]
    pub fn unsqueeze(&self, axis: impl AxisIndex) -> Tensor {
        let axis = axis.resolve_new("unsqueeze", self.shape());
        let out = self.inner.data.clone().map_array(|a| a.insert_axis(Axis(axis)));
        Tensor::from_op_values("unsqueeze", out, &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(ctx.grad.clone().index_axis_move(Axis(axis), 0))]
        })
    }

    /// Repeats the values along broadcast axes to `shape` (NumPy's `broadcast_to`,
    /// PyTorch's `expand`); the gradient sums them back. No copy is made: the result reads
    /// `self`'s buffer with zero strides (see [`Tensor::array`] for when it is expanded).
    ///
    /// # Panics
    /// If `self` does not broadcast to `shape`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor {
        if self.view().broadcast(IxDyn(shape)).is_none() {
            panic!("broadcast_to: shape {:?} does not broadcast to {shape:?}", self.shape());
        }
        if shape == self.shape() {
            return self.clone();
        }
        let base = match &self.inner.data {
            Values::Array(a) => a.clone(),
            Values::Broadcast { base, .. } => base.clone(),
        };
        let out = Values::Broadcast { base, shape: IxDyn(shape), dense: OnceLock::new() };
        Tensor::from_op_values("broadcast_to", out, &[self], |ctx: &BackwardCtx<'_>| {
            vec![Some(reduce_to_shape(ctx.grad.clone(), ctx.inputs[0].shape()))]
        })
    }

    /// Alias of [`broadcast_to`](Tensor::broadcast_to).
    pub fn expand(&self, shape: &[usize]) -> Tensor {
        self.broadcast_to(shape)
    }

    /// Merges axes `start..=end` into one (negative axes count from the end, so
    /// `flatten(1, -1)` keeps the batch axis and merges the rest). A 0-d tensor counts as
    /// having one axis and becomes `[1]`.
    ///
    /// # Panics
    /// If an axis is out of range or `start` comes after `end`.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// assert_eq!(Tensor::zeros(&[2, 3, 4, 5]).flatten(1, 3).shape(), &[2, 60]);
    /// assert_eq!(Tensor::zeros(&[2, 3, 4, 5]).flatten(1, -1).shape(), &[2, 60]);
    /// ```
    pub fn flatten(&self, start: impl AxisIndex, end: impl AxisIndex) -> Tensor {
        let shape = if self.ndim() == 0 { &[1][..] } else { self.shape() };
        let (start, end) = (start.resolve("flatten", shape), end.resolve("flatten", shape));
        assert!(start <= end, "flatten: start axis {start} comes after end axis {end} in shape {:?}", self.shape());
        if self.ndim() == 0 {
            return self.reshape(&[1]);
        }
        let s = self.shape();
        let merged: usize = s[start..=end].iter().product();
        let shape: Vec<usize> =
            s[..start].iter().copied().chain([merged]).chain(s[end + 1..].iter().copied()).collect();
        self.reshape(&shape)
    }
}

fn infer_shape(from: &[usize], to: &[usize]) -> Vec<usize> {
    let n: usize = from.iter().product();
    let unknown: Vec<usize> = (0..to.len()).filter(|&i| to[i] == Tensor::INFER).collect();
    assert!(unknown.len() <= 1, "reshape: at most one axis can be inferred, got {to:?}");
    let known: usize = to.iter().filter(|&&d| d != Tensor::INFER).product();
    let mut shape = to.to_vec();
    if let Some(&i) = unknown.first() {
        assert!(known > 0 && n.is_multiple_of(known), "reshape: cannot reshape {from:?} into {to:?} (inferred axis)");
        shape[i] = n / known;
    }
    assert_eq!(shape.iter().product::<usize>(), n, "reshape: cannot reshape {from:?} ({n} elements) into {shape:?}");
    shape
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testing::*;
    use proptest::prelude::*;

    #[test]
    fn forward_values() {
        let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        close(&x.t(), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        close(&x.t().reshape(&[6]), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(x.unsqueeze(1).shape(), &[2, 1, 3]);
        assert_eq!(x.unsqueeze(1).squeeze(1).shape(), &[2, 3]);
        close(&t(&[1.0, 2.0], &[2, 1]).broadcast_to(&[2, 3]), &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
        assert_eq!(Tensor::scalar(1.0).flatten(0, 0).shape(), &[1]);
        let p = Tensor::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]).permute(&[2, 0, 1]);
        assert_eq!(p.shape(), &[4, 2, 3]);
        close(&p.reshape(&[24]).narrow(0, 0, 6), &[0.0, 4.0, 8.0, 12.0, 16.0, 20.0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = away_from_kinks(&[2, 3, 2], -1.0, 1.0, 9);
        type F = fn(&Tensor) -> Tensor;
        let fs: Vec<(&str, F)> = vec![
            ("reshape", |x| x.reshape(&[3, Tensor::INFER])),
            ("permute", |x| x.permute(&[1, 2, 0])),
            ("transpose", |x| x.transpose(0, 2)),
            ("unsqueeze", |x| x.unsqueeze(3)),
            ("squeeze", |x| x.unsqueeze(0).squeeze(0)),
            ("broadcast_to", |x| x.unsqueeze(0).broadcast_to(&[2, 2, 3, 2])),
            ("flatten", |x| x.flatten(1, 2)),
        ];
        for (name, f) in fs {
            grad_ok(name, |xs| weighted_sum(&f(&xs[0])), &[x.clone()]);
            grad_ok(name, |xs| weighted_sum(&f(&xs[0])), &[x.transpose(0, 2).transpose(0, 2)]);
            grad_ok(name, |xs| weighted_sum(&f(&xs[0].permute(&[1, 0, 2]))), &[x.permute(&[1, 0, 2])]);
        }
    }

    #[test]
    #[should_panic(expected = "reshape: cannot reshape [2, 3] (6 elements) into [4]")]
    fn reshape_names_both_shapes() {
        Tensor::zeros(&[2, 3]).reshape(&[4]);
    }

    #[test]
    #[should_panic(expected = "broadcast_to: shape [2] does not broadcast to [3]")]
    fn broadcast_to_names_both_shapes() {
        Tensor::zeros(&[2]).broadcast_to(&[3]);
    }

    #[test]
    #[should_panic(expected = "permute: [0, 0] is not a permutation of the axes of shape [2, 3]")]
    fn permute_checks_the_order() {
        Tensor::zeros(&[2, 3]).permute(&[0, 0]);
    }

    proptest! {
        #[test]
        fn reshape_round_trips(dims in proptest::collection::vec(1usize..4, 1..4)) {
            let n: usize = dims.iter().product();
            let x = Tensor::arange(0.0, n as f32, 1.0);
            let y = x.reshape(&dims).flatten(0, dims.len() - 1);
            prop_assert_eq!(y.to_vec(), x.to_vec());
        }

        #[test]
        fn permute_then_inverse_is_identity(dims in proptest::collection::vec(1usize..4, 1..5), seed in 0u64..100) {
            let n: usize = dims.iter().product();
            let x = Tensor::arange(0.0, n as f32, 1.0).reshape(&dims);
            let mut order: Vec<usize> = (0..dims.len()).collect();
            crate::Rng::seed(seed).shuffle(&mut order);
            let mut inverse = vec![0; order.len()];
            for (i, &o) in order.iter().enumerate() { inverse[o] = i; }
            let back = x.permute(&order).permute(&inverse);
            prop_assert_eq!(back.shape(), x.shape());
            prop_assert_eq!(back.to_vec(), x.to_vec());
        }

        #[test]
        fn broadcasting_is_symmetric_and_sums_back(a in proptest::collection::vec(1usize..4, 0..4), b in proptest::collection::vec(1usize..4, 0..4)) {
            // Make b broadcast-compatible with a where it is not.
            let b: Vec<usize> = b.iter().enumerate().map(|(i, &d)| {
                let ai = (i + a.len()).checked_sub(b.len()).and_then(|j| a.get(j)).copied().unwrap_or(1);
                if d == ai || d == 1 || ai == 1 { d } else { 1 }
            }).collect();
            let s = crate::broadcast_shapes(&a, &b).unwrap();
            prop_assert_eq!(Some(s.clone()), crate::broadcast_shapes(&b, &a));
            let x = Tensor::ones(&a).requires_grad();
            let y = Tensor::ones(&b);
            let g = (&x + &y).sum_all().backward();
            let n_out: usize = s.iter().product();
            let n_a: usize = a.iter().product();
            // Every element of x receives the number of outputs it fed.
            prop_assert!(g.get(&x).unwrap().to_vec().iter().all(|&v| v as usize * n_a == n_out));
        }
    }
}
