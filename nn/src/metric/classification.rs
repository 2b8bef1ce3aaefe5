//! Scores of classifiers from whole label vectors: ROC-AUC, the confusion matrix and a
//! per-class report.

use std::fmt;

use crate::error::{Error, Result};

/// The area under the ROC curve of `scores` for samples that are `positive` or not:
/// the probability that a random positive scores above a random negative, ties counting
/// one half. Computed exactly from ranks (the Mann–Whitney statistic): sort the scores,
/// give tied scores the mean of their ranks, and
/// `AUC = (Σ ranks of positives − P(P + 1)/2) / (P·N)`.
///
/// `None` when the samples are all positive or all negative, or the lengths differ.
/// Any monotone transform of the scores (probabilities or logits) gives the same value.
///
/// ```
/// use derin_nn::roc_auc;
/// // Positives 0.8, 0.4; negatives 0.4, 0.1. Ranks: 0.1 → 1, 0.4 and 0.4 → 2.5 each,
/// // 0.8 → 4. Σ positive ranks = 4 + 2.5 = 6.5; AUC = (6.5 − 3) / (2·2) = 0.875
/// // (pairs: 0.8>0.4 ✓, 0.8>0.1 ✓, 0.4=0.4 ½, 0.4>0.1 ✓ → 3.5/4).
/// assert_eq!(roc_auc(&[0.8, 0.4, 0.4, 0.1], &[true, true, false, false]), Some(0.875));
/// assert_eq!(roc_auc(&[0.3, 0.2], &[true, true]), None);
/// ```
#[doc(alias = "roc_auc_score")]
pub fn roc_auc(scores: &[f32], positive: &[bool]) -> Option<f64> {
    if scores.len() != positive.len() {
        return None;
    }
    rank_auc(scores, positive)
}

/// [`roc_auc`] on equal-length slices.
pub(crate) fn rank_auc(scores: &[f32], positive: &[bool]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0f64;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        // Ranks start + 1 ..= end share their mean.
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        rank_sum += mean_rank * order[start..end].iter().filter(|&&i| positive[i]).count() as f64;
        start = end;
    }
    let (p, n) = (n_pos as f64, n_neg as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Counts of (true class, predicted class) pairs: `m[t][p]` is the number of samples of
/// class `t` predicted as `p` (scikit-learn's `confusion_matrix(y_true, y_pred)`
/// layout: rows are true classes, columns predictions).
///
/// # Errors
/// [`Error::Data`] when the lengths differ or a label is not below `classes`.
///
/// ```
/// use derin_nn::confusion_matrix;
/// let m = confusion_matrix(&[0, 0, 1, 2], &[0, 1, 1, 1], 3).unwrap();
/// assert_eq!(m, vec![vec![1, 1, 0], vec![0, 1, 0], vec![0, 1, 0]]);
/// assert!(confusion_matrix(&[3], &[0], 3).is_err());
/// ```
pub fn confusion_matrix(true_labels: &[usize], pred_labels: &[usize], classes: usize) -> Result<Vec<Vec<usize>>> {
    let fail = |reason: String| Error::Data { operation: "confusion_matrix", reason };
    if true_labels.len() != pred_labels.len() {
        return Err(fail(format!("{} true labels, {} predicted", true_labels.len(), pred_labels.len())));
    }
    if let Some(&bad) = true_labels.iter().chain(pred_labels).find(|&&l| l >= classes) {
        return Err(fail(format!("label {bad} is out of range for {classes} classes")));
    }
    let mut m = vec![vec![0; classes]; classes];
    for (&t, &p) in true_labels.iter().zip(pred_labels) {
        m[t][p] += 1;
    }
    Ok(m)
}

/// Precision, recall, F1 and support (number of true samples) of one class.
///
/// ```
/// use derin_nn::ClassScores;
/// let s = ClassScores { precision: 1.0, recall: 0.5, f1: 2.0 / 3.0, support: 2 };
/// assert_eq!(s.support, 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassScores {
    /// `TP / (TP + FP)`, 0 when nothing was predicted as the class.
    pub precision: f64,
    /// `TP / (TP + FN)`, 0 when the class has no sample.
    pub recall: f64,
    /// `2TP / (2TP + FP + FN)`, 0 when both are 0.
    pub f1: f64,
    /// Samples whose true class this is.
    pub support: usize,
}

/// Per-class scores with accuracy and macro and weighted averages (scikit-learn's
/// `classification_report`); `Display` prints it as a table.
///
/// ```
/// use derin_nn::classification_report;
/// let r = classification_report(&[0, 0, 1, 2], &[0, 1, 1, 1], 3).unwrap();
/// assert_eq!(r.accuracy, 0.5);
/// assert!(r.to_string().contains("macro avg"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ClassificationReport {
    /// One entry per class, in class order.
    pub classes: Vec<ClassScores>,
    /// Fraction of samples whose prediction is their true class.
    pub accuracy: f64,
    /// Unweighted means of the per-class scores (all `classes`), total support.
    pub macro_avg: ClassScores,
    /// Means weighted by support, total support.
    pub weighted_avg: ClassScores,
}

