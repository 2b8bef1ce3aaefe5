//! Reduce-on-plateau: lower the learning rate when a monitored value stops improving.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::optimizer::Optimizer;
use crate::validate;

const NAME: &str = "ReduceLrOnPlateau";

/// Which direction counts as improvement for [`ReduceLrOnPlateau`].
///
/// Keras' `mode="auto"` guesses from the metric's name (`Max` when it contains "acc"); here
/// the caller says.
///
/// ```
/// use derin_optim::{PlateauMode, ReduceLrOnPlateauConfig};
/// assert_eq!(ReduceLrOnPlateauConfig::default().mode, PlateauMode::Min);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlateauMode {
    /// Lower is better (losses): improvement is `value < best − min_delta`.
    Min,
    /// Higher is better (accuracies): improvement is `value > best + min_delta`.
    Max,
}

/// Settings of [`ReduceLrOnPlateau`]. `Default` is Keras' `ReduceLROnPlateau()`: factor 0.1,
/// patience 10, mode min, min_delta 1e-4, cooldown 0, min_lr 0.
///
/// ```
/// use derin_optim::{ReduceLrOnPlateau, ReduceLrOnPlateauConfig};
/// let config = ReduceLrOnPlateauConfig { factor: 0.5, patience: 2, ..ReduceLrOnPlateauConfig::default() };
/// assert!(ReduceLrOnPlateau::try_new(config).is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReduceLrOnPlateauConfig {
    /// The learning rate is multiplied by this, in [0, 1).
    pub factor: f32,
    /// Epochs without improvement before a reduction.
    pub patience: u32,
    /// Whether lower or higher values are better.
    pub mode: PlateauMode,
    /// The least change that counts as improvement, ≥ 0.
    pub min_delta: f32,
    /// Epochs after a reduction during which no further reduction happens.
    pub cooldown: u32,
    /// The learning rate is never reduced below this, ≥ 0.
    pub min_lr: f32,
}

impl Default for ReduceLrOnPlateauConfig {
    fn default() -> Self {
        ReduceLrOnPlateauConfig {
            factor: 0.1,
            patience: 10,
            mode: PlateauMode::Min,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
        }
    }
}

/// Multiplies the learning rate by `factor` once the monitored value (say, the validation
/// loss, once per epoch) has not improved for `patience` epochs (Keras'
/// `ReduceLROnPlateau` callback, same counters and order of checks).
///
/// Each [`update`](ReduceLrOnPlateau::update) with value `x` and learning rate `lr`:
///
/// ```text
/// if cooldown_counter > 0: cooldown_counter −= 1; wait = 0
/// if x improves on best by more than min_delta: best = x; wait = 0
/// else if cooldown_counter == 0:
///     wait += 1
///     if wait ≥ patience and lr > min_lr:
///         lr = max(lr·factor, min_lr); cooldown_counter = cooldown; wait = 0
/// ```
///
/// It is stateful, so it is not a [`LearningRateSchedule`](crate::LearningRateSchedule);
/// its counters serialize with `serde`, so a checkpoint can keep them.
///
/// ```
/// use derin_optim::{Optimizer, ReduceLrOnPlateau, ReduceLrOnPlateauConfig, Sgd};
/// let config = ReduceLrOnPlateauConfig { factor: 0.5, patience: 2, ..ReduceLrOnPlateauConfig::default() };
/// let mut plateau = ReduceLrOnPlateau::try_new(config).unwrap();
/// let mut opt = Sgd::new(); // lr 0.01
/// for val_loss in [1.0, 0.9, 0.9, 0.9] {
///     plateau.apply(val_loss, &mut opt);
/// }
/// assert_eq!(opt.learning_rate(), 0.005); // two epochs without improvement
/// ```
#[doc(alias = "ReduceLROnPlateau")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReduceLrOnPlateau {
    config: ReduceLrOnPlateauConfig,
    best: f32,
    wait: u32,
    cooldown_counter: u32,
}

