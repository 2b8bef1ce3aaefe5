//! Broadcasting arithmetic between two tensors: add, sub, mul, div, pow, maximum,
//! minimum, and the `+ - * /` operators (also with an `f32` on either side).

use std::ops::{Add, Div, Mul, Neg, Sub};

use ndarray::{ArrayD, ArrayRefD};

use super::broadcast::{reduce_to_shape, zip_map};
use crate::autograd::BackwardCtx;
use crate::tensor::Tensor;

/// A binary op's output and its backward rule from (grad, a, b) to both input gradients.
fn binary<F, B>(name: &'static str, a: &Tensor, b: &Tensor, f: F, back: B) -> Tensor
where
    F: Fn(f32, f32) -> f32 + Sync + Send,
    B: Fn(&ArrayRefD<f32>, &ArrayRefD<f32>, &ArrayRefD<f32>, &ArrayRefD<f32>, [bool; 2]) -> [Option<ArrayD<f32>>; 2]
        + Send
        + Sync
        + 'static,
{
    let out = zip_map(name, &a.view(), &b.view(), f);
    Tensor::from_op(name, out, &[a, b], move |ctx: &BackwardCtx<'_>| {
        let (x, y) = (&ctx.inputs[0].view(), &ctx.inputs[1].view());
        let [ga, gb] = back(ctx.grad, x, y, &ctx.output, [ctx.needs(0), ctx.needs(1)]);
        vec![ga.map(|g| reduce_to_shape(g, x.shape())), gb.map(|g| reduce_to_shape(g, y.shape()))]
    })
}

/// `grad · d(x, y)` over the broadcast shape of `grad`.
fn scale(
    grad: &ArrayRefD<f32>,
    x: &ArrayRefD<f32>,
    y: &ArrayRefD<f32>,
    d: impl Fn(f32, f32) -> f32 + Sync + Send,
) -> ArrayD<f32> {
    // Bring x and y to grad's shape once, then one pass over all three.
    let xy = zip_map("backward", x, y, d);
    zip_map("backward", grad, &xy, |g, s| g * s)
}

impl Tensor {
    /// `a + b`, broadcasting.
    ///
    /// # Panics
    /// If the shapes do not broadcast; the message names the op and both shapes.
    pub fn add(&self, other: &Tensor) -> Tensor {
        binary(
            "add",
            self,
            other,
            |a, b| a + b,
            |g, _, _, _, n| [n[0].then(|| g.to_owned()), n[1].then(|| g.to_owned())],
        )
    }

    /// `a − b`, broadcasting.
    pub fn sub(&self, other: &Tensor) -> Tensor {
        binary("sub", self, other, |a, b| a - b, |g, _, _, _, n| [n[0].then(|| g.to_owned()), n[1].then(|| -g)])
    }

    /// `a · b` elementwise, broadcasting.
    pub fn mul(&self, other: &Tensor) -> Tensor {
        binary(
            "mul",
            self,
            other,
            |a, b| a * b,
            |g, x, y, _, n| {
                [n[0].then(|| zip_map("mul", g, y, |g, y| g * y)), n[1].then(|| zip_map("mul", g, x, |g, x| g * x))]
            },
        )
    }

    /// `a / b` elementwise, broadcasting.
    pub fn div(&self, other: &Tensor) -> Tensor {
        binary(
            "div",
            self,
            other,
            |a, b| a / b,
            |g, x, y, _, n| {
                [n[0].then(|| zip_map("div", g, y, |g, y| g / y)), n[1].then(|| scale(g, x, y, |x, y| -x / (y * y)))]
            },
        )
    }

    /// `aᵇ` elementwise, broadcasting; `∂/∂b = aᵇ·ln a` needs `a > 0`.
    pub fn pow(&self, other: &Tensor) -> Tensor {
        binary("pow", self, other, f32::powf, |g, x, y, _, n| {
            [
                n[0].then(|| scale(g, x, y, |x, y| if y == 0.0 { 0.0 } else { y * x.powf(y - 1.0) })),
                n[1].then(|| scale(g, x, y, |x, y| if x == 0.0 { 0.0 } else { x.powf(y) * x.ln() })),
            ]
        })
    }

    /// The larger of `a` and `b` elementwise; at a tie each input gets half the gradient
    /// (as in PyTorch).
    pub fn maximum(&self, other: &Tensor) -> Tensor {
        binary("maximum", self, other, f32::max, |g, x, y, _, n| {
            let share = |mine: f32, theirs: f32| {
                if mine > theirs {
                    1.0
                } else if mine == theirs {
                    0.5
                } else {
                    0.0
                }
            };
            [n[0].then(|| scale(g, x, y, share)), n[1].then(|| scale(g, x, y, move |x, y| share(y, x)))]
        })
    }

    /// The smaller of `a` and `b` elementwise; ties split the gradient.
    pub fn minimum(&self, other: &Tensor) -> Tensor {
        binary("minimum", self, other, f32::min, |g, x, y, _, n| {
            let share = |mine: f32, theirs: f32| {
                if mine < theirs {
                    1.0
                } else if mine == theirs {
                    0.5
                } else {
                    0.0
                }
            };
            [n[0].then(|| scale(g, x, y, share)), n[1].then(|| scale(g, x, y, move |x, y| share(y, x)))]
        })
    }
}

