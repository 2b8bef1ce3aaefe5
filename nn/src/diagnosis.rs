//! Reading a `History`: under-fitting (high bias), over-fitting (high variance) or a good
//! fit, from the last epoch's training and validation errors.

use std::fmt;

use crate::fit::History;

/// The verdict of a [`Diagnosis`].
///
/// ```
/// use derin_nn::Verdict;
/// assert_eq!(Verdict::OverFitting.to_string(), "over-fitting (high variance)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// High bias: the model does not even fit its training data (training error above
    /// [`DiagnosisThresholds::high_error`]); more capacity, more epochs or less
    /// regularization help.
    UnderFitting,
    /// High variance: the training error is low but the validation error is higher by more
    /// than [`DiagnosisThresholds::max_gap`]; more data, regularization, dropout or early
    /// stopping help.
    OverFitting,
    /// Low training error and validation error close to it.
    GoodFit,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::UnderFitting => "under-fitting (high bias)",
            Verdict::OverFitting => "over-fitting (high variance)",
            Verdict::GoodFit => "good fit",
        })
    }
}

/// The limits a [`Diagnosis`] compares errors with. The defaults suit error rates
/// (`1 − accuracy`); when there is no accuracy metric the errors are losses, whose scale
/// depends on the loss, so set limits that fit it.
///
/// ```
/// use derin_nn::DiagnosisThresholds;
/// let t = DiagnosisThresholds::default();
/// assert_eq!((t.high_error, t.max_gap), (DiagnosisThresholds::HIGH_ERROR, DiagnosisThresholds::MAX_GAP));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiagnosisThresholds {
    /// A training error above this is high: under-fitting.
    pub high_error: f32,
    /// A validation error above the training error by more than this is over-fitting.
    pub max_gap: f32,
}

impl DiagnosisThresholds {
    /// The default [`high_error`](DiagnosisThresholds::high_error): 10 % misclassified.
    pub const HIGH_ERROR: f32 = 0.10;
    /// The default [`max_gap`](DiagnosisThresholds::max_gap): 5 percentage points.
    pub const MAX_GAP: f32 = 0.05;
}

impl Default for DiagnosisThresholds {
    fn default() -> Self {
        DiagnosisThresholds { high_error: Self::HIGH_ERROR, max_gap: Self::MAX_GAP }
    }
}

/// Bias and variance read from the last epoch of a [`History`] that has validation
/// scores. The error is `1 − accuracy` when an accuracy metric was compiled (the first
/// one), else the loss. The training error is checked first: a high one is
/// [`Verdict::UnderFitting`] whatever the gap (fix bias before variance); then a gap
/// `validation − training` above the limit is [`Verdict::OverFitting`]; else
/// [`Verdict::GoodFit`]. `Display` gives one line with the numbers.
///
/// ```
/// use derin_nn::{EpochLog, History, Logs, Verdict};
/// let s = |acc: f32| Logs::new().with("loss", 0.0).with("accuracy", acc);
/// let h = History { epochs: vec![EpochLog { train: s(0.99), val: Some(s(0.88)) }], stopped: None };
/// let d = h.diagnose().unwrap();
/// assert_eq!(d.verdict, Verdict::OverFitting);
/// assert_eq!(
///     d.to_string(),
///     "diagnosis: over-fitting (high variance): train error 0.010, validation error 0.120, gap 0.110 > 0.05"
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnosis {
    /// The verdict.
    pub verdict: Verdict,
    /// What the errors are: `"1 - accuracy"` (with the metric's name) or `"loss"`.
    pub measure: String,
    /// The last epoch's training error.
    pub train_error: f32,
    /// The last epoch's validation error.
    pub val_error: f32,
    /// `val_error − train_error`.
    pub gap: f32,
    /// The limits used.
    pub thresholds: DiagnosisThresholds,
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.thresholds;
        let (train, val, gap) = (self.train_error, self.val_error, self.gap);
        write!(f, "diagnosis: {}: ", self.verdict)?;
        match self.verdict {
            Verdict::UnderFitting => {
                write!(f, "train error {train:.3} > {:.2}, validation error {val:.3}, gap {gap:.3}", t.high_error)
            }
            Verdict::OverFitting => {
                write!(f, "train error {train:.3}, validation error {val:.3}, gap {gap:.3} > {:.2}", t.max_gap)
            }
            Verdict::GoodFit => write!(
                f,
                "train error {train:.3} ≤ {:.2}, validation error {val:.3}, gap {gap:.3} ≤ {:.2}",
                t.high_error, t.max_gap
            ),
        }
    }
}

