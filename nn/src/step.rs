//! The open training step: [`TrainStep`] (one batch in, logs out), the batches compiled
//! models train on ([`TrainBatch`]), and where `fit` takes its batches from
//! ([`BatchSource`]).

use derin_data::{Batch, Collate, DataLoader, Dataset, Targets};
use derin_tensor::Tensor;

use crate::callbacks::TrainableModel;
use crate::error::{Error, Result};
use crate::logs::{Logs, StepLogs};
use crate::metric::Metric;
use crate::module::Ctx;

/// One step of training on one batch, and one step of evaluation: what
/// [`fit`](crate::fit) drives, with every callback, the progress bar, validation, the
/// [`History`](crate::History) and the NaN guard (Keras' overridable `train_step` and
/// `test_step`).
///
/// [`Sequential`](crate::Sequential) and the functional [`Model`](crate::Model)
/// implement it over [`TrainBatch`]es; a struct of your own (a GAN with two networks and
/// two optimizers, a VAE whose loss is made of tensors, a detector with several losses)
/// implements it too, together with [`TrainableModel`] (its weights, for early stopping,
/// checkpoints and the NaN guard).
///
/// `fit` averages each value a step logs over the epoch, weighted by the step's samples;
/// values that are not such means (AUC, precision) come from
/// [`metrics_result`](TrainStep::metrics_result), which `fit` reads after the last batch
/// and which [`reset_metrics`](TrainStep::reset_metrics) clears before each epoch and
/// before validation.
///
/// ```
/// use derin_data::Targets;
/// use derin_nn::{fit, FitOptions, Result, StepLogs, TrainStep, TrainableModel, Ctx};
/// use derin_optim::{Optimizer, Sgd};
/// use derin_tensor::{Param, Tensor};
///
/// /// Fits `y = w·x` by gradient descent, with a hand-written loss.
/// struct Line { w: Param, opt: Sgd }
/// impl TrainableModel for Line {
///     fn model_weights(&self) -> Vec<Param> { vec![self.w.clone()] }
/// }
/// impl TrainStep for Line {
///     type Batch = (Tensor, Tensor);
///     fn train_step(&mut self, (x, y): &(Tensor, Tensor), _ctx: &mut Ctx) -> Result<StepLogs> {
///         let loss = (x * &self.w.value() - y).square().mean_all();
///         let value = loss.item();
///         self.opt.step(&[self.w.clone()], &loss.backward());
///         Ok(StepLogs::new(x.len()).with("loss", value))
///     }
/// }
/// let mut line = Line { w: Param::new("w", Tensor::zeros(&[1]).to_array()), opt: Sgd::new() };
/// line.opt.set_learning_rate(0.1);
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
/// let mut batches = vec![(x.clone(), x.mul_scalar(2.0))];
/// let history = fit(&mut line, &mut batches, None, FitOptions { epochs: 50, ..FitOptions::default() }).unwrap();
/// assert!((line.w.value().item() - 2.0).abs() < 1e-3);
/// assert!(history.get("loss")[49] < history.get("loss")[0]);
/// ```
pub trait TrainStep: TrainableModel {
    /// What one batch is: a [`TrainBatch`] for compiled models, anything for your own.
    type Batch;

    /// Trains on `batch` (forward, loss, backward, optimizer steps) and returns the
    /// batch's values. `ctx` is in training mode and carries the generator dropout draws
    /// from; a step that runs layers applies `ctx`'s state updates itself
    /// ([`Ctx::apply_updates`]).
    ///
    /// # Errors
    /// Whatever the step finds wrong with the batch; `fit` stops and returns it.
    fn train_step(&mut self, batch: &Self::Batch, ctx: &mut Ctx) -> Result<StepLogs>;

    /// Evaluates `batch` without training (what `fit` runs on validation batches). The
    /// default is an error: a model without it cannot be given validation data.
    ///
    /// # Errors
    /// Whatever the step finds wrong with the batch.
    fn test_step(&mut self, batch: &Self::Batch) -> Result<StepLogs> {
        let _ = batch;
        let reason = "this model has no test_step, so it cannot be validated".to_string();
        Err(Error::Data { operation: "fit (validation)", reason })
    }

    /// Clears metric state gathered by the steps since the last reset.
    fn reset_metrics(&mut self) {}

    /// Values gathered over the steps since the last reset that are not means of batch
    /// values (AUC, precision, …), logged after (or instead of) the steps' means.
    fn metrics_result(&self) -> Logs {
        Logs::new()
    }

    /// The compiled metrics, which callbacks may monitor by [`Metric`] (none by default).
    fn compiled_metrics(&self) -> Vec<Metric> {
        Vec::new()
    }
}

