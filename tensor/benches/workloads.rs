//! The benchmark workloads of `shared/BENCHMARKS.md` that the tensor crate can run, one
//! JSON line each on stdout: `cargo xtask bench [filter]`.
//!
//! Timing policy (the peers' own): inputs built outside the timed loop, a warm-up first,
//! kernels report the best time and training steps the median; the budget per workload
//! is `PEER_BUDGET_S` seconds (default 4; kernels get half).

use std::time::Instant;

use derin_tensor::kernels::gemm::sgemm;
use derin_tensor::ndarray::{Array2, ArrayD, IxDyn};
use derin_tensor::{Conv2dOptions, Padding, Param, Pool2dOptions, Rng, Tensor, no_grad};

fn budget() -> f64 {
    std::env::var("PEER_BUDGET_S").ok().and_then(|v| v.parse().ok()).unwrap_or(4.0)
}

/// Seconds per call: `warmup` untimed calls, then at least `min` and at most `max` timed
/// ones within `budget` seconds.
fn time_iters(mut f: impl FnMut(), warmup: usize, min: usize, max: usize, budget: f64) -> Vec<f64> {
    for _ in 0..warmup {
        f();
    }
    let start = Instant::now();
    let mut out = Vec::new();
    while out.len() < max && (out.len() < min || start.elapsed().as_secs_f64() < budget) {
        let t = Instant::now();
        f();
        out.push(t.elapsed().as_secs_f64());
    }
    out
}

fn time_kernel(f: impl FnMut()) -> Vec<f64> {
    time_iters(f, 3, 5, 1000, budget() * 0.5)
}

fn time_train(f: impl FnMut()) -> Vec<f64> {
    time_iters(f, 3, 10, 50, budget())
}

fn best(t: &[f64]) -> f64 {
    t.iter().copied().fold(f64::INFINITY, f64::min)
}

fn median(t: &[f64]) -> f64 {
    let mut v = t.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) }
}

fn emit(peer: &str, workload: &str, value: f64, unit: &str, iters: usize, extra: &str) {
    let rev = std::env::var("DERIN_GIT_REV").unwrap_or_else(|_| "unknown".into());
    let threads = derin_tensor::num_threads();
    println!(
        "{{\"peer\": \"{peer}\", \"workload\": \"{workload}\", \"value\": {value:.2}, \"unit\": \"{unit}\", \"iters\": {iters}, \"threads\": {threads}, \"git_rev\": \"{rev}\"{extra}, \"cpu\": {cpu}}}",
        cpu = derin_tensor::cpu_info().to_json()
    );
}

fn random(shape: &[usize], rng: &mut Rng) -> Tensor {
    Tensor::normal(shape, 0.0, 1.0, rng)
}

fn sgemm_bench(rng: &mut Rng) {
    let n = 1024;
    let a = random(&[n, n], rng).to_array().into_dimensionality().unwrap();
    let b: Array2<f32> = random(&[n, n], rng).to_array().into_dimensionality().unwrap();
    let mut c = Array2::<f32>::zeros((n, n));
    let flops = 2.0 * (n as f64).powi(3);
    let t = time_kernel(|| sgemm(a.view(), b.view(), c.view_mut(), false));
    emit("derin", "sgemm", flops / best(&t) / 1e9, "GFLOP/s", t.len(), "");
    // The baseline the issue names: ndarray's own `dot` (matrixmultiply, threaded).
    let t = time_kernel(|| {
        std::hint::black_box(a.dot(&b));
    });
    emit("ndarray_dot", "sgemm", flops / best(&t) / 1e9, "GFLOP/s", t.len(), "");
}

/// Softmax cross-entropy of `logits` [batch, classes] against integer labels.
fn cross_entropy(logits: &Tensor, labels: &[usize]) -> Tensor {
    let classes = logits.shape()[1];
    let mut onehot = ArrayD::<f32>::zeros(IxDyn(&[labels.len(), classes]));
    for (i, &l) in labels.iter().enumerate() {
        onehot[[i, l]] = 1.0;
    }
    -(logits.log_softmax(1) * Tensor::from_array(onehot)).sum_all() / labels.len() as f32
}