impl History {
    /// The [`Diagnosis`] with the default thresholds; `None` without epochs or without
    /// validation scores in the last epoch.
    ///
    /// ```
    /// use derin_nn::History;
    /// assert!(History::default().diagnose().is_none());
    /// ```
    pub fn diagnose(&self) -> Option<Diagnosis> {
        self.diagnose_with(DiagnosisThresholds::default())
    }

    /// The [`Diagnosis`] with these thresholds.
    ///
    /// ```
    /// use derin_nn::{DiagnosisThresholds, EpochLog, History, Logs, Verdict};
    /// // No accuracy: the errors are the losses, 0.30 and 0.34.
    /// let s = |loss| Logs::new().with("loss", loss);
    /// let h = History { epochs: vec![EpochLog { train: s(0.30), val: Some(s(0.34)) }], stopped: None };
    /// assert_eq!(h.diagnose().unwrap().verdict, Verdict::UnderFitting);
    /// let loose = DiagnosisThresholds { high_error: 0.5, max_gap: 0.1 };
    /// let d = h.diagnose_with(loose).unwrap();
    /// assert_eq!((d.verdict, d.measure.as_str()), (Verdict::GoodFit, "loss"));
    /// ```
    pub fn diagnose_with(&self, thresholds: DiagnosisThresholds) -> Option<Diagnosis> {
        let last = self.epochs.last()?;
        let val = last.val.as_ref()?;
        let accuracy = last
            .train
            .iter()
            .filter(|(name, _)| name.ends_with("accuracy"))
            .find_map(|(name, train)| val.get(name).map(|v| (name, train, v)));
        let (measure, train_error, val_error) = match accuracy {
            Some((name, train, v)) => (format!("1 - {name}"), 1.0 - train, 1.0 - v),
            None => ("loss".to_string(), last.train.loss()?, val.loss()?),
        };
        let gap = val_error - train_error;
        let verdict = if train_error > thresholds.high_error {
            Verdict::UnderFitting
        } else if gap > thresholds.max_gap {
            Verdict::OverFitting
        } else {
            Verdict::GoodFit
        };
        Some(Diagnosis { verdict, measure, train_error, val_error, gap, thresholds })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::EpochLog;
    use crate::metric::Metric;
    use crate::train::Scores;

    fn history(train_acc: f32, val_acc: f32) -> History {
        let s = |acc: f32| Scores {
            loss: 9.0,
            metrics: vec![(Metric::MeanAbsoluteError, 1.0), (Metric::Accuracy, acc)],
            ..Scores::default()
        };
        let log = |t: f32, v: f32| EpochLog { train: s(t).into(), val: Some(s(v).into()) };
        History { epochs: vec![log(0.5, 0.5), log(train_acc, val_acc)], stopped: None }
    }

    #[test]
    fn each_verdict_from_the_last_epoch() {
        // Train error 1 − 0.70 = 0.30 > 0.10, validation 0.32 (gap 0.02): high bias.
        let d = history(0.70, 0.68).diagnose().unwrap();
        assert_eq!((d.verdict, d.measure.as_str()), (Verdict::UnderFitting, "1 - accuracy"));
        assert!((d.train_error - 0.30).abs() < 1e-6 && (d.gap - 0.02).abs() < 1e-6, "{d:?}");
        assert_eq!(
            d.to_string(),
            "diagnosis: under-fitting (high bias): train error 0.300 > 0.10, validation error 0.320, gap 0.020"
        );
        // Train error 0.02, validation 0.15: gap 0.13 > 0.05, high variance.
        let d = history(0.98, 0.85).diagnose().unwrap();
        assert_eq!(d.verdict, Verdict::OverFitting);
        assert!((d.gap - 0.13).abs() < 1e-6);
        // Train error 0.04, validation 0.06: gap 0.02.
        let d = history(0.96, 0.94).diagnose().unwrap();
        assert_eq!(d.verdict, Verdict::GoodFit);
        assert_eq!(
            d.to_string(),
            "diagnosis: good fit: train error 0.040 ≤ 0.10, validation error 0.060, gap 0.020 ≤ 0.05"
        );
        // Settable limits: a 0.13 gap is fine under max_gap 0.2.
        let loose = DiagnosisThresholds { max_gap: 0.2, ..DiagnosisThresholds::default() };
        assert_eq!(history(0.98, 0.85).diagnose_with(loose).unwrap().verdict, Verdict::GoodFit);
        // No validation in the last epoch: no diagnosis.
        let mut h = history(0.9, 0.9);
        h.epochs[1].val = None;
        assert!(h.diagnose().is_none());
    }
}
