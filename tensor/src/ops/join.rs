//! Joining and splitting along an axis: concat, stack, split, chunk.

use ndarray::{ArrayD, Axis, Slice};

use super::axes::AxisIndex;
use crate::autograd::BackwardCtx;
use crate::tensor::Tensor;

impl Tensor {
    /// Joins tensors along an existing `axis` (−1 is the last); all other sizes must match.
    ///
    /// # Panics
    /// If `tensors` is empty, `axis` is out of range, or the shapes differ off `axis` (the
    /// message names both).
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let a = Tensor::ones(&[2, 1]);
    /// let b = Tensor::zeros(&[2, 2]);
    /// assert_eq!(Tensor::concat(&[&a, &b], 1).to_vec(), vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    /// assert_eq!(Tensor::concat(&[&a, &b], -1).shape(), &[2, 3]);
    /// ```
    pub fn concat(tensors: &[&Tensor], axis: impl AxisIndex) -> Tensor {
        assert!(!tensors.is_empty(), "concat: no tensors given");
        let first = tensors[0].shape();
        let axis = axis.resolve("concat", first);
        for t in &tensors[1..] {
            let same = t.ndim() == first.len() && (0..first.len()).all(|i| i == axis || t.shape()[i] == first[i]);
            assert!(same, "concat: shapes {first:?} and {:?} differ off axis {axis}", t.shape());
        }
        let views: Vec<_> = tensors.iter().map(|t| t.view()).collect();
        let out = ndarray::concatenate(Axis(axis), &views).expect("shapes checked");
        let sizes: Vec<usize> = tensors.iter().map(|t| t.shape()[axis]).collect();
        Tensor::from_op("concat", out, tensors, move |ctx: &BackwardCtx<'_>| {
            let mut start = 0;
            sizes
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let part =
                        ctx.needs(i).then(|| ctx.grad.slice_axis(Axis(axis), Slice::from(start..start + n)).to_owned());
                    start += n;
                    part
                })
                .collect()
        })
    }

    /// Joins same-shaped tensors along a new `axis`, in `0..=rank`; −1 makes it the last
    /// axis of the result (NumPy's `stack`).
    ///
    /// # Panics
    /// If `tensors` is empty, their shapes differ, or `axis` is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let a = Tensor::zeros(&[2, 3]);
    /// assert_eq!(Tensor::stack(&[&a, &a], 0).shape(), &[2, 2, 3]);
    /// assert_eq!(Tensor::stack(&[&a, &a, &a, &a], -1).shape(), &[2, 3, 4]);
    /// ```
    pub fn stack(tensors: &[&Tensor], axis: impl AxisIndex) -> Tensor {
        assert!(!tensors.is_empty(), "stack: no tensors given");
        let axis = axis.resolve_new("stack", tensors[0].shape());
        for t in &tensors[1..] {
            assert_eq!(
                t.shape(),
                tensors[0].shape(),
                "stack: shapes {:?} and {:?} differ",
                tensors[0].shape(),
                t.shape()
            );
        }
        let parts: Vec<Tensor> = tensors.iter().map(|t| t.unsqueeze(axis)).collect();
        Tensor::concat(&parts.iter().collect::<Vec<_>>(), axis)
    }

    /// Cuts along `axis` (−1 is the last) into pieces of the given sizes, which must add up
    /// to the axis.
    ///
    /// # Panics
    /// If `axis` is out of range or the sizes do not add up.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let parts = Tensor::arange(0.0, 5.0, 1.0).split(&[2, 3], 0);
    /// assert_eq!(parts[1].to_vec(), vec![2.0, 3.0, 4.0]);
    /// assert_eq!(Tensor::zeros(&[2, 5]).split(&[4, 1], -1)[0].shape(), &[2, 4]);
    /// ```
    pub fn split(&self, sizes: &[usize], axis: impl AxisIndex) -> Vec<Tensor> {
        let axis = axis.resolve("split", self.shape());
        let total: usize = sizes.iter().sum();
        assert_eq!(
            total,
            self.shape()[axis],
            "split: sizes {sizes:?} add up to {total}, axis {axis} of shape {:?} has {}",
            self.shape(),
            self.shape()[axis]
        );
        let mut start = 0;
        sizes
            .iter()
            .map(|&n| {
                let part = self.narrow(axis, start, n);
                start += n;
                part
            })
            .collect()
    }

    /// Cuts along `axis` (−1 is the last) into `n` pieces of equal size (the last one
    /// smaller when the axis does not divide), like `torch.chunk`.
    ///
    /// # Panics
    /// If `axis` is out of range or `n` is 0.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let parts = Tensor::zeros(&[2, 7]).chunk(3, -1);
    /// assert_eq!(parts.iter().map(|p| p.shape()[1]).collect::<Vec<_>>(), vec![3, 3, 1]);
    /// ```
    pub fn chunk(&self, n: usize, axis: impl AxisIndex) -> Vec<Tensor> {
        let axis = axis.resolve("chunk", self.shape());
        assert!(n > 0, "chunk: cannot cut axis {axis} of shape {:?} into {n}", self.shape());
        let len = self.shape()[axis];
        let size = len.div_ceil(n).max(1);
        let mut sizes = vec![size; len / size];
        if !len.is_multiple_of(size) {
            sizes.push(len % size);
        }
        self.split(&sizes, axis)
    }

    /// `len` entries of `axis` (−1 is the last) starting at `start` (a slice of the
    /// tensor, sharing its buffer: no copy); the gradient is zero outside the slice.
    ///
    /// # Panics
    /// If `axis` is out of range or the range does not fit it.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    /// assert_eq!(x.narrow(1, 1, 2).to_vec(), vec![1.0, 2.0, 4.0, 5.0]);
    /// assert_eq!(x.narrow(-1, 1, 2).to_vec(), vec![1.0, 2.0, 4.0, 5.0]);
    /// ```
    pub fn narrow(&self, axis: impl AxisIndex, start: usize, len: usize) -> Tensor {
        let axis = axis.resolve("narrow", self.shape());
        self.slice_axis(axis, start, start + len, 1)
    }

    /// Entries `start, start + step, …` below `end` along `axis` (−1 is the last; Python's
    /// `x[..., start:end:step]`).
    ///
    /// # Panics
    /// If `axis` is out of range, the range does not fit the axis or `step` is 0.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    /// assert_eq!(x.slice_axis(-1, 0, 3, 2).to_vec(), vec![0.0, 2.0, 3.0, 5.0]);
    /// ```
    pub fn slice_axis(&self, axis: impl AxisIndex, start: usize, end: usize, step: usize) -> Tensor {
        let axis = axis.resolve("slice", self.shape());
        let n = self.shape()[axis];
        assert!(
            step > 0 && start <= end && end <= n,
            "slice: range {start}..{end} step {step} does not fit axis {axis} of shape {:?}",
            self.shape()
        );
        let slice = Slice::new(start as isize, Some(end as isize), step as isize);
        let out = self.inner.data.clone().map_array(|a| a.slice_axis_move(Axis(axis), slice));
        Tensor::from_op_values("slice", out, &[self], move |ctx: &BackwardCtx<'_>| {
            let mut g = ArrayD::<f32>::zeros(ctx.inputs[0].shape());
            g.slice_axis_mut(Axis(axis), slice).assign(ctx.grad);
            vec![Some(g)]
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testing::*;

    #[test]
    fn forward_values() {
        let a = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
        let b = t(&[5.0, 6.0], &[1, 2]);
        close(&Tensor::concat(&[&a, &b], 0), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let s = Tensor::stack(&[&a, &a], 2);
        assert_eq!(s.shape(), &[2, 2, 2]);
        close(&s, &[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0]);
        let c = Tensor::arange(0.0, 7.0, 1.0).chunk(3, 0);
        assert_eq!(c.iter().map(|p| p.len()).collect::<Vec<_>>(), vec![3, 3, 1]);
        close(&Tensor::arange(0.0, 7.0, 1.0).slice_axis(0, 1, 7, 3), &[1.0, 4.0]);
        close(&a.t().narrow(0, 1, 1), &[2.0, 4.0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = away_from_kinks(&[3, 4], -1.0, 1.0, 1);
        let y = away_from_kinks(&[3, 2], -1.0, 1.0, 2);
        grad_ok("concat", |v| weighted_sum(&Tensor::concat(&[&v[0], &v[1]], 1)), &[x.clone(), y.clone()]);
        grad_ok("concat_t", |v| weighted_sum(&Tensor::concat(&[&v[0], &v[1]], 0)), &[x.t(), y.t()]);
        grad_ok("stack", |v| weighted_sum(&Tensor::stack(&[&v[0], &v[0]], 1)), &[x.clone()]);
        grad_ok("split", |v| weighted_sum(&v[0].split(&[1, 3], 1)[1]), &[x.clone()]);
        grad_ok("chunk", |v| weighted_sum(&v[0].chunk(2, 0)[0]), &[x.t()]);
        grad_ok("slice", |v| weighted_sum(&v[0].slice_axis(1, 0, 4, 2)), &[x.clone()]);
        grad_ok("narrow_t", |v| weighted_sum(&v[0].narrow(0, 1, 2)), &[x.t()]);
    }

    #[test]
    #[should_panic(expected = "concat: shapes [2, 2] and [2, 3] differ off axis 0")]
    fn concat_names_both_shapes() {
        Tensor::concat(&[&Tensor::zeros(&[2, 2]), &Tensor::zeros(&[2, 3])], 0);
    }

    #[test]
    #[should_panic(expected = "split: sizes [1, 1] add up to 2, axis 0 of shape [3] has 3")]
    fn split_checks_the_sizes() {
        Tensor::zeros(&[3]).split(&[1, 1], 0);
    }

    #[test]
    #[should_panic(expected = "slice: range 1..5 step 1 does not fit axis 0 of shape [3]")]
    fn slice_checks_the_range() {
        Tensor::zeros(&[3]).narrow(0, 1, 4);
    }
}
