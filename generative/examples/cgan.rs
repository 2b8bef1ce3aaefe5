//! "Draw a 7" with a GAN: a conditional GAN of MLPs (the label's one-hot code joins the
//! generator's noise and the discriminator's image) on MNIST's 60,000 training digits,
//! then 100 samples of each class judged by a CNN classifier trained here: how often it
//! agrees with the class asked for. Writes `cgan_samples.png` (one row per digit). Last
//! line: `conditional accuracy: 0.xxxx`.
//!
//! Run: `cargo run --release -p derin-generative --example cgan` (`EPOCHS=n`).

use std::time::Instant;

use derin_data::{DataLoader, Picture, TensorDataset, mnist};
use derin_generative::{DigitJudge, Gan, GanConfig};
use derin_nn::{FitOptions, fit};
use derin_tensor::{Rng, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    derin_tensor::tune_allocator();
    let data = mnist()?;
    let images = Tensor::from_array(data.train_images.into_dyn());
    let epochs: usize = std::env::var("EPOCHS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let mut gan = Gan::conditional_mlp(GanConfig { latent: 64, real_label: 0.9, ..GanConfig::default() }, 10)?;
    let dataset = TensorDataset::with_labels(images.clone(), data.train_labels.clone())?;
    let mut loader = DataLoader::new(dataset, 128)?.shuffle(0);
    let start = Instant::now();
    fit(&mut gan, &mut loader, None, FitOptions { epochs, verbose: true, ..FitOptions::default() })?;
    println!("time per epoch: {:.2} s", start.elapsed().as_secs_f64() / epochs as f64);

    let asked: Vec<usize> = (0..1000).map(|i| i / 100).collect();
    let samples = gan.sample(1000, Some(&asked), &mut Rng::seed(3));
    let tiles = (0..10)
        .flat_map(|d| (0..10).map(move |k| d * 100 + k))
        .map(|i| Picture::from_tensor(&samples.narrow(0, i, 1).reshape(&[1, 28, 28])).map(|p| p.upscaled(2)));
    Picture::grid(&tiles.collect::<Result<Vec<_>, _>>()?, 10, 2, [255; 3])?.save_png("cgan_samples.png")?;
    println!("wrote cgan_samples.png");

    let judge = DigitJudge::train(&images, &data.train_labels, 2, 0)?;
    let verdict = judge.judge(&samples)?;
    println!("confidence ≥ 0.9: {:.2}  class entropy: {:.2}", verdict.confident, verdict.class_entropy);
    println!("conditional accuracy: {:.4}", judge.accuracy(&samples, &asked)?);
    Ok(())
}
