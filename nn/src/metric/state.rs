//! What a metric accumulates over the batches of an epoch, and its value from that.

use derin_data::Targets;
use derin_tensor::Tensor;

use super::Metric;
use super::classification::rank_auc;
use crate::error::{Error, Result};
use crate::loss::Loss;

/// A metric's running sums over batches.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum MetricState {
    /// Fixed sums: hits and count (accuracy), error sum and count (MSE, MAE), residual
    /// sum, Σy, Σy² and count (R²), TP, FP, FN (binary precision, recall, F1).
    Sums([f64; 4]),
    /// TP, FP, FN of each class (multi-class precision, recall, F1).
    PerClass(Vec<[f64; 3]>),
    /// Every (score, positive) pair (AUC).
    Ranked(Vec<(f32, bool)>),
}

impl MetricState {
    pub(crate) fn new(metric: Metric) -> Self {
        match metric {
            Metric::Auc => MetricState::Ranked(Vec::new()),
            _ => MetricState::Sums([0.0; 4]),
        }
    }

    /// Adds one batch.
    pub(crate) fn add(&mut self, metric: Metric, loss: &Loss, pred: &Tensor, target: &Targets) -> Result<()> {
        let fail = |reason: String| Error::Data { operation: metric.short_name(), reason };
        if metric.is_accuracy() {
            let (hits, n) = accuracy(metric, loss, pred, target)?;
            return self.add_sums([hits, n, 0.0, 0.0]);
        }
        let classes = pred.shape().last().copied().unwrap_or(1);
        let binary = classes == 1 || matches!(loss, Loss::BinaryCrossentropy { .. });
        if matches!(metric, Metric::Precision | Metric::Recall | Metric::F1) && !binary {
            return self.add_per_class(metric, pred, target, classes);
        }
        let y = match target {
            Targets::Values(y) if y.shape() == pred.shape() => y,
            Targets::Values(y) => {
                return Err(fail(format!("targets have shape {:?}, predictions {:?}", y.shape(), pred.shape())));
            }
            Targets::Labels(_) => return Err(fail("needs value targets (binary), got labels".into())),
            Targets::Unlabeled => return Err(fail("needs targets, got none".into())),
        };
        let (p, t) = (pred.to_vec(), y.to_vec());
        if let MetricState::Ranked(pairs) = self {
            pairs.extend(p.iter().zip(&t).map(|(&p, &t)| (p, t > 0.5)));
            return Ok(());
        }
        let pairs = p.iter().zip(&t).map(|(&p, &t)| (f64::from(p), f64::from(t)));
        let n = p.len() as f64;
        let sums = match metric {
            Metric::MeanSquaredError => [pairs.map(|(p, t)| (p - t) * (p - t)).sum(), n, 0.0, 0.0],
            Metric::MeanAbsoluteError => [pairs.map(|(p, t)| (p - t).abs()).sum(), n, 0.0, 0.0],
            Metric::R2 => pairs
                .fold([0.0; 4], |[res, sy, sy2, n], (p, t)| [res + (t - p) * (t - p), sy + t, sy2 + t * t, n + 1.0]),
            _ => {
                let threshold = f64::from(threshold(loss));
                pairs.fold([0.0; 4], |[tp, fp, fneg, z], (p, t)| match (p > threshold, t > 0.5) {
                    (true, true) => [tp + 1.0, fp, fneg, z],
                    (true, false) => [tp, fp + 1.0, fneg, z],
                    (false, true) => [tp, fp, fneg + 1.0, z],
                    (false, false) => [tp, fp, fneg, z],
                })
            }
        };
        self.add_sums(sums)
    }

    fn add_sums(&mut self, batch: [f64; 4]) -> Result<()> {
        if let MetricState::Sums(sums) = self {
            sums.iter_mut().zip(batch).for_each(|(s, b)| *s += b);
        }
        Ok(())
    }

