//! Cosine decay with an optional linear warm-up (Keras' `CosineDecay`).

use std::f64::consts::PI;

use super::LearningRateSchedule;
use crate::error::Result;
use crate::validate;

const NAME: &str = "CosineDecay";

/// Cosine decay from a peak down to `alpha · peak` over `decay_steps`, optionally after a
/// linear warm-up from `initial_learning_rate` to `warmup_target` over `warmup_steps`
/// (Keras' `CosineDecay`, SGDR without restarts).
///
/// Without warm-up the peak is `initial_learning_rate`; with it, `warmup_target`:
///
/// ```text
/// s < warmup_steps:  lr = initial + (warmup_target − initial) · s / warmup_steps
/// otherwise:         d  = min(s − warmup_steps, decay_steps)
///                    lr = peak · ((1 − alpha) · ½·(1 + cos(π·d / decay_steps)) + alpha)
/// ```
///
/// ```
/// use derin_optim::{CosineDecay, LearningRateSchedule};
/// let s = CosineDecay::try_new(0.0, 100, 0.0).unwrap().warmup(0.1, 10).unwrap();
/// assert_eq!(s.learning_rate(0), 0.0);
/// assert!((s.learning_rate(5) - 0.05).abs() < 1e-8);  // half-way up
/// assert_eq!(s.learning_rate(10), 0.1);                // peak
/// assert!((s.learning_rate(60) - 0.05).abs() < 1e-8); // half-way down
/// assert_eq!(s.learning_rate(500), 0.0);               // alpha · peak after the decay
/// ```
#[doc(alias = "CosineAnnealingLR")]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineDecay {
    initial_learning_rate: f32,
    decay_steps: u64,
    alpha: f32,
    warmup: Option<(f32, u64)>,
}

impl CosineDecay {
    /// Decays from `initial_learning_rate` to `alpha · initial_learning_rate` over
    /// `decay_steps` steps, then stays there (no warm-up).
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) when the initial rate is
    /// negative or not finite, `decay_steps` is 0, or `alpha` is outside [0, 1].
    ///
    /// ```
    /// use derin_optim::CosineDecay;
    /// let err = CosineDecay::try_new(0.1, 100, 2.0).unwrap_err();
    /// assert_eq!(err.to_string(), "CosineDecay: alpha must be in [0, 1], got 2");
    /// ```
    pub fn try_new(initial_learning_rate: f32, decay_steps: u64, alpha: f32) -> Result<Self> {
        validate::non_negative(NAME, "initial_learning_rate", initial_learning_rate)?;
        validate::positive_count(NAME, "decay_steps", decay_steps)?;
        validate::unit_closed(NAME, "alpha", alpha)?;
        Ok(CosineDecay { initial_learning_rate, decay_steps, alpha, warmup: None })
    }

    /// The same decay after a linear warm-up from the initial rate to `warmup_target` over
    /// `warmup_steps` steps; the cosine then starts from `warmup_target` (Keras'
    /// `warmup_target`, `warmup_steps`).
    ///
    /// # Errors
    /// [`Error::Hyperparameter`](crate::Error::Hyperparameter) when `warmup_target` is
    /// negative or not finite.
    ///
    /// ```
    /// use derin_optim::{CosineDecay, LearningRateSchedule};
    /// let s = CosineDecay::try_new(0.01, 10, 0.0).unwrap().warmup(0.11, 5).unwrap();
    /// assert!((s.learning_rate(1) - 0.03).abs() < 1e-8); // 0.01 + 0.1·1/5
    /// ```
    pub fn warmup(self, warmup_target: f32, warmup_steps: u64) -> Result<Self> {
        validate::non_negative(NAME, "warmup_target", warmup_target)?;
        Ok(CosineDecay { warmup: Some((warmup_target, warmup_steps)), ..self })
    }

    /// `peak · ((1 − α)·½(1 + cos(π·d/D)) + α)` for `d` steps into the decay.
    fn decayed(&self, peak: f64, d: u64) -> f64 {
        let d = d.min(self.decay_steps) as f64;
        let cosine = 0.5 * (1.0 + (PI * d / self.decay_steps as f64).cos());
        let alpha = self.alpha as f64;
        peak * ((1.0 - alpha) * cosine + alpha)
    }
}

impl LearningRateSchedule for CosineDecay {
    fn learning_rate(&self, step: u64) -> f32 {
        let initial = self.initial_learning_rate as f64;
        let lr = match self.warmup {
            None => self.decayed(initial, step),
            Some((target, steps)) if step < steps => initial + (target as f64 - initial) * step as f64 / steps as f64,
            Some((target, steps)) => self.decayed(target as f64, step - steps),
        };
        lr as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_at_chosen_steps() {
        // No warm-up, lr 1, D = 100, α = 0.2: s = 0 → 1; 50 → 0.8·0.5 + 0.2 = 0.6;
        // 25 → 0.8·½(1 + cos(π/4)) + 0.2 = 0.8·0.853553391 + 0.2 = 0.882842712; 100, 1000 → 0.2
        let s = CosineDecay::try_new(1.0, 100, 0.2).unwrap();
        let close = |a: f32, b: f64| assert!((a as f64 - b).abs() < 1e-7, "{a} vs {b}");
        close(s.learning_rate(0), 1.0);
        close(s.learning_rate(25), 0.882842712);
        close(s.learning_rate(50), 0.6);
        close(s.learning_rate(100), 0.2);
        close(s.learning_rate(1000), 0.2);
        // Warm-up 0 → 2 over 4 steps, then the same decay scaled by 2:
        // s = 1 → 0.5; s = 4 → 2; s = 29 → 2·0.882842712 = 1.765685425; s = 54 → 1.2
        let w = s.warmup(2.0, 4).unwrap();
        let w = CosineDecay { initial_learning_rate: 0.0, ..w };
        close(w.learning_rate(1), 0.5);
        close(w.learning_rate(4), 2.0);
        close(w.learning_rate(29), 1.765685425);
        close(w.learning_rate(54), 1.2);
    }

    #[test]
    fn zero_warmup_steps_starts_at_the_target() {
        let s = CosineDecay::try_new(0.0, 10, 0.0).unwrap().warmup(0.5, 0).unwrap();
        assert_eq!(s.learning_rate(0), 0.5);
    }
}
