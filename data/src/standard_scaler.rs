//! `StandardScaler`: zero mean and unit population variance per column (scikit-learn's),
//! with its fitted attributes (`mean_`, `var_`, `scale_`, `n_samples_seen_`).

use std::path::Path;

use derin_tensor::ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::persist::{bad_file, load_json, save_json};
use crate::scale::{Float, Scaler, column_stats, map_columns};

/// Standardizes each column: `z = (x − mean) / std`, with the population standard
/// deviation (`ddof = 0`, as scikit-learn); a constant column gets `std = 1`, so it maps
/// to 0 (constant as scikit-learn's `_is_constant_feature` judges it: all values equal, or
/// a variance within the rounding error of the two-pass formula).
///
/// [`with_mean`](Self::with_mean)`(false)` skips the centring and
/// [`with_std`](Self::with_std)`(false)` the division, as scikit-learn's flags.
///
/// ```
/// use derin_data::{Scaler, StandardScaler};
/// use derin_data::ndarray::array;
/// let mut s = StandardScaler::new();
/// let z = s.fit_transform(&array![[0.0_f32, 7.0], [2.0, 7.0], [4.0, 7.0], [6.0, 7.0]]).unwrap();
/// // mean 3, population variance (9 + 1 + 1 + 9) / 4 = 5
/// let d = 5.0_f32.sqrt();
/// assert_eq!(s.mean().unwrap(), &[3.0, 7.0]);
/// assert!((z[[0, 0]] + 3.0 / d).abs() < 1e-6 && z[[0, 1]] == 0.0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    with_mean: bool,
    with_std: bool,
    mean: Option<Vec<f64>>,
    scale: Option<Vec<f64>>,
    /// Absent from files saved before it was recorded.
    #[serde(default)]
    var: Option<Vec<f64>>,
    /// Absent from files saved before it was recorded.
    #[serde(default)]
    n_samples_seen: Option<Vec<usize>>,
}

impl Default for StandardScaler {
    fn default() -> Self {
        StandardScaler { with_mean: true, with_std: true, mean: None, scale: None, var: None, n_samples_seen: None }
    }
}

impl StandardScaler {
    /// A scaler that centres and divides, not yet fitted.
    ///
    /// ```
    /// # use derin_data::StandardScaler;
    /// assert!(StandardScaler::new().mean().is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The same scaler, subtracting the mean or not.
    ///
    /// ```
    /// # use derin_data::{Scaler, StandardScaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = StandardScaler::new().with_mean(false);
    /// assert_eq!(s.fit_transform(&array![[1.0_f32], [3.0]]).unwrap(), array![[1.0], [3.0]]);
    /// ```
    pub fn with_mean(mut self, with_mean: bool) -> Self {
        self.with_mean = with_mean;
        self
    }

    /// The same scaler, dividing by the standard deviation or not.
    ///
    /// ```
    /// # use derin_data::{Scaler, StandardScaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = StandardScaler::new().with_std(false);
    /// assert_eq!(s.fit_transform(&array![[1.0_f32], [3.0]]).unwrap(), array![[-1.0], [1.0]]);
    /// ```
    pub fn with_std(mut self, with_std: bool) -> Self {
        self.with_std = with_std;
        self
    }

    /// Each column's fitted mean, NaN left out (scikit-learn's `mean_`); `None` before
    /// fitting. Unlike scikit-learn, it is kept whatever the `with_mean` and `with_std` flags.
    ///
    /// ```
    /// # use derin_data::{Scaler, StandardScaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = StandardScaler::new();
    /// s.fit(&array![[1.0_f32], [2.0]]).unwrap();
    /// assert_eq!(s.mean().unwrap(), &[1.5]);
    /// ```
    #[doc(alias = "mean_")]
    pub fn mean(&self) -> Option<&[f64]> {
        self.mean.as_deref()
    }

    /// Each column's divisor: the population standard deviation, 1 for a constant
    /// column (scikit-learn's `scale_`); `None` before fitting. Unlike scikit-learn, it is
    /// kept when `with_std` is false (and then not used).
    ///
    /// ```
    /// # use derin_data::{Scaler, StandardScaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = StandardScaler::new();
    /// s.fit(&array![[1.0_f32, 4.0], [3.0, 4.0]]).unwrap();
    /// assert_eq!(s.scale().unwrap(), &[1.0, 1.0]);
    /// ```
    #[doc(alias = "scale_")]
    pub fn scale(&self) -> Option<&[f64]> {
        self.scale.as_deref()
    }

    /// Each column's population variance (`ddof = 0`), NaN left out, 0 for a constant
    /// column (scikit-learn's `var_`); `None` before fitting, and for a scaler loaded from a
    /// file saved before the variance was recorded.
    ///
    /// ```
    /// # use derin_data::{Scaler, StandardScaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = StandardScaler::new();
    /// s.fit(&array![[1.0_f32, 4.0], [3.0, 4.0], [5.0, 4.0]]).unwrap();
    /// assert_eq!(s.var().unwrap(), &[8.0 / 3.0, 0.0]);
    /// ```
    #[doc(alias = "var_")]
    pub fn var(&self) -> Option<&[f64]> {
        self.var.as_deref()
    }

