//! `Logs`: named values of a step or an epoch (Keras' `logs` dict), and `StepLogs`, what one
//! training or test step reports.

use std::ops::Index;

use crate::metric::Metric;
use crate::train::Scores;

/// Named values in the order they were first logged: `loss`, `accuracy`, `d_loss`, …
/// (Keras' `logs` dictionary). Each epoch of a [`History`](crate::History) holds one for
/// training and one for validation.
///
/// ```
/// use derin_nn::{Logs, Metric};
/// let mut logs = Logs::new().with("loss", 0.5).with("accuracy", 0.75);
/// logs.set("loss", 0.25);
/// assert_eq!(logs.get("loss"), Some(0.25));
/// assert_eq!(logs.loss(), Some(0.25));
/// assert_eq!(logs.metric(Metric::Accuracy), Some(0.75));
/// assert_eq!(logs["accuracy"], 0.75);
/// assert_eq!(logs.names(), vec!["loss", "accuracy"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Logs {
    entries: Vec<(String, f32)>,
}

impl Logs {
    /// No values.
    ///
    /// ```
    /// assert!(derin_nn::Logs::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Logs::default()
    }

    /// These logs with `name` set to `value` (builder form of [`set`](Logs::set)).
    ///
    /// ```
    /// assert_eq!(derin_nn::Logs::new().with("g_loss", 1.5).get("g_loss"), Some(1.5));
    /// ```
    pub fn with(mut self, name: &str, value: f32) -> Self {
        self.set(name, value);
        self
    }

    /// Sets `name` to `value`: replaces the value if `name` is logged, else appends it.
    ///
    /// ```
    /// let mut logs = derin_nn::Logs::new();
    /// logs.set("d_loss", 0.7);
    /// logs.set("d_loss", 0.6);
    /// assert_eq!(logs.len(), 1);
    /// ```
    pub fn set(&mut self, name: &str, value: f32) {
        match self.entries.iter_mut().find(|(k, _)| k == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name.to_string(), value)),
        }
    }

    /// The value logged as `name`.
    ///
    /// ```
    /// assert_eq!(derin_nn::Logs::new().get("loss"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<f32> {
        self.entries.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    /// The value logged as `loss`.
    ///
    /// ```
    /// assert_eq!(derin_nn::Logs::new().with("loss", 2.0).loss(), Some(2.0));
    /// ```
    pub fn loss(&self) -> Option<f32> {
        self.get("loss")
    }

    /// The value of `metric`, logged under its Keras name ([`Metric::short_name`]).
    ///
    /// ```
    /// use derin_nn::{Logs, Metric};
    /// assert_eq!(Logs::new().with("auc", 0.9).metric(Metric::Auc), Some(0.9));
    /// ```
    pub fn metric(&self, metric: Metric) -> Option<f32> {
        self.get(metric.short_name())
    }

    /// The names, in logging order.
    ///
    /// ```
    /// assert_eq!(derin_nn::Logs::new().with("a", 1.0).with("b", 2.0).names(), vec!["a", "b"]);
    /// ```
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// `(name, value)` pairs, in logging order.
    ///
    /// ```
    /// let logs = derin_nn::Logs::new().with("loss", 1.0);
    /// assert_eq!(logs.iter().collect::<Vec<_>>(), vec![("loss", 1.0)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, f32)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The number of values.
    ///
    /// ```
    /// assert_eq!(derin_nn::Logs::new().with("loss", 1.0).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is logged.
    ///
    /// ```
    /// assert!(!derin_nn::Logs::new().with("loss", 1.0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first value that is NaN or infinite, with its name.
    ///
    /// ```
    /// let logs = derin_nn::Logs::new().with("d_loss", 0.5).with("g_loss", f32::NAN);
    /// assert_eq!(logs.first_non_finite().map(|(k, _)| k), Some("g_loss"));
    /// ```
    pub fn first_non_finite(&self) -> Option<(&str, f32)> {
        self.iter().find(|(_, v)| !v.is_finite())
    }
}

impl Index<&str> for Logs {
    type Output = f32;

