//! Metrics reported by `fit` and `evaluate`.

use derin_data::Targets;
use derin_tensor::Tensor;

use crate::error::{Error, Result};
use crate::loss::Loss;

/// A number computed from predictions and targets to watch training, not to train on.
///
/// Values over several batches are computed from summed counts (true positives, squared
/// errors, …), so an epoch's precision or R² is that of all its samples, not a mean of
/// per-batch values.
///
/// - `Accuracy`: the fraction of correct predictions. Which kind follows the targets and
///   the loss, as Keras' `"accuracy"`: integer labels → sparse categorical accuracy
///   (arg-max of the prediction equals the label); one-hot rows → categorical accuracy
///   (arg-maxes equal); a single output per sample or a binary cross-entropy loss →
///   binary accuracy (prediction above the threshold equals target above 0.5).
/// - `Precision` `TP / (TP + FP)`, `Recall` `TP / (TP + FN)`, `F1` their harmonic mean
///   `2TP / (2TP + FP + FN)`: every output element is a binary decision, prediction above
///   the threshold (0.5, or 0 for a binary cross-entropy from logits) against target
///   above 0.5, as Keras' `Precision`/`Recall`; 0 when undefined.
/// - `MeanSquaredError`, `MeanAbsoluteError`: as the losses of the same names.
/// - `R2`: the coefficient of determination `1 − Σ(y − ŷ)² / Σ(y − ȳ)²` over every
///   output element.
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
    /// Fraction of predicted positives that are positive.
    Precision,
    /// Fraction of positives predicted positive.
    Recall,
    /// Harmonic mean of precision and recall.
    F1,
    /// Mean squared error.
    MeanSquaredError,
    /// Mean absolute error.
    MeanAbsoluteError,
    /// Coefficient of determination.
    R2,
}

impl Metric {
    /// Keras' short name (`accuracy`, `mse`, …), used in progress lines.
    ///
    /// ```
    /// # use derin_nn::Metric;
    /// assert_eq!(Metric::MeanSquaredError.short_name(), "mse");
    /// ```
    pub fn short_name(&self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::F1 => "f1_score",
            Metric::MeanSquaredError => "mse",
            Metric::MeanAbsoluteError => "mae",
            Metric::R2 => "r2_score",
        }
    }

    /// The metric's value on one batch.
    ///
    /// # Errors
    /// [`Error::Data`] when the targets do not fit the predictions, or precision, recall
    /// or F1 get integer labels.
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
    /// assert!((Metric::MeanAbsoluteError.compute(&bce, &p, &y).unwrap() - 0.5667).abs() < 1e-4);
    /// ```
    pub fn compute(&self, loss: &Loss, pred: &Tensor, target: &Targets) -> Result<f32> {
        Ok(self.finish(&self.counts(loss, pred, target)?))
    }

    /// The sums a batch adds (see [`finish`](Metric::finish)).
    pub(crate) fn counts(&self, loss: &Loss, pred: &Tensor, target: &Targets) -> Result<[f64; 4]> {
        let fail = |reason: String| Error::Data { operation: self.short_name(), reason };
        if let Metric::Accuracy = self {
            return accuracy(loss, pred, target).map(|(hits, n)| [hits, n, 0.0, 0.0]);
        }
        let y = match target {
            Targets::Values(y) if y.shape() == pred.shape() => y,
            Targets::Values(y) => {
                return Err(fail(format!("targets have shape {:?}, predictions {:?}", y.shape(), pred.shape())));
            }
            Targets::Labels(_) => return Err(fail("needs value targets (binary or one-hot), got labels".into())),
            Targets::Unlabeled => return Err(fail("needs targets, got none".into())),
        };
        let (p, t) = (pred.to_vec(), y.to_vec());
        let pairs = p.iter().zip(&t).map(|(&p, &t)| (f64::from(p), f64::from(t)));
        let n = p.len() as f64;
        Ok(match self {
            Metric::MeanSquaredError => [pairs.map(|(p, t)| (p - t) * (p - t)).sum(), n, 0.0, 0.0],
            Metric::MeanAbsoluteError => [pairs.map(|(p, t)| (p - t).abs()).sum(), n, 0.0, 0.0],
            Metric::R2 => pairs.fold([0.0, 0.0, 0.0, 0.0], |[res, sy, sy2, n], (p, t)| {
                [res + (t - p) * (t - p), sy + t, sy2 + t * t, n + 1.0]
            }),
            _ => {
                let threshold = f64::from(threshold(loss));
                pairs.fold([0.0; 4], |[tp, fp, fneg, z], (p, t)| match (p > threshold, t > 0.5) {
                    (true, true) => [tp + 1.0, fp, fneg, z],
                    (true, false) => [tp, fp + 1.0, fneg, z],
                    (false, true) => [tp, fp, fneg + 1.0, z],
                    (false, false) => [tp, fp, fneg, z],
                })
            }
        })
    }

    /// The value from summed counts.
    pub(crate) fn finish(&self, c: &[f64; 4]) -> f32 {
        let ratio = |a: f64, b: f64| if b > 0.0 { (a / b) as f32 } else { 0.0 };
        match self {
            Metric::Accuracy | Metric::MeanSquaredError | Metric::MeanAbsoluteError => ratio(c[0], c[1]),
            Metric::Precision => ratio(c[0], c[0] + c[1]),
            Metric::Recall => ratio(c[0], c[0] + c[2]),
            Metric::F1 => ratio(2.0 * c[0], 2.0 * c[0] + c[1] + c[2]),
            Metric::R2 => {
                let [res, sy, sy2, n] = *c;
                let total = sy2 - sy * sy / n.max(1.0);
                if total > 0.0 { (1.0 - res / total) as f32 } else { 0.0 }
            }
        }
    }
}

