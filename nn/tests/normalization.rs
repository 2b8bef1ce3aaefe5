//! Normalization, embedding and masking layers inside `Sequential` models: moving
//! statistics updated by `fit`, frozen BatchNormalization, parameter counts in `summary`,
//! shapes of an Embedding stack.

use derin_data::Targets;
use derin_nn::{
    Activation, BatchNormalization, Ctx, Dense, Embedding, FitOptions, Flatten, LayerNormalization, Loss, Masking,
    Module, Sequential,
};
use derin_optim::{Sgd, SgdConfig};
use derin_tensor::{Param, Tensor};

/// 32 samples of 2 features: feature 0 is 5 + (i mod 4), feature 1 is −3 − 0.5·(i mod 8).
fn shifted() -> (Tensor, Targets) {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for i in 0..32 {
        let (a, b) = (5.0 + (i % 4) as f32, -3.0 - 0.5 * (i % 8) as f32);
        xs.extend([a, b]);
        ys.push(0.5 * (a - 6.5) - (b + 4.75));
    }
    (Tensor::from_vec(xs, &[32, 2]), Targets::Values(Tensor::from_vec(ys, &[32, 1])))
}

fn bn_model() -> Sequential {
    let mut m = Sequential::with_seed(&[2], 1)
        .add(BatchNormalization::new())
        .unwrap()
        .add(Dense::new(1, Activation::Linear))
        .unwrap();
    let sgd = Sgd::try_new(SgdConfig { learning_rate: 0.1, ..SgdConfig::default() }).unwrap();
    m.compile(Box::new(sgd), Loss::MeanSquaredError, vec![]);
    m
}

fn names(ps: Vec<Param>) -> Vec<String> {
    ps.iter().map(|p| p.name().to_string()).collect()
}

fn values(m: &Sequential, name: &str) -> Vec<f32> {
    let all = m.weights().into_iter().chain(m.state_weights());
    all.into_iter().find(|p| p.name() == name).unwrap().value().to_vec()
}

#[test]
fn fit_updates_the_moving_statistics_of_batch_normalization() {
    let (x, y) = shifted();
    let mut m = bn_model();
    assert_eq!(
        names(m.params()),
        ["batch_normalization/gamma", "batch_normalization/beta", "dense/kernel", "dense/bias"]
    );
    assert_eq!(
        names(m.non_trainable_params()),
        ["batch_normalization/moving_mean", "batch_normalization/moving_variance"]
    );
    let first = m.evaluate(&x, &y, 32).unwrap().loss;
    let h = m.fit(&x, &y, FitOptions { epochs: 10, batch_size: 32, ..FitOptions::default() }).unwrap();
    // Full batches: every step sees the same statistics, feature 0 mean 6.5 and biased
    // variance 1.25 ({5, 6, 7, 8}), feature 1 mean −4.75 and variance 0.25 · 5.25 = 1.3125
    // ({0, …, 7} · 0.5). After 10 steps from (0, 1):
    // moving_mean = (1 − 0.99¹⁰) · mean, moving_variance = 0.99¹⁰ + (1 − 0.99¹⁰) · var.
    let k = 1.0 - 0.99f32.powi(10); // 0.0956179
    let mean = values(&m, "batch_normalization/moving_mean");
    let var = values(&m, "batch_normalization/moving_variance");
    assert!((mean[0] - k * 6.5).abs() < 1e-4 && (mean[1] + k * 4.75).abs() < 1e-4, "{mean:?}");
    assert!((var[0] - (1.0 - k + k * 1.25)).abs() < 1e-4 && (var[1] - (1.0 - k + k * 1.3125)).abs() < 1e-4, "{var:?}");
    // The model trains on normalised features (the loss is measured in training mode).
    assert!(h.loss()[9] < 0.1 * h.loss()[0], "{:?}", h.loss());
    assert_ne!(values(&m, "batch_normalization/gamma"), vec![1.0, 1.0]);
    // evaluate runs in inference mode with the (not yet converged) moving statistics.
    assert!(m.evaluate(&x, &y, 32).unwrap().loss != first);
}

#[test]
fn a_frozen_batch_normalization_keeps_its_statistics_during_fit() {
    let (x, y) = shifted();
    let mut m = bn_model();
    m.layer_mut("batch_normalization").unwrap().set_trainable(false);
    assert_eq!(names(m.params()), ["dense/kernel", "dense/bias"]);
    assert_eq!(m.non_trainable_params().len(), 4);
    m.fit(&x, &y, FitOptions { epochs: 3, batch_size: 8, ..FitOptions::default() }).unwrap();
    assert_eq!(values(&m, "batch_normalization/moving_mean"), vec![0.0, 0.0]);
    assert_eq!(values(&m, "batch_normalization/moving_variance"), vec![1.0, 1.0]);
    assert_eq!(values(&m, "batch_normalization/gamma"), vec![1.0, 1.0]);
}

#[test]
fn summary_counts_batch_normalization_as_keras_does() {
    let m = Sequential::new(&[4])
        .add(Dense::new(8, Activation::Relu))
        .unwrap()
        .add(BatchNormalization::new())
        .unwrap()
        .add(Dense::new(2, Activation::Softmax))
        .unwrap();
    let s = m.summary();
    // BN over 8 features: 4 · 8 = 32 weights, the 16 moving statistics non-trainable.
    let bn = s.lines().find(|l| l.starts_with(" batch_normalization (BatchNormalization)")).unwrap();
    assert!(bn.contains("(None, 8)") && bn.ends_with(" 32"), "{bn}");
    // Dense 4·8 + 8 = 40, BN 32, Dense 8·2 + 2 = 18
    assert!(s.contains("Total params: 90\n"), "{s}");
    assert!(s.contains("Trainable params: 74\n"), "{s}");
    assert!(s.contains("Non-trainable params: 16\n"), "{s}");
    assert_eq!(m.count_params(), 90);
}

