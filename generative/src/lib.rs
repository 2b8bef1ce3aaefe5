//! Generative models on Derin, trained with the public training loop of `derin-nn`
//! (`TrainStep` + `fit`): so far the variational autoencoder ([`Vae`], conditional on a class when
//! [`VaeConfig::classes`] is set) and the terms of
//! its loss ([`kl_standard_normal`], [`kl_normal`], [`bernoulli_nll`]), GANs ([`Gan`]:
//! MLP, DCGAN and conditional pairs), RealNVP flows ([`RealNvp`]), and a judge of generated digits ([`DigitJudge`]: a CNN's
//! confidence, the entropy of its classes, a classifier FID).
//!
//! ```
//! use derin_generative::{Vae, VaeConfig};
//! use derin_tensor::{Rng, Tensor};
//! let vae = Vae::new(VaeConfig { input: 4, hidden: 8, latent: 2, classes: 0 }, 0).unwrap();
//! let x = Tensor::full(&[3, 4], 0.5);
//! let loss = vae.loss(&x, None, &mut Rng::seed(1));
//! // Per image: −log p(x|z) for a Bernoulli decoder plus KL(q(z|x) ‖ N(0, I)) ≥ 0.
//! assert!(loss.total.item() > loss.kl.item() && loss.kl.item() >= 0.0);
//! ```

mod divergence;
mod error;
mod flow;
mod gan;
mod judge;
mod step;
mod vae;

pub use divergence::{bernoulli_nll, kl_normal, kl_standard_normal};
pub use error::{Error, Result};
pub use flow::RealNvp;
pub use gan::{Gan, GanConfig};
pub use judge::{DigitJudge, Judgement, frechet_distance};
pub use vae::{Vae, VaeConfig, VaeLoss};
