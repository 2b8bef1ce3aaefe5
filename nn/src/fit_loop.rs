//! The training loop `fit` runs for both [`Sequential`](crate::Sequential) and the
//! functional [`Model`](crate::Model): batching, shuffling, the validation split,
//! callbacks, the progress display and the NaN guard, over any number of inputs and
//! outputs.

use derin_data::Targets;
use derin_tensor::{Param, Rng, Tensor};

use crate::callbacks::{Callback, TrainInfo, TrainableModel};
use crate::error::{Error, Result};
use crate::fit::{EpochLog, FitOptions, History};
use crate::loss::Loss;
use crate::metric::Metric;
use crate::module::Ctx;
use crate::progress::Progress;
use crate::train::{Accumulator, OutputScores, Scores, check_batch_size, check_targets, select_targets};

/// What the loop needs from a model; inputs and targets come one per model input and
/// output (a `Sequential` has one of each).
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
    fn train_step(
        &mut self,
        xs: &[Tensor],
        ys: &[Targets],
        ctx: &mut Ctx,
        weights: Option<&Tensor>,
    ) -> Result<(f32, Vec<f32>, Vec<Tensor>)>;

    /// The scores on `xs`, `ys` in inference mode.
    fn score(&self, xs: &[Tensor], ys: &[Targets], batch_size: usize) -> Result<Scores>;
}

/// Sums of the total loss and of each output's loss and metrics over batches.
pub(crate) struct MultiAccumulator {
    total: f64,
    samples: usize,
    outputs: Vec<(String, Loss, Accumulator)>,
}

impl MultiAccumulator {
    pub(crate) fn new(outputs: &[(String, Loss, Vec<Metric>)]) -> Self {
        let outputs = outputs.iter().map(|(n, l, m)| (n.clone(), *l, Accumulator::new(m))).collect();
        MultiAccumulator { total: 0.0, samples: 0, outputs }
    }

    pub(crate) fn add(&mut self, total: f32, losses: &[f32], preds: &[Tensor], ys: &[Targets]) -> Result<()> {
        let n = preds.first().and_then(|p| p.shape().first().copied()).unwrap_or(1);
        self.total += f64::from(total) * n as f64;
        self.samples += n;
        for (((_, loss_fn, acc), &loss), (pred, y)) in self.outputs.iter_mut().zip(losses).zip(preds.iter().zip(ys)) {
            acc.add(loss_fn, loss, pred, y)?;
        }
        Ok(())
    }

    /// One output: `loss` and `metrics` as a `Sequential` reports them; several: the
    /// total and each output's scores.
    pub(crate) fn mean(&self) -> Scores {
        let total = (self.total / self.samples.max(1) as f64) as f32;
        if let [(_, _, acc)] = self.outputs.as_slice() {
            return Scores { loss: total, ..acc.mean() };
        }
        let outputs = self
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

/// `fit`'s checks and loop; `validation` replaces `options.validation_split`.
pub(crate) fn run<M: Fit>(
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
    let mut order: Vec<usize> = (0..n_train).collect();
    let held_out: Vec<usize> = (n_train..n).collect();
    let validation = match validation {
        Some(data) => Some(data),
        None if held_out.is_empty() => None,
        None => Some(select(xs, ys, &held_out)),
    };
    let mut rng = Rng::seed(options.seed);
    let mut ctx = Ctx::train(rng.next_seed());
    let FitOptions { epochs, batch_size, shuffle, verbose, terminate_on_nan, class_weight, .. } = options;
    let mut callbacks: Vec<Box<dyn Callback>> = options.early_stopping.map(Into::into).into_iter().collect();
    callbacks.extend(options.callbacks);
    let steps = n_train.div_ceil(batch_size);
    let metrics = match outputs.as_slice() {
        [(_, _, m)] => m.clone(),
        _ => Vec::new(),
    };
    let info = TrainInfo { epochs, steps_per_epoch: steps, has_validation: validation.is_some(), metrics, verbose };
    for callback in &mut callbacks {
        callback.on_train_begin(&info, model)?;
    }
    // Parameters whose values are kept across each step, to undo a step that makes
    // them non-finite.
    let guarded: Vec<Param> = if terminate_on_nan { model.model_weights() } else { Vec::new() };
    let mut history = History::default();
    for epoch in 0..epochs {
        if shuffle {
            rng.shuffle(&mut order);
        }
        for callback in &mut callbacks {
            callback.on_epoch_begin(epoch, model)?;
        }
        let mut progress = Progress::new(verbose, epoch, epochs, steps);
        let mut acc = MultiAccumulator::new(&outputs);
        for (batch, idx) in order.chunks(batch_size).enumerate() {
            let (xb, yb) = select(xs, ys, idx);
            let weights = class_weight.as_deref().map(|w| sample_weights(&yb[0], w));
            let before: Vec<Tensor> = guarded.iter().map(|p| p.value()).collect();
            let (loss, losses, preds) = model.train_step(&xb, &yb, &mut ctx, weights.as_ref())?;
            let at = format!("at epoch {}, batch {}", epoch + 1, batch + 1);
            let bad = if !terminate_on_nan {
                None
            } else if !loss.is_finite() {
                Some(format!(
                    "TerminateOnNaN: loss became {loss} {at}; training stopped, weights kept from before that step"
                ))
            } else if guarded.iter().any(|p| p.value().array().iter().any(|v| !v.is_finite())) {
                guarded.iter().zip(&before).for_each(|(p, v)| p.set(v.to_array()));
                Some(format!(
                    "TerminateOnNaN: a weight became non-finite {at} (loss {loss}); training stopped, weights kept from before that step"
                ))
            } else {
                None
            };
            drop(before);
            let asked = callbacks
                .iter_mut()
                .fold(None, |first, c| first.or(c.on_batch_end(batch, loss).map(|why| format!("{why} ({at})"))));
            if let Some(why) = bad.or(asked) {
                progress.abandon(&why);
                history.stopped = Some(why);
                return Ok(history);
            }
            acc.add(loss, &losses, &preds, &yb)?;
            progress.batch(batch + 1, || acc.mean());
        }
        let train = acc.mean();
        let val = match &validation {
            Some((xv, yv)) => Some(model.score(xv, yv, batch_size)?),
            None => None,
        };
        progress.finish(&train, val.as_ref());
        let log = EpochLog { train, val };
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
