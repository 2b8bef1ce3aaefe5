//! Reductions along axes: sum, mean, max, min, var, std, logsumexp, argmax, argmin.

use ndarray::{ArrayD, ArrayRefD, Axis, IxDyn, Zip};

use super::axes::{AxisIndex, resolve_all};
use crate::autograd::BackwardCtx;
use crate::tensor::Tensor;

/// `axes` resolved against `shape` (negative ones counted from the end), sorted, without
/// repeats.
fn checked_axes<A: AxisIndex>(op: &str, shape: &[usize], axes: &[A]) -> Vec<usize> {
    let mut v = resolve_all(axes, op, shape);
    v.sort_unstable();
    v.dedup();
    v
}

/// The shape with reduced axes set to 1 (keepdim), and the shape the op returns.
fn reduced_shapes(shape: &[usize], axes: &[usize], keepdim: bool) -> (Vec<usize>, Vec<usize>) {
    let keep: Vec<usize> = shape.iter().enumerate().map(|(i, &d)| if axes.contains(&i) { 1 } else { d }).collect();
    let out = if keepdim {
        keep.clone()
    } else {
        shape.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect()
    };
    (keep, out)
}

/// `f` folded over the reduced axes, returned with reduced axes kept as size 1.
///
/// The kept axes are moved first and the reduced ones last (one standard-layout copy), so
/// every output is the fold of one contiguous run; the run is folded in 8 interleaved
/// lanes (which vectorises, and for sums adds in a pairwise-like order). `ndarray`'s
/// `fold_axis` over a leading axis instead walks one `IxDyn` sub-view per index:
/// measured 1.46 ms for the mean of a `[20000, 1]` tensor, against 0.01 ms this way.
pub(crate) fn fold_keepdim(
    a: &ArrayRefD<f32>,
    axes: &[usize],
    init: f32,
    f: impl Fn(f32, f32) -> f32 + Copy,
) -> ArrayD<f32> {
    if axes.is_empty() {
        return a.as_standard_layout().into_owned();
    }
    let kept: Vec<usize> = (0..a.ndim()).filter(|i| !axes.contains(i)).collect();
    let order: Vec<usize> = kept.iter().chain(axes).copied().collect();
    let moved = a.view().permuted_axes(IxDyn(&order));
    let moved = moved.as_standard_layout();
    let flat = moved.as_slice().expect("standard layout");
    let run: usize = axes.iter().map(|&i| a.shape()[i]).product();
    let fold = |chunk: &[f32]| {
        let mut lanes = [init; 8];
        let mut blocks = chunk.chunks_exact(8);
        for block in &mut blocks {
            lanes.iter_mut().zip(block).for_each(|(l, &x)| *l = f(*l, x));
        }
        let tail = blocks.remainder().iter().fold(init, |acc, &x| f(acc, x));
        let [a, b, c, d, e, g, h, i] = lanes;
        f(f(f(f(a, b), f(c, d)), f(f(e, g), f(h, i))), tail)
    };
    let outer = a.len().checked_div(run).unwrap_or_else(|| kept.iter().map(|&i| a.shape()[i]).product());
    let out: Vec<f32> = if run == 0 { vec![init; outer] } else { flat.chunks_exact(run).map(fold).collect() };
    let keep: Vec<usize> = (0..a.ndim()).map(|i| if axes.contains(&i) { 1 } else { a.shape()[i] }).collect();
    ArrayD::from_shape_vec(IxDyn(&keep), out).expect("one value per kept index")
}

/// `grad` (shape `keep` after reshaping) broadcast back to `shape`.
fn spread(grad: &ArrayRefD<f32>, keep: &[usize], shape: &[usize]) -> ArrayD<f32> {
    let g = grad.to_shape(IxDyn(keep)).expect("same size");
    g.broadcast(IxDyn(shape)).expect("keepdim shape broadcasts").to_owned()
}

impl Tensor {
    /// The sum of every element, as a 0-d tensor.
    pub fn sum_all(&self) -> Tensor {
        let axes: Vec<usize> = (0..self.ndim()).collect();
        self.sum(&axes, false)
    }

