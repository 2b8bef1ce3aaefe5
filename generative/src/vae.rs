//! The variational autoencoder (Kingma & Welling 2014) as PyTorch's classic example builds
//! it: an MLP encoder to the mean and log-variance of a diagonal Gaussian, the
//! reparameterization `z = μ + σ·ε`, an MLP decoder to Bernoulli logits.

use derin_data::Batch;
use derin_nn::{Activation, Ctx, Dense, Module, StepLogs, TrainStep, TrainableModel};
use derin_optim::Optimizer;
use derin_tensor::{Param, Rng, Tensor, no_grad};

use crate::step::{class_labels, optimize};
use crate::{Error, Result, bernoulli_nll, kl_standard_normal};

/// Layer sizes: `input → hidden → (μ, log σ²: latent) → hidden → input`, and for a
/// conditional VAE the number of classes whose one-hot code joins the encoder's input and
/// the decoder's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaeConfig {
    /// Pixels per image (784 for MNIST).
    pub input: usize,
    /// Units of the hidden layers (400).
    pub hidden: usize,
    /// Latent dimensions (20).
    pub latent: usize,
    /// Classes of a conditional VAE (0: unconditional).
    pub classes: usize,
}

impl Default for VaeConfig {
    /// PyTorch's example: 784 → 400 → 20 → 400 → 784.
    fn default() -> Self {
        VaeConfig { input: 784, hidden: 400, latent: 20, classes: 0 }
    }
}

/// A batch's loss and its two terms, each per image: `total = reconstruction + kl`, the
/// negative evidence lower bound (in nats) for the batch's noise.
pub struct VaeLoss {
    /// `−log p(x | z)`.
    pub reconstruction: Tensor,
    /// `KL(q(z | x) ‖ N(0, I))`.
    pub kl: Tensor,
    /// Their sum.
    pub total: Tensor,
}

/// A VAE with a Bernoulli decoder; trains through `derin_nn::fit` on batches of images
/// (any shape `[N, …]` of `input` values in [0, 1] per image) once compiled.
///
/// Layers `encoder` (ReLU), `mu`, `logvar`, `decoder` (ReLU), `logits`.
pub struct Vae {
    encoder: Dense,
    mu: Dense,
    logvar: Dense,
    decoder: Dense,
    logits: Dense,
    config: VaeConfig,
    optimizer: Option<Box<dyn Optimizer>>,
    noise: Rng,
}

impl Vae {
    /// A VAE of `config` with weights drawn from `seed` as PyTorch's `nn.Linear` draws
    /// them (kernel and bias `U(±1/√fan_in)`), the set-up of PyTorch's example.
    ///
    /// # Errors
    /// [`Error::Option`] for a zero size.
    pub fn new(config: VaeConfig, seed: u64) -> Result<Self> {
        let VaeConfig { input, hidden, latent, classes } = config;
        if input == 0 || hidden == 0 || latent == 0 {
            return Err(Error::Option { op: "Vae", what: format!("sizes must be positive, got {config:?}") });
        }
        let mut rng = Rng::seed(seed);
        let mut dense = |units, activation, name: &str, fan_in: usize| -> Result<Dense> {
            let mut d = Dense::new(units, activation).named(name);
            d.build(&[fan_in], &mut rng)?;
            let bound = 1.0 / (fan_in as f32).sqrt();
            for p in d.weights() {
                p.set(Tensor::uniform(&p.shape(), -bound, bound, &mut rng).to_array());
            }
            Ok(d)
        };
        Ok(Vae {
            encoder: dense(hidden, Activation::Relu, "encoder", input + classes)?,
            mu: dense(latent, Activation::Linear, "mu", hidden)?,
            logvar: dense(latent, Activation::Linear, "logvar", hidden)?,
            decoder: dense(hidden, Activation::Relu, "decoder", latent + classes)?,
            logits: dense(input, Activation::Linear, "logits", hidden)?,
            config,
            optimizer: None,
            noise: Rng::seed(seed.wrapping_add(1)),
        })
    }

