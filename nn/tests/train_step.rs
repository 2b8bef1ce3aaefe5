//! The open training step through the public API only: a custom `TrainStep` (a GAN on a
//! 1-D Gaussian) driven by `fit` with callbacks and a safetensors checkpoint, the NaN guard
//! on a custom step, `fit` over a `DataLoader` against `fit` over tensors, custom losses,
//! prefixed names for nested models and checkpoints with optimizer state.

use derin_data::{Batch, DataLoader, Dataset, Targets, TensorDataset};
use derin_nn::{
    Activation, CSVLogger, Ctx, Dense, Dropout, EarlyStopping, FitOptions, Loss, ModelCheckpoint, Module, Monitor,
    Result, Sequential, StepLogs, TrainStep, TrainableModel, fit, load_checkpoint, load_weights, losses, prefixed,
    save_checkpoint, save_weights,
};
use derin_optim::{Adam, AdamConfig, Optimizer, Sgd};
use derin_tensor::{Param, Rng, Tensor, no_grad};

/// A GAN whose generator learns to draw from N(3, 0.5²).
struct Gan {
    generator: Sequential,
    discriminator: Sequential,
    g_opt: Adam,
    d_opt: Adam,
    noise: Rng,
}

impl Gan {
    fn new(seed: u64) -> Gan {
        let generator = Sequential::with_seed(&[4], seed)
            .add(Dense::new(16, Activation::Relu))
            .unwrap()
            .add(Dense::new(1, Activation::Linear))
            .unwrap();
        let discriminator = Sequential::with_seed(&[1], seed + 1)
            .add(Dense::new(16, Activation::LeakyRelu(0.2)))
            .unwrap()
            .add(Dense::new(1, Activation::Linear))
            .unwrap();
        let adam = || Adam::try_new(AdamConfig { learning_rate: 0.01, beta_1: 0.5, ..AdamConfig::default() }).unwrap();
        Gan { generator, discriminator, g_opt: adam(), d_opt: adam(), noise: Rng::seed(seed + 2) }
    }

    fn sample(&self, n: usize, seed: u64) -> Vec<f32> {
        let z = Tensor::normal(&[n, 4], 0.0, 1.0, &mut Rng::seed(seed));
        no_grad(|| self.generator.forward(&z, &mut Ctx::eval())).to_vec()
    }
}

impl TrainableModel for Gan {
    fn model_weights(&self) -> Vec<Param> {
        let mut w = prefixed("generator", self.generator.weights());
        w.extend(prefixed("discriminator", self.discriminator.weights()));
        w
    }
}

impl TrainStep for Gan {
    type Batch = Batch;

    fn train_step(&mut self, batch: &Batch, ctx: &mut Ctx) -> Result<StepLogs> {
        let n = batch.len();
        let (ones, zeros) = (Tensor::ones(&[n, 1]), Tensor::zeros(&[n, 1]));
        let z = Tensor::normal(&[n, 4], 0.0, 1.0, &mut self.noise);
        let fake = no_grad(|| self.generator.forward(&z, ctx));
        let d_loss = losses::binary_crossentropy(&self.discriminator.forward(&batch.x, ctx), &ones, true)
            + losses::binary_crossentropy(&self.discriminator.forward(&fake, ctx), &zeros, true);
        let d_value = d_loss.item();
        self.d_opt.step(&self.discriminator.params(), &d_loss.backward());
        let z = Tensor::normal(&[n, 4], 0.0, 1.0, &mut self.noise);
        let judged = self.discriminator.forward(&self.generator.forward(&z, ctx), ctx);
        let g_loss = losses::binary_crossentropy(&judged, &ones, true);
        let g_value = g_loss.item();
        self.g_opt.step(&self.generator.params(), &g_loss.backward());
        Ok(StepLogs::new(n).with("d_loss", d_value).with("g_loss", g_value))
    }
}

