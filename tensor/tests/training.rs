//! End-to-end training with bare autograd: XOR with a 2-layer network and a cubic
//! polynomial fit must reach a stated loss.

use derin_tensor::{Param, Rng, Tensor, no_grad};

fn sgd(params: &[Param], loss: &Tensor, lr: f32) {
    let grads = loss.backward();
    for p in params {
        p.update(|v| v.scaled_add(-lr, grads.param(p).expect("every parameter is used")));
    }
}

#[test]
fn two_layer_network_learns_xor() {
    let mut rng = Rng::seed(42);
    let x = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]);
    let y = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0], &[4, 1]);
    let params = [
        Param::new("w1", Tensor::glorot_uniform(&[2, 8], &mut rng).to_array()),
        Param::new("b1", Tensor::zeros(&[8]).to_array()),
        Param::new("w2", Tensor::glorot_uniform(&[8, 1], &mut rng).to_array()),
        Param::new("b2", Tensor::zeros(&[1]).to_array()),
    ];
    let forward = |x: &Tensor| {
        let h = (x.matmul(&params[0].value()) + params[1].value()).tanh();
        (h.matmul(&params[2].value()) + params[3].value()).sigmoid()
    };
    let bce = |p: &Tensor| -(&y * p.log() + (1.0 - &y) * (1.0 - p).log()).mean_all();
    let first = no_grad(|| bce(&forward(&x))).item();
    for _ in 0..1000 {
        sgd(&params, &bce(&forward(&x)), 0.5);
    }
    let p = no_grad(|| forward(&x));
    let last = bce(&p).item();
    assert!(first > 0.6 && last < 0.05, "loss went from {first} to {last}");
    let predicted: Vec<bool> = p.to_vec().iter().map(|&v| v > 0.5).collect();
    assert_eq!(predicted, vec![false, true, true, false]);
}

#[test]
fn gradient_descent_fits_a_cubic() {
    // y = 0.5 − x + 2x³ on [−1, 1]; the model a + b·x + c·x² + d·x³ must recover it.
    let x = Tensor::linspace(-1.0, 1.0, 41).reshape(&[41, 1]);
    let y = 0.5 - &x + x.powf(3.0) * 2.0;
    let features = Tensor::concat(&[&x.ones_like(), &x, &x.square(), &x.powf(3.0)], 1);
    let w = Param::new("w", Tensor::zeros(&[4, 1]).to_array());
    for _ in 0..4000 {
        let loss = (features.matmul(&w.value()) - &y).square().mean_all();
        sgd(std::slice::from_ref(&w), &loss, 0.5);
    }
    let got = w.value().to_vec();
    for (g, want) in got.iter().zip([0.5, -1.0, 0.0, 2.0]) {
        assert!((g - want).abs() < 1e-2, "coefficients {got:?}");
    }
}
