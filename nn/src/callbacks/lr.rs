//! Learning-rate callbacks: a schedule over epochs, and reduction on a plateau.

use derin_optim::{LearningRateSchedule, PlateauMode, ReduceLrOnPlateau, ReduceLrOnPlateauConfig};

use super::TrainableModel;
use super::{Callback, Monitor, TrainInfo};
use crate::error::{Error, Result};
use crate::fit::EpochLog;

/// Sets the learning rate before each epoch to `schedule(epoch, current_rate)` (Keras'
/// `LearningRateScheduler`; epochs count from 0).
///
/// ```
/// use derin_data::Targets;
/// use derin_nn::{Activation, Dense, FitOptions, LearningRateScheduler, Loss, Sequential};
/// use derin_optim::Sgd;
/// use derin_tensor::Tensor;
/// let mut m = Sequential::new(&[1]).add(Dense::new(1, Activation::Linear)).unwrap();
/// m.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![]);
/// // Keep 0.01 for two epochs, then halve it every epoch: 0.01, 0.01, 0.005, 0.0025.
/// let halve = LearningRateScheduler::new(|epoch, lr| if epoch < 2 { lr } else { lr * 0.5 });
/// let (x, y) = (Tensor::ones(&[4, 1]), Targets::Values(Tensor::ones(&[4, 1])));
/// m.fit(&x, &y, FitOptions { epochs: 4, callbacks: vec![Box::new(halve)], ..FitOptions::default() }).unwrap();
/// assert_eq!(m.learning_rate(), Some(0.0025));
/// ```
pub struct LearningRateScheduler {
    schedule: Box<dyn FnMut(usize, f32) -> f32>,
}

impl LearningRateScheduler {
    /// A scheduler calling `schedule(epoch, learning_rate)`.
    ///
    /// ```
    /// # use derin_nn::LearningRateScheduler;
    /// let _constant = LearningRateScheduler::new(|_, lr| lr);
    /// ```
    pub fn new(schedule: impl FnMut(usize, f32) -> f32 + 'static) -> Self {
        LearningRateScheduler { schedule: Box::new(schedule) }
    }

    /// A scheduler following a `derin_optim` schedule with the epoch as its step count:
    /// epoch `e` trains at `schedule.learning_rate(e)`.
    ///
    /// ```
    /// use derin_data::Targets;
    /// use derin_nn::{Activation, Dense, FitOptions, LearningRateScheduler, Loss, Sequential};
    /// use derin_optim::{Sgd, StepDecay};
    /// use derin_tensor::Tensor;
    /// let mut m = Sequential::new(&[1]).add(Dense::new(1, Activation::Linear)).unwrap();
    /// m.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![]);
    /// // 0.1 for epochs 0–1, 0.05 for epochs 2–3.
    /// let step = LearningRateScheduler::from_schedule(StepDecay::try_new(0.1, 2, 0.5).unwrap());
    /// let (x, y) = (Tensor::ones(&[4, 1]), Targets::Values(Tensor::ones(&[4, 1])));
    /// m.fit(&x, &y, FitOptions { epochs: 4, callbacks: vec![Box::new(step)], ..FitOptions::default() }).unwrap();
    /// assert_eq!(m.learning_rate(), Some(0.05));
    /// ```
    pub fn from_schedule(schedule: impl LearningRateSchedule + 'static) -> Self {
        Self::new(move |epoch, _| schedule.learning_rate(epoch as u64))
    }
}

impl std::fmt::Debug for LearningRateScheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LearningRateScheduler")
    }
}

impl Callback for LearningRateScheduler {
    fn on_epoch_begin(&mut self, epoch: usize, model: &mut dyn TrainableModel) -> Result<()> {
        let lr = model.learning_rate().ok_or(Error::NotCompiled { operation: "LearningRateScheduler" })?;
        model.set_learning_rate((self.schedule)(epoch, lr))
    }
}

