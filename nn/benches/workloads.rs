//! The benchmark workloads of `shared/BENCHMARKS.md` that need layers, one JSON line each
//! on stdout: `cargo bench -p derin-nn --bench workloads [filter]`.
//!
//! Timing policy as in `tensor/benches/workloads.rs`: inputs built outside the timed loop,
//! a warm-up first, training steps report the median; `PEER_BUDGET_S` seconds per workload
//! (default 4); `DERIN_NUM_THREADS` sets the thread count.

use derin_nn::{
    Activation, Conv2D, Ctx, DataFormat, Dense, Embedding, GRU, GlobalAveragePooling1D, GlobalAveragePooling2D,
    MaxPooling2D, Module, Sequential,
};
use derin_optim::{Optimizer, Sgd, SgdConfig};
use derin_tensor::ndarray::{ArrayD, IxDyn};
use derin_tensor::workload::{Workloads, emit, median, time_train};
use derin_tensor::{Conv2dOptions, Padding, Param, Pool2dOptions, Rng, Tensor, no_grad};

/// Softmax cross-entropy of `logits` [batch, classes] against integer labels.
fn cross_entropy(logits: &Tensor, labels: &[usize]) -> Tensor {
    let classes = logits.shape()[1];
    let mut onehot = ArrayD::<f32>::zeros(IxDyn(&[labels.len(), classes]));
    for (i, &l) in labels.iter().enumerate() {
        onehot[[i, l]] = 1.0;
    }
    -(logits.log_softmax(1) * Tensor::from_array(onehot)).sum_all() / labels.len() as f32
}

/// The library's SGD with learning rate `lr`, as the peers step `torch.optim.SGD`.
fn sgd(lr: f32) -> Sgd {
    Sgd::try_new(SgdConfig { learning_rate: lr, ..SgdConfig::default() }).expect("valid config")
}

fn report_steps(workload: &str, t: &[f64], loss0: f32, loss1: f32) {
    let extra = format!(", \"loss0\": {loss0:.4}, \"loss1\": {loss1:.4}");
    emit("derin", workload, 1.0 / median(t), "steps/s", t.len(), &extra);
}

fn dense(name: &str, i: usize, o: usize, rng: &mut Rng) -> [Param; 2] {
    // PyTorch's nn.Linear init, as the peers use: U(±1/√in) for kernel and bias.
    let l = 1.0 / (i as f32).sqrt();
    [
        Param::new(&format!("{name}/kernel"), Tensor::uniform(&[i, o], -l, l, rng).to_array()),
        Param::new(&format!("{name}/bias"), Tensor::uniform(&[o], -l, l, rng).to_array()),
    ]
}

fn conv(name: &str, i: usize, o: usize, rng: &mut Rng) -> [Param; 2] {
    // PyTorch's nn.Conv2d init: U(±1/√fan_in), fan_in = in·3·3.
    let l = 1.0 / ((i * 9) as f32).sqrt();
    [
        Param::new(&format!("{name}/kernel"), Tensor::uniform(&[o, i, 3, 3], -l, l, rng).to_array()),
        Param::new(&format!("{name}/bias"), Tensor::uniform(&[o], -l, l, rng).to_array()),
    ]
}

/// MLP 784 → 512 → 256 → 10 with ReLU, batch 128, written with tensor ops as the peer's
/// `nn.Sequential` of `nn.Linear`s.
fn mlp_bench(rng: &mut Rng) {
    let dims = [784, 512, 256, 10];
    let layers: Vec<[Param; 2]> = (0..3).map(|i| dense(&format!("dense_{i}"), dims[i], dims[i + 1], rng)).collect();
    let params: Vec<Param> = layers.iter().flat_map(|l| l.iter().cloned()).collect();
    let x = Tensor::normal(&[128, 784], 0.0, 1.0, rng);
    let labels: Vec<usize> = (0..128).map(|_| rng.below(10)).collect();
    let loss = || {
        let mut h = x.clone();
        for (i, [w, b]) in layers.iter().enumerate() {
            h = h.linear(&w.value(), Some(&b.value()));
            if i < 2 {
                h = h.relu();
            }
        }
        cross_entropy(&h, &labels)
    };
    let loss0 = no_grad(loss).item();
    let mut sgd = sgd(0.01);
    let t = time_train(|| sgd.step(&params, &loss().backward()));
    let loss1 = no_grad(loss).item();
    report_steps("mlp_train_step", &t, loss0, loss1);
}

/// Two 3×3 convolutions with ReLU and 2×2 max-pooling, dense 3136 → 128 → 10, batch 64 of
/// 1×28×28, written with tensor ops as the peer's `nn.Sequential`.
fn cnn_bench(rng: &mut Rng) {
    let convs = [conv("conv_0", 1, 32, rng), conv("conv_1", 32, 64, rng)];
    let denses = [dense("dense_0", 64 * 7 * 7, 128, rng), dense("dense_1", 128, 10, rng)];
    let params: Vec<Param> = convs.iter().chain(&denses).flat_map(|l| l.iter().cloned()).collect();
    let x = Tensor::normal(&[64, 1, 28, 28], 0.0, 1.0, rng);
    let labels: Vec<usize> = (0..64).map(|_| rng.below(10)).collect();
    let pad = Conv2dOptions { padding: Padding::Explicit([1, 1]), ..Default::default() };
    let loss = || {
        let mut h = x.clone();
        for [w, b] in &convs {
            h = h.conv2d(&w.value(), Some(&b.value()), &pad).relu().max_pool2d([2, 2], &Pool2dOptions::default());
        }
        let h = h.reshape(&[64, 64 * 7 * 7]);
        let h = h.linear(&denses[0][0].value(), Some(&denses[0][1].value())).relu();
        cross_entropy(&h.linear(&denses[1][0].value(), Some(&denses[1][1].value())), &labels)
    };
    let loss0 = no_grad(loss).item();
    let mut sgd = sgd(0.01);
    let t = time_train(|| sgd.step(&params, &loss().backward()));
    let loss1 = no_grad(loss).item();
    report_steps("cnn_train_step", &t, loss0, loss1);
}

