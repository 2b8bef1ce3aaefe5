//! RMSprop: gradients divided by a moving root mean square, with optional momentum and centering.

use derin_tensor::{Gradients, Param};
use serde::{Deserialize, Serialize};

use super::{flat, one_minus, update_flat, zeros_like};
use crate::error::Result;
use crate::optimizer::{Optimizer, with_gradients};
use crate::slots::{Core, wrong_optimizer};
use crate::state::{Hyperparameters, OptimizerState, Slot};
use crate::validate;

const NAME: &str = "RmsProp";

/// Where epsilon goes when a gradient is divided by the root of a second-moment estimate `s`.
///
/// ```
/// use derin_optim::{EpsilonPlacement, RmsPropConfig};
/// assert_eq!(RmsPropConfig::default().epsilon_placement, EpsilonPlacement::InsideSqrt);
/// let torch_like = RmsPropConfig { epsilon_placement: EpsilonPlacement::OutsideSqrt, ..RmsPropConfig::default() };
/// assert_eq!(torch_like.epsilon_placement.denominator(4.0, 1.0), 3.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EpsilonPlacement {
    /// `g / √(s + ε)`: Keras' RMSprop and Adagrad.
    InsideSqrt,
    /// `g / (√s + ε)`: PyTorch's RMSprop and Adagrad.
    OutsideSqrt,
}

impl EpsilonPlacement {
    /// The denominator for second moment `s`: `√(s + ε)` or `√s + ε`.
    ///
    /// ```
    /// use derin_optim::EpsilonPlacement;
    /// assert_eq!(EpsilonPlacement::InsideSqrt.denominator(3.0, 1.0), 2.0);
    /// ```
    #[inline]
    pub fn denominator(self, s: f32, epsilon: f32) -> f32 {
        match self {
            EpsilonPlacement::InsideSqrt => (s + epsilon).sqrt(),
            EpsilonPlacement::OutsideSqrt => s.sqrt() + epsilon,
        }
    }
}

/// Hyperparameters of [`RmsProp`]. `Default` is Keras' `RMSprop()`: learning rate 0.001,
/// ρ 0.9, no momentum, ε 1e-7 inside the square root, not centered.
///
/// PyTorch's `RMSprop()` is `RmsPropConfig { learning_rate: 0.01, rho: 0.99, epsilon: 1e-8,
/// epsilon_placement: EpsilonPlacement::OutsideSqrt, ..RmsPropConfig::default() }`.
///
/// ```
/// use derin_optim::{RmsProp, RmsPropConfig};
/// let config = RmsPropConfig { momentum: 0.9, centered: true, ..RmsPropConfig::default() };
/// assert!(RmsProp::try_new(config).unwrap().config().centered);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RmsPropConfig {
    /// Step size `lr`, ≥ 0 (Keras 0.001, PyTorch 0.01).
    pub learning_rate: f32,
    /// Decay `ρ` of the moving averages, in [0, 1) (Keras 0.9; PyTorch calls it `alpha`, 0.99).
    pub rho: f32,
    /// Momentum `μ`, in [0, 1]; 0 keeps no momentum buffer.
    pub momentum: f32,
    /// `ε` > 0 (Keras 1e-7, PyTorch 1e-8).
    pub epsilon: f32,
    /// Divide by an estimate of the gradient's variance instead of its second moment.
    pub centered: bool,
    /// Where `ε` goes (Keras: inside the square root, PyTorch: outside).
    pub epsilon_placement: EpsilonPlacement,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            learning_rate: 0.001,
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7,
            centered: false,
            epsilon_placement: EpsilonPlacement::InsideSqrt,
        }
    }
}

fn validate(c: &RmsPropConfig) -> Result<()> {
    validate::non_negative(NAME, "learning_rate", c.learning_rate)?;
    validate::unit_open(NAME, "rho", c.rho)?;
    validate::unit_closed(NAME, "momentum", c.momentum)?;
    validate::positive(NAME, "epsilon", c.epsilon)
}

