//! The one training loop: [`fit`] drives any [`TrainStep`] over a [`BatchSource`] with the
//! callbacks, the progress display, validation and the NaN guard. `Sequential` and
//! `Model` reach it through the crate-private [`Fit`] trait, which gives them their
//! `TrainStep` over [`TrainBatch`]es and the in-memory batches of `fit(x, y)`.

use derin_data::Targets;
use derin_tensor::{Param, Rng, Tensor};

use crate::callbacks::{Callback, TrainInfo, TrainableModel};
use crate::error::{Error, Result};
use crate::fit::{EpochLog, FitOptions, History};
use crate::logs::{LogMeans, Logs, StepLogs};
use crate::loss::Loss;
use crate::metric::Metric;
use crate::module::Ctx;
use crate::progress::Progress;
use crate::step::{BatchSource, TrainBatch, TrainStep};
use crate::train::{Accumulator, OutputScores, Scores, check_batch_size, check_targets, select_targets};

/// What the loop needs from a compiled model; inputs and targets come one per model
/// input and output (a `Sequential` has one of each).
pub(crate) trait Fit: TrainableModel {
    /// Each output's name, loss and metrics; [`Error::NotCompiled`] before `compile`.
    fn outputs(&self) -> Result<Vec<(String, Loss, Vec<Metric>)>>;

    /// Checks the inputs and targets against the model and against each other.
    fn check_data(&self, operation: &'static str, xs: &[Tensor], ys: &[Targets]) -> Result<()>;

    /// Checks `class_weight` against the model.
    fn check_class_weight(&self, weights: Option<&[f32]>) -> Result<()>;

    /// One optimizer step: the total loss (weighted, with penalties), each output's loss
    /// and each output's predictions (detached). A non-finite total is returned without
    /// stepping.
    fn step_batch(
        &mut self,
        xs: &[Tensor],
        ys: &[Targets],
        ctx: &mut Ctx,
        weights: Option<&Tensor>,
    ) -> Result<(f32, Vec<f32>, Vec<Tensor>)>;

    /// The same numbers in inference mode, without a step; the total includes the weight
    /// penalties, as `evaluate`'s loss does.
    fn test_batch(&self, xs: &[Tensor], ys: &[Targets]) -> Result<(f32, Vec<f32>, Vec<Tensor>)>;

    /// The metric state gathered since the last reset (`None` before `compile`).
    fn running(&mut self) -> Option<&mut RunningMetrics>;

    /// As [`running`](Fit::running), to read.
    fn running_ref(&self) -> Option<&RunningMetrics>;
}

/// Each output's metric state over the batches since the last reset.
pub(crate) struct RunningMetrics {
    outputs: Vec<(String, Loss, Accumulator)>,
}

impl RunningMetrics {
    pub(crate) fn new(outputs: &[(String, Loss, Vec<Metric>)]) -> Self {
        let outputs = outputs.iter().map(|(n, l, m)| (n.clone(), l.clone(), Accumulator::new(m))).collect();
        RunningMetrics { outputs }
    }

    fn add(&mut self, losses: &[f32], preds: &[Tensor], ys: &[Targets]) -> Result<()> {
        for (((_, loss_fn, acc), &loss), (pred, y)) in self.outputs.iter_mut().zip(losses).zip(preds.iter().zip(ys)) {
            acc.add(loss_fn, loss, pred, y)?;
        }
        Ok(())
    }

    fn reset(&mut self) {
        for (_, _, acc) in &mut self.outputs {
            *acc = Accumulator::new(acc.metrics());
        }
    }

