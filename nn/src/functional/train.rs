//! `Model::compile`, `fit`, `evaluate`, `predict` and `train_on_batch`: one loss, loss
//! weight and list of metrics per output.

use derin_data::Targets;
use derin_optim::Optimizer;
use derin_tensor::{Tensor, no_grad};

use super::Model;
use crate::error::{Error, Result};
use crate::fit::{FitOptions, History};
use crate::fit_loop::{self, Fit, MultiAccumulator, RunningMetrics, select};
use crate::loss::Loss;
use crate::metric::Metric;
use crate::module::Ctx;
use crate::train::{Scores, check_batch_size, check_targets, target_problem};

/// What `Model::compile` fixed: the optimizer and, per output, the loss, its weight in
/// the total and the metrics.
pub(crate) struct CompiledOutputs {
    pub(crate) optimizer: Box<dyn Optimizer>,
    pub(crate) losses: Vec<Loss>,
    pub(crate) loss_weights: Vec<f32>,
    pub(crate) metrics: Vec<Vec<Metric>>,
    /// The metrics gathered by `train_step`/`test_step` since the last reset.
    pub(crate) running: RunningMetrics,
}

impl Model {
    /// Fixes the optimizer and, for each output in order, its loss, its weight in the
    /// total loss `Σ loss_weightᵢ·lossᵢ` (Keras' `loss_weights`; `None`: all 1) and its
    /// metrics (Keras' `metrics` per output; empty: none). One loss or one list of
    /// metrics serves every output, as in Keras.
    ///
    /// # Errors
    /// [`Error::Data`] when `losses`, `loss_weights` or `metrics` do not have one entry
    /// per output (or one for all); [`Error::Hyperparameter`] for a negative or
    /// non-finite loss weight.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Graph, Loss, Metric, Model};
    /// use derin_optim::Adam;
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[4]).unwrap();
    /// let a = g.apply(Dense::new(3, Activation::Softmax).named("class"), &x).unwrap();
    /// let b = g.apply(Dense::new(1, Activation::Sigmoid).named("flag"), &x).unwrap();
    /// let mut m = Model::new(g, &[&x], &[&a, &b]).unwrap();
    /// let losses = vec![Loss::SparseCategoricalCrossentropy { from_logits: false }, Loss::BinaryCrossentropy { from_logits: false }];
    /// m.compile(Box::new(Adam::new()), losses, Some(vec![1.0, 0.5]), vec![vec![Metric::Accuracy]]).unwrap();
    /// assert!(m.is_compiled());
    /// assert!(m.compile(Box::new(Adam::new()), vec![Loss::MeanSquaredError; 3], None, vec![]).is_err());
    /// ```
    pub fn compile(
        &mut self,
        optimizer: Box<dyn Optimizer>,
        losses: Vec<Loss>,
        loss_weights: Option<Vec<f32>>,
        metrics: Vec<Vec<Metric>>,
    ) -> Result<()> {
        let n = self.outputs.len();
        let spread = |what: &str, len: usize| -> Result<()> {
            if len == n || len == 1 {
                return Ok(());
            }
            let reason = format!("{len} {what} for the model's {n} outputs {:?}", self.output_names());
            Err(Error::Data { operation: "compile", reason })
        };
        spread("losses", losses.len())?;
        let loss_weights = loss_weights.unwrap_or_else(|| vec![1.0; n]);
        spread("loss weights", loss_weights.len())?;
        if let Some(&bad) = loss_weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
            return Err(Error::Hyperparameter {
                what: "compile loss_weights".into(),
                value: bad.into(),
                range: "[0, ∞)",
            });
        }
        if !metrics.is_empty() {
            spread("metric lists", metrics.len())?;
        }
        let each = |len: usize, i: usize| if len == 1 { 0 } else { i };
        let losses: Vec<Loss> = (0..n).map(|i| losses[each(losses.len(), i)].clone()).collect();
        let metrics: Vec<Vec<Metric>> =
            (0..n).map(|i| metrics.get(each(metrics.len(), i)).cloned().unwrap_or_default()).collect();
        let outputs: Vec<_> = self
            .output_names()
            .iter()
            .zip(&losses)
            .zip(&metrics)
            .map(|((n, l), m)| (n.clone(), l.clone(), m.clone()))
            .collect();
        self.compiled = Some(CompiledOutputs {
            optimizer,
            losses,
            loss_weights: (0..n).map(|i| loss_weights[each(loss_weights.len(), i)]).collect(),
            metrics,
            running: RunningMetrics::new(&outputs),
        });
        Ok(())
    }

    /// Whether [`compile`](Model::compile) was called.
    ///
    /// ```
    /// # use derin_nn::{Graph, Model};
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[1]).unwrap();
    /// assert!(!Model::new(g, &[&x], &[&x]).unwrap().is_compiled());
    /// ```
    pub fn is_compiled(&self) -> bool {
        self.compiled.is_some()
    }

    /// The optimizer's learning rate, `None` before [`compile`](Model::compile).
    ///
    /// ```
    /// # use derin_nn::{Graph, Loss, Model};
    /// # use derin_optim::Sgd;
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[1]).unwrap();
    /// let mut m = Model::new(g, &[&x], &[&x]).unwrap();
    /// m.compile(Box::new(Sgd::new()), vec![Loss::MeanSquaredError], None, vec![]).unwrap();
    /// assert_eq!(m.learning_rate(), Some(0.01));
    /// ```
    pub fn learning_rate(&self) -> Option<f32> {
        self.compiled.as_ref().map(|c| c.optimizer.learning_rate())
    }

    /// Sets the optimizer's learning rate.
    ///
    /// # Errors
    /// [`Error::NotCompiled`]; [`Error::Hyperparameter`] when `lr` is negative or not finite.
    ///
    /// ```
    /// # use derin_nn::{Graph, Loss, Model};
    /// # use derin_optim::Sgd;
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[1]).unwrap();
    /// let mut m = Model::new(g, &[&x], &[&x]).unwrap();
    /// assert!(m.set_learning_rate(0.1).is_err());
    /// m.compile(Box::new(Sgd::new()), vec![Loss::MeanSquaredError], None, vec![]).unwrap();
    /// m.set_learning_rate(0.1).unwrap();
    /// assert_eq!(m.learning_rate(), Some(0.1));
    /// ```
    pub fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        let compiled = self.compiled.as_mut().ok_or(Error::NotCompiled { operation: "set_learning_rate" })?;
        crate::train::set_rate(compiled.optimizer.as_mut(), lr)
    }

    fn compiled(&self, operation: &'static str) -> Result<&CompiledOutputs> {
        self.compiled.as_ref().ok_or(Error::NotCompiled { operation })
    }

    /// Checks inputs, targets and the kinds of targets against the compiled losses.
    fn check_all(&self, operation: &'static str, xs: &[Tensor], ys: &[Targets]) -> Result<()> {
        Fit::check_data(self, operation, xs, ys)?;
        for (loss, y) in self.compiled(operation)?.losses.iter().zip(ys) {
            check_targets(operation, loss, y)?;
        }
        Ok(())
    }

    /// One gradient step on one batch (one input array per model input, one target per
    /// output), in training mode; returns the batch's total loss before the step.
    ///
    /// # Errors
    /// [`Error::NotCompiled`]; [`Error::Data`] when inputs or targets do not fit.
    ///
    /// ```
    /// use derin_data::Targets;
    /// use derin_nn::{Activation, Dense, Graph, Loss, Model};
    /// use derin_optim::Sgd;
    /// use derin_tensor::Tensor;
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[1]).unwrap();
    /// let y = g.apply(Dense::new(1, Activation::Linear), &x).unwrap();
    /// let mut m = Model::new(g, &[&x], &[&y]).unwrap();
    /// m.compile(Box::new(Sgd::new()), vec![Loss::MeanSquaredError], None, vec![]).unwrap();
    /// let (xs, ys) = ([Tensor::ones(&[4, 1])], [Targets::Values(Tensor::full(&[4, 1], 3.0))]);
    /// let first = m.train_on_batch(&xs, &ys).unwrap();
    /// assert!(m.train_on_batch(&xs, &ys).unwrap() < first);
    /// ```
    pub fn train_on_batch(&mut self, xs: &[Tensor], ys: &[Targets]) -> Result<f32> {
        self.check_all("train_on_batch", xs, ys)?;
        let mut ctx = Ctx::train(self.graph.rng.next_seed());
        Ok(self.step(xs, ys, &mut ctx, None)?.0)
    }

    /// Forward, the weighted total of the outputs' losses (plus weight penalties),
    /// backward and an optimizer step.
    fn step(
        &mut self,
        xs: &[Tensor],
        ys: &[Targets],
        ctx: &mut Ctx,
        sample_weights: Option<&Tensor>,
    ) -> Result<(f32, Vec<f32>, Vec<Tensor>)> {
        let preds = self.run(xs, ctx);
        let (mut total, losses) = self.losses(&preds, ys, sample_weights)?;
        if let Some(penalty) = self.regularization_loss() {
            total = total + penalty;
        }
        let value = total.item();
        let preds: Vec<Tensor> = preds.iter().map(Tensor::detach).collect();
        if !value.is_finite() {
            return Ok((value, losses, preds));
        }
        let grads = total.backward();
        let params = self.params();
        self.compiled.as_mut().ok_or(Error::NotCompiled { operation: "train" })?.optimizer.step(&params, &grads);
        ctx.apply_updates();
        Ok((value, losses, preds))
    }

    /// `Σ loss_weightᵢ·lossᵢ` and each `lossᵢ`; per-sample weights scale the first
    /// output's per-sample losses.
    fn losses(&self, preds: &[Tensor], ys: &[Targets], sample_weights: Option<&Tensor>) -> Result<(Tensor, Vec<f32>)> {
        let c = self.compiled("train")?;
        let mut total: Option<Tensor> = None;
        let mut values = Vec::new();
        for (i, (pred, y)) in preds.iter().zip(ys).enumerate() {
            let loss = match sample_weights.filter(|_| i == 0) {
                Some(w) => (c.losses[i].per_sample(pred, y)? * w).mean_all(),
                None => c.losses[i].compute(pred, y)?,
            };
            values.push(loss.item());
            let term = loss.mul_scalar(c.loss_weights[i]);
            total = Some(match total {
                Some(t) => t + term,
                None => term,
            });
        }
        Ok((total.expect("a model has an output"), values))
    }

    /// The total loss (with weight penalties), each output's loss and metrics on `xs`,
    /// `ys` in inference mode, averaged over samples. With one output the scores are
    /// `loss` and `metrics` as for `Sequential`; with several, `outputs` holds each
    /// output's (logged as `digit_loss`, `digit_accuracy`, …).
    ///
    /// # Errors
    /// [`Error::NotCompiled`]; [`Error::Data`] when inputs or targets do not fit or
    /// `batch_size` is 0.
    ///
    /// ```
    /// use derin_data::Targets;
    /// use derin_nn::{Graph, Loss, Model};
    /// use derin_optim::Sgd;
    /// use derin_tensor::Tensor;
    /// let mut g = Graph::new();
    /// let (a, b) = (g.input("a", &[1]).unwrap(), g.input("b", &[1]).unwrap());
    /// let mut m = Model::new(g, &[&a, &b], &[&a, &b]).unwrap();
    /// m.compile(Box::new(Sgd::new()), vec![Loss::MeanSquaredError], Some(vec![1.0, 0.5]), vec![]).unwrap();
    /// let xs = [Tensor::zeros(&[2, 1]), Tensor::zeros(&[2, 1])];
    /// let ys = [Targets::Values(Tensor::ones(&[2, 1])), Targets::Values(Tensor::full(&[2, 1], 2.0))];
    /// let s = m.evaluate(&xs, &ys, 32).unwrap();
    /// // a: (0 − 1)² = 1; b: (0 − 2)² = 4; total 1·1 + 0.5·4 = 3.
    /// assert_eq!((s.get("a_loss"), s.get("b_loss"), s.loss), (Some(1.0), Some(4.0), 3.0));
    /// ```
    pub fn evaluate(&self, xs: &[Tensor], ys: &[Targets], batch_size: usize) -> Result<Scores> {
        self.check_all("evaluate", xs, ys)?;
        check_batch_size("evaluate", batch_size)?;
        let n = xs[0].shape()[0];
        let mut acc = MultiAccumulator::new(&Fit::outputs(self)?);
        for start in (0..n).step_by(batch_size) {
            let idx: Vec<usize> = (start..(start + batch_size).min(n)).collect();
            let (xb, yb) = select(xs, ys, &idx);
            let preds = no_grad(|| self.run(&xb, &mut Ctx::eval()));
            let (total, losses) = no_grad(|| self.losses(&preds, &yb, None))?;
            acc.add(total.item(), &losses, &preds, &yb)?;
        }
        let mut scores = acc.mean();
        scores.loss += no_grad(|| self.regularization_loss()).map_or(0.0, |p| p.item());
        Ok(scores)
    }

    /// The outputs for `xs` in inference mode, `batch_size` samples at a time, with no
    /// graph kept: one tensor per output.
    ///
    /// # Errors
    /// [`Error::Data`] when `xs` do not fit the inputs or `batch_size` is 0.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Graph, Model};
    /// # use derin_tensor::Tensor;
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[3]).unwrap();
    /// let y = g.apply(Dense::new(2, Activation::Softmax), &x).unwrap();
    /// let m = Model::new(g, &[&x], &[&y, &x]).unwrap();
    /// let p = m.predict(&[Tensor::ones(&[5, 3])], 2).unwrap();
    /// assert_eq!((p[0].shape(), p[1].shape()), (&[5, 2][..], &[5, 3][..]));
    /// assert!(m.predict(&[Tensor::ones(&[5, 4])], 2).is_err());
    /// ```
    pub fn predict(&self, xs: &[Tensor], batch_size: usize) -> Result<Vec<Tensor>> {
        let n = self.check_inputs("predict", xs)?;
        check_batch_size("predict", batch_size)?;
        no_grad(|| {
            let batches: Vec<Vec<Tensor>> = (0..n)
                .step_by(batch_size)
                .map(|s| {
                    let xb: Vec<Tensor> = xs.iter().map(|x| x.narrow(0, s, batch_size.min(n - s))).collect();
                    self.run(&xb, &mut Ctx::eval())
                })
                .collect();
            let outputs = self.output_shapes().into_iter().enumerate().map(|(o, shape)| {
                if batches.is_empty() {
                    return Tensor::zeros(&[vec![0], shape].concat());
                }
                Tensor::concat(&batches.iter().map(|b| &b[o]).collect::<Vec<_>>(), 0)
            });
            Ok(outputs.collect())
        })
    }

    /// Trains on `xs` (one array per input) and `ys` (one target per output) with
    /// [`Sequential::fit`](crate::Sequential::fit)'s loop and options; the
    /// [`History`] logs the total `loss`, each output's `<name>_loss` and
    /// `<name>_<metric>`, and their `val_` versions. `class_weight` applies only to a
    /// model with one output.
    ///
    /// # Errors
    /// As `Sequential::fit`; [`Error::Data`] naming both counts or shapes when the inputs
    /// or targets do not match the model or each other, before training.
    ///
    /// ```
    /// use derin_data::Targets;
    /// use derin_nn::{Activation, Dense, FitOptions, Graph, Loss, Model};
    /// use derin_optim::Adam;
    /// use derin_tensor::Tensor;
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[2]).unwrap();
    /// let sum = g.apply(Dense::new(1, Activation::Linear).named("sum"), &x).unwrap();
    /// let diff = g.apply(Dense::new(1, Activation::Linear).named("diff"), &x).unwrap();
    /// let mut m = Model::new(g, &[&x], &[&sum, &diff]).unwrap();
    /// m.compile(Box::new(Adam::new()), vec![Loss::MeanSquaredError], None, vec![]).unwrap();
    /// let xs: Vec<f32> = (0..64).map(|i| (i as f32 * 0.7).sin()).collect();
    /// let s: Vec<f32> = xs.chunks(2).map(|p| p[0] + p[1]).collect();
    /// let d: Vec<f32> = xs.chunks(2).map(|p| p[0] - p[1]).collect();
    /// let x = [Tensor::from_vec(xs, &[32, 2])];
    /// let y = [Targets::Values(Tensor::from_vec(s, &[32, 1])), Targets::Values(Tensor::from_vec(d, &[32, 1]))];
    /// let h = m.fit(&x, &y, FitOptions { epochs: 20, batch_size: 8, ..FitOptions::default() }).unwrap();
    /// assert!(h.get("sum_loss")[19] < h.get("sum_loss")[0] && h.get("diff_loss")[19] < h.get("diff_loss")[0]);
    /// assert!(m.fit(&x, &y[..1], FitOptions::default()).unwrap_err().to_string().contains("1 targets for the model's 2 outputs"));
    /// ```
    pub fn fit(&mut self, xs: &[Tensor], ys: &[Targets], options: FitOptions) -> Result<History> {
        fit_loop::run(self, xs, ys, None, options)
    }

    /// [`fit`](Model::fit) with separate validation data, scored after every epoch
    /// (`options.validation_split` is then ignored).
    ///
    /// # Errors
    /// As [`fit`](Model::fit), and [`Error::Data`] when the validation data do not fit.
    ///
    /// ```
    /// use derin_data::Targets;
    /// use derin_nn::{FitOptions, Graph, Loss, Model};
    /// use derin_optim::Sgd;
    /// use derin_tensor::Tensor;
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[1]).unwrap();
    /// let y = g.apply(derin_nn::Dense::new(1, derin_nn::Activation::Linear), &x).unwrap();
    /// let mut m = Model::new(g, &[&x], &[&y]).unwrap();
    /// m.compile(Box::new(Sgd::new()), vec![Loss::MeanSquaredError], None, vec![]).unwrap();
    /// let (xs, ys) = ([Tensor::ones(&[8, 1])], [Targets::Values(Tensor::ones(&[8, 1]))]);
    /// let h = m.fit_with_validation_data(&xs, &ys, &xs, &ys, FitOptions { epochs: 2, ..FitOptions::default() }).unwrap();
    /// assert_eq!(h.val_loss().len(), 2);
    /// ```
    pub fn fit_with_validation_data(
        &mut self,
        xs: &[Tensor],
        ys: &[Targets],
        xs_val: &[Tensor],
        ys_val: &[Targets],
        options: FitOptions,
    ) -> Result<History> {
        Fit::check_data(self, "fit (validation data)", xs_val, ys_val)?;
        fit_loop::run(self, xs, ys, Some((xs_val.to_vec(), ys_val.to_vec())), options)
    }
}

