//! `DataLoader`: batches of any [`Dataset`] per epoch, with seeded shuffling, drop-last, a
//! collate of your choice, and background worker threads that keep batch order.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use derin_tensor::Rng;

use crate::collate::{Collate, Stack};
use crate::dataset::Dataset;
use crate::error::{Error, Result};

/// Splits a dataset into batches, epoch after epoch.
///
/// Each batch is the items of `batch_size` indices, read with [`Dataset::get`] and joined
/// by the collate ([`Stack`] by default; any other with
/// [`collate_fn`](Self::collate_fn)). With [`shuffle`](Self::shuffle) each epoch visits
/// the items in a new order that depends only on the seed and the epoch number, so runs
/// repeat exactly. With [`prefetch`](Self::prefetch)`(n)` (2 by default) background
/// threads ([`workers`](Self::workers), 1 by default) build up to `n` batches each ahead of
/// the training loop, and hand them over in batch order; `prefetch(0)` builds each batch
/// when asked. Either way the batches are the same. An item that cannot be read is an
/// `Err` in place of its batch, naming the item.
///
/// ```
/// use derin_data::{DataLoader, TensorDataset};
/// use derin_tensor::Tensor;
/// let ds = TensorDataset::with_labels(Tensor::zeros(&[10, 3]), (0..10).collect()).unwrap();
/// let mut loader = DataLoader::new(ds, 4).unwrap().shuffle(42).workers(2);
/// assert_eq!(loader.len(), 3); // 4 + 4 + 2
/// let mut seen: Vec<usize> = loader.iter().flat_map(|b| b.unwrap().indices).collect();
/// seen.sort();
/// assert_eq!(seen, (0..10).collect::<Vec<_>>());
/// ```
#[derive(Debug)]
pub struct DataLoader<D, C = Stack> {
    dataset: Arc<D>,
    collate: Arc<C>,
    batch_size: usize,
    seed: Option<u64>,
    drop_last: bool,
    prefetch: usize,
    workers: usize,
    next_epoch: u64,
}

impl<D: Dataset> DataLoader<D, Stack> {
    /// Batches of `batch_size` in dataset order, the last one possibly smaller, stacked
    /// by [`Stack`], with 2 batches prefetched by one background thread.
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
        let collate = Arc::new(Stack);
        Ok(DataLoader {
            dataset,
            collate,
            batch_size,
            seed: None,
            drop_last: false,
            prefetch: 2,
            workers: 1,
            next_epoch: 0,
        })
    }
}

