//! Comparisons (giving 0/1 masks, no gradient), `where_` selection and masking.

use ndarray::{IxDyn, Zip};

use super::broadcast::{broadcast_or_panic, reduce_to_shape, zip_map};
use crate::autograd::BackwardCtx;
use crate::tensor::Tensor;

impl Tensor {
    fn compare(&self, name: &str, other: &Tensor, f: fn(f32, f32) -> bool) -> Tensor {
        Tensor::from_array(zip_map(name, &self.view(), &other.view(), move |a, b| if f(a, b) { 1.0 } else { 0.0 }))
    }

    /// 1 where `a == b`, else 0 (broadcasting, no gradient).
    pub fn eq(&self, other: &Tensor) -> Tensor {
        self.compare("eq", other, |a, b| a == b)
    }

    /// 1 where `a != b`.
    pub fn ne(&self, other: &Tensor) -> Tensor {
        self.compare("ne", other, |a, b| a != b)
    }

    /// 1 where `a > b`.
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 3.0], &[2]);
    /// assert_eq!(a.gt(&Tensor::scalar(2.0)).to_vec(), vec![0.0, 1.0]);
    /// ```
    pub fn gt(&self, other: &Tensor) -> Tensor {
        self.compare("gt", other, |a, b| a > b)
    }

    /// 1 where `a >= b`.
    pub fn ge(&self, other: &Tensor) -> Tensor {
        self.compare("ge", other, |a, b| a >= b)
    }

    /// 1 where `a < b`.
    pub fn lt(&self, other: &Tensor) -> Tensor {
        self.compare("lt", other, |a, b| a < b)
    }

    /// 1 where `a <= b`.
    pub fn le(&self, other: &Tensor) -> Tensor {
        self.compare("le", other, |a, b| a <= b)
    }

    /// Picks `a` where `cond` is non-zero and `b` elsewhere, broadcasting all three;
    /// gradients flow to the picked side only (`torch.where`).
    ///
    /// ```
    /// # use derin_tensor::Tensor;
    /// let cond = Tensor::from_vec(vec![1.0, 0.0], &[2]);
    /// let r = Tensor::where_(&cond, &Tensor::scalar(5.0), &Tensor::from_vec(vec![7.0, 8.0], &[2]));
    /// assert_eq!(r.to_vec(), vec![5.0, 8.0]);
    /// ```
    pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor) -> Tensor {
        let ab = broadcast_or_panic("where", a.shape(), b.shape());
        let shape = broadcast_or_panic("where", cond.shape(), &ab);
        let c = cond.view().broadcast(IxDyn(&shape)).expect("checked").mapv(|v| v != 0.0);
        let out = Zip::from(&c)
            .and_broadcast(a.view())
            .and_broadcast(b.view())
            .map_collect(|&c, &x, &y| if c { x } else { y });
        Tensor::from_op("where", out, &[a, b], move |ctx: &BackwardCtx<'_>| {
            let pick = |keep: bool| Zip::from(&c).and(ctx.grad).map_collect(|&c, &g| if c == keep { g } else { 0.0 });
            vec![
                ctx.needs(0).then(|| reduce_to_shape(pick(true), ctx.inputs[0].shape())),
                ctx.needs(1).then(|| reduce_to_shape(pick(false), ctx.inputs[1].shape())),
            ]
        })
    }

    /// `value` where `mask` is non-zero, `self` elsewhere (`masked_fill`); no gradient
    /// flows to the filled places.
    pub fn masked_fill(&self, mask: &Tensor, value: f32) -> Tensor {
        Tensor::where_(mask, &Tensor::scalar(value), self)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testing::*;

    #[test]
    fn comparisons_give_masks() {
        let a = t(&[1.0, 2.0, 3.0], &[3]);
        let b = t(&[2.0], &[1]);
        close(&a.eq(&b), &[0.0, 1.0, 0.0]);
        close(&a.ne(&b), &[1.0, 0.0, 1.0]);
        close(&a.gt(&b), &[0.0, 0.0, 1.0]);
        close(&a.ge(&b), &[0.0, 1.0, 1.0]);
        close(&a.lt(&b), &[1.0, 0.0, 0.0]);
        close(&a.le(&b), &[1.0, 1.0, 0.0]);
        assert!(!a.requires_grad().gt(&b).is_tracked());
    }

    #[test]
    fn where_and_masked_fill() {
        let x = away_from_kinks(&[2, 3], -2.0, 2.0, 3);
        let cond = x.gt(&Tensor::scalar(0.0));
        let relu_by_where = Tensor::where_(&cond, &x, &Tensor::scalar(0.0));
        close(&relu_by_where, &x.relu().to_vec());
        let y = away_from_kinks(&[3], -1.0, 1.0, 4);
        grad_ok("where", |xs| weighted_sum(&Tensor::where_(&cond, &xs[0], &xs[1])), &[x.clone(), y.clone()]);
        grad_ok(
            "where_t",
            |xs| weighted_sum(&Tensor::where_(&cond.transpose(0, 1), &xs[0], &xs[1].reshape(&[3, 1]))),
            &[x.transpose(0, 1), y],
        );
        grad_ok("masked_fill", |xs| weighted_sum(&xs[0].masked_fill(&cond, -1.0)), &[x.clone()]);
        close(&t(&[1.0, 2.0], &[2]).masked_fill(&t(&[0.0, 1.0], &[2]), 9.0), &[1.0, 9.0]);
    }

    #[test]
    #[should_panic(expected = "where: shapes [2] and [3] do not broadcast")]
    fn where_names_the_shapes() {
        Tensor::where_(&Tensor::ones(&[2]), &Tensor::ones(&[2]), &Tensor::ones(&[3]));
    }
}
