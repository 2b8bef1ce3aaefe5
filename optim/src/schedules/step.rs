//! Step decay: the learning rate multiplied by a factor every `step_size` steps or epochs.

use super::LearningRateSchedule;
use crate::error::Result;
use crate::validate;

const NAME: &str = "StepDecay";

/// `lr = initial_learning_rate · factor^⌊step / step_size⌋`: the course's "drop the rate
/// by a factor every k epochs" (PyTorch's `StepLR`; Keras writes it as a
/// `LearningRateScheduler` function, or as [`ExponentialDecay`](crate::ExponentialDecay)
/// with `staircase`).
///
/// ```
/// use derin_optim::{LearningRateSchedule, StepDecay};
/// let s = StepDecay::try_new(0.1, 10, 0.5).unwrap(); // halve every 10 epochs
/// assert_eq!(s.learning_rate(25), 0.025);
/// ```
#[doc(alias = "StepLR")]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepDecay {
    initial_learning_rate: f32,
    step_size: u64,
    factor: f32,
}

impl StepDecay {
    /// Starts at `initial_learning_rate`, multiplied by `factor` every `step_size` steps.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) when the initial rate is
    /// negative or not finite, `step_size` is 0, or `factor` is negative or not finite.
    ///
    /// ```
    /// use derin_optim::StepDecay;
    /// let err = StepDecay::try_new(0.1, 0, 0.5).unwrap_err();
    /// assert_eq!(err.to_string(), "StepDecay: step_size must be > 0, got 0");
    /// ```
    pub fn try_new(initial_learning_rate: f32, step_size: u64, factor: f32) -> Result<Self> {
        validate::non_negative(NAME, "initial_learning_rate", initial_learning_rate)?;
        validate::positive_count(NAME, "step_size", step_size)?;
        validate::non_negative(NAME, "factor", factor)?;
        Ok(StepDecay { initial_learning_rate, step_size, factor })
    }
}

impl LearningRateSchedule for StepDecay {
    fn learning_rate(&self, step: u64) -> f32 {
        let drops = (step / self.step_size).min(i32::MAX as u64) as i32;
        (self.initial_learning_rate as f64 * (self.factor as f64).powi(drops)) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_at_chosen_steps() {
        // 0.8 · 0.5^⌊s/3⌋: s = 0..2 → 0.8, 3..5 → 0.4, 6 → 0.2, 300 → 0.8·2^-100 ≈ 6.3e-31
        let s = StepDecay::try_new(0.8, 3, 0.5).unwrap();
        assert_eq!([0, 2, 3, 5, 6].map(|k| s.learning_rate(k)), [0.8, 0.8, 0.4, 0.4, 0.2]);
        assert!((s.learning_rate(300) - 6.310887e-31).abs() < 1e-36);
        assert_eq!(s.learning_rate(u64::MAX), 0.0);
    }
}
