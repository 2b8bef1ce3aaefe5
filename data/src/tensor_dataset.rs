//! In-memory datasets: `TensorDataset` (rows of a tensor with labels or target values)
//! and `Subset` (some samples of another dataset, e.g. one K-fold split).

use std::sync::Arc;

use derin_tensor::Tensor;
use derin_tensor::ndarray::Axis;

use crate::dataset::{Batch, Dataset, Sample, Target, Targets};
use crate::error::{Error, Result};

/// Samples that are the rows of an input tensor `x` `[n, …]`, with targets that are
/// labels (`n` of them), rows of a value tensor `[n, …]`, or nothing.
///
/// ```
/// use derin_data::{Dataset, TensorDataset};
/// use derin_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
/// let ds = TensorDataset::with_labels(x, vec![0, 1, 1]).unwrap();
/// assert_eq!(ds.len(), 3);
/// let s = ds.get(1).unwrap();
/// assert_eq!(s.x.to_vec(), vec![3.0, 4.0]);
/// assert_eq!(s.y.label(), Some(1));
/// ```
#[derive(Clone, Debug)]
pub struct TensorDataset {
    x: Tensor,
    y: Targets,
}

impl TensorDataset {
    /// A dataset from inputs `x` `[n, …]` and targets for the `n` rows.
    ///
    /// # Errors
    /// If `x` is 0-d, or the targets are not `n` long (the message names both counts).
    ///
    /// ```
    /// use derin_data::{TensorDataset, Targets};
    /// use derin_tensor::Tensor;
    /// let err = TensorDataset::new(Tensor::zeros(&[3, 2]), Targets::Labels(vec![0])).unwrap_err();
    /// assert!(err.to_string().contains("1 labels for 3 samples"));
    /// ```
    pub fn new(x: Tensor, y: Targets) -> Result<Self> {
        const OP: &str = "TensorDataset::new";
        if x.ndim() == 0 {
            return Err(Error::Invalid { op: OP, reason: "x is a 0-d tensor; need [n, …]".into() });
        }
        let n = x.shape()[0];
        let (what, len) = match &y {
            Targets::Labels(l) => ("labels", l.len()),
            Targets::Values(t) if t.ndim() == 0 => {
                return Err(Error::Invalid { op: OP, reason: "target values are a 0-d tensor; need [n, …]".into() });
            }
            Targets::Values(t) => ("target rows", t.shape()[0]),
            Targets::Unlabeled => ("", n),
        };
        if len != n {
            return Err(Error::Invalid { op: OP, reason: format!("{len} {what} for {n} samples") });
        }
        Ok(TensorDataset { x: x.detach(), y })
    }

    /// Inputs with class labels.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    ///
    /// ```
    /// # use derin_data::{Dataset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// assert_eq!(TensorDataset::with_labels(Tensor::zeros(&[2, 1]), vec![1, 0]).unwrap().len(), 2);
    /// ```
    pub fn with_labels(x: Tensor, labels: Vec<usize>) -> Result<Self> {
        Self::new(x, Targets::Labels(labels))
    }

    /// Inputs with target values `y` `[n, …]`.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    ///
    /// ```
    /// # use derin_data::TensorDataset;
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::with_values(Tensor::zeros(&[2, 3]), Tensor::ones(&[2, 1])).unwrap();
    /// assert_eq!(ds.get_batch(&[0, 1]).y.values().unwrap().shape(), &[2, 1]);
    /// ```
    pub fn with_values(x: Tensor, y: Tensor) -> Result<Self> {
        Self::new(x, Targets::Values(y))
    }

    /// Inputs without targets.
    ///
    /// # Errors
    /// If `x` is 0-d.
    ///
    /// ```
    /// # use derin_data::{Dataset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// assert_eq!(TensorDataset::unlabeled(Tensor::zeros(&[4, 2])).unwrap().len(), 4);
    /// ```
    pub fn unlabeled(x: Tensor) -> Result<Self> {
        Self::new(x, Targets::Unlabeled)
    }

    /// All inputs, `[n, …]`.
    ///
    /// ```
    /// # use derin_data::TensorDataset;
    /// # use derin_tensor::Tensor;
    /// assert_eq!(TensorDataset::unlabeled(Tensor::zeros(&[4, 2])).unwrap().x().shape(), &[4, 2]);
    /// ```
    pub fn x(&self) -> &Tensor {
        &self.x
    }

    /// All targets.
    ///
    /// ```
    /// # use derin_data::TensorDataset;
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::with_labels(Tensor::zeros(&[2, 1]), vec![1, 0]).unwrap();
    /// assert_eq!(ds.y().labels(), Some(&[1, 0][..]));
    /// ```
    pub fn y(&self) -> &Targets {
        &self.y
    }

