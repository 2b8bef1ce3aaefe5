//! A GAN as a custom training step, with public items only: two MLPs (generator 64 → 256
//! → 784, discriminator 784 → 256 → 1), two Adam optimizers, alternating updates, and the
//! whole of `fit` around them — progress bar, `History`, a CSV log, a checkpoint per
//! epoch (a safetensors file of both networks' weights), the NaN guard. One epoch on the
//! bundled MNIST training images, then the checkpoint is loaded into a fresh GAN, which
//! must generate exactly what the trained one generates.
//!
//! Run: `cargo run --release -p derin-nn --example gan_loop`

use std::time::Instant;

use derin_data::{Batch, DataLoader, TensorDataset, mnist};
use derin_nn::{
    Activation, CSVLogger, Ctx, Dense, FitOptions, ModelCheckpoint, Module, Monitor, Result, Sequential, StepLogs,
    TrainStep, TrainableModel, fit, load_weights, losses, prefixed,
};
use derin_optim::{Adam, AdamConfig, Optimizer};
use derin_tensor::{Param, Rng, Tensor, no_grad};

const LATENT: usize = 64;

/// A generator and a discriminator, each with its own optimizer.
struct Gan {
    generator: Sequential,
    discriminator: Sequential,
    g_opt: Adam,
    d_opt: Adam,
    noise: Rng,
}

impl Gan {
    fn new(seed: u64) -> std::result::Result<Self, Box<dyn std::error::Error>> {
        let generator = Sequential::with_seed(&[LATENT], seed)
            .add(Dense::new(256, Activation::LeakyRelu(0.2)))?
            .add(Dense::new(784, Activation::Sigmoid))?;
        let discriminator = Sequential::with_seed(&[784], seed + 1)
            .add(Dense::new(256, Activation::LeakyRelu(0.2)))?
            .add(Dense::new(1, Activation::Linear))?;
        // The usual GAN settings: learning rate 2e-4, β₁ = 0.5.
        let adam = || Adam::try_new(AdamConfig { learning_rate: 2e-4, beta_1: 0.5, ..AdamConfig::default() });
        Ok(Gan { generator, discriminator, g_opt: adam()?, d_opt: adam()?, noise: Rng::seed(seed + 2) })
    }

    /// `n` images from the generator, `[n, 784]`, values in (0, 1).
    fn sample(&self, z: &Tensor) -> Tensor {
        no_grad(|| self.generator.forward(z, &mut Ctx::eval()))
    }
}

impl TrainableModel for Gan {
    /// Both networks' weights, prefixed so that their `dense/kernel`s never collide.
    fn model_weights(&self) -> Vec<Param> {
        let mut weights = prefixed("generator", self.generator.weights());
        weights.extend(prefixed("discriminator", self.discriminator.weights()));
        weights
    }
}

impl TrainStep for Gan {
    type Batch = Batch;

    /// One discriminator step (real → 1, fake → 0), then one generator step with the
    /// non-saturating loss (fake → 1), each optimizer updating only its own network.
    fn train_step(&mut self, batch: &Batch, ctx: &mut Ctx) -> Result<StepLogs> {
        let n = batch.len();
        let real = batch.x.reshape(&[n, 784]);
        let (ones, zeros) = (Tensor::ones(&[n, 1]), Tensor::zeros(&[n, 1]));

        let z = Tensor::normal(&[n, LATENT], 0.0, 1.0, &mut self.noise);
        let fake = self.sample(&z);
        let d_real = self.discriminator.forward(&real, ctx);
        let d_fake = self.discriminator.forward(&fake, ctx);
        let d_loss =
            losses::binary_crossentropy(&d_real, &ones, true) + losses::binary_crossentropy(&d_fake, &zeros, true);
        let d_value = d_loss.item();
        self.d_opt.step(&self.discriminator.params(), &d_loss.backward());

        let z = Tensor::normal(&[n, LATENT], 0.0, 1.0, &mut self.noise);
        let judged = self.discriminator.forward(&self.generator.forward(&z, ctx), ctx);
        let g_loss = losses::binary_crossentropy(&judged, &ones, true);
        let g_value = g_loss.item();
        self.g_opt.step(&self.generator.params(), &g_loss.backward());

        let d_x = no_grad(|| d_real.sigmoid().mean_all().item());
        let d_g_z = no_grad(|| judged.sigmoid().mean_all().item());
        Ok(StepLogs::new(n).with("d_loss", d_value).with("g_loss", g_value).with("d_x", d_x).with("d_g_z", d_g_z))
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let data = mnist()?;
    let images = Tensor::from_array(data.train_images.into_dyn());
    let mut loader = DataLoader::new(TensorDataset::unlabeled(images)?, 64)?.shuffle(0);
    let mut gan = Gan::new(0)?;

    let checkpoint = ModelCheckpoint::new("gan_epoch_{epoch}.safetensors").monitor(Monitor::Key("g_loss"));
    let options = FitOptions {
        epochs: 1,
        verbose: true,
        callbacks: vec![Box::new(CSVLogger::new("gan_log.csv")), Box::new(checkpoint)],
        ..FitOptions::default()
    };
    let start = Instant::now();
    let history = fit(&mut gan, &mut loader, None, options)?;
    println!("training time: {:.1} s", start.elapsed().as_secs_f64());
    for key in ["d_loss", "g_loss", "d_x", "d_g_z"] {
        println!("{key}: {:.4}", history.get(key)[0]);
    }

    // A fresh GAN with other initial weights generates what the trained one does once the
    // checkpoint is loaded.
    let restored = Gan::new(7)?;
    load_weights("gan_epoch_1.safetensors", &restored.model_weights())?;
    let z = Tensor::normal(&[16, LATENT], 0.0, 1.0, &mut Rng::seed(42));
    let (a, b) = (gan.sample(&z), restored.sample(&z));
    let diff = a.to_vec().iter().zip(b.to_vec()).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    println!("checkpoint gan_epoch_1.safetensors reloaded: largest difference in 16 samples {diff:e}");
    assert_eq!(diff, 0.0, "the reloaded generator must match the trained one");

    // How far the samples are from noise: the mean ink per image (MNIST's is about 0.13)
    // and the share of pixels near 0 or 1.
    let samples = gan.sample(&Tensor::normal(&[1000, LATENT], 0.0, 1.0, &mut Rng::seed(1)));
    let ink = samples.mean_all().item();
    let crisp = samples.to_vec().iter().filter(|&&v| !(0.1..=0.9).contains(&v)).count() as f32 / samples.len() as f32;
    println!("generated images: mean ink {ink:.3} (MNIST 0.131), pixels near 0 or 1 {:.1} %", 100.0 * crisp);
    Ok(())
}