    /// # Panics
    /// When `name` is not logged; the message lists what is.
    fn index(&self, name: &str) -> &f32 {
        match self.entries.iter().find(|(k, _)| k == name) {
            Some((_, v)) => v,
            None => panic!("Logs: {name:?} is not logged; the logs hold {:?}", self.names()),
        }
    }
}

impl From<&Scores> for Logs {
    /// Every value of the scores under its Keras log name ([`Scores::entries`]).
    fn from(scores: &Scores) -> Self {
        Logs { entries: scores.entries() }
    }
}

impl From<Scores> for Logs {
    /// As `From<&Scores>`.
    fn from(scores: Scores) -> Self {
        Logs::from(&scores)
    }
}

impl FromIterator<(String, f32)> for Logs {
    fn from_iter<I: IntoIterator<Item = (String, f32)>>(iter: I) -> Self {
        let mut logs = Logs::new();
        iter.into_iter().for_each(|(k, v)| logs.set(&k, v));
        logs
    }
}

/// What one [`train_step`](crate::TrainStep::train_step) or
/// [`test_step`](crate::TrainStep::test_step) reports: values measured on this batch
/// alone and the number of samples it had. `fit` averages each value over the epoch,
/// weighting every batch by its samples (Keras' `Mean` trackers with the batch size as
/// weight), so the epoch's `d_loss` is the mean per-sample `d_loss`.
///
/// ```
/// use derin_nn::StepLogs;
/// let s = StepLogs::new(32).with("d_loss", 0.69).with("g_loss", 0.8);
/// assert_eq!((s.samples, s.values.get("g_loss")), (32, Some(0.8)));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepLogs {
    /// Samples in the batch: the weight of its values in the epoch's means.
    pub samples: usize,
    /// The batch's values.
    pub values: Logs,
}

impl StepLogs {
    /// No values yet, for a batch of `samples`.
    ///
    /// ```
    /// assert!(derin_nn::StepLogs::new(4).values.is_empty());
    /// ```
    pub fn new(samples: usize) -> Self {
        StepLogs { samples, values: Logs::new() }
    }

    /// These logs with `name` set to `value`.
    ///
    /// ```
    /// assert_eq!(derin_nn::StepLogs::new(4).with("loss", 0.5).values.loss(), Some(0.5));
    /// ```
    pub fn with(mut self, name: &str, value: f32) -> Self {
        self.values.set(name, value);
        self
    }
}

/// Sample-weighted means of step logs over an epoch, in first-logged order.
#[derive(Default)]
pub(crate) struct LogMeans {
    sums: Vec<(String, f64, f64)>,
}

impl LogMeans {
    /// Adds one step's values, weighted by its samples (at least 1, so a step that
    /// reports no samples still counts).
    pub(crate) fn add(&mut self, step: &StepLogs) {
        let w = step.samples.max(1) as f64;
        for (name, v) in step.values.iter() {
            match self.sums.iter_mut().find(|(k, _, _)| k == name) {
                Some(entry) => {
                    entry.1 += f64::from(v) * w;
                    entry.2 += w;
                }
                None => self.sums.push((name.to_string(), f64::from(v) * w, w)),
            }
        }
    }

    /// The means, followed (or overridden) by `extra`.
    pub(crate) fn result(&self, extra: Logs) -> Logs {
        let mut logs: Logs = self.sums.iter().map(|(k, s, w)| (k.clone(), (s / w) as f32)).collect();
        extra.iter().for_each(|(k, v)| logs.set(k, v));
        logs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_weight_batches_by_their_samples() {
        let mut m = LogMeans::default();
        m.add(&StepLogs::new(3).with("loss", 1.0).with("d", 4.0));
        m.add(&StepLogs::new(1).with("loss", 5.0));
        let logs = m.result(Logs::new().with("accuracy", 0.5));
        assert_eq!(logs.names(), vec!["loss", "d", "accuracy"]);
        assert_eq!(logs["loss"], 2.0); // (3·1 + 1·5) / 4
        assert_eq!(logs["d"], 4.0);
        assert_eq!(logs["accuracy"], 0.5);
    }

    #[test]
    #[should_panic(expected = "\"val_loss\" is not logged; the logs hold [\"loss\"]")]
    fn indexing_a_missing_name_lists_the_logged_ones() {
        let _ = Logs::new().with("loss", 1.0)["val_loss"];
    }
}
