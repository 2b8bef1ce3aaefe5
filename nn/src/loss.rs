//! Losses: regression (MSE, MAE, Huber, smooth L1) and classification (binary, categorical and sparse
//! categorical cross-entropy, from probabilities or from logits), and losses of your own.

pub mod functions;

use std::sync::Arc;

use derin_data::Targets;
use derin_tensor::Tensor;

use crate::error::{Error, Result};

/// Keras' clipping epsilon for cross-entropy on probabilities.
pub const EPSILON: f32 = 1e-7;

/// A loss: a scalar from predictions and targets, averaged over the batch.
///
/// With `e = ŷ − y`, per element and averaged over every element (Keras averages over
/// the last axis, then over the batch, which is the same number):
/// - `MeanSquaredError`: `e²`.
/// - `MeanAbsoluteError`: `|e|`.
/// - `Huber { delta }`: `½e²` where `|e| ≤ δ`, else `δ(|e| − ½δ)` (Keras' δ = 1).
/// - `SmoothL1 { beta }`: `½e²/β` where `|e| < β`, else `|e| − ½β` (PyTorch's
///   `smooth_l1_loss`, β = 1; the box-regression loss of detectors).
/// - `BinaryCrossentropy`: `−[y·ln p + (1 − y)·ln(1 − p)]`; from logits `z` as
///   `softplus(z) − y·z`, which never overflows; from probabilities `p` clipped to
///   `[ε, 1 − ε]`, `ε = 1e-7`.
///
/// Summed over the class axis (the last), then averaged over the batch:
/// - `CategoricalCrossentropy`: `−Σ y·ln p` with one-hot (or soft) targets; from logits
///   through `log_softmax`; from probabilities after normalising them to sum 1 and
///   clipping to `[ε, 1 − ε]`.
/// - `SparseCategoricalCrossentropy`: the same with integer labels
///   ([`Targets::Labels`]) instead of one-hot rows.
///
/// `from_logits` is `false` by default, as in Keras. The same formulas are plain
/// functions over tensors in [`losses`](crate::losses), for custom training steps; a loss
/// of your own is a [`Loss::custom`].
///
/// ```
/// use derin_data::Targets;
/// use derin_nn::Loss;
/// use derin_tensor::Tensor;
/// let logits = Tensor::from_vec(vec![0.0, 0.0], &[1, 2]);
/// let loss = Loss::SparseCategoricalCrossentropy { from_logits: true };
/// let l = loss.compute(&logits, &Targets::Labels(vec![1])).unwrap();
/// assert!((l.item() - 2f32.ln()).abs() < 1e-6);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Loss {
    /// Mean squared error.
    MeanSquaredError,
    /// Mean absolute error.
    MeanAbsoluteError,
    /// Huber loss with threshold `delta`.
    Huber {
        /// Where the loss turns from quadratic to linear (Keras: 1.0).
        delta: f32,
    },
    /// PyTorch's smooth L1 loss with threshold `beta` (Huber's loss divided by `beta`).
    /// Keras has no such loss, so a model compiled with it saves no Keras
    /// `training_config` (it loads uncompiled), as with a custom loss.
    SmoothL1 {
        /// Where the loss turns from quadratic to linear (PyTorch: 1.0; torchvision's
        /// detectors: 1/9); 0 is the L1 loss.
        beta: f32,
    },
    /// Binary cross-entropy on `[batch, …]` outputs with targets in `[0, 1]`.
    BinaryCrossentropy {
        /// Whether predictions are logits rather than probabilities.
        from_logits: bool,
    },
    /// Categorical cross-entropy on `[batch, classes]` outputs with one-hot targets.
    CategoricalCrossentropy {
        /// Whether predictions are logits rather than probabilities.
        from_logits: bool,
    },
    /// Categorical cross-entropy on `[batch, classes]` outputs with integer labels.
    SparseCategoricalCrossentropy {
        /// Whether predictions are logits rather than probabilities.
        from_logits: bool,
    },
    /// A loss of your own (see [`Loss::custom`]).
    Custom(CustomLoss),
}

/// The function of a [`Loss::Custom`]: per-sample losses `[batch]` (or one scalar) from
/// predictions and targets.
pub type LossFn = dyn Fn(&Tensor, &Targets) -> Result<Tensor> + Send + Sync;

/// A named loss function (Keras' custom loss `fn(y_true, y_pred)`), compared by identity.
#[derive(Clone)]
pub struct CustomLoss {
    name: Arc<str>,
    f: Arc<LossFn>,
}

