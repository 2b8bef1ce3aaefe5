//! `compile`, `train_on_batch`, `evaluate` and `predict`, and the checks they share.

use derin_data::Targets;
use derin_optim::Optimizer;
use derin_tensor::{Tensor, no_grad};

use crate::error::{Error, Result};
use crate::fit_loop::RunningMetrics;
use crate::loss::Loss;
use crate::metric::{Metric, MetricState};
use crate::module::{Ctx, Module};
use crate::sequential::Sequential;

/// What `compile` fixed: the optimizer, the loss and the metrics.
pub(crate) struct Compiled {
    pub(crate) optimizer: Box<dyn Optimizer>,
    pub(crate) loss: Loss,
    pub(crate) metrics: Vec<Metric>,
    /// The metrics gathered by `train_step`/`test_step` since the last reset.
    pub(crate) running: RunningMetrics,
}

/// A loss and metric values, averaged over samples.
///
/// A model with one output fills `loss` and `metrics`. A functional
/// [`Model`](crate::Model) with several outputs fills `loss` with the total
/// `Σ loss_weightᵢ·lossᵢ` (plus weight penalties) and `outputs` with each output's loss
/// and metrics; [`entries`](Scores::entries) lists both under Keras' log names
/// (`loss`, `digit_loss`, `digit_accuracy`, …).
///
/// ```
/// use derin_nn::{Metric, Scores};
/// let s = Scores { loss: 0.3, metrics: vec![(Metric::Accuracy, 0.9)], ..Scores::default() };
/// assert_eq!(s.metric(Metric::Accuracy), Some(0.9));
/// assert_eq!(s.metric(Metric::MeanAbsoluteError), None);
/// assert_eq!(s.get("accuracy"), Some(0.9));
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Scores {
    /// The mean loss (for several outputs, the weighted total).
    pub loss: f32,
    /// Each compiled metric with its mean value (empty for several outputs).
    pub metrics: Vec<(Metric, f32)>,
    /// Each output's loss and metrics, for a model with several outputs (else empty).
    pub outputs: Vec<OutputScores>,
}

/// One output's loss (unweighted, without weight penalties) and metrics, in the
/// [`Scores`] of a model with several outputs.
///
/// ```
/// use derin_nn::{Metric, OutputScores, Scores};
/// let digit = OutputScores { name: "digit".into(), loss: 0.5, metrics: vec![(Metric::Accuracy, 0.8)] };
/// let s = Scores { loss: 0.5, outputs: vec![digit], ..Scores::default() };
/// assert_eq!(s.get("digit_loss"), Some(0.5));
/// assert_eq!(s.get("digit_accuracy"), Some(0.8));
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct OutputScores {
    /// The output's name: the name of the layer that makes it.
    pub name: String,
    /// The output's mean loss.
    pub loss: f32,
    /// The output's metrics with their mean values.
    pub metrics: Vec<(Metric, f32)>,
}

impl Scores {
    /// The value of `metric`, if it was compiled.
    ///
    /// ```
    /// # use derin_nn::{Metric, Scores};
    /// assert_eq!(Scores { loss: 1.0, ..Scores::default() }.metric(Metric::Accuracy), None);
    /// ```
    pub fn metric(&self, metric: Metric) -> Option<f32> {
        self.metrics.iter().find(|(m, _)| *m == metric).map(|(_, v)| *v)
    }

    /// Every value under its Keras log name, in Keras' order: `loss`, the metrics, then
    /// for several outputs each output's loss (`digit_loss`, …) and each output's
    /// metrics (`digit_accuracy`, …).
    ///
    /// ```
    /// # use derin_nn::{Metric, Scores};
    /// let s = Scores { loss: 0.25, metrics: vec![(Metric::Auc, 0.75)], ..Scores::default() };
    /// assert_eq!(s.entries(), vec![("loss".to_string(), 0.25), ("auc".to_string(), 0.75)]);
    /// ```
    pub fn entries(&self) -> Vec<(String, f32)> {
        let mut out = vec![("loss".to_string(), self.loss)];
        out.extend(self.metrics.iter().map(|(m, v)| (m.short_name().to_string(), *v)));
        out.extend(self.outputs.iter().map(|o| (format!("{}_loss", o.name), o.loss)));
        for o in &self.outputs {
            out.extend(o.metrics.iter().map(|(m, v)| (format!("{}_{}", o.name, m.short_name()), *v)));
        }
        out
    }