impl Fit for Model {
    fn outputs(&self) -> Result<Vec<(String, Loss, Vec<Metric>)>> {
        let c = self.compiled("fit")?;
        let names = self.output_names().iter().cloned();
        Ok(names.zip(c.losses.iter().cloned()).zip(c.metrics.iter().cloned()).map(|((n, l), m)| (n, l, m)).collect())
    }

    fn check_data(&self, operation: &'static str, xs: &[Tensor], ys: &[Targets]) -> Result<()> {
        self.check_inputs(operation, xs)?;
        if ys.len() != self.outputs.len() {
            let reason = format!(
                "{} targets for the model's {} outputs {:?}",
                ys.len(),
                self.outputs.len(),
                self.output_names()
            );
            return Err(Error::Data { operation, reason });
        }
        for ((y, shape), name) in ys.iter().zip(self.output_shapes()).zip(self.output_names()) {
            if let Some(problem) = target_problem(xs[0].shape(), y, &shape) {
                return Err(Error::Data { operation, reason: format!("output {name:?}: {problem}") });
            }
        }
        Ok(())
    }

    fn check_class_weight(&self, weights: Option<&[f32]>) -> Result<()> {
        let Some(w) = weights else { return Ok(()) };
        match self.output_shapes().as_slice() {
            [shape] => fit_loop::check_class_weight(w, shape),
            shapes => {
                let reason = format!("class_weight needs a model with one output, this one has {}", shapes.len());
                Err(Error::Data { operation: "fit", reason })
            }
        }
    }

    fn step_batch(
        &mut self,
        xs: &[Tensor],
        ys: &[Targets],
        ctx: &mut Ctx,
        weights: Option<&Tensor>,
    ) -> Result<(f32, Vec<f32>, Vec<Tensor>)> {
        self.step(xs, ys, ctx, weights)
    }

    fn test_batch(&self, xs: &[Tensor], ys: &[Targets]) -> Result<(f32, Vec<f32>, Vec<Tensor>)> {
        no_grad(|| {
            let preds = self.run(xs, &mut Ctx::eval());
            let (total, losses) = self.losses(&preds, ys, None)?;
            let penalty = self.regularization_loss().map_or(0.0, |p| p.item());
            Ok((total.item() + penalty, losses, preds))
        })
    }

    fn running(&mut self) -> Option<&mut RunningMetrics> {
        self.compiled.as_mut().map(|c| &mut c.running)
    }

    fn running_ref(&self) -> Option<&RunningMetrics> {
        self.compiled.as_ref().map(|c| &c.running)
    }
}
