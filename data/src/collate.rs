//! How the items of a batch become one batch: the [`Collate`] trait, the default
//! [`Stack`], and any closure `Fn(Vec<Item>, &[usize]) -> Result<Batch>`.

use crate::dataset::{Batch, Sample};
use crate::error::Result;

/// Turns the items of one batch (and their dataset indices) into a batch. The default,
/// [`Stack`], stacks [`Sample`]s; any closure `Fn(Vec<Item>, &[usize]) -> Result<B>` is
/// a collate too (PyTorch's `collate_fn`), which is how ragged items — images with
/// different numbers of boxes, sentences of different lengths — become batches.
///
/// ```
/// use derin_data::{Collate, Result};
/// // Sentences of token ids, padded with 0 to the longest of the batch.
/// let pad = |items: Vec<Vec<usize>>, _: &[usize]| -> Result<Vec<Vec<usize>>> {
///     let longest = items.iter().map(Vec::len).max().unwrap_or(0);
///     Ok(items.into_iter().map(|mut s| { s.resize(longest, 0); s }).collect())
/// };
/// let batch = pad.collate(vec![vec![4, 2], vec![7, 1, 9]], &[0, 1]).unwrap();
/// assert_eq!(batch, vec![vec![4, 2, 0], vec![7, 1, 9]]);
/// ```
pub trait Collate<T>: Send + Sync {
    /// What a batch is.
    type Batch;

    /// The batch of `items`, which are the dataset's items `indices`, in that order.
    ///
    /// # Errors
    /// Whatever does not fit together (ragged shapes for [`Stack`]).
    fn collate(&self, items: Vec<T>, indices: &[usize]) -> Result<Self::Batch>;
}

/// The default collate: [`Batch::collate`], which stacks samples of one shape.
///
/// ```
/// use derin_data::{Collate, Sample, Stack, Target};
/// use derin_tensor::Tensor;
/// let s = Sample { x: Tensor::zeros(&[3]), y: Target::Label(1) };
/// let b = Stack.collate(vec![s.clone(), s], &[4, 8]).unwrap();
/// assert_eq!((b.x.shape(), b.indices), (&[2, 3][..], vec![4, 8]));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stack;

impl Collate<Sample> for Stack {
    type Batch = Batch;

    fn collate(&self, items: Vec<Sample>, indices: &[usize]) -> Result<Batch> {
        Batch::collate(items, indices.to_vec())
    }
}

impl<T, B, F> Collate<T> for F
where
    F: Fn(Vec<T>, &[usize]) -> Result<B> + Send + Sync,
{
    type Batch = B;

    fn collate(&self, items: Vec<T>, indices: &[usize]) -> Result<B> {
        self(items, indices)
    }
}