fn mean_std(v: &[f32]) -> (f32, f32) {
    let m = v.iter().sum::<f32>() / v.len() as f32;
    (m, (v.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / v.len() as f32).sqrt())
}

#[test]
fn a_gan_step_trains_through_fit_with_callbacks_and_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let real = Tensor::normal(&[2048, 1], 3.0, 0.5, &mut Rng::seed(9));
    let mut loader = DataLoader::new(TensorDataset::unlabeled(real).unwrap(), 64).unwrap().shuffle(0);
    let mut gan = Gan::new(0);
    let (before, _) = mean_std(&gan.sample(2000, 1));
    let csv = dir.path().join("gan.csv");
    let ckpt = dir.path().join("gan_{epoch}.safetensors");
    let callbacks: Vec<Box<dyn derin_nn::Callback>> =
        vec![Box::new(CSVLogger::new(&csv)), Box::new(ModelCheckpoint::new(&ckpt).monitor(Monitor::Key("g_loss")))];
    let options = FitOptions { epochs: 40, callbacks, ..FitOptions::default() };
    let history = fit(&mut gan, &mut loader, None, options).unwrap();

    assert_eq!(history.get("d_loss").len(), 40);
    assert!(history.loss().is_empty(), "a GAN logs no `loss`");
    let (mean, std) = mean_std(&gan.sample(2000, 1));
    assert!((before - 3.0).abs() > 1.5, "the untrained generator is far from the data: mean {before}");
    assert!((mean - 3.0).abs() < 0.3, "generated mean {mean} (data: 3)");
    assert!((0.2..1.0).contains(&std), "generated std {std} (data: 0.5)");
    // At equilibrium the discriminator's loss is near 2·ln 2.
    let d_last = history.get("d_loss")[39];
    assert!((0.9..1.8).contains(&d_last), "d_loss {d_last}");

    let log = std::fs::read_to_string(&csv).unwrap();
    assert!(log.starts_with("epoch,d_loss,g_loss\n0,"), "{log}");
    assert_eq!(log.lines().count(), 41);
    // The last checkpoint holds the final weights: a fresh GAN loaded from it generates
    // the same numbers.
    let fresh = Gan::new(5);
    assert_ne!(fresh.sample(8, 2), gan.sample(8, 2));
    load_weights(dir.path().join("gan_40.safetensors"), &fresh.model_weights()).unwrap();
    assert_eq!(fresh.sample(8, 2), gan.sample(8, 2));
}

#[test]
fn monitors_that_a_custom_step_does_not_log_are_errors() {
    let real = Tensor::normal(&[64, 1], 3.0, 0.5, &mut Rng::seed(9));
    let mut batches = vec![Batch { x: real, y: Targets::Unlabeled, indices: (0..64).collect() }];
    let mut gan = Gan::new(0);
    let stop = EarlyStopping { monitor: Monitor::Loss, ..EarlyStopping::default() };
    let options = FitOptions { epochs: 2, early_stopping: Some(stop), ..FitOptions::default() };
    let err = fit(&mut gan, &mut batches, None, options).unwrap_err().to_string();
    assert!(err.contains("EarlyStopping monitors loss, which is not logged") && err.contains("\"g_loss\""), "{err}");
    // Validation needs a test_step, which this GAN does not have.
    let mut val = batches.clone();
    let err = fit(&mut gan, &mut batches, Some(&mut val), FitOptions::default()).unwrap_err().to_string();
    assert!(err.contains("no test_step"), "{err}");
}

/// A step that turns its weight into NaN at the third batch.
struct Breaks {
    w: Param,
    steps: usize,
}

impl TrainableModel for Breaks {
    fn model_weights(&self) -> Vec<Param> {
        vec![self.w.clone()]
    }
}

impl TrainStep for Breaks {
    type Batch = f32;
    fn train_step(&mut self, x: &f32, _: &mut Ctx) -> Result<StepLogs> {
        self.steps += 1;
        let next = if self.steps == 3 { f32::NAN } else { self.w.value().item() + x };
        self.w.set(Tensor::from_vec(vec![next], &[1]).to_array());
        Ok(StepLogs::new(1).with("loss", next))
    }
}

