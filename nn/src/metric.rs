//! Metrics reported by `fit` and `evaluate`.

mod classification;
mod state;

pub use classification::{ClassScores, ClassificationReport, classification_report, confusion_matrix, roc_auc};
pub(crate) use state::MetricState;

use derin_data::Targets;
use derin_tensor::Tensor;

use crate::error::Result;
use crate::loss::Loss;

/// A number computed from predictions and targets to watch training, not to train on.
///
/// An epoch's value is that of all its samples: `fit` and `evaluate` accumulate counts
/// (true positives, squared errors, …) or, for AUC, every score over the epoch, so
/// precision, recall, AUC or R² are not means of per-batch values.
///
/// - `Accuracy`: the fraction of correct predictions. Which kind follows the targets and
///   the loss, as Keras' `"accuracy"`: integer labels → sparse categorical accuracy
///   (arg-max of the prediction equals the label); one-hot rows → categorical accuracy
///   (arg-maxes equal); a single output per sample or a binary cross-entropy loss →
///   binary accuracy (prediction above the threshold equals target above 0.5).
///   `BinaryAccuracy`, `CategoricalAccuracy` and `SparseCategoricalAccuracy` force one kind.
/// - `Precision` `TP / (TP + FP)`, `Recall` `TP / (TP + FN)`, `F1` their harmonic mean
///   `2TP / (2TP + FP + FN)`; 0 when undefined. **Binary** (one output per sample, or a
///   binary cross-entropy loss): every output element is a decision, prediction above the
///   threshold (0.5, or 0 for a binary cross-entropy from logits) against target above
///   0.5. **Multi-class** (integer labels, or one-hot rows with another loss): the
///   predicted class is the arg-max, and the value is the **macro average** over the
///   classes that occur in the targets or the predictions (scikit-learn's
///   `average="macro"`): the mean of the per-class precisions, recalls or F1 scores.
/// - `Auc`: the area under the ROC curve of binary targets, exact (see [`roc_auc`]); every
///   output element is a (score, target above 0.5) pair; 0 while one class is missing.
/// - `MeanSquaredError`, `MeanAbsoluteError`: as the losses of the same names.
/// - `R2`: the coefficient of determination `1 − Σ(y − ŷ)² / Σ(y − ȳ)²` over every
///   output element (0 when the targets are constant).
///
/// ```
/// use derin_data::Targets;
/// use derin_nn::{Loss, Metric};
/// use derin_tensor::Tensor;
/// let p = Tensor::from_vec(vec![0.9, 0.1, 0.2, 0.8], &[2, 2]);
/// let loss = Loss::SparseCategoricalCrossentropy { from_logits: false };
/// assert_eq!(Metric::Accuracy.compute(&loss, &p, &Targets::Labels(vec![0, 0])).unwrap(), 0.5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Fraction of correct predictions (binary, categorical or sparse; see above).
    Accuracy,
    /// Binary accuracy: prediction above the threshold equals target above 0.5.
    BinaryAccuracy,
    /// Categorical accuracy: arg-max of the prediction equals arg-max of the one-hot target.
    CategoricalAccuracy,
    /// Sparse categorical accuracy: arg-max of the prediction equals the label.
    SparseCategoricalAccuracy,
    /// Fraction of predicted positives that are positive.
    Precision,
    /// Fraction of positives predicted positive.
    Recall,
    /// Harmonic mean of precision and recall.
    F1,
    /// Area under the ROC curve (binary).
    #[doc(alias = "AUROC")]
    Auc,
    /// Mean squared error.
    MeanSquaredError,
    /// Mean absolute error.
    MeanAbsoluteError,
    /// Coefficient of determination.
    R2,
}

impl Metric {
    /// Keras' short name (`accuracy`, `mse`, …), used in progress lines and logs.
    ///
    /// ```
    /// # use derin_nn::Metric;
    /// assert_eq!(Metric::MeanSquaredError.short_name(), "mse");
    /// assert_eq!(Metric::Auc.short_name(), "auc");
    /// ```
    pub fn short_name(&self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::BinaryAccuracy => "binary_accuracy",
            Metric::CategoricalAccuracy => "categorical_accuracy",
            Metric::SparseCategoricalAccuracy => "sparse_categorical_accuracy",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::F1 => "f1_score",
            Metric::Auc => "auc",
            Metric::MeanSquaredError => "mse",
            Metric::MeanAbsoluteError => "mae",
            Metric::R2 => "r2_score",
        }
    }

    /// Whether larger values are better (accuracies, precision, recall, F1, AUC, R²)
    /// rather than smaller (errors), as Keras' `mode="auto"` decides.
    ///
    /// ```
    /// # use derin_nn::Metric;
    /// assert!(Metric::Auc.higher_is_better() && !Metric::MeanAbsoluteError.higher_is_better());
    /// ```
    pub fn higher_is_better(&self) -> bool {
        !matches!(self, Metric::MeanSquaredError | Metric::MeanAbsoluteError)
    }

    /// Whether this is one of the accuracies.
    ///
    /// ```
    /// # use derin_nn::Metric;
    /// assert!(Metric::SparseCategoricalAccuracy.is_accuracy() && !Metric::F1.is_accuracy());
    /// ```
    pub fn is_accuracy(&self) -> bool {
        matches!(
            self,
            Metric::Accuracy | Metric::BinaryAccuracy | Metric::CategoricalAccuracy | Metric::SparseCategoricalAccuracy
        )
    }

    /// The metric's value on one batch.
    ///
    /// # Errors
    /// [`Error::Data`](crate::Error::Data) when the targets do not fit the predictions,
    /// or a binary metric gets integer labels.
    ///
    /// ```
    /// # use derin_data::Targets;
    /// # use derin_nn::{Loss, Metric};
    /// # use derin_tensor::Tensor;
    /// let p = Tensor::from_vec(vec![0.7, 0.2, 0.6], &[3, 1]);
    /// let y = Targets::Values(Tensor::from_vec(vec![1.0, 1.0, 0.0], &[3, 1]));
    /// let bce = Loss::BinaryCrossentropy { from_logits: false };
    /// assert!((Metric::Accuracy.compute(&bce, &p, &y).unwrap() - 1.0 / 3.0).abs() < 1e-6);
    /// assert_eq!(Metric::Precision.compute(&bce, &p, &y).unwrap(), 0.5); // TP 1, FP 1
    /// assert_eq!(Metric::Recall.compute(&bce, &p, &y).unwrap(), 0.5); // TP 1, FN 1
    /// // Positive scores {0.7, 0.2}, negative {0.6}: 1 of 2 pairs ranked right.
    /// assert_eq!(Metric::Auc.compute(&bce, &p, &y).unwrap(), 0.5);
    /// assert!((Metric::MeanAbsoluteError.compute(&bce, &p, &y).unwrap() - 0.5667).abs() < 1e-4);
    /// ```
    pub fn compute(&self, loss: &Loss, pred: &Tensor, target: &Targets) -> Result<f32> {
        let mut state = MetricState::new(*self);
        state.add(*self, loss, pred, target)?;
        Ok(state.value(*self))
    }
}
