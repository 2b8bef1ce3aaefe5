//! Range checks for hyperparameters, shared by every optimizer and schedule.

use crate::error::{Error, Result};

fn check(owner: &'static str, name: &'static str, value: f32, ok: bool, expected: &'static str) -> Result<()> {
    if ok && !value.is_nan() { Ok(()) } else { Err(Error::Hyperparameter { owner, name, expected, value }) }
}

/// `value ≥ 0` and finite (learning rates, weight decay).
pub(crate) fn non_negative(owner: &'static str, name: &'static str, value: f32) -> Result<()> {
    check(owner, name, value, value >= 0.0 && value.is_finite(), ">= 0 and finite")
}

/// `value > 0` and finite (epsilons, step counts given as floats).
pub(crate) fn positive(owner: &'static str, name: &'static str, value: f32) -> Result<()> {
    check(owner, name, value, value > 0.0 && value.is_finite(), "> 0 and finite")
}

/// `0 ≤ value < 1` (decay rates β, ρ).
pub(crate) fn unit_open(owner: &'static str, name: &'static str, value: f32) -> Result<()> {
    check(owner, name, value, (0.0..1.0).contains(&value), "in [0, 1)")
}

/// `0 ≤ value ≤ 1` (momentum, dampening, cosine's alpha).
pub(crate) fn unit_closed(owner: &'static str, name: &'static str, value: f32) -> Result<()> {
    check(owner, name, value, (0.0..=1.0).contains(&value), "in [0, 1]")
}

/// `value > 0` for counts (decay steps, step sizes).
pub(crate) fn positive_count(owner: &'static str, name: &'static str, value: u64) -> Result<()> {
    if value > 0 { Ok(()) } else { Err(Error::Hyperparameter { owner, name, expected: "> 0", value: 0.0 }) }
}

/// Panics unless `lr` is a valid learning rate; for `Optimizer::set_learning_rate`.
pub(crate) fn assert_learning_rate(owner: &'static str, lr: f32) {
    if let Err(e) = non_negative(owner, "learning_rate", lr) {
        panic!("{owner}::set_learning_rate: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_messages() {
        assert!(non_negative("T", "lr", 0.0).is_ok());
        assert_eq!(non_negative("T", "lr", -1.0).unwrap_err().to_string(), "T: lr must be >= 0 and finite, got -1");
        assert!(non_negative("T", "lr", f32::INFINITY).is_err());
        assert!(positive("T", "epsilon", 0.0).is_err());
        assert!(unit_open("T", "beta_1", 0.0).is_ok());
        assert!(unit_open("T", "beta_1", 1.0).is_err());
        assert!(unit_open("T", "beta_1", f32::NAN).is_err());
        assert!(unit_closed("T", "momentum", 1.0).is_ok());
        assert!(unit_closed("T", "momentum", 1.01).is_err());
    }

    #[test]
    #[should_panic(expected = "Sgd::set_learning_rate: Sgd: learning_rate must be >= 0 and finite, got NaN")]
    fn set_learning_rate_panics_on_nan() {
        assert_learning_rate("Sgd", f32::NAN);
    }
}