    /// The value logged as `key` (`loss`, `accuracy`, `digit_loss`, …), if any.
    ///
    /// ```
    /// # use derin_nn::Scores;
    /// assert_eq!(Scores { loss: 2.0, ..Scores::default() }.get("loss"), Some(2.0));
    /// assert_eq!(Scores::default().get("digit_loss"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<f32> {
        self.entries().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl Sequential {
    /// Fixes the optimizer, the loss and the metrics for `fit`, `evaluate` and
    /// `train_on_batch` (compiling again replaces them, optimizer state included).
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Loss, Metric, Sequential};
    /// use derin_optim::Adam;
    /// let mut m = Sequential::new(&[2]).add(Dense::new(1, Activation::Sigmoid)).unwrap();
    /// m.compile(Box::new(Adam::new()), Loss::BinaryCrossentropy { from_logits: false }, vec![Metric::Accuracy]);
    /// assert!(m.is_compiled());
    /// ```
    pub fn compile(&mut self, optimizer: Box<dyn Optimizer>, loss: Loss, metrics: Vec<Metric>) {
        let running = RunningMetrics::new(&[(self.name().to_string(), loss.clone(), metrics.clone())]);
        self.compiled = Some(Compiled { optimizer, loss, metrics, running });
    }

    /// Whether [`compile`](Sequential::compile) was called.
    ///
    /// ```
    /// # use derin_nn::Sequential;
    /// assert!(!Sequential::new(&[1]).is_compiled());
    /// ```
    pub fn is_compiled(&self) -> bool {
        self.compiled.is_some()
    }

    /// The optimizer's learning rate, `None` before [`compile`](Sequential::compile).
    ///
    /// ```
    /// use derin_nn::{Loss, Sequential};
    /// use derin_optim::Adam;
    /// let mut m = Sequential::new(&[1]);
    /// assert_eq!(m.learning_rate(), None);
    /// m.compile(Box::new(Adam::new()), Loss::MeanSquaredError, vec![]);
    /// assert_eq!(m.learning_rate(), Some(0.001));
    /// ```
    pub fn learning_rate(&self) -> Option<f32> {
        self.compiled.as_ref().map(|c| c.optimizer.learning_rate())
    }

