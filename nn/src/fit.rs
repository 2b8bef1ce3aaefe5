//! `fit`: the training loop, its options and the `History` it returns.

use derin_data::Targets;
use derin_tensor::Tensor;

use crate::callbacks::{Callback, EarlyStopping};
use crate::error::{Error, Result};
use crate::fit_loop::{self, Fit, RunningMetrics};
use crate::logs::Logs;
use crate::loss::Loss;
use crate::metric::Metric;
use crate::module::{Ctx, Module};
use crate::sequential::Sequential;

/// Options of [`Sequential::fit`] and [`Model::fit`](crate::Model::fit), with Keras'
/// defaults.
///
/// `batch_size` chooses the flavour of gradient descent: the whole training set (batch
/// gradient descent, "GD"), 1 (stochastic gradient descent, "SGD") or anything in between
/// (mini-batch gradient descent; Keras' default 32).
///
/// ```
/// use derin_nn::FitOptions;
/// let o = FitOptions::default();
/// assert_eq!((o.epochs, o.batch_size, o.validation_split, o.shuffle), (1, 32, 0.0, true));
/// assert!(o.early_stopping.is_none() && o.class_weight.is_none() && o.callbacks.is_empty());
/// assert!(o.terminate_on_nan && !o.verbose);
/// ```
pub struct FitOptions {
    /// Passes over the training data.
    pub epochs: usize,
    /// Samples per gradient step.
    pub batch_size: usize,
    /// The fraction of samples, taken from the end before shuffling (as Keras), held out
    /// for validation; in `[0, 1)`.
    pub validation_split: f64,
    /// Whether to reshuffle the training samples every epoch.
    pub shuffle: bool,
    /// Seed of the shuffling and of dropout masks.
    pub seed: u64,
    /// Show a progress bar per epoch (batches done, loss and metrics so far, time left;
    /// only when stdout is a terminal) and print one line per epoch with the training and
    /// validation scores. `false` (the default here, unlike Keras) prints nothing.
    pub verbose: bool,
    /// Stop when a monitored value stops improving (none by default); the same as
    /// putting the rule, converted with `into()`, first among the callbacks.
    pub early_stopping: Option<EarlyStopping>,
    /// Callbacks run at the start of training and of each epoch, after each batch and
    /// after each epoch, in this order (none by default).
    pub callbacks: Vec<Box<dyn Callback>>,
    /// Stop at the first batch whose loss is NaN or infinite, or whose step makes a weight
    /// NaN or infinite, keeping the weights from before that step (Keras'
    /// `TerminateOnNaN`, here on by default). The optimizer's state is not rolled back.
    /// When `false`, a batch with a non-finite loss is not applied and training goes on.
    /// The guard keeps the previous weights alive across each step, which costs a copy and
    /// a scan of the weights per step (a few per cent on a small dense model).
    pub terminate_on_nan: bool,
    /// Weight of each class in the training loss (Keras' `class_weight`), one per class:
    /// a sample's class is its label, the arg-max of its one-hot row, or, for a single
    /// binary output, 0 or 1 (target above 0.5). The weighted loss is
    /// `Σ wᵢ·lossᵢ / batch`; validation and `evaluate` stay unweighted.
    pub class_weight: Option<Vec<f32>>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            epochs: 1,
            batch_size: 32,
            validation_split: 0.0,
            shuffle: true,
            seed: 0,
            verbose: false,
            early_stopping: None,
            callbacks: Vec::new(),
            terminate_on_nan: true,
            class_weight: None,
        }
    }
}

impl std::fmt::Debug for FitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitOptions")
            .field("epochs", &self.epochs)
            .field("batch_size", &self.batch_size)
            .field("validation_split", &self.validation_split)
            .field("shuffle", &self.shuffle)
            .field("seed", &self.seed)
            .field("verbose", &self.verbose)
            .field("early_stopping", &self.early_stopping)
            .field("callbacks", &self.callbacks.len())
            .field("terminate_on_nan", &self.terminate_on_nan)
            .field("class_weight", &self.class_weight)
            .finish()
    }
}