#[test]
fn an_embedding_stack_builds_and_passes_its_mask_on() {
    let mut m = Sequential::with_seed(&[5], 2)
        .add(Embedding::new(20, 4).unwrap().with_mask_zero(true))
        .unwrap()
        .add(LayerNormalization::new())
        .unwrap()
        .add(Flatten::new())
        .unwrap()
        .add(Dense::new(1, Activation::Sigmoid))
        .unwrap();
    assert_eq!(m.layer_shapes(), &[vec![5, 4], vec![5, 4], vec![20], vec![1]]);
    assert_eq!(
        names(m.params())[..3],
        ["embedding/embeddings", "layer_normalization/gamma", "layer_normalization/beta"]
    );
    let s = m.summary();
    assert!(
        s.lines().any(|l| l.starts_with(" embedding (Embedding)") && l.contains("(None, 5, 4)") && l.ends_with(" 80"))
    );
    let x = Tensor::from_vec(vec![3.0, 7.0, 0.0, 0.0, 0.0, 1.0, 19.0, 4.0, 2.0, 0.0], &[2, 5]);
    let mut ctx = Ctx::eval();
    assert_eq!(m.forward(&x, &mut ctx).shape(), &[2, 1]);
    // Flatten removes the time axis, so it drops the mask.
    assert!(ctx.mask().is_none());
    // Embedding sets it and LayerNormalization passes it on.
    let mut ctx = Ctx::eval();
    let h = m.layers()[..2].iter().fold(x.clone(), |h, l| l.forward(&h, &mut ctx));
    assert_eq!(h.shape(), &[2, 5, 4]);
    assert_eq!(ctx.mask().unwrap().to_vec(), vec![1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0]);
    // The table trains: a few steps lower the loss.
    let y = Targets::Values(Tensor::from_vec(vec![1.0, 0.0], &[2, 1]));
    let sgd = Sgd::try_new(SgdConfig { learning_rate: 0.5, ..SgdConfig::default() }).unwrap();
    m.compile(Box::new(sgd), Loss::BinaryCrossentropy { from_logits: false }, vec![]);
    let first = m.train_on_batch(&x, &y).unwrap();
    let last = (0..20).map(|_| m.train_on_batch(&x, &y).unwrap()).last().unwrap();
    assert!(last < 0.5 * first, "{first} → {last}");
    // Token ids of any rank, as in Keras: [5, 2] ids give [5, 2, 4] vectors, with a mask
    // of the ids' shape.
    let grid = Sequential::new(&[5, 2]).add(Embedding::new(20, 4).unwrap().with_mask_zero(true)).unwrap();
    assert_eq!(grid.output_shape(), &[5, 2, 4]);
    let mut ctx = Ctx::eval();
    let ids = Tensor::from_vec((0..10).map(|i| (i % 3) as f32).collect(), &[1, 5, 2]);
    assert_eq!(grid.layers()[0].forward(&ids, &mut ctx).shape(), &[1, 5, 2, 4]);
    assert_eq!(ctx.mask().unwrap().shape(), &[1, 5, 2]);
    // A masked feature sequence needs [time, features].
    let m = Sequential::new(&[6, 3]).add(Masking::default()).unwrap().add(LayerNormalization::new()).unwrap();
    assert_eq!(m.output_shape(), &[6, 3]);
}

/// Keeps the first half of the time steps: a layer of one's own that changes the time axis
/// and says nothing about masks.
struct FirstHalf {
    core: derin_nn::LayerCore,
}

impl Module for FirstHalf {
    fn forward(&self, x: &Tensor, _: &mut Ctx) -> Tensor {
        x.narrow(1, 0, x.shape()[1] / 2)
    }
    fn output_shape(&self, input: &[usize]) -> derin_nn::Result<Vec<usize>> {
        Ok([&[input[0] / 2], &input[1..]].concat())
    }
    fn type_name(&self) -> &'static str {
        "FirstHalf"
    }
    fn core(&self) -> &derin_nn::LayerCore {
        &self.core
    }
    fn core_mut(&mut self) -> &mut derin_nn::LayerCore {
        &mut self.core
    }
}

#[test]
fn a_custom_layer_that_does_not_support_masking_drops_the_mask() {
    use derin_nn::SimpleRNN;
    let m = Sequential::new(&[6])
        .add(Embedding::new(5, 3).unwrap().with_mask_zero(true))
        .unwrap()
        .add(FirstHalf { core: derin_nn::LayerCore::new("first_half") })
        .unwrap()
        .add(SimpleRNN::new(2))
        .unwrap();
    // The [1, 6] mask of these ids belongs to the 6 steps, not to the 3 left: kept, it
    // would skip the first of them.
    let ids = Tensor::from_vec(vec![0.0, 2.0, 1.0, 3.0, 0.0, 4.0], &[1, 6]);
    let mut ctx = Ctx::eval();
    let y = m.forward(&ids, &mut ctx);
    assert!(ctx.mask().is_none());
    // The same as running the RNN on the first three steps without a mask.
    let mut plain = Ctx::eval();
    let steps = m.layers()[1].forward(&m.layers()[0].forward(&ids, &mut plain), &mut plain);
    let mut no_mask = Ctx::eval();
    assert_eq!(y.to_vec(), m.layers()[2].forward(&steps, &mut no_mask).to_vec());
    assert!(!m.layers()[1].supports_masking() && m.layers()[2].supports_masking());
}
