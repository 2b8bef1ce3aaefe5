//! Feature scaling with scikit-learn's semantics: the [`Scaler`] trait and
//! [`MinMaxScaler`] (the [`StandardScaler`](crate::StandardScaler) lives beside it), on
//! `[n_samples, n_features]` matrices, saved and loaded as JSON.

use std::path::Path;

use derin_tensor::Tensor;
use derin_tensor::ndarray::{Array2, Ix2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::persist::{bad_file, load_json, save_json};

/// Fit on training features, then transform any features the same way.
///
/// Statistics are taken per column (feature) in `f64`; NaN entries are left out of
/// them and stay NaN through `transform`, as in scikit-learn.
///
/// # Shapes
/// `x` is `[n_samples, n_features]`; outputs have its shape.
///
/// ```
/// use derin_data::{Scaler, StandardScaler};
/// use derin_data::ndarray::array;
/// let x = array![[1.0_f32], [3.0]];
/// let mut s = StandardScaler::new();
/// let z = s.fit_transform(&x).unwrap();
/// assert_eq!(z, array![[-1.0], [1.0]]);
/// assert_eq!(s.inverse_transform(&z).unwrap(), x);
/// ```
pub trait Scaler {
    /// Learns the per-column statistics of `x`.
    ///
    /// # Errors
    /// If `x` has no rows, holds an infinite value (named by row and column), or has a
    /// column with no value that is not NaN.
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// s.fit(&array![[1.0_f32], [4.0]]).unwrap();
    /// assert!(s.fit(&array![[f32::INFINITY]]).is_err());
    /// ```
    fn fit(&mut self, x: &Array2<f32>) -> Result<()>;

    /// `x` scaled with the fitted statistics.
    ///
    /// # Errors
    /// Before [`fit`](Self::fit), or if `x`'s column count differs from the fitted one
    /// (the message names both).
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// assert!(s.transform(&array![[1.0_f32]]).is_err()); // not fitted
    /// s.fit(&array![[0.0_f32], [4.0]]).unwrap();
    /// assert_eq!(s.transform(&array![[1.0], [2.0]]).unwrap(), array![[0.25], [0.5]]);
    /// assert!(s.transform(&array![[1.0, 2.0]]).unwrap_err().to_string().contains("x has 2 columns"));
    /// ```
    fn transform(&self, x: &Array2<f32>) -> Result<Array2<f32>>;

    /// Undoes [`transform`](Self::transform).
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// s.fit(&array![[0.0_f32], [4.0]]).unwrap();
    /// assert_eq!(s.inverse_transform(&array![[0.5]]).unwrap(), array![[2.0]]);
    /// ```
    fn inverse_transform(&self, x: &Array2<f32>) -> Result<Array2<f32>>;

    /// [`fit`](Self::fit) then [`transform`](Self::transform).
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let y = MinMaxScaler::new().fit_transform(&array![[2.0_f32], [6.0]]).unwrap();
    /// assert_eq!(y, array![[0.0], [1.0]]);
    /// ```
    fn fit_transform(&mut self, x: &Array2<f32>) -> Result<Array2<f32>> {
        self.fit(x)?;
        self.transform(x)
    }

    /// [`transform`](Self::transform) on a 2-D tensor (no gradient is kept).
    ///
    /// # Errors
    /// If `x` is not 2-D, or as [`transform`](Self::transform).
    ///
    /// ```
    /// # use derin_data::{Scaler, StandardScaler};
    /// # use derin_data::ndarray::array;
    /// # use derin_tensor::Tensor;
    /// let mut s = StandardScaler::new();
    /// s.fit(&array![[1.0_f32], [3.0]]).unwrap();
    /// let z = s.transform_tensor(&Tensor::from_vec(vec![1.0, 3.0], &[2, 1])).unwrap();
    /// assert_eq!(z.to_vec(), vec![-1.0, 1.0]);
    /// assert!(s.transform_tensor(&Tensor::zeros(&[2])).is_err());
    /// ```
    fn transform_tensor(&self, x: &Tensor) -> Result<Tensor> {
        Ok(Tensor::from_array(self.transform(&matrix("Scaler::transform_tensor", x)?)?.into_dyn()))
    }

    /// [`inverse_transform`](Self::inverse_transform) on a 2-D tensor.
    ///
    /// # Errors
    /// If `x` is not 2-D, or as [`inverse_transform`](Self::inverse_transform).
    ///
    /// ```
    /// # use derin_data::{Scaler, StandardScaler};
    /// # use derin_data::ndarray::array;
    /// # use derin_tensor::Tensor;
    /// let mut s = StandardScaler::new();
    /// s.fit(&array![[1.0_f32], [3.0]]).unwrap();
    /// let x = s.inverse_transform_tensor(&Tensor::from_vec(vec![-1.0, 1.0], &[2, 1])).unwrap();
    /// assert_eq!(x.to_vec(), vec![1.0, 3.0]);
    /// ```
    fn inverse_transform_tensor(&self, x: &Tensor) -> Result<Tensor> {
        let x = matrix("Scaler::inverse_transform_tensor", x)?;
        Ok(Tensor::from_array(self.inverse_transform(&x)?.into_dyn()))
    }
}

fn matrix(op: &'static str, x: &Tensor) -> Result<Array2<f32>> {
    x.array().view().into_dimensionality::<Ix2>().map(|v| v.to_owned()).map_err(|_| Error::Invalid {
        op,
        reason: format!("expected a 2-D [n_samples, n_features] tensor, got shape {:?}", x.shape()),
    })
}

/// Per-column statistics: `(min, max, mean, population variance)`, NaN left out.
pub(crate) fn column_stats(op: &'static str, x: &Array2<f32>) -> Result<Vec<[f64; 4]>> {
    if x.nrows() == 0 {
        return Err(Error::Invalid { op, reason: "x has no rows to fit on".into() });
    }
    let mut stats = Vec::with_capacity(x.ncols());
    for (j, col) in x.columns().into_iter().enumerate() {
        if let Some(r) = col.iter().position(|v| v.is_infinite()) {
            return Err(Error::Invalid { op, reason: format!("x[{r}, {j}] is {}", col[r]) });
        }
        let present = || col.iter().filter(|v| !v.is_nan()).map(|&v| f64::from(v));
        let n = present().count();
        if n == 0 {
            return Err(Error::Invalid { op, reason: format!("column {j} has only NaN values") });
        }
        let mean = present().sum::<f64>() / n as f64;
        let var = present().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        let min = present().fold(f64::INFINITY, f64::min);
        let max = present().fold(f64::NEG_INFINITY, f64::max);
        stats.push([min, max, mean, var]);
    }
    Ok(stats)
}

/// `f(j, x[i, j])` for every entry, after checking the column count against `fitted`.
pub(crate) fn map_columns(
    op: &'static str,
    fitted: Option<usize>,
    x: &Array2<f32>,
    f: impl Fn(usize, f64) -> f64,
) -> Result<Array2<f32>> {
    let n = fitted.ok_or(Error::Invalid { op, reason: "call fit first".into() })?;
    if x.ncols() != n {
        return Err(Error::Invalid {
            op,
            reason: format!("x has {} columns, the scaler was fitted on {n}", x.ncols()),
        });
    }
    Ok(Array2::from_shape_fn(x.raw_dim(), |(i, j)| f(j, f64::from(x[[i, j]])) as f32))
}

/// Maps each column linearly onto `feature_range` (default `(0, 1)`):
/// `y = (x − min) / (max − min) · (hi − lo) + lo`; a constant column maps to `lo`
/// (its range counts as 1, as in scikit-learn).
///
/// ```
/// use derin_data::{MinMaxScaler, Scaler};
/// use derin_data::ndarray::array;
/// let mut s = MinMaxScaler::new();
/// let y = s.fit_transform(&array![[0.0_f32, 5.0], [10.0, 5.0], [5.0, 5.0]]).unwrap();
/// assert_eq!(y, array![[0.0, 0.0], [1.0, 0.0], [0.5, 0.0]]);
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

    /// The target range `(lo, hi)`.
    ///
    /// ```
    /// # use derin_data::MinMaxScaler;
    /// assert_eq!(MinMaxScaler::new().feature_range().1, 1.0);
    /// ```
    pub fn feature_range(&self) -> (f32, f32) {
        self.feature_range
    }

    /// Each column's fitted minimum (scikit-learn's `data_min_`); `None` before fitting.
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// s.fit(&array![[2.0_f32], [-1.0]]).unwrap();
    /// assert_eq!(s.data_min().unwrap(), &[-1.0]);
    /// ```
    pub fn data_min(&self) -> Option<&[f64]> {
        self.data_min.as_deref()
    }

    /// Each column's fitted maximum (scikit-learn's `data_max_`); `None` before fitting.
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// s.fit(&array![[2.0_f32], [-1.0]]).unwrap();
    /// assert_eq!(s.data_max().unwrap(), &[2.0]);
    /// ```
    pub fn data_max(&self) -> Option<&[f64]> {
        self.data_max.as_deref()
    }

    /// `(min, range, lo, hi)` for column `j`, the range of a constant column being 1.
    fn params(&self, j: usize) -> (f64, f64, f64, f64) {
        let (min, max) = (self.data_min.as_ref().expect("fitted")[j], self.data_max.as_ref().expect("fitted")[j]);
        let range = if max > min { max - min } else { 1.0 };
        (min, range, f64::from(self.feature_range.0), f64::from(self.feature_range.1))
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
        let stats = column_stats("MinMaxScaler::fit", x)?;
        self.data_min = Some(stats.iter().map(|s| s[0]).collect());
        self.data_max = Some(stats.iter().map(|s| s[1]).collect());
        Ok(())
    }

    fn transform(&self, x: &Array2<f32>) -> Result<Array2<f32>> {
        map_columns("MinMaxScaler::transform", self.data_min.as_ref().map(Vec::len), x, |j, v| {
            let (min, range, lo, hi) = self.params(j);
            (v - min) / range * (hi - lo) + lo
        })
    }

    fn inverse_transform(&self, x: &Array2<f32>) -> Result<Array2<f32>> {
        map_columns("MinMaxScaler::inverse_transform", self.data_min.as_ref().map(Vec::len), x, |j, v| {
            let (min, range, lo, hi) = self.params(j);
            (v - lo) / (hi - lo) * range + min
        })
    }
}
