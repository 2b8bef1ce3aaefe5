//! RealNVP on a 2-D mixture of four Gaussians whose density is known: the flow's test
//! negative log-likelihood against the true density's entropy (the best any model can
//! reach), and a picture of true and generated samples side by side. Last line:
//! `test NLL: x.xxxx nats (true entropy x.xxxx, gap x.xxxx)`.
//!
//! Run: `cargo run --release -p derin-generative --example realnvp` (`EPOCHS=n`).

use std::time::Instant;

use derin_data::{DataLoader, Picture, TensorDataset};
use derin_generative::RealNvp;
use derin_nn::{FitOptions, fit};
use derin_optim::{Adam, AdamConfig};
use derin_tensor::{Rng, Tensor};

/// The mixture: equal weights, centres (±2, 0) and (0, ±2), standard deviation 0.5 (the
/// coordinates depend on each other, which is what couplings learn from).
const CENTRES: [[f32; 2]; 4] = [[-2.0, 0.0], [2.0, 0.0], [0.0, -2.0], [0.0, 2.0]];
const STD: f32 = 0.5;

fn mixture(n: usize, rng: &mut Rng) -> Tensor {
    let v: Vec<f32> = (0..n)
        .flat_map(|_| {
            let c = CENTRES[rng.below(4)];
            [c[0] + STD * rng.normal(), c[1] + STD * rng.normal()]
        })
        .collect();
    Tensor::from_vec(v, &[n, 2])
}

/// The mixture's exact log-density at each row.
fn log_density(x: &Tensor) -> Vec<f64> {
    let log_norm = -(2.0 * std::f64::consts::PI * (STD as f64).powi(2)).ln();
    x.to_vec()
        .chunks(2)
        .map(|p| {
            let terms: Vec<f64> = CENTRES
                .iter()
                .map(|c| {
                    let d2 = (p[0] - c[0]).powi(2) as f64 + (p[1] - c[1]).powi(2) as f64;
                    0.25f64.ln() + log_norm - d2 / (2.0 * (STD as f64).powi(2))
                })
                .collect();
            let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln()
        })
        .collect()
}

/// Points `[n, 2]` in [−4, 4]² as dots on a 300×300 picture.
fn scatter(points: &Tensor, colour: [u8; 3]) -> Picture {
    let mut p = Picture::new(300, 300, [255; 3]);
    for q in points.to_vec().chunks(2) {
        p.fill_rect((150.0 + q[0] * 37.5) as i64, (150.0 - q[1] * 37.5) as i64, 2, 2, colour);
    }
    p
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Rng::seed(0);
    let train = mixture(20_000, &mut rng);
    let test = mixture(20_000, &mut rng);
    let entropy = -log_density(&mixture(200_000, &mut rng)).iter().sum::<f64>() / 200_000.0;
    let epochs: usize = std::env::var("EPOCHS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);

    let mut flow = RealNvp::new(2, 8, 64, 1)?;
    flow.compile(Box::new(Adam::try_new(AdamConfig { learning_rate: 1e-3, ..AdamConfig::default() })?));
    let mut loader = DataLoader::new(TensorDataset::unlabeled(train)?, 256)?.shuffle(0);
    let start = Instant::now();
    fit(&mut flow, &mut loader, None, FitOptions { epochs, verbose: true, ..FitOptions::default() })?;
    println!("time per epoch: {:.2} s", start.elapsed().as_secs_f64() / epochs as f64);

    let samples = flow.sample(3000, &mut Rng::seed(5));
    let z = flow.forward(&samples).0;
    let back = flow.inverse(&z);
    let err = back.to_vec().iter().zip(samples.to_vec()).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    println!("largest inversion error over 3,000 samples: {err:.2e}");
    let truth = mixture(3000, &mut Rng::seed(6));
    Picture::grid(&[scatter(&truth, [0, 90, 200]), scatter(&samples, [220, 60, 40])], 2, 4, [200; 3])?
        .save_png("realnvp_2d.png")?;
    println!("wrote realnvp_2d.png (true samples, then the flow's)");
    let nll = flow.nll(&test) as f64;
    println!("test NLL: {nll:.4} nats (true entropy {entropy:.4}, gap {:.4})", nll - entropy);
    Ok(())
}