/// RMSprop (Hinton, 2012): each gradient divided by the root of a moving average of
/// squared gradients; optional momentum and centering (Keras' `RMSprop`).
///
/// Each step, for `θ` with gradient `g`, learning rate `lr`, decay `ρ`, momentum `μ`:
///
/// ```text
/// v = ρ·v + (1 − ρ)·g²                      (slot "velocity")
/// centered:  a = ρ·a + (1 − ρ)·g            (slot "average_gradient")
///            s = v − a²
/// otherwise: s = v
/// D = √(s + ε)    (EpsilonPlacement::InsideSqrt, Keras)
/// D = √s + ε      (EpsilonPlacement::OutsideSqrt, PyTorch)
/// μ > 0:  b = μ·b + g / D;  θ = θ − lr·b    (slot "momentum")
/// μ = 0:  θ = θ − lr·g / D
/// ```
///
/// Keras 3 (`keras/src/optimizers/rmsprop.py`) computes `increment = lr·g / √(v + ε)`
/// (for centered, `√(v − a² + ε)`) and keeps `lr·g/D` in its momentum buffer; PyTorch
/// computes `g / (√v + ε)` and keeps `g/D`, as here. The two momentum forms agree while the
/// learning rate is constant. A centered `s` that rounding makes slightly negative is
/// taken as 0.
///
/// ```
/// use derin_optim::{Optimizer, RmsProp, RmsPropConfig};
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("w", Tensor::from_vec(vec![10.0], &[1]).to_array());
/// let mut opt = RmsProp::try_new(RmsPropConfig { learning_rate: 0.1, ..RmsPropConfig::default() }).unwrap();
/// let grads = (w.value().square() * 0.5).sum_all().backward(); // g = θ = 10
/// opt.step(&[w.clone()], &grads);
/// // v = 0.1·100 = 10; θ = 10 − 0.1·10/√(10 + 1e-7) = 9.683772 (Keras' docstring example)
/// assert!((w.value().item() - 9.683772).abs() < 1e-5);
/// ```
#[doc(alias = "RMSprop")]
#[derive(Clone, Debug)]
pub struct RmsProp {
    config: RmsPropConfig,
    core: Core,
}

impl RmsProp {
    /// Keras' defaults (see [`RmsPropConfig`]).
    ///
    /// ```
    /// use derin_optim::RmsProp;
    /// assert_eq!(RmsProp::new().config().rho, 0.9);
    /// ```
    pub fn new() -> Self {
        RmsProp { config: RmsPropConfig::default(), core: Core::default() }
    }

    /// An optimizer with these hyperparameters.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) naming the first value out of range.
    ///
    /// ```
    /// use derin_optim::{RmsProp, RmsPropConfig};
    /// let err = RmsProp::try_new(RmsPropConfig { epsilon: 0.0, ..RmsPropConfig::default() }).unwrap_err();
    /// assert_eq!(err.to_string(), "RmsProp: epsilon must be > 0 and finite, got 0");
    /// ```
    pub fn try_new(config: RmsPropConfig) -> Result<Self> {
        validate(&config)?;
        Ok(RmsProp { config, core: Core::default() })
    }

    /// The hyperparameters.
    ///
    /// ```
    /// use derin_optim::RmsProp;
    /// assert_eq!(RmsProp::new().config().epsilon, 1e-7);
    /// ```
    pub fn config(&self) -> &RmsPropConfig {
        &self.config
    }

    /// Slots in storage order: velocity, then momentum (μ > 0), then average gradient (centered).
    fn slot_names(c: &RmsPropConfig) -> Vec<Slot> {
        let mut names = vec![Slot::Velocity];
        if c.momentum > 0.0 {
            names.push(Slot::Momentum);
        }
        if c.centered {
            names.push(Slot::AverageGradient);
        }
        names
    }
}

