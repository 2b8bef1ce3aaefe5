//! Weight penalties added to the loss: L1, L2 and both.

use derin_optim::{l1_penalty, l2_penalty};
use derin_tensor::{Param, Tensor};

/// A penalty on a weight, added to the training loss (Keras' `regularizers`).
///
/// - `L1(λ)`: `λ·Σ|w|`, pushes weights to exactly zero (sparse models).
/// - `L2(λ)`: `λ·Σw²`, "weight decay", keeps weights small against over-fitting.
/// - `L1L2 { l1, l2 }`: both.
///
/// Keras' default factor is 0.01 ([`Regularizer::l1`], [`Regularizer::l2`]).
///
/// ```
/// use derin_nn::Regularizer;
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("kernel", Tensor::from_vec(vec![1.0, -2.0], &[2]).to_array());
/// assert!((Regularizer::L2(0.1).penalty(&w).item() - 0.5).abs() < 1e-6);
/// assert!((Regularizer::L1(0.1).penalty(&w).item() - 0.3).abs() < 1e-6);
/// let both = Regularizer::L1L2 { l1: 0.1, l2: 0.1 };
/// assert!((both.penalty(&w).item() - 0.8).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Regularizer {
    /// `λ·Σ|w|`.
    L1(f32),
    /// `λ·Σw²`.
    L2(f32),
    /// `l1·Σ|w| + l2·Σw²`.
    L1L2 {
        /// The L1 factor.
        l1: f32,
        /// The L2 factor.
        l2: f32,
    },
}

impl Regularizer {
    /// L1 with Keras' default factor 0.01.
    ///
    /// ```
    /// # use derin_nn::Regularizer;
    /// assert_eq!(Regularizer::l1(), Regularizer::L1(0.01));
    /// ```
    pub fn l1() -> Self {
        Regularizer::L1(0.01)
    }

    /// L2 with Keras' default factor 0.01.
    ///
    /// ```
    /// # use derin_nn::Regularizer;
    /// assert_eq!(Regularizer::l2(), Regularizer::L2(0.01));
    /// ```
    pub fn l2() -> Self {
        Regularizer::L2(0.01)
    }

    /// The penalty on `param`, a scalar that gradients flow through.
    ///
    /// ```
    /// # use derin_nn::Regularizer;
    /// # use derin_tensor::{Param, Tensor};
    /// let w = Param::new("kernel", Tensor::from_vec(vec![3.0], &[1]).to_array());
    /// let grads = Regularizer::L2(0.5).penalty(&w).backward();
    /// assert_eq!(grads.param(&w).unwrap().as_slice().unwrap(), &[3.0]); // 2·0.5·3
    /// ```
    pub fn penalty(&self, param: &Param) -> Tensor {
        let p = std::slice::from_ref(param);
        match *self {
            Regularizer::L1(l1) => l1_penalty(p, l1),
            Regularizer::L2(l2) => l2_penalty(p, l2),
            Regularizer::L1L2 { l1, l2 } => l1_penalty(p, l1) + l2_penalty(p, l2),
        }
    }
}
