//! Adagrad: per-parameter step sizes that shrink with the sum of squared gradients.

use derin_tensor::ndarray::{ArrayD, IxDyn};
use derin_tensor::{Gradients, Param};
use serde::{Deserialize, Serialize};

use super::{EpsilonPlacement, flat, update_flat};
use crate::error::Result;
use crate::optimizer::{Optimizer, with_gradients};
use crate::slots::{Core, wrong_optimizer};
use crate::state::{Hyperparameters, OptimizerState, Slot};
use crate::validate;

const NAME: &str = "Adagrad";
const SLOTS: &[Slot] = &[Slot::Accumulator];

/// Hyperparameters of [`Adagrad`]. `Default` is Keras' `Adagrad()`: learning rate 0.001,
/// initial accumulator 0.1, ε 1e-7 inside the square root.
///
/// PyTorch's `Adagrad()` is `AdagradConfig { learning_rate: 0.01, initial_accumulator_value:
/// 0.0, epsilon: 1e-10, epsilon_placement: EpsilonPlacement::OutsideSqrt }` (its `lr_decay`
/// is a schedule here: [`InverseTimeDecay`](crate::InverseTimeDecay)).
///
/// ```
/// use derin_optim::{Adagrad, AdagradConfig};
/// let opt = Adagrad::try_new(AdagradConfig { learning_rate: 0.1, ..AdagradConfig::default() }).unwrap();
/// assert_eq!(opt.config().initial_accumulator_value, 0.1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdagradConfig {
    /// Step size `lr`, ≥ 0.
    pub learning_rate: f32,
    /// The accumulator's starting value, ≥ 0.
    pub initial_accumulator_value: f32,
    /// `ε` > 0.
    pub epsilon: f32,
    /// Where `ε` goes (Keras: inside the square root, PyTorch: outside).
    pub epsilon_placement: EpsilonPlacement,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            learning_rate: 0.001,
            initial_accumulator_value: 0.1,
            epsilon: 1e-7,
            epsilon_placement: EpsilonPlacement::InsideSqrt,
        }
    }
}

fn validate(c: &AdagradConfig) -> Result<()> {
    validate::non_negative(NAME, "learning_rate", c.learning_rate)?;
    validate::non_negative(NAME, "initial_accumulator_value", c.initial_accumulator_value)?;
    validate::positive(NAME, "epsilon", c.epsilon)
}

/// Adagrad (Duchi et al., 2011): each gradient divided by the root of the sum of all its
/// squared predecessors (Keras' `Adagrad`).
///
/// Each step, for `θ` with gradient `g` and accumulator `A` (starting at
/// `initial_accumulator_value`, slot "accumulator"):
///
/// ```text
/// A = A + g²
/// θ = θ − lr·g / √(A + ε)     (EpsilonPlacement::InsideSqrt, Keras)
/// θ = θ − lr·g / (√A + ε)     (EpsilonPlacement::OutsideSqrt, PyTorch)
/// ```
///
/// Keras 3 (`keras/src/optimizers/adagrad.py`) divides by `sqrt(accumulator + epsilon)`;
/// PyTorch by `state_sum.sqrt() + eps`.
///
/// ```
/// use derin_optim::{Adagrad, AdagradConfig, Optimizer};
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("w", Tensor::from_vec(vec![1.0], &[1]).to_array());
/// let config = AdagradConfig { learning_rate: 0.1, initial_accumulator_value: 0.0, ..AdagradConfig::default() };
/// let mut opt = Adagrad::try_new(config).unwrap();
/// opt.step(&[w.clone()], &(w.value() * 3.0).sum_all().backward()); // g = 3
/// assert!((w.value().item() - 0.9).abs() < 1e-6); // 1 − 0.1·3/√9
/// ```
#[derive(Clone, Debug)]
pub struct Adagrad {
    config: AdagradConfig,
    core: Core,
}

impl Adagrad {
    /// Keras' defaults (see [`AdagradConfig`]).
    ///
    /// ```
    /// use derin_optim::{Adagrad, EpsilonPlacement};
    /// assert_eq!(Adagrad::new().config().epsilon_placement, EpsilonPlacement::InsideSqrt);
    /// ```
    pub fn new() -> Self {
        Adagrad { config: AdagradConfig::default(), core: Core::default() }
    }

