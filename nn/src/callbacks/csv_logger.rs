//! `CSVLogger`: one line per epoch in a CSV file.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::TrainableModel;
use super::{Callback, TrainInfo};
use crate::error::{Error, Result};
use crate::fit::EpochLog;

/// Writes each epoch's scores to a CSV file (Keras' `CSVLogger`): a header line
/// `epoch,<keys…>` with the log keys sorted by name as Keras does (`accuracy`, `loss`,
/// `val_accuracy`, `val_loss`, …), then one line per epoch, the epoch counted from 0.
/// Each line is flushed when written. With `append`, lines are added to an existing file
/// and the header is written only when the file was empty.
///
/// ```
/// use derin_data::Targets;
/// use derin_nn::{Activation, CSVLogger, Dense, FitOptions, Loss, Metric, Sequential};
/// use derin_optim::Sgd;
/// use derin_tensor::Tensor;
/// let path = std::env::temp_dir().join(format!("derin-csvlogger-doc-{}.csv", std::process::id()));
/// let mut m = Sequential::new(&[1]).add(Dense::new(1, Activation::Linear)).unwrap();
/// m.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![Metric::MeanAbsoluteError]);
/// let (x, y) = (Tensor::ones(&[8, 1]), Targets::Values(Tensor::ones(&[8, 1])));
/// let opts = FitOptions { epochs: 2, validation_split: 0.25, callbacks: vec![Box::new(CSVLogger::new(&path))], ..FitOptions::default() };
/// m.fit(&x, &y, opts).unwrap();
/// let text = std::fs::read_to_string(&path).unwrap();
/// let lines: Vec<&str> = text.lines().collect();
/// assert_eq!(lines[0], "epoch,loss,mae,val_loss,val_mae");
/// assert!(lines[2].starts_with("1,") && lines.len() == 3);
/// std::fs::remove_file(&path).unwrap();
/// ```
#[derive(Debug)]
pub struct CSVLogger {
    /// The file written.
    pub filename: PathBuf,
    /// The column separator (Keras: `,`).
    pub separator: char,
    /// Add to an existing file instead of replacing it (Keras: `false`).
    pub append: bool,
    file: Option<BufWriter<File>>,
    needs_header: bool,
}

impl CSVLogger {
    /// A logger writing to `filename`, separated by commas, replacing the file.
    ///
    /// ```
    /// # use derin_nn::CSVLogger;
    /// let log = CSVLogger::new("training.csv");
    /// assert_eq!((log.separator, log.append), (',', false));
    /// ```
    pub fn new(filename: impl AsRef<Path>) -> Self {
        CSVLogger {
            filename: filename.as_ref().to_path_buf(),
            separator: ',',
            append: false,
            file: None,
            needs_header: true,
        }
    }

    /// The same logger adding lines to the file instead.
    ///
    /// ```
    /// # use derin_nn::CSVLogger;
    /// assert!(CSVLogger::new("log.csv").append(true).append);
    /// ```
    pub fn append(mut self, append: bool) -> Self {
        self.append = append;
        self
    }

    fn io(&self, operation: &'static str) -> impl Fn(std::io::Error) -> Error + '_ {
        move |source| Error::Io { operation, path: self.filename.display().to_string(), source }
    }
}

impl Callback for CSVLogger {
    fn on_train_begin(&mut self, _: &TrainInfo, _: &mut dyn TrainableModel) -> Result<()> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(self.append)
            .truncate(!self.append)
            .open(&self.filename)
            .map_err(self.io("CSVLogger: opening"))?;
        self.needs_header = !self.append || file.metadata().map_err(self.io("CSVLogger: opening"))?.len() == 0;
        self.file = Some(BufWriter::new(file));
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, log: &EpochLog, _: &mut dyn TrainableModel) -> Result<Option<String>> {
        let mut pairs: Vec<(String, f32)> = log.train.iter().map(|(k, v)| (k.to_string(), v)).collect();
        if let Some(val) = &log.val {
            pairs.extend(val.iter().map(|(k, v)| (format!("val_{k}"), v)));
        }
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let sep = self.separator.to_string();
        let mut text = String::new();
        if self.needs_header {
            let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
            text += &format!("epoch{sep}{}\n", keys.join(&sep));
            self.needs_header = false;
        }
        let values: Vec<String> = pairs.iter().map(|(_, v)| v.to_string()).collect();
        text += &format!("{epoch}{sep}{}\n", values.join(&sep));
        let filename = self.filename.display().to_string();
        let io = |source| Error::Io { operation: "CSVLogger: writing", path: filename.clone(), source };
        let file = self.file.as_mut().ok_or_else(|| io(std::io::Error::other("the file is not open")))?;
        file.write_all(text.as_bytes()).and_then(|()| file.flush()).map_err(io)?;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Metric;
    use crate::sequential::Sequential;
    use crate::train::Scores;

    fn log(loss: f32, val: Option<f32>) -> EpochLog {
        let scores = |l: f32| Scores { loss: l, metrics: vec![(Metric::Accuracy, 1.0 - l)], ..Scores::default() };
        EpochLog { train: scores(loss).into(), val: val.map(|v| scores(v).into()) }
    }

    #[test]
    fn writes_sorted_keys_appends_and_reports_write_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.csv");
        let info = TrainInfo { epochs: 2, steps_per_epoch: 1, has_validation: true, metrics: vec![], verbose: false };
        let mut model = Sequential::new(&[1]);
        let mut logger = CSVLogger::new(&path);
        logger.on_train_begin(&info, &mut model).unwrap();
        logger.on_epoch_end(0, &log(0.5, Some(0.75)), &mut model).unwrap();
        // A second fit appending: no second header.
        let mut more = CSVLogger::new(&path).append(true);
        more.on_train_begin(&info, &mut model).unwrap();
        more.on_epoch_end(0, &log(0.25, Some(0.5)), &mut model).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,0.5,0.25,0.75\n0,0.75,0.25,0.5,0.5\n");
        // A file in a missing folder: an Err, not a panic.
        let mut bad = CSVLogger::new(dir.path().join("missing").join("log.csv"));
        let err = bad.on_train_begin(&info, &mut model).unwrap_err();
        assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("missing"), "{err}");
    }
}
