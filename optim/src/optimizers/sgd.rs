//! Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay.

use derin_tensor::{Gradients, Param};
use serde::{Deserialize, Serialize};

use super::{flat, update_flat, zeros_like};
use crate::error::{Error, Result};
use crate::optimizer::{Optimizer, with_gradients};
use crate::slots::{Core, wrong_optimizer};
use crate::state::{Hyperparameters, OptimizerState, Slot};
use crate::validate;

const NAME: &str = "Sgd";

/// Hyperparameters of [`Sgd`]. `Default` is Keras' `SGD()`: learning rate 0.01 and
/// everything else off.
///
/// ```
/// use derin_optim::{Sgd, SgdConfig};
/// let config = SgdConfig { momentum: 0.9, nesterov: true, ..SgdConfig::default() };
/// assert_eq!(Sgd::try_new(config).unwrap().config().learning_rate, 0.01);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Step size `lr`, ≥ 0. Keras 0.01; PyTorch has no default.
    pub learning_rate: f32,
    /// Momentum factor `μ`, in [0, 1]; 0 turns momentum off (no buffer is kept).
    pub momentum: f32,
    /// Dampening `τ` of the momentum buffer, in [0, 1] (PyTorch's; Keras has none, i.e. 0).
    pub dampening: f32,
    /// Nesterov momentum; needs `momentum > 0` and `dampening == 0` (as in PyTorch).
    pub nesterov: bool,
    /// L2 penalty `λ` added to the gradient (PyTorch's coupled weight decay), ≥ 0.
    pub weight_decay: f32,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { learning_rate: 0.01, momentum: 0.0, dampening: 0.0, nesterov: false, weight_decay: 0.0 }
    }
}

fn validate(c: &SgdConfig) -> Result<()> {
    validate::non_negative(NAME, "learning_rate", c.learning_rate)?;
    validate::unit_closed(NAME, "momentum", c.momentum)?;
    validate::unit_closed(NAME, "dampening", c.dampening)?;
    validate::non_negative(NAME, "weight_decay", c.weight_decay)?;
    if c.nesterov && (c.momentum == 0.0 || c.dampening != 0.0) {
        return Err(Error::Incompatible {
            owner: NAME,
            reason: format!(
                "nesterov needs momentum > 0 and dampening = 0, got momentum {} and dampening {}",
                c.momentum, c.dampening
            ),
        });
    }
    Ok(())
}

/// Gradient descent, with optional momentum, dampening, Nesterov momentum and weight decay
/// (PyTorch's `SGD` semantics; Keras' `SGD` defaults).
///
/// **Batch, stochastic and mini-batch gradient descent are this one rule**, fed gradients
/// of a loss averaged over all n training samples (batch GD), over 1 sample (stochastic
/// GD) or over k samples (mini-batch GD): the batch size is a choice of the training
/// loop, not of the optimizer.
///
/// Each step, for a parameter `θ` with gradient `g`, learning rate `lr`, momentum `μ`,
/// dampening `τ`, weight decay `λ` and momentum buffer `b`:
///
/// ```text
/// d = g + λ·θ
/// if μ ≠ 0:
///     b = d                       on the parameter's first step
///     b = μ·b + (1 − τ)·d         afterwards
///     d = d + μ·b  (Nesterov)  or  d = b
/// θ = θ − lr·d
/// ```
///
/// With `τ = 0` and a constant learning rate this is Keras' `SGD` exactly (Keras keeps
/// `−lr·b` in its buffer: `m = μ·m − lr·g`, `θ = θ + m`). With a schedule the two differ:
/// here a new learning rate scales the whole buffer at once, as in PyTorch.
///
/// ```
/// use derin_optim::{Optimizer, Sgd, SgdConfig};
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("w", Tensor::from_vec(vec![1.0], &[1]).to_array());
/// let mut opt = Sgd::try_new(SgdConfig { learning_rate: 0.1, momentum: 0.5, ..SgdConfig::default() }).unwrap();
/// for _ in 0..2 {
///     let grads = w.value().sum_all().backward(); // g = 1 every step
///     opt.step(&[w.clone()], &grads);
/// }
/// // b = 1, θ = 1 − 0.1 = 0.9; then b = 0.5 + 1 = 1.5, θ = 0.9 − 0.15 = 0.75
/// assert!((w.value().item() - 0.75).abs() < 1e-6);
/// ```
#[doc(alias = "SGD")]
#[derive(Clone, Debug)]
pub struct Sgd {
    config: SgdConfig,
    core: Core,
}

impl Sgd {
    /// Keras' defaults: learning rate 0.01, no momentum.
    ///
    /// ```
    /// use derin_optim::{Optimizer, Sgd};
    /// assert_eq!(Sgd::new().learning_rate(), 0.01);
    /// ```
    pub fn new() -> Self {
        Sgd { config: SgdConfig::default(), core: Core::default() }
    }

    /// An optimizer with these hyperparameters.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`] naming the first value out of range;
    /// [`Error::Incompatible`] for Nesterov without momentum or with dampening.
    ///
    /// ```
    /// use derin_optim::{Sgd, SgdConfig};
    /// let err = Sgd::try_new(SgdConfig { nesterov: true, ..SgdConfig::default() }).unwrap_err();
    /// assert!(err.to_string().contains("nesterov needs momentum > 0"));
    /// ```
    pub fn try_new(config: SgdConfig) -> Result<Self> {
        validate(&config)?;
        Ok(Sgd { config, core: Core::default() })
    }

    /// The hyperparameters.
    ///
    /// ```
    /// use derin_optim::Sgd;
    /// assert!(!Sgd::new().config().nesterov);
    /// ```
    pub fn config(&self) -> &SgdConfig {
        &self.config
    }