    /// The sizes.
    pub fn config(&self) -> VaeConfig {
        self.config
    }

    /// Sets the optimizer `fit` trains with.
    pub fn compile(&mut self, optimizer: Box<dyn Optimizer>) {
        self.optimizer = Some(optimizer);
    }

    /// Every weight, by layer (`encoder/kernel`, …).
    pub fn weights(&self) -> Vec<Param> {
        [&self.encoder, &self.mu, &self.logvar, &self.decoder, &self.logits].iter().flat_map(|d| d.weights()).collect()
    }

    /// `[N, input]` from `[N, …]`.
    fn flat(&self, x: &Tensor) -> Tensor {
        let n = x.shape().first().copied().unwrap_or(0);
        x.reshape(&[n, x.len() / n.max(1)])
    }

    /// `t` with the one-hot codes of `labels` appended (a conditional VAE), else `t`.
    ///
    /// # Panics
    /// If labels are given to an unconditional VAE or missing for a conditional one, or a
    /// label is not a class.
    fn condition(&self, t: &Tensor, labels: Option<&[usize]>) -> Tensor {
        match (self.config.classes, labels) {
            (0, None) => t.clone(),
            (0, Some(_)) => panic!("Vae: labels given to an unconditional VAE"),
            (_, None) => panic!("Vae: a conditional VAE needs the labels"),
            (k, Some(l)) => Tensor::concat(&[t, &Tensor::one_hot(l, k)], 1),
        }
    }

    /// The Gaussian `q(z | x, y)`: `(μ, log σ²)`, each `[N, latent]` (`labels` for a
    /// conditional VAE, else `None`).
    pub fn encode(&self, x: &Tensor, labels: Option<&[usize]>) -> (Tensor, Tensor) {
        let ctx = &mut Ctx::eval();
        let h = self.encoder.forward(&self.condition(&self.flat(x), labels), ctx);
        (self.mu.forward(&h, ctx), self.logvar.forward(&h, ctx))
    }

    /// Bernoulli logits `[N, input]` of latent codes `z` (`[N, latent]`), of classes
    /// `labels` for a conditional VAE.
    pub fn decode(&self, z: &Tensor, labels: Option<&[usize]>) -> Tensor {
        let ctx = &mut Ctx::eval();
        self.logits.forward(&self.decoder.forward(&self.condition(z, labels), ctx), ctx)
    }

    /// The loss of `x` (of classes `labels` for a conditional VAE) with the
    /// reparameterization noise `eps` (`[N, latent]`).
    pub fn loss_with_noise(&self, x: &Tensor, labels: Option<&[usize]>, eps: &Tensor) -> VaeLoss {
        let x = self.flat(x);
        let (mu, logvar) = self.encode(&x, labels);
        let z = &mu + &(eps * &logvar.mul_scalar(0.5).exp());
        let reconstruction = bernoulli_nll(&self.decode(&z, labels), &x);
        let kl = kl_standard_normal(&mu, &logvar);
        let total = &reconstruction + &kl;
        VaeLoss { reconstruction, kl, total }
    }

    /// The loss of `x` with noise drawn from `rng`.
    pub fn loss(&self, x: &Tensor, labels: Option<&[usize]>, rng: &mut Rng) -> VaeLoss {
        let n = x.shape().first().copied().unwrap_or(0);
        let eps = Tensor::normal(&[n, self.config.latent], 0.0, 1.0, rng);
        self.loss_with_noise(x, labels, &eps)
    }