impl Default for RmsProp {
    fn default() -> Self {
        RmsProp::new()
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self, params: &[Param], grads: &Gradients) {
        let todo = with_gradients(NAME, params, grads);
        if todo.is_empty() {
            return;
        }
        let c = self.config;
        let (rho, keep) = (c.rho, one_minus(c.rho));
        let count = Self::slot_names(&c).len();
        for (p, g) in todo {
            let (slots, _) = self.core.slots(NAME, p, g.shape(), || zeros_like(g.shape(), count));
            update_flat(p, g, false, flat(slots), |theta, g, slots| {
                let [v, rest @ ..] = slots else { unreachable!("velocity slot") };
                let mut rest = rest.iter_mut();
                let mut b = if c.momentum > 0.0 { rest.next() } else { None };
                let mut a = if c.centered { rest.next() } else { None };
                for i in 0..theta.len() {
                    let gi = g[i];
                    v[i] = rho * v[i] + keep * gi * gi;
                    let s = match a.as_deref_mut() {
                        Some(a) => {
                            a[i] = rho * a[i] + keep * gi;
                            (v[i] - a[i] * a[i]).max(0.0)
                        }
                        None => v[i],
                    };
                    let step = gi / c.epsilon_placement.denominator(s, c.epsilon);
                    match b.as_deref_mut() {
                        Some(b) => {
                            b[i] = c.momentum * b[i] + step;
                            theta[i] -= c.learning_rate * b[i];
                        }
                        None => theta[i] -= c.learning_rate * step,
                    }
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
        self.core.state(Hyperparameters::RmsProp(self.config), &Self::slot_names(&self.config))
    }

    fn load_state(&mut self, state: &OptimizerState, params: &[Param]) -> Result<()> {
        let Hyperparameters::RmsProp(config) = state.hyperparameters else { return Err(wrong_optimizer(NAME, state)) };
        validate(&config)?;
        let core = Core::load(NAME, state, &Self::slot_names(&config), params)?;
        *self = RmsProp { config, core };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizers::testing::{assert_close, run};

    fn rmsprop(momentum: f32, centered: bool, epsilon_placement: EpsilonPlacement) -> RmsProp {
        let c = RmsPropConfig { learning_rate: 0.1, rho: 0.5, momentum, epsilon: 1.0, centered, epsilon_placement };
        RmsProp::try_new(c).unwrap()
    }

    #[test]
    fn both_epsilon_placements_by_hand() {
        // lr 0.1, ρ 0.5, ε 1, θ0 = 0, g = 2 then 2.
        // step 1: v = 0.5·4 = 2
        //   inside:  θ = -0.1·2/√3 = -0.115470054
        //   outside: θ = -0.1·2/(√2 + 1) = -0.082842712
        // step 2: v = 1 + 2 = 3
        //   inside:  θ -= 0.1·2/√4 = 0.1   → -0.215470054
        //   outside: θ -= 0.1·2/(√3 + 1) = 0.073205081 → -0.156047793
        let inside = run(&mut rmsprop(0.0, false, EpsilonPlacement::InsideSqrt), &[0.0], &[&[2.0], &[2.0]]);
        assert_close(&inside[0], &[-0.115470054], 1e-6);
        assert_close(&inside[1], &[-0.215470054], 1e-6);
        let outside = run(&mut rmsprop(0.0, false, EpsilonPlacement::OutsideSqrt), &[0.0], &[&[2.0], &[2.0]]);
        assert_close(&outside[0], &[-0.082842712], 1e-6);
        assert_close(&outside[1], &[-0.156047793], 1e-6);
    }

    #[test]
    fn centered_with_momentum_by_hand() {
        // lr 0.1, ρ 0.5, ε 1 inside, μ 0.5, θ0 = 0, g = 2 then 4.
        // step 1: v = 2, a = 1, s = 2 - 1 = 1, D = √2; b = 2/√2 = 1.414213562; θ = -0.141421356
        // step 2: v = 1 + 8 = 9, a = 0.5 + 2 = 2.5, s = 9 - 6.25 = 2.75, D = √3.75 = 1.936491673
        //   b = 0.707106781 + 4/1.936491673 = 0.707106781 + 2.065591118 = 2.772697899
        //   θ = -0.141421356 - 0.27726979 = -0.418691146
        let out = run(&mut rmsprop(0.5, true, EpsilonPlacement::InsideSqrt), &[0.0], &[&[2.0], &[4.0]]);
        assert_close(&out[0], &[-0.141421356], 1e-6);
        assert_close(&out[1], &[-0.418691146], 1e-6);
    }

    #[test]
    fn keeps_only_the_slots_it_needs() {
        let mut opt = rmsprop(0.0, false, EpsilonPlacement::InsideSqrt);
        run(&mut opt, &[0.0], &[&[1.0]]);
        assert_eq!(opt.state().slots["w"].keys().copied().collect::<Vec<_>>(), [Slot::Velocity]);
        let mut opt = rmsprop(0.9, true, EpsilonPlacement::InsideSqrt);
        run(&mut opt, &[0.0], &[&[1.0]]);
        let names: Vec<Slot> = opt.state().slots["w"].keys().copied().collect();
        assert_eq!(names, [Slot::Momentum, Slot::Velocity, Slot::AverageGradient]);
    }

    #[test]
    fn invalid_rho_is_an_error() {
        let err = RmsProp::try_new(RmsPropConfig { rho: 1.0, ..RmsPropConfig::default() }).unwrap_err();
        assert_eq!(err.to_string(), "RmsProp: rho must be in [0, 1), got 1");
    }
}
