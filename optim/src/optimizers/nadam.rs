//! Nadam: Adam with Nesterov momentum, through Dozat's momentum-cache schedule.

use derin_tensor::{Gradients, Param};
use serde::{Deserialize, Serialize};

use super::{flat, one_minus, update_flat, zeros_like};
use crate::error::Result;
use crate::optimizer::{Optimizer, with_gradients};
use crate::slots::{Core, wrong_optimizer};
use crate::state::{Hyperparameters, OptimizerState, Slot};
use crate::validate;

const NAME: &str = "Nadam";
const SLOTS: &[Slot] = &[Slot::Momentum, Slot::Velocity];

/// Hyperparameters of [`Nadam`]. `Default` is Keras' `Nadam()`: learning rate 0.001,
/// β₁ 0.9, β₂ 0.999, ε 1e-7, momentum cache `β₁·(1 − ½·0.96ᵗ)` (`momentum_decay` 1).
///
/// PyTorch's `NAdam()` is `NadamConfig { learning_rate: 0.002, epsilon: 1e-8, momentum_decay:
/// 0.004, ..NadamConfig::default() }`.
///
/// ```
/// use derin_optim::{Nadam, NadamConfig};
/// let opt = Nadam::try_new(NadamConfig { momentum_decay: 0.004, ..NadamConfig::default() }).unwrap();
/// assert_eq!(opt.config().beta_1, 0.9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NadamConfig {
    /// Step size `lr`, ≥ 0.
    pub learning_rate: f32,
    /// Decay `β₁` of the first moment, in [0, 1).
    pub beta_1: f32,
    /// Decay `β₂` of the second moment, in [0, 1).
    pub beta_2: f32,
    /// `ε` > 0, added to `√v̂` (Keras and PyTorch agree here).
    pub epsilon: f32,
    /// `ψ` ≥ 0 in the momentum cache `μₜ = β₁·(1 − ½·0.96^(t·ψ))`: 1 for Keras 3,
    /// 0.004 for PyTorch (and Keras 2's `schedule_decay`).
    pub momentum_decay: f32,
}

impl Default for NadamConfig {
    fn default() -> Self {
        NadamConfig { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, momentum_decay: 1.0 }
    }
}

fn validate(c: &NadamConfig) -> Result<()> {
    validate::non_negative(NAME, "learning_rate", c.learning_rate)?;
    validate::unit_open(NAME, "beta_1", c.beta_1)?;
    validate::unit_open(NAME, "beta_2", c.beta_2)?;
    validate::positive(NAME, "epsilon", c.epsilon)?;
    validate::non_negative(NAME, "momentum_decay", c.momentum_decay)
}

/// `μₜ = β₁·(1 − ½·0.96^(t·ψ))`.
fn momentum_cache(c: &NadamConfig, t: f64) -> f64 {
    c.beta_1 as f64 * (1.0 - 0.5 * 0.96f64.powf(t * c.momentum_decay as f64))
}

/// `Πμ` after `steps` steps, multiplied up in the order the steps did (stopping early
/// once it has underflowed to 0, where it stays).
fn cache_product(c: &NadamConfig, steps: u64) -> f64 {
    let mut prod = 1.0;
    for t in 1..=steps {
        if prod == 0.0 {
            break;
        }
        prod *= momentum_cache(c, t as f64);
    }
    prod
}

/// Nadam (Dozat, 2016): Adam whose first moment looks one step ahead, Nesterov-style
/// (Keras' `Nadam`).
///
/// Each step `t = 1, 2, …`, for `θ` with gradient `g`, with the momentum cache
/// `μₜ = β₁·(1 − ½·0.96^(t·ψ))` and its running product `Πₜ = μ₁·…·μₜ`:
///
/// ```text
/// m = m + (1 − β₁)·(g − m)                            (slot "momentum")
/// v = v + (1 − β₂)·(g² − v)                           (slot "velocity")
/// m̂ = μₜ₊₁·m / (1 − Πₜ·μₜ₊₁) + (1 − μₜ)·g / (1 − Πₜ)
/// v̂ = v / (1 − β₂ᵗ)
/// θ = θ − lr·m̂ / (√v̂ + ε)
/// ```
///
/// This is Keras 3's `update_step` (`keras/src/optimizers/nadam.py`, with `ψ = 1`: it
/// writes `0.96 ** t`) and PyTorch's `NAdam` (with `ψ = momentum_decay = 0.004`); ε sits
/// outside the square root of the bias-corrected `v̂` in both. `Πₜ` is not saved: it is a
/// function of the step count and is recomputed by [`load_state`](Optimizer::load_state).
///
/// ```
/// use derin_optim::{Nadam, NadamConfig, Optimizer};
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("w", Tensor::from_vec(vec![1.0], &[1]).to_array());
/// let mut opt = Nadam::try_new(NadamConfig { learning_rate: 0.1, ..NadamConfig::default() }).unwrap();
/// opt.step(&[w.clone()], &w.value().sum_all().backward()); // g = 1
/// // μ₁ = 0.9·(1 − 0.48) = 0.468, μ₂ = 0.9·(1 − 0.4608) = 0.48528; m = 0.1, v̂ = 1
/// // m̂ = 0.48528·0.1/(1 − 0.468·0.48528) + 0.532/0.532 = 1.0627878…
/// assert!((w.value().item() - (1.0 - 0.10627878)).abs() < 1e-6);
/// ```
#[doc(alias = "NAdam")]
#[derive(Clone, Debug)]
pub struct Nadam {
    config: NadamConfig,
    core: Core,
    /// `Πₜ` for `t = core.iterations`.
    cache_product: f64,
}

