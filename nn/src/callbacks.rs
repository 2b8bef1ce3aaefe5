//! Early stopping: what `fit` watches and when it stops.

use derin_tensor::Param;
use derin_tensor::ndarray::ArrayD;

use crate::error::{Error, Result};
use crate::fit::EpochLog;
use crate::metric::Metric;

/// A number recorded for each epoch, watched by [`EarlyStopping`].
///
/// ```
/// use derin_nn::{Metric, Monitor};
/// assert!(Monitor::ValMetric(Metric::Accuracy).higher_is_better());
/// assert!(!Monitor::ValLoss.higher_is_better());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monitor {
    /// The training loss (`loss`).
    Loss,
    /// The validation loss (`val_loss`).
    ValLoss,
    /// A training metric (`accuracy`, …).
    Metric(Metric),
    /// A validation metric (`val_accuracy`, …).
    ValMetric(Metric),
}

impl Monitor {
    /// Whether larger values are better (accuracy) rather than smaller (losses, errors),
    /// as Keras' `mode="auto"` decides.
    ///
    /// ```
    /// # use derin_nn::{Metric, Monitor};
    /// assert!(!Monitor::Metric(Metric::MeanAbsoluteError).higher_is_better());
    /// ```
    pub fn higher_is_better(&self) -> bool {
        matches!(self, Monitor::Metric(Metric::Accuracy) | Monitor::ValMetric(Metric::Accuracy))
    }

    /// The monitored value in `log`, if it was recorded.
    ///
    /// ```
    /// # use derin_nn::{EpochLog, Monitor, Scores};
    /// let log = EpochLog { train: Scores { loss: 0.5, metrics: vec![] }, val: None };
    /// assert_eq!(Monitor::Loss.value(&log), Some(0.5));
    /// assert_eq!(Monitor::ValLoss.value(&log), None);
    /// ```
    pub fn value(&self, log: &EpochLog) -> Option<f32> {
        match *self {
            Monitor::Loss => Some(log.train.loss),
            Monitor::ValLoss => log.val.as_ref().map(|v| v.loss),
            Monitor::Metric(m) => log.train.metric(m),
            Monitor::ValMetric(m) => log.val.as_ref().and_then(|v| v.metric(m)),
        }
    }

    fn name(&self) -> String {
        match self {
            Monitor::Loss => "loss".to_string(),
            Monitor::ValLoss => "val_loss".to_string(),
            Monitor::Metric(m) => m.short_name().to_string(),
            Monitor::ValMetric(m) => format!("val_{}", m.short_name()),
        }
    }
}

/// Stops `fit` when the monitored value has not improved by more than `min_delta` for
/// `patience` epochs in a row (Keras' `EarlyStopping`), and optionally puts back the
/// weights of the best epoch when it stops.
///
/// ```
/// use derin_nn::{EarlyStopping, Monitor};
/// let e = EarlyStopping::default();
/// assert_eq!((e.monitor, e.patience, e.min_delta, e.restore_best_weights), (Monitor::ValLoss, 0, 0.0, false));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStopping {
    /// The watched value (Keras: `val_loss`).
    pub monitor: Monitor,
    /// The smallest change that counts as an improvement (Keras: 0).
    pub min_delta: f32,
    /// Epochs without improvement to wait before stopping (Keras: 0).
    pub patience: usize,
    /// On stopping, restore the weights of the best epoch (Keras: `false`).
    pub restore_best_weights: bool,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping { monitor: Monitor::ValLoss, min_delta: 0.0, patience: 0, restore_best_weights: false }
    }
}

/// The running state of an [`EarlyStopping`] during one `fit`.
pub(crate) struct EarlyStopper {
    rule: EarlyStopping,
    best: Option<(f32, usize)>,
    best_weights: Option<Vec<ArrayD<f32>>>,
    wait: usize,
}

impl EarlyStopper {
    /// Checks that the monitored value will exist.
    pub(crate) fn new(rule: EarlyStopping, has_validation: bool, metrics: &[Metric]) -> Result<Self> {
        let missing = match rule.monitor {
            Monitor::ValLoss | Monitor::ValMetric(_) if !has_validation => Some("there is no validation data"),
            Monitor::Metric(m) | Monitor::ValMetric(m) if !metrics.contains(&m) => Some("that metric is not compiled"),
            _ => None,
        };
        if let Some(why) = missing {
            let reason = format!("EarlyStopping monitors {}, but {why}", rule.monitor.name());
            return Err(Error::Data { operation: "fit", reason });
        }
        Ok(EarlyStopper { rule, best: None, best_weights: None, wait: 0 })
    }

    /// Records an epoch; returns why to stop, if it is time to.
    pub(crate) fn update(&mut self, epoch: usize, log: &EpochLog, weights: &[Param]) -> Option<String> {
        let value = self.rule.monitor.value(log)?;
        let improved = match self.best {
            None => true,
            Some((best, _)) if self.rule.monitor.higher_is_better() => value - self.rule.min_delta > best,
            Some((best, _)) => value + self.rule.min_delta < best,
        };
        if improved {
            self.best = Some((value, epoch));
            self.wait = 0;
            if self.rule.restore_best_weights {
                self.best_weights = Some(weights.iter().map(|p| p.value().to_array()).collect());
            }
            return None;
        }
        self.wait += 1;
        if self.wait < self.rule.patience.max(1) {
            return None;
        }
        let (best, best_epoch) = self.best.expect("set on the first epoch");
        let mut why = format!(
            "early stopping after epoch {}: {} has not improved on {best:.4} (epoch {}) for {} epochs",
            epoch + 1,
            self.rule.monitor.name(),
            best_epoch + 1,
            self.wait
        );
        if let Some(saved) = self.best_weights.take() {
            weights.iter().zip(saved).for_each(|(p, v)| p.set(v));
            why += &format!("; weights of epoch {} restored", best_epoch + 1);
        }
        Some(why)
    }
}