/// Plain SGD on every parameter.
fn sgd_step(params: &[Param], loss: &Tensor, lr: f32) {
    let grads = loss.backward();
    for p in params {
        if let Some(g) = grads.param(p) {
            p.update(|v| v.scaled_add(-lr, g));
        }
    }
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

fn mlp_bench(rng: &mut Rng) {
    let dims = [784, 512, 256, 10];
    let layers: Vec<[Param; 2]> = (0..3).map(|i| dense(&format!("dense_{i}"), dims[i], dims[i + 1], rng)).collect();
    let params: Vec<Param> = layers.iter().flat_map(|l| l.iter().cloned()).collect();
    let x = random(&[128, 784], rng);
    let labels: Vec<usize> = (0..128).map(|_| rng.below(10)).collect();
    let forward = |x: &Tensor| {
        let mut h = x.clone();
        for (i, [w, b]) in layers.iter().enumerate() {
            h = h.linear(&w.value(), Some(&b.value()));
            if i < 2 {
                h = h.relu();
            }
        }
        h
    };
    let loss0 = no_grad(|| cross_entropy(&forward(&x), &labels)).item();
    let t = time_train(|| sgd_step(&params, &cross_entropy(&forward(&x), &labels), 0.01));
    let loss1 = no_grad(|| cross_entropy(&forward(&x), &labels)).item();
    report_steps("mlp_train_step", &t, loss0, loss1);
}

fn conv2d_bench(rng: &mut Rng) {
    let (n, c, hw, k) = (32, 64, 56, 3);
    let x = random(&[n, c, hw, hw], rng);
    let w = random(&[c, c, k, k], rng);
    let same = Conv2dOptions { padding: Padding::Explicit([1, 1]), ..Default::default() };
    let flops = 2.0 * (n * c * hw * hw * c * k * k) as f64;
    let t = time_kernel(|| {
        std::hint::black_box(no_grad(|| x.conv2d(&w, None, &same)));
    });
    emit("derin", "conv2d_forward", flops / best(&t) / 1e9, "GFLOP/s", t.len(), "");
}

fn conv(name: &str, i: usize, o: usize, rng: &mut Rng) -> [Param; 2] {
    // PyTorch's nn.Conv2d init: U(±1/√fan_in), fan_in = in·3·3.
    let l = 1.0 / ((i * 9) as f32).sqrt();
    [
        Param::new(&format!("{name}/kernel"), Tensor::uniform(&[o, i, 3, 3], -l, l, rng).to_array()),
        Param::new(&format!("{name}/bias"), Tensor::uniform(&[o], -l, l, rng).to_array()),
    ]
}

fn cnn_bench(rng: &mut Rng) {
    let convs = [conv("conv_0", 1, 32, rng), conv("conv_1", 32, 64, rng)];
    let denses = [dense("dense_0", 64 * 7 * 7, 128, rng), dense("dense_1", 128, 10, rng)];
    let params: Vec<Param> = convs.iter().chain(&denses).flat_map(|l| l.iter().cloned()).collect();
    let x = random(&[64, 1, 28, 28], rng);
    let labels: Vec<usize> = (0..64).map(|_| rng.below(10)).collect();
    let pad = Conv2dOptions { padding: Padding::Explicit([1, 1]), ..Default::default() };
    let forward = |x: &Tensor| {
        let mut h = x.clone();
        for [w, b] in &convs {
            h = h.conv2d(&w.value(), Some(&b.value()), &pad).relu().max_pool2d([2, 2], &Pool2dOptions::default());
        }
        let h = h.reshape(&[64, 64 * 7 * 7]);
        let h = h.linear(&denses[0][0].value(), Some(&denses[0][1].value())).relu();
        h.linear(&denses[1][0].value(), Some(&denses[1][1].value()))
    };
    let loss0 = no_grad(|| cross_entropy(&forward(&x), &labels)).item();
    let t = time_train(|| sgd_step(&params, &cross_entropy(&forward(&x), &labels), 0.01));
    let loss1 = no_grad(|| cross_entropy(&forward(&x), &labels)).item();
    report_steps("cnn_train_step", &t, loss0, loss1);
}

fn autograd_overhead_bench() {
    let ops = 1000;
    let x = Tensor::scalar(0.5).requires_grad();
    let c = Tensor::scalar(1.0001);
    let t = time_kernel(|| {
        let mut y = x.clone();
        for i in 0..ops {
            y = if i % 2 == 0 { &y * &c } else { &y + &c };
        }
        std::hint::black_box(y.backward());
    });
    emit("derin", "autograd_overhead", best(&t) / ops as f64 * 1e6, "us/op", t.len(), "");
}

/// Elementwise `add` at sizes around [`derin_tensor::PARALLEL_THRESHOLD`], one thread vs
/// the pool, to show where threading starts to pay (µs per call, best of many).
fn threshold_bench(rng: &mut Rng) {
    for shift in [12, 14, 16, 18, 20] {
        let n = 1usize << shift;
        let (a, b) = (random(&[n], rng).to_array(), random(&[n], rng).to_array());
        let seq = time_kernel(|| {
            let mut out = a.clone();
            out.as_slice_mut().unwrap().iter_mut().zip(b.as_slice().unwrap()).for_each(|(o, &y)| *o += y);
            std::hint::black_box(out);
        });
        let (ta, tb) = (Tensor::from_array(a.clone()), Tensor::from_array(b.clone()));
        let lib = time_kernel(|| {
            std::hint::black_box(&ta + &tb);
        });
        let extra = format!(", \"n\": {n}, \"one_thread_us\": {:.2}", best(&seq) * 1e6);
        emit("derin", &format!("elementwise_add_{n}"), best(&lib) * 1e6, "us", lib.len(), &extra);
    }
}

fn main() {
    // The allocator settings training programs use (see `tune_allocator`'s docs).
    derin_tensor::tune_allocator();
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if let Some(n) = std::env::var("DERIN_NUM_THREADS").ok().and_then(|v| v.parse().ok()) {
        derin_tensor::set_num_threads(n);
    }
    let mut rng = Rng::seed(0);
    if wanted("sgemm") {
        sgemm_bench(&mut rng);
    }
    if wanted("mlp_train_step") {
        mlp_bench(&mut rng);
    }
    if wanted("conv2d_forward") {
        conv2d_bench(&mut rng);
    }
    if wanted("cnn_train_step") {
        cnn_bench(&mut rng);
    }
    if wanted("autograd_overhead") {
        autograd_overhead_bench();
    }
    if wanted("elementwise") {
        threshold_bench(&mut rng);
    }
}
