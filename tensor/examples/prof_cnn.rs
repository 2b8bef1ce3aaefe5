//! Temporary profiling of the CNN step's kernels.
use derin_tensor::kernels::conv::{Conv2dGeometry, conv2d_backward_input, conv2d_backward_weight, conv2d_forward};
use derin_tensor::kernels::pool::{Pool2dGeometry, max_pool2d_backward, max_pool2d_forward};
use derin_tensor::{Rng, Tensor};
use ndarray::Array4;
use std::time::Instant;
fn t<F: FnMut()>(name: &str, mut f: F) {
    for _ in 0..3 {
        f();
    }
    let mut best = f64::MAX;
    for _ in 0..20 {
        let s = Instant::now();
        f();
        best = best.min(s.elapsed().as_secs_f64());
    }
    println!("{name:30} {:8.3} ms", best * 1e3);
}
fn arr(shape: [usize; 4], rng: &mut Rng) -> Array4<f32> {
    Tensor::normal(&shape, 0.0, 1.0, rng).to_array().into_dimensionality().unwrap()
}
fn main() {
    derin_tensor::set_num_threads(2);
    let mut rng = Rng::seed(0);
    for (n, ci, co, hw) in [(64, 1, 32, 28), (64, 32, 64, 14)] {
        let mut g = Conv2dGeometry::new(ci, co, [3, 3]);
        g.in_size = [hw, hw];
        g.padding = [1; 4];
        let x = arr([n, ci, hw, hw], &mut rng);
        let w = arr([co, ci, 3, 3], &mut rng);
        let dy = arr([n, co, hw, hw], &mut rng);
        let fl = 2.0 * (n * co * hw * hw * ci * 9) as f64 / 1e9;
        println!("conv {ci}->{co} {hw}x{hw}: {fl:.3} GFLOP per pass");
        t("fwd", || {
            std::hint::black_box(conv2d_forward(x.view(), w.view(), None, &g));
        });
        t("bwd_weight", || {
            std::hint::black_box(conv2d_backward_weight(x.view(), dy.view(), &g));
        });
        t("bwd_input", || {
            std::hint::black_box(conv2d_backward_input(dy.view(), w.view(), &g));
        });
        let pg = Pool2dGeometry { in_size: [hw, hw], kernel: [2, 2], stride: [2, 2], padding: [0; 4] };
        let (_, arg) = max_pool2d_forward(dy.view(), &pg);
        let py = arr([n, co, hw / 2, hw / 2], &mut rng);
        t("maxpool fwd", || {
            std::hint::black_box(max_pool2d_forward(dy.view(), &pg));
        });
        t("maxpool bwd", || {
            std::hint::black_box(max_pool2d_backward(py.view(), arg.view(), [hw, hw]));
        });
        let dyt = Tensor::from_array(dy.clone().into_dyn());
        t("relu", || {
            std::hint::black_box(dyt.relu());
        });
    }
}
