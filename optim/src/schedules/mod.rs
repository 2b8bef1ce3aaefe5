//! Learning-rate schedules: a function of the step (or epoch) count, and the stateful
//! reduce-on-plateau rule.

mod cosine;
mod exponential;
mod plateau;
mod step;

pub use cosine::CosineDecay;
pub use exponential::{ExponentialDecay, InverseTimeDecay};
pub use plateau::{PlateauMode, ReduceLrOnPlateau, ReduceLrOnPlateauConfig};
pub use step::StepDecay;

use crate::optimizer::Optimizer;

/// A learning rate as a function of a count: of optimizer steps (Keras' schedules, which
/// get `optimizer.iterations`) or of epochs (Keras' `LearningRateScheduler` callback).
///
/// `step` is the number of steps (or epochs) **already done**, so `learning_rate(0)` is the
/// rate of the first update. [`ReduceLrOnPlateau`] is not one: it reacts to a monitored
/// value instead of a count.
///
/// ```
/// use derin_optim::{ExponentialDecay, LearningRateSchedule, Optimizer, Sgd};
/// use derin_tensor::{Param, Tensor};
/// let schedule = ExponentialDecay::try_new(0.1, 10, 0.5).unwrap();
/// let w = Param::new("w", Tensor::from_vec(vec![1.0], &[1]).to_array());
/// let mut opt = Sgd::new();
/// for _ in 0..20 {
///     schedule.apply(&mut opt); // per step, as Keras does
///     opt.step(&[w.clone()], &w.value().sum_all().backward());
/// }
/// assert!((opt.learning_rate() - 0.1 * 0.5f32.powf(1.9)).abs() < 1e-7); // the rate of step 19
/// ```
pub trait LearningRateSchedule {
    /// The learning rate after `step` steps (or epochs).
    ///
    /// ```
    /// use derin_optim::{LearningRateSchedule, StepDecay};
    /// let s = StepDecay::try_new(1.0, 10, 0.5).unwrap();
    /// assert_eq!([s.learning_rate(0), s.learning_rate(9), s.learning_rate(10)], [1.0, 1.0, 0.5]);
    /// ```
    fn learning_rate(&self, step: u64) -> f32;

    /// Sets `optimizer`'s learning rate to this schedule's at the optimizer's
    /// [`iterations`](Optimizer::iterations); call it before each step.
    ///
    /// ```
    /// use derin_optim::{LearningRateSchedule, Optimizer, Adam, StepDecay};
    /// let mut opt = Adam::new();
    /// StepDecay::try_new(0.5, 1, 0.1).unwrap().apply(&mut opt);
    /// assert_eq!(opt.learning_rate(), 0.5);
    /// ```
    fn apply(&self, optimizer: &mut dyn Optimizer) {
        optimizer.set_learning_rate(self.learning_rate(optimizer.iterations()));
    }
}