/// The values logged for one epoch: on the training batches (as they were trained on)
/// and on the validation batches, if any (Keras' epoch `logs`, with `val_` split off).
///
/// ```
/// use derin_nn::{EpochLog, Logs};
/// let e = EpochLog { train: Logs::new().with("loss", 1.0), val: None };
/// assert!(e.val.is_none());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EpochLog {
    /// Training loss and metrics (or whatever a custom step logs), averaged over the
    /// epoch's samples.
    pub train: Logs,
    /// Validation values after the epoch.
    pub val: Option<Logs>,
}

impl EpochLog {
    /// The value logged as `key`: a training name (`loss`, `digit_accuracy`, `d_loss`, …)
    /// or one prefixed with `val_`.
    ///
    /// ```
    /// # use derin_nn::{EpochLog, Logs};
    /// let e = EpochLog { train: Logs::new().with("loss", 1.0), val: Some(Logs::new().with("loss", 2.0)) };
    /// assert_eq!((e.get("loss"), e.get("val_loss"), e.get("val_accuracy")), (Some(1.0), Some(2.0), None));
    /// ```
    pub fn get(&self, key: &str) -> Option<f32> {
        let from_train = self.train.get(key);
        let from_val = || key.strip_prefix("val_").and_then(|k| self.val.as_ref()?.get(k));
        from_train.or_else(from_val)
    }

    /// Every name logged, the validation ones prefixed with `val_`.
    ///
    /// ```
    /// # use derin_nn::{EpochLog, Logs};
    /// let e = EpochLog { train: Logs::new().with("loss", 1.0), val: Some(Logs::new().with("loss", 2.0)) };
    /// assert_eq!(e.names(), vec!["loss", "val_loss"]);
    /// ```
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.train.names().into_iter().map(String::from).collect();
        if let Some(val) = &self.val {
            names.extend(val.names().into_iter().map(|k| format!("val_{k}")));
        }
        names
    }
}

/// Per-epoch losses and metrics of a [`fit`](Sequential::fit) (Keras' `History`).
///
/// ```
/// use derin_nn::{EpochLog, History, Logs, Metric};
/// let s = |l: f32| Logs::new().with("loss", l).with("accuracy", 1.0 - l);
/// let h = History { epochs: vec![EpochLog { train: s(0.5), val: Some(s(0.6)) }], stopped: None };
/// assert_eq!(h.loss(), vec![0.5]);
/// assert_eq!(h.val_loss(), vec![0.6]);
/// assert_eq!(h.metric(Metric::Accuracy), vec![0.5]);
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct History {
    /// One entry per finished epoch.
    pub epochs: Vec<EpochLog>,
    /// Why training stopped before the last epoch (early stopping, a non-finite loss),
    /// if it did.
    pub stopped: Option<String>,
}

impl History {
    /// The training loss of each epoch that logged one.
    ///
    /// ```
    /// # use derin_nn::History;
    /// assert!(History::default().loss().is_empty());
    /// ```
    pub fn loss(&self) -> Vec<f32> {
        self.get("loss")
    }

    /// The validation loss of each epoch that has one.
    ///
    /// ```
    /// # use derin_nn::History;
    /// assert!(History::default().val_loss().is_empty());
    /// ```
    pub fn val_loss(&self) -> Vec<f32> {
        self.get("val_loss")
    }

    /// The training value of `metric` in each epoch.
    ///
    /// ```
    /// # use derin_nn::{History, Metric};
    /// assert!(History::default().metric(Metric::Accuracy).is_empty());
    /// ```
    pub fn metric(&self, metric: Metric) -> Vec<f32> {
        self.get(metric.short_name())
    }

    /// The validation value of `metric` in each epoch.
    ///
    /// ```
    /// # use derin_nn::{History, Metric};
    /// assert!(History::default().val_metric(Metric::Accuracy).is_empty());
    /// ```
    pub fn val_metric(&self, metric: Metric) -> Vec<f32> {
        self.get(&format!("val_{}", metric.short_name()))
    }

