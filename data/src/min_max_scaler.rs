//! `MinMaxScaler`: each column mapped linearly onto a target range (scikit-learn's), with
//! its fitted attributes (`data_min_`, `data_max_`, `data_range_`, `scale_`, `min_`).

use std::path::Path;

use derin_tensor::ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::persist::{bad_file, load_json, save_json};
use crate::scale::{Float, Scaler, column_stats, map_columns};

/// Maps each column linearly onto `feature_range` `(lo, hi)` (default `(0, 1)`):
/// `y = x · scale + offset` with `scale = (hi − lo) / (max − min)` and
/// `offset = lo − min · scale`, scikit-learn's `scale_` and `min_`. A constant column
/// (a range below `10 · f64::EPSILON`) gets a range of 1, so it maps to `lo`, as in
/// scikit-learn.
///
/// ```
/// use derin_data::{MinMaxScaler, Scaler};
/// use derin_data::ndarray::array;
/// let mut s = MinMaxScaler::new();
/// let y = s.fit_transform(&array![[0.0_f32, 5.0], [10.0, 5.0], [5.0, 5.0]]).unwrap();
/// assert_eq!(y, array![[0.0, 0.0], [1.0, 0.0], [0.5, 0.0]]);
/// assert_eq!(s.scale().unwrap(), vec![0.1, 1.0]);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinMaxScaler {
    feature_range: (f32, f32),
    data_min: Option<Vec<f64>>,
    data_max: Option<Vec<f64>>,
}

impl Default for MinMaxScaler {
    fn default() -> Self {
        MinMaxScaler { feature_range: (0.0, 1.0), data_min: None, data_max: None }
    }
}

impl MinMaxScaler {
    /// A scaler onto `(0, 1)`, not yet fitted.
    ///
    /// ```
    /// # use derin_data::MinMaxScaler;
    /// assert_eq!(MinMaxScaler::new().feature_range(), (0.0, 1.0));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A scaler onto `(lo, hi)`.
    ///
    /// # Errors
    /// Unless `lo < hi`, both finite.
    ///
    /// ```
    /// # use derin_data::MinMaxScaler;
    /// assert_eq!(MinMaxScaler::with_range(-1.0, 1.0).unwrap().feature_range(), (-1.0, 1.0));
    /// assert!(MinMaxScaler::with_range(1.0, 1.0).is_err());
    /// ```
    pub fn with_range(lo: f32, hi: f32) -> Result<Self> {
        if !(lo < hi && lo.is_finite() && hi.is_finite()) {
            let reason = format!("feature_range ({lo}, {hi}) needs finite lo < hi");
            return Err(Error::Invalid { op: "MinMaxScaler::with_range", reason });
        }
        Ok(MinMaxScaler { feature_range: (lo, hi), ..Self::default() })
    }

    /// The target range `(lo, hi)` (scikit-learn's `feature_range`).
    ///
    /// ```
    /// # use derin_data::MinMaxScaler;
    /// assert_eq!(MinMaxScaler::new().feature_range().1, 1.0);
    /// ```
    pub fn feature_range(&self) -> (f32, f32) {
        self.feature_range
    }

    /// Each column's fitted minimum, NaN left out (scikit-learn's `data_min_`); `None`
    /// before fitting.
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// s.fit(&array![[2.0_f32], [-1.0]]).unwrap();
    /// assert_eq!(s.data_min().unwrap(), &[-1.0]);
    /// ```
    #[doc(alias = "data_min_")]
    pub fn data_min(&self) -> Option<&[f64]> {
        self.data_min.as_deref()
    }

    /// Each column's fitted maximum, NaN left out (scikit-learn's `data_max_`); `None`
    /// before fitting.
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// s.fit(&array![[2.0_f32], [-1.0]]).unwrap();
    /// assert_eq!(s.data_max().unwrap(), &[2.0]);
    /// ```
    #[doc(alias = "data_max_")]
    pub fn data_max(&self) -> Option<&[f64]> {
        self.data_max.as_deref()
    }

    /// Each column's `max − min`, 0 for a constant column (scikit-learn's `data_range_`);
    /// `None` before fitting.
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// s.fit(&array![[2.0_f32, 3.0], [-1.0, 3.0]]).unwrap();
    /// assert_eq!(s.data_range().unwrap(), vec![3.0, 0.0]);
    /// ```
    #[doc(alias = "data_range_")]
    pub fn data_range(&self) -> Option<Vec<f64>> {
        Some(self.columns()?.map(|(min, max)| max - min).collect())
    }

    /// Each column's factor `(hi − lo) / data_range`, the range of a constant column
    /// counting as 1 (scikit-learn's `scale_`); `None` before fitting.
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::with_range(-1.0, 1.0).unwrap();
    /// s.fit(&array![[0.0_f32, 3.0], [4.0, 3.0]]).unwrap();
    /// assert_eq!(s.scale().unwrap(), vec![0.5, 2.0]);
    /// ```
    #[doc(alias = "scale_")]
    pub fn scale(&self) -> Option<Vec<f64>> {
        Some(self.coefficients()?.into_iter().map(|(scale, _)| scale).collect())
    }

