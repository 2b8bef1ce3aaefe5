//! `DataLoader`: batches of a [`Dataset`] per epoch, with seeded shuffling, drop-last and
//! background prefetch on a thread through a bounded channel.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use derin_tensor::Rng;

use crate::dataset::{Batch, Dataset};
use crate::error::{Error, Result};

/// Splits a dataset into batches, epoch after epoch.
///
/// With [`shuffle`](Self::shuffle) each epoch visits the samples in a new order that
/// depends only on the seed and the epoch number, so runs repeat exactly. With
/// [`prefetch`](Self::prefetch)`(n)` (2 by default) a background thread builds up to `n`
/// batches ahead of the training loop; `prefetch(0)` builds each batch when asked.
/// Either way the batches are the same.
///
/// ```
/// use derin_data::{DataLoader, TensorDataset};
/// use derin_tensor::Tensor;
/// let ds = TensorDataset::with_labels(Tensor::zeros(&[10, 3]), (0..10).collect()).unwrap();
/// let mut loader = DataLoader::new(ds, 4).unwrap().shuffle(42);
/// assert_eq!(loader.len(), 3); // 4 + 4 + 2
/// let mut seen: Vec<usize> = loader.iter().flat_map(|b| b.indices).collect();
/// seen.sort();
/// assert_eq!(seen, (0..10).collect::<Vec<_>>());
/// ```
#[derive(Debug)]
pub struct DataLoader<D> {
    dataset: Arc<D>,
    batch_size: usize,
    seed: Option<u64>,
    drop_last: bool,
    prefetch: usize,
    next_epoch: u64,
}

impl<D: Dataset + Send + Sync + 'static> DataLoader<D> {
    /// Batches of `batch_size` in dataset order, the last one possibly smaller, with 2
    /// batches prefetched.
    ///
    /// # Errors
    /// If `batch_size` is 0.
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[3, 1])).unwrap();
    /// assert!(DataLoader::new(ds, 0).unwrap_err().to_string().contains("batch_size"));
    /// ```
    pub fn new(dataset: D, batch_size: usize) -> Result<Self> {
        Self::shared(Arc::new(dataset), batch_size)
    }

    /// As [`new`](Self::new), for a dataset shared with other owners.
    ///
    /// # Errors
    /// If `batch_size` is 0.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = Arc::new(TensorDataset::unlabeled(Tensor::zeros(&[3, 1])).unwrap());
    /// assert_eq!(DataLoader::shared(ds.clone(), 2).unwrap().len(), 2);
    /// ```
    pub fn shared(dataset: Arc<D>, batch_size: usize) -> Result<Self> {
        if batch_size == 0 {
            return Err(Error::Invalid {
                op: "DataLoader::new",
                reason: "batch_size must be at least 1, got 0".into(),
            });
        }
        Ok(DataLoader { dataset, batch_size, seed: None, drop_last: false, prefetch: 2, next_epoch: 0 })
    }

    /// Shuffles each epoch with an order drawn from `seed` and the epoch number.
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[50, 1])).unwrap();
    /// let loader = DataLoader::new(ds, 50).unwrap().shuffle(7);
    /// assert_ne!(loader.epoch_order(0), loader.epoch_order(1));
    /// ```
    pub fn shuffle(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Whether to leave out a last batch smaller than `batch_size`.
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[10, 1])).unwrap();
    /// assert_eq!(DataLoader::new(ds, 4).unwrap().drop_last(true).len(), 2);
    /// ```
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// How many batches a background thread may build ahead (0: no thread).
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[10, 1])).unwrap();
    /// let mut loader = DataLoader::new(ds, 4).unwrap().prefetch(0);
    /// assert_eq!(loader.iter().count(), 3);
    /// ```
    pub fn prefetch(mut self, batches: usize) -> Self {
        self.prefetch = batches;
        self
    }

    /// The dataset.
    ///
    /// ```
    /// # use derin_data::{DataLoader, Dataset, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[10, 1])).unwrap();
    /// assert_eq!(DataLoader::new(ds, 4).unwrap().dataset().len(), 10);
    /// ```
    pub fn dataset(&self) -> &D {
        &self.dataset
    }

    /// The batch size.
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[10, 1])).unwrap();
    /// assert_eq!(DataLoader::new(ds, 4).unwrap().batch_size(), 4);
    /// ```
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Number of batches per epoch: `⌈n / batch_size⌉`, or `⌊n / batch_size⌋` with
    /// drop-last.
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[9, 1])).unwrap();
    /// assert_eq!(DataLoader::new(ds, 3).unwrap().len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        let n = self.dataset.len();
        if self.drop_last { n / self.batch_size } else { n.div_ceil(self.batch_size) }
    }

    /// Whether an epoch has no batches.
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[3, 1])).unwrap();
    /// assert!(DataLoader::new(ds, 4).unwrap().drop_last(true).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The order in which epoch `epoch` visits the samples (`0..n` without shuffling).
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[3, 1])).unwrap();
    /// assert_eq!(DataLoader::new(ds, 2).unwrap().epoch_order(5), vec![0, 1, 2]);
    /// ```
    pub fn epoch_order(&self, epoch: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.dataset.len()).collect();
        if let Some(seed) = self.seed {
            Rng::seed(seed ^ epoch.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15)).shuffle(&mut order);
        }
        order
    }

    /// The batches of epoch `epoch` (counted from 0), without moving the loader's own
    /// epoch counter.
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[6, 1])).unwrap();
    /// let loader = DataLoader::new(ds, 4).unwrap().shuffle(1);
    /// let a: Vec<_> = loader.epoch(3).map(|b| b.indices).collect();
    /// let b: Vec<_> = loader.epoch(3).map(|b| b.indices).collect();
    /// assert_eq!(a, b);
    /// ```
    pub fn epoch(&self, epoch: u64) -> Batches {
        let mut order = self.epoch_order(epoch);
        order.truncate(self.len() * self.batch_size);
        let chunks: Vec<Vec<usize>> = order.chunks(self.batch_size).map(<[usize]>::to_vec).collect();
        let remaining = chunks.len();
        let dataset = Arc::clone(&self.dataset);
        let source = if self.prefetch == 0 {
            let get: Box<dyn Fn(&[usize]) -> Batch + Send> = Box::new(move |idx| dataset.get_batch(idx));
            Source::Inline { get, chunks: chunks.into_iter() }
        } else {
            let (tx, rx) = sync_channel(self.prefetch);
            let worker = std::thread::spawn(move || {
                for chunk in chunks {
                    if tx.send(dataset.get_batch(&chunk)).is_err() {
                        break; // the iterator was dropped
                    }
                }
            });
            Source::Prefetch { rx, worker: Some(worker) }
        };
        Batches { source, remaining }
    }

    /// The batches of the next epoch: the first call gives epoch 0, the next epoch 1, …
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[30, 1])).unwrap();
    /// let mut loader = DataLoader::new(ds, 30).unwrap().shuffle(3);
    /// let first = loader.iter().next().unwrap().indices;
    /// let second = loader.iter().next().unwrap().indices;
    /// assert_ne!(first, second);
    /// assert_eq!(loader.epoch(0).next().unwrap().indices, first);
    /// ```
    pub fn iter(&mut self) -> Batches {
        let batches = self.epoch(self.next_epoch);
        self.next_epoch += 1;
        batches
    }
}