#[test]
fn the_nan_guard_keeps_the_weights_from_before_a_custom_step() {
    let mut model = Breaks { w: Param::new("w", Tensor::zeros(&[1]).to_array()), steps: 0 };
    let mut batches = vec![1.0f32, 2.0, 4.0, 8.0];
    let h = fit(&mut model, &mut batches, None, FitOptions { epochs: 3, ..FitOptions::default() }).unwrap();
    let why = h.stopped.unwrap();
    assert!(why.contains("loss became NaN at epoch 1, batch 3"), "{why}");
    assert_eq!(model.w.value().item(), 3.0); // 1 + 2, the third step undone
    assert!(h.epochs.is_empty());
}

fn classifier(seed: u64) -> Sequential {
    let mut m = Sequential::with_seed(&[4], seed)
        .add(Dense::new(8, Activation::Relu))
        .unwrap()
        .add(Dropout::new(0.25).unwrap())
        .unwrap()
        .add(Dense::new(3, Activation::Softmax))
        .unwrap();
    m.compile(
        Box::new(Sgd::new()),
        Loss::SparseCategoricalCrossentropy { from_logits: false },
        vec![derin_nn::Metric::Accuracy],
    );
    m
}

#[test]
fn fit_over_a_loader_is_fit_over_tensors() {
    let x = Tensor::uniform(&[40, 4], -1.0, 1.0, &mut Rng::seed(1));
    let labels: Vec<usize> = (0..40).map(|i| i % 3).collect();
    let (xv, yv) = (x.narrow(0, 0, 10), labels[..10].to_vec());
    let options = || FitOptions { epochs: 3, batch_size: 8, shuffle: false, seed: 4, ..FitOptions::default() };

    let mut a = classifier(2);
    let ha = a
        .fit_with_validation_data(&x, &Targets::Labels(labels.clone()), &xv, &Targets::Labels(yv.clone()), options())
        .unwrap();
    let mut b = classifier(2);
    let mut train = DataLoader::new(TensorDataset::with_labels(x.clone(), labels).unwrap(), 8).unwrap();
    let mut val = DataLoader::new(TensorDataset::with_labels(xv, yv).unwrap(), 8).unwrap();
    let hb = fit(&mut b, &mut train, Some(&mut val), options()).unwrap();

    assert_eq!(ha, hb);
    assert_eq!(hb.epochs[0].names(), vec!["loss", "accuracy", "val_loss", "val_accuracy"]);
    for (p, q) in a.weights().iter().zip(b.weights()) {
        assert_eq!(p.value().to_vec(), q.value().to_vec(), "{}", p.name());
    }
}

#[test]
fn a_custom_loss_trains_as_the_builtin_one() {
    let x = Tensor::uniform(&[16, 4], -1.0, 1.0, &mut Rng::seed(1));
    let y = Targets::Values(Tensor::uniform(&[16, 3], 0.0, 1.0, &mut Rng::seed(2)));
    let run = |loss: Loss| {
        let mut m = classifier(3);
        m.compile(Box::new(Sgd::new()), loss, vec![]);
        m.fit(&x, &y, FitOptions { epochs: 2, batch_size: 4, ..FitOptions::default() }).unwrap().loss()
    };
    let custom = Loss::custom("my_mse", |pred, y| {
        let y = y.values().expect("values");
        Ok((pred - y).square().mean(&[1], false))
    });
    assert_eq!(run(custom), run(Loss::MeanSquaredError));
    // A custom loss that returns the wrong shape is an error naming it.
    let bad = Loss::custom("bad", |pred, _| Ok(pred.sum(&[0], false)));
    let mut m = classifier(3);
    m.compile(Box::new(Sgd::new()), bad, vec![]);
    let err = m.fit(&x, &y, FitOptions::default()).unwrap_err().to_string();
    assert!(err.contains("bad returned shape [3] for predictions [16, 3]"), "{err}");
}

