//! Callbacks: code that `fit` runs at the start of training and of each epoch, after
//! each batch and after each epoch (Keras' `keras.callbacks`), and early stopping.

mod checkpoint;
mod csv_logger;
mod lr;

pub use checkpoint::ModelCheckpoint;
pub use csv_logger::CSVLogger;
pub use lr::{LearningRateScheduler, ReduceLROnPlateau};

use derin_tensor::ndarray::ArrayD;

use crate::error::{Error, Result};
use crate::fit::EpochLog;
use crate::logs::Logs;
use crate::metric::Metric;
use derin_tensor::Param;

use crate::module::Module;
use crate::sequential::Sequential;

/// What a callback may do to the model being trained: a [`Sequential`] or a functional
/// [`Model`](crate::Model) (Keras' `callback.model`).
///
/// ```
/// use derin_nn::{Activation, Dense, Loss, Sequential, TrainableModel};
/// use derin_optim::Sgd;
/// let mut m = Sequential::new(&[2]).add(Dense::new(1, Activation::Linear)).unwrap();
/// m.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![]);
/// let model: &mut dyn TrainableModel = &mut m;
/// model.set_learning_rate(0.5).unwrap();
/// assert_eq!(model.learning_rate(), Some(0.5));
/// assert_eq!(model.model_weights().len(), 2);
/// ```
pub trait TrainableModel {
    /// The optimizer's learning rate, `None` before `compile` (and by default: a model
    /// with several optimizers has no single one).
    fn learning_rate(&self) -> Option<f32> {
        None
    }

    /// Sets the optimizer's learning rate.
    ///
    /// # Errors
    /// [`Error::NotCompiled`]; [`Error::Hyperparameter`] when `lr` is negative or not
    /// finite. The default is [`Error::NotCompiled`]: learning-rate callbacks need a model
    /// that overrides this.
    fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        let _ = lr;
        Err(Error::NotCompiled { operation: "set_learning_rate" })
    }

    /// Every weight: trainable, frozen and state weights (what early stopping saves and
    /// restores, what the NaN guard keeps, what the default
    /// [`save_model`](TrainableModel::save_model) writes). Names must be unique: a struct
    /// holding several models prefixes each model's names (see [`prefixed`](crate::prefixed)).
    fn model_weights(&self) -> Vec<Param>;

    /// Saves the model to `path` (what [`ModelCheckpoint`] calls). `Sequential` and
    /// `Model` write their own files (architecture, weights, optimizer state); the
    /// default writes [`model_weights`](TrainableModel::model_weights) as a safetensors
    /// file, which [`load_weights`](crate::load_weights) reads back.
    ///
    /// # Errors
    /// As [`Sequential::save`]; [`Error::Unserializable`] for models that cannot be
    /// saved yet; [`Error::Io`] when the file cannot be written.
    fn save_model(&self, path: &std::path::Path) -> Result<()> {
        crate::checkpoint::save_weights(path, &self.model_weights())
    }
}

impl TrainableModel for Sequential {
    fn learning_rate(&self) -> Option<f32> {
        Sequential::learning_rate(self)
    }

    fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        Sequential::set_learning_rate(self, lr)
    }

    fn model_weights(&self) -> Vec<Param> {
        [self.weights(), self.state_weights()].concat()
    }

    fn save_model(&self, path: &std::path::Path) -> Result<()> {
        self.save(path)
    }
}

/// What a callback learns when training begins.
///
/// ```
/// use derin_nn::TrainInfo;
/// let info = TrainInfo { epochs: 3, steps_per_epoch: 10, has_validation: false, metrics: vec![], verbose: false };
/// assert_eq!(info.epochs * info.steps_per_epoch, 30);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TrainInfo {
    /// Epochs asked for.
    pub epochs: usize,
    /// Batches per epoch.
    pub steps_per_epoch: usize,
    /// Whether each epoch is scored on validation data.
    pub has_validation: bool,
    /// The compiled metrics (empty for a functional model with several outputs, whose
    /// per-output values a [`Monitor::Key`] watches).
    pub metrics: Vec<Metric>,
    /// Whether `fit` prints progress (callbacks may print too).
    pub verbose: bool,
}