/// The [`ClassificationReport`] of predicted against true labels.
///
/// # Errors
/// As [`confusion_matrix`].
///
/// ```
/// use derin_nn::classification_report;
/// // Class 0: TP 1, FP 0, FN 1 → P 1, R ½, F1 ⅔; class 1: TP 1, FP 2 → P ⅓, R 1, F1 ½;
/// // class 2: TP 0 → all 0. Macro recall (½ + 1 + 0)/3 = ½; weighted (2·½ + 1·1 + 0)/4 = ½.
/// let r = classification_report(&[0, 0, 1, 2], &[0, 1, 1, 1], 3).unwrap();
/// assert_eq!((r.classes[0].recall, r.classes[1].precision), (0.5, 1.0 / 3.0));
/// assert_eq!((r.macro_avg.recall, r.weighted_avg.recall, r.macro_avg.support), (0.5, 0.5, 4));
/// ```
pub fn classification_report(
    true_labels: &[usize],
    pred_labels: &[usize],
    classes: usize,
) -> Result<ClassificationReport> {
    let m = confusion_matrix(true_labels, pred_labels, classes)?;
    let ratio = |a: usize, b: usize| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    let scores: Vec<ClassScores> = (0..classes)
        .map(|c| {
            let tp = m[c][c];
            let predicted: usize = m.iter().map(|row| row[c]).sum();
            let support: usize = m[c].iter().sum();
            let (fp, fneg) = (predicted - tp, support - tp);
            ClassScores {
                precision: ratio(tp, predicted),
                recall: ratio(tp, support),
                f1: ratio(2 * tp, 2 * tp + fp + fneg),
                support,
            }
        })
        .collect();
    let total: usize = true_labels.len();
    let hits: usize = (0..classes).map(|c| m[c][c]).sum();
    let average = |weight: &dyn Fn(&ClassScores) -> f64| {
        let w: f64 = scores.iter().map(weight).sum();
        let mean = |f: fn(&ClassScores) -> f64| {
            if w > 0.0 { scores.iter().map(|s| weight(s) * f(s)).sum::<f64>() / w } else { 0.0 }
        };
        ClassScores { precision: mean(|s| s.precision), recall: mean(|s| s.recall), f1: mean(|s| s.f1), support: total }
    };
    Ok(ClassificationReport {
        macro_avg: average(&|_| 1.0),
        weighted_avg: average(&|s| s.support as f64),
        accuracy: ratio(hits, total),
        classes: scores,
    })
}

impl fmt::Display for ClassificationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:>12} {:>9} {:>9} {:>9} {:>9}", "", "precision", "recall", "f1-score", "support")?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, s: &ClassScores| {
            writeln!(f, "{name:>12} {:>9.2} {:>9.2} {:>9.2} {:>9}", s.precision, s.recall, s.f1, s.support)
        };
        for (c, s) in self.classes.iter().enumerate() {
            row(f, &c.to_string(), s)?;
        }
        writeln!(f)?;
        writeln!(f, "{:>12} {:>9} {:>9} {:>9.2} {:>9}", "accuracy", "", "", self.accuracy, self.macro_avg.support)?;
        row(f, "macro avg", &self.macro_avg)?;
        row(f, "weighted avg", &self.weighted_avg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_averages_tied_ranks() {
        // All scores tied: every pair counts ½ → 0.5.
        assert_eq!(roc_auc(&[0.3; 4], &[true, false, true, false]), Some(0.5));
        // Scores 0.1 0.2 0.2 0.2 0.9 with positives at 0.2 (one of three ties) and 0.9.
        // Ranks: 1, (2+3+4)/3 = 3 ×3, 5. Σ positive = 3 + 5 = 8; P = 2, N = 3:
        // AUC = (8 − 3)/6 = 5/6. By pairs: 0.9 beats all 3 negatives (3); 0.2 beats 0.1 (1)
        // and ties the two 0.2 negatives (½ + ½) → (3 + 2)/6 = 5/6.
        let auc = roc_auc(&[0.2, 0.1, 0.2, 0.9, 0.2], &[true, false, false, true, false]).unwrap();
        assert!((auc - 5.0 / 6.0).abs() < 1e-12, "{auc}");
        // Perfectly inverted ranking.
        assert_eq!(roc_auc(&[0.9, 0.1], &[false, true]), Some(0.0));
        assert_eq!(roc_auc(&[0.9], &[false, true]), None);
    }

    #[test]
    fn report_table_and_weighted_averages() {
        let r = classification_report(&[0, 0, 1, 2], &[0, 1, 1, 1], 3).unwrap();
        // Weighted precision: (2·1 + 1·⅓ + 1·0)/4 = 7/12; macro F1 (⅔ + ½ + 0)/3 = 7/18.
        assert!((r.weighted_avg.precision - 7.0 / 12.0).abs() < 1e-12);
        assert!((r.macro_avg.f1 - 7.0 / 18.0).abs() < 1e-12);
        let text = r.to_string();
        assert!(text.contains("precision") && text.contains("weighted avg") && text.contains("0.58"), "{text}");
    }
}
