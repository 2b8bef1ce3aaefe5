//! The benchmark workloads of `shared/BENCHMARKS.md` that the tensor crate can run, one
//! JSON line each on stdout: `cargo xtask bench [filter]`.
//!
//! Timing policy (the peers' own): inputs built outside the timed loop, a warm-up first,
//! kernels report the best time and training steps the median; the budget per workload
//! is `PEER_BUDGET_S` seconds (default 4; kernels get half).

use derin_tensor::kernels::gemm::sgemm;
use derin_tensor::ndarray::Array2;
use derin_tensor::workload::{Workloads, best, emit, time_kernel};
use derin_tensor::{Conv2dOptions, Padding, Rng, Tensor, no_grad};

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
    let w = Workloads::setup();
    let mut rng = Rng::seed(0);
    if w.wanted("sgemm") {
        sgemm_bench(&mut rng);
    }
    if w.wanted("conv2d_forward") {
        conv2d_bench(&mut rng);
    }
    if w.wanted("autograd_overhead") {
        autograd_overhead_bench();
    }
    if w.wanted("elementwise") {
        threshold_bench(&mut rng);
    }
}