/// Code run by [`fit`](Sequential::fit) (of a [`Sequential`], a functional
/// [`Model`](crate::Model) or any [`TrainStep`](crate::TrainStep)) at fixed points of training (Keras'
/// `keras.callbacks.Callback`), given the model being trained. Every method has a default that does nothing; epochs and
/// batches count from 0. Callbacks run in the order of [`FitOptions::callbacks`](crate::FitOptions::callbacks),
/// and every callback sees every finished epoch, even when an earlier one asked to stop.
///
/// ```
/// use derin_data::Targets;
/// use derin_nn::{Callback, Dense, Activation, EpochLog, FitOptions, Loss, Result, Sequential, TrainableModel};
/// use derin_optim::Sgd;
/// use derin_tensor::Tensor;
/// /// Stops once the training loss is below a bound.
/// struct LossBelow(f32);
/// impl Callback for LossBelow {
///     fn on_epoch_end(&mut self, epoch: usize, log: &EpochLog, _: &mut dyn TrainableModel) -> Result<Option<String>> {
///         let loss = log.train.loss().unwrap_or(f32::INFINITY);
///         Ok((loss < self.0).then(|| format!("loss below {} after epoch {}", self.0, epoch + 1)))
///     }
/// }
/// let mut m = Sequential::new(&[1]).add(Dense::new(1, Activation::Linear)).unwrap();
/// m.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![]);
/// let (x, y) = (Tensor::ones(&[8, 1]), Targets::Values(Tensor::full(&[8, 1], 2.0)));
/// let opts = FitOptions { epochs: 1000, callbacks: vec![Box::new(LossBelow(0.01))], ..FitOptions::default() };
/// let h = m.fit(&x, &y, opts).unwrap();
/// assert!(h.epochs.len() < 1000 && h.stopped.unwrap().starts_with("loss below"));
/// ```
pub trait Callback {
    /// Before the first epoch: check that what the callback needs exists.
    ///
    /// # Errors
    /// Whatever the callback finds missing; `fit` returns it before training.
    fn on_train_begin(&mut self, _info: &TrainInfo, _model: &mut dyn TrainableModel) -> Result<()> {
        Ok(())
    }

    /// Before each epoch (learning-rate schedules act here).
    ///
    /// # Errors
    /// Whatever the callback fails at; `fit` stops and returns it.
    fn on_epoch_begin(&mut self, _epoch: usize, _model: &mut dyn TrainableModel) -> Result<()> {
        Ok(())
    }

    /// After each batch, with the values its step logged (`loss`, …); `Some(reason)`
    /// stops training at once.
    fn on_batch_end(&mut self, _batch: usize, _logs: &Logs) -> Option<String> {
        None
    }

    /// After each epoch, with its scores; `Some(reason)` stops training after this epoch
    /// (the reason goes to [`History::stopped`](crate::History::stopped)).
    ///
    /// # Errors
    /// Whatever the callback fails at (a log that cannot be written); `fit` returns it.
    fn on_epoch_end(
        &mut self,
        _epoch: usize,
        _log: &EpochLog,
        _model: &mut dyn TrainableModel,
    ) -> Result<Option<String>> {
        Ok(None)
    }
}

/// Stops training at the first batch that logs a NaN or infinite value (Keras'
/// `TerminateOnNaN`). `fit` does this by itself, and puts back the weights from before
/// that step, unless [`FitOptions::terminate_on_nan`](crate::FitOptions::terminate_on_nan)
/// is `false`.
///
/// ```
/// use derin_nn::{Callback, Logs, TerminateOnNaN};
/// let mut t = TerminateOnNaN;
/// assert!(t.on_batch_end(0, &Logs::new().with("loss", 0.5)).is_none());
/// assert!(t.on_batch_end(1, &Logs::new().with("loss", f32::NAN)).unwrap().contains("batch 2"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TerminateOnNaN;

impl Callback for TerminateOnNaN {
    fn on_batch_end(&mut self, batch: usize, logs: &Logs) -> Option<String> {
        let (name, value) = logs.first_non_finite()?;
        Some(format!("TerminateOnNaN: {name} became {value} at batch {}", batch + 1))
    }
}

/// A number recorded for each epoch, watched by [`EarlyStopping`] and
/// [`ReduceLROnPlateau`].
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
    /// Any value by its log name, as Keras' `monitor="val_digit_loss"`: what a
    /// functional [`Model`](crate::Model) with several outputs logs per output
    /// (`digit_loss`, `val_big_accuracy`, …; see [`Scores::entries`](crate::Scores::entries)).
    /// Higher is better unless the name ends in `loss`, `mse` or `mae`. A name that is
    /// not logged is an error at the end of the first epoch.
    Key(&'static str),
}

impl Monitor {
    /// Whether larger values are better (accuracy, AUC, …) rather than smaller (losses,
    /// errors), as Keras' `mode="auto"` decides.
    ///
    /// ```
    /// # use derin_nn::{Metric, Monitor};
    /// assert!(!Monitor::Metric(Metric::MeanAbsoluteError).higher_is_better());
    /// ```
    pub fn higher_is_better(&self) -> bool {
        match self {
            Monitor::Loss | Monitor::ValLoss => false,
            Monitor::Metric(m) | Monitor::ValMetric(m) => m.higher_is_better(),
            Monitor::Key(key) => !["loss", "mse", "mae"].iter().any(|end| key.ends_with(end)),
        }
    }