    /// An optimizer with these hyperparameters.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) naming the first value out of range.
    ///
    /// ```
    /// use derin_optim::{Adagrad, AdagradConfig};
    /// let bad = AdagradConfig { initial_accumulator_value: -1.0, ..AdagradConfig::default() };
    /// assert!(Adagrad::try_new(bad).unwrap_err().to_string().contains("initial_accumulator_value"));
    /// ```
    pub fn try_new(config: AdagradConfig) -> Result<Self> {
        validate(&config)?;
        Ok(Adagrad { config, core: Core::default() })
    }

    /// The hyperparameters.
    ///
    /// ```
    /// use derin_optim::Adagrad;
    /// assert_eq!(Adagrad::new().config().learning_rate, 0.001);
    /// ```
    pub fn config(&self) -> &AdagradConfig {
        &self.config
    }
}

impl Default for Adagrad {
    fn default() -> Self {
        Adagrad::new()
    }
}

impl Optimizer for Adagrad {
    fn step(&mut self, params: &[Param], grads: &Gradients) {
        let todo = with_gradients(NAME, params, grads);
        if todo.is_empty() {
            return;
        }
        let c = self.config;
        for (p, g) in todo {
            let init = || vec![ArrayD::from_elem(IxDyn(g.shape()), c.initial_accumulator_value)];
            let (slots, _) = self.core.slots(NAME, p, g.shape(), init);
            // A zero gradient adds nothing to the accumulator and moves nothing.
            update_flat(p, g, true, flat(slots), |theta, g, slots| {
                for ((t, &g), a) in theta.iter_mut().zip(g).zip(slots[0].iter_mut()) {
                    *a += g * g;
                    *t -= c.learning_rate * g / c.epsilon_placement.denominator(*a, c.epsilon);
                }
            });
        }
        self.core.iterations += 1;
    }

    fn learning_rate(&self) -> f32 {
        self.config.learning_rate
    }

    fn set_learning_rate(&mut self, lr: f32) {
        validate::assert_learning_rate(NAME, lr);
        self.config.learning_rate = lr;
    }

    fn iterations(&self) -> u64 {
        self.core.iterations
    }

    fn state(&self) -> OptimizerState {
        self.core.state(Hyperparameters::Adagrad(self.config), SLOTS)
    }

    fn load_state(&mut self, state: &OptimizerState, params: &[Param]) -> Result<()> {
        let Hyperparameters::Adagrad(config) = state.hyperparameters else { return Err(wrong_optimizer(NAME, state)) };
        validate(&config)?;
        let core = Core::load(NAME, state, SLOTS, params)?;
        *self = Adagrad { config, core };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizers::testing::{assert_close, run};

    #[test]
    fn two_steps_by_hand_both_placements() {
        // lr 0.1, A0 = 0.1, ε 0.5, θ0 = [0, 1], g1 = [1, 0], g2 = [2, 1].
        // step 1: A = [1.1, 0.1]
        //   inside:  θ = [-0.1/√1.6, 1] = [-0.079056942, 1]
        //   outside: θ = [-0.1/(√1.1 + 0.5), 1] = [-0.1/1.548808848, 1] = [-0.064565747, 1]
        // step 2: A = [5.1, 1.1]
        //   inside:  θ -= [0.2/√5.6, 0.1/√1.6] = [0.084515425, 0.079056942]
        //            → [-0.163572367, 0.920943058]
        //   outside: θ -= [0.2/(√5.1 + 0.5), 0.1/(√1.1 + 0.5)] = [0.072507957, 0.064565747]
        //            → [-0.137073704, 0.935434253]
        let gs: &[&[f32]] = &[&[1.0, 0.0], &[2.0, 1.0]];
        let config = |epsilon_placement| AdagradConfig {
            learning_rate: 0.1,
            initial_accumulator_value: 0.1,
            epsilon: 0.5,
            epsilon_placement,
        };
        let inside = run(&mut Adagrad::try_new(config(EpsilonPlacement::InsideSqrt)).unwrap(), &[0.0, 1.0], gs);
        assert_close(&inside[0], &[-0.079056942, 1.0], 1e-6);
        assert_close(&inside[1], &[-0.163572367, 0.920943058], 1e-6);
        let outside = run(&mut Adagrad::try_new(config(EpsilonPlacement::OutsideSqrt)).unwrap(), &[0.0, 1.0], gs);
        assert_close(&outside[0], &[-0.064565747, 1.0], 1e-6);
        assert_close(&outside[1], &[-0.137073704, 0.935434253], 1e-6);
    }
}
