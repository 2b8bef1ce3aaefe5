//! Generative adversarial networks (Goodfellow et al. 2014) on 28×28 images: an MLP pair
//! and DCGAN's (Radford et al. 2016: transposed convolutions, batch normalization, Leaky
//! ReLU), trained by alternating updates with two Adam optimizers.

use derin_data::Batch;
use derin_nn::{
    Activation, ActivationLayer, BatchNormalization, Conv2D, Conv2DTranspose, Ctx, Dense, Dropout, Flatten, Module,
    Padding, Reshape, Sequential, StepLogs, TrainStep, TrainableModel, losses, prefixed,
};
use derin_optim::{Adam, AdamConfig, Optimizer};
use derin_tensor::{Param, Rng, Tensor, no_grad};

use crate::step::class_labels;
use crate::{Error, Result};

/// A GAN's settings: DCGAN's defaults (latent 100, Adam 2·10⁻⁴ with β₁ = 0.5, no label
/// smoothing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GanConfig {
    /// Size of the noise `z ~ N(0, I)`.
    pub latent: usize,
    /// Both optimizers' learning rate.
    pub learning_rate: f32,
    /// Both optimizers' β₁.
    pub beta_1: f32,
    /// The discriminator's target for real images (1; 0.9 is one-sided label smoothing).
    pub real_label: f32,
    /// Seed of the weights and the noise.
    pub seed: u64,
}

impl Default for GanConfig {
    fn default() -> Self {
        GanConfig { latent: 100, learning_rate: 2e-4, beta_1: 0.5, real_label: 1.0, seed: 0 }
    }
}

/// A generator `z → [1, 28, 28]` (pixels in (0, 1)) and a discriminator `[1, 28, 28] →`
/// logit, each with its own optimizer. Discriminator step: real → `real_label`, fake → 0;
/// generator step: the non-saturating loss (fake → 1).
pub struct Gan {
    generator: Sequential,
    discriminator: Sequential,
    /// Classes of a conditional GAN (0: unconditional).
    classes: usize,
    g_opt: Adam,
    d_opt: Adam,
    noise: Rng,
    config: GanConfig,
}

impl Gan {
    /// MLPs: generator `latent → 256 → 512 → 784` (Leaky ReLU 0.2, sigmoid), discriminator
    /// `784 → 512 → 256 → 1` (Leaky ReLU 0.2).
    ///
    /// # Errors
    /// [`Error::Option`] for a zero latent size; `nn` errors building the layers.
    pub fn mlp(config: GanConfig) -> Result<Self> {
        check(&config)?;
        let leaky = Activation::LeakyRelu(0.2);
        let generator = Sequential::with_seed(&[config.latent], config.seed)
            .add(Dense::new(256, leaky))?
            .add(Dense::new(512, leaky))?
            .add(Dense::new(784, Activation::Sigmoid))?
            .add(Reshape::new(&[1, 28, 28]))?;
        let discriminator = Sequential::with_seed(&[1, 28, 28], config.seed + 1)
            .add(Flatten::new())?
            .add(Dense::new(512, leaky))?
            .add(Dense::new(256, leaky))?
            .add(Dense::new(1, Activation::Linear))?;
        Gan::from_parts(generator, discriminator, config)
    }

    /// DCGAN: generator `latent → 128×7×7` (dense, batch norm, ReLU) `→ 64×14×14 → 1×28×28`
    /// (4×4 transposed convolutions of stride 2, batch norm and ReLU, then sigmoid);
    /// discriminator `1×28×28 → 64×14×14 → 128×7×7` (4×4 convolutions of stride 2, Leaky
    /// ReLU 0.2, batch norm on the second) `→` logit.
    ///
    /// # Errors
    /// As [`mlp`](Gan::mlp).
    pub fn dcgan(config: GanConfig) -> Result<Self> {
        check(&config)?;
        let same = Padding::Same;
        let generator = Sequential::with_seed(&[config.latent], config.seed)
            .add(Dense::new(128 * 7 * 7, Activation::Linear))?
            .add(BatchNormalization::new().with_momentum(0.9))?
            .add(ActivationLayer::new(Activation::Relu))?
            .add(Reshape::new(&[128, 7, 7]))?
            .add(Conv2DTranspose::new(64, [4, 4], Activation::Linear).with_strides([2, 2]).with_padding(same))?
            .add(BatchNormalization::new().with_axis(1).with_momentum(0.9))?
            .add(ActivationLayer::new(Activation::Relu))?
            .add(Conv2DTranspose::new(1, [4, 4], Activation::Sigmoid).with_strides([2, 2]).with_padding(same))?;
        let leaky = Activation::LeakyRelu(0.2);
        let discriminator = Sequential::with_seed(&[1, 28, 28], config.seed + 1)
            .add(Conv2D::new(64, [4, 4], leaky).with_strides([2, 2]).with_padding(same))?
            .add(Conv2D::new(128, [4, 4], Activation::Linear).with_strides([2, 2]).with_padding(same))?
            .add(BatchNormalization::new().with_axis(1).with_momentum(0.9))?
            .add(ActivationLayer::new(leaky))?
            .add(Flatten::new())?
            .add(Dense::new(1, Activation::Linear))?;
        Gan::from_parts(generator, discriminator, config)
    }

