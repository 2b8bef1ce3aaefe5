//! A VAE on MNIST as PyTorch's classic example sets it up (784 → 400 → 20 → 400 → 784,
//! ReLU, Bernoulli decoder, Adam 1e-3, batch 128, 10 epochs), then pictures:
//! reconstructions, samples, a latent interpolation strip, and the test digits' means in
//! the latent space of a second VAE with a 2-D latent, coloured by digit.
//!
//! Run: `cargo run --release -p derin-generative --example vae` (`EPOCHS=n` to change the
//! epochs). Its last line is the test negative ELBO.

use std::time::Instant;

use derin_data::{DataLoader, Picture, TensorDataset, mnist};
use derin_generative::{Vae, VaeConfig};
use derin_nn::{FitOptions, fit};
use derin_optim::{Adam, AdamConfig};
use derin_tensor::{Rng, Tensor};

/// `images` `[n, 784]` as a row of 28×28 tiles, enlarged 3×.
fn row(images: &Tensor) -> Result<Picture, Box<dyn std::error::Error>> {
    let n = images.shape()[0];
    let tiles =
        (0..n).map(|i| Picture::from_tensor(&images.narrow(0, i, 1).reshape(&[1, 28, 28])).map(|p| p.upscaled(3)));
    Ok(Picture::grid(&tiles.collect::<Result<Vec<_>, _>>()?, n, 2, [255; 3])?)
}

fn train(vae: &mut Vae, images: &Tensor, epochs: usize) -> Result<f64, Box<dyn std::error::Error>> {
    vae.compile(Box::new(Adam::try_new(AdamConfig { learning_rate: 1e-3, ..AdamConfig::default() })?));
    let mut loader = DataLoader::new(TensorDataset::unlabeled(images.clone())?, 128)?.shuffle(0);
    let start = Instant::now();
    fit(vae, &mut loader, None, FitOptions { epochs, verbose: true, ..FitOptions::default() })?;
    Ok(start.elapsed().as_secs_f64() / epochs.max(1) as f64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    derin_tensor::tune_allocator();
    let data = mnist()?;
    let train_x = Tensor::from_array(data.train_images.into_dyn()).reshape(&[60000, 784]);
    let test_x = Tensor::from_array(data.test_images.into_dyn()).reshape(&[10000, 784]);
    let epochs: usize = std::env::var("EPOCHS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);

    let mut vae = Vae::new(VaeConfig::default(), 0)?;
    let per_epoch = train(&mut vae, &train_x, epochs)?;
    println!("time per epoch: {per_epoch:.2} s");

    let digits = test_x.narrow(0, 0, 10);
    Picture::grid(&[row(&digits)?, row(&vae.reconstruct(&digits, None))?], 1, 4, [255; 3])?
        .save_png("vae_reconstructions.png")?;
    row(&vae.sample(10, None, &mut Rng::seed(3)))?.save_png("vae_samples.png")?;
    // From the mean code of a 7 (test digit 0) to that of a 2 (test digit 1), in 10 steps.
    let (mu, _) = vae.encode(&test_x.narrow(0, 0, 2), None);
    let (a, b) = (mu.narrow(0, 0, 1), mu.narrow(0, 1, 1));
    let path: Vec<Tensor> = (0..10).map(|k| &a + &(&b - &a).mul_scalar(k as f32 / 9.0)).collect();
    let z = Tensor::concat(&path.iter().collect::<Vec<_>>(), 0);
    row(&vae.decode(&z, None).sigmoid())?.save_png("vae_interpolation.png")?;

    // A 2-D latent, for a picture of the code space: each test digit's mean, coloured.
    let mut flat = Vae::new(VaeConfig { latent: 2, ..VaeConfig::default() }, 1)?;
    train(&mut flat, &train_x, 3.min(epochs))?;
    let (codes, _) = flat.encode(&test_x.narrow(0, 0, 3000), None);
    let mut scatter = Picture::new(400, 400, [255; 3]);
    let colours = Picture::palette();
    for (i, c) in codes.to_vec().chunks(2).enumerate() {
        let (x, y) = ((200.0 + c[0] * 60.0).round() as i64, (200.0 - c[1] * 60.0).round() as i64);
        scatter.fill_rect(x - 1, y - 1, 3, 3, colours[data.test_labels[i] % colours.len()]);
    }
    scatter.save_png("vae_latent_2d.png")?;
    println!("wrote vae_reconstructions.png, vae_samples.png, vae_interpolation.png, vae_latent_2d.png");

    let elbo = vae.negative_elbo(&test_x, None, 500, &mut Rng::seed(7));
    println!("test negative ELBO: {elbo:.1} nats");
    Ok(())
}