    /// The value logged as `key` in each epoch that has it, by Keras' name: `loss`,
    /// `accuracy`, `val_loss`, for a model with several outputs `digit_loss`,
    /// `val_digit_accuracy`, …, and whatever a custom [`TrainStep`](crate::TrainStep)
    /// logs (Keras' `history.history[key]`).
    ///
    /// ```
    /// # use derin_nn::{EpochLog, History, Logs};
    /// let s = |l| Logs::new().with("loss", l);
    /// let h = History { epochs: vec![EpochLog { train: s(0.5), val: Some(s(0.75)) }], stopped: None };
    /// assert_eq!(h.get("val_loss"), vec![0.75]);
    /// assert!(h.get("digit_loss").is_empty());
    /// ```
    pub fn get(&self, key: &str) -> Vec<f32> {
        self.epochs.iter().filter_map(|e| e.get(key)).collect()
    }
}

impl Sequential {
    /// Trains the model on `x`, `y` for `options.epochs` epochs of mini-batches.
    ///
    /// Every input and option is checked, and every callback's `on_train_begin` run,
    /// before the first step. A loss that turns NaN or infinite, or a step that makes a
    /// weight so, stops training with the weights from before that step (unless
    /// [`FitOptions::terminate_on_nan`] is off); [`History::stopped`] says where, and why
    /// any callback stopped training.
    ///
    /// # Errors
    /// [`Error::NotCompiled`]; [`Error::Data`] when `x` is not `[n, input_shape…]`, `y`
    /// does not hold `n` targets fitting the output, or `batch_size` is 0;
    /// [`Error::Hyperparameter`] when `validation_split` is not in `[0, 1)`; [`Error::Data`]
    /// when early stopping (or another monitoring callback) watches a validation value
    /// without validation data, or a metric that is not compiled; any error a callback
    /// returns ([`Error::Io`] when a [`CSVLogger`](crate::CSVLogger) cannot write).
    ///
    /// ```
    /// use derin_data::Targets;
    /// use derin_nn::{Activation, Dense, FitOptions, Loss, Metric, Sequential};
    /// use derin_optim::{Adam, AdamConfig};
    /// use derin_tensor::Tensor;
    /// // Learn "is x₀ + x₁ > 0" from 64 points.
    /// let xs: Vec<f32> = (0..128).map(|i| ((i * 37 % 23) as f32 - 11.0) / 5.0).collect();
    /// let labels: Vec<f32> = xs.chunks(2).map(|p| f32::from(p[0] + p[1] > 0.0)).collect();
    /// let (x, y) = (Tensor::from_vec(xs, &[64, 2]), Targets::Values(Tensor::from_vec(labels, &[64, 1])));
    /// let mut m = Sequential::new(&[2]).add(Dense::new(1, Activation::Sigmoid)).unwrap();
    /// let adam = Adam::try_new(AdamConfig { learning_rate: 0.1, ..AdamConfig::default() }).unwrap();
    /// m.compile(Box::new(adam), Loss::BinaryCrossentropy { from_logits: false }, vec![Metric::Accuracy]);
    /// let opts = FitOptions { epochs: 30, batch_size: 16, validation_split: 0.25, ..FitOptions::default() };
    /// let h = m.fit(&x, &y, opts).unwrap();
    /// assert_eq!(h.epochs.len(), 30);
    /// assert!(h.loss()[29] < h.loss()[0]);
    /// assert!(h.metric(Metric::Accuracy)[29] > 0.9);
    /// assert_eq!(h.val_loss().len(), 30);
    /// ```
    pub fn fit(&mut self, x: &Tensor, y: &Targets, options: FitOptions) -> Result<History> {
        self.fit_inner(x, y, None, options)
    }

