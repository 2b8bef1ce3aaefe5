//! Feature scaling with scikit-learn's semantics: the [`Scaler`] trait and the per-column
//! statistics its implementations ([`MinMaxScaler`](crate::MinMaxScaler),
//! [`StandardScaler`](crate::StandardScaler)) share, on `[n_samples, n_features]` matrices
//! of `f32` or `f64`.

use derin_tensor::Tensor;
use derin_tensor::ndarray::{Array2, Ix2};

use crate::error::{Error, Result};

/// Fit on training features, then transform any features the same way.
///
/// Statistics are taken per column (feature) in `f64`; NaN entries are left out of
/// them and stay NaN through `transform`, as in scikit-learn. Every method has an `f64`
/// twin (`fit_f64`, `transform_f64`, …) for data that needs the precision; a scaler fitted
/// on either type transforms both.
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

    /// [`fit`](Self::fit) on `f64` data: the statistics are the same `f64` numbers
    /// scikit-learn computes from a `float64` array.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// // 1e10 + 0.5 has no f32: the f32 path would see 1e10 for both rows.
    /// s.fit_f64(&array![[1e10], [1e10 + 0.5]]).unwrap();
    /// assert_eq!(s.data_range().unwrap(), vec![0.5]);
    /// assert!(s.fit_f64(&array![[f64::NEG_INFINITY]]).unwrap_err().to_string().contains("x[0, 0] is -inf"));
    /// ```
    fn fit_f64(&mut self, x: &Array2<f64>) -> Result<()>;

    /// [`transform`](Self::transform) of `f64` data, computed and returned in `f64`.
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    ///
    /// ```
    /// # use derin_data::{Scaler, StandardScaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = StandardScaler::new();
    /// s.fit_f64(&array![[1e10], [1e10 + 2.0]]).unwrap();
    /// assert_eq!(s.transform_f64(&array![[1e10 + 1.0]]).unwrap(), array![[0.0]]);
    /// ```
    fn transform_f64(&self, x: &Array2<f64>) -> Result<Array2<f64>>;

    /// [`inverse_transform`](Self::inverse_transform) of `f64` data.
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let mut s = MinMaxScaler::new();
    /// s.fit_f64(&array![[0.0], [4.0]]).unwrap();
    /// assert_eq!(s.inverse_transform_f64(&array![[0.25]]).unwrap(), array![[1.0]]);
    /// ```
    fn inverse_transform_f64(&self, x: &Array2<f64>) -> Result<Array2<f64>>;

    /// [`fit_f64`](Self::fit_f64) then [`transform_f64`](Self::transform_f64).
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    ///
    /// ```
    /// # use derin_data::{MinMaxScaler, Scaler};
    /// # use derin_data::ndarray::array;
    /// let y = MinMaxScaler::new().fit_transform_f64(&array![[2.0], [6.0], [3.0]]).unwrap();
    /// assert_eq!(y, array![[0.0], [1.0], [0.25]]);
    /// ```
    fn fit_transform_f64(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.fit_f64(x)?;
        self.transform_f64(x)
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

/// A float type the scalers read and write; their statistics are always `f64`.
pub(crate) trait Float: Copy + std::fmt::Display {
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
}

impl Float for f32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Float for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// One column's statistics in `f64`, NaN entries left out.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColumnStats {
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) mean: f64,
    /// Population variance (`ddof = 0`), two-pass.
    pub(crate) var: f64,
    /// How many entries were not NaN.
    pub(crate) count: usize,
}

/// Per-column statistics of `x`, NaN left out.
pub(crate) fn column_stats<T: Float>(op: &'static str, x: &Array2<T>) -> Result<Vec<ColumnStats>> {
    if x.nrows() == 0 {
        return Err(Error::Invalid { op, reason: "x has no rows to fit on".into() });
    }
    let mut stats = Vec::with_capacity(x.ncols());
    for (j, col) in x.columns().into_iter().enumerate() {
        if let Some(r) = col.iter().position(|v| v.to_f64().is_infinite()) {
            return Err(Error::Invalid { op, reason: format!("x[{r}, {j}] is {}", col[r]) });
        }
        let present = || col.iter().map(|v| v.to_f64()).filter(|v| !v.is_nan());
        let count = present().count();
        if count == 0 {
            return Err(Error::Invalid { op, reason: format!("column {j} has only NaN values") });
        }
        let mean = present().sum::<f64>() / count as f64;
        let var = present().map(|v| (v - mean) * (v - mean)).sum::<f64>() / count as f64;
        let min = present().fold(f64::INFINITY, f64::min);
        let max = present().fold(f64::NEG_INFINITY, f64::max);
        stats.push(ColumnStats { min, max, mean, var, count });
    }
    Ok(stats)
}

/// `f(j, x[i, j])` for every entry, computed in `f64`, after checking the column count
/// against `fitted` (`None`: not fitted).
pub(crate) fn map_columns<T: Float>(
    op: &'static str,
    fitted: Option<usize>,
    x: &Array2<T>,
    f: impl Fn(usize, f64) -> f64,
) -> Result<Array2<T>> {
    let n = fitted.ok_or(Error::Invalid { op, reason: "call fit first".into() })?;
    if x.ncols() != n {
        return Err(Error::Invalid {
            op,
            reason: format!("x has {} columns, the scaler was fitted on {n}", x.ncols()),
        });
    }
    Ok(Array2::from_shape_fn(x.raw_dim(), |(i, j)| T::from_f64(f(j, x[[i, j]].to_f64()))))
}