    /// The negative ELBO per image over `images` (`[N, …]`), one noise draw per image as
    /// PyTorch's example evaluates it, in batches of `batch`; no graph.
    pub fn negative_elbo(&self, images: &Tensor, labels: Option<&[usize]>, batch: usize, rng: &mut Rng) -> f32 {
        let n = images.shape().first().copied().unwrap_or(0);
        let mut total = 0.0f64;
        no_grad(|| {
            for start in (0..n).step_by(batch.max(1)) {
                let len = batch.max(1).min(n - start);
                let l = labels.map(|l| &l[start..start + len]);
                total += self.loss(&images.narrow(0, start, len), l, rng).total.item() as f64 * len as f64;
            }
        });
        (total / n.max(1) as f64) as f32
    }

    /// Pixel probabilities of the decoder at `z = μ(x)`: reconstructions `[N, input]`.
    pub fn reconstruct(&self, x: &Tensor, labels: Option<&[usize]>) -> Tensor {
        no_grad(|| self.decode(&self.encode(x, labels).0, labels).sigmoid())
    }

    /// `n` images `[n, input]` (pixel probabilities) decoded from `z ~ N(0, I)`; a
    /// conditional VAE draws class `labels[i]` for image `i` ("draw a 7").
    pub fn sample(&self, n: usize, labels: Option<&[usize]>, rng: &mut Rng) -> Tensor {
        no_grad(|| self.decode(&Tensor::normal(&[n, self.config.latent], 0.0, 1.0, rng), labels).sigmoid())
    }
}

impl TrainableModel for Vae {
    fn model_weights(&self) -> Vec<Param> {
        self.weights()
    }
}

impl TrainStep for Vae {
    type Batch = Batch;

    /// One optimizer step on the batch's negative ELBO; logs `loss`, `reconstruction`, `kl`.
    fn train_step(&mut self, batch: &Batch, _ctx: &mut Ctx) -> derin_nn::Result<StepLogs> {
        let labels = class_labels(batch, self.config.classes, "Vae (conditional)")?;
        let eps = Tensor::normal(&[batch.x.shape()[0], self.config.latent], 0.0, 1.0, &mut self.noise);
        let loss = self.loss_with_noise(&batch.x, labels, &eps);
        let logs = logs(batch.x.shape()[0], &loss);
        let grads = loss.total.backward();
        let params = self.weights();
        optimize(&mut self.optimizer, "Vae::train_step", &params, &grads)?;
        Ok(logs)
    }

    /// The batch's negative ELBO without a graph.
    fn test_step(&mut self, batch: &Batch) -> derin_nn::Result<StepLogs> {
        let labels = class_labels(batch, self.config.classes, "Vae (conditional)")?;
        let loss = no_grad(|| self.loss(&batch.x, labels, &mut self.noise.clone()));
        Ok(logs(batch.x.shape()[0], &loss))
    }
}

fn logs(n: usize, loss: &VaeLoss) -> StepLogs {
    StepLogs::new(n)
        .with("loss", loss.total.item())
        .with("reconstruction", loss.reconstruction.item())
        .with("kl", loss.kl.item())
}

#[cfg(test)]
mod tests {
    use derin_data::Targets;
    use derin_nn::{FitOptions, fit};
    use derin_optim::Adam;

    use super::*;

    fn images(n: usize) -> Tensor {
        // Two kinds of 4×4 images: left half on, or right half on.
        let v = (0..n * 16).map(|i| if ((i % 16) % 4 < 2) == ((i / 16) % 2 == 0) { 0.95 } else { 0.05 }).collect();
        Tensor::from_vec(v, &[n, 1, 4, 4])
    }