    /// How many values of each column the statistics used: the rows, less the column's NaN
    /// entries (scikit-learn's `n_samples_seen_`, which is one integer when no value is
    /// missing); `None` before fitting, and for a scaler loaded from a file saved before the
    /// count was recorded.
    ///
    /// ```
    /// # use derin_data::{Scaler, StandardScaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = StandardScaler::new();
    /// s.fit_f64(&array![[1.0, f64::NAN], [3.0, 2.0], [5.0, 4.0]]).unwrap();
    /// assert_eq!(s.n_samples_seen().unwrap(), &[3, 2]);
    /// ```
    #[doc(alias = "n_samples_seen_")]
    pub fn n_samples_seen(&self) -> Option<&[usize]> {
        self.n_samples_seen.as_deref()
    }

    /// `(mean, std)` used for column `j`, after the two flags.
    fn params(&self, j: usize) -> (f64, f64) {
        let mean = if self.with_mean { self.mean.as_ref().expect("fitted")[j] } else { 0.0 };
        let std = if self.with_std { self.scale.as_ref().expect("fitted")[j] } else { 1.0 };
        (mean, std)
    }

    fn fit_any<T: Float>(&mut self, x: &Array2<T>) -> Result<()> {
        let stats = column_stats("StandardScaler::fit", x)?;
        self.mean = Some(stats.iter().map(|s| s.mean).collect());
        self.var = Some(stats.iter().map(|s| s.var).collect());
        self.n_samples_seen = Some(stats.iter().map(|s| s.count).collect());
        self.scale = Some(
            stats
                .iter()
                .map(|s| {
                    // scikit-learn's `_is_constant_feature`: the variance is within the error
                    // bound of the two-pass formula (or the values are all equal).
                    let (n, eps) = (s.count as f64, f64::EPSILON);
                    let constant = s.max == s.min || s.var <= n * eps * s.var + (n * s.mean * eps).powi(2);
                    if constant { 1.0 } else { s.var.sqrt() }
                })
                .collect(),
        );
        Ok(())
    }

    /// `(x − mean) / std`, or its inverse `x · std + mean`, after the two flags.
    fn map_any<T: Float>(&self, x: &Array2<T>, inverse: bool) -> Result<Array2<T>> {
        let fitted = self.mean.as_ref().map(Vec::len);
        if inverse {
            map_columns("StandardScaler::inverse_transform", fitted, x, |j, v| {
                let (mean, std) = self.params(j);
                v * std + mean
            })
        } else {
            map_columns("StandardScaler::transform", fitted, x, |j, v| {
                let (mean, std) = self.params(j);
                (v - mean) / std
            })
        }
    }

    /// Saves the scaler as JSON (atomically: a temporary file, then a rename).
    ///
    /// # Errors
    /// If the file cannot be written.
    ///
    /// ```
    /// # use derin_data::{Scaler, StandardScaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = StandardScaler::new();
    /// s.fit(&array![[1.0_f32], [2.0]]).unwrap();
    /// let path = std::env::temp_dir().join("derin_standard_doc.json");
    /// s.save(&path).unwrap();
    /// assert_eq!(StandardScaler::load(&path).unwrap(), s);
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_json(self, path.as_ref())
    }

    /// Loads a scaler saved by [`save`](Self::save).
    ///
    /// # Errors
    /// If the file cannot be read or is not such JSON, or its statistics do not fit
    /// together (unequal lengths, a scale that is not positive, a negative variance).
    /// Files saved before `var` and `n_samples_seen` were recorded load, without them.
    ///
    /// ```
    /// # use derin_data::StandardScaler;
    /// let path = std::env::temp_dir().join("derin_standard_doc_bad.json");
    /// let text = r#"{"with_mean": true, "with_std": true, "mean": [0], "scale": [0]}"#;
    /// std::fs::write(&path, text).unwrap();
    /// assert!(StandardScaler::load(&path).unwrap_err().to_string().contains("column 0: scale 0"));
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let s: StandardScaler = load_json(path)?;
        match (&s.mean, &s.scale) {
            (None, None) => {}
            (Some(m), Some(d)) if m.len() != d.len() => {
                return Err(bad_file(path, format!("{} means and {} scales", m.len(), d.len())));
            }
            (Some(_), Some(d)) => {
                if let Some(j) = d.iter().position(|&v| v <= 0.0) {
                    return Err(bad_file(path, format!("column {j}: scale {} is not positive", d[j])));
                }
            }
            _ => return Err(bad_file(path, "mean and scale must both be present or absent".into())),
        }
        let columns = s.mean.as_ref().map(Vec::len);
        if let Some(var) = &s.var {
            if columns != Some(var.len()) {
                return Err(bad_file(path, format!("{} variances for {} columns", var.len(), columns.unwrap_or(0))));
            }
            if let Some(j) = var.iter().position(|&v| v < 0.0) {
                return Err(bad_file(path, format!("column {j}: variance {} is negative", var[j])));
            }
        }
        if let Some(seen) = &s.n_samples_seen
            && columns != Some(seen.len())
        {
            return Err(bad_file(path, format!("{} sample counts for {} columns", seen.len(), columns.unwrap_or(0))));
        }
        Ok(s)
    }
}

impl Scaler for StandardScaler {
    fn fit(&mut self, x: &Array2<f32>) -> Result<()> {
        self.fit_any(x)
    }

    fn transform(&self, x: &Array2<f32>) -> Result<Array2<f32>> {
        self.map_any(x, false)
    }

    fn inverse_transform(&self, x: &Array2<f32>) -> Result<Array2<f32>> {
        self.map_any(x, true)
    }

    fn fit_f64(&mut self, x: &Array2<f64>) -> Result<()> {
        self.fit_any(x)
    }

    fn transform_f64(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.map_any(x, false)
    }

    fn inverse_transform_f64(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.map_any(x, true)
    }
}
