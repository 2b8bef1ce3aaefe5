//! Adam: bias-corrected moving averages of the gradient and its square, with optional AMSGrad.

use derin_tensor::{Gradients, Param};
use serde::{Deserialize, Serialize};

use super::{flat, one_minus, update_flat, zeros_like};
use crate::error::Result;
use crate::optimizer::{Optimizer, with_gradients};
use crate::slots::{Core, wrong_optimizer};
use crate::state::{Hyperparameters, OptimizerState, Slot};
use crate::validate;

const NAME: &str = "Adam";

/// How Adam's epsilon meets the bias corrections `c₁ = 1 − β₁ᵗ`, `c₂ = 1 − β₂ᵗ`.
///
/// ```
/// use derin_optim::{AdamConfig, AdamEpsilon};
/// assert_eq!(AdamConfig::default().epsilon_mode, AdamEpsilon::Hat);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdamEpsilon {
    /// Keras / TensorFlow, "epsilon hat" (Kingma & Ba, just before §2.1): the corrections
    /// fold into the step size, `θ −= lr·√c₂/c₁ · m / (√v + ε)`.
    Hat,
    /// PyTorch, Algorithm 1 of the paper: `θ −= lr/c₁ · m / (√v/√c₂ + ε)`.
    AfterBiasCorrection,
}

/// Hyperparameters of [`Adam`]. `Default` is Keras' `Adam()`: learning rate 0.001,
/// β₁ 0.9, β₂ 0.999, ε 1e-7 in the "epsilon hat" form, no AMSGrad.
///
/// PyTorch's `Adam()` is `AdamConfig { epsilon: 1e-8, epsilon_mode:
/// AdamEpsilon::AfterBiasCorrection, ..AdamConfig::default() }`.
///
/// ```
/// use derin_optim::{Adam, AdamConfig};
/// let opt = Adam::try_new(AdamConfig { amsgrad: true, ..AdamConfig::default() }).unwrap();
/// assert!(opt.config().amsgrad);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Step size `lr`, ≥ 0.
    pub learning_rate: f32,
    /// Decay `β₁` of the first moment, in [0, 1).
    pub beta_1: f32,
    /// Decay `β₂` of the second moment, in [0, 1).
    pub beta_2: f32,
    /// `ε` > 0 (Keras 1e-7, PyTorch 1e-8).
    pub epsilon: f32,
    /// AMSGrad (Reddi et al., 2018): divide by the running maximum of `v`.
    pub amsgrad: bool,
    /// Where `ε` sits relative to the bias correction.
    pub epsilon_mode: AdamEpsilon,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            learning_rate: 0.001,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            amsgrad: false,
            epsilon_mode: AdamEpsilon::Hat,
        }
    }
}

pub(crate) fn validate(owner: &'static str, c: &AdamConfig) -> Result<()> {
    validate::non_negative(owner, "learning_rate", c.learning_rate)?;
    validate::unit_open(owner, "beta_1", c.beta_1)?;
    validate::unit_open(owner, "beta_2", c.beta_2)?;
    validate::positive(owner, "epsilon", c.epsilon)
}

/// Slots in storage order: momentum (`m`), velocity (`v`), velocity hat (AMSGrad).
pub(crate) fn slot_names(c: &AdamConfig) -> &'static [Slot] {
    if c.amsgrad { &[Slot::Momentum, Slot::Velocity, Slot::VelocityHat] } else { &[Slot::Momentum, Slot::Velocity] }
}

