//! Datasets and the `DataLoader`: every sample once per epoch, seeded orders, drop-last,
//! prefetching and worker threads that change nothing but timing, ragged items through a
//! collate of their own, and unreadable items as errors naming them.

use std::sync::Arc;

use derin_data::{Batch, DataLoader, Dataset, Error, Result, Sample, Subset, Target, Targets, TensorDataset};
use derin_tensor::Tensor;
use proptest::prelude::*;

/// Row `i` of x is `[i, 10 i]`, its label `i mod 3`.
fn dataset(n: usize) -> TensorDataset {
    let x: Vec<f32> = (0..n).flat_map(|i| [i as f32, 10.0 * i as f32]).collect();
    TensorDataset::with_labels(Tensor::from_vec(x, &[n, 2]), (0..n).map(|i| i % 3).collect()).unwrap()
}

fn epoch_batches<D: Dataset<Item = Sample> + Send + Sync + 'static>(loader: &DataLoader<D>, epoch: u64) -> Vec<Batch> {
    loader.epoch(epoch).map(|b| b.unwrap()).collect()
}

fn assert_same(a: &[Batch], b: &[Batch]) {
    assert_eq!(a.len(), b.len());
    for (p, q) in a.iter().zip(b) {
        assert_eq!(p.indices, q.indices);
        assert_eq!(p.x.shape(), q.x.shape());
        assert_eq!(p.x.to_vec(), q.x.to_vec());
        assert_eq!(p.y.labels(), q.y.labels());
    }
}

#[test]
fn batches_hold_the_rows_they_name() {
    let loader = DataLoader::new(dataset(10), 4).unwrap().shuffle(5);
    for b in loader.epoch(0).map(|b| b.unwrap()) {
        let want: Vec<f32> = b.indices.iter().flat_map(|&i| [i as f32, 10.0 * i as f32]).collect();
        assert_eq!(b.x.to_vec(), want);
        assert_eq!(b.y.labels().unwrap(), b.indices.iter().map(|i| i % 3).collect::<Vec<_>>());
    }
}

#[test]
fn drop_last_sizes() {
    let keep = DataLoader::new(dataset(10), 4).unwrap();
    let sizes: Vec<usize> = keep.epoch(0).map(|b| b.unwrap().len()).collect();
    assert_eq!((keep.len(), sizes), (3, vec![4, 4, 2]));
    let drop = DataLoader::new(dataset(10), 4).unwrap().drop_last(true).shuffle(1);
    let sizes: Vec<usize> = drop.epoch(0).map(|b| b.unwrap().len()).collect();
    assert_eq!((drop.len(), sizes), (2, vec![4, 4]));
    assert_eq!(drop.epoch(0).len(), 2);
    let exact = DataLoader::new(dataset(8), 4).unwrap().drop_last(true);
    assert_eq!(exact.epoch(0).map(|b| b.unwrap().len()).collect::<Vec<_>>(), vec![4, 4]);
}

