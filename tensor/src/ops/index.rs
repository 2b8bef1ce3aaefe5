//! Integer indexing: index_select, gather, scatter_add and one_hot. Indices are `usize`
//! (never `f32` tensors); each backward scatter-adds or gathers the gradient back.

use ndarray::{Array2, ArrayD, ArrayRefD, Axis, Slice};

use super::axes::AxisIndex;
use crate::autograd::{BackwardCtx, Grad, RowSparse};
use crate::tensor::{Tensor, Values};

impl Tensor {
    /// The entries `indices` of `axis` (−1 is the last axis), in that order:
    /// `out[.., k, ..] = x[.., indices[k], ..]`.
    ///
    /// Indices may repeat or be left out; the gradient adds the rows of ∂loss/∂out back
    /// onto the rows they came from, so a repeated index accumulates. Along axis 0 the
    /// gradient is row-sparse ([`RowSparse`](crate::RowSparse)): a lookup of a few rows of
    /// a big table (an embedding) never allocates a gradient of the whole table.
    ///
    /// # Shapes
    /// `self` `[.., n, ..]` (`n` at `axis`), output `[.., indices.len(), ..]`.
    ///
    /// # Panics
    /// If `axis` is out of range or an index is `≥ n` (the message names the index, the
    /// axis and the shape).
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    /// let rows = x.index_select(0, &[2, 0, 2]);
    /// assert_eq!(rows.shape(), &[3, 2]);
    /// assert_eq!(rows.to_vec(), vec![5.0, 6.0, 1.0, 2.0, 5.0, 6.0]);
    /// assert_eq!(x.index_select(-1, &[1]).to_vec(), vec![2.0, 4.0, 6.0]);
    /// ```
    #[doc(alias = "take")]
    pub fn index_select(&self, axis: impl AxisIndex, indices: &[usize]) -> Tensor {
        let shape = self.shape();
        let axis = axis.resolve("index_select", shape);
        let n = shape[axis];
        if let Some(&i) = indices.iter().find(|&&i| i >= n) {
            panic!("index_select: index {i} is out of range for axis {axis} of size {n} (input shape {shape:?})");
        }
        let out = self.view().select(Axis(axis), indices);
        let indices = indices.to_vec();
        Tensor::from_op_grads(
            "index_select",
            Values::Array(out.into_shared()),
            &[self],
            move |ctx: &BackwardCtx<'_>| {
                let shape = ctx.inputs[0].shape();
                if axis == 0 {
                    // Row-sparse: only the rows looked up, never the whole table.
                    let width: usize = shape[1..].iter().product();
                    let values =
                        ctx.grad.as_standard_layout().into_owned().into_shape_with_order((indices.len(), width));
                    let values = values.expect("one gradient row per index");
                    return vec![Some(Grad::Rows(RowSparse::new(shape, indices.clone(), values)))];
                }
                let mut g = ArrayD::<f32>::zeros(shape);
                for (k, &i) in indices.iter().enumerate() {
                    let mut row = g.index_axis_mut(Axis(axis), i);
                    row += &ctx.grad.index_axis(Axis(axis), k);
                }
                vec![Some(Grad::Dense(g))]
            },
        )
    }

    /// Picks one entry along `axis` (−1 is the last) for every position of `index`
    /// (`torch.gather`, NumPy's `take_along_axis`): for `axis = 0`,
    /// `out[i][j][k] = x[index[i][j][k]][j][k]`.
    ///
    /// The gradient scatter-adds ∂loss/∂out back onto the picked entries.
    ///
    /// # Shapes
    /// `index` has as many axes as `self` and is no larger than `self` off `axis` (any size
    /// along it); the output has `index`'s shape.
    ///
    /// # Panics
    /// If `axis` is out of range, `index` does not fit `self`'s shape, or an index is not
    /// below the size of `axis` (the message names the index, the axis and the shape).
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// use derin_tensor::ndarray::arr2;
    ///
    /// // The score of each row's label, as a classification loss picks it.
    /// let scores = Tensor::from_vec(vec![0.1, 0.7, 0.2, 0.5, 0.3, 0.2], &[2, 3]);
    /// let labels = arr2(&[[1usize], [0]]).into_dyn();
    /// assert_eq!(scores.gather(1, &labels).to_vec(), vec![0.7, 0.5]);
    /// assert_eq!(scores.gather(-1, &labels).to_vec(), vec![0.7, 0.5]);
    /// ```
    #[doc(alias = "take_along_axis")]
    pub fn gather(&self, axis: impl AxisIndex, index: &ArrayD<usize>) -> Tensor {
        let axis = axis.resolve("gather", self.shape());
        check_index("gather", self.shape(), axis, index);
        let out = gather_values(self.array(), axis, index);
        let index = index.clone();
        Tensor::from_op("gather", out, &[self], move |ctx: &BackwardCtx<'_>| {
            let mut g = ArrayD::<f32>::zeros(ctx.inputs[0].shape());
            scatter_add_into(&mut g, axis, &index, ctx.grad);
            vec![Some(g)]
        })
    }

    /// A copy of `self` with `src` added at the positions `index` names along `axis` (−1 is
    /// the last axis; `torch.scatter_add`): for `axis = 0`, `out[index[i][j]][j] += src[i][j]`.
    ///
    /// Repeated indices accumulate. The gradient with respect to `self` is ∂loss/∂out
    /// itself; with respect to `src` it is ∂loss/∂out gathered at `index` (zero where
    /// `src` is larger than `index`).
    ///
    /// # Shapes
    /// `index` and `src` have as many axes as `self`; `index` is no larger than `src`
    /// along any axis and no larger than `self` off `axis`. The output has `self`'s shape.
    ///
    /// # Panics
    /// If `axis` is out of range, the shapes do not fit as above, or an index is not below
    /// the size of `axis` of `self` (the message names the index, the axis and the shape).
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// use derin_tensor::ndarray::arr1;
    ///
    /// // Sum values into buckets 0..3.
    /// let buckets = Tensor::zeros(&[3]);
    /// let values = Tensor::from_vec(vec![1.0, 2.0, 4.0, 8.0], &[4]);
    /// let out = buckets.scatter_add(0, &arr1(&[2usize, 0, 2, 1]).into_dyn(), &values);
    /// assert_eq!(out.to_vec(), vec![2.0, 8.0, 5.0]);
    /// assert_eq!(buckets.scatter_add(-1, &arr1(&[2usize, 0, 2, 1]).into_dyn(), &values).to_vec(), out.to_vec());
    /// ```
    pub fn scatter_add(&self, axis: impl AxisIndex, index: &ArrayD<usize>, src: &Tensor) -> Tensor {
        let axis = axis.resolve("scatter_add", self.shape());
        check_index("scatter_add", self.shape(), axis, index);
        let fits = src.ndim() == index.ndim() && index.shape().iter().zip(src.shape()).all(|(i, s)| i <= s);
        assert!(fits, "scatter_add: index shape {:?} is larger than src shape {:?}", index.shape(), src.shape());
        let mut out = self.array().to_owned();
        scatter_add_into(&mut out, axis, index, src.array());
        let index = index.clone();
        Tensor::from_op("scatter_add", out, &[self, src], move |ctx: &BackwardCtx<'_>| {
            let g_src = ctx.needs(1).then(|| {
                let mut g = ArrayD::<f32>::zeros(ctx.inputs[1].shape());
                g.slice_each_axis_mut(|ad| Slice::from(0..index.shape()[ad.axis.index()]))
                    .assign(&gather_values(ctx.grad, axis, &index));
                g
            });
            vec![ctx.needs(0).then(|| ctx.grad.clone()), g_src]
        })
    }

    /// Rows of the identity: `out[i][labels[i]] = 1`, zero elsewhere (no gradient).
    ///
    /// # Shapes
    /// output `[labels.len(), classes]`.
    ///
    /// # Panics
    /// If a label is `≥ classes` (the message names it).
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let y = Tensor::one_hot(&[2, 0], 3);
    /// assert_eq!(y.shape(), &[2, 3]);
    /// assert_eq!(y.to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    /// ```
    pub fn one_hot(labels: &[usize], classes: usize) -> Tensor {
        if let Some(&l) = labels.iter().find(|&&l| l >= classes) {
            panic!("one_hot: label {l} is out of range for {classes} classes");
        }
        let out = Array2::from_shape_fn((labels.len(), classes), |(i, j)| if labels[i] == j { 1.0 } else { 0.0 });
        Tensor::from_array(out.into_dyn())
    }
}