impl CustomLoss {
    /// The name it is shown and logged under.
    ///
    /// ```
    /// use derin_nn::Loss;
    /// let Loss::Custom(c) = Loss::custom("l1", |p, _| Ok(p.abs().sum_all())) else { unreachable!() };
    /// assert_eq!(c.name(), "l1");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Debug for CustomLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CustomLoss({:?})", self.name)
    }
}

impl PartialEq for CustomLoss {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.f, &other.f)
    }
}

impl Loss {
    /// A loss of your own: `f(predictions, targets)` gives each sample's loss, `[batch]`
    /// (or any `[batch, …]`, averaged per sample), or one scalar; the loss is its mean.
    /// Class weights need per-sample values. It accepts any kind of [`Targets`]; a model
    /// compiled with it saves no Keras `training_config` (it loads uncompiled).
    ///
    /// ```
    /// use derin_data::Targets;
    /// use derin_nn::{losses, Loss};
    /// use derin_tensor::Tensor;
    /// // Squared error weighted ×2 on positive targets.
    /// let weighted = Loss::custom("weighted_mse", |pred, y| {
    ///     let y = y.values().expect("value targets");
    ///     let w = y.gt(&Tensor::scalar(0.0)).add_scalar(1.0);
    ///     Ok(((pred - y).square() * w).mean(&[1], false))
    /// });
    /// let (p, y) = (Tensor::from_vec(vec![1.0, 1.0], &[2, 1]), Tensor::from_vec(vec![0.0, 2.0], &[2, 1]));
    /// let l = weighted.compute(&p, &Targets::Values(y.clone())).unwrap();
    /// assert_eq!(l.item(), (1.0 + 2.0) / 2.0);
    /// assert_eq!(losses::mean_squared_error(&p, &y).item(), 1.0);
    /// ```
    pub fn custom(name: &str, f: impl Fn(&Tensor, &Targets) -> Result<Tensor> + Send + Sync + 'static) -> Self {
        Loss::Custom(CustomLoss { name: name.into(), f: Arc::new(f) })
    }

    /// Huber with Keras' default `delta = 1.0`.
    ///
    /// ```
    /// # use derin_nn::Loss;
    /// assert_eq!(Loss::huber(), Loss::Huber { delta: 1.0 });
    /// ```
    pub fn huber() -> Self {
        Loss::Huber { delta: 1.0 }
    }

    /// Smooth L1 with PyTorch's default `beta = 1.0`.
    ///
    /// ```
    /// # use derin_nn::Loss;
    /// assert_eq!(Loss::smooth_l1(), Loss::SmoothL1 { beta: 1.0 });
    /// ```
    pub fn smooth_l1() -> Self {
        Loss::SmoothL1 { beta: 1.0 }
    }

    /// The loss of `pred` against `target`, a scalar tensor that gradients flow through.
    ///
    /// # Errors
    /// [`Error::Data`] naming both shapes when they differ, when sparse cross-entropy gets
    /// anything but [`Targets::Labels`] (or a label out of range), or when another loss
    /// gets anything but [`Targets::Values`].
    ///
    /// ```
    /// # use derin_data::Targets;
    /// # use derin_nn::Loss;
    /// # use derin_tensor::Tensor;
    /// let pred = Tensor::from_vec(vec![1.0, 3.0], &[2, 1]);
    /// let y = Targets::Values(Tensor::from_vec(vec![0.0, 1.0], &[2, 1]));
    /// assert_eq!(Loss::MeanSquaredError.compute(&pred, &y).unwrap().item(), 2.5);
    /// assert_eq!(Loss::MeanAbsoluteError.compute(&pred, &y).unwrap().item(), 1.5);
    /// assert!(Loss::MeanSquaredError.compute(&pred, &Targets::Labels(vec![0, 1])).is_err());
    /// ```
    pub fn compute(&self, pred: &Tensor, target: &Targets) -> Result<Tensor> {
        Ok(self.per_sample(pred, target)?.mean_all())
    }