impl<D: Dataset + Send + Sync + 'static> IntoIterator for &mut DataLoader<D> {
    type Item = Batch;
    type IntoIter = Batches;
    fn into_iter(self) -> Batches {
        self.iter()
    }
}

enum Source {
    Inline { get: Box<dyn Fn(&[usize]) -> Batch + Send>, chunks: std::vec::IntoIter<Vec<usize>> },
    Prefetch { rx: Receiver<Batch>, worker: Option<JoinHandle<()>> },
}

/// The batches of one epoch, from [`DataLoader::iter`] or [`DataLoader::epoch`].
///
/// A panic in the dataset while a batch is prefetched is raised again here, in the
/// thread that asked for the batch.
///
/// ```
/// # use derin_data::{DataLoader, TensorDataset};
/// # use derin_tensor::Tensor;
/// let ds = TensorDataset::unlabeled(Tensor::zeros(&[5, 1])).unwrap();
/// let batches = DataLoader::new(ds, 2).unwrap().epoch(0);
/// assert_eq!(batches.len(), 3);
/// ```
pub struct Batches {
    source: Source,
    remaining: usize,
}

impl Iterator for Batches {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let batch = match &mut self.source {
            Source::Inline { get, chunks } => chunks.next().map(|c| get(&c)),
            Source::Prefetch { rx, worker } => match rx.recv() {
                Ok(batch) => Some(batch),
                Err(_) => {
                    if let Some(Err(panic)) = worker.take().map(JoinHandle::join) {
                        std::panic::resume_unwind(panic);
                    }
                    None
                }
            },
        };
        self.remaining = self.remaining.saturating_sub(usize::from(batch.is_some()));
        batch
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Batches {}

impl Drop for Batches {
    /// Stops the prefetch thread: dropping the receiver makes its next send fail.
    fn drop(&mut self) {
        if let Source::Prefetch { rx, worker } = &mut self.source {
            let (_, dead) = sync_channel(0);
            drop(std::mem::replace(rx, dead));
            if let Some(w) = worker.take() {
                let _ = w.join();
            }
        }
    }
}
