//! The bundled scikit-learn data sets (iris, wine, breast cancer, digits, diabetes), from
//! `tabular/` of [`data_dirs`](super::data_dirs) (scikit-learn 1.9.1's `sklearn/datasets/data/`, BSD-3-Clause; data
//! from UCI).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use derin_tensor::ndarray::Array2;
use flate2::read::MultiGzDecoder;

use super::data_file;
use crate::error::{Error, Result};

/// A classification data set: one row of features per sample, an integer class each.
///
/// ```
/// let iris = derin_data::iris()?;
/// assert_eq!(iris.class_names[iris.labels[0]], "setosa");
/// # Ok::<(), derin_data::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ClassificationData {
    /// Features `[samples, features]`.
    pub features: Array2<f32>,
    /// Class of each sample, an index into `class_names`.
    pub labels: Vec<usize>,
    /// Class names, by label.
    pub class_names: Vec<String>,
}

/// A regression data set: one row of features and one real target per sample.
///
/// ```
/// let diabetes = derin_data::diabetes()?;
/// assert_eq!(diabetes.targets.len(), diabetes.features.nrows());
/// # Ok::<(), derin_data::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionData {
    /// Features `[samples, features]`.
    pub features: Array2<f32>,
    /// Target of each sample.
    pub targets: Vec<f32>,
}

/// Fisher's iris: 150 samples, 4 features (sepal length and width, petal length and width,
/// cm), 3 classes of 50 (`setosa`, `versicolor`, `virginica`).
///
/// # Errors
/// [`Error::Io`] if `tabular/iris.csv` cannot be found ([`data_file`]) or read;
/// [`Error::Format`] naming the file and line if it does not hold what its first line
/// promises.
///
/// # Example
/// ```
/// let iris = derin_data::iris()?;
/// assert_eq!(iris.features.dim(), (150, 4));
/// assert_eq!(iris.class_names, ["setosa", "versicolor", "virginica"]);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn iris() -> Result<ClassificationData> {
    read_counted(&tabular("iris.csv")?)
}

/// UCI wine recognition: 178 samples, 13 chemical features, 3 cultivars (`class_0` 59,
/// `class_1` 71, `class_2` 48).
///
/// # Errors
/// As [`iris`], for `wine_data.csv`.
///
/// # Example
/// ```
/// let wine = derin_data::wine()?;
/// assert_eq!(wine.features.dim(), (178, 13));
/// assert_eq!(wine.labels.iter().filter(|&&c| c == 1).count(), 71);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn wine() -> Result<ClassificationData> {
    read_counted(&tabular("wine_data.csv")?)
}

/// Wisconsin diagnostic breast cancer: 569 samples, 30 features, `malignant` (label 0,
/// 212 samples) and `benign` (label 1, 357).
///
/// # Errors
/// As [`iris`], for `breast_cancer.csv`.
///
/// # Example
/// ```
/// let cancer = derin_data::breast_cancer()?;
/// assert_eq!(cancer.features.dim(), (569, 30));
/// assert_eq!(cancer.labels.iter().filter(|&&c| c == 0).count(), 212);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn breast_cancer() -> Result<ClassificationData> {
    read_counted(&tabular("breast_cancer.csv")?)
}

/// scikit-learn's 8 × 8 digits: 1797 samples of 64 pixel intensities in 0–16 (row-major),
/// classes `"0"`–`"9"`.
///
/// # Errors
/// As [`iris`], for `digits.csv.gz` (65 fields a line, no header).
///
/// # Example
/// ```
/// let digits = derin_data::digits()?;
/// assert_eq!(digits.features.dim(), (1797, 64));
/// assert!(digits.features.iter().all(|&v| (0.0..=16.0).contains(&v)));
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn digits() -> Result<ClassificationData> {
    let path = tabular("digits.csv.gz")?;
    let rows = parse_rows(&read_text(&path)?, &path, Separator::Comma, 1, Some(65))?;
    let class_names = (0..10).map(|d| d.to_string()).collect();
    split_labels(rows, 64, class_names, &path, 1)
}