    /// The metrics under Keras' names: `accuracy` for one output, `digit_accuracy` for
    /// several.
    fn result(&self) -> Logs {
        let mut logs = Logs::new();
        let single = self.outputs.len() == 1;
        for (name, _, acc) in &self.outputs {
            for (m, v) in acc.mean().metrics {
                match single {
                    true => logs.set(m.short_name(), v),
                    false => logs.set(&format!("{name}_{}", m.short_name()), v),
                }
            }
        }
        logs
    }
}

/// The batch's losses under Keras' names: `loss`, and for several outputs each
/// output's `digit_loss`.
fn loss_logs(names: &[String], samples: usize, total: f32, losses: &[f32]) -> StepLogs {
    let mut logs = StepLogs::new(samples).with("loss", total);
    if names.len() > 1 {
        for (name, &l) in names.iter().zip(losses) {
            logs.values.set(&format!("{name}_loss"), l);
        }
    }
    logs
}

/// The step of [`Sequential`](crate::Sequential) and the functional
/// [`Model`](crate::Model) over [`TrainBatch`]es (one input tensor per model input, one
/// set of targets per output): what their `fit` and [`fit`] with a
/// [`DataLoader`](derin_data::DataLoader) run. It logs `loss` (the weighted total) and, for
/// several outputs, each output's `name_loss`; [`metrics_result`](TrainStep::metrics_result)
/// gives the compiled metrics (`accuracy`, or `name_accuracy` for several outputs).
///
/// ```
/// use derin_data::Targets;
/// use derin_nn::{Activation, Ctx, Dense, Loss, Metric, Sequential, TrainBatch, TrainStep};
/// use derin_optim::Sgd;
/// use derin_tensor::Tensor;
/// let mut m = Sequential::new(&[1]).add(Dense::new(2, Activation::Softmax)).unwrap();
/// m.compile(Box::new(Sgd::new()), Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![Metric::Accuracy]);
/// let batch = TrainBatch::new(Tensor::zeros(&[2, 1]), Targets::Labels(vec![0, 1]));
/// let logs = m.train_step(&batch, &mut Ctx::train(0)).unwrap();
/// assert!((logs.values["loss"] - 2f32.ln()).abs() < 1e-6);
/// assert_eq!(m.metrics_result().names(), vec!["accuracy"]);
/// ```
impl<M: Fit> TrainStep for M {
    type Batch = TrainBatch;

    fn train_step(&mut self, batch: &TrainBatch, ctx: &mut Ctx) -> Result<StepLogs> {
        let outputs = check_batch(self, "train_step", batch)?;
        let (xs, ys) = (&batch.inputs, &batch.targets);
        let (total, losses, preds) = self.step_batch(xs, ys, ctx, batch.sample_weight.as_ref())?;
        if let Some(running) = self.running() {
            running.add(&losses, &preds, ys)?;
        }
        let names: Vec<String> = outputs.into_iter().map(|(n, _, _)| n).collect();
        Ok(loss_logs(&names, batch.len(), total, &losses))
    }

    fn test_step(&mut self, batch: &TrainBatch) -> Result<StepLogs> {
        let outputs = check_batch(self, "test_step", batch)?;
        let (total, losses, preds) = self.test_batch(&batch.inputs, &batch.targets)?;
        if let Some(running) = self.running() {
            running.add(&losses, &preds, &batch.targets)?;
        }
        let names: Vec<String> = outputs.into_iter().map(|(n, _, _)| n).collect();
        Ok(loss_logs(&names, batch.len(), total, &losses))
    }

    fn reset_metrics(&mut self) {
        if let Some(running) = self.running() {
            running.reset();
        }
    }

    fn metrics_result(&self) -> Logs {
        self.running_ref().map_or_else(Logs::new, RunningMetrics::result)
    }