/// One Adam step on every parameter with a gradient, after decoupled weight decay
/// `θ −= lr·λ·θ` when `weight_decay` (λ) is not 0; increments the step counter.
pub(crate) fn adam_step(
    owner: &'static str,
    c: &AdamConfig,
    weight_decay: f32,
    core: &mut Core,
    params: &[Param],
    grads: &Gradients,
) {
    let todo = with_gradients(owner, params, grads);
    if todo.is_empty() {
        return;
    }
    let t = (core.iterations + 1) as f64;
    let c1 = 1.0 - (c.beta_1 as f64).powf(t);
    let c2 = 1.0 - (c.beta_2 as f64).powf(t);
    let lr = c.learning_rate as f64;
    // θ −= scale · m / (√v · root_scale + ε)
    let (scale, root_scale) = match c.epsilon_mode {
        AdamEpsilon::Hat => ((lr * c2.sqrt() / c1) as f32, 1.0),
        AdamEpsilon::AfterBiasCorrection => ((lr / c1) as f32, (1.0 / c2.sqrt()) as f32),
    };
    let decay = (lr * weight_decay as f64) as f32;
    let (k1, k2) = (one_minus(c.beta_1), one_minus(c.beta_2));
    let count = slot_names(c).len();
    for (p, g) in todo {
        let (slots, _) = core.slots(owner, p, g.shape(), || zeros_like(g.shape(), count));
        update_flat(p, g, false, flat(slots), |theta, g, slots| {
            let [m, v, rest @ ..] = slots else { unreachable!("m and v slots") };
            let mut v_hat = rest.first_mut();
            for i in 0..theta.len() {
                let gi = g[i];
                if decay != 0.0 {
                    theta[i] -= theta[i] * decay;
                }
                m[i] += (gi - m[i]) * k1;
                v[i] += (gi * gi - v[i]) * k2;
                let v_used = match v_hat.as_deref_mut() {
                    Some(h) => {
                        h[i] = h[i].max(v[i]);
                        h[i]
                    }
                    None => v[i],
                };
                theta[i] -= scale * m[i] / (v_used.sqrt() * root_scale + c.epsilon);
            }
        });
    }
    core.iterations += 1;
}

/// Adam (Kingma & Ba, 2014): moving averages of the gradient and its square, with bias
/// correction; optional AMSGrad (Keras' `Adam`).
///
/// Each step `t = 1, 2, …`, for `θ` with gradient `g`:
///
/// ```text
/// m = m + (1 − β₁)·(g − m)                  (slot "momentum")
/// v = v + (1 − β₂)·(g² − v)                 (slot "velocity")
/// AMSGrad: v̂ = max(v̂, v), used in place of v  (slot "velocity_hat")
/// c₁ = 1 − β₁ᵗ,  c₂ = 1 − β₂ᵗ
/// AdamEpsilon::Hat (Keras):                  θ = θ − lr·√c₂/c₁ · m / (√v + ε)
/// AdamEpsilon::AfterBiasCorrection (PyTorch): θ = θ − lr/c₁ · m / (√v/√c₂ + ε)
/// ```
///
/// Keras 3 (`keras/src/optimizers/adam.py`) computes `alpha = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)` and
/// `θ −= alpha·m/(√v + ε)`, the "epsilon hat" form, which is the default here. The two
/// forms differ only through ε: PyTorch's ε equals a Keras ε of `ε·√c₂`. The bias
/// corrections use the optimizer's global step count (Keras), not a per-parameter one
/// (PyTorch); they agree unless some parameter skips steps.
///
/// ```
/// use derin_optim::{Adam, AdamConfig, Optimizer};
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("w", Tensor::from_vec(vec![1.0], &[1]).to_array());
/// let mut opt = Adam::try_new(AdamConfig { learning_rate: 0.1, ..AdamConfig::default() }).unwrap();
/// opt.step(&[w.clone()], &w.value().sum_all().backward()); // g = 1
/// // m = 0.1, v = 0.001; lr·√c₂/c₁ = 0.1·√0.001/0.1; θ = 1 − √0.001·0.1/(√0.001 + 1e-7) ≈ 0.9
/// assert!((w.value().item() - 0.9).abs() < 1e-5);
/// ```
#[derive(Clone, Debug)]
pub struct Adam {
    config: AdamConfig,
    core: Core,
}

impl Adam {
    /// Keras' defaults (see [`AdamConfig`]).
    ///
    /// ```
    /// use derin_optim::Adam;
    /// assert_eq!(Adam::new().config().beta_2, 0.999);
    /// ```
    pub fn new() -> Self {
        Adam { config: AdamConfig::default(), core: Core::default() }
    }

    /// An optimizer with these hyperparameters.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) naming the first value out of range.
    ///
    /// ```
    /// use derin_optim::{Adam, AdamConfig};
    /// let err = Adam::try_new(AdamConfig { learning_rate: f32::NAN, ..AdamConfig::default() }).unwrap_err();
    /// assert_eq!(err.to_string(), "Adam: learning_rate must be >= 0 and finite, got NaN");
    /// ```
    pub fn try_new(config: AdamConfig) -> Result<Self> {
        validate(NAME, &config)?;
        Ok(Adam { config, core: Core::default() })
    }