#[test]
fn orders_are_seeded_per_epoch() {
    let a = DataLoader::new(dataset(40), 8).unwrap().shuffle(11);
    let b = DataLoader::new(dataset(40), 8).unwrap().shuffle(11);
    let c = DataLoader::new(dataset(40), 8).unwrap().shuffle(12);
    assert_same(&epoch_batches(&a, 0), &epoch_batches(&b, 0));
    assert_ne!(a.epoch_order(0), a.epoch_order(1));
    assert_ne!(a.epoch_order(0), c.epoch_order(0));
    // `iter` walks epochs 0, 1, 2, … in turn.
    let mut d = DataLoader::new(dataset(40), 8).unwrap().shuffle(11);
    let first: Vec<Batch> = d.iter().map(|b| b.unwrap()).collect();
    let second: Vec<Batch> = (&mut d).into_iter().map(|b| b.unwrap()).collect();
    assert_same(&first, &epoch_batches(&a, 0));
    assert_same(&second, &epoch_batches(&a, 1));
    // Without shuffling, dataset order every epoch.
    let plain = DataLoader::new(dataset(5), 2).unwrap();
    assert_eq!(plain.epoch(7).flat_map(|b| b.unwrap().indices).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn an_early_drop_stops_the_prefetch_thread() {
    let loader = DataLoader::new(dataset(1000), 1).unwrap().prefetch(1);
    let mut batches = loader.epoch(0);
    assert_eq!(batches.next().unwrap().unwrap().indices, vec![0]);
    drop(batches); // must not hang waiting for 999 more sends
    let mut batches = DataLoader::new(dataset(1000), 1).unwrap().workers(3).epoch(0);
    assert_eq!(batches.next().unwrap().unwrap().indices, vec![0]);
    drop(batches);
}

/// Panics on sample 3.
struct Faulty;
impl Dataset for Faulty {
    type Item = Sample;
    fn len(&self) -> usize {
        6
    }
    fn get(&self, i: usize) -> Result<Sample> {
        assert!(i != 3, "sample 3 is broken");
        Ok(Sample { x: Tensor::zeros(&[1]), y: Target::Unlabeled })
    }
}

#[test]
#[should_panic(expected = "sample 3 is broken")]
fn a_panic_while_prefetching_reaches_the_caller() {
    let loader = DataLoader::new(Faulty, 2).unwrap().prefetch(2);
    for _ in loader.epoch(0) {}
}

#[test]
fn stacking_gives_the_gathered_batch_and_subsets_map_indices() {
    let x = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[4, 3]);
    let y = Tensor::from_vec(vec![0.5, 1.5, 2.5, 3.5], &[4, 1]);
    let whole = Arc::new(TensorDataset::with_values(x, y).unwrap());
    let part = Subset::new(Arc::clone(&whole), vec![3, 1]).unwrap();
    let b = DataLoader::new(part, 2).unwrap().epoch(0).next().unwrap().unwrap();
    assert_eq!(b.indices, vec![0, 1]); // the subset's own indices
    assert_eq!(b.x.to_vec(), vec![9.0, 10.0, 11.0, 3.0, 4.0, 5.0]);
    assert_eq!(b.y.values().unwrap().to_vec(), vec![3.5, 1.5]);
    // Stacking samples gives the same batch as TensorDataset's gather.
    let gathered = whole.get_batch(&[3, 1]);
    assert_eq!(gathered.x.to_vec(), b.x.to_vec());
    let samples: Vec<Sample> = [3, 1].iter().map(|&i| whole.get(i).unwrap()).collect();
    let collated = Batch::collate(samples, vec![3, 1]).unwrap();
    assert_eq!(collated.x.to_vec(), b.x.to_vec());
    assert_eq!(collated.y.values().unwrap().shape(), &[2, 1]);
    assert!(matches!(TensorDataset::unlabeled(Tensor::zeros(&[2])).unwrap().get_batch(&[1]).y, Targets::Unlabeled));
}

#[test]
fn dataset_errors() {
    assert!(TensorDataset::with_labels(Tensor::scalar(1.0), vec![]).is_err());
    let msg = TensorDataset::with_values(Tensor::zeros(&[3, 1]), Tensor::zeros(&[2, 1])).unwrap_err().to_string();
    assert!(msg.contains("2 target rows for 3 samples"), "{msg}");
    assert!(DataLoader::new(dataset(3), 0).is_err());
}

proptest! {
    #[test]
    fn every_sample_once_per_epoch_and_prefetch_changes_nothing(
        n in 1usize..60, batch in 1usize..17, seed in any::<u64>(), drop_last in any::<bool>(), prefetch in 1usize..4,
        workers in 1usize..4,
    ) {
        let inline = DataLoader::new(dataset(n), batch).unwrap().shuffle(seed).drop_last(drop_last).prefetch(0);
        let ahead = DataLoader::new(dataset(n), batch)
            .unwrap()
            .shuffle(seed)
            .drop_last(drop_last)
            .prefetch(prefetch)
            .workers(workers);
        for epoch in 0..2 {
            let a = epoch_batches(&inline, epoch);
            assert_same(&a, &epoch_batches(&ahead, epoch));
            prop_assert_eq!(a.len(), inline.len());
            let mut seen: Vec<usize> = a.iter().flat_map(|b| b.indices.clone()).collect();
            seen.sort_unstable();
            let before = seen.len();
            seen.dedup();
            prop_assert_eq!(seen.len(), before);
            if drop_last {
                prop_assert_eq!(before, n / batch * batch);
                prop_assert!(a.iter().all(|b| b.len() == batch));
            } else {
                prop_assert_eq!(seen, (0..n).collect::<Vec<_>>());
            }
        }
    }
}

/// Image `i` has `i % 3` boxes of 4 coordinates; item 5 cannot be read when `broken`.
struct Detections {
    broken: bool,
}

impl Dataset for Detections {
    type Item = (Tensor, Vec<[f32; 4]>);
    fn len(&self) -> usize {
        7
    }
    fn get(&self, i: usize) -> Result<Self::Item> {
        if self.broken && i == 5 {
            return Err(Error::Io { path: "images/5.png".into(), source: std::io::ErrorKind::NotFound.into() });
        }
        let boxes = (0..i % 3).map(|k| [i as f32, k as f32, i as f32 + 1.0, k as f32 + 1.0]).collect();
        Ok((Tensor::full(&[1, 2, 2], i as f32), boxes))
    }
}

/// Images stacked, boxes kept as one list per image, with the image each box belongs to.
struct DetectionBatch {
    images: Tensor,
    boxes: Vec<Vec<[f32; 4]>>,
    indices: Vec<usize>,
}

fn collate_detections(items: Vec<(Tensor, Vec<[f32; 4]>)>, indices: &[usize]) -> Result<DetectionBatch> {
    let images: Vec<&Tensor> = items.iter().map(|(x, _)| x).collect();
    let images = Tensor::stack(&images, 0);
    Ok(DetectionBatch { images, boxes: items.into_iter().map(|(_, b)| b).collect(), indices: indices.to_vec() })
}

#[test]
fn ragged_items_batch_through_a_collate_of_their_own() {
    let loader =
        DataLoader::new(Detections { broken: false }, 3).unwrap().shuffle(2).workers(2).collate_fn(collate_detections);
    let batches: Vec<DetectionBatch> = loader.epoch(0).map(|b| b.unwrap()).collect();
    assert_eq!(batches.len(), 3);
    for b in &batches {
        assert_eq!(b.images.shape()[1..], [1, 2, 2]);
        for (k, &i) in b.indices.iter().enumerate() {
            assert_eq!(b.boxes[k].len(), i % 3, "image {i}");
            assert_eq!(b.images.narrow(0, k, 1).to_vec(), vec![i as f32; 4]);
        }
    }
    // The same order from one thread, from several, and without prefetching.
    let again =
        DataLoader::new(Detections { broken: false }, 3).unwrap().shuffle(2).prefetch(0).collate_fn(collate_detections);
    let order: Vec<Vec<usize>> = again.epoch(0).map(|b| b.unwrap().indices).collect();
    assert_eq!(order, batches.iter().map(|b| b.indices.clone()).collect::<Vec<_>>());
}

#[test]
fn token_sequences_are_padded_per_batch() {
    struct Sentences;
    impl Dataset for Sentences {
        type Item = Vec<usize>;
        fn len(&self) -> usize {
            6
        }
        fn get(&self, i: usize) -> Result<Vec<usize>> {
            Ok((1..=[3, 1, 5, 2, 2, 4][i]).collect())
        }
    }
    let pad = |items: Vec<Vec<usize>>, _: &[usize]| -> Result<Vec<Vec<usize>>> {
        let longest = items.iter().map(Vec::len).max().unwrap_or(0);
        Ok(items
            .into_iter()
            .map(|mut s| {
                s.resize(longest, 0);
                s
            })
            .collect())
    };
    let loader = DataLoader::new(Sentences, 2).unwrap().collate_fn(pad);
    let widths: Vec<usize> = loader.epoch(0).map(|b| b.unwrap()[0].len()).collect();
    assert_eq!(widths, vec![3, 5, 4]);
}

#[test]
fn an_unreadable_item_is_an_error_naming_it_and_the_epoch_goes_on() {
    for (prefetch, workers) in [(0, 1), (2, 1), (1, 3)] {
        let loader = DataLoader::new(Detections { broken: true }, 2)
            .unwrap()
            .prefetch(prefetch)
            .workers(workers)
            .collate_fn(collate_detections);
        let results: Vec<Result<DetectionBatch>> = loader.epoch(0).collect();
        assert_eq!(results.len(), 4);
        let errors: Vec<String> = results.iter().filter_map(|r| r.as_ref().err().map(ToString::to_string)).collect();
        assert_eq!(errors, vec!["item 5: images/5.png: entity not found".to_string()], "prefetch {prefetch}");
    }
}

#[test]
fn ragged_samples_are_an_error_from_the_default_stack() {
    struct Ragged;
    impl Dataset for Ragged {
        type Item = Sample;
        fn len(&self) -> usize {
            3
        }
        fn get(&self, i: usize) -> Result<Sample> {
            Ok(Sample { x: Tensor::zeros(&[i + 1]), y: Target::Label(0) })
        }
    }
    let err = DataLoader::new(Ragged, 3).unwrap().epoch(0).next().unwrap().unwrap_err().to_string();
    assert!(err.contains("sample 1 (index 1) has input shape [2], sample 0 (index 0) has [1]"), "{err}");
}