    fn compiled_metrics(&self) -> Vec<Metric> {
        match self.outputs().as_deref() {
            Ok([(_, _, m)]) => m.clone(),
            _ => Vec::new(),
        }
    }
}

fn check_batch<M: Fit>(
    model: &M,
    operation: &'static str,
    batch: &TrainBatch,
) -> Result<Vec<(String, Loss, Vec<Metric>)>> {
    model.check_data(operation, &batch.inputs, &batch.targets)?;
    let outputs = model.outputs()?;
    for ((_, loss_fn, _), y) in outputs.iter().zip(&batch.targets) {
        check_targets(operation, loss_fn, y)?;
    }
    if let Some(w) = &batch.sample_weight
        && w.shape() != [batch.len()]
    {
        let reason = format!("sample_weight has shape {:?}, the batch has {} samples", w.shape(), batch.len());
        return Err(Error::Data { operation, reason });
    }
    Ok(outputs)
}

/// Trains `model` on the batches of `train` for `options.epochs` epochs, with every
/// callback of `options`, a progress bar when `options.verbose`, the NaN guard of
/// [`FitOptions::terminate_on_nan`] and, after each epoch, the mean of
/// [`test_step`](TrainStep::test_step) over `validation`'s batches.
///
/// This is the loop [`Sequential::fit`](crate::Sequential::fit) and
/// [`Model::fit`](crate::Model::fit) run; here the batches come from a
/// [`BatchSource`] (a [`DataLoader`](derin_data::DataLoader), a `Vec` of batches), so the
/// options that make batches from tensors (`batch_size`, `shuffle`, `validation_split`,
/// `class_weight`) are not used: `validation_split` and `class_weight` are errors. The
/// dropout generator of the steps' [`Ctx`] is seeded from `options.seed`.
///
/// # Errors
/// [`Error::Data`] for `validation_split` or `class_weight`; any error of a callback's
/// `on_train_begin` (a monitored value that will not be logged); any error of a batch
/// from `train` or `validation`, of a step, or of a callback, as soon as it happens.
///
/// ```
/// use derin_data::{DataLoader, TensorDataset};
/// use derin_nn::{fit, Activation, Dense, FitOptions, Loss, Sequential, TrainBatch};
/// use derin_optim::Adam;
/// use derin_tensor::Tensor;
/// let x = Tensor::from_vec((0..64).map(|i| (i % 8) as f32 / 8.0).collect(), &[32, 2]);
/// let labels: Vec<usize> = (0..32).map(|i| usize::from(i % 4 >= 2)).collect();
/// let mut loader = DataLoader::new(TensorDataset::with_labels(x, labels).unwrap(), 8).unwrap().shuffle(1);
/// let mut m = Sequential::new(&[2]).add(Dense::new(2, Activation::Softmax)).unwrap();
/// m.compile(Box::new(Adam::new()), Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![]);
/// let h = fit(&mut m, &mut loader, None, FitOptions { epochs: 3, ..FitOptions::default() }).unwrap();
/// assert_eq!(h.get("loss").len(), 3);
/// ```
pub fn fit<M: TrainStep>(
    model: &mut M,
    train: &mut dyn BatchSource<M::Batch>,
    validation: Option<&mut dyn BatchSource<M::Batch>>,
    options: FitOptions,
) -> Result<History> {
    if options.validation_split != 0.0 || options.class_weight.is_some() {
        let reason = "validation_split and class_weight need in-memory tensors; give fit a validation source, \
                      or weights in each batch"
            .to_string();
        return Err(Error::Data { operation: "fit", reason });
    }
    let mut ctx = Ctx::train(Rng::seed(options.seed).next_seed());
    drive(model, train, validation, options, &mut ctx)
}

/// The loop itself.
fn drive<M: TrainStep>(
    model: &mut M,
    train: &mut dyn BatchSource<M::Batch>,
    mut validation: Option<&mut dyn BatchSource<M::Batch>>,
    options: FitOptions,
    ctx: &mut Ctx,
) -> Result<History> {
    let FitOptions { epochs, verbose, terminate_on_nan, .. } = options;
    let mut callbacks: Vec<Box<dyn Callback>> = options.early_stopping.map(Into::into).into_iter().collect();
    callbacks.extend(options.callbacks);
    let steps = train.len();
    let metrics = model.compiled_metrics();
    let info = TrainInfo { epochs, steps_per_epoch: steps, has_validation: validation.is_some(), metrics, verbose };
    for callback in &mut callbacks {
        callback.on_train_begin(&info, model)?;
    }
    // Parameters whose values are kept across each step, to undo a step that makes
    // them non-finite.
    let guarded: Vec<Param> = if terminate_on_nan { model.model_weights() } else { Vec::new() };
    let mut history = History::default();
    for epoch in 0..epochs {
        for callback in &mut callbacks {
            callback.on_epoch_begin(epoch, model)?;
        }
        let mut progress = Progress::new(verbose, epoch, epochs, steps);
        let mut means = LogMeans::default();
        model.reset_metrics();
        for (batch, item) in train.epoch(epoch).enumerate() {
            let item = item?;
            let before: Vec<Tensor> = guarded.iter().map(|p| p.value()).collect();
            let logs = model.train_step(&item, ctx)?;
            let at = format!("at epoch {}, batch {}", epoch + 1, batch + 1);
            let bad = if !terminate_on_nan {
                None
            } else if let Some((name, v)) = logs.values.first_non_finite() {
                guarded.iter().zip(&before).for_each(|(p, v)| p.set(v.to_array()));
                Some(format!(
                    "TerminateOnNaN: {name} became {v} {at}; training stopped, weights kept from before that step"
                ))
            } else if guarded.iter().any(|p| p.value().array().iter().any(|v| !v.is_finite())) {
                guarded.iter().zip(&before).for_each(|(p, v)| p.set(v.to_array()));
                let loss = logs.values.loss().map_or_else(String::new, |l| format!(" (loss {l})"));
                Some(format!(
                    "TerminateOnNaN: a weight became non-finite {at}{loss}; training stopped, weights kept from before that step"
                ))
            } else {
                None
            };
            drop(before);
            let asked = callbacks.iter_mut().fold(None, |first, c| {
                first.or(c.on_batch_end(batch, &logs.values).map(|why| format!("{why} ({at})")))
            });
            if let Some(why) = bad.or(asked) {
                progress.abandon(&why);
                history.stopped = Some(why);
                return Ok(history);
            }
            means.add(&logs);
            progress.batch(batch + 1, || means.result(model.metrics_result()));
        }
        let train_logs = means.result(model.metrics_result());
        let val = match validation.as_deref_mut() {
            Some(source) => Some(validate(model, source, epoch)?),
            None => None,
        };
        progress.finish(&train_logs, val.as_ref());
        let log = EpochLog { train: train_logs, val };
        let mut stop = None;
        for callback in &mut callbacks {
            let why = callback.on_epoch_end(epoch, &log, model)?;
            stop = stop.or(why);
        }
        history.epochs.push(log);
        if let Some(why) = stop {
            if verbose {
                println!("{why}");
            }
            history.stopped = Some(why);
            break;
        }
    }
    Ok(history)
}

/// The mean of `test_step` over the batches of `source`.
fn validate<M: TrainStep>(model: &mut M, source: &mut dyn BatchSource<M::Batch>, epoch: usize) -> Result<Logs> {
    model.reset_metrics();
    let mut means = LogMeans::default();
    for item in source.epoch(epoch) {
        means.add(&model.test_step(&item?)?);
    }
    Ok(means.result(model.metrics_result()))
}

/// In-memory batches of `fit(x, y)`: the samples `order` (reshuffled each epoch when
/// `rng` is given), `batch_size` at a time, with class weights as sample weights.
struct TensorBatches<'a> {
    xs: &'a [Tensor],
    ys: &'a [Targets],
    order: Vec<usize>,
    batch_size: usize,
    rng: Option<Rng>,
    class_weight: Option<&'a [f32]>,
}