impl<D: Dataset, C> DataLoader<D, C> {
    /// The same loader with another collate: a [`Collate`] or a closure
    /// `Fn(Vec<Item>, &[usize]) -> Result<B>` (PyTorch's `collate_fn`).
    ///
    /// ```
    /// use derin_data::{DataLoader, Dataset, Result};
    /// /// Sentence `i` is `i + 1` tokens long.
    /// struct Sentences;
    /// impl Dataset for Sentences {
    ///     type Item = Vec<usize>;
    ///     fn len(&self) -> usize { 5 }
    ///     fn get(&self, i: usize) -> Result<Vec<usize>> { Ok((1..=i + 1).collect()) }
    /// }
    /// let pad = |items: Vec<Vec<usize>>, _: &[usize]| -> Result<Vec<Vec<usize>>> {
    ///     let longest = items.iter().map(Vec::len).max().unwrap_or(0);
    ///     Ok(items.into_iter().map(|mut s| { s.resize(longest, 0); s }).collect())
    /// };
    /// let loader = DataLoader::new(Sentences, 2).unwrap().collate_fn(pad);
    /// let first = loader.epoch(0).next().unwrap().unwrap();
    /// assert_eq!(first, vec![vec![1, 0], vec![1, 2]]);
    /// ```
    pub fn collate_fn<C2: Collate<D::Item>>(self, collate: C2) -> DataLoader<D, C2> {
        let DataLoader { dataset, batch_size, seed, drop_last, prefetch, workers, next_epoch, .. } = self;
        DataLoader { dataset, collate: Arc::new(collate), batch_size, seed, drop_last, prefetch, workers, next_epoch }
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

    /// How many batches each background thread may build ahead (0: no thread, each batch
    /// is built when asked).
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

    /// How many background threads build batches (PyTorch's `num_workers`; at least 1;
    /// unused with `prefetch(0)`). Thread `k` builds batches `k`, `k + n`, …, and the
    /// batches come out in order whatever the threads' speeds.
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::with_labels(Tensor::zeros(&[9, 1]), (0..9).collect()).unwrap();
    /// let loader = DataLoader::new(ds, 2).unwrap().workers(3);
    /// let order: Vec<usize> = loader.epoch(0).flat_map(|b| b.unwrap().indices).collect();
    /// assert_eq!(order, (0..9).collect::<Vec<_>>());
    /// ```
    pub fn workers(mut self, threads: usize) -> Self {
        self.workers = threads.max(1);
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

    /// Items per batch.
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

    /// The order in which epoch `epoch` visits the items (`0..n` without shuffling).
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
}

impl<D, C> DataLoader<D, C>
where
    D: Dataset + Send + Sync + 'static,
    C: Collate<D::Item> + 'static,
    C::Batch: Send + 'static,
{
    /// The batches of epoch `epoch` (counted from 0), without moving the loader's own
    /// epoch counter.
    ///
    /// ```
    /// # use derin_data::{DataLoader, TensorDataset};
    /// # use derin_tensor::Tensor;
    /// let ds = TensorDataset::unlabeled(Tensor::zeros(&[6, 1])).unwrap();
    /// let loader = DataLoader::new(ds, 4).unwrap().shuffle(1);
    /// let a: Vec<_> = loader.epoch(3).map(|b| b.unwrap().indices).collect();
    /// let b: Vec<_> = loader.epoch(3).map(|b| b.unwrap().indices).collect();
    /// assert_eq!(a, b);
    /// ```
    pub fn epoch(&self, epoch: u64) -> Batches<C::Batch> {
        let mut order = self.epoch_order(epoch);
        order.truncate(self.len() * self.batch_size);
        let chunks: Vec<Vec<usize>> = order.chunks(self.batch_size).map(<[usize]>::to_vec).collect();
        let remaining = chunks.len();
        let (dataset, collate) = (Arc::clone(&self.dataset), Arc::clone(&self.collate));
        let make = move |idx: &[usize]| load_batch(&*dataset, &*collate, idx);
        let source = if self.prefetch == 0 {
            Source::Inline { make: Box::new(make), chunks: chunks.into_iter() }
        } else {
            let make = Arc::new(make);
            let threads = self.workers.min(chunks.len()).max(1);
            let (mut receivers, mut handles) = (Vec::new(), Vec::new());
            for k in 0..threads {
                let (tx, rx) = sync_channel(self.prefetch);
                let mine: Vec<Vec<usize>> = chunks.iter().skip(k).step_by(threads).cloned().collect();
                let make = Arc::clone(&make);
                handles.push(Some(std::thread::spawn(move || {
                    for chunk in mine {
                        if tx.send(make(&chunk)).is_err() {
                            break; // the iterator was dropped
                        }
                    }
                })));
                receivers.push(rx);
            }
            Source::Workers { receivers, handles, next: 0 }
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
    /// let first = loader.iter().next().unwrap().unwrap().indices;
    /// let second = loader.iter().next().unwrap().unwrap().indices;
    /// assert_ne!(first, second);
    /// assert_eq!(loader.epoch(0).next().unwrap().unwrap().indices, first);
    /// ```
    pub fn iter(&mut self) -> Batches<C::Batch> {
        let batches = self.epoch(self.next_epoch);
        self.next_epoch += 1;
        batches
    }
}

impl<D, C> IntoIterator for &mut DataLoader<D, C>
where
    D: Dataset + Send + Sync + 'static,
    C: Collate<D::Item> + 'static,
    C::Batch: Send + 'static,
{
    type Item = Result<C::Batch>;
    type IntoIter = Batches<C::Batch>;
    fn into_iter(self) -> Batches<C::Batch> {
        self.iter()
    }
}

/// Reads items `idx` and collates them; an unreadable item is an error naming it.
fn load_batch<D: Dataset, C: Collate<D::Item>>(dataset: &D, collate: &C, idx: &[usize]) -> Result<C::Batch> {
    let items = idx
        .iter()
        .map(|&i| dataset.get(i).map_err(|source| Error::Item { index: i, source: Box::new(source) }))
        .collect::<Result<Vec<_>>>()?;
    collate.collate(items, idx)
}

type MakeBatch<B> = Box<dyn Fn(&[usize]) -> Result<B> + Send>;

enum Source<B> {
    Inline { make: MakeBatch<B>, chunks: std::vec::IntoIter<Vec<usize>> },
    Workers { receivers: Vec<Receiver<Result<B>>>, handles: Vec<Option<JoinHandle<()>>>, next: usize },
}

/// The batches of one epoch, in order, from [`DataLoader::iter`] or
/// [`DataLoader::epoch`]: each a `Result`, `Err` when an item could not be read or the
/// items could not be collated.
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
pub struct Batches<B> {
    source: Source<B>,
    remaining: usize,
}

impl<B> Iterator for Batches<B> {
    type Item = Result<B>;

    fn next(&mut self) -> Option<Result<B>> {
        if self.remaining == 0 {
            return None;
        }
        let batch = match &mut self.source {
            Source::Inline { make, chunks } => chunks.next().map(|c| make(&c)),
            Source::Workers { receivers, handles, next } => {
                let k = *next % receivers.len();
                *next += 1;
                match receivers[k].recv() {
                    Ok(batch) => Some(batch),
                    Err(_) => {
                        if let Some(Err(panic)) = handles[k].take().map(JoinHandle::join) {
                            std::panic::resume_unwind(panic);
                        }
                        None
                    }
                }
            }
        };
        self.remaining = if batch.is_some() { self.remaining - 1 } else { 0 };
        batch
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<B> ExactSizeIterator for Batches<B> {}

impl<B> Drop for Batches<B> {
    /// Stops the worker threads: dropping the receivers makes their next send fail.
    fn drop(&mut self) {
        if let Source::Workers { receivers, handles, .. } = &mut self.source {
            receivers.clear();
            for handle in handles.iter_mut().filter_map(Option::take) {
                let _ = handle.join();
            }
        }
    }
}
