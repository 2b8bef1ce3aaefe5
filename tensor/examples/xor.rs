//! Trains a 2-layer network on XOR with bare autograd (no `nn` crate yet) and prints the
//! loss falling: `cargo run --release -p derin-tensor --example xor`.

use derin_tensor::{Param, Rng, Tensor, no_grad};

fn main() {
    let mut rng = Rng::seed(42);
    let x = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]);
    let y = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0], &[4, 1]);
    // 2 → 8 (tanh) → 1 (sigmoid), Glorot-uniform kernels and zero biases as in Keras.
    let params = [
        Param::new("dense/kernel", Tensor::glorot_uniform(&[2, 8], &mut rng).to_array()),
        Param::new("dense/bias", Tensor::zeros(&[8]).to_array()),
        Param::new("dense_1/kernel", Tensor::glorot_uniform(&[8, 1], &mut rng).to_array()),
        Param::new("dense_1/bias", Tensor::zeros(&[1]).to_array()),
    ];
    let forward = |x: &Tensor| {
        let h = (x.matmul(&params[0].value()) + params[1].value()).tanh();
        (h.matmul(&params[2].value()) + params[3].value()).sigmoid()
    };
    // Binary cross-entropy: −mean(y·log p + (1−y)·log(1−p)).
    let bce = |p: &Tensor| -(&y * p.log() + (1.0 - &y) * (1.0 - p).log()).mean_all();
    let lr = 0.5;
    for epoch in 0..=2000 {
        let loss = bce(&forward(&x));
        if epoch % 250 == 0 {
            println!("epoch {epoch:4}  loss {:.4}", loss.item());
        }
        let grads = loss.backward();
        for p in &params {
            p.update(|v| v.scaled_add(-lr, grads.param(p).expect("every weight is used")));
        }
    }
    let p = no_grad(|| forward(&x));
    println!(
        "predictions for (0,0) (0,1) (1,0) (1,1): {:?}",
        p.to_vec().iter().map(|v| (v * 100.0).round() / 100.0).collect::<Vec<_>>()
    );
    let correct = p.to_vec().iter().zip(y.to_vec()).filter(|(p, y)| (**p > 0.5) == (*y > 0.5)).count();
    println!("accuracy {correct}/4");
}