    /// Sums along `axes` (−1 is the last axis, see [`AxisIndex`]); with
    /// `keepdim` those axes stay with size 1. A repeated axis counts once.
    ///
    /// # Panics
    /// If an axis is out of range (the message names the op, the axis and the rank).
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(x.sum(&[1], false).to_vec(), vec![6.0, 15.0]);
    /// assert_eq!(x.sum(&[-1], false).to_vec(), vec![6.0, 15.0]);
    /// assert_eq!(x.sum(&[0], true).shape(), &[1, 3]);
    /// ```
    pub fn sum(&self, axes: &[impl AxisIndex], keepdim: bool) -> Tensor {
        let axes = checked_axes("sum", self.shape(), axes);
        let (keep, out_shape) = reduced_shapes(self.shape(), &axes, keepdim);
        let out = fold_keepdim(&self.view(), &axes, 0.0, |a, x| a + x)
            .into_shape_with_order(IxDyn(&out_shape))
            .expect("same size");
        Tensor::from_op("sum", out, &[self], move |ctx: &BackwardCtx<'_>| {
            vec![Some(spread(ctx.grad, &keep, ctx.inputs[0].shape()))]
        })
    }

    /// The mean of every element.
    pub fn mean_all(&self) -> Tensor {
        let axes: Vec<usize> = (0..self.ndim()).collect();
        self.mean(&axes, false)
    }

    /// Means along `axes` (negative axes count from the end).
    ///
    /// # Panics
    /// If an axis is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(x.mean(&[-2], false).to_vec(), vec![2.5, 3.5, 4.5]);
    /// ```
    pub fn mean(&self, axes: &[impl AxisIndex], keepdim: bool) -> Tensor {
        let axes = checked_axes("mean", self.shape(), axes);
        let n: usize = axes.iter().map(|&a| self.shape()[a]).product();
        self.sum(&axes, keepdim).mul_scalar(1.0 / n.max(1) as f32)
    }

    /// Maxima along `axes` (negative axes count from the end); the gradient goes to the
    /// maximum (shared equally by ties).
    ///
    /// # Panics
    /// If an axis is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 3.0, 2.0], &[2, 2]);
    /// assert_eq!(x.max(&[1], false).to_vec(), vec![5.0, 3.0]);
    /// assert_eq!(x.max(&[-1], false).to_vec(), vec![5.0, 3.0]);
    /// ```
    pub fn max(&self, axes: &[impl AxisIndex], keepdim: bool) -> Tensor {
        self.extremum("max", checked_axes("max", self.shape(), axes), keepdim, f32::NEG_INFINITY, f32::max)
    }

    /// Minima along `axes` (negative axes count from the end); the gradient goes to the
    /// minimum (shared equally by ties).
    ///
    /// # Panics
    /// If an axis is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 3.0, 2.0], &[2, 2]);
    /// assert_eq!(x.min(&[-1], true).to_vec(), vec![1.0, 2.0]);
    /// ```
    pub fn min(&self, axes: &[impl AxisIndex], keepdim: bool) -> Tensor {
        self.extremum("min", checked_axes("min", self.shape(), axes), keepdim, f32::INFINITY, f32::min)
    }

    /// `f` folded over the resolved `axes`, the gradient shared by ties.
    fn extremum(&self, op: &'static str, axes: Vec<usize>, keepdim: bool, init: f32, f: fn(f32, f32) -> f32) -> Tensor {
        let (keep, out_shape) = reduced_shapes(self.shape(), &axes, keepdim);
        let kept = fold_keepdim(&self.view(), &axes, init, f);
        let out = kept.clone().into_shape_with_order(IxDyn(&out_shape)).expect("same size");
        Tensor::from_op(op, out, &[self], move |ctx: &BackwardCtx<'_>| {
            let x = ctx.inputs[0].view();
            let best = kept.broadcast(x.raw_dim()).expect("keepdim broadcasts");
            let mask = Zip::from(&x).and(&best).map_collect(|&x, &b| if x == b { 1.0f32 } else { 0.0 });
            let ties = fold_keepdim(&mask, &axes, 0.0, |a, m| a + m);
            let g = spread(ctx.grad, &keep, x.shape());
            let ties = ties.broadcast(x.raw_dim()).expect("keepdim broadcasts");
            vec![Some(Zip::from(&mask).and(&g).and(&ties).map_collect(|&m, &g, &t| m * g / t))]
        })
    }

    /// Population variance along `axes` (divides by `n`, like NumPy and Keras; use
    /// [`var_unbiased`](Tensor::var_unbiased) for PyTorch's default `n − 1`); negative axes
    /// count from the end.
    ///
    /// # Panics
    /// If an axis is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 3.0, 2.0, 2.0], &[2, 2]);
    /// assert_eq!(x.var(&[-1], false).to_vec(), vec![1.0, 0.0]);
    /// ```
    pub fn var(&self, axes: &[impl AxisIndex], keepdim: bool) -> Tensor {
        let axes = checked_axes("var", self.shape(), axes);
        let centred = self - &self.mean(&axes, true);
        centred.square().mean(&axes, keepdim)
    }

    /// Sample variance along `axes` (divides by `n − 1`).
    ///
    /// # Panics
    /// If an axis is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 3.0], &[1, 2]);
    /// assert_eq!(x.var_unbiased(&[-1], false).to_vec(), vec![2.0]);
    /// ```
    pub fn var_unbiased(&self, axes: &[impl AxisIndex], keepdim: bool) -> Tensor {
        let axes = checked_axes("var_unbiased", self.shape(), axes);
        let n: usize = axes.iter().map(|&a| self.shape()[a]).product();
        self.var(&axes, keepdim).mul_scalar(n as f32 / (n as f32 - 1.0))
    }

    /// Population standard deviation along `axes`.
    ///
    /// # Panics
    /// If an axis is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 3.0, 2.0, 2.0], &[2, 2]);
    /// assert_eq!(x.std(&[-1], true).to_vec(), vec![1.0, 0.0]);
    /// ```
    pub fn std(&self, axes: &[impl AxisIndex], keepdim: bool) -> Tensor {
        let axes = checked_axes("std", self.shape(), axes);
        self.var(&axes, keepdim).sqrt()
    }

    /// `log Σ exp(x)` along `axes`, computed stably as `m + log Σ exp(x − m)` with `m`
    /// the maximum; negative axes count from the end.
    ///
    /// # Panics
    /// If an axis is out of range.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1000.0, 1000.0], &[2]);
    /// assert!((x.logsumexp(&[0], false).item() - (1000.0 + 2f32.ln())).abs() < 1e-3);
    /// assert_eq!(x.logsumexp(&[-1], false).item(), x.logsumexp(&[0], false).item());
    /// ```
    pub fn logsumexp(&self, axes: &[impl AxisIndex], keepdim: bool) -> Tensor {
        let axes = checked_axes("logsumexp", self.shape(), axes);
        let m = self.max(&axes, true).detach();
        let m = Tensor::from_array(m.array().mapv(|v| if v.is_finite() { v } else { 0.0 }));
        let s = (self - &m).exp().sum(&axes, true).log() + &m;
        if keepdim {
            s
        } else {
            let (_, out) = reduced_shapes(self.shape(), &axes, false);
            s.reshape(&out)
        }
    }

    /// Index of the maximum along `axis` (−1 is the last axis; the first index at a tie);
    /// no gradient.
    ///
    /// # Panics
    /// If `axis` is out of range or empty.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 7.0, 2.0], &[2, 2]);
    /// assert_eq!(x.argmax(1, false).into_raw_vec_and_offset().0, vec![1, 0]);
    /// assert_eq!(x.argmax(-1, false), x.argmax(1, false));
    /// ```
    pub fn argmax(&self, axis: impl AxisIndex, keepdim: bool) -> ArrayD<usize> {
        self.arg_best("argmax", axis.resolve("argmax", self.shape()), keepdim, |v, best| v > best)
    }

    /// Index of the minimum along `axis` (−1 is the last axis; the first index at a tie);
    /// no gradient.
    ///
    /// # Panics
    /// If `axis` is out of range or empty.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 5.0, 7.0, 2.0], &[2, 2]);
    /// assert_eq!(x.argmin(-2, false).into_raw_vec_and_offset().0, vec![0, 1]);
    /// ```
    pub fn argmin(&self, axis: impl AxisIndex, keepdim: bool) -> ArrayD<usize> {
        self.arg_best("argmin", axis.resolve("argmin", self.shape()), keepdim, |v, best| v < best)
    }

    /// The index of the best entry of every lane along the resolved `axis`.
    fn arg_best(&self, op: &str, axis: usize, keepdim: bool, better: fn(f32, f32) -> bool) -> ArrayD<usize> {
        assert!(self.shape()[axis] > 0, "{op}: axis {axis} of shape {:?} is empty", self.shape());
        let r = self.view().map_axis(Axis(axis), |lane| {
            let mut best = 0;
            for (i, &v) in lane.iter().enumerate() {
                if better(v, lane[best]) || (lane[best].is_nan() && !v.is_nan()) {
                    best = i;
                }
            }
            best
        });
        if keepdim { r.insert_axis(Axis(axis)) } else { r }
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testing::*;

    #[test]
    fn sums_and_maxima_over_any_axes_of_strided_inputs() {
        // [3, 4, 5] read through a permutation (non-contiguous), reduced over every axis
        // subset, against sums written out with loops.
        let base: Vec<f32> = (0..60).map(|v| ((v * 37) % 23) as f32 * 0.25 - 2.0).collect();
        let x = t(&base, &[5, 4, 3]).permute(&[2, 1, 0]);
        let at = |i: usize, j: usize, k: usize| base[k * 12 + j * 3 + i];
        for axes in [vec![0], vec![1], vec![2], vec![0, 2], vec![1, 2], vec![0, 1, 2]] {
            let got = x.sum(&axes, true);
            let top = x.max(&axes, true);
            let dims = [3, 4, 5].map(|d: usize| d);
            let range = |a: usize| if axes.contains(&a) { 0..dims[a] } else { 0..1 };
            let (mut want, mut want_max) = (Vec::new(), Vec::new());
            for i in 0..if axes.contains(&0) { 1 } else { 3 } {
                for j in 0..if axes.contains(&1) { 1 } else { 4 } {
                    for k in 0..if axes.contains(&2) { 1 } else { 5 } {
                        let (mut s, mut m) = (0.0f32, f32::NEG_INFINITY);
                        for di in range(0) {
                            for dj in range(1) {
                                for dk in range(2) {
                                    let v = at(i + di, j + dj, k + dk);
                                    s += v;
                                    m = m.max(v);
                                }
                            }
                        }
                        want.push(s);
                        want_max.push(m);
                    }
                }
            }
            close(&got, &want);
            close(&top, &want_max);
        }
    }

    #[test]
    fn forward_values() {
        let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        close(&x.sum_all(), &[21.0]);
        close(&x.sum(&[0], false), &[5.0, 7.0, 9.0]);
        close(&x.mean(&[1], true), &[2.0, 5.0]);
        assert_eq!(x.mean(&[1], true).shape(), &[2, 1]);
        close(&x.max(&[0, 1], false), &[6.0]);
        close(&x.min(&[1], false), &[1.0, 4.0]);
        close(&x.var(&[1], false), &[2.0 / 3.0, 2.0 / 3.0]);
        close(&x.var_unbiased(&[1], false), &[1.0, 1.0]);
        close(&x.std(&[0], false), &[1.5, 1.5, 1.5]);
        let lse = (1f32.exp() + 2f32.exp() + 3f32.exp()).ln();
        close(&x.logsumexp(&[1], false), &[lse, lse + 3.0]);
        assert_eq!(x.argmin(0, true).shape(), &[1, 3]);
        assert_eq!(x.argmax(0, false).into_raw_vec_and_offset().0, vec![1, 1, 1]);
        // An empty axis list reduces nothing.
        close(&x.sum(&[] as &[usize], false), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = away_from_kinks(&[3, 4], -2.0, 2.0, 5);
        type R = fn(&Tensor) -> Tensor;
        let fs: Vec<(&str, R)> = vec![
            ("sum", |x| x.sum(&[1], false)),
            ("sum_keep", |x| x.sum(&[0], true)),
            ("mean", |x| x.mean(&[0, 1], false)),
            ("max", |x| x.max(&[1], false)),
            ("min", |x| x.min(&[0], true)),
            ("var", |x| x.var(&[1], false)),
            ("std", |x| x.std(&[0], false)),
            ("var_unbiased", |x| x.var_unbiased(&[1], true)),
            ("logsumexp", |x| x.logsumexp(&[1], false)),
        ];
        for (name, f) in fs {
            grad_ok(name, |xs| weighted_sum(&f(&xs[0])), &[x.clone()]);
            grad_ok(name, |xs| weighted_sum(&f(&xs[0])), &[x.transpose(0, 1)]);
        }
    }

    #[test]
    fn max_shares_the_gradient_between_ties() {
        let x = t(&[2.0, 2.0, 1.0], &[3]).requires_grad();
        assert_eq!(x.max(&[0], false).backward().get(&x).unwrap().to_vec(), vec![0.5, 0.5, 0.0]);
    }

    #[test]
    #[should_panic(expected = "sum: axis 2 is out of range for shape [2, 3]")]
    fn bad_axis_is_named() {
        Tensor::zeros(&[2, 3]).sum(&[2], false);
    }
}
