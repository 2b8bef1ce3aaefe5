//! Times the GEMM shapes of the `mlp_train_step` benchmark (forward, weight gradients,
//! input gradients) and a 1024³ product on 1 and 2 threads: the measurements behind
//! `kernels::gemm`'s threshold for splitting a product across threads.
//!
//! `cargo run --release -p derin-tensor --example gemm_shapes`
use derin_tensor::kernels::gemm::sgemm;
use derin_tensor::ndarray::Array2;
use std::time::Instant;

fn main() {
    let shapes = [
        (128, 784, 512),
        (128, 512, 256),
        (128, 256, 10),
        (784, 128, 512),
        (512, 128, 256),
        (256, 128, 10),
        (128, 512, 784),
        (128, 256, 512),
        (128, 10, 256),
        (1024, 1024, 1024),
    ];
    for threads in [1, 2] {
        derin_tensor::set_num_threads(threads);
        for &(m, k, n) in &shapes {
            let a = Array2::<f32>::from_elem((m, k), 0.5);
            let b = Array2::<f32>::from_elem((k, n), 0.25);
            let mut c = Array2::<f32>::zeros((m, n));
            for _ in 0..5 {
                sgemm(a.view(), b.view(), c.view_mut(), false);
            }
            let iters = (2e9 / (2.0 * (m * n * k) as f64)).clamp(5.0, 2000.0) as usize;
            let mut best = f64::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                for _ in 0..iters {
                    sgemm(a.view(), b.view(), c.view_mut(), false);
                }
                best = best.min(t.elapsed().as_secs_f64() / iters as f64);
            }
            println!(
                "threads {threads} m {m:5} k {k:5} n {n:5}: {:8.1} us  {:6.1} GFLOP/s",
                best * 1e6,
                2.0 * (m * n * k) as f64 / best / 1e9
            );
        }
    }
}
