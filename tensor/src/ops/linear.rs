//! `linear`: `x·w + b` as one op (PyTorch's `addmm`), the bias added into the product's
//! own array, and its gradient a column sum.

use ndarray::{ArrayView2, Axis, IxDyn};

use crate::autograd::BackwardCtx;
use crate::kernels::gemm::sgemm_new;
use crate::tensor::Tensor;

/// `a` as a `rows × cols` matrix: a 2-D tensor as it lies (any strides), a row-major one
/// reshaped; a copy only for another layout of more axes.
fn as_matrix(a: &Tensor, rows: usize, cols: usize) -> ndarray::CowArray<'_, f32, ndarray::Ix2> {
    if a.ndim() == 2 {
        return a.view().into_dimensionality().expect("2-D").into();
    }
    match a.view().into_shape_with_order((rows, cols)) {
        Ok(m) => m.into(),
        Err(_) => {
            a.view().as_standard_layout().into_owned().into_shape_with_order((rows, cols)).expect("same size").into()
        }
    }
}

impl Tensor {
    /// `self · w + b` over the last axis, a dense layer's product in one op: `self`
    /// `[.., in]`, `w` `[in, out]` (Keras' kernel layout), `b` `[out]`, output `[.., out]`.
    ///
    /// The same values as `matmul` then `+`, faster: the bias is added in place (no second
    /// array), and backward makes the bias gradient as one column sum without copying the
    /// incoming gradient.
    ///
    /// # Panics
    /// If `w` is not 2-D, `self` is 0-d, the inner sizes differ, or `b` is not `[out]`; the
    /// message names the shapes.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[1, 2]);
    /// let w = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[2, 3]);
    /// let b = Tensor::from_vec(vec![0.5, 0.5, 0.5], &[3]);
    /// assert_eq!(x.linear(&w, Some(&b)).to_vec(), vec![3.5, 2.5, 2.5]);
    /// assert_eq!(x.linear(&w, None).to_vec(), x.matmul(&w).to_vec());
    /// ```
    pub fn linear(&self, w: &Tensor, b: Option<&Tensor>) -> Tensor {
        assert!(
            w.ndim() == 2 && self.ndim() >= 1 && self.shape()[self.ndim() - 1] == w.shape()[0],
            "linear: input of shape {:?} and kernel of shape {:?} do not chain ([.., in] and [in, out])",
            self.shape(),
            w.shape()
        );
        let (k, n) = (w.shape()[0], w.shape()[1]);
        if let Some(b) = b {
            assert_eq!(b.shape(), &[n], "linear: bias of shape {:?} for a kernel of shape {:?}", b.shape(), w.shape());
        }
        let m = self.len() / k.max(1);
        let mut out_shape = self.shape().to_vec();
        *out_shape.last_mut().expect("at least 1-D") = n;
        let mut out = sgemm_new(as_matrix(self, m, k).view(), w.view().into_dimensionality().expect("2-D"));
        if let Some(b) = b {
            // In place, in the product's own array: the same sums as
            // `matmul` then `+`, so a row's result does not depend on the batch around it.
            out += &b.view();
        }
        let out = out.into_shape_with_order(IxDyn(&out_shape)).expect("same size");
        let inputs: Vec<&Tensor> = [Some(self), Some(w), b].into_iter().flatten().collect();
        Tensor::from_op("linear", out, &inputs, move |ctx: &BackwardCtx<'_>| {
            let (x, w) = (&ctx.inputs[0], &ctx.inputs[1]);
            let g = ctx.grad.as_standard_layout();
            let g: ArrayView2<'_, f32> = g.view().into_shape_with_order((m, n)).expect("output shape");
            let w2: ArrayView2<'_, f32> = w.view().into_dimensionality().expect("2-D");
            let mut grads = Vec::with_capacity(ctx.inputs.len());
            grads.push(
                ctx.needs(0)
                    .then(|| sgemm_new(g, w2.t()).into_shape_with_order(IxDyn(x.shape())).expect("input shape")),
            );
            grads.push(ctx.needs(1).then(|| sgemm_new(as_matrix(x, m, k).t(), g).into_dyn()));
            if ctx.inputs.len() == 3 {
                grads.push(ctx.needs(2).then(|| g.sum_axis(Axis(0)).into_dyn()));
            }
            grads
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testing::*;

    #[test]
    fn equals_matmul_plus_bias_forward_and_backward() {
        let x = away_from_kinks(&[2, 3, 4], -1.0, 1.0, 1).requires_grad();
        let w = away_from_kinks(&[4, 5], -1.0, 1.0, 2).requires_grad();
        let b = away_from_kinks(&[5], -1.0, 1.0, 3).requires_grad();
        let fused = x.linear(&w, Some(&b));
        let plain = x.matmul(&w) + &b;
        assert_eq!(fused.shape(), &[2, 3, 5]);
        assert_eq!(fused.to_vec(), plain.to_vec(), "the same sums");
        let (gf, gp) = (weighted_sum(&fused).backward(), weighted_sum(&plain).backward());
        for t in [&x, &w, &b] {
            close(&gf.get(t).unwrap(), &gp.get(t).unwrap().to_vec());
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = away_from_kinks(&[3, 4], -1.0, 1.0, 4);
        let w = away_from_kinks(&[4, 2], -1.0, 1.0, 5);
        let b = away_from_kinks(&[2], -1.0, 1.0, 6);
        grad_ok("linear", |v| weighted_sum(&v[0].linear(&v[1], Some(&v[2]))), &[x.clone(), w.clone(), b]);
        grad_ok("linear without bias", |v| weighted_sum(&v[0].linear(&v[1], None)), &[x.clone(), w.clone()]);
        // A permuted (non-contiguous) input and kernel.
        grad_ok("linear of views", |v| weighted_sum(&v[0].t().linear(&v[1].t(), None)), &[x.t(), w.t()]);
        grad_ok(
            "linear of a vector",
            |v| weighted_sum(&v[0].linear(&v[1], None)),
            &[away_from_kinks(&[4], -1.0, 1.0, 7), w],
        );
    }

    #[test]
    fn only_the_needed_gradients_are_made() {
        let x = Tensor::ones(&[2, 3]);
        let w = Tensor::ones(&[3, 2]).requires_grad();
        let grads = x.linear(&w, None).sum_all().backward();
        assert_eq!(grads.len(), 1);
        assert_eq!(grads.get(&w).unwrap().to_vec(), vec![2.0; 6]);
    }

    #[test]
    #[should_panic(expected = "linear: input of shape [2, 3] and kernel of shape [4, 2] do not chain")]
    fn names_the_shapes_that_do_not_chain() {
        Tensor::ones(&[2, 3]).linear(&Tensor::ones(&[4, 2]), None);
    }

    #[test]
    #[should_panic(expected = "linear: bias of shape [3] for a kernel of shape [3, 2]")]
    fn names_a_bias_of_the_wrong_shape() {
        Tensor::ones(&[2, 3]).linear(&Tensor::ones(&[3, 2]), Some(&Tensor::ones(&[3])));
    }
}