    fn slot_names(c: &SgdConfig) -> &'static [Slot] {
        if c.momentum != 0.0 { &[Slot::Momentum] } else { &[] }
    }
}

impl Default for Sgd {
    fn default() -> Self {
        Sgd::new()
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &[Param], grads: &Gradients) {
        let todo = with_gradients(NAME, params, grads);
        if todo.is_empty() {
            return;
        }
        let SgdConfig { learning_rate: lr, momentum: mu, dampening, nesterov, weight_decay: wd } = self.config;
        let keep = super::one_minus(dampening);
        for (p, g) in todo {
            if mu == 0.0 {
                update_flat(p, g, wd == 0.0, Vec::new(), |theta, g, _| {
                    for (t, &g) in theta.iter_mut().zip(g) {
                        *t -= lr * (g + wd * *t);
                    }
                });
                continue;
            }
            let (slots, fresh) = self.core.slots(NAME, p, g.shape(), || zeros_like(g.shape(), 1));
            update_flat(p, g, false, flat(slots), |theta, g, slots| {
                for ((t, &g), b) in theta.iter_mut().zip(g).zip(slots[0].iter_mut()) {
                    let d = g + wd * *t;
                    *b = if fresh { d } else { mu * *b + keep * d };
                    let d = if nesterov { d + mu * *b } else { *b };
                    *t -= lr * d;
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
        self.core.state(Hyperparameters::Sgd(self.config), Self::slot_names(&self.config))
    }

    fn load_state(&mut self, state: &OptimizerState, params: &[Param]) -> Result<()> {
        let Hyperparameters::Sgd(config) = state.hyperparameters else { return Err(wrong_optimizer(NAME, state)) };
        validate(&config)?;
        let core = Core::load(NAME, state, Self::slot_names(&config), params)?;
        *self = Sgd { config, core };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizers::testing::{assert_close, run};

    fn sgd(learning_rate: f32, momentum: f32, dampening: f32, nesterov: bool, weight_decay: f32) -> Sgd {
        Sgd::try_new(SgdConfig { learning_rate, momentum, dampening, nesterov, weight_decay }).unwrap()
    }

    #[test]
    fn plain_step_by_hand() {
        // θ = [1, -2], g = [0.5, -1], lr 0.1: θ - 0.1·g = [0.95, -1.9]
        let out = run(&mut sgd(0.1, 0.0, 0.0, false, 0.0), &[1.0, -2.0], &[&[0.5, -1.0]]);
        assert_close(&out[0], &[0.95, -1.9], 1e-7);
    }

    #[test]
    fn momentum_by_hand() {
        // lr 0.1, μ 0.9, g1 = [1, 2], g2 = [1, -1], θ0 = [0, 0]
        // step 1: b = g1 = [1, 2]; θ = -0.1·b = [-0.1, -0.2]
        // step 2: b = 0.9·[1, 2] + [1, -1] = [1.9, 0.8]; θ = [-0.1 - 0.19, -0.2 - 0.08] = [-0.29, -0.28]
        let out = run(&mut sgd(0.1, 0.9, 0.0, false, 0.0), &[0.0, 0.0], &[&[1.0, 2.0], &[1.0, -1.0]]);
        assert_close(&out[0], &[-0.1, -0.2], 1e-7);
        assert_close(&out[1], &[-0.29, -0.28], 1e-6);
    }

    #[test]
    fn nesterov_dampening_and_weight_decay_by_hand() {
        // Nesterov, lr 0.1, μ 0.5, θ0 = [1], g = [1], [1]
        // step 1: b = 1; d = 1 + 0.5·1 = 1.5; θ = 1 - 0.15 = 0.85
        // step 2: b = 0.5 + 1 = 1.5; d = 1 + 0.75 = 1.75; θ = 0.85 - 0.175 = 0.675
        let out = run(&mut sgd(0.1, 0.5, 0.0, true, 0.0), &[1.0], &[&[1.0], &[1.0]]);
        assert_close(&out[1], &[0.675], 1e-6);
        // dampening 0.5, weight decay 0.1, lr 0.1, μ 0.5, θ0 = [1], g = [1], [1]
        // step 1: d = 1 + 0.1 = 1.1; b = 1.1 (no dampening on the first step); θ = 1 - 0.11 = 0.89
        // step 2: d = 1 + 0.089 = 1.089; b = 0.55 + 0.5·1.089 = 1.0945; θ = 0.89 - 0.10945 = 0.78055
        let out = run(&mut sgd(0.1, 0.5, 0.5, false, 0.1), &[1.0], &[&[1.0], &[1.0]]);
        assert_close(&out[0], &[0.89], 1e-6);
        assert_close(&out[1], &[0.78055], 1e-6);
    }

    #[test]
    fn invalid_hyperparameters_are_errors() {
        let bad = |c: SgdConfig| Sgd::try_new(c).unwrap_err().to_string();
        let d = SgdConfig::default();
        assert_eq!(bad(SgdConfig { learning_rate: -0.1, ..d }), "Sgd: learning_rate must be >= 0 and finite, got -0.1");
        assert_eq!(bad(SgdConfig { momentum: 1.5, ..d }), "Sgd: momentum must be in [0, 1], got 1.5");
        assert!(bad(SgdConfig { nesterov: true, momentum: 0.9, dampening: 0.1, ..d }).contains("dampening 0.1"));
    }

    #[test]
    #[should_panic(expected = "Sgd::step: two parameters are named \"w\"")]
    fn duplicate_names_panic() {
        let a = Param::new("w", derin_tensor::Tensor::zeros(&[1]).to_array());
        let b = Param::new("w", derin_tensor::Tensor::zeros(&[1]).to_array());
        let grads = (a.value() + b.value()).sum_all().backward();
        Sgd::new().step(&[a, b], &grads);
    }
}