/// Checks that `index` fits an input of `shape` for `op` (gather, scatter_add) along the
/// resolved `axis`.
fn check_index(op: &str, shape: &[usize], axis: usize, index: &ArrayD<usize>) {
    let fits = index.ndim() == shape.len()
        && index.shape().iter().zip(shape).enumerate().all(|(d, (i, s))| d == axis || i <= s);
    assert!(fits, "{op}: index shape {:?} does not fit input shape {shape:?} off axis {axis}", index.shape());
    let n = shape[axis];
    if let Some(&i) = index.iter().find(|&&i| i >= n) {
        panic!("{op}: index {i} is out of range for axis {axis} of size {n} (input shape {shape:?})");
    }
}

/// `out[p] = x[p with p[axis] = index[p]]` for every position `p` of `index`.
fn gather_values(x: &ArrayRefD<f32>, axis: usize, index: &ArrayD<usize>) -> ArrayD<f32> {
    ArrayD::from_shape_fn(index.raw_dim(), |p| {
        let mut q = p.clone();
        q[axis] = index[&p];
        x[&q]
    })
}

/// `acc[p with p[axis] = index[p]] += src[p]` for every position `p` of `index`.
fn scatter_add_into(acc: &mut ArrayD<f32>, axis: usize, index: &ArrayD<usize>, src: &ArrayRefD<f32>) {
    for (p, &i) in index.indexed_iter() {
        let mut q = p.clone();
        q[axis] = i;
        acc[&q] += src[&p];
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn};
    use proptest::prelude::*;

    use crate::Tensor;
    use crate::testing::*;

    /// An index array from values and a shape.
    fn ix(values: &[usize], shape: &[usize]) -> ArrayD<usize> {
        ArrayD::from_shape_vec(IxDyn(shape), values.to_vec()).unwrap()
    }

    /// The gradient of `Σ w·f(x)` with respect to `x`.
    fn grad_of(x: &Tensor, f: impl Fn(&Tensor) -> Tensor, w: &[f32]) -> Vec<f32> {
        let x = x.detach().requires_grad();
        let y = f(&x);
        let loss = (&y * &t(w, y.shape())).sum_all();
        loss.backward().get(&x).unwrap().to_vec()
    }

    #[test]
    fn forward_values() {
        let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        close(&x.index_select(1, &[2, 0]), &[3.0, 1.0, 6.0, 4.0]);
        close(&x.t().index_select(0, &[1, 1]), &[2.0, 5.0, 2.0, 5.0]);
        assert_eq!(x.index_select(0, &[]).shape(), &[0, 3]);
        // out[i][j] = x[index[i][j]][j]
        close(&x.gather(0, &ix(&[1, 0, 1, 0, 0, 1], &[2, 3])), &[4.0, 2.0, 6.0, 1.0, 2.0, 6.0]);
        // out[i][j] = x[i][index[i][j]], index smaller off the axis and longer along it
        close(&x.gather(1, &ix(&[0, 0, 2, 1], &[1, 4])), &[1.0, 1.0, 3.0, 2.0]);
        close(&x.t().gather(1, &ix(&[1, 0, 0], &[3, 1])), &[4.0, 2.0, 3.0]);
        // out[index[i][j]][j] += src[i][j]; src's second row lies outside index
        let src = t(&[10.0, 20.0, 30.0, 40.0, 50.0, 60.0], &[2, 3]);
        close(&x.scatter_add(0, &ix(&[1, 0, 1], &[1, 3]), &src), &[1.0, 22.0, 3.0, 14.0, 5.0, 36.0]);
        // out[i][index[i][j]] += src[i][j], repeats accumulate
        let y = Tensor::zeros(&[2, 2]).scatter_add(1, &ix(&[0, 0, 1, 1, 1, 1], &[2, 3]), &x);
        close(&y, &[3.0, 3.0, 0.0, 15.0]);
        close(&Tensor::one_hot(&[1, 0, 1], 2), &[0.0, 1.0, 1.0, 0.0, 0.0, 1.0]);
        assert_eq!(Tensor::one_hot(&[], 4).shape(), &[0, 4]);
    }

    #[test]
    fn backward_values_accumulate_repeated_indices() {
        let x = t(&[1.0, 2.0, 3.0], &[3]);
        assert_eq!(grad_of(&x, |x| x.index_select(0, &[0, 0, 2]), &[1.0, 2.0, 3.0]), vec![3.0, 0.0, 3.0]);
        let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
        let index = ix(&[1, 1, 1, 0, 1, 0], &[2, 3]);
        assert_eq!(grad_of(&x, |x| x.gather(1, &index), &[1.0; 6]), vec![0.0, 3.0, 2.0, 1.0]);
        // d/dsrc: the output gradient at the target of each index, zero past index's size.
        let src = t(&[1.0, 2.0, 3.0], &[3]).requires_grad();
        let base = Tensor::zeros(&[2]).requires_grad();
        let out = base.scatter_add(0, &ix(&[1], &[1]), &src);
        let grads = (&out * &t(&[5.0, 7.0], &[2])).sum_all().backward();
        assert_eq!(grads.get(&base).unwrap().to_vec(), vec![5.0, 7.0]);
        assert_eq!(grads.get(&src).unwrap().to_vec(), vec![7.0, 0.0, 0.0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = away_from_kinks(&[3, 4], -1.0, 1.0, 1);
        grad_ok("index_select", |v| weighted_sum(&v[0].index_select(0, &[2, 0, 2, 1])), std::slice::from_ref(&x));
        grad_ok("index_select_1", |v| weighted_sum(&v[0].index_select(1, &[3, 3, 0])), std::slice::from_ref(&x));
        grad_ok("index_select_t", |v| weighted_sum(&v[0].index_select(1, &[2, 0, 2])), &[x.t()]);

        let down = ix(&[2, 0, 2, 1, 1, 1, 0, 0], &[2, 4]);
        let across = ix(&[2, 0, 2, 1, 1, 1, 0, 0, 0, 2, 2, 2, 1, 0, 1, 2, 0, 1, 0, 0], &[4, 5]);
        grad_ok("gather", |v| weighted_sum(&v[0].gather(0, &down)), std::slice::from_ref(&x));
        grad_ok(
            "gather_small",
            |v| weighted_sum(&v[0].gather(1, &ix(&[3, 0, 3, 1], &[2, 2]))),
            std::slice::from_ref(&x),
        );
        grad_ok("gather_t", |v| weighted_sum(&v[0].gather(1, &across)), &[x.t()]);

        let src = away_from_kinks(&[3, 4], -1.0, 1.0, 2);
        grad_ok("scatter_add", |v| weighted_sum(&v[0].scatter_add(0, &down, &v[1])), &[x.clone(), src]);
        let src_t = away_from_kinks(&[6, 4], -1.0, 1.0, 3).t();
        grad_ok("scatter_add_t", |v| weighted_sum(&v[0].scatter_add(1, &across, &v[1])), &[x.t(), src_t]);
    }

    #[test]
    #[should_panic(expected = "index_select: index 5 is out of range for axis 0 of size 3 (input shape [3, 2])")]
    fn index_select_names_the_index() {
        Tensor::zeros(&[3, 2]).index_select(0, &[1, 5]);
    }

    #[test]
    #[should_panic(expected = "gather: index 4 is out of range for axis 1 of size 4 (input shape [2, 4])")]
    fn gather_names_the_index() {
        Tensor::zeros(&[2, 4]).gather(1, &ix(&[0, 4], &[2, 1]));
    }

    #[test]
    #[should_panic(expected = "gather: index shape [3, 1] does not fit input shape [2, 4] off axis 1")]
    fn gather_checks_the_index_shape() {
        Tensor::zeros(&[2, 4]).gather(1, &ix(&[0, 1, 2], &[3, 1]));
    }

    #[test]
    #[should_panic(expected = "scatter_add: index 2 is out of range for axis 0 of size 2 (input shape [2])")]
    fn scatter_add_names_the_index() {
        Tensor::zeros(&[2]).scatter_add(0, &ix(&[2], &[1]), &Tensor::ones(&[1]));
    }

    #[test]
    #[should_panic(expected = "scatter_add: index shape [3] is larger than src shape [2]")]
    fn scatter_add_checks_the_src_shape() {
        Tensor::zeros(&[2]).scatter_add(0, &ix(&[0, 1, 0], &[3]), &Tensor::ones(&[2]));
    }

    #[test]
    #[should_panic(expected = "one_hot: label 3 is out of range for 3 classes")]
    fn one_hot_names_the_label() {
        Tensor::one_hot(&[0, 3], 3);
    }

    proptest! {
        #[test]
        fn gather_at_own_positions_is_identity(dims in proptest::collection::vec(1usize..4, 1..4), axis in 0usize..3) {
            let axis = axis % dims.len();
            let n: usize = dims.iter().product();
            let x = Tensor::arange(0.0, n as f32, 1.0).reshape(&dims);
            let index = ArrayD::from_shape_fn(IxDyn(&dims), |p| p[axis]);
            prop_assert_eq!(x.gather(axis, &index).to_vec(), x.to_vec());
            let all: Vec<usize> = (0..dims[axis]).collect();
            prop_assert_eq!(x.index_select(axis, &all).to_vec(), x.to_vec());
        }

        #[test]
        fn scatter_add_undoes_a_permuting_gather(n in 1usize..6, seed in 0u64..100) {
            let mut perm: Vec<usize> = (0..n).collect();
            crate::Rng::seed(seed).shuffle(&mut perm);
            let x = Tensor::arange(1.0, n as f32 + 1.0, 1.0);
            let index = ix(&perm, &[n]);
            let back = Tensor::zeros(&[n]).scatter_add(0, &index, &x.gather(0, &index));
            prop_assert_eq!(back.to_vec(), x.to_vec());
        }
    }
}
