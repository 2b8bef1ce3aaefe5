use derin_tensor::kernels::conv::*;
use ndarray::{Array4, Array1};
use std::time::Instant;
fn main() {
    let (n, c, h) = (32, 64, 56);
    let x = Array4::from_shape_fn((n, c, h, h), |(a, b, i, j)| ((a * 7 + b * 3 + i * 5 + j) % 17) as f32 * 0.1 - 0.8);
    let w = Array4::from_shape_fn((c, c, 3, 3), |(a, b, i, j)| ((a * 5 + b * 3 + i * 7 + j) % 13) as f32 * 0.05 - 0.3);
    let bias = Array1::from_elem(c, 0.1f32);
    let geo = Conv2dGeometry { in_size: [h, h], padding: [1, 1, 1, 1], ..Conv2dGeometry::new(c, c, [3, 3]) };
    let flops = 2.0 * (n * c * h * h * c * 9) as f64;
    let mut best = f64::INFINITY;
    for _ in 0..15 {
        let t = Instant::now();
        let y = conv2d_forward(x.view(), w.view(), Some(bias.view()), &geo);
        let dt = t.elapsed().as_secs_f64();
        std::hint::black_box(&y);
        best = best.min(dt);
    }
    println!("forward best {:.2} ms  {:.1} GFLOP/s", best * 1e3, flops / best / 1e9);
    let y = conv2d_forward(x.view(), w.view(), Some(bias.view()), &geo);
    let mut bi = f64::INFINITY; let mut bw = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        let dx = conv2d_backward_input(y.view(), w.view(), &geo);
        bi = bi.min(t.elapsed().as_secs_f64());
        std::hint::black_box(&dx);
        let t = Instant::now();
        let dw = conv2d_backward_weight(x.view(), y.view(), &geo);
        bw = bw.min(t.elapsed().as_secs_f64());
        std::hint::black_box(&dw);
    }
    println!("bwd input {:.2} ms {:.1} GFLOP/s; bwd weight {:.2} ms {:.1} GFLOP/s", bi*1e3, flops/bi/1e9, bw*1e3, flops/bw/1e9);
}
