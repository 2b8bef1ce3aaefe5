//! The `Dataset` trait and its samples, targets and batches.

use std::sync::Arc;

use derin_tensor::Tensor;

/// The target of one sample.
///
/// ```
/// use derin_data::Target;
/// assert_eq!(Target::Label(3).label(), Some(3));
/// assert_eq!(Target::Unlabeled.label(), None);
/// ```
#[derive(Clone, Debug)]
pub enum Target {
    /// A class index (classification).
    Label(usize),
    /// A tensor of values (regression, a mask, an image to reconstruct).
    Values(Tensor),
    /// No target (autoencoders, GANs, prediction).
    Unlabeled,
}

impl Target {
    /// The class index of a [`Target::Label`].
    ///
    /// ```
    /// # use derin_data::Target;
    /// assert_eq!(Target::Label(1).label(), Some(1));
    /// ```
    pub fn label(&self) -> Option<usize> {
        match self {
            Target::Label(l) => Some(*l),
            _ => None,
        }
    }
}

/// One sample: its input and its target.
///
/// ```
/// use derin_data::{Sample, Target};
/// use derin_tensor::Tensor;
/// let s = Sample { x: Tensor::zeros(&[3]), y: Target::Label(0) };
/// assert_eq!(s.x.shape(), &[3]);
/// ```
#[derive(Clone, Debug)]
pub struct Sample {
    /// The input, without a batch axis.
    pub x: Tensor,
    /// The target.
    pub y: Target,
}

/// The targets of a batch.
///
/// ```
/// use derin_data::Targets;
/// assert_eq!(Targets::Labels(vec![1, 0]).labels(), Some(&[1, 0][..]));
/// ```
#[derive(Clone, Debug)]
pub enum Targets {
    /// Class indices, one per sample (integers are not floats: no `f32` tensor).
    Labels(Vec<usize>),
    /// Values stacked along a new first axis: `[batch, …]`.
    Values(Tensor),
    /// No targets.
    Unlabeled,
}

impl Targets {
    /// The class indices of [`Targets::Labels`].
    ///
    /// ```
    /// # use derin_data::Targets;
    /// assert!(Targets::Unlabeled.labels().is_none());
    /// ```
    pub fn labels(&self) -> Option<&[usize]> {
        match self {
            Targets::Labels(l) => Some(l),
            _ => None,
        }
    }

    /// The tensor of [`Targets::Values`].
    ///
    /// ```
    /// # use derin_data::Targets;
    /// # use derin_tensor::Tensor;
    /// assert_eq!(Targets::Values(Tensor::zeros(&[2, 1])).values().unwrap().shape(), &[2, 1]);
    /// ```
    pub fn values(&self) -> Option<&Tensor> {
        match self {
            Targets::Values(t) => Some(t),
            _ => None,
        }
    }
}

/// A batch: inputs stacked along a new first axis, their targets, and which samples of
/// the dataset they are.
///
/// # Shapes
/// `x` `[batch, …]`; `y` [`Targets::Labels`] of length `batch` or
/// [`Targets::Values`] `[batch, …]`.
///
/// ```
/// use derin_data::{Batch, Targets};
/// use derin_tensor::Tensor;
/// let b = Batch { x: Tensor::zeros(&[2, 4]), y: Targets::Labels(vec![0, 1]), indices: vec![7, 3] };
/// assert_eq!(b.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Batch {
    /// Inputs, `[batch, …]`.
    pub x: Tensor,
    /// Targets.
    pub y: Targets,
    /// The dataset index of each sample, in batch order.
    pub indices: Vec<usize>,
}

