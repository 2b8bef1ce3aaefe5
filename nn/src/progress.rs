//! The progress display of `fit`: a bar per epoch (when stdout is a terminal) and a
//! closing line per epoch, as Keras prints them.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::logs::Logs;

/// How often the bar's loss and metrics are recomputed (AUC sorts every score).
const REFRESH: Duration = Duration::from_millis(200);

/// One epoch's display; does nothing when not verbose.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    steps: usize,
    start: Instant,
    refreshed: Option<Instant>,
}

impl Progress {
    /// Prints `Epoch e/E` and starts the bar.
    pub(crate) fn new(verbose: bool, epoch: usize, epochs: usize, steps: usize) -> Self {
        let bar = verbose.then(|| {
            println!("Epoch {}/{epochs}", epoch + 1);
            let style = ProgressStyle::with_template("{pos:>5}/{len:<5} [{bar:20}] ETA {eta:<4}{wide_msg}")
                .expect("valid template")
                .progress_chars("=> ");
            ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stdout()).with_style(style)
        });
        Progress { bar, steps, start: Instant::now(), refreshed: None }
    }

    /// Marks batch `done` (1-based) finished, with the scores so far.
    pub(crate) fn batch(&mut self, done: usize, scores: impl FnOnce() -> Logs) {
        let Some(bar) = &self.bar else { return };
        bar.set_position(done as u64);
        if bar.is_hidden() || self.refreshed.is_some_and(|t| t.elapsed() < REFRESH) && done < self.steps {
            return;
        }
        self.refreshed = Some(Instant::now());
        bar.set_message(line(&scores(), None));
    }

    /// Clears the bar and prints the epoch's line.
    pub(crate) fn finish(self, train: &Logs, val: Option<&Logs>) {
        let Some(bar) = self.bar else { return };
        bar.finish_and_clear();
        let elapsed = self.start.elapsed();
        let per_step = elapsed / self.steps.max(1) as u32;
        println!("{0}/{0} - {1} - {2}/step{3}", self.steps, duration(elapsed), duration(per_step), line(train, val));
    }

    /// Leaves the bar where it is and prints why training stopped.
    pub(crate) fn abandon(self, why: &str) {
        if let Some(bar) = self.bar {
            bar.abandon();
            println!("{why}");
        }
    }
}

/// `2s`, `35ms`, `120µs`: whole units, as Keras prints times.
fn duration(d: Duration) -> String {
    match d.as_secs_f64() {
        s if s >= 1.0 => format!("{s:.0}s"),
        s if s >= 1e-3 => format!("{:.0}ms", s * 1e3),
        s => format!("{:.0}µs", s * 1e6),
    }
}

/// ` - loss: 0.1234 - accuracy: 0.9876 - val_loss: …`, as Keras prints an epoch.
pub(crate) fn line(train: &Logs, val: Option<&Logs>) -> String {
    let mut out = String::new();
    for (k, v) in train.iter() {
        out += &format!(" - {k}: {v:.4}");
    }
    for (k, v) in val.into_iter().flat_map(Logs::iter) {
        out += &format!(" - val_{k}: {v:.4}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_line_lists_train_then_validation_scores() {
        let s = |l: f32| Logs::new().with("loss", l).with("accuracy", 1.0 - l);
        assert_eq!(
            line(&s(0.25), Some(&s(0.5))),
            " - loss: 0.2500 - accuracy: 0.7500 - val_loss: 0.5000 - val_accuracy: 0.5000"
        );
        assert_eq!(duration(Duration::from_millis(2400)), "2s");
        assert_eq!(duration(Duration::from_micros(35_200)), "35ms");
        assert_eq!(duration(Duration::from_micros(120)), "120µs");
    }
}
