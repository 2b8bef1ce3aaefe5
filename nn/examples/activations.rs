//! A picture of each activation and its derivative on [−5, 5], one PNG per activation (in
//! the folder given as the first argument, `activations/` by default), and a table of
//! values at a few points. Derivatives come from autograd, not from formulas.
//!
//! Softmax acts on a vector, so its curve is the first output of `softmax([x, 0])`, which
//! equals `sigmoid(x)`.
//!
//! Run: `cargo run --release -p derin-nn --example activations`

use std::path::PathBuf;

use derin_nn::{Activation, line_chart};
use derin_tensor::Tensor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "activations".to_string()));
    std::fs::create_dir_all(&dir)?;
    let n = 201;
    let xs: Vec<f32> = (0..n).map(|i| -5.0 + 10.0 * i as f32 / (n - 1) as f32).collect();
    let all = [
        ("sigmoid", Activation::Sigmoid),
        ("tanh", Activation::Tanh),
        ("relu", Activation::Relu),
        ("leaky_relu", Activation::LeakyRelu(0.3)),
        ("elu", Activation::Elu(1.0)),
        ("softmax", Activation::Softmax),
        ("gelu", Activation::Gelu),
        ("silu", Activation::Silu),
    ];
    let probes = [-3.0f32, -1.0, 0.0, 1.0, 3.0];
    print!("{:<11}", "x");
    probes.iter().for_each(|p| print!(" {:>15}", format!("{p:+.0}: f, f'")));
    println!("   min f on [−5, 5]   max f");
    for (name, act) in all {
        let x = Tensor::from_vec(xs.clone(), &[n, 1]).requires_grad();
        // Softmax over [x, 0] per row; every other activation elementwise.
        let y = if act == Activation::Softmax {
            act.apply(&Tensor::concat(&[&x, &Tensor::zeros(&[n, 1])], 1)).narrow(1, 0, 1)
        } else {
            act.apply(&x)
        };
        let f = y.to_vec();
        let grads = y.sum_all().backward();
        let df = grads.get(&x).expect("x is used").to_vec();
        let curve = |v: &[f32]| xs.iter().copied().zip(v.iter().copied()).collect::<Vec<_>>();
        let path = dir.join(format!("{name}.png"));
        line_chart(&path, name, &[(name, curve(&f)), (&format!("{name}'"), curve(&df))])?;
        print!("{name:<11}");
        for p in probes {
            let i = xs.iter().position(|&v| (v - p).abs() < 1e-4).expect("probe on the grid");
            print!(" {:>15}", format!("{:.3}, {:.3}", f[i], df[i]));
        }
        let (lo, hi) = f.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
        println!("   {lo:>9.3} {hi:>9.3}");
    }
    println!("\npictures written to {}/", dir.display());
    Ok(())
}
