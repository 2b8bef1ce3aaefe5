//! Exponential and inverse-time decay, with Keras' `staircase` option.

use super::LearningRateSchedule;
use crate::error::Result;
use crate::validate;

/// `p = step / decay_steps`, floored when `staircase`.
fn progress(step: u64, decay_steps: u64, staircase: bool) -> f64 {
    if staircase { (step / decay_steps) as f64 } else { step as f64 / decay_steps as f64 }
}

/// `lr = initial_learning_rate · decay_rate^(step / decay_steps)`, with the exponent
/// floored to an integer when `staircase` is set (Keras' `ExponentialDecay`).
///
/// ```
/// use derin_optim::{ExponentialDecay, LearningRateSchedule};
/// let smooth = ExponentialDecay::try_new(0.1, 100, 0.5).unwrap();
/// assert!((smooth.learning_rate(150) - 0.1 * 0.5f32.powf(1.5)).abs() < 1e-8);
/// let stairs = smooth.staircase(true);
/// assert_eq!(stairs.learning_rate(150), 0.05);
/// ```
#[doc(alias = "ExponentialLR")]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialDecay {
    initial_learning_rate: f32,
    decay_steps: u64,
    decay_rate: f32,
    staircase: bool,
}

impl ExponentialDecay {
    /// Starts at `initial_learning_rate` and is multiplied by `decay_rate` every
    /// `decay_steps` steps, smoothly (no staircase).
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) when the initial rate is
    /// negative or not finite, `decay_steps` is 0 (Keras' check), or `decay_rate` is not
    /// positive and finite.
    ///
    /// ```
    /// use derin_optim::ExponentialDecay;
    /// let err = ExponentialDecay::try_new(0.1, 0, 0.9).unwrap_err();
    /// assert_eq!(err.to_string(), "ExponentialDecay: decay_steps must be > 0, got 0");
    /// ```
    pub fn try_new(initial_learning_rate: f32, decay_steps: u64, decay_rate: f32) -> Result<Self> {
        const NAME: &str = "ExponentialDecay";
        validate::non_negative(NAME, "initial_learning_rate", initial_learning_rate)?;
        validate::positive_count(NAME, "decay_steps", decay_steps)?;
        validate::positive(NAME, "decay_rate", decay_rate)?;
        Ok(ExponentialDecay { initial_learning_rate, decay_steps, decay_rate, staircase: false })
    }

    /// The same schedule, decaying in discrete jumps (`staircase = true`) or smoothly.
    ///
    /// ```
    /// use derin_optim::{ExponentialDecay, LearningRateSchedule};
    /// let s = ExponentialDecay::try_new(1.0, 10, 0.5).unwrap().staircase(true);
    /// assert_eq!([s.learning_rate(9), s.learning_rate(10)], [1.0, 0.5]);
    /// ```
    pub fn staircase(self, staircase: bool) -> Self {
        ExponentialDecay { staircase, ..self }
    }
}

impl LearningRateSchedule for ExponentialDecay {
    fn learning_rate(&self, step: u64) -> f32 {
        let p = progress(step, self.decay_steps, self.staircase);
        (self.initial_learning_rate as f64 * (self.decay_rate as f64).powf(p)) as f32
    }
}

/// `lr = initial_learning_rate / (1 + decay_rate · step / decay_steps)`, with
/// `step / decay_steps` floored when `staircase` is set (Keras' `InverseTimeDecay`).
///
/// With `decay_steps = 1` this is PyTorch Adagrad's `lr_decay`.
///
/// ```
/// use derin_optim::{InverseTimeDecay, LearningRateSchedule};
/// let s = InverseTimeDecay::try_new(0.1, 1, 0.5).unwrap();
/// assert!((s.learning_rate(2) - 0.05).abs() < 1e-9); // 0.1 / (1 + 0.5·2)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InverseTimeDecay {
    initial_learning_rate: f32,
    decay_steps: u64,
    decay_rate: f32,
    staircase: bool,
}

impl InverseTimeDecay {
    /// Starts at `initial_learning_rate` and decays as `1 / (1 + decay_rate·step/decay_steps)`.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) when the initial rate or
    /// `decay_rate` is negative or not finite, or `decay_steps` is 0.
    ///
    /// ```
    /// use derin_optim::InverseTimeDecay;
    /// assert!(InverseTimeDecay::try_new(0.1, 10, -1.0).is_err());
    /// ```
    pub fn try_new(initial_learning_rate: f32, decay_steps: u64, decay_rate: f32) -> Result<Self> {
        const NAME: &str = "InverseTimeDecay";
        validate::non_negative(NAME, "initial_learning_rate", initial_learning_rate)?;
        validate::positive_count(NAME, "decay_steps", decay_steps)?;
        validate::non_negative(NAME, "decay_rate", decay_rate)?;
        Ok(InverseTimeDecay { initial_learning_rate, decay_steps, decay_rate, staircase: false })
    }

    /// The same schedule, decaying in discrete jumps (`staircase = true`) or smoothly.
    ///
    /// ```
    /// use derin_optim::{InverseTimeDecay, LearningRateSchedule};
    /// let s = InverseTimeDecay::try_new(1.0, 10, 1.0).unwrap().staircase(true);
    /// assert_eq!([s.learning_rate(19), s.learning_rate(20)], [0.5, 1.0 / 3.0]);
    /// ```
    pub fn staircase(self, staircase: bool) -> Self {
        InverseTimeDecay { staircase, ..self }
    }
}

impl LearningRateSchedule for InverseTimeDecay {
    fn learning_rate(&self, step: u64) -> f32 {
        let p = progress(step, self.decay_steps, self.staircase);
        (self.initial_learning_rate as f64 / (1.0 + self.decay_rate as f64 * p)) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_values_at_chosen_steps() {
        // 0.1 · 0.96^(s/1000): s = 0 → 0.1; 500 → 0.1·√0.96 = 0.097979590; 1000 → 0.096;
        // 2500 → 0.1·0.96^2.5 = 0.090297990; staircase 2500 → 0.1·0.96² = 0.09216
        let s = ExponentialDecay::try_new(0.1, 1000, 0.96).unwrap();
        let close = |a: f32, b: f64| assert!((a as f64 - b).abs() < 1e-8, "{a} vs {b}");
        close(s.learning_rate(0), 0.1);
        close(s.learning_rate(500), 0.097979590);
        close(s.learning_rate(1000), 0.096);
        close(s.learning_rate(2500), 0.090297990);
        close(s.staircase(true).learning_rate(2500), 0.09216);
        close(s.staircase(true).learning_rate(999), 0.1);
    }

    #[test]
    fn inverse_time_values_at_chosen_steps() {
        // 1 / (1 + 0.5·s/10): s = 5 → 1/1.25 = 0.8; staircase 5 → 1; 30 → 1/2.5 = 0.4
        let s = InverseTimeDecay::try_new(1.0, 10, 0.5).unwrap();
        assert_eq!([s.learning_rate(5), s.learning_rate(30)], [0.8, 0.4]);
        assert_eq!(s.staircase(true).learning_rate(5), 1.0);
    }
}