    /// The loss of each sample, `[batch]` (its mean is [`compute`](Loss::compute)); the
    /// training loop weights it by class.
    ///
    /// # Errors
    /// As [`compute`](Loss::compute).
    ///
    /// ```
    /// # use derin_data::Targets;
    /// # use derin_nn::Loss;
    /// # use derin_tensor::Tensor;
    /// let pred = Tensor::from_vec(vec![1.0, 3.0, 0.0, 0.0], &[2, 2]);
    /// let y = Targets::Values(Tensor::zeros(&[2, 2]));
    /// assert_eq!(Loss::MeanSquaredError.per_sample(&pred, &y).unwrap().to_vec(), vec![5.0, 0.0]);
    /// ```
    pub fn per_sample(&self, pred: &Tensor, target: &Targets) -> Result<Tensor> {
        if let Loss::Custom(c) = self {
            let l = (c.f)(pred, target)?;
            let n = pred.shape().first().copied();
            return match l.ndim() {
                0 => Ok(l),
                _ if l.shape().first().copied() == n => Ok(per_row(&l)),
                _ => {
                    let reason =
                        format!("{} returned shape {:?} for predictions {:?}", c.name, l.shape(), pred.shape());
                    Err(Error::Data { operation: "loss", reason })
                }
            };
        }
        if let Loss::SparseCategoricalCrossentropy { from_logits } = *self {
            let labels = target.labels().ok_or_else(|| data_err("labels (Targets::Labels)".into(), target))?;
            let one_hot = sparse_to_one_hot(pred, labels)?;
            return Ok(per_row(&categorical(pred, &one_hot, from_logits)));
        }
        let y = target.values().ok_or_else(|| data_err("values (Targets::Values)".into(), target))?;
        if y.shape() != pred.shape() || pred.ndim() == 0 {
            let reason = format!("targets have shape {:?}, predictions {:?}", y.shape(), pred.shape());
            return Err(Error::Data { operation: "loss", reason });
        }
        let last = pred.ndim() - 1;
        let elementwise = match *self {
            Loss::MeanSquaredError => functions::squared_error(pred, y),
            Loss::MeanAbsoluteError => (pred - y).abs(),
            Loss::Huber { delta } => functions::huber_elementwise(pred, y, delta),
            Loss::SmoothL1 { beta } => pred.smooth_l1(y, beta),
            Loss::BinaryCrossentropy { from_logits } => functions::binary_elementwise(pred, y, from_logits),
            Loss::CategoricalCrossentropy { from_logits } => {
                if pred.ndim() < 2 || pred.shape()[last] == 0 {
                    let reason = format!("needs [batch, classes] predictions, got {:?}", pred.shape());
                    return Err(Error::Data { operation: "loss", reason });
                }
                categorical(pred, y, from_logits)
            }
            Loss::SparseCategoricalCrossentropy { .. } | Loss::Custom(_) => unreachable!("handled above"),
        };
        Ok(per_row(&elementwise))
    }
}

/// The mean over every axis but the first: `[batch, …]` → `[batch]`.
pub(crate) fn per_row(t: &Tensor) -> Tensor {
    if t.ndim() == 1 {
        return t.clone();
    }
    let n = t.shape()[0];
    t.reshape(&[n, t.len() / n.max(1)]).mean(&[1], false)
}

fn data_err(wanted: String, got: &Targets) -> Error {
    let got = match got {
        Targets::Labels(l) => format!("{} labels", l.len()),
        Targets::Values(v) => format!("values of shape {:?}", v.shape()),
        Targets::Unlabeled => "no targets".to_string(),
    };
    Error::Data { operation: "loss", reason: format!("expects {wanted}, got {got}") }
}

/// `−Σ y·ln p` over the last axis: `[batch, …, classes]` → `[batch, …]`.
pub(crate) fn categorical(pred: &Tensor, y: &Tensor, from_logits: bool) -> Tensor {
    let last = pred.ndim() - 1;
    let log_p = if from_logits {
        pred.log_softmax(last)
    } else {
        (pred / pred.sum(&[last], true)).clamp(EPSILON, 1.0 - EPSILON).log()
    };
    -(y * log_p).sum(&[last], false)
}

/// One-hot rows for `labels`, checked against `[batch, classes]` predictions.
pub(crate) fn sparse_to_one_hot(pred: &Tensor, labels: &[usize]) -> Result<Tensor> {
    let (n, classes) = match pred.shape() {
        &[n, c] => (n, c),
        other => {
            let reason = format!("needs [batch, classes] predictions, got {other:?}");
            return Err(Error::Data { operation: "loss", reason });
        }
    };
    if labels.len() != n {
        let reason = format!("{} labels for predictions of shape {:?}", labels.len(), pred.shape());
        return Err(Error::Data { operation: "loss", reason });
    }
    if let Some(&bad) = labels.iter().find(|&&l| l >= classes) {
        let reason = format!("label {bad} is out of range for {classes} classes (predictions {:?})", pred.shape());
        return Err(Error::Data { operation: "loss", reason });
    }
    Ok(Tensor::one_hot(labels, classes))
}

#[cfg(test)]
mod tests;