impl Nadam {
    /// Keras' defaults (see [`NadamConfig`]).
    ///
    /// ```
    /// use derin_optim::Nadam;
    /// assert_eq!(Nadam::new().config().momentum_decay, 1.0);
    /// ```
    pub fn new() -> Self {
        Nadam { config: NadamConfig::default(), core: Core::default(), cache_product: 1.0 }
    }

    /// An optimizer with these hyperparameters.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) naming the first value out of range.
    ///
    /// ```
    /// use derin_optim::{Nadam, NadamConfig};
    /// let err = Nadam::try_new(NadamConfig { beta_1: 1.0, ..NadamConfig::default() }).unwrap_err();
    /// assert_eq!(err.to_string(), "Nadam: beta_1 must be in [0, 1), got 1");
    /// ```
    pub fn try_new(config: NadamConfig) -> Result<Self> {
        validate(&config)?;
        Ok(Nadam { config, core: Core::default(), cache_product: 1.0 })
    }

    /// The hyperparameters.
    ///
    /// ```
    /// use derin_optim::Nadam;
    /// assert_eq!(Nadam::new().config().epsilon, 1e-7);
    /// ```
    pub fn config(&self) -> &NadamConfig {
        &self.config
    }
}

impl Default for Nadam {
    fn default() -> Self {
        Nadam::new()
    }
}

impl Optimizer for Nadam {
    fn step(&mut self, params: &[Param], grads: &Gradients) {
        let todo = with_gradients(NAME, params, grads);
        if todo.is_empty() {
            return;
        }
        let c = self.config;
        let t = (self.core.iterations + 1) as f64;
        let (mu, mu_next) = (momentum_cache(&c, t), momentum_cache(&c, t + 1.0));
        self.cache_product *= mu;
        let prod = self.cache_product;
        let coef_m = (mu_next / (1.0 - prod * mu_next)) as f32;
        let coef_g = ((1.0 - mu) / (1.0 - prod)) as f32;
        let c2 = (1.0 - (c.beta_2 as f64).powf(t)) as f32;
        let (k1, k2) = (one_minus(c.beta_1), one_minus(c.beta_2));
        for (p, g) in todo {
            let (slots, _) = self.core.slots(NAME, p, g.shape(), || zeros_like(g.shape(), SLOTS.len()));
            update_flat(p, g, false, flat(slots), |theta, g, slots| {
                let [m, v] = slots else { unreachable!("m and v slots") };
                for i in 0..theta.len() {
                    let gi = g[i];
                    m[i] += (gi - m[i]) * k1;
                    v[i] += (gi * gi - v[i]) * k2;
                    let m_hat = coef_m * m[i] + coef_g * gi;
                    theta[i] -= c.learning_rate * m_hat / ((v[i] / c2).sqrt() + c.epsilon);
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
        self.core.state(Hyperparameters::Nadam(self.config), SLOTS)
    }

    fn load_state(&mut self, state: &OptimizerState, params: &[Param]) -> Result<()> {
        let Hyperparameters::Nadam(config) = state.hyperparameters else { return Err(wrong_optimizer(NAME, state)) };
        validate(&config)?;
        let core = Core::load(NAME, state, SLOTS, params)?;
        let cache_product = cache_product(&config, core.iterations);
        *self = Nadam { config, core, cache_product };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizers::testing::{assert_close, run};

    #[test]
    fn two_steps_by_hand() {
        // lr 0.1, β₁ 0.5, β₂ 0.75, ε 0.5, ψ 1, θ0 = 0, g = 2 then 2.
        // μ₁ = 0.5·(1 - 0.48) = 0.26, μ₂ = 0.5·(1 - 0.4608) = 0.2696, μ₃ = 0.5·(1 - 0.442368) = 0.278816
        // step 1: m = 1, v = 1, v̂ = 1/0.25 = 4, Π₁ = 0.26
        //   m̂ = 0.2696·1/(1 - 0.26·0.2696) + 0.74·2/0.74 = 0.2696/0.929904 + 2 = 2.289922401
        //   θ = -0.1·2.289922401/(2 + 0.5) = -0.091596896
        // step 2: m = 1.5, v = 1 + 0.25·3 = 1.75, v̂ = 1.75/0.4375 = 4, Π₂ = 0.26·0.2696 = 0.070096
        //   m̂ = 0.278816·1.5/(1 - 0.070096·0.278816) + 0.7304·2/(1 - 0.070096)
        //     = 0.418224/0.980456 + 1.4608/0.929904 = 0.426560702 + 1.570914847 = 1.997475549
        //   θ -= 0.1·1.997475549/2.5 = 0.079899022 → -0.171495918
        let c = NadamConfig { learning_rate: 0.1, beta_1: 0.5, beta_2: 0.75, epsilon: 0.5, momentum_decay: 1.0 };
        let out = run(&mut Nadam::try_new(c).unwrap(), &[0.0], &[&[2.0], &[2.0]]);
        assert_close(&out[0], &[-0.091596896], 1e-6);
        assert_close(&out[1], &[-0.171495918], 1e-6);
    }

    #[test]
    fn cache_product_is_recomputed_on_load() {
        let mut opt = Nadam::new();
        run(&mut opt, &[1.0, 2.0], &[&[1.0, 1.0], &[0.5, -1.0], &[2.0, 0.0]]);
        let p = Param::new("w", derin_tensor::Tensor::zeros(&[2]).to_array());
        let mut fresh = Nadam::new();
        fresh.load_state(&opt.state(), &[p]).unwrap();
        assert_eq!(fresh.cache_product.to_bits(), opt.cache_product.to_bits());
    }
}
