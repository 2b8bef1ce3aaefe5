//! DCGAN (or, with `GAN=mlp`, a pair of MLPs) on MNIST's 60,000 training digits, a grid of
//! samples after every epoch, then 1,000 samples judged by a CNN classifier trained here on
//! MNIST: how many it recognizes with confidence ≥ 0.9, and the entropy of its predicted
//! classes (ln 10 ≈ 2.30 when every digit is equally common). Last line:
//! `confidence ≥ 0.9: 0.xx  class entropy: x.xx`.
//!
//! Run: `cargo run --release -p derin-generative --example gan` (`EPOCHS=n`, `GAN=mlp`).

use std::time::Instant;

use derin_data::{DataLoader, Picture, TensorDataset, mnist};
use derin_generative::{DigitJudge, Gan, GanConfig};
use derin_nn::{FitOptions, fit};
use derin_tensor::{Rng, Tensor};

/// `images` `[n, 1, 28, 28]` as a grid of `columns`, enlarged 2×.
fn grid(images: &Tensor, columns: usize) -> Result<Picture, Box<dyn std::error::Error>> {
    let n = images.shape()[0];
    let tiles =
        (0..n).map(|i| Picture::from_tensor(&images.narrow(0, i, 1).reshape(&[1, 28, 28])).map(|p| p.upscaled(2)));
    Ok(Picture::grid(&tiles.collect::<Result<Vec<_>, _>>()?, columns, 2, [255; 3])?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    derin_tensor::tune_allocator();
    let data = mnist()?;
    let images = Tensor::from_array(data.train_images.into_dyn());
    let mlp = std::env::var("GAN").is_ok_and(|v| v == "mlp");
    let epochs: usize = std::env::var("EPOCHS").ok().and_then(|v| v.parse().ok()).unwrap_or(if mlp { 20 } else { 8 });
    let mut gan = if mlp {
        Gan::mlp(GanConfig { latent: 64, ..GanConfig::default() })?
    } else {
        Gan::dcgan(GanConfig::default())?
    };
    let name = if mlp { "gan_mlp" } else { "dcgan" };

    let start = Instant::now();
    for epoch in 0..epochs {
        // One `fit` per epoch, reshuffled, to write the fixed-noise samples in between.
        let mut loader = DataLoader::new(TensorDataset::unlabeled(images.clone())?, 128)?.shuffle(epoch as u64);
        fit(&mut gan, &mut loader, None, FitOptions { epochs: 1, verbose: true, ..FitOptions::default() })?;
        let path = format!("{name}_epoch_{}.png", epoch + 1);
        grid(&gan.sample(64, None, &mut Rng::seed(11)), 8)?.save_png(&path)?;
        println!("wrote {path}");
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("training: {seconds:.0} s, {:.1} s per epoch", seconds / epochs as f64);

    let t = Instant::now();
    let judge = DigitJudge::train(&images, &data.train_labels, 2, 0)?;
    let test = Tensor::from_array(data.test_images.into_dyn());
    println!(
        "judge: test accuracy {:.4} ({:.0} s)",
        judge.accuracy(&test, &data.test_labels)?,
        t.elapsed().as_secs_f64()
    );
    let samples = gan.sample(1000, None, &mut Rng::seed(5));
    let verdict = judge.judge(&samples)?;
    let fid = judge.fid(&samples, &test.narrow(0, 0, 1000))?;
    println!("classes of 1,000 samples: {:?}; classifier FID {fid:.2}", verdict.histogram);
    println!("confidence ≥ 0.9: {:.2}  class entropy: {:.2}", verdict.confident, verdict.class_entropy);
    Ok(())
}