/// Diabetes progression (Efron et al.): 442 patients, 10 raw features (age, sex, body mass
/// index, blood pressure, six blood serum measurements) and a disease-progression target
/// one year later (25–346).
///
/// # Errors
/// As [`iris`], for `diabetes_data_raw.csv.gz` (10 space-separated fields a line) and
/// `diabetes_target.csv.gz` (one number a line), whose line counts must agree.
///
/// # Example
/// ```
/// let diabetes = derin_data::diabetes()?;
/// assert_eq!(diabetes.features.dim(), (442, 10));
/// assert_eq!(diabetes.targets[0], 151.0);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn diabetes() -> Result<RegressionData> {
    let (data_path, target_path) = (tabular("diabetes_data_raw.csv.gz")?, tabular("diabetes_target.csv.gz")?);
    let rows = parse_rows(&read_text(&data_path)?, &data_path, Separator::Whitespace, 1, Some(10))?;
    let targets = parse_rows(&read_text(&target_path)?, &target_path, Separator::Whitespace, 1, Some(1))?;
    if rows.len() != targets.len() {
        return Err(Error::Format {
            path: target_path,
            reason: format!("{} targets for {} rows in {}", targets.len(), rows.len(), data_path.display()),
        });
    }
    let features = Array2::from_shape_vec((rows.len(), 10), rows.concat()).expect("10 fields checked per row");
    Ok(RegressionData { features, targets: targets.concat() })
}

/// `tabular/<name>` of the bundled data ([`data_file`]).
fn tabular(name: &str) -> Result<PathBuf> {
    data_file(&format!("tabular/{name}"))
}

/// How the fields of a line are separated.
#[derive(Clone, Copy)]
enum Separator {
    Comma,
    Whitespace,
}

/// A scikit-learn CSV whose first line is `n_samples,n_features,class names…`, then rows of
/// features and an integer label.
pub(super) fn read_counted(path: &Path) -> Result<ClassificationData> {
    let text = read_text(path)?;
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let head: Vec<&str> = first.trim_end().split(',').collect();
    let count = |i: usize| head.get(i).and_then(|s| s.trim().parse::<usize>().ok());
    let (Some(samples), Some(features)) = (count(0), count(1)) else {
        return Err(format_error(
            path,
            format!("line 1: expected `n_samples,n_features,class names…`, found {first:?}"),
        ));
    };
    let class_names: Vec<String> = head[2..].iter().map(|s| s.trim().to_string()).collect();
    let rows = parse_rows(rest, path, Separator::Comma, 2, Some(features + 1))?;
    if rows.len() != samples {
        return Err(format_error(path, format!("line 1 promises {samples} samples, found {}", rows.len())));
    }
    split_labels(rows, features, class_names, path, 2)
}

/// Splits rows of `features + 1` numbers into a feature matrix and labels (the last field,
/// a whole number below the class count).
fn split_labels(
    rows: Vec<Vec<f32>>,
    features: usize,
    class_names: Vec<String>,
    path: &Path,
    first_line: usize,
) -> Result<ClassificationData> {
    let mut values = Vec::with_capacity(rows.len() * features);
    let mut labels = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let label = row[features];
        if label < 0.0 || label.fract() != 0.0 || label as usize >= class_names.len() {
            let line = first_line + i;
            let classes = class_names.len();
            return Err(format_error(path, format!("line {line}: label {label} is not a class index below {classes}")));
        }
        values.extend_from_slice(&row[..features]);
        labels.push(label as usize);
    }
    let features = Array2::from_shape_vec((labels.len(), features), values).expect("row lengths checked");
    Ok(ClassificationData { features, labels, class_names })
}

/// Parses every non-blank line into numbers; `first_line` is the file line number of the
/// first line of `text`, for messages.
fn parse_rows(
    text: &str,
    path: &Path,
    sep: Separator,
    first_line: usize,
    width: Option<usize>,
) -> Result<Vec<Vec<f32>>> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line_no = first_line + i;
        let fields: Vec<&str> = match sep {
            Separator::Comma => line.split(',').collect(),
            Separator::Whitespace => line.split_whitespace().collect(),
        };
        if let Some(width) = width.filter(|&w| w != fields.len()) {
            return Err(format_error(path, format!("line {line_no}: expected {width} fields, found {}", fields.len())));
        }
        let row = fields
            .iter()
            .enumerate()
            .map(|(j, field)| {
                field.trim().parse::<f32>().map_err(|_| {
                    format_error(path, format!("line {line_no}, field {}: {field:?} is not a number", j + 1))
                })
            })
            .collect::<Result<Vec<f32>>>()?;
        rows.push(row);
    }
    Ok(rows)
}

/// A whole text file, gunzipped when it starts with the gzip magic.
fn read_text(path: &Path) -> Result<String> {
    let mut bytes = fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        if let Err(e) = MultiGzDecoder::new(bytes.as_slice()).read_to_end(&mut out) {
            return Err(format_error(path, format!("gzip stream broken after {} decompressed bytes: {e}", out.len())));
        }
        bytes = out;
    }
    String::from_utf8(bytes)
        .map_err(|e| format_error(path, format!("byte {}: not valid UTF-8", e.utf8_error().valid_up_to())))
}

fn format_error(path: &Path, reason: String) -> Error {
    Error::Format { path: path.to_path_buf(), reason }
}
