//! Matrix products: 2-D, batched (batch axes broadcast like NumPy's `matmul`), and
//! vectors promoted as NumPy does.

use ndarray::{ArrayD, ArrayView2, ArrayViewD, Axis, Ix2, IxDyn};

use super::broadcast::{broadcast_or_panic, reduce_to_shape};
use crate::autograd::BackwardCtx;
use crate::kernels::gemm::{sgemm, sgemm_new};
use crate::tensor::Tensor;

/// The 2-D matrix at batch position `idx` of a view whose last two axes are the matrix.
fn matrix<'a>(v: &ArrayViewD<'a, f32>, idx: &[usize]) -> ArrayView2<'a, f32> {
    let mut m = v.clone();
    for &i in idx {
        m.index_axis_inplace(Axis(0), i);
    }
    m.into_dimensionality::<Ix2>().expect("two axes left")
}

/// `v` with its last two axes swapped when `yes`.
fn maybe_t(v: ArrayViewD<'_, f32>, yes: bool) -> ArrayViewD<'_, f32> {
    if !yes {
        return v;
    }
    let n = v.ndim();
    let mut order: Vec<usize> = (0..n).collect();
    order.swap(n - 2, n - 1);
    v.permuted_axes(order)
}

/// `a · b` over broadcast batch axes, optionally with either matrix transposed.
fn batched(a: ArrayViewD<'_, f32>, b: ArrayViewD<'_, f32>, ta: bool, tb: bool) -> ArrayD<f32> {
    let (a, b) = (maybe_t(a, ta), maybe_t(b, tb));
    let (ar, br) = (a.ndim(), b.ndim());
    let (m, k, n) = (a.shape()[ar - 2], a.shape()[ar - 1], b.shape()[br - 1]);
    let batch = broadcast_or_panic("matmul", &a.shape()[..ar - 2], &b.shape()[..br - 2]);
    let with_batch = |r: usize, c: usize| batch.iter().copied().chain([r, c]).collect::<Vec<_>>();
    let a = a.broadcast(IxDyn(&with_batch(m, k))).expect("batch axes broadcast");
    let b = b.broadcast(IxDyn(&with_batch(k, n))).expect("batch axes broadcast");
    if batch.is_empty() {
        let (a, b) = (a.into_dimensionality::<Ix2>().expect("2-D"), b.into_dimensionality::<Ix2>().expect("2-D"));
        return sgemm_new(a, b).into_dyn();
    }
    let mut out_shape = batch.clone();
    out_shape.extend([m, n]);
    let mut out = ArrayD::<f32>::zeros(IxDyn(&out_shape));
    let count: usize = batch.iter().product();
    let mut idx = vec![0usize; batch.len()];
    for flat in 0..count {
        let mut rem = flat;
        for (d, &size) in batch.iter().enumerate().rev() {
            idx[d] = rem % size;
            rem /= size;
        }
        let mut c = out.view_mut();
        for &i in &idx {
            c.index_axis_inplace(Axis(0), i);
        }
        let c = c.into_dimensionality::<Ix2>().expect("two axes left");
        sgemm(matrix(&a, &idx), matrix(&b, &idx), c, false);
    }
    out
}

impl Tensor {
    /// Matrix product, like `numpy.matmul`/`torch.matmul`: `[.., m, k] · [.., k, n]` →
    /// `[.., m, n]` with the batch axes broadcast; a 1-D left operand is a row vector and
    /// a 1-D right operand a column vector, their axis dropped from the result.
    ///
    /// # Panics
    /// If the inner sizes differ or the batch axes do not broadcast; the message names
    /// both shapes.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let b = Tensor::from_vec(vec![5.0, 6.0], &[2, 1]);
    /// assert_eq!(a.matmul(&b).to_vec(), vec![17.0, 39.0]);
    /// ```
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        let (ra, rb) = (self.ndim(), other.ndim());
        assert!(
            ra >= 1 && rb >= 1,
            "matmul: needs at least 1-D operands, got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        if ra == 1 {
            let out = self.unsqueeze(0).matmul(other);
            // [1, k]·[k] has already dropped its column axis, leaving the row axis last.
            return out.squeeze(out.ndim() - if rb == 1 { 1 } else { 2 });
        }
        if rb == 1 {
            let out = self.matmul(&other.unsqueeze(1));
            return out.squeeze(out.ndim() - 1);
        }
        let k = self.shape()[ra - 1];
        assert_eq!(
            k,
            other.shape()[rb - 2],
            "matmul: shapes {:?} and {:?} do not chain (inner sizes {} and {})",
            self.shape(),
            other.shape(),
            k,
            other.shape()[rb - 2]
        );
        let out = batched(self.view(), other.view(), false, false);
        Tensor::from_op("matmul", out, &[self, other], |ctx: &BackwardCtx<'_>| {
            let (a, b) = (ctx.inputs[0].array(), ctx.inputs[1].array());
            let g = ctx.grad.view();
            vec![
                ctx.needs(0).then(|| reduce_to_shape(batched(g.clone(), b.view(), false, true), a.shape())),
                ctx.needs(1).then(|| reduce_to_shape(batched(a.view(), g.clone(), true, false), b.shape())),
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testing::*;

    #[test]
    fn forward_values() {
        let a = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let b = t(&[1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
        close(&a.matmul(&b), &[4.0, 5.0, 10.0, 11.0]);
        // Batched with a broadcast right operand.
        let batch = Tensor::stack(&[&a, &(&a * 2.0)], 0);
        close(&batch.matmul(&b), &[4.0, 5.0, 10.0, 11.0, 8.0, 10.0, 20.0, 22.0]);
        // Vectors promote and drop their axis.
        close(&a.matmul(&t(&[1.0, 1.0, 1.0], &[3])), &[6.0, 15.0]);
        close(&t(&[1.0, 1.0], &[2]).matmul(&a), &[5.0, 7.0, 9.0]);
        assert_eq!(t(&[1.0, 2.0], &[2]).matmul(&t(&[3.0, 4.0], &[2])).shape(), &[] as &[usize]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let a = away_from_kinks(&[3, 4], -1.0, 1.0, 1);
        let b = away_from_kinks(&[4, 2], -1.0, 1.0, 2);
        grad_ok("matmul", |x| weighted_sum(&x[0].matmul(&x[1])), &[a.clone(), b.clone()]);
        grad_ok(
            "matmul_t",
            |x| weighted_sum(&x[0].matmul(&x[1])),
            &[a.transpose(0, 1).transpose(0, 1), b.transpose(0, 1).reshape(&[2, 4]).transpose(0, 1)],
        );
        let ab = away_from_kinks(&[2, 3, 4], -1.0, 1.0, 3);
        grad_ok("batched", |x| weighted_sum(&x[0].matmul(&x[1])), &[ab.clone(), b.clone()]);
        grad_ok(
            "batched_both",
            |x| weighted_sum(&x[0].matmul(&x[1])),
            &[ab, away_from_kinks(&[2, 4, 2], -1.0, 1.0, 4)],
        );
        grad_ok("vec", |x| weighted_sum(&x[0].matmul(&x[1])), &[a, away_from_kinks(&[4], -1.0, 1.0, 5)]);
    }

    #[test]
    #[should_panic(expected = "matmul: shapes [2, 3] and [2, 3] do not chain (inner sizes 3 and 2)")]
    fn shape_error_names_both_shapes() {
        Tensor::zeros(&[2, 3]).matmul(&Tensor::zeros(&[2, 3]));
    }
}