impl ReduceLrOnPlateau {
    /// Keras' defaults (see [`ReduceLrOnPlateauConfig`]).
    ///
    /// ```
    /// use derin_optim::ReduceLrOnPlateau;
    /// assert_eq!(ReduceLrOnPlateau::new().best(), f32::INFINITY);
    /// ```
    pub fn new() -> Self {
        Self::with(ReduceLrOnPlateauConfig::default())
    }

    /// A fresh rule with these settings.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) when `factor` is outside
    /// [0, 1) (Keras refuses `factor ≥ 1`), or `min_delta` or `min_lr` is negative or not
    /// finite.
    ///
    /// ```
    /// use derin_optim::{ReduceLrOnPlateau, ReduceLrOnPlateauConfig};
    /// let err = ReduceLrOnPlateau::try_new(ReduceLrOnPlateauConfig { factor: 1.0, ..Default::default() }).unwrap_err();
    /// assert_eq!(err.to_string(), "ReduceLrOnPlateau: factor must be in [0, 1), got 1");
    /// ```
    pub fn try_new(config: ReduceLrOnPlateauConfig) -> Result<Self> {
        validate::unit_open(NAME, "factor", config.factor)?;
        validate::non_negative(NAME, "min_delta", config.min_delta)?;
        validate::non_negative(NAME, "min_lr", config.min_lr)?;
        Ok(Self::with(config))
    }

    fn with(config: ReduceLrOnPlateauConfig) -> Self {
        let best = match config.mode {
            PlateauMode::Min => f32::INFINITY,
            PlateauMode::Max => f32::NEG_INFINITY,
        };
        ReduceLrOnPlateau { config, best, wait: 0, cooldown_counter: 0 }
    }

    /// The settings.
    ///
    /// ```
    /// use derin_optim::ReduceLrOnPlateau;
    /// assert_eq!(ReduceLrOnPlateau::new().config().patience, 10);
    /// ```
    pub fn config(&self) -> &ReduceLrOnPlateauConfig {
        &self.config
    }

    /// The best value seen so far (±∞ before the first).
    ///
    /// ```
    /// use derin_optim::ReduceLrOnPlateau;
    /// let mut p = ReduceLrOnPlateau::new();
    /// p.update(0.5, 0.1);
    /// assert_eq!(p.best(), 0.5);
    /// ```
    pub fn best(&self) -> f32 {
        self.best
    }

    /// Forgets the best value and the counters (Keras does this when training begins).
    ///
    /// ```
    /// use derin_optim::ReduceLrOnPlateau;
    /// let mut p = ReduceLrOnPlateau::new();
    /// p.update(0.5, 0.1);
    /// p.reset();
    /// assert_eq!(p, ReduceLrOnPlateau::new());
    /// ```
    pub fn reset(&mut self) {
        *self = Self::with(self.config);
    }

    /// Records the monitored `value` of one epoch and returns the learning rate to use
    /// from now on, given the current `learning_rate`. A NaN value never improves.
    ///
    /// ```
    /// use derin_optim::{ReduceLrOnPlateau, ReduceLrOnPlateauConfig};
    /// let mut p = ReduceLrOnPlateau::try_new(ReduceLrOnPlateauConfig { patience: 1, ..Default::default() }).unwrap();
    /// assert_eq!(p.update(1.0, 0.1), 0.1);        // first value: an improvement on +∞
    /// assert!((p.update(1.0, 0.1) - 0.01).abs() < 1e-8); // no improvement for 1 epoch
    /// ```
    pub fn update(&mut self, value: f32, learning_rate: f32) -> f32 {
        let c = self.config;
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        let improved = match c.mode {
            PlateauMode::Min => value < self.best - c.min_delta,
            PlateauMode::Max => value > self.best + c.min_delta,
        };
        if improved {
            self.best = value;
            self.wait = 0;
            return learning_rate;
        }
        if self.cooldown_counter > 0 {
            return learning_rate;
        }
        self.wait += 1;
        if self.wait >= c.patience && learning_rate > c.min_lr {
            self.cooldown_counter = c.cooldown;
            self.wait = 0;
            return (learning_rate * c.factor).max(c.min_lr);
        }
        learning_rate
    }