impl Batch {
    /// Number of samples.
    ///
    /// ```
    /// # use derin_data::{Batch, Targets};
    /// # use derin_tensor::Tensor;
    /// assert_eq!(Batch { x: Tensor::zeros(&[0, 1]), y: Targets::Unlabeled, indices: vec![] }.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the batch has no samples.
    ///
    /// ```
    /// # use derin_data::{Batch, Targets};
    /// # use derin_tensor::Tensor;
    /// assert!(Batch { x: Tensor::zeros(&[0, 1]), y: Targets::Unlabeled, indices: vec![] }.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Stacks samples into a batch (what [`Dataset::get_batch`] does by default).
    ///
    /// # Panics
    /// If `samples` is empty, the inputs differ in shape, the targets are of different
    /// kinds, or `indices` is not as long as `samples`: a [`Dataset`] must give samples
    /// of one shape and kind.
    ///
    /// ```
    /// use derin_data::{Batch, Sample, Target};
    /// use derin_tensor::Tensor;
    /// let s = |v: f32, l| Sample { x: Tensor::from_vec(vec![v, v], &[2]), y: Target::Label(l) };
    /// let b = Batch::collate(vec![s(1.0, 0), s(2.0, 1)], vec![5, 9]);
    /// assert_eq!(b.x.shape(), &[2, 2]);
    /// assert_eq!(b.y.labels(), Some(&[0, 1][..]));
    /// ```
    pub fn collate(samples: Vec<Sample>, indices: Vec<usize>) -> Batch {
        assert!(!samples.is_empty(), "Batch::collate: no samples");
        assert_eq!(
            samples.len(),
            indices.len(),
            "Batch::collate: {} samples, {} indices",
            samples.len(),
            indices.len()
        );
        let x = Tensor::stack(&samples.iter().map(|s| &s.x).collect::<Vec<_>>(), 0);
        let kind = |t: &Target| std::mem::discriminant(t);
        if let Some(k) = samples.iter().position(|s| kind(&s.y) != kind(&samples[0].y)) {
            panic!("Batch::collate: sample {k} has target {:?}, sample 0 has {:?}", samples[k].y, samples[0].y);
        }
        let y = match &samples[0].y {
            Target::Label(_) => Targets::Labels(samples.iter().filter_map(|s| s.y.label()).collect()),
            Target::Values(_) => {
                let values: Vec<&Tensor> =
                    samples.iter().filter_map(|s| if let Target::Values(t) = &s.y { Some(t) } else { None }).collect();
                Targets::Values(Tensor::stack(&values, 0))
            }
            Target::Unlabeled => Targets::Unlabeled,
        };
        Batch { x, y, indices }
    }
}

/// A collection of samples that can be read in any order: the input of a
/// [`DataLoader`](crate::DataLoader).
///
/// Every sample must have the same input shape and the same kind of target.
///
/// ```
/// use derin_data::{Dataset, Sample, Target};
/// use derin_tensor::Tensor;
///
/// /// `i ↦ (i, i²)`.
/// struct Squares(usize);
/// impl Dataset for Squares {
///     fn len(&self) -> usize { self.0 }
///     fn get(&self, i: usize) -> Sample {
///         let x = i as f32;
///         Sample { x: Tensor::from_vec(vec![x], &[1]), y: Target::Values(Tensor::from_vec(vec![x * x], &[1])) }
///     }
/// }
/// let b = Squares(5).get_batch(&[3, 4]);
/// assert_eq!(b.y.values().unwrap().to_vec(), vec![9.0, 16.0]);
/// ```
pub trait Dataset {
    /// Number of samples.
    ///
    /// ```
    /// # use derin_data::{Dataset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// assert_eq!(TensorDataset::unlabeled(Tensor::zeros(&[5, 2])).unwrap().len(), 5);
    /// ```
    fn len(&self) -> usize;

    /// Sample `i`.
    ///
    /// # Panics
    /// May panic if `i ≥ len()`.
    ///
    /// ```
    /// # use derin_data::{Dataset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::with_labels(Tensor::from_vec(vec![1.0, 2.0], &[2, 1]), vec![0, 1]).unwrap();
    /// assert_eq!(ds.get(1).x.to_vec(), vec![2.0]);
    /// ```
    fn get(&self, i: usize) -> Sample;

    /// Whether there are no samples.
    ///
    /// ```
    /// # use derin_data::{Dataset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// assert!(TensorDataset::unlabeled(Tensor::zeros(&[0, 2])).unwrap().is_empty());
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The samples `indices`, stacked; override when a whole batch can be gathered at
    /// once (as [`TensorDataset`](crate::TensorDataset) does).
    ///
    /// # Panics
    /// As [`Batch::collate`], or if an index is out of range.
    ///
    /// ```
    /// # use derin_data::{Dataset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::with_labels(Tensor::from_vec(vec![1.0, 2.0], &[2, 1]), vec![0, 1]).unwrap();
    /// let b = ds.get_batch(&[1, 0]);
    /// assert_eq!((b.x.to_vec(), b.y.labels().unwrap().to_vec()), (vec![2.0, 1.0], vec![1, 0]));
    /// ```
    fn get_batch(&self, indices: &[usize]) -> Batch {
        Batch::collate(indices.iter().map(|&i| self.get(i)).collect(), indices.to_vec())
    }
}

impl<D: Dataset + ?Sized> Dataset for Arc<D> {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, i: usize) -> Sample {
        (**self).get(i)
    }
    fn get_batch(&self, indices: &[usize]) -> Batch {
        (**self).get_batch(indices)
    }
}