    #[test]
    fn training_lowers_the_negative_elbo_and_seeds_reproduce() {
        let config = VaeConfig { input: 16, hidden: 16, latent: 2, classes: 0 };
        let mut vae = Vae::new(config, 0).unwrap();
        vae.compile(Box::new(Adam::new()));
        let data = images(32);
        let before = vae.negative_elbo(&data, None, 8, &mut Rng::seed(5));
        let mut batches: Vec<Batch> = (0..4)
            .map(|b| Batch {
                x: data.narrow(0, b * 8, 8),
                y: derin_data::Targets::Unlabeled,
                indices: (b * 8..b * 8 + 8).collect(),
            })
            .collect();
        let history = fit(&mut vae, &mut batches, None, FitOptions { epochs: 60, ..FitOptions::default() }).unwrap();
        let after = vae.negative_elbo(&data, None, 8, &mut Rng::seed(5));
        assert!(after < 0.7 * before, "negative ELBO {before} → {after}");
        assert!(history.get("kl").iter().all(|&k| k >= 0.0));
        let again = Vae::new(config, 0).unwrap();
        assert_eq!(
            again.sample(3, None, &mut Rng::seed(2)).to_vec(),
            Vae::new(config, 0).unwrap().sample(3, None, &mut Rng::seed(2)).to_vec()
        );
        assert_eq!(vae.reconstruct(&data, None).shape(), &[32, 16]);
        assert!(Vae::new(VaeConfig { latent: 0, ..config }, 0).is_err());
    }

    #[test]
    fn the_loss_is_its_two_terms() {
        let vae = Vae::new(VaeConfig { input: 4, hidden: 3, latent: 2, classes: 0 }, 1).unwrap();
        let x = Tensor::from_vec(vec![0.0, 1.0, 0.5, 0.2, 1.0, 0.0, 0.3, 0.9], &[2, 4]);
        let eps = Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.05], &[2, 2]);
        let l = vae.loss_with_noise(&x, None, &eps);
        assert!((l.total.item() - l.reconstruction.item() - l.kl.item()).abs() < 1e-5);
        // The reconstruction term is the summed BCE of the decoded z, per image.
        let (mu, logvar) = vae.encode(&x, None);
        let z = &mu + &(&eps * &logvar.mul_scalar(0.5).exp());
        let p = vae.decode(&z, None).sigmoid().to_vec();
        let bce: f32 =
            p.iter().zip(x.to_vec()).map(|(p, x)| -(x * p.ln() + (1.0 - x) * (1.0 - p).ln())).sum::<f32>() / 2.0;
        assert!((l.reconstruction.item() - bce).abs() < 1e-4, "{} vs {bce}", l.reconstruction.item());
    }

    #[test]
    fn a_conditional_vae_learns_what_each_class_looks_like() {
        // Class 0: left half on; class 1: right half on. After training, sampling a class
        // draws its half.
        let config = VaeConfig { input: 16, hidden: 16, latent: 2, classes: 2 };
        let mut vae = Vae::new(config, 3).unwrap();
        vae.compile(Box::new(Adam::new()));
        let data = images(32);
        let labels: Vec<usize> = (0..32).map(|i| i % 2).collect();
        let mut batches: Vec<Batch> = (0..4)
            .map(|b| Batch {
                x: data.narrow(0, b * 8, 8),
                y: Targets::Labels(labels[b * 8..b * 8 + 8].to_vec()),
                indices: vec![],
            })
            .collect();
        fit(&mut vae, &mut batches, None, FitOptions { epochs: 300, ..FitOptions::default() }).unwrap();
        // Mean ink on the left half of 50 samples of each class.
        let left = |class: usize| {
            let s = vae.sample(50, Some(&[class; 50]), &mut Rng::seed(1)).to_vec();
            s.iter().enumerate().filter(|(p, _)| p % 4 < 2).map(|(_, v)| v).sum::<f32>() / 400.0
        };
        let (l0, l1) = (left(0), left(1));
        assert!(l0 > 0.7 && l1 < 0.3, "left-half ink: class 0 {l0}, class 1 {l1}");
        let mut unlabeled = vec![Batch { x: data.narrow(0, 0, 8), y: Targets::Unlabeled, indices: vec![] }];
        let e = fit(&mut vae, &mut unlabeled, None, FitOptions { epochs: 1, ..FitOptions::default() }).unwrap_err();
        assert!(e.to_string().contains("batches need class labels"), "{e}");
    }
}