    /// [`fit`](Sequential::fit) with separate validation data (Keras'
    /// `validation_data=(x_val, y_val)`), scored after every epoch;
    /// `options.validation_split` is then ignored, as in Keras.
    ///
    /// # Errors
    /// As [`fit`](Sequential::fit), and [`Error::Data`] when `x_val`, `y_val` do not fit
    /// the model.
    ///
    /// ```
    /// use derin_data::Targets;
    /// use derin_nn::{Activation, Dense, FitOptions, Loss, Sequential};
    /// use derin_optim::Sgd;
    /// use derin_tensor::Tensor;
    /// let mut m = Sequential::new(&[1]).add(Dense::new(1, Activation::Linear)).unwrap();
    /// m.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![]);
    /// let (x, y) = (Tensor::ones(&[8, 1]), Targets::Values(Tensor::ones(&[8, 1])));
    /// let (xv, yv) = (Tensor::ones(&[2, 1]), Targets::Values(Tensor::ones(&[2, 1])));
    /// let h = m.fit_with_validation_data(&x, &y, &xv, &yv, FitOptions { epochs: 2, ..FitOptions::default() }).unwrap();
    /// assert_eq!(h.val_loss().len(), 2);
    /// assert!(m.fit_with_validation_data(&x, &y, &xv, &Targets::Labels(vec![0]), FitOptions::default()).is_err());
    /// ```
    pub fn fit_with_validation_data(
        &mut self,
        x: &Tensor,
        y: &Targets,
        x_val: &Tensor,
        y_val: &Targets,
        options: FitOptions,
    ) -> Result<History> {
        self.check_data("fit (validation data)", x_val, Some(y_val))?;
        self.fit_inner(x, y, Some((x_val.clone(), y_val.clone())), options)
    }

    fn fit_inner(
        &mut self,
        x: &Tensor,
        y: &Targets,
        validation: Option<(Tensor, Targets)>,
        options: FitOptions,
    ) -> Result<History> {
        let validation = validation.map(|(x, y)| (vec![x], vec![y]));
        fit_loop::run(self, std::slice::from_ref(x), std::slice::from_ref(y), validation, options)
    }
}

impl Fit for Sequential {
    fn outputs(&self) -> Result<Vec<(String, Loss, Vec<Metric>)>> {
        let c = self.compiled.as_ref().ok_or(Error::NotCompiled { operation: "fit" })?;
        Ok(vec![(self.name().to_string(), c.loss.clone(), c.metrics.clone())])
    }

    fn check_data(&self, operation: &'static str, xs: &[Tensor], ys: &[Targets]) -> Result<()> {
        let [x] = xs else { return Err(inputs_error(operation, xs.len(), ys.len())) };
        let [y] = ys else { return Err(inputs_error(operation, xs.len(), ys.len())) };
        Sequential::check_data(self, operation, x, Some(y))
    }

    fn check_class_weight(&self, weights: Option<&[f32]>) -> Result<()> {
        weights.map_or(Ok(()), |w| fit_loop::check_class_weight(w, self.output_shape()))
    }

    fn step_batch(
        &mut self,
        xs: &[Tensor],
        ys: &[Targets],
        ctx: &mut Ctx,
        weights: Option<&Tensor>,
    ) -> Result<(f32, Vec<f32>, Vec<Tensor>)> {
        let (loss, pred) = self.step(&xs[0], &ys[0], ctx, weights)?;
        Ok((loss, vec![loss], vec![pred]))
    }

    fn test_batch(&self, xs: &[Tensor], ys: &[Targets]) -> Result<(f32, Vec<f32>, Vec<Tensor>)> {
        let (loss, pred) = Sequential::test_batch(self, &xs[0], &ys[0])?;
        Ok((loss, vec![loss], vec![pred]))
    }

    fn running(&mut self) -> Option<&mut RunningMetrics> {
        self.compiled.as_mut().map(|c| &mut c.running)
    }

    fn running_ref(&self) -> Option<&RunningMetrics> {
        self.compiled.as_ref().map(|c| &c.running)
    }
}

/// A `Sequential` takes one input and one target per batch.
fn inputs_error(operation: &'static str, inputs: usize, targets: usize) -> Error {
    let reason = format!("a Sequential model takes 1 input and 1 target per batch, got {inputs} and {targets}");
    Error::Data { operation, reason }
}