/// A batch for a compiled model (Keras' `(x, y, sample_weight)`): one input tensor per
/// model input and one set of targets per output, batch first, and optionally each
/// sample's weight in the loss of the first output.
///
/// A [`DataLoader`]'s [`Batch`] converts into one input and one target.
///
/// ```
/// use derin_data::{Batch, Targets};
/// use derin_nn::TrainBatch;
/// use derin_tensor::Tensor;
/// let b = TrainBatch::new(Tensor::zeros(&[2, 3]), Targets::Labels(vec![0, 1]));
/// assert_eq!(b.len(), 2);
/// let from_loader: TrainBatch = Batch { x: Tensor::zeros(&[4, 1]), y: Targets::Unlabeled, indices: vec![0, 1, 2, 3] }.into();
/// assert_eq!(from_loader.len(), 4);
/// ```
#[derive(Clone, Debug)]
pub struct TrainBatch {
    /// One tensor per model input, `[batch, …]`.
    pub inputs: Vec<Tensor>,
    /// One set of targets per model output.
    pub targets: Vec<Targets>,
    /// Each sample's weight, `[batch]`, in the first output's loss.
    pub sample_weight: Option<Tensor>,
}

impl TrainBatch {
    /// One input and one target, no sample weights.
    ///
    /// ```
    /// # use derin_data::Targets;
    /// # use derin_nn::TrainBatch;
    /// # use derin_tensor::Tensor;
    /// assert!(TrainBatch::new(Tensor::zeros(&[1, 1]), Targets::Labels(vec![0])).sample_weight.is_none());
    /// ```
    pub fn new(x: Tensor, y: Targets) -> Self {
        TrainBatch { inputs: vec![x], targets: vec![y], sample_weight: None }
    }

    /// Samples in the batch (the first input's first axis; 0 without inputs).
    ///
    /// ```
    /// # use derin_data::Targets;
    /// # use derin_nn::TrainBatch;
    /// # use derin_tensor::Tensor;
    /// assert_eq!(TrainBatch::new(Tensor::zeros(&[5, 2]), Targets::Unlabeled).len(), 5);
    /// ```
    pub fn len(&self) -> usize {
        self.inputs.first().and_then(|x| x.shape().first().copied()).unwrap_or(0)
    }

    /// Whether the batch has no samples.
    ///
    /// ```
    /// # use derin_data::Targets;
    /// # use derin_nn::TrainBatch;
    /// # use derin_tensor::Tensor;
    /// assert!(TrainBatch::new(Tensor::zeros(&[0, 2]), Targets::Unlabeled).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Batch> for TrainBatch {
    fn from(batch: Batch) -> Self {
        TrainBatch::new(batch.x, batch.y)
    }
}

/// Where [`fit`](crate::fit) takes the batches of each epoch from: a [`DataLoader`]
/// (seeded shuffling, background prefetch), a `Vec` of ready batches (the same every
/// epoch), or a source of your own.
///
/// ```
/// use derin_nn::BatchSource;
/// let mut fixed = vec![1, 2, 3];
/// assert_eq!(BatchSource::<i32>::len(&fixed), 3);
/// let epoch: Vec<i32> = fixed.epoch(0).map(|b| b.unwrap()).collect();
/// assert_eq!(epoch, vec![1, 2, 3]);
/// ```
pub trait BatchSource<B> {
    /// Batches per epoch (what the progress bar counts to).
    fn len(&self) -> usize;

    /// Whether an epoch has no batches.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batches of epoch `epoch` (from 0). A batch that cannot be made (a file that
    /// cannot be read) is an `Err` naming it; `fit` stops and returns it.
    fn epoch(&mut self, epoch: usize) -> Box<dyn Iterator<Item = Result<B>> + '_>;
}

impl<B: Clone> BatchSource<B> for Vec<B> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn epoch(&mut self, _epoch: usize) -> Box<dyn Iterator<Item = Result<B>> + '_> {
        Box::new(self.iter().cloned().map(Ok))
    }
}

impl<D, C, B> BatchSource<B> for DataLoader<D, C>
where
    D: Dataset + Send + Sync + 'static,
    C: Collate<D::Item> + 'static,
    C::Batch: Send + Into<B> + 'static,
{
    fn len(&self) -> usize {
        DataLoader::len(self)
    }

    fn epoch(&mut self, epoch: usize) -> Box<dyn Iterator<Item = Result<B>> + '_> {
        Box::new(DataLoader::epoch(self, epoch as u64).map(|b| Ok(b?.into())))
    }
}