    /// Sets the optimizer's learning rate (what learning-rate callbacks do).
    ///
    /// # Errors
    /// [`Error::NotCompiled`]; [`Error::Hyperparameter`] when `lr` is negative or not finite.
    ///
    /// ```
    /// use derin_nn::{Loss, Sequential};
    /// use derin_optim::Sgd;
    /// let mut m = Sequential::new(&[1]);
    /// assert!(m.set_learning_rate(0.1).is_err());
    /// m.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![]);
    /// m.set_learning_rate(0.1).unwrap();
    /// assert_eq!(m.learning_rate(), Some(0.1));
    /// assert!(m.set_learning_rate(f32::NAN).is_err());
    /// ```
    pub fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        let compiled = self.compiled.as_mut().ok_or(Error::NotCompiled { operation: "set_learning_rate" })?;
        set_rate(compiled.optimizer.as_mut(), lr)
    }

    /// The compiled metrics (empty before [`compile`](Sequential::compile)).
    ///
    /// ```
    /// use derin_nn::{Loss, Metric, Sequential};
    /// use derin_optim::Sgd;
    /// let mut m = Sequential::new(&[1]);
    /// m.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![Metric::MeanAbsoluteError]);
    /// assert_eq!(m.metrics(), &[Metric::MeanAbsoluteError]);
    /// ```
    pub fn metrics(&self) -> &[Metric] {
        self.compiled.as_ref().map_or(&[], |c| &c.metrics)
    }

    /// One gradient step on one batch, in training mode; returns the batch's loss
    /// (computed before the step, weight penalties included).
    ///
    /// # Errors
    /// [`Error::NotCompiled`]; [`Error::Data`] when `x` or `y` do not fit the model.
    ///
    /// ```
    /// use derin_data::Targets;
    /// use derin_nn::{Activation, Dense, Loss, Sequential};
    /// use derin_optim::Sgd;
    /// use derin_tensor::Tensor;
    /// let mut m = Sequential::new(&[1]).add(Dense::new(1, Activation::Linear)).unwrap();
    /// m.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![]);
    /// let (x, y) = (Tensor::ones(&[4, 1]), Targets::Values(Tensor::full(&[4, 1], 3.0)));
    /// let first = m.train_on_batch(&x, &y).unwrap();
    /// let second = m.train_on_batch(&x, &y).unwrap();
    /// assert!(second < first);
    /// ```
    pub fn train_on_batch(&mut self, x: &Tensor, y: &Targets) -> Result<f32> {
        self.check_data("train_on_batch", x, Some(y))?;
        let compiled = self.compiled.as_ref().ok_or(Error::NotCompiled { operation: "train_on_batch" })?;
        check_targets("train_on_batch", &compiled.loss, y)?;
        let mut ctx = Ctx::train(self.rng.next_seed());
        Ok(self.step(x, y, &mut ctx, None)?.0)
    }

    /// Forward, loss, backward and an optimizer step; returns the loss and the
    /// predictions. Per-sample `weights` scale each sample's loss. A non-finite loss is
    /// returned without stepping.
    pub(crate) fn step(
        &mut self,
        x: &Tensor,
        y: &Targets,
        ctx: &mut Ctx,
        weights: Option<&Tensor>,
    ) -> Result<(f32, Tensor)> {
        let loss_fn = self.compiled.as_ref().ok_or(Error::NotCompiled { operation: "train" })?.loss.clone();
        let pred = self.forward(x, ctx);
        ctx.set_mask(None);
        let mut loss = match weights {
            Some(w) => (loss_fn.per_sample(&pred, y)? * w).mean_all(),
            None => loss_fn.compute(&pred, y)?,
        };
        if let Some(penalty) = self.regularization_loss() {
            loss = loss + penalty;
        }
        let value = loss.item();
        if !value.is_finite() {
            return Ok((value, pred.detach()));
        }
        let grads = loss.backward();
        let params = self.params();
        let compiled = self.compiled.as_mut().expect("checked above");
        compiled.optimizer.step(&params, &grads);
        ctx.apply_updates();
        Ok((value, pred.detach()))
    }

    /// The loss (weight penalties included, as `evaluate`'s) and predictions of one batch
    /// in inference mode.
    pub(crate) fn test_batch(&self, x: &Tensor, y: &Targets) -> Result<(f32, Tensor)> {
        let loss_fn = &self.compiled.as_ref().ok_or(Error::NotCompiled { operation: "test_step" })?.loss;
        no_grad(|| {
            let pred = self.forward(x, &mut Ctx::eval());
            let mut loss = loss_fn.compute(&pred, y)?.item();
            loss += self.regularization_loss().map_or(0.0, |p| p.item());
            Ok((loss, pred))
        })
    }

    /// The loss and metrics on `x`, `y` in inference mode, batch by batch, averaged over
    /// samples; the loss includes the weight penalties, as in Keras.
    ///
    /// # Errors
    /// [`Error::NotCompiled`]; [`Error::Data`] when `x` or `y` do not fit the model or
    /// `batch_size` is 0.
    ///
    /// ```
    /// use derin_data::Targets;
    /// use derin_nn::{Activation, Dense, Loss, Metric, Sequential};
    /// use derin_optim::Sgd;
    /// use derin_tensor::Tensor;
    /// let mut m = Sequential::new(&[2]).add(Dense::new(2, Activation::Softmax)).unwrap();
    /// m.compile(Box::new(Sgd::new()), Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![Metric::Accuracy]);
    /// let s = m.evaluate(&Tensor::zeros(&[3, 2]), &Targets::Labels(vec![0, 1, 1]), 2).unwrap();
    /// assert!((s.loss - 2f32.ln()).abs() < 1e-6); // zero input: both classes at ½
    /// ```
    pub fn evaluate(&self, x: &Tensor, y: &Targets, batch_size: usize) -> Result<Scores> {
        self.check_data("evaluate", x, Some(y))?;
        check_batch_size("evaluate", batch_size)?;
        let compiled = self.compiled.as_ref().ok_or(Error::NotCompiled { operation: "evaluate" })?;
        check_targets("evaluate", &compiled.loss, y)?;
        let n = x.shape()[0];
        let mut acc = Accumulator::new(&compiled.metrics);
        for start in (0..n).step_by(batch_size) {
            let mut ctx = Ctx::eval();
            let idx: Vec<usize> = (start..(start + batch_size).min(n)).collect();
            let (xb, yb) = (x.index_select(0, &idx), select_targets(y, &idx));
            let pred = no_grad(|| self.forward(&xb, &mut ctx));
            let loss = no_grad(|| compiled.loss.compute(&pred, &yb))?.item();
            acc.add(&compiled.loss, loss, &pred, &yb)?;
        }
        let mut scores = acc.mean();
        scores.loss += no_grad(|| self.regularization_loss()).map_or(0.0, |p| p.item());
        Ok(scores)
    }

    /// The model's outputs for `x` in inference mode, `batch_size` samples at a time,
    /// with no graph kept.
    ///
    /// # Errors
    /// [`Error::Data`] when `x` is not `[batch, input_shape…]` or `batch_size` is 0.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Sequential};
    /// # use derin_tensor::Tensor;
    /// let m = Sequential::new(&[3]).add(Dense::new(2, Activation::Softmax)).unwrap();
    /// let p = m.predict(&Tensor::ones(&[5, 3]), 2).unwrap();
    /// assert_eq!(p.shape(), &[5, 2]);
    /// assert!(!p.is_tracked());
    /// let err = m.predict(&Tensor::ones(&[5, 4]), 2).unwrap_err().to_string();
    /// assert!(err.contains("[5, 4]") && err.contains("[3]"), "{err}");
    /// ```
    pub fn predict(&self, x: &Tensor, batch_size: usize) -> Result<Tensor> {
        self.check_data("predict", x, None)?;
        check_batch_size("predict", batch_size)?;
        let n = x.shape()[0];
        no_grad(|| {
            let outs: Vec<Tensor> = (0..n)
                .step_by(batch_size)
                .map(|s| self.forward(&x.narrow(0, s, batch_size.min(n - s)), &mut Ctx::eval()))
                .collect();
            if outs.is_empty() {
                let mut shape = vec![0];
                shape.extend_from_slice(self.output_shape());
                return Ok(Tensor::zeros(&shape));
            }
            Ok(Tensor::concat(&outs.iter().collect::<Vec<_>>(), 0))
        })
    }

    /// Checks `x` against the input shape and `y` against `x` and the output shape.
    pub(crate) fn check_data(&self, operation: &'static str, x: &Tensor, y: Option<&Targets>) -> Result<()> {
        if x.ndim() == 0 || &x.shape()[1..] != self.input_shape() {
            let reason =
                format!("input has shape {:?}, the model expects [batch] + {:?}", x.shape(), self.input_shape());
            return Err(Error::Data { operation, reason });
        }
        if let Some(first) = self.layers().first() {
            first.check_input(x).map_err(|e| match e {
                Error::Data { reason, .. } => Error::Data { operation, reason },
                other => other,
            })?;
        }
        match y.and_then(|y| target_problem(x.shape(), y, self.output_shape())) {
            Some(reason) => Err(Error::Data { operation, reason }),
            None => Ok(()),
        }
    }
}