/// Multiplies the learning rate by `factor` when the monitored value has not improved
/// by more than `min_delta` for `patience` epochs, then waits `cooldown` epochs before
/// counting again, never going below `min_lr` (Keras' `ReduceLROnPlateau`, with its
/// defaults; the counting is [`derin_optim::ReduceLrOnPlateau`]'s). Whether higher is
/// better follows the monitor, as Keras' `mode="auto"`. Convert it with `into()` to put it
/// among [`FitOptions::callbacks`](crate::FitOptions::callbacks).
///
/// ```
/// use derin_data::Targets;
/// use derin_nn::{Activation, Dense, FitOptions, Loss, Monitor, ReduceLROnPlateau, Sequential};
/// use derin_optim::Sgd;
/// use derin_tensor::Tensor;
/// let d = ReduceLROnPlateau::default();
/// assert_eq!((d.factor, d.patience, d.min_delta, d.cooldown, d.min_lr), (0.1, 10, 1e-4, 0, 0.0));
/// let mut m = Sequential::new(&[1]).add(Dense::new(1, Activation::Linear)).unwrap();
/// m.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![]);
/// // An improvement must beat 10: after the first epoch, every epoch is a plateau, so
/// // with patience 1 the rate falls tenfold each epoch: 0.01 → 1e-3 → 1e-4.
/// let rule = ReduceLROnPlateau { monitor: Monitor::Loss, patience: 1, min_delta: 10.0, ..d };
/// let (x, y) = (Tensor::ones(&[4, 1]), Targets::Values(Tensor::ones(&[4, 1])));
/// m.fit(&x, &y, FitOptions { epochs: 3, callbacks: vec![rule.into()], ..FitOptions::default() }).unwrap();
/// assert!((m.learning_rate().unwrap() - 1e-4).abs() < 1e-9);
/// ```
#[doc(alias = "ReduceLrOnPlateau")]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReduceLROnPlateau {
    /// The watched value (Keras: `val_loss`).
    pub monitor: Monitor,
    /// The factor applied to the rate, in `[0, 1)` (Keras: 0.1).
    pub factor: f32,
    /// Epochs without improvement before a reduction (Keras: 10).
    pub patience: u32,
    /// The least change that counts as an improvement (Keras: 1e-4).
    pub min_delta: f32,
    /// Epochs after a reduction before counting again (Keras: 0).
    pub cooldown: u32,
    /// The lowest rate (Keras: 0).
    pub min_lr: f32,
}

impl Default for ReduceLROnPlateau {
    fn default() -> Self {
        let c = ReduceLrOnPlateauConfig::default();
        ReduceLROnPlateau {
            monitor: Monitor::ValLoss,
            factor: c.factor,
            patience: c.patience,
            min_delta: c.min_delta,
            cooldown: c.cooldown,
            min_lr: c.min_lr,
        }
    }
}

impl From<ReduceLROnPlateau> for Box<dyn Callback> {
    fn from(rule: ReduceLROnPlateau) -> Self {
        Box::new(PlateauRunner { rule, state: None, verbose: false })
    }
}

/// A [`ReduceLROnPlateau`] during one `fit`.
struct PlateauRunner {
    rule: ReduceLROnPlateau,
    state: Option<ReduceLrOnPlateau>,
    verbose: bool,
}

impl Callback for PlateauRunner {
    fn on_train_begin(&mut self, info: &TrainInfo, _: &mut dyn TrainableModel) -> Result<()> {
        self.rule.monitor.check("ReduceLROnPlateau", info)?;
        let r = self.rule;
        let mode = if r.monitor.higher_is_better() { PlateauMode::Max } else { PlateauMode::Min };
        let config = ReduceLrOnPlateauConfig {
            factor: r.factor,
            patience: r.patience,
            mode,
            min_delta: r.min_delta,
            cooldown: r.cooldown,
            min_lr: r.min_lr,
        };
        let state = ReduceLrOnPlateau::try_new(config).map_err(|e| Error::Hyperparameter {
            what: format!("ReduceLROnPlateau: {e}"),
            value: f64::from(r.factor),
            range: "factor [0, 1), min_delta ≥ 0, min_lr ≥ 0",
        })?;
        self.state = Some(state);
        self.verbose = info.verbose;
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, log: &EpochLog, model: &mut dyn TrainableModel) -> Result<Option<String>> {
        let value = self.rule.monitor.value_in("ReduceLROnPlateau", log)?;
        let (Some(state), Some(value)) = (self.state.as_mut(), value) else {
            return Ok(None);
        };
        let lr = model.learning_rate().ok_or(Error::NotCompiled { operation: "ReduceLROnPlateau" })?;
        let new = state.update(value, lr);
        if new != lr {
            model.set_learning_rate(new)?;
            if self.verbose {
                println!("Epoch {}: ReduceLROnPlateau reducing learning rate to {new}.", epoch + 1);
            }
        }
        Ok(None)
    }
}
