//! AdamW: Adam with decoupled weight decay.

use derin_tensor::{Gradients, Param};
use serde::{Deserialize, Serialize};

use super::adam::{AdamConfig, AdamEpsilon, adam_step, slot_names, validate as validate_adam};
use crate::error::Result;
use crate::optimizer::Optimizer;
use crate::slots::{Core, wrong_optimizer};
use crate::state::{Hyperparameters, OptimizerState};
use crate::validate;

const NAME: &str = "AdamW";

/// Hyperparameters of [`AdamW`]. `Default` is Keras' `AdamW()`: weight decay 0.004, the
/// rest as [`AdamConfig`]'s default (learning rate 0.001, β₁ 0.9, β₂ 0.999, ε 1e-7 in the
/// "epsilon hat" form, no AMSGrad).
///
/// PyTorch's `AdamW()` is `AdamWConfig { weight_decay: 0.01, epsilon: 1e-8, epsilon_mode:
/// AdamEpsilon::AfterBiasCorrection, ..AdamWConfig::default() }`.
///
/// ```
/// use derin_optim::{AdamW, AdamWConfig};
/// let opt = AdamW::try_new(AdamWConfig { weight_decay: 0.01, ..AdamWConfig::default() }).unwrap();
/// assert_eq!(opt.config().weight_decay, 0.01);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamWConfig {
    /// Step size `lr`, ≥ 0.
    pub learning_rate: f32,
    /// Decoupled weight decay `λ`, ≥ 0 (Keras 0.004, PyTorch 0.01).
    pub weight_decay: f32,
    /// Decay `β₁` of the first moment, in [0, 1).
    pub beta_1: f32,
    /// Decay `β₂` of the second moment, in [0, 1).
    pub beta_2: f32,
    /// `ε` > 0 (Keras 1e-7, PyTorch 1e-8).
    pub epsilon: f32,
    /// AMSGrad: divide by the running maximum of `v`.
    pub amsgrad: bool,
    /// Where `ε` sits relative to the bias correction.
    pub epsilon_mode: AdamEpsilon,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        let a = AdamConfig::default();
        AdamWConfig {
            learning_rate: a.learning_rate,
            weight_decay: 0.004,
            beta_1: a.beta_1,
            beta_2: a.beta_2,
            epsilon: a.epsilon,
            amsgrad: a.amsgrad,
            epsilon_mode: a.epsilon_mode,
        }
    }
}

impl AdamWConfig {
    fn adam(&self) -> AdamConfig {
        AdamConfig {
            learning_rate: self.learning_rate,
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            epsilon: self.epsilon,
            amsgrad: self.amsgrad,
            epsilon_mode: self.epsilon_mode,
        }
    }
}

fn validate(c: &AdamWConfig) -> Result<()> {
    validate_adam(NAME, &c.adam())?;
    validate::non_negative(NAME, "weight_decay", c.weight_decay)
}

/// AdamW (Loshchilov & Hutter, 2019): [`Adam`](crate::Adam) with the weight decay taken
/// out of the gradient and applied to the weights directly (Keras' and PyTorch's `AdamW`).
///
/// Each step, before the Adam update (see [`Adam`](crate::Adam) for the rest, `ε` included):
///
/// ```text
/// θ = θ − lr·λ·θ
/// ```
///
/// Keras applies this in `Optimizer._apply_weight_decay` (`θ −= θ·λ·lr`) before
/// `update_step`; PyTorch multiplies `θ` by `1 − lr·λ`. Both decay by the current learning
/// rate, so a schedule scales the decay too. The defaults differ: Keras λ = 0.004,
/// PyTorch λ = 0.01.
///
/// ```
/// use derin_optim::{AdamW, AdamWConfig, Optimizer};
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("w", Tensor::from_vec(vec![2.0], &[1]).to_array());
/// let mut opt = AdamW::try_new(AdamWConfig { learning_rate: 0.1, weight_decay: 0.5, ..AdamWConfig::default() }).unwrap();
/// let grads = (w.value() * 0.0).sum_all().backward(); // g = 0: only the decay moves θ
/// opt.step(&[w.clone()], &grads);
/// assert!((w.value().item() - 1.9).abs() < 1e-6); // 2 − 0.1·0.5·2
/// ```
#[derive(Clone, Debug)]
pub struct AdamW {
    config: AdamWConfig,
    core: Core,
}