/// What is wrong with targets `y` for inputs of shape `x_shape` (batch first) and an
/// output of sample shape `output`, if anything.
pub(crate) fn target_problem(x_shape: &[usize], y: &Targets, output: &[usize]) -> Option<String> {
    let n = x_shape[0];
    let reason = match y {
        Targets::Labels(l) if l.len() != n => format!("{} labels for {n} inputs", l.len()),
        Targets::Labels(l) => match (output, l.iter().max()) {
            (&[classes], Some(&max)) if max >= classes => {
                format!("label {max} is out of range for the model's {classes} outputs")
            }
            (&[_], _) => return None,
            (shape, _) => format!("labels need an output of shape [classes], the model outputs {shape:?}"),
        },
        Targets::Values(v) if v.ndim() == 0 || v.shape()[0] != n => {
            format!("targets have shape {:?}, inputs {x_shape:?}", v.shape())
        }
        Targets::Values(v) if &v.shape()[1..] != output => {
            format!("targets have shape {:?}, the model outputs samples of shape {output:?}", v.shape())
        }
        Targets::Unlabeled => "needs targets, got none".to_string(),
        _ => return None,
    };
    Some(reason)
}

/// Checks that the kind of targets suits the loss: labels for sparse cross-entropy,
/// values for every other loss.
pub(crate) fn check_targets(operation: &'static str, loss: &Loss, y: &Targets) -> Result<()> {
    let sparse = matches!(loss, Loss::SparseCategoricalCrossentropy { .. });
    let reason = match y {
        Targets::Values(v) if sparse => {
            format!("sparse categorical cross-entropy needs labels, got values of shape {:?}", v.shape())
        }
        Targets::Labels(_) if !sparse => {
            format!("{loss:?} needs value targets (one-hot rows for categorical cross-entropy), got labels")
        }
        _ => return Ok(()),
    };
    Err(Error::Data { operation, reason })
}