macro_rules! operator {
    ($trait:ident, $method:ident, $tensor_fn:ident, $scalar_fn:expr, $rscalar_fn:expr) => {
        impl $trait<&Tensor> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$tensor_fn(self, rhs)
            }
        }
        impl $trait<Tensor> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::$tensor_fn(&self, &rhs)
            }
        }
        impl $trait<&Tensor> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$tensor_fn(&self, rhs)
            }
        }
        impl $trait<Tensor> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::$tensor_fn(self, &rhs)
            }
        }
        impl $trait<f32> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f32) -> Tensor {
                $scalar_fn(self, rhs)
            }
        }
        impl $trait<f32> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f32) -> Tensor {
                $scalar_fn(&self, rhs)
            }
        }
        impl $trait<&Tensor> for f32 {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                $rscalar_fn(rhs, self)
            }
        }
        impl $trait<Tensor> for f32 {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                $rscalar_fn(&rhs, self)
            }
        }
    };
}

operator!(Add, add, add, |t: &Tensor, c| t.add_scalar(c), |t: &Tensor, c| t.add_scalar(c));
operator!(Sub, sub, sub, |t: &Tensor, c: f32| t.add_scalar(-c), |t: &Tensor, c| t.rsub_scalar(c));
operator!(Mul, mul, mul, |t: &Tensor, c| t.mul_scalar(c), |t: &Tensor, c| t.mul_scalar(c));
operator!(Div, div, div, |t: &Tensor, c: f32| t.mul_scalar(1.0 / c), |t: &Tensor, c| t.rdiv_scalar(c));

impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}

impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(&self)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testing::*;

    #[test]
    fn forward_values_with_broadcasting() {
        let a = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let row = t(&[10.0, 20.0, 30.0], &[3]);
        let col = t(&[2.0, 4.0], &[2, 1]);
        close(&(&a + &row), &[11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
        close(&(&a - &col), &[-1.0, 0.0, 1.0, 0.0, 1.0, 2.0]);
        close(&(&a * &col), &[2.0, 4.0, 6.0, 16.0, 20.0, 24.0]);
        close(&(&a / &col), &[0.5, 1.0, 1.5, 1.0, 1.25, 1.5]);
        close(&a.pow(&col), &[1.0, 4.0, 9.0, 256.0, 625.0, 1296.0]);
        close(&a.maximum(&t(&[3.5], &[1])), &[3.5, 3.5, 3.5, 4.0, 5.0, 6.0]);
        close(&a.minimum(&t(&[3.5], &[])), &[1.0, 2.0, 3.0, 3.5, 3.5, 3.5]);
        close(&(2.0 - &a), &[1.0, 0.0, -1.0, -2.0, -3.0, -4.0]);
        close(&(&a / 2.0), &[0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
        close(&(6.0 / &a), &[6.0, 3.0, 2.0, 1.5, 1.2, 1.0]);
        close(&-&a, &[-1.0, -2.0, -3.0, -4.0, -5.0, -6.0]);
        // Outer sum by broadcasting [2,1] with [3].
        assert_eq!((&col + &row).shape(), &[2, 3]);
    }

    #[test]
    fn gradients_match_finite_differences_with_broadcasting() {
        let a = away_from_kinks(&[2, 3], 0.5, 2.0, 1);
        let col = away_from_kinks(&[2, 1], 0.5, 2.0, 2);
        let row = away_from_kinks(&[3], -2.0, -0.5, 3);
        type Op = fn(&Tensor, &Tensor) -> Tensor;
        let ops: Vec<(&str, Op)> = vec![
            ("add", |a, b| a + b),
            ("sub", |a, b| a - b),
            ("mul", |a, b| a * b),
            ("div", |a, b| a / b),
            ("maximum", |a, b| a.maximum(b)),
            ("minimum", |a, b| a.minimum(b)),
        ];
        for (name, op) in &ops {
            grad_ok(name, |x| weighted_sum(&op(&x[0], &x[1])), &[a.clone(), col.clone()]);
            grad_ok(name, |x| weighted_sum(&op(&x[0], &x[1])), &[a.transpose(0, 1), row.reshape(&[3, 1])]);
            grad_ok(name, |x| weighted_sum(&op(&x[0], &x[1])), &[row.clone(), a.clone()]);
        }
        grad_ok("pow", |x| weighted_sum(&x[0].pow(&x[1])), &[a.clone(), row.clone()]);
        grad_ok("pow", |x| weighted_sum(&x[0].pow(&x[1])), &[a.transpose(0, 1), col.reshape(&[2])]);
    }

    #[test]
    fn maximum_splits_ties() {
        let a = t(&[1.0, 2.0], &[2]).requires_grad();
        let b = t(&[1.0, 3.0], &[2]).requires_grad();
        let g = a.maximum(&b).sum_all().backward();
        assert_eq!(g.get(&a).unwrap().to_vec(), vec![0.5, 0.0]);
        assert_eq!(g.get(&b).unwrap().to_vec(), vec![0.5, 1.0]);
    }

    #[test]
    fn a_tensor_used_twice_gets_both_gradients() {
        let x = t(&[3.0], &[1]).requires_grad();
        let y = &(&x * &x) + &x; // dy/dx = 2x + 1
        assert_eq!(y.sum_all().backward().get(&x).unwrap().to_vec(), vec![7.0]);
    }

    #[test]
    #[should_panic(expected = "add: shapes [2, 3] and [2] do not broadcast")]
    fn shape_error_names_both_shapes() {
        let _ = &Tensor::zeros(&[2, 3]) + &Tensor::zeros(&[2]);
    }
}
