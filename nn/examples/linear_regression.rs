//! Least squares two ways on the same noisy line `y = 2.5·x + 1 + ε`: the closed form
//! (normal equations) and gradient descent on the mean squared error with a one-unit
//! `Dense` layer. Both must find the same slope and intercept.
//!
//! Run: `cargo run --release -p derin-nn --example linear_regression`

use derin_data::Targets;
use derin_nn::{Activation, Dense, FitOptions, Loss, Module, Sequential};
use derin_optim::{Sgd, SgdConfig};
use derin_tensor::{Rng, Tensor};

const N: usize = 200;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Rng::seed(0);
    let x: Vec<f32> = (0..N).map(|_| 10.0 * rng.uniform01()).collect();
    let noise = Tensor::normal(&[N], 0.0, 1.0, &mut rng).to_vec();
    let y: Vec<f32> = x.iter().zip(&noise).map(|(x, e)| 2.5 * x + 1.0 + e).collect();

    // Closed form: slope = cov(x, y) / var(x), intercept = ȳ − slope·x̄ (in f64).
    let mean = |v: &[f32]| v.iter().map(|&a| a as f64).sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&x), mean(&y));
    let cov: f64 = x.iter().zip(&y).map(|(&a, &b)| (a as f64 - mx) * (b as f64 - my)).sum();
    let var: f64 = x.iter().map(|&a| (a as f64 - mx).powi(2)).sum();
    let (w_cf, b_cf) = (cov / var, my - cov / var * mx);
    let mse =
        |w: f64, b: f64| x.iter().zip(&y).map(|(&a, &t)| (w * a as f64 + b - t as f64).powi(2)).sum::<f64>() / N as f64;
    println!("closed form      : y = {w_cf:.4}·x + {b_cf:.4}   (MSE {:.4})", mse(w_cf, b_cf));

    // Gradient descent: full batch (batch_size = N), plain SGD steps on the MSE. The
    // largest curvature of this loss is about 2·E[x²] ≈ 68, so a rate of 0.02 is stable.
    let mut model = Sequential::with_seed(&[1], 0).add(Dense::new(1, Activation::Linear))?;
    let sgd = Sgd::try_new(SgdConfig { learning_rate: 0.02, ..SgdConfig::default() })?;
    model.compile(Box::new(sgd), Loss::MeanSquaredError, vec![]);
    let xs = Tensor::from_vec(x.clone(), &[N, 1]);
    let ys = Targets::Values(Tensor::from_vec(y.clone(), &[N, 1]));
    let options = FitOptions { epochs: 3000, batch_size: N, shuffle: false, verbose: false, ..FitOptions::default() };
    let history = model.fit(&xs, &ys, options)?;
    for epoch in [0, 10, 100, 1000, 2999] {
        println!("  GD epoch {:>4}: training MSE {:.4}", epoch + 1, history.loss()[epoch]);
    }
    let weights = model.weights();
    let (w_gd, b_gd) = (weights[0].value().to_vec()[0] as f64, weights[1].value().to_vec()[0] as f64);
    println!("gradient descent : y = {w_gd:.4}·x + {b_gd:.4}   (MSE {:.4})", mse(w_gd, b_gd));
    let (dw, db) = ((w_gd - w_cf).abs(), (b_gd - b_cf).abs());
    println!("difference       : slope {dw:.2e}, intercept {db:.2e}");
    println!("same line: {}", dw < 1e-3 && db < 1e-2);
    Ok(())
}
