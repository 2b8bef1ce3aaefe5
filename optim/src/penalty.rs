//! L1 and L2 weight penalties, differentiable, to add to a loss.

use derin_tensor::{Param, Tensor};

/// `Σ over params of f(value)`, tracked; a zero scalar when `params` is empty.
fn sum_over(params: &[Param], f: impl Fn(&Tensor) -> Tensor) -> Tensor {
    params.iter().map(|p| f(&p.value()).sum_all()).reduce(|a, b| a + b).unwrap_or_else(|| Tensor::scalar(0.0))
}

/// The L1 penalty `λ·Σ|w|` over every element of every parameter (Keras'
/// `regularizers.L1(l1=λ)`), as a differentiable scalar to add to the loss.
///
/// Its gradient is `λ·sign(w)` (0 at 0).
///
/// ```
/// use derin_optim::l1_penalty;
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("kernel", Tensor::from_vec(vec![1.0, -2.0], &[2]).to_array());
/// let penalty = l1_penalty(&[w.clone()], 0.1);
/// assert!((penalty.item() - 0.3).abs() < 1e-7);
/// let grads = penalty.backward();
/// assert_eq!(grads.param(&w).unwrap().as_slice().unwrap(), &[0.1, -0.1]);
/// ```
pub fn l1_penalty(params: &[Param], lambda: f32) -> Tensor {
    sum_over(params, Tensor::abs) * lambda
}

/// The L2 penalty `λ·Σw²` over every element of every parameter (Keras'
/// `regularizers.L2(l2=λ)`; no ½), as a differentiable scalar to add to the loss.
///
/// Its gradient is `2λ·w`. (PyTorch's `weight_decay=λ'` in SGD adds `λ'·w` to the
/// gradient, i.e. this penalty with `λ = λ'/2`.)
///
/// ```
/// use derin_optim::l2_penalty;
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("kernel", Tensor::from_vec(vec![1.0, -2.0], &[2]).to_array());
/// let penalty = l2_penalty(&[w.clone()], 0.1);
/// assert!((penalty.item() - 0.5).abs() < 1e-7);
/// let grads = penalty.backward();
/// assert_eq!(grads.param(&w).unwrap().as_slice().unwrap(), &[0.2, -0.4]);
/// ```
pub fn l2_penalty(params: &[Param], lambda: f32) -> Tensor {
    sum_over(params, Tensor::square) * lambda
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central finite differences of `f` with respect to every element of `p`, against `backward`.
    fn check_against_finite_differences(p: &Param, f: impl Fn() -> Tensor) {
        let analytic: Vec<f32> = f().backward().param(p).unwrap().iter().copied().collect();
        let x0 = p.value().to_array();
        let h = 1e-2;
        for i in 0..x0.len() {
            let at = |d: f32| {
                let mut x = x0.clone();
                x.as_slice_mut().unwrap()[i] += d;
                p.set(x);
                f().item()
            };
            let numeric = (at(h) - at(-h)) / (2.0 * h);
            assert!((numeric - analytic[i]).abs() < 1e-3, "element {i}: {numeric} vs {}", analytic[i]);
        }
        p.set(x0);
    }

    #[test]
    fn values_over_several_params() {
        // a = [1, -2], b = [[0.5], [-0.5]]: Σ|w| = 4, Σw² = 5.5
        let a = Param::new("a", Tensor::from_vec(vec![1.0, -2.0], &[2]).to_array());
        let b = Param::new("b", Tensor::from_vec(vec![0.5, -0.5], &[2, 1]).to_array());
        let ps = [a, b];
        assert!((l1_penalty(&ps, 0.01).item() - 0.04).abs() < 1e-8);
        assert!((l2_penalty(&ps, 0.01).item() - 0.055).abs() < 1e-8);
        assert_eq!(l2_penalty(&[], 0.01).item(), 0.0);
    }

    #[test]
    fn gradients_match_finite_differences() {
        // Values away from 0, where |w| has its kink.
        let w = Param::new("w", Tensor::from_vec(vec![0.7, -1.3, 2.1, -0.4], &[2, 2]).to_array());
        let ps = [w.clone()];
        check_against_finite_differences(&w, || l1_penalty(&ps, 0.3));
        check_against_finite_differences(&w, || l2_penalty(&ps, 0.3));
    }
}