    /// Per-class TP, FP, FN from arg-max predictions.
    fn add_per_class(&mut self, metric: Metric, pred: &Tensor, target: &Targets, classes: usize) -> Result<()> {
        let fail = |reason: String| Error::Data { operation: metric.short_name(), reason };
        let last = pred.ndim().saturating_sub(1);
        let truth: Vec<usize> = match target {
            Targets::Labels(labels) => {
                crate::loss::sparse_to_one_hot(pred, labels)?;
                labels.clone()
            }
            Targets::Values(y) if y.shape() == pred.shape() => y.argmax(last, false).iter().copied().collect(),
            Targets::Values(y) => {
                return Err(fail(format!("targets have shape {:?}, predictions {:?}", y.shape(), pred.shape())));
            }
            Targets::Unlabeled => return Err(fail("needs targets, got none".into())),
        };
        let predicted = pred.argmax(last, false);
        if !matches!(self, MetricState::PerClass(_)) {
            *self = MetricState::PerClass(vec![[0.0; 3]; classes]);
        }
        let MetricState::PerClass(counts) = self else { unreachable!("set above") };
        if counts.len() < classes {
            counts.resize(classes, [0.0; 3]);
        }
        for (&p, &t) in predicted.iter().zip(&truth) {
            if p == t {
                counts[t][0] += 1.0;
            } else {
                counts[p][1] += 1.0;
                counts[t][2] += 1.0;
            }
        }
        Ok(())
    }

    /// The metric's value from the sums.
    pub(crate) fn value(&self, metric: Metric) -> f32 {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let binary = |[tp, fp, fneg]: [f64; 3]| match metric {
            Metric::Precision => ratio(tp, tp + fp),
            Metric::Recall => ratio(tp, tp + fneg),
            _ => ratio(2.0 * tp, 2.0 * tp + fp + fneg),
        };
        match self {
            MetricState::Ranked(pairs) => {
                let (scores, positive): (Vec<f32>, Vec<bool>) = pairs.iter().copied().unzip();
                rank_auc(&scores, &positive).unwrap_or(0.0) as f32
            }
            MetricState::PerClass(counts) => {
                let seen: Vec<f64> = counts.iter().filter(|c| c.iter().any(|&v| v > 0.0)).map(|&c| binary(c)).collect();
                ratio(seen.iter().sum(), seen.len() as f64) as f32
            }
            MetricState::Sums(c) => {
                (match metric {
                    Metric::Precision | Metric::Recall | Metric::F1 => binary([c[0], c[1], c[2]]),
                    Metric::R2 => {
                        let [res, sy, sy2, n] = *c;
                        let total = sy2 - sy * sy / n.max(1.0);
                        if total > 0.0 { 1.0 - res / total } else { 0.0 }
                    }
                    _ => ratio(c[0], c[1]),
                }) as f32
            }
        }
    }

    /// Adds another state of the same metric (batches scored elsewhere).
    #[cfg(test)]
    pub(crate) fn merge(&mut self, other: &MetricState) {
        match (self, other) {
            (MetricState::Sums(a), MetricState::Sums(b)) => a.iter_mut().zip(b).for_each(|(a, b)| *a += b),
            (MetricState::Ranked(a), MetricState::Ranked(b)) => a.extend_from_slice(b),
            (MetricState::PerClass(a), MetricState::PerClass(b)) => {
                a.iter_mut().zip(b).for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(a, b)| *a += b))
            }
            _ => panic!("merging states of different metrics"),
        }
    }
}

/// The decision threshold of binary metrics: 0 for logits, else 0.5.
fn threshold(loss: &Loss) -> f32 {
    if matches!(loss, Loss::BinaryCrossentropy { from_logits: true }) { 0.0 } else { 0.5 }
}