    /// Each column's offset `lo − data_min · scale`, added after scaling (scikit-learn's
    /// `min_`); `None` before fitting.
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::with_range(-1.0, 1.0).unwrap();
    /// s.fit(&array![[2.0_f32], [6.0]]).unwrap();
    /// assert_eq!(s.offset().unwrap(), vec![-2.0]); // y = 0.5 x − 2
    /// ```
    #[doc(alias = "min_")]
    pub fn offset(&self) -> Option<Vec<f64>> {
        Some(self.coefficients()?.into_iter().map(|(_, offset)| offset).collect())
    }

    /// `(data_min, data_max)` per column, if fitted.
    fn columns(&self) -> Option<impl Iterator<Item = (f64, f64)> + '_> {
        Some(self.data_min.as_ref()?.iter().copied().zip(self.data_max.as_ref()?.iter().copied()))
    }

    /// `(scale_, min_)` per column, as scikit-learn computes them.
    fn coefficients(&self) -> Option<Vec<(f64, f64)>> {
        let (lo, hi) = (f64::from(self.feature_range.0), f64::from(self.feature_range.1));
        let columns = self.columns()?.map(|(min, max)| {
            // scikit-learn's `_handle_zeros_in_scale`: a near-zero range counts as 1.
            let range = if max - min < 10.0 * f64::EPSILON { 1.0 } else { max - min };
            let scale = (hi - lo) / range;
            (scale, lo - min * scale)
        });
        Some(columns.collect())
    }

    fn fit_any<T: Float>(&mut self, x: &Array2<T>) -> Result<()> {
        let stats = column_stats("MinMaxScaler::fit", x)?;
        self.data_min = Some(stats.iter().map(|s| s.min).collect());
        self.data_max = Some(stats.iter().map(|s| s.max).collect());
        Ok(())
    }

    /// `x · scale_ + min_`, or its inverse `(x − min_) / scale_`, computed as
    /// `(x − data_min) · scale_ + lo` (the same map, without the cancellation, so that
    /// `data_min` lands exactly on `lo`).
    fn map_any<T: Float>(&self, x: &Array2<T>, inverse: bool) -> Result<Array2<T>> {
        let lo = f64::from(self.feature_range.0);
        let scales = self.scale();
        let fitted = scales.as_ref().map(Vec::len);
        let column = |j: usize| (self.data_min.as_ref().expect("fitted")[j], scales.as_ref().expect("fitted")[j]);
        if inverse {
            map_columns("MinMaxScaler::inverse_transform", fitted, x, |j, v| {
                let (min, scale) = column(j);
                (v - lo) / scale + min
            })
        } else {
            map_columns("MinMaxScaler::transform", fitted, x, |j, v| {
                let (min, scale) = column(j);
                (v - min) * scale + lo
            })
        }
    }

    /// Saves the scaler as JSON (atomically: a temporary file, then a rename).
    ///
    /// # Errors
    /// If the file cannot be written.
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// s.fit(&array![[1.0_f32], [2.0]]).unwrap();
    /// let path = std::env::temp_dir().join("derin_minmax_doc.json");
    /// s.save(&path).unwrap();
    /// assert_eq!(MinMaxScaler::load(&path).unwrap(), s);
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_json(self, path.as_ref())
    }

    /// Loads a scaler saved by [`save`](Self::save).
    ///
    /// # Errors
    /// If the file cannot be read or is not such JSON, or its range or statistics do not
    /// fit together (unequal lengths, min above max, a bad range).
    ///
    /// ```
    /// # use derin_data::MinMaxScaler;
    /// let path = std::env::temp_dir().join("derin_minmax_doc_bad.json");
    /// std::fs::write(&path, r#"{"feature_range": [0, 1], "data_min": [0, 1], "data_max": [1]}"#).unwrap();
    /// assert!(MinMaxScaler::load(&path).unwrap_err().to_string().contains("2 minima and 1 maxima"));
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let s: MinMaxScaler = load_json(path)?;
        let (lo, hi) = s.feature_range;
        MinMaxScaler::with_range(lo, hi).map_err(|e| bad_file(path, e.to_string()))?;
        match (&s.data_min, &s.data_max) {
            (None, None) => {}
            (Some(a), Some(b)) if a.len() != b.len() => {
                return Err(bad_file(path, format!("{} minima and {} maxima", a.len(), b.len())));
            }
            (Some(a), Some(b)) => {
                if let Some(j) = (0..a.len()).find(|&j| a[j] > b[j]) {
                    return Err(bad_file(path, format!("column {j}: minimum {} is not ≤ maximum {}", a[j], b[j])));
                }
            }
            _ => return Err(bad_file(path, "data_min and data_max must both be present or absent".into())),
        }
        Ok(s)
    }
}

impl Scaler for MinMaxScaler {
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