    /// The rows `indices` as one batch, gathered in one step per tensor (what stacking
    /// the samples gives, faster).
    ///
    /// # Panics
    /// If an index is not below the number of rows.
    ///
    /// ```
    /// # use derin_data::TensorDataset;
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::with_labels(Tensor::from_vec(vec![1.0, 2.0], &[2, 1]), vec![0, 1]).unwrap();
    /// let b = ds.get_batch(&[1, 0]);
    /// assert_eq!((b.x.to_vec(), b.y.labels().unwrap().to_vec()), (vec![2.0, 1.0], vec![1, 0]));
    /// ```
    pub fn get_batch(&self, indices: &[usize]) -> Batch {
        let y = match &self.y {
            Targets::Labels(l) => Targets::Labels(indices.iter().map(|&i| l[i]).collect()),
            Targets::Values(t) => Targets::Values(rows(t, indices)),
            Targets::Unlabeled => Targets::Unlabeled,
        };
        Batch { x: rows(&self.x, indices), y, indices: indices.to_vec() }
    }
}

/// Rows `rows` of `t` along the first axis, as a new tensor without a gradient.
fn rows(t: &Tensor, rows: &[usize]) -> Tensor {
    Tensor::from_array(t.array().select(Axis(0), rows))
}

impl Dataset for TensorDataset {
    type Item = Sample;

    fn len(&self) -> usize {
        self.x.shape()[0]
    }

    fn get(&self, i: usize) -> Result<Sample> {
        if i >= self.len() {
            let reason = format!("index {i} is past the end ({} samples)", self.len());
            return Err(Error::Invalid { op: "TensorDataset::get", reason });
        }
        let row = |t: &Tensor| Tensor::from_array(t.array().index_axis(Axis(0), i).to_owned());
        let y = match &self.y {
            Targets::Labels(l) => Target::Label(l[i]),
            Targets::Values(t) => Target::Values(row(t)),
            Targets::Unlabeled => Target::Unlabeled,
        };
        Ok(Sample { x: row(&self.x), y })
    }
}

/// The items `indices` of another dataset, in that order: item `k` of the subset is
/// item `indices[k]` of the whole (PyTorch's `Subset`). Batches of a loader over the
/// subset report the subset's indices; [`indices`](Subset::indices) maps them back.
///
/// ```
/// use std::sync::Arc;
/// use derin_data::{Dataset, Subset, TensorDataset};
/// use derin_tensor::Tensor;
/// let whole = Arc::new(TensorDataset::with_labels(Tensor::zeros(&[4, 1]), vec![0, 1, 2, 3]).unwrap());
/// let part = Subset::new(whole, vec![3, 1]).unwrap();
/// assert_eq!(part.len(), 2);
/// assert_eq!(part.get(0).unwrap().y.label(), Some(3));
/// assert_eq!(part.indices(), &[3, 1]);
/// ```
#[derive(Clone, Debug)]
pub struct Subset<D> {
    dataset: Arc<D>,
    indices: Vec<usize>,
}

impl<D: Dataset> Subset<D> {
    /// The samples `indices` of `dataset`.
    ///
    /// # Errors
    /// If an index is not below `dataset.len()` (the message names it).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use derin_data::{Subset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let whole = Arc::new(TensorDataset::unlabeled(Tensor::zeros(&[2, 1])).unwrap());
    /// assert!(Subset::new(whole, vec![2]).unwrap_err().to_string().contains("index 2"));
    /// ```
    pub fn new(dataset: Arc<D>, indices: Vec<usize>) -> Result<Self> {
        let n = dataset.len();
        if let Some(&i) = indices.iter().find(|&&i| i >= n) {
            let reason = format!("index {i} is not below the dataset's {n} samples");
            return Err(Error::Invalid { op: "Subset::new", reason });
        }
        Ok(Subset { dataset, indices })
    }

    /// The indices into the whole dataset.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use derin_data::{Subset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let whole = Arc::new(TensorDataset::unlabeled(Tensor::zeros(&[2, 1])).unwrap());
    /// assert_eq!(Subset::new(whole, vec![1]).unwrap().indices(), &[1]);
    /// ```
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }
}

impl<D: Dataset> Dataset for Subset<D> {
    type Item = D::Item;

    fn len(&self) -> usize {
        self.indices.len()
    }

    fn get(&self, i: usize) -> Result<D::Item> {
        match self.indices.get(i) {
            Some(&whole) => self.dataset.get(whole),
            None => {
                let reason = format!("index {i} is past the end ({} items)", self.indices.len());
                Err(Error::Invalid { op: "Subset::get", reason })
            }
        }
    }
}