/// GRU 64 → 128 over 50 steps, batch 32, dense 128 → 10 on the last state.
fn gru_bench(rng: &mut Rng) {
    let (batch, steps, input, hidden) = (32, 50, 64, 128);
    let mut gru = GRU::new(hidden);
    gru.build(&[steps, input], rng).expect("valid shape");
    let mut head = Dense::new(10, Activation::Linear);
    head.build(&[hidden], rng).expect("valid shape");
    let params: Vec<Param> = gru.params().into_iter().chain(head.params()).collect();
    let x = Tensor::normal(&[batch, steps, input], 0.0, 1.0, rng);
    let labels: Vec<usize> = (0..batch).map(|_| rng.below(10)).collect();
    let loss = || cross_entropy(&head.forward(&gru.forward(&x, &mut Ctx::train(0)), &mut Ctx::train(0)), &labels);
    let loss0 = no_grad(loss).item();
    let mut sgd = sgd(0.01);
    let t = time_train(|| sgd.step(&params, &loss().backward()));
    let loss1 = no_grad(loss).item();
    report_steps("gru_train_step", &t, loss0, loss1);
}

/// Transfer learning: a frozen three-conv backbone (3×32×32 → 32 → 64 → 128 channels,
/// 3×3 kernels, 2×2 max-pooling, global average) under a trainable dense 128 → 10 head,
/// batch 32. Only the head's two weights get gradients.
fn transfer_bench(rng: &mut Rng) {
    let mut backbone = Sequential::with_seed(&[3, 32, 32], 0)
        .add(Conv2D::new(32, [3, 3], Activation::Relu))
        .and_then(|m| m.add(MaxPooling2D::new([2, 2])))
        .and_then(|m| m.add(Conv2D::new(64, [3, 3], Activation::Relu)))
        .and_then(|m| m.add(MaxPooling2D::new([2, 2])))
        .and_then(|m| m.add(Conv2D::new(128, [3, 3], Activation::Relu)))
        .and_then(|m| m.add(GlobalAveragePooling2D::new()))
        .expect("valid backbone");
    backbone.set_trainable(false);
    let mut head = Dense::new(10, Activation::Linear);
    head.build(&[128], rng).expect("valid shape");
    let params = head.params();
    let x = Tensor::normal(&[32, 3, 32, 32], 0.0, 1.0, rng);
    let labels: Vec<usize> = (0..32).map(|_| rng.below(10)).collect();
    let loss = || cross_entropy(&head.forward(&backbone.forward(&x, &mut Ctx::train(0)), &mut Ctx::train(0)), &labels);
    let loss0 = no_grad(loss).item();
    let mut sgd = sgd(0.05);
    let t = time_train(|| sgd.step(&params, &loss().backward()));
    let loss1 = no_grad(loss).item();
    report_steps("transfer_train_step", &t, loss0, loss1);
}

/// A 100,000 × 300 embedding looked up by a batch of 32 sequences of 20 ids, averaged
/// over the sequence, under a dense 300 → 2 head, trained by `derin_optim::Sgd`: a step
/// touches at most 640 rows of the table.
fn embedding_bench(rng: &mut Rng) {
    let (vocab, dim, batch, steps) = (100_000, 300, 32, 20);
    let mut embedding = Embedding::new(vocab, dim).expect("valid sizes");
    embedding.build(&[steps], rng).expect("valid shape");
    let pool = GlobalAveragePooling1D::new().with_data_format(DataFormat::ChannelsLast);
    let mut head = Dense::new(2, Activation::Linear);
    head.build(&[dim], rng).expect("valid shape");
    let params: Vec<Param> = embedding.params().into_iter().chain(head.params()).collect();
    let ids: Vec<f32> = (0..batch * steps).map(|_| rng.below(vocab) as f32).collect();
    let x = Tensor::from_vec(ids, &[batch, steps]);
    let labels: Vec<usize> = (0..batch).map(|_| rng.below(2)).collect();
    let loss = || {
        let mut ctx = Ctx::train(0);
        cross_entropy(&head.forward(&pool.forward(&embedding.forward(&x, &mut ctx), &mut ctx), &mut ctx), &labels)
    };
    // The library's SGD reads a row-sparse gradient without expanding it.
    let mut sgd = sgd(0.5);
    let loss0 = no_grad(loss).item();
    let t = time_train(|| sgd.step(&params, &loss().backward()));
    let loss1 = no_grad(loss).item();
    report_steps("embedding_train_step", &t, loss0, loss1);
}

fn main() {
    let w = Workloads::setup();
    let mut rng = Rng::seed(0);
    if w.wanted("mlp_train_step") {
        mlp_bench(&mut rng);
    }
    if w.wanted("cnn_train_step") {
        cnn_bench(&mut rng);
    }
    if w.wanted("gru_train_step") {
        gru_bench(&mut rng);
    }
    if w.wanted("transfer_train_step") {
        transfer_bench(&mut rng);
    }
    if w.wanted("embedding_train_step") {
        embedding_bench(&mut rng);
    }
}