impl BatchSource<TrainBatch> for TensorBatches<'_> {
    fn len(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    fn epoch(&mut self, _epoch: usize) -> Box<dyn Iterator<Item = Result<TrainBatch>> + '_> {
        if let Some(rng) = &mut self.rng {
            rng.shuffle(&mut self.order);
        }
        let (xs, ys, weights) = (self.xs, self.ys, self.class_weight);
        Box::new(self.order.chunks(self.batch_size).map(move |idx| {
            let (inputs, targets) = select(xs, ys, idx);
            let sample_weight = weights.map(|w| sample_weights(&targets[0], w));
            Ok(TrainBatch { inputs, targets, sample_weight })
        }))
    }
}

/// `fit(x, y)` of a compiled model: checks, the validation split, then the loop over
/// in-memory batches; `validation` replaces `options.validation_split`.
pub(crate) fn run<M: Fit + TrainStep<Batch = TrainBatch>>(
    model: &mut M,
    xs: &[Tensor],
    ys: &[Targets],
    validation: Option<(Vec<Tensor>, Vec<Targets>)>,
    options: FitOptions,
) -> Result<History> {
    model.check_data("fit", xs, ys)?;
    check_batch_size("fit", options.batch_size)?;
    if !(0.0..1.0).contains(&options.validation_split) {
        let what = "fit validation_split".to_string();
        return Err(Error::Hyperparameter { what, value: options.validation_split, range: "[0, 1)" });
    }
    let outputs = model.outputs()?;
    for ((_, loss_fn, _), y) in outputs.iter().zip(ys) {
        check_targets("fit", loss_fn, y)?;
    }
    model.check_class_weight(options.class_weight.as_deref())?;
    if let Some((_, y_val)) = &validation {
        for ((_, loss_fn, _), y) in outputs.iter().zip(y_val) {
            check_targets("fit (validation data)", loss_fn, y)?;
        }
    }
    let n = xs.first().map_or(0, |x| x.shape()[0]);
    let split = if validation.is_some() { 0.0 } else { options.validation_split };
    let n_train = n - (n as f64 * split) as usize;
    let held_out: Vec<usize> = (n_train..n).collect();
    let validation = match validation {
        Some(data) => Some(data),
        None if held_out.is_empty() => None,
        None => Some(select(xs, ys, &held_out)),
    };
    // The first draw seeds dropout, the following ones shuffle (as `fit` always has).
    let mut rng = Rng::seed(options.seed);
    let mut ctx = Ctx::train(rng.next_seed());
    let class_weight = options.class_weight.clone();
    let mut train = TensorBatches {
        xs,
        ys,
        order: (0..n_train).collect(),
        batch_size: options.batch_size,
        rng: options.shuffle.then_some(rng),
        class_weight: class_weight.as_deref(),
    };
    let mut val_source = validation.as_ref().map(|(xv, yv)| TensorBatches {
        xs: xv,
        ys: yv,
        order: (0..xv.first().map_or(0, |x| x.shape()[0])).collect(),
        batch_size: options.batch_size,
        rng: None,
        class_weight: None,
    });
    let val = val_source.as_mut().map(|s| s as &mut dyn BatchSource<TrainBatch>);
    drive(model, &mut train, val, options, &mut ctx)
}