    /// A conditional GAN of MLPs (Mirza & Osindero 2014): the label's one-hot code is
    /// appended to the generator's noise and to the discriminator's flattened image;
    /// otherwise as [`mlp`](Gan::mlp), with dropout 0.3 after the discriminator's hidden
    /// layers (without it the discriminator wins outright within a few epochs). Batches need labels; [`sample`](Gan::sample) takes
    /// the classes to draw.
    ///
    /// # Errors
    /// As [`mlp`](Gan::mlp), and [`Error::Option`] for no classes.
    pub fn conditional_mlp(config: GanConfig, classes: usize) -> Result<Self> {
        check(&config)?;
        if classes == 0 {
            return Err(Error::Option { op: "Gan::conditional_mlp", what: "needs at least one class".into() });
        }
        let leaky = Activation::LeakyRelu(0.2);
        let generator = Sequential::with_seed(&[config.latent + classes], config.seed)
            .add(Dense::new(256, leaky))?
            .add(Dense::new(512, leaky))?
            .add(Dense::new(784, Activation::Sigmoid))?
            .add(Reshape::new(&[1, 28, 28]))?;
        let discriminator = Sequential::with_seed(&[784 + classes], config.seed + 1)
            .add(Dense::new(512, leaky))?
            .add(Dropout::new(0.3)?)?
            .add(Dense::new(256, leaky))?
            .add(Dropout::new(0.3)?)?
            .add(Dense::new(1, Activation::Linear))?;
        Ok(Gan { classes, ..Gan::from_parts(generator, discriminator, config)? })
    }

    /// The generator's input: the noise, with the labels' one-hot codes when conditional.
    fn g_input(&self, z: &Tensor, labels: Option<&[usize]>) -> Tensor {
        match labels {
            Some(l) if self.classes > 0 => Tensor::concat(&[z, &Tensor::one_hot(l, self.classes)], 1),
            _ => z.clone(),
        }
    }

    /// The discriminator's input: the images, flattened with the labels' codes when
    /// conditional.
    fn d_input(&self, images: &Tensor, labels: Option<&[usize]>) -> Tensor {
        match labels {
            Some(l) if self.classes > 0 => {
                let n = images.shape()[0];
                Tensor::concat(&[&images.reshape(&[n, 784]), &Tensor::one_hot(l, self.classes)], 1)
            }
            _ => images.clone(),
        }
    }

    /// A GAN of your own networks (the generator takes `[N, latent]`, the discriminator
    /// gives one logit per image).
    ///
    /// # Errors
    /// [`Error::Option`] for bad optimizer settings.
    pub fn from_parts(generator: Sequential, discriminator: Sequential, config: GanConfig) -> Result<Self> {
        let adam = || {
            Adam::try_new(AdamConfig {
                learning_rate: config.learning_rate,
                beta_1: config.beta_1,
                ..AdamConfig::default()
            })
            .map_err(|e| Error::Option { op: "Gan", what: e.to_string() })
        };
        Ok(Gan {
            generator,
            discriminator,
            classes: 0,
            g_opt: adam()?,
            d_opt: adam()?,
            noise: Rng::seed(config.seed + 2),
            config,
        })
    }

    /// The generator.
    pub fn generator(&self) -> &Sequential {
        &self.generator
    }

    /// The discriminator.
    pub fn discriminator(&self) -> &Sequential {
        &self.discriminator
    }

    /// `n` images `[n, 1, 28, 28]` from `z ~ N(0, I)` drawn from `rng`, in inference mode;
    /// a conditional GAN draws class `labels[i]` for image `i`.
    ///
    /// # Panics
    /// If a conditional GAN gets no labels, or not `n` of them.
    pub fn sample(&self, n: usize, labels: Option<&[usize]>, rng: &mut Rng) -> Tensor {
        assert!(
            self.classes == 0 || labels.is_some_and(|l| l.len() == n),
            "Gan::sample: a conditional GAN needs {n} labels"
        );
        let z = Tensor::normal(&[n, self.config.latent], 0.0, 1.0, rng);
        no_grad(|| self.generator.forward(&self.g_input(&z, labels), &mut Ctx::eval()))
    }
}

fn check(config: &GanConfig) -> Result<()> {
    if config.latent == 0 || !(0.0..=1.0).contains(&config.real_label) {
        let what = format!("latent must be positive and real_label in [0, 1], got {config:?}");
        return Err(Error::Option { op: "Gan", what });
    }
    Ok(())
}

impl TrainableModel for Gan {
    /// Both networks' weights and moving statistics, prefixed `generator/`, `discriminator/`.
    fn model_weights(&self) -> Vec<Param> {
        let all = |s: &Sequential| [s.weights(), s.state_weights()].concat();
        let mut w = prefixed("generator", all(&self.generator));
        w.extend(prefixed("discriminator", all(&self.discriminator)));
        w
    }
}

