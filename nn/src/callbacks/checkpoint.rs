//! `ModelCheckpoint`: saves the model during `fit`, every epoch or only when the monitored
//! value improves.

use std::path::{Path, PathBuf};

use super::{Callback, Monitor, TrainInfo, TrainableModel};
use crate::error::Result;
use crate::fit::EpochLog;

/// Saves the model (architecture, weights and optimizer state, see
/// [`Sequential::save`](crate::Sequential::save)) at the end of an epoch — Keras'
/// `ModelCheckpoint`. With `save_best_only` it saves only when the monitored value beats
/// the best so far (by any amount; larger is better for accuracies and other scores,
/// smaller for losses), so the file always holds the best epoch's model. `{epoch}` in the
/// path is replaced by the epoch number counted from 1 (Keras' `{epoch:02d}` is written
/// `{epoch}` here). Every save is atomic: a crash mid-save leaves the previous file whole.
///
/// A functional [`Model`](crate::Model) is saved with [`Model::save`](crate::Model::save):
/// architecture and weights, without the optimizer state.
///
/// ```
/// # #[cfg(feature = "hdf5")] {
/// use derin_data::Targets;
/// use derin_nn::{Activation, Dense, FitOptions, Loss, ModelCheckpoint, Monitor, Sequential};
/// use derin_optim::Adam;
/// use derin_tensor::Tensor;
/// let dir = std::env::temp_dir().join(format!("derin_checkpoint_doc_{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("best.h5");
/// let mut m = Sequential::with_seed(&[2], 0).add(Dense::new(1, Activation::Linear)).unwrap();
/// m.compile(Box::new(Adam::new()), Loss::MeanSquaredError, vec![]);
/// let x = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.5, 0.5], &[4, 2]);
/// let y = Targets::Values(Tensor::from_vec(vec![1.0, 1.0, 2.0, 1.0], &[4, 1]));
/// let checkpoint = ModelCheckpoint::new(&path).monitor(Monitor::Loss).save_best_only(true);
/// let options = FitOptions { epochs: 3, callbacks: vec![Box::new(checkpoint)], ..FitOptions::default() };
/// m.fit(&x, &y, options).unwrap();
/// let best = Sequential::load(&path).unwrap();
/// assert_eq!(best.count_params(), 3);
/// std::fs::remove_dir_all(&dir).unwrap();
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ModelCheckpoint {
    filepath: PathBuf,
    monitor: Monitor,
    save_best_only: bool,
    best: Option<f32>,
    saved: Vec<usize>,
}

impl ModelCheckpoint {
    /// Saves to `filepath` after every epoch, watching `val_loss` (Keras' defaults).
    ///
    /// ```
    /// # use derin_nn::{ModelCheckpoint, Monitor};
    /// let c = ModelCheckpoint::new("model_{epoch}.h5");
    /// assert_eq!(c.monitored(), Monitor::ValLoss);
    /// assert_eq!(c.path_for(3), std::path::PathBuf::from("model_3.h5"));
    /// ```
    pub fn new(filepath: impl AsRef<Path>) -> Self {
        ModelCheckpoint {
            filepath: filepath.as_ref().to_path_buf(),
            monitor: Monitor::ValLoss,
            save_best_only: false,
            best: None,
            saved: Vec::new(),
        }
    }

    /// Watches `monitor` instead of `val_loss`.
    ///
    /// ```
    /// # use derin_nn::{Metric, ModelCheckpoint, Monitor};
    /// let c = ModelCheckpoint::new("m.h5").monitor(Monitor::ValMetric(Metric::Accuracy));
    /// assert_eq!(c.monitored().name(), "val_accuracy");
    /// ```
    pub fn monitor(mut self, monitor: Monitor) -> Self {
        self.monitor = monitor;
        self
    }

    /// Saves only epochs that improve on the best value so far.
    ///
    /// ```
    /// # use derin_nn::ModelCheckpoint;
    /// assert!(ModelCheckpoint::new("m.h5").save_best_only(true).saved_epochs().is_empty());
    /// ```
    pub fn save_best_only(mut self, yes: bool) -> Self {
        self.save_best_only = yes;
        self
    }

    /// The value watched.
    ///
    /// ```
    /// # use derin_nn::{ModelCheckpoint, Monitor};
    /// assert_eq!(ModelCheckpoint::new("m.h5").monitor(Monitor::Loss).monitored(), Monitor::Loss);
    /// ```
    pub fn monitored(&self) -> Monitor {
        self.monitor
    }

    /// The file written for `epoch` (counted from 1): `{epoch}` in the path replaced.
    ///
    /// ```
    /// # use derin_nn::ModelCheckpoint;
    /// assert_eq!(ModelCheckpoint::new("best.h5").path_for(7), std::path::PathBuf::from("best.h5"));
    /// ```
    pub fn path_for(&self, epoch: usize) -> PathBuf {
        PathBuf::from(self.filepath.to_string_lossy().replace("{epoch}", &epoch.to_string()))
    }

    /// The epochs (from 1) saved so far in this `fit`.
    ///
    /// ```
    /// # use derin_nn::ModelCheckpoint;
    /// assert!(ModelCheckpoint::new("m.h5").saved_epochs().is_empty());
    /// ```
    pub fn saved_epochs(&self) -> &[usize] {
        &self.saved
    }
}

impl Callback for ModelCheckpoint {
    fn on_train_begin(&mut self, info: &TrainInfo, _: &mut dyn TrainableModel) -> Result<()> {
        if self.save_best_only {
            self.monitor.check("ModelCheckpoint", info)?;
        }
        self.best = None;
        self.saved.clear();
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, log: &EpochLog, model: &mut dyn TrainableModel) -> Result<Option<String>> {
        if self.save_best_only {
            let Some(value) = self.monitor.value_in("ModelCheckpoint", log)? else { return Ok(None) };
            let better = match self.best {
                None => value.is_finite(),
                Some(best) if self.monitor.higher_is_better() => value > best,
                Some(best) => value < best,
            };
            if !better {
                return Ok(None);
            }
            self.best = Some(value);
        }
        model.save_model(&self.path_for(epoch + 1))?;
        self.saved.push(epoch + 1);
        Ok(None)
    }
}