impl AdamW {
    /// Keras' defaults (see [`AdamWConfig`]).
    ///
    /// ```
    /// use derin_optim::AdamW;
    /// assert_eq!(AdamW::new().config().weight_decay, 0.004);
    /// ```
    pub fn new() -> Self {
        AdamW { config: AdamWConfig::default(), core: Core::default() }
    }

    /// An optimizer with these hyperparameters.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) naming the first value out of range.
    ///
    /// ```
    /// use derin_optim::{AdamW, AdamWConfig};
    /// let err = AdamW::try_new(AdamWConfig { weight_decay: -1.0, ..AdamWConfig::default() }).unwrap_err();
    /// assert_eq!(err.to_string(), "AdamW: weight_decay must be >= 0 and finite, got -1");
    /// ```
    pub fn try_new(config: AdamWConfig) -> Result<Self> {
        validate(&config)?;
        Ok(AdamW { config, core: Core::default() })
    }

    /// The hyperparameters.
    ///
    /// ```
    /// use derin_optim::AdamW;
    /// assert_eq!(AdamW::new().config().learning_rate, 0.001);
    /// ```
    pub fn config(&self) -> &AdamWConfig {
        &self.config
    }
}

impl Default for AdamW {
    fn default() -> Self {
        AdamW::new()
    }
}

impl Optimizer for AdamW {
    fn step(&mut self, params: &[Param], grads: &Gradients) {
        adam_step(NAME, &self.config.adam(), self.config.weight_decay, &mut self.core, params, grads);
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
        self.core.state(Hyperparameters::AdamW(self.config), slot_names(&self.config.adam()))
    }

    fn load_state(&mut self, state: &OptimizerState, params: &[Param]) -> Result<()> {
        let Hyperparameters::AdamW(config) = state.hyperparameters else { return Err(wrong_optimizer(NAME, state)) };
        validate(&config)?;
        let core = Core::load(NAME, state, slot_names(&config.adam()), params)?;
        *self = AdamW { config, core };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizers::testing::{assert_close, run};

    #[test]
    fn decay_then_adam_by_hand() {
        // lr 0.1, λ 0.5, β₁ 0.5, β₂ 0.75, ε 0.5 (hat), θ0 = 1, g = 2.
        // decay: θ = 1 - 0.1·0.5·1 = 0.95
        // Adam (as in adam.rs' test): m = 1, v = 1, step = 0.1·1/1.5 = 0.066666667
        // θ = 0.95 - 0.066666667 = 0.883333333
        let c = AdamWConfig {
            learning_rate: 0.1,
            weight_decay: 0.5,
            beta_1: 0.5,
            beta_2: 0.75,
            epsilon: 0.5,
            ..AdamWConfig::default()
        };
        let out = run(&mut AdamW::try_new(c).unwrap(), &[1.0], &[&[2.0]]);
        assert_close(&out[0], &[0.883333333], 1e-6);
    }

    #[test]
    fn zero_decay_is_adam() {
        let c = AdamWConfig { weight_decay: 0.0, learning_rate: 0.1, ..AdamWConfig::default() };
        let gs: &[&[f32]] = &[&[1.0, -2.0], &[0.5, 0.25]];
        let w = run(&mut AdamW::try_new(c).unwrap(), &[1.0, 2.0], gs);
        let a = AdamConfig { learning_rate: 0.1, ..AdamConfig::default() };
        let plain = run(&mut crate::Adam::try_new(a).unwrap(), &[1.0, 2.0], gs);
        assert_eq!(w, plain);
    }
}