impl TrainStep for Gan {
    type Batch = Batch;

    /// One discriminator step, then one generator step, each optimizer updating only its
    /// own network; logs `d_loss`, `g_loss`, `d_real` and `d_fake` (mean probabilities).
    fn train_step(&mut self, batch: &Batch, ctx: &mut Ctx) -> derin_nn::Result<StepLogs> {
        let n = batch.x.shape()[0];
        let labels = class_labels(batch, self.classes, "Gan::train_step")?;
        let real = batch.x.reshape(&[n, 1, 28, 28]);
        let z = Tensor::normal(&[n, self.config.latent], 0.0, 1.0, &mut self.noise);
        let fake = self.generator.forward(&self.g_input(&z, labels), ctx).detach();
        let d_real = self.discriminator.forward(&self.d_input(&real, labels), ctx);
        let d_fake = self.discriminator.forward(&self.d_input(&fake, labels), ctx);
        let d_loss = losses::binary_crossentropy(&d_real, &Tensor::full(&[n, 1], self.config.real_label), true)
            + losses::binary_crossentropy(&d_fake, &Tensor::zeros(&[n, 1]), true);
        let d_value = d_loss.item();
        self.d_opt.step(&self.discriminator.params(), &d_loss.backward());

        let z = Tensor::normal(&[n, self.config.latent], 0.0, 1.0, &mut self.noise);
        let judged = self
            .discriminator
            .forward(&self.d_input(&self.generator.forward(&self.g_input(&z, labels), ctx), labels), ctx);
        let g_loss = losses::binary_crossentropy(&judged, &Tensor::ones(&[n, 1]), true);
        let g_value = g_loss.item();
        self.g_opt.step(&self.generator.params(), &g_loss.backward());
        ctx.apply_updates();
        let (p_real, p_fake) = no_grad(|| (d_real.sigmoid().mean_all().item(), d_fake.sigmoid().mean_all().item()));
        Ok(StepLogs::new(n)
            .with("d_loss", d_value)
            .with("g_loss", g_value)
            .with("d_real", p_real)
            .with("d_fake", p_fake))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_moves_both_networks_and_seeds_reproduce() {
        for gan in [Gan::mlp(GanConfig::default()), Gan::dcgan(GanConfig { latent: 8, ..GanConfig::default() })] {
            let mut gan = gan.unwrap();
            let x = Tensor::uniform(&[4, 1, 28, 28], 0.0, 1.0, &mut Rng::seed(1));
            let batch = Batch { x, y: derin_data::Targets::Unlabeled, indices: vec![0, 1, 2, 3] };
            let before: Vec<Vec<f32>> = gan.model_weights().iter().map(|p| p.value().to_vec()).collect();
            let logs = gan.train_step(&batch, &mut Ctx::train(0)).unwrap();
            assert!(logs.values.loss().is_none() || logs.values.first_non_finite().is_none());
            let after: Vec<Vec<f32>> = gan.model_weights().iter().map(|p| p.value().to_vec()).collect();
            let changed = |prefix: &str| {
                gan.model_weights()
                    .iter()
                    .zip(before.iter().zip(&after))
                    .any(|(p, (b, a))| p.name().starts_with(prefix) && b != a)
            };
            assert!(changed("generator/") && changed("discriminator/"));
            let s = gan.sample(2, None, &mut Rng::seed(3));
            assert_eq!(s.shape(), &[2, 1, 28, 28]);
            assert!(s.to_vec().iter().all(|v| (0.0..=1.0).contains(v)));
            assert_eq!(s.to_vec(), gan.sample(2, None, &mut Rng::seed(3)).to_vec());
        }
        assert!(Gan::mlp(GanConfig { latent: 0, ..GanConfig::default() }).is_err());
    }

    #[test]
    fn a_conditional_gan_needs_labels_and_draws_the_asked_classes() {
        let mut gan = Gan::conditional_mlp(GanConfig { latent: 8, ..GanConfig::default() }, 3).unwrap();
        let x = Tensor::uniform(&[4, 1, 28, 28], 0.0, 1.0, &mut Rng::seed(1));
        let labelled = Batch { x: x.clone(), y: derin_data::Targets::Labels(vec![0, 1, 2, 1]), indices: vec![] };
        gan.train_step(&labelled, &mut Ctx::train(0)).unwrap();
        let unlabelled = Batch { x, y: derin_data::Targets::Unlabeled, indices: vec![] };
        let e = gan.train_step(&unlabelled, &mut Ctx::train(0)).unwrap_err().to_string();
        assert!(e.contains("needs labels below 3"), "{e}");
        // The class code reaches the generator: two classes from the same noise differ.
        let (a, b) = (gan.sample(1, Some(&[0]), &mut Rng::seed(4)), gan.sample(1, Some(&[2]), &mut Rng::seed(4)));
        assert_ne!(a.to_vec(), b.to_vec());
        assert!(Gan::conditional_mlp(GanConfig::default(), 0).is_err());
    }
}