/// Correct predictions and their number.
fn accuracy(metric: Metric, loss: &Loss, pred: &Tensor, target: &Targets) -> Result<(f64, f64)> {
    let fail = |reason: String| Error::Data { operation: metric.short_name(), reason };
    let last = pred.ndim().saturating_sub(1);
    match target {
        Targets::Labels(_) if matches!(metric, Metric::BinaryAccuracy | Metric::CategoricalAccuracy) => {
            Err(fail("needs value targets, got labels".into()))
        }
        Targets::Labels(labels) => {
            crate::loss::sparse_to_one_hot(pred, labels)?;
            let hits = pred.argmax(last, false).iter().zip(labels).filter(|(a, b)| a == b).count();
            Ok((hits as f64, labels.len() as f64))
        }
        Targets::Values(_) if metric == Metric::SparseCategoricalAccuracy => {
            Err(fail("needs integer labels, got values".into()))
        }
        Targets::Values(y) if y.shape() == pred.shape() => {
            let binary = match metric {
                Metric::BinaryAccuracy => true,
                Metric::CategoricalAccuracy => false,
                _ => matches!(loss, Loss::BinaryCrossentropy { .. }) || pred.shape().get(last) == Some(&1),
            };
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

    fn values(v: Vec<f32>, shape: &[usize]) -> Targets {
        Targets::Values(Tensor::from_vec(v, shape))
    }

    #[test]
    fn categorical_and_binary_logit_accuracy() {
        let p = Tensor::from_vec(vec![0.1, 0.9, 0.8, 0.2, 0.3, 0.7], &[3, 2]);
        let y = values(vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0], &[3, 2]);
        let cce = Loss::CategoricalCrossentropy { from_logits: false };
        assert!((Metric::Accuracy.compute(&cce, &p, &y).unwrap() - 2.0 / 3.0).abs() < 1e-6);
        assert!((Metric::CategoricalAccuracy.compute(&cce, &p, &y).unwrap() - 2.0 / 3.0).abs() < 1e-6);
        // Forced binary on the same rows: elements 0.1|0, 0.9|1, 0.8|0 ✗, 0.2|1 ✗, 0.3|0, 0.7|1 → 4/6.
        assert!((Metric::BinaryAccuracy.compute(&cce, &p, &y).unwrap() - 4.0 / 6.0).abs() < 1e-6);
        assert!(Metric::SparseCategoricalAccuracy.compute(&cce, &p, &y).is_err());
        let z = Tensor::from_vec(vec![-0.3, 0.2], &[2, 1]);
        let y = values(vec![0.0, 1.0], &[2, 1]);
        let bce = Loss::BinaryCrossentropy { from_logits: true };
        assert_eq!(Metric::Accuracy.compute(&bce, &z, &y).unwrap(), 1.0);
    }

    #[test]
    fn f1_and_r2_from_summed_counts() {
        let loss = Loss::MeanSquaredError;
        let p = Tensor::from_vec(vec![0.9, 0.8, 0.2, 0.1], &[4, 1]);
        let y = values(vec![1.0, 0.0, 1.0, 0.0], &[4, 1]);
        // TP 1, FP 1, FN 1: F1 = 2 / (2 + 1 + 1).
        assert_eq!(Metric::F1.compute(&loss, &p, &y).unwrap(), 0.5);
        // Two batches summed give the same R² as one: ȳ = 0.5, Σ(y − ȳ)² = 1,
        // Σ(y − ŷ)² = 0.01 + 0.64 + 0.64 + 0.01 = 1.3, R² = 1 − 1.3 = −0.3.
        let r2 = Metric::R2.compute(&loss, &p, &y).unwrap();
        assert!((r2 + 0.3).abs() < 1e-6, "{r2}");
        let half = |i: usize| {
            let t = Targets::Values(y.values().unwrap().narrow(0, i, 2));
            let mut s = MetricState::new(Metric::R2);
            s.add(Metric::R2, &loss, &p.narrow(0, i, 2), &t).unwrap();
            s
        };
        let (mut a, b) = (half(0), half(2));
        // The first half alone: ȳ = 0.5, Σ(y − ȳ)² = 0.5, residuals 0.01 + 0.64: R² = −0.3 too
        // by coincidence, the second: residuals 0.64 + 0.01 likewise; so check the sums.
        a.merge(&b);
        assert!((a.value(Metric::R2) - r2).abs() < 1e-6);
        assert!(Metric::Precision.compute(&loss, &p, &Targets::Labels(vec![0; 4])).is_err());
    }

    #[test]
    fn multi_class_precision_recall_f1_are_macro_averages() {
        // Labels 0 0 1 2, predicted (arg-max) 0 1 1 1.
        // Class 0: TP 1, FP 0, FN 1 → P 1, R 1/2, F1 2/3.
        // Class 1: TP 1, FP 2, FN 0 → P 1/3, R 1, F1 2/4 = 1/2.
        // Class 2: TP 0, FP 0, FN 1 → P 0, R 0, F1 0.
        // Macro: P (1 + 1/3 + 0)/3 = 4/9, R (1/2 + 1 + 0)/3 = 1/2, F1 (2/3 + 1/2 + 0)/3 = 7/18.
        let p = Tensor::from_vec(vec![0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.1, 0.8, 0.1, 0.3, 0.4, 0.3], &[4, 3]);
        let y = Targets::Labels(vec![0, 0, 1, 2]);
        let loss = Loss::SparseCategoricalCrossentropy { from_logits: false };
        let close = |m: Metric, v: f32| {
            let got = m.compute(&loss, &p, &y).unwrap();
            assert!((got - v).abs() < 1e-6, "{m:?}: {got} vs {v}");
        };
        close(Metric::Precision, 4.0 / 9.0);
        close(Metric::Recall, 0.5);
        close(Metric::F1, 7.0 / 18.0);
        // Split in two batches, the counts add up to the same values.
        let mut s = MetricState::new(Metric::F1);
        s.add(Metric::F1, &loss, &p.narrow(0, 0, 2), &Targets::Labels(vec![0, 0])).unwrap();
        s.add(Metric::F1, &loss, &p.narrow(0, 2, 2), &Targets::Labels(vec![1, 2])).unwrap();
        assert!((s.value(Metric::F1) - 7.0 / 18.0).abs() < 1e-6);
        // A class absent from targets and predictions does not count: the first sample
        // alone (label 0, predicted 0) has macro precision 1/1, not (1 + 0 + 0)/3.
        let two = Metric::Precision.compute(&loss, &p.narrow(0, 0, 1), &Targets::Labels(vec![0])).unwrap();
        assert_eq!(two, 1.0);
    }

    #[test]
    fn auc_over_an_epoch_is_not_a_mean_of_batches() {
        let loss = Loss::BinaryCrossentropy { from_logits: false };
        // Batch 1: scores 0.9 (pos), 0.4 (neg); batch 2: 0.6 (pos), 0.7 (neg).
        // Per batch: AUC 1 and 0, mean 0.5. Whole epoch: positives {0.9, 0.6}, negatives
        // {0.4, 0.7}: pairs (0.9>0.4 ✓, 0.9>0.7 ✓, 0.6>0.4 ✓, 0.6>0.7 ✗) → 3/4.
        let mut s = MetricState::new(Metric::Auc);
        s.add(Metric::Auc, &loss, &Tensor::from_vec(vec![0.9, 0.4], &[2, 1]), &values(vec![1.0, 0.0], &[2, 1]))
            .unwrap();
        s.add(Metric::Auc, &loss, &Tensor::from_vec(vec![0.6, 0.7], &[2, 1]), &values(vec![1.0, 0.0], &[2, 1]))
            .unwrap();
        assert_eq!(s.value(Metric::Auc), 0.75);
        // One class only: undefined, reported as 0.
        let one = Metric::Auc.compute(&loss, &Tensor::from_vec(vec![0.3], &[1, 1]), &values(vec![1.0], &[1, 1]));
        assert_eq!(one.unwrap(), 0.0);
    }
}