/// The decision threshold of binary metrics: 0 for logits, else 0.5.
fn threshold(loss: &Loss) -> f32 {
    if matches!(loss, Loss::BinaryCrossentropy { from_logits: true }) { 0.0 } else { 0.5 }
}

/// Correct predictions and their number.
fn accuracy(loss: &Loss, pred: &Tensor, target: &Targets) -> Result<(f64, f64)> {
    let fail = |reason: String| Error::Data { operation: "accuracy", reason };
    let last = pred.ndim().saturating_sub(1);
    match target {
        Targets::Labels(labels) => {
            crate::loss::sparse_to_one_hot(pred, labels)?;
            let hits = pred.argmax(last, false).iter().zip(labels).filter(|(a, b)| a == b).count();
            Ok((hits as f64, labels.len() as f64))
        }
        Targets::Values(y) if y.shape() == pred.shape() => {
            let binary = matches!(loss, Loss::BinaryCrossentropy { .. }) || pred.shape().get(last) == Some(&1);
            if binary {
                let threshold = threshold(loss);
                let (p, t) = (pred.to_vec(), y.to_vec());
                let hits = p.iter().zip(&t).filter(|(p, t)| (**p > threshold) == (**t > 0.5)).count();
                Ok((hits as f64, p.len() as f64))
            } else {
                let (a, b) = (pred.argmax(last, false), y.argmax(last, false));
                let hits = a.iter().zip(b.iter()).filter(|(a, b)| a == b).count();
                Ok((hits as f64, a.len() as f64))
            }
        }
        Targets::Values(y) => Err(fail(format!("targets have shape {:?}, predictions {:?}", y.shape(), pred.shape()))),
        Targets::Unlabeled => Err(fail("needs targets, got none".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categorical_and_binary_logit_accuracy() {
        let p = Tensor::from_vec(vec![0.1, 0.9, 0.8, 0.2, 0.3, 0.7], &[3, 2]);
        let y = Targets::Values(Tensor::from_vec(vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0], &[3, 2]));
        let cce = Loss::CategoricalCrossentropy { from_logits: false };
        assert!((Metric::Accuracy.compute(&cce, &p, &y).unwrap() - 2.0 / 3.0).abs() < 1e-6);
        let z = Tensor::from_vec(vec![-0.3, 0.2], &[2, 1]);
        let y = Targets::Values(Tensor::from_vec(vec![0.0, 1.0], &[2, 1]));
        let bce = Loss::BinaryCrossentropy { from_logits: true };
        assert_eq!(Metric::Accuracy.compute(&bce, &z, &y).unwrap(), 1.0);
    }

    #[test]
    fn f1_and_r2_from_summed_counts() {
        let loss = Loss::MeanSquaredError;
        let p = Tensor::from_vec(vec![0.9, 0.8, 0.2, 0.1], &[4, 1]);
        let y = Targets::Values(Tensor::from_vec(vec![1.0, 0.0, 1.0, 0.0], &[4, 1]));
        // TP 1, FP 1, FN 1: F1 = 2 / (2 + 1 + 1).
        assert_eq!(Metric::F1.compute(&loss, &p, &y).unwrap(), 0.5);
        // Two batches summed give the same R² as one: ȳ = 0.5, Σ(y − ȳ)² = 1.
        let res: f32 = [0.01f32, 0.64, 0.64, 0.01].iter().sum();
        let r2 = Metric::R2.compute(&loss, &p, &y).unwrap();
        assert!((r2 - (1.0 - res)).abs() < 1e-6, "{r2}");
        let half = |i: usize| {
            let t = Targets::Values(y.values().unwrap().narrow(0, i, 2));
            Metric::R2.counts(&loss, &p.narrow(0, i, 2), &t).unwrap()
        };
        let (a, b) = (half(0), half(2));
        let summed = [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]];
        assert!((Metric::R2.finish(&summed) - r2).abs() < 1e-6);
        assert!(Metric::Precision.compute(&loss, &p, &Targets::Labels(vec![0; 4])).is_err());
    }
}