    /// The monitored value in `log`, if it was recorded.
    ///
    /// ```
    /// # use derin_nn::{EpochLog, Logs, Monitor};
    /// let log = EpochLog { train: Logs::new().with("loss", 0.5), val: None };
    /// assert_eq!(Monitor::Loss.value(&log), Some(0.5));
    /// assert_eq!(Monitor::ValLoss.value(&log), None);
    /// ```
    pub fn value(&self, log: &EpochLog) -> Option<f32> {
        match *self {
            Monitor::Loss => log.train.loss(),
            Monitor::ValLoss => log.val.as_ref().and_then(Logs::loss),
            Monitor::Metric(m) => log.train.metric(m),
            Monitor::ValMetric(m) => log.val.as_ref().and_then(|v| v.metric(m)),
            Monitor::Key(key) => log.get(key),
        }
    }

    /// Keras' log key: `loss`, `val_loss`, `accuracy`, `val_accuracy`, ….
    ///
    /// ```
    /// # use derin_nn::{Metric, Monitor};
    /// assert_eq!(Monitor::ValMetric(Metric::Auc).name(), "val_auc");
    /// ```
    pub fn name(&self) -> String {
        match self {
            Monitor::Loss => "loss".to_string(),
            Monitor::ValLoss => "val_loss".to_string(),
            Monitor::Metric(m) => m.short_name().to_string(),
            Monitor::ValMetric(m) => format!("val_{}", m.short_name()),
            Monitor::Key(key) => key.to_string(),
        }
    }

    /// The monitored value in `log`; `Err` naming `who` and the logged names when it is
    /// not among them (a [`Monitor::Key`] misspelt, a custom step that logs no `loss`).
    pub(crate) fn value_in(&self, who: &str, log: &EpochLog) -> Result<Option<f32>> {
        let value = self.value(log);
        if value.is_none() {
            let (name, logged) = (self.name(), log.names());
            let reason = format!("{who} monitors {name}, which is not logged; the logs hold {logged:?}");
            return Err(Error::Data { operation: "fit", reason });
        }
        Ok(value)
    }

    /// `Err` naming `who` when the value will not be recorded.
    pub(crate) fn check(&self, who: &str, info: &TrainInfo) -> Result<()> {
        let missing = match self {
            Monitor::ValLoss | Monitor::ValMetric(_) if !info.has_validation => "there is no validation data",
            Monitor::Key(key) if key.starts_with("val_") && !info.has_validation => "there is no validation data",
            Monitor::Metric(m) | Monitor::ValMetric(m) if !info.metrics.contains(m) => "that metric is not compiled",
            _ => return Ok(()),
        };
        let reason = format!("{who} monitors {}, but {missing}", self.name());
        Err(Error::Data { operation: "fit", reason })
    }
}

/// Stops `fit` when the monitored value has not improved by more than `min_delta` for
/// `patience` epochs in a row (Keras' `EarlyStopping`), and optionally puts back the
/// weights of the best epoch when it stops.
///
/// Give it to `fit` as [`FitOptions::early_stopping`](crate::FitOptions::early_stopping)
/// or, converted with `into()`, among [`FitOptions::callbacks`](crate::FitOptions::callbacks).
///
/// ```
/// use derin_nn::{Callback, EarlyStopping, Monitor};
/// let e = EarlyStopping::default();
/// assert_eq!((e.monitor, e.patience, e.min_delta, e.restore_best_weights), (Monitor::ValLoss, 0, 0.0, false));
/// let as_callback: Box<dyn Callback> = EarlyStopping { patience: 3, ..e }.into();
/// # drop(as_callback);
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

impl From<EarlyStopping> for Box<dyn Callback> {
    fn from(rule: EarlyStopping) -> Self {
        Box::new(EarlyStopper { rule, best: None, best_weights: None, wait: 0 })
    }
}

/// The running state of an [`EarlyStopping`] during one `fit`.
struct EarlyStopper {
    rule: EarlyStopping,
    best: Option<(f32, usize)>,
    best_weights: Option<Vec<ArrayD<f32>>>,
    wait: usize,
}

impl Callback for EarlyStopper {
    fn on_train_begin(&mut self, info: &TrainInfo, _: &mut dyn TrainableModel) -> Result<()> {
        self.rule.monitor.check("EarlyStopping", info)?;
        (self.best, self.best_weights, self.wait) = (None, None, 0);
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, log: &EpochLog, model: &mut dyn TrainableModel) -> Result<Option<String>> {
        let Some(value) = self.rule.monitor.value_in("EarlyStopping", log)? else { return Ok(None) };
        let weights = model.model_weights();
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
            return Ok(None);
        }
        self.wait += 1;
        if self.wait < self.rule.patience.max(1) {
            return Ok(None);
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
        Ok(Some(why))
    }
}