    /// The hyperparameters.
    ///
    /// ```
    /// use derin_optim::Adam;
    /// assert_eq!(Adam::new().config().epsilon, 1e-7);
    /// ```
    pub fn config(&self) -> &AdamConfig {
        &self.config
    }
}

impl Default for Adam {
    fn default() -> Self {
        Adam::new()
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &[Param], grads: &Gradients) {
        adam_step(NAME, &self.config, 0.0, &mut self.core, params, grads);
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
        self.core.state(Hyperparameters::Adam(self.config), slot_names(&self.config))
    }

    fn load_state(&mut self, state: &OptimizerState, params: &[Param]) -> Result<()> {
        let Hyperparameters::Adam(config) = state.hyperparameters else { return Err(wrong_optimizer(NAME, state)) };
        validate(NAME, &config)?;
        let core = Core::load(NAME, state, slot_names(&config), params)?;
        *self = Adam { config, core };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizers::testing::{assert_close, run};

    fn adam(epsilon: f32, amsgrad: bool, epsilon_mode: AdamEpsilon) -> Adam {
        let c = AdamConfig { learning_rate: 0.1, beta_1: 0.5, beta_2: 0.75, epsilon, amsgrad, epsilon_mode };
        Adam::try_new(c).unwrap()
    }

    #[test]
    fn two_steps_by_hand_both_epsilon_modes() {
        // lr 0.1, β₁ 0.5, β₂ 0.75, ε 0.5, θ0 = 0, g = 2 then 1.
        // step 1: m = 1, v = 0.25·4 = 1, c₁ = 0.5, c₂ = 0.25
        //   hat:   θ = -0.1·√0.25/0.5 · 1/(1 + 0.5) = -0.1·1/1.5 = -0.066666667
        //   after: θ = -0.1/0.5 · 1/(1/0.5 + 0.5) = -0.2/2.5 = -0.08
        // step 2: m = 1 + 0.5·(1 - 1) = 1, v = 1 + 0.25·(1 - 1) = 1, c₁ = 0.75, c₂ = 0.4375
        //   hat:   θ -= 0.1·√0.4375/0.75 · 1/1.5 = 0.1·0.661437828/0.75/1.5 = 0.058794474 → -0.125461141
        //   after: θ -= 0.1/0.75 · 1/(1/0.661437828 + 0.5) = 0.133333333/2.011857892 = 0.066273766 → -0.146273766
        let hat = run(&mut adam(0.5, false, AdamEpsilon::Hat), &[0.0], &[&[2.0], &[1.0]]);
        assert_close(&hat[0], &[-0.066666667], 1e-6);
        assert_close(&hat[1], &[-0.125461141], 1e-6);
        let after = run(&mut adam(0.5, false, AdamEpsilon::AfterBiasCorrection), &[0.0], &[&[2.0], &[1.0]]);
        assert_close(&after[0], &[-0.08], 1e-6);
        assert_close(&after[1], &[-0.146273766], 1e-6);
    }

    #[test]
    fn amsgrad_divides_by_the_largest_velocity() {
        // lr 0.1, β₁ 0.5, β₂ 0.75, ε 1e-7 (negligible), hat form, θ0 = 0, g = 2 then 0.
        // step 1: m = 1, v = v̂ = 1; θ = -0.1·0.5/0.5·1/1 = -0.1
        // step 2: m = 0.5, v = 0.75 < v̂ = 1; c₁ = 0.75, c₂ = 0.4375
        //   θ -= 0.1·0.661437828/0.75 · 0.5/√1 = 0.044095855 → -0.144095855
        //   (without AMSGrad: 0.5/√0.75 instead, → -0.150917654)
        let ams = run(&mut adam(1e-7, true, AdamEpsilon::Hat), &[0.0], &[&[2.0], &[0.0]]);
        assert_close(&ams[1], &[-0.144095855], 1e-6);
        let plain = run(&mut adam(1e-7, false, AdamEpsilon::Hat), &[0.0], &[&[2.0], &[0.0]]);
        assert_close(&plain[1], &[-0.150917654], 1e-6);
    }

    #[test]
    fn invalid_beta_is_an_error() {
        let err = Adam::try_new(AdamConfig { beta_2: -0.1, ..AdamConfig::default() }).unwrap_err();
        assert_eq!(err.to_string(), "Adam: beta_2 must be in [0, 1), got -0.1");
    }
}