/// Sums of the total loss and of each output's loss and metrics over batches (what
/// `Model::evaluate` reports).
pub(crate) struct MultiAccumulator {
    total: f64,
    samples: usize,
    per_output: RunningMetrics,
}

impl MultiAccumulator {
    pub(crate) fn new(outputs: &[(String, Loss, Vec<Metric>)]) -> Self {
        MultiAccumulator { total: 0.0, samples: 0, per_output: RunningMetrics::new(outputs) }
    }

    pub(crate) fn add(&mut self, total: f32, losses: &[f32], preds: &[Tensor], ys: &[Targets]) -> Result<()> {
        let n = preds.first().and_then(|p| p.shape().first().copied()).unwrap_or(1);
        self.total += f64::from(total) * n as f64;
        self.samples += n;
        self.per_output.add(losses, preds, ys)
    }

    /// One output: `loss` and `metrics` as a `Sequential` reports them; several: the
    /// total and each output's scores.
    pub(crate) fn mean(&self) -> Scores {
        let total = (self.total / self.samples.max(1) as f64) as f32;
        if let [(_, _, acc)] = self.per_output.outputs.as_slice() {
            return Scores { loss: total, ..acc.mean() };
        }
        let outputs = self
            .per_output
            .outputs
            .iter()
            .map(|(name, _, acc)| {
                let s = acc.mean();
                OutputScores { name: name.clone(), loss: s.loss, metrics: s.metrics }
            })
            .collect();
        Scores { loss: total, metrics: Vec::new(), outputs }
    }
}

/// The inputs and targets of the samples at `idx`.
pub(crate) fn select(xs: &[Tensor], ys: &[Targets], idx: &[usize]) -> (Vec<Tensor>, Vec<Targets>) {
    (xs.iter().map(|x| x.index_select(0, idx)).collect(), ys.iter().map(|y| select_targets(y, idx)).collect())
}

/// Each sample's class weight, `[batch]`.
fn sample_weights(y: &Targets, weights: &[f32]) -> Tensor {
    let classes: Vec<usize> = match y {
        Targets::Labels(l) => l.clone(),
        Targets::Values(v) => {
            let n = v.shape().first().copied().unwrap_or(1);
            let rows = v.reshape(&[n, v.len() / n.max(1)]);
            if rows.shape()[1] == 1 {
                rows.to_vec().iter().map(|&t| usize::from(t > 0.5)).collect()
            } else {
                rows.argmax(1, false).iter().copied().collect()
            }
        }
        Targets::Unlabeled => Vec::new(),
    };
    let w: Vec<f32> = classes.iter().map(|&c| weights.get(c).copied().unwrap_or(1.0)).collect();
    let n = w.len();
    Tensor::from_vec(w, &[n])
}

/// Checks one finite, non-negative class weight per class of an output of shape `output`
/// (one unit means two classes, as a sigmoid output has).
pub(crate) fn check_class_weight(w: &[f32], output: &[usize]) -> Result<()> {
    let classes = match output.last() {
        Some(1) | None => 2,
        Some(&c) => c,
    };
    if w.len() != classes {
        let reason = format!("class_weight has {} entries, the model's output has {classes} classes", w.len());
        return Err(Error::Data { operation: "fit", reason });
    }
    if let Some(&bad) = w.iter().find(|v| !v.is_finite() || **v < 0.0) {
        return Err(Error::Hyperparameter { what: "fit class_weight".into(), value: bad.into(), range: "[0, ∞)" });
    }
    Ok(())
}