pub(crate) fn check_batch_size(operation: &'static str, batch_size: usize) -> Result<()> {
    if batch_size == 0 {
        return Err(Error::Data { operation, reason: "batch_size must be at least 1".to_string() });
    }
    Ok(())
}

/// The targets of the samples at `idx`.
pub(crate) fn select_targets(y: &Targets, idx: &[usize]) -> Targets {
    match y {
        Targets::Labels(l) => Targets::Labels(idx.iter().map(|&i| l[i]).collect()),
        Targets::Values(v) => Targets::Values(v.index_select(0, idx)),
        Targets::Unlabeled => Targets::Unlabeled,
    }
}

/// Sums of the loss (weighted by batch size) and each metric's state over batches.
pub(crate) struct Accumulator {
    metrics: Vec<Metric>,
    loss: f64,
    states: Vec<MetricState>,
    samples: usize,
}

impl Accumulator {
    pub(crate) fn new(metrics: &[Metric]) -> Self {
        let states = metrics.iter().map(|&m| MetricState::new(m)).collect();
        Accumulator { metrics: metrics.to_vec(), loss: 0.0, states, samples: 0 }
    }

    pub(crate) fn add(&mut self, loss_fn: &Loss, loss: f32, pred: &Tensor, y: &Targets) -> Result<()> {
        let n = pred.shape().first().copied().unwrap_or(1);
        self.loss += f64::from(loss) * n as f64;
        for (m, state) in self.metrics.iter().zip(&mut self.states) {
            state.add(*m, loss_fn, pred, y)?;
        }
        self.samples += n;
        Ok(())
    }

    /// The metrics it accumulates.
    pub(crate) fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    pub(crate) fn mean(&self) -> Scores {
        let metrics = self.metrics.iter().zip(&self.states).map(|(m, s)| (*m, s.value(*m))).collect();
        Scores { loss: (self.loss / self.samples.max(1) as f64) as f32, metrics, outputs: Vec::new() }
    }
}

/// Sets `optimizer`'s learning rate after checking it (finite, not negative).
pub(crate) fn set_rate(optimizer: &mut dyn Optimizer, lr: f32) -> Result<()> {
    if !lr.is_finite() || lr < 0.0 {
        return Err(Error::Hyperparameter { what: "learning_rate".into(), value: lr.into(), range: "[0, ∞)" });
    }
    optimizer.set_learning_rate(lr);
    Ok(())
}