#[test]
fn prefixed_names_keep_nested_models_apart() {
    let (a, b) = (classifier(1), classifier(2));
    let both: Vec<Param> = a.weights().into_iter().chain(b.weights()).collect();
    let dir = tempfile::tempdir().unwrap();
    let err = save_weights(dir.path().join("w.safetensors"), &both).unwrap_err().to_string();
    assert!(err.contains("\"dense/kernel\" is given twice"), "{err}");

    let both: Vec<Param> = prefixed("a", a.weights()).into_iter().chain(prefixed("b", b.weights())).collect();
    assert_eq!(both[0].name(), "a/dense/kernel");
    // One optimizer over both models: names are unique, so it steps.
    let x = Tensor::ones(&[2, 4]);
    let loss = (a.forward(&x, &mut Ctx::eval()) - b.forward(&x, &mut Ctx::eval())).square().sum_all();
    let before = both[0].value().to_vec();
    Sgd::new().step(&both, &loss.backward());
    assert_ne!(both[0].value().to_vec(), before);
    save_weights(dir.path().join("w.safetensors"), &both).unwrap();
}

#[test]
fn a_checkpoint_with_optimizer_state_resumes_exactly() {
    let x = Tensor::uniform(&[8, 1], -1.0, 1.0, &mut Rng::seed(3));
    let w = Param::new("w", Tensor::from_vec(vec![0.5], &[1, 1]).to_array());
    let mut adam = Adam::new();
    let step = |w: &Param, opt: &mut Adam| {
        let loss = (x.matmul(&w.value()) - &x.mul_scalar(2.0)).square().mean_all();
        opt.step(&[w.clone()], &loss.backward());
    };
    step(&w, &mut adam);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ckpt.safetensors");
    save_checkpoint(&path, &[w.clone()], &[("adam", &adam)]).unwrap();
    step(&w, &mut adam);
    step(&w, &mut adam);
    let straight = w.value().to_vec();

    let w2 = Param::new("w", Tensor::zeros(&[1, 1]).to_array());
    let mut adam2 = Adam::new();
    load_checkpoint(&path, &[w2.clone()], &mut [("adam", &mut adam2, &[w2.clone()])]).unwrap();
    assert_eq!(adam2.iterations(), 1);
    step(&w2, &mut adam2);
    step(&w2, &mut adam2);
    assert_eq!(w2.value().to_vec(), straight);
    // An optimizer the file does not hold is an error naming it.
    let mut sgd = Sgd::new();
    let err = load_checkpoint(&path, &[w2.clone()], &mut [("sgd", &mut sgd, &[w2.clone()])]).unwrap_err();
    assert!(err.to_string().contains("holds no state of optimizer \"sgd\""), "{err}");
}

/// Image `i` (4 pixels) shows `i % 4` boxes; item 13 cannot be read when `broken`.
struct Boxes {
    broken: bool,
}

impl Dataset for Boxes {
    type Item = (Tensor, Vec<[f32; 4]>);
    fn len(&self) -> usize {
        32
    }
    fn get(&self, i: usize) -> derin_data::Result<Self::Item> {
        if self.broken && i == 13 {
            let reason = "image 13 is truncated".to_string();
            return Err(derin_data::Error::Invalid { op: "Boxes::get", reason });
        }
        let count = i % 4;
        let image = Tensor::from_vec(vec![count as f32, 1.0, (i % 2) as f32, 0.5], &[4]);
        Ok((image, vec![[0.0, 0.0, 1.0, 1.0]; count]))
    }
}

/// Images stacked `[n, 4]`, boxes kept per image.
fn collate_boxes(items: Vec<(Tensor, Vec<[f32; 4]>)>, _: &[usize]) -> derin_data::Result<(Tensor, Vec<Vec<[f32; 4]>>)> {
    let images: Vec<&Tensor> = items.iter().map(|(x, _)| x).collect();
    let x = Tensor::stack(&images, 0);
    Ok((x, items.into_iter().map(|(_, b)| b).collect()))
}

