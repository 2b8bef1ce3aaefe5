//! Reliability rules of the training loop: bad token ids are an `Err` before training,
//! and memory stays flat over a long `fit` (each step's graph is freed).

use std::sync::{Arc, Mutex};

use derin_data::Targets;
use derin_nn::{
    Activation, Callback, Dense, Embedding, EpochLog, FitOptions, GlobalAveragePooling1D, Loss, Sequential,
    TrainableModel,
};
use derin_optim::Adam;
use derin_tensor::{Rng, Tensor};

fn text_model() -> Sequential {
    let mut m = Sequential::with_seed(&[4], 0)
        .add(Embedding::new(10, 3).unwrap())
        .unwrap()
        .add(GlobalAveragePooling1D::new().with_data_format(derin_nn::DataFormat::ChannelsLast))
        .unwrap()
        .add(Dense::new(2, Activation::Softmax))
        .unwrap();
    m.compile(Box::new(Adam::new()), Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![]);
    m
}

#[test]
fn bad_token_ids_are_an_error_before_training() {
    let mut m = text_model();
    let before: Vec<Vec<f32>> = derin_nn::Module::weights(&m).iter().map(|p| p.value().to_vec()).collect();
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 12.0, 0.0], &[2, 4]);
    let y = Targets::Labels(vec![0, 1]);
    let err = m.fit(&x, &y, FitOptions { epochs: 1, ..FitOptions::default() }).unwrap_err().to_string();
    assert!(err.contains("token id 12") && err.contains("embedding (Embedding)") && err.contains("fit"), "{err}");
    let after: Vec<Vec<f32>> = derin_nn::Module::weights(&m).iter().map(|p| p.value().to_vec()).collect();
    assert_eq!(before, after, "no step was taken");
    let half = Tensor::from_vec(vec![1.5, 2.0, 3.0, 4.0], &[1, 4]);
    let err = m.predict(&half, 8).unwrap_err().to_string();
    assert!(err.contains("token id 1.5") && err.contains("predict"), "{err}");
    assert!(m.evaluate(&half, &Targets::Labels(vec![0]), 8).is_err());
    // Good ids pass.
    let ok = Tensor::from_vec(vec![1.0, 2.0, 3.0, 9.0], &[1, 4]);
    assert_eq!(m.predict(&ok, 8).unwrap().shape(), &[1, 2]);
}

/// Resident memory in bytes, from `/proc/self/statm` (Linux).
fn rss() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

struct RssLog(Arc<Mutex<Vec<usize>>>);

impl Callback for RssLog {
    fn on_epoch_end(&mut self, _: usize, _: &EpochLog, _: &mut dyn TrainableModel) -> derin_nn::Result<Option<String>> {
        self.0.lock().unwrap().push(rss().unwrap_or(0));
        Ok(None)
    }
}

#[test]
fn memory_stays_flat_over_a_long_fit() {
    if rss().is_none() {
        eprintln!("no /proc/self/statm: nothing to measure on this system");
        return;
    }
    let mut rng = Rng::seed(0);
    let x = Tensor::normal(&[512, 32], 0.0, 1.0, &mut rng);
    let y = Targets::Labels((0..512).map(|i| i % 4).collect());
    let mut m = Sequential::with_seed(&[32], 0)
        .add(Dense::new(256, Activation::Relu))
        .unwrap()
        .add(Dense::new(4, Activation::Softmax))
        .unwrap();
    m.compile(Box::new(Adam::new()), Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let options = FitOptions {
        epochs: 150,
        batch_size: 32,
        callbacks: vec![Box::new(RssLog(log.clone()))],
        ..FitOptions::default()
    };
    m.fit(&x, &y, options).unwrap();
    let rss = log.lock().unwrap().clone();
    // 2,400 steps; a leaked graph would keep at least the activations of every step
    // (32 × 256 floats = 32 KiB each, ~75 MiB in all). Allow 8 MiB of allocator noise
    // between epoch 10 and the end.
    let growth = rss[149] as i64 - rss[9] as i64;
    assert!(growth < 8 << 20, "resident memory grew by {} KiB: {:?}", growth / 1024, &rss[..]);
}