    /// [`update`](ReduceLrOnPlateau::update) with `optimizer`'s learning rate, setting the
    /// result on it; `true` when the rate was reduced.
    ///
    /// ```
    /// use derin_optim::{Adam, Optimizer, ReduceLrOnPlateau, ReduceLrOnPlateauConfig};
    /// let mut p = ReduceLrOnPlateau::try_new(ReduceLrOnPlateauConfig { patience: 0, ..Default::default() }).unwrap();
    /// let mut opt = Adam::new();
    /// assert!(!p.apply(2.0, &mut opt)); // an improvement
    /// assert!(p.apply(3.0, &mut opt));
    /// assert!((opt.learning_rate() - 1e-4).abs() < 1e-10);
    /// ```
    pub fn apply(&mut self, value: f32, optimizer: &mut dyn Optimizer) -> bool {
        let old = optimizer.learning_rate();
        let new = self.update(value, old);
        if new != old {
            optimizer.set_learning_rate(new);
        }
        new < old
    }
}

impl Default for ReduceLrOnPlateau {
    fn default() -> Self {
        ReduceLrOnPlateau::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plateau(patience: u32, cooldown: u32, min_lr: f32, mode: PlateauMode) -> ReduceLrOnPlateau {
        let config = ReduceLrOnPlateauConfig { factor: 0.5, patience, mode, min_delta: 0.01, cooldown, min_lr };
        ReduceLrOnPlateau::try_new(config).unwrap()
    }

    /// The learning rate after each value, starting from 1.
    fn trace(p: &mut ReduceLrOnPlateau, values: &[f32]) -> Vec<f32> {
        let mut lr = 1.0;
        values
            .iter()
            .map(|&v| {
                lr = p.update(v, lr);
                lr
            })
            .collect()
    }

    #[test]
    fn patience_min_delta_and_cooldown_as_keras() {
        // patience 2, cooldown 1, min_delta 0.01, mode min:
        // 1.0 best; 0.995 not better by 0.01 → wait 1; 0.995 → wait 2 → lr 0.5, cooldown 1;
        // 0.995 → cooldown 1→0, wait 0, then not improved and not in cooldown → wait 1;
        // 0.995 → wait 2 → lr 0.25; 0.5 → improvement (best 0.5), wait 0.
        let mut p = plateau(2, 1, 0.0, PlateauMode::Min);
        assert_eq!(trace(&mut p, &[1.0, 0.995, 0.995, 0.995, 0.995, 0.5]), [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]);
        assert_eq!(p.best(), 0.5);
    }

    #[test]
    fn cooldown_two_blocks_counting() {
        // patience 1, cooldown 2: reduce at the 2nd value; the 3rd decrements the cooldown
        // to 1 (still cooling: no count); the 4th decrements to 0 and counts → reduce again.
        let mut p = plateau(1, 2, 0.0, PlateauMode::Min);
        assert_eq!(trace(&mut p, &[1.0, 1.0, 1.0, 1.0]), [1.0, 0.5, 0.5, 0.25]);
    }

    #[test]
    fn min_lr_and_max_mode() {
        let mut p = plateau(0, 0, 0.3, PlateauMode::Min);
        assert_eq!(trace(&mut p, &[1.0, 2.0, 2.0, 2.0]), [1.0, 0.5, 0.3, 0.3]);
        let mut p = plateau(1, 0, 0.0, PlateauMode::Max);
        assert_eq!(trace(&mut p, &[0.5, 0.6, 0.605, f32::NAN]), [1.0, 1.0, 0.5, 0.25]);
    }
}
