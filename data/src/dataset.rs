//! The `Dataset` trait (an item type of its own, a fallible `get`), and the samples,
//! targets and batches of the default item type.

use std::sync::Arc;

use derin_tensor::Tensor;

use crate::error::{Error, Result};

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

    /// Stacks samples into a batch (what the default collate, [`Stack`](crate::Stack),
    /// does): inputs along a new first axis, labels into a list, target values along a
    /// new first axis.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the samples (by position and dataset index) when there
    /// are none, the inputs or target values differ in shape, the targets are of
    /// different kinds, or `indices` is not as long as `samples`: ragged items need a
    /// collate of their own (see [`DataLoader::collate_fn`](crate::DataLoader::collate_fn)).
    ///
    /// ```
    /// use derin_data::{Batch, Sample, Target};
    /// use derin_tensor::Tensor;
    /// let s = |n: usize, l| Sample { x: Tensor::zeros(&[n]), y: Target::Label(l) };
    /// let b = Batch::collate(vec![s(2, 0), s(2, 1)], vec![5, 9]).unwrap();
    /// assert_eq!(b.x.shape(), &[2, 2]);
    /// assert_eq!(b.y.labels(), Some(&[0, 1][..]));
    /// let err = Batch::collate(vec![s(2, 0), s(3, 1)], vec![5, 9]).unwrap_err().to_string();
    /// assert!(err.contains("sample 1 (index 9) has input shape [3], sample 0 (index 5) has [2]"), "{err}");
    /// ```
    pub fn collate(samples: Vec<Sample>, indices: Vec<usize>) -> Result<Batch> {
        let invalid = |reason: String| Error::Invalid { op: "Batch::collate", reason };
        if samples.is_empty() || samples.len() != indices.len() {
            return Err(invalid(format!("{} samples, {} indices", samples.len(), indices.len())));
        }
        let at = |k: usize| format!("sample {k} (index {})", indices[k]);
        let first = &samples[0];
        if let Some(k) = samples.iter().position(|s| s.x.shape() != first.x.shape()) {
            let reason =
                format!("{} has input shape {:?}, {} has {:?}", at(k), samples[k].x.shape(), at(0), first.x.shape());
            return Err(invalid(reason));
        }
        let kind = |t: &Target| std::mem::discriminant(t);
        if let Some(k) = samples.iter().position(|s| kind(&s.y) != kind(&first.y)) {
            return Err(invalid(format!("{} has target {:?}, {} has {:?}", at(k), samples[k].y, at(0), first.y)));
        }
        let x = Tensor::stack(&samples.iter().map(|s| &s.x).collect::<Vec<_>>(), 0);
        let y = match &first.y {
            Target::Label(_) => Targets::Labels(samples.iter().filter_map(|s| s.y.label()).collect()),
            Target::Values(v0) => {
                let values: Vec<&Tensor> =
                    samples.iter().filter_map(|s| if let Target::Values(t) = &s.y { Some(t) } else { None }).collect();
                if let Some(k) = values.iter().position(|t| t.shape() != v0.shape()) {
                    let reason =
                        format!("{} has target shape {:?}, {} has {:?}", at(k), values[k].shape(), at(0), v0.shape());
                    return Err(invalid(reason));
                }
                Targets::Values(Tensor::stack(&values, 0))
            }
            Target::Unlabeled => Targets::Unlabeled,
        };
        Ok(Batch { x, y, indices })
    }
}

/// A collection of items that can be read in any order: the input of a
/// [`DataLoader`](crate::DataLoader), which reads the items of each batch (in background
/// threads) and hands them to a collate function.
///
/// The item type is the dataset's own: a [`Sample`] (an input tensor and a target, which
/// the default collate stacks), or anything else (an image and its list of boxes, a
/// sentence of token ids) with a collate of your own. `get` may fail (a file that cannot be
/// read): the loader then returns the error, naming the item, instead of a batch.
///
/// ```
/// use derin_data::{Dataset, Result, Sample, Target};
/// use derin_tensor::Tensor;
///
/// /// `i ↦ (i, i²)`.
/// struct Squares(usize);
/// impl Dataset for Squares {
///     type Item = Sample;
///     fn len(&self) -> usize { self.0 }
///     fn get(&self, i: usize) -> Result<Sample> {
///         let x = i as f32;
///         Ok(Sample { x: Tensor::from_vec(vec![x], &[1]), y: Target::Values(Tensor::from_vec(vec![x * x], &[1])) })
///     }
/// }
/// let s = Squares(5).get(3).unwrap();
/// assert_eq!(s.x.to_vec(), vec![3.0]);
/// ```
pub trait Dataset {
    /// What one item is.
    type Item;

    /// Number of items.
    ///
    /// ```
    /// # use derin_data::{Dataset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// assert_eq!(TensorDataset::unlabeled(Tensor::zeros(&[5, 2])).unwrap().len(), 5);
    /// ```
    fn len(&self) -> usize;

    /// Item `i`.
    ///
    /// # Errors
    /// Whatever reading the item fails at; an index past the end is an error too.
    ///
    /// ```
    /// # use derin_data::{Dataset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::with_labels(Tensor::from_vec(vec![1.0, 2.0], &[2, 1]), vec![0, 1]).unwrap();
    /// assert_eq!(ds.get(1).unwrap().x.to_vec(), vec![2.0]);
    /// assert!(ds.get(2).is_err());
    /// ```
    fn get(&self, i: usize) -> Result<Self::Item>;

    /// Whether there are no items.
    ///
    /// ```
    /// # use derin_data::{Dataset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// assert!(TensorDataset::unlabeled(Tensor::zeros(&[0, 2])).unwrap().is_empty());
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<D: Dataset + ?Sized> Dataset for Arc<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, i: usize) -> Result<D::Item> {
        (**self).get(i)
    }
}