/// Learns to count the boxes of an image; its loss is made of tensors, built per batch
/// from the ragged box lists.
struct Counter {
    net: Sequential,
    opt: Adam,
}

impl TrainableModel for Counter {
    fn model_weights(&self) -> Vec<Param> {
        self.net.weights()
    }
}

impl TrainStep for Counter {
    type Batch = (Tensor, Vec<Vec<[f32; 4]>>);
    fn train_step(&mut self, (x, boxes): &Self::Batch, ctx: &mut Ctx) -> Result<StepLogs> {
        let counts: Vec<f32> = boxes.iter().map(|b| b.len() as f32).collect();
        let target = Tensor::from_vec(counts, &[boxes.len(), 1]);
        let loss = losses::huber(&self.net.forward(x, ctx), &target, 1.0);
        let value = loss.item();
        self.opt.step(&self.net.params(), &loss.backward());
        Ok(StepLogs::new(boxes.len()).with("loss", value))
    }

    fn test_step(&mut self, (x, boxes): &Self::Batch) -> Result<StepLogs> {
        let counts: Vec<f32> = boxes.iter().map(|b| b.len() as f32).collect();
        let pred = no_grad(|| self.net.forward(x, &mut Ctx::eval()));
        let target = Tensor::from_vec(counts, &[boxes.len(), 1]);
        Ok(StepLogs::new(boxes.len()).with("loss", losses::huber(&pred, &target, 1.0).item()))
    }
}

#[test]
fn fit_takes_a_loader_of_ragged_items_and_reports_an_unreadable_one() {
    let net = Sequential::with_seed(&[4], 0).add(Dense::new(1, Activation::Linear)).unwrap();
    let opt = Adam::try_new(AdamConfig { learning_rate: 0.05, ..AdamConfig::default() }).unwrap();
    let mut model = Counter { net, opt };
    let loader = || DataLoader::new(Boxes { broken: false }, 8).unwrap().shuffle(1).workers(2);
    let (mut train, mut val) = (loader().collate_fn(collate_boxes), loader().collate_fn(collate_boxes));
    let h = fit(&mut model, &mut train, Some(&mut val), FitOptions { epochs: 60, ..FitOptions::default() }).unwrap();
    let (first, last) = (h.val_loss()[0], h.val_loss()[59]);
    assert!(last < 0.01 && last < first / 20.0, "validation loss {first} → {last}");

    let mut broken = DataLoader::new(Boxes { broken: true }, 8).unwrap().collate_fn(collate_boxes);
    let err = fit(&mut model, &mut broken, None, FitOptions::default()).unwrap_err().to_string();
    assert_eq!(err, "DataLoader: item 13: Boxes::get: image 13 is truncated");
}

#[test]
fn nested_sequentials_prefix_their_weights() {
    let inner = |seed| Sequential::with_seed(&[2], seed).add(Dense::new(2, Activation::Relu)).unwrap();
    let mut outer = Sequential::new(&[2]).add(inner(1)).unwrap().add(inner(2)).unwrap();
    let names: Vec<String> = outer.weights().iter().map(|p| p.name().to_string()).collect();
    assert_eq!(
        names,
        ["sequential/dense/kernel", "sequential/dense/bias", "sequential_1/dense/kernel", "sequential_1/dense/bias"]
    );
    // Both trunks train under one optimizer (their `dense/kernel`s used to collide).
    outer.compile(Box::new(Sgd::new()), Loss::MeanSquaredError, vec![]);
    let (x, y) = (Tensor::ones(&[4, 2]), Targets::Values(Tensor::full(&[4, 2], 3.0)));
    let first = outer.train_on_batch(&x, &y).unwrap();
    assert!(outer.train_on_batch(&x, &y).unwrap() < first);
}
