//! RealNVP (Dinh et al. 2017): an invertible map from data to a standard normal made of
//! affine coupling layers with alternating masks and ActNorm layers, so that the exact
//! log-likelihood is the base density plus the log-determinant (Σ s).

use derin_data::Batch;
use derin_nn::{Activation, Ctx, Dense, Module, StepLogs, TrainStep, TrainableModel};
use derin_optim::Optimizer;
use derin_tensor::{Param, Rng, Tensor, no_grad};

use crate::step::optimize;
use crate::{Error, Result};

/// `½ ln 2π`.
const HALF_LN_TAU: f32 = 0.918_938_5;

/// One affine coupling: the masked half passes through and sets a scale `s` (bounded by
/// tanh) and shift `t` for the other half, `y = m·x + (1 − m)·(x·eˢ + t)`.
struct Coupling {
    mask: Tensor,
    s: [Dense; 3],
    t: [Dense; 3],
}

impl Coupling {
    fn new(dim: usize, hidden: usize, mask: Vec<f32>, index: usize, rng: &mut Rng) -> Result<Self> {
        let net = |which: &str, rng: &mut Rng| -> Result<[Dense; 3]> {
            let sizes = [
                (dim, hidden, Activation::Tanh),
                (hidden, hidden, Activation::Tanh),
                (hidden, dim, Activation::Linear),
            ];
            let mut layers = sizes.map(|(_, units, act)| Dense::new(units, act));
            for (k, (l, (fan_in, _, _))) in layers.iter_mut().zip(sizes).enumerate() {
                *l = std::mem::replace(l, Dense::new(1, Activation::Linear))
                    .named(&format!("coupling{index}_{which}{k}"));
                l.build(&[fan_in], rng)?;
            }
            // The last layer starts at zero: every coupling starts as the identity.
            for p in layers[2].weights() {
                p.set(p.value().zeros_like().to_array());
            }
            Ok(layers)
        };
        Ok(Coupling { mask: Tensor::from_vec(mask, &[1, dim]), s: net("s", rng)?, t: net("t", rng)? })
    }

    /// `(s, t)` for the masked input, each zero on the masked half.
    fn scale_shift(&self, masked: &Tensor) -> (Tensor, Tensor) {
        let run = |net: &[Dense; 3]| net.iter().fold(masked.clone(), |h, l| l.forward(&h, &mut Ctx::eval()));
        let free = self.mask.neg().add_scalar(1.0);
        (&run(&self.s).tanh() * &free, &run(&self.t) * &free)
    }

    fn weights(&self) -> Vec<Param> {
        self.s.iter().chain(&self.t).flat_map(|l| l.weights()).collect()
    }
}

/// Per-dimension affine normalization `y = (x − b)·e^(−log σ)` whose parameters are set
/// from the first batch it sees (mean 0, variance 1 there) and then trained
/// (Kingma & Dhariwal's ActNorm); log-det `−Σ log σ`.
struct ActNorm {
    bias: Param,
    log_scale: Param,
    ready: std::cell::Cell<bool>,
}

impl ActNorm {
    fn new(dim: usize, index: usize) -> Self {
        ActNorm {
            bias: Param::new(&format!("actnorm{index}/bias"), Tensor::zeros(&[1, dim]).to_array()),
            log_scale: Param::new(&format!("actnorm{index}/log_scale"), Tensor::zeros(&[1, dim]).to_array()),
            ready: std::cell::Cell::new(false),
        }
    }

    fn initialize(&self, x: &Tensor) {
        if self.ready.replace(true) || x.shape()[0] < 2 {
            return;
        }
        let mean = x.detach().mean(&[0], true);
        let std = (x.detach() - &mean).square().mean(&[0], true).add_scalar(1e-6).sqrt();
        self.bias.set(mean.to_array());
        self.log_scale.set(std.log().to_array());
    }
}

/// A RealNVP flow over `dim`-dimensional data.
///
/// ```
/// use derin_generative::RealNvp;
/// use derin_tensor::{Rng, Tensor};
/// let flow = RealNvp::new(2, 4, 16, 0).unwrap();
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0, 0.5], &[2, 2]);
/// // A new flow is the identity after its ActNorm: inversion is exact either way.
/// let (z, _) = flow.forward(&x);
/// let back = flow.inverse(&z);
/// assert!(back.to_vec().iter().zip(x.to_vec()).all(|(a, b)| (a - b).abs() < 1e-4));
/// ```
pub struct RealNvp {
    dim: usize,
    norms: Vec<ActNorm>,
    couplings: Vec<Coupling>,
    optimizer: Option<Box<dyn Optimizer>>,
}

impl RealNvp {
    /// `layers` (ActNorm, coupling) pairs over `dim` dimensions, masks alternating between
    /// the even and the odd dimensions, scale and shift nets of two `hidden`-unit tanh
    /// layers; weights from `seed`.
    ///
    /// # Errors
    /// [`Error::Option`] for fewer than 2 dimensions or no layers.
    pub fn new(dim: usize, layers: usize, hidden: usize, seed: u64) -> Result<Self> {
        if dim < 2 || layers == 0 || hidden == 0 {
            return Err(Error::Option {
                op: "RealNvp",
                what: format!("needs dim ≥ 2 and layers, got dim {dim}, {layers} layers"),
            });
        }
        let mut rng = Rng::seed(seed);
        let mut couplings = Vec::new();
        for i in 0..layers {
            let mask = (0..dim).map(|d| if (d + i) % 2 == 0 { 1.0 } else { 0.0 }).collect();
            couplings.push(Coupling::new(dim, hidden, mask, i, &mut rng)?);
        }
        Ok(RealNvp { dim, norms: (0..layers).map(|i| ActNorm::new(dim, i)).collect(), couplings, optimizer: None })
    }

    /// Sets the optimizer `fit` trains with.
    pub fn compile(&mut self, optimizer: Box<dyn Optimizer>) {
        self.optimizer = Some(optimizer);
    }

    /// Every weight.
    pub fn weights(&self) -> Vec<Param> {
        let mut w: Vec<Param> = self.norms.iter().flat_map(|n| [n.bias.clone(), n.log_scale.clone()]).collect();
        w.extend(self.couplings.iter().flat_map(Coupling::weights));
        w
    }

    /// Data `x` (`[N, dim]`) to latents `z` and each row's `log |det ∂z/∂x|` (`[N]`).
    pub fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        let n = x.shape()[0];
        let mut h = x.clone();
        let mut logdet = Tensor::zeros(&[n]);
        for (norm, c) in self.norms.iter().zip(&self.couplings) {
            norm.initialize(&h);
            h = (&h - &norm.bias.value()) * norm.log_scale.value().neg().exp();
            logdet = logdet - norm.log_scale.value().sum_all();
            let masked = &h * &c.mask;
            let (s, t) = c.scale_shift(&masked);
            h = &masked + &(&(&h * &s.exp() + &t) * &c.mask.neg().add_scalar(1.0));
            logdet = logdet + s.sum(&[1], false);
        }
        (h, logdet)
    }

    /// Latents `z` back to data: the couplings undone in reverse order.
    pub fn inverse(&self, z: &Tensor) -> Tensor {
        no_grad(|| {
            let mut h = z.clone();
            for (norm, c) in self.norms.iter().zip(&self.couplings).rev() {
                let masked = &h * &c.mask;
                let (s, t) = c.scale_shift(&masked);
                h = &masked + &(&(&h - &t) * &s.neg().exp() * c.mask.neg().add_scalar(1.0));
                h = &h * &norm.log_scale.value().exp() + norm.bias.value();
            }
            h
        })
    }

    /// `log p(x)` of each row: the standard normal's log-density of `z` plus the log-det.
    pub fn log_prob(&self, x: &Tensor) -> Tensor {
        let (z, logdet) = self.forward(x);
        let base = z.square().sum(&[1], false).mul_scalar(-0.5).add_scalar(-HALF_LN_TAU * self.dim as f32);
        base + logdet
    }

    /// `n` samples: `z ~ N(0, I)` from `rng` mapped back to data.
    pub fn sample(&self, n: usize, rng: &mut Rng) -> Tensor {
        self.inverse(&Tensor::normal(&[n, self.dim], 0.0, 1.0, rng))
    }

    /// The mean negative log-likelihood (nats per row) of `x`, without a graph.
    pub fn nll(&self, x: &Tensor) -> f32 {
        no_grad(|| self.log_prob(x).mean_all().neg().item())
    }
}

impl TrainableModel for RealNvp {
    fn model_weights(&self) -> Vec<Param> {
        self.weights()
    }
}

impl TrainStep for RealNvp {
    type Batch = Batch;

    /// One optimizer step on the batch's mean negative log-likelihood (`loss`, nats).
    fn train_step(&mut self, batch: &Batch, _ctx: &mut Ctx) -> derin_nn::Result<StepLogs> {
        let loss = self.log_prob(&batch.x).mean_all().neg();
        let value = loss.item();
        let grads = loss.backward();
        let params = self.weights();
        optimize(&mut self.optimizer, "RealNvp::train_step", &params, &grads)?;
        Ok(StepLogs::new(batch.x.shape()[0]).with("loss", value))
    }

    /// The batch's mean negative log-likelihood without a graph.
    fn test_step(&mut self, batch: &Batch) -> derin_nn::Result<StepLogs> {
        Ok(StepLogs::new(batch.x.shape()[0]).with("loss", self.nll(&batch.x)))
    }
}

#[cfg(test)]
mod tests {
    use derin_nn::{FitOptions, fit};
    use derin_optim::Adam;

    use super::*;

    /// A flow with random (not identity) couplings and its ActNorm left as the identity.
    fn random_flow(seed: u64) -> RealNvp {
        let flow = RealNvp::new(2, 3, 8, seed).unwrap();
        let mut rng = Rng::seed(seed + 100);
        for c in &flow.couplings {
            for p in c.weights() {
                p.set(Tensor::normal(&p.shape(), 0.0, 0.5, &mut rng).to_array());
            }
        }
        flow.norms.iter().for_each(|n| n.ready.set(true));
        flow
    }

    #[test]
    fn identity_couplings_give_the_base_density() {
        let flow = RealNvp::new(3, 2, 4, 0).unwrap();
        flow.norms.iter().for_each(|n| n.ready.set(true));
        let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.0, 0.3, -0.7], &[2, 3]);
        let got = flow.log_prob(&x).to_vec();
        let want: Vec<f32> =
            x.to_vec().chunks(3).map(|r| -0.5 * r.iter().map(|v| v * v).sum::<f32>() - 3.0 * HALF_LN_TAU).collect();
        assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-5), "{got:?} vs {want:?}");
    }

    #[test]
    fn log_det_matches_a_finite_difference_jacobian_and_inversion_is_exact() {
        let flow = random_flow(1);
        for point in [[0.3f32, -0.8], [1.5, 0.2], [-2.0, 1.1]] {
            let f = |p: [f32; 2]| flow.forward(&Tensor::from_vec(p.to_vec(), &[1, 2])).0.to_vec();
            let h = 1e-2;
            let mut jac = [[0.0f64; 2]; 2];
            for j in 0..2 {
                let (mut a, mut b) = (point, point);
                a[j] += h;
                b[j] -= h;
                let (fa, fb) = (f(a), f(b));
                for i in 0..2 {
                    jac[i][j] = (fa[i] - fb[i]) as f64 / (2.0 * h as f64);
                }
            }
            let numeric = (jac[0][0] * jac[1][1] - jac[0][1] * jac[1][0]).abs().ln();
            let (z, logdet) = flow.forward(&Tensor::from_vec(point.to_vec(), &[1, 2]));
            assert!((logdet.item() as f64 - numeric).abs() < 1e-3, "{point:?}: {} vs {numeric}", logdet.item());
            let back = flow.inverse(&z).to_vec();
            assert!(back.iter().zip(point).all(|(a, b)| (a - b).abs() < 1e-4), "{back:?} vs {point:?}");
        }
    }

    #[test]
    fn training_lowers_the_nll_and_sampling_is_seeded() {
        let mut rng = Rng::seed(3);
        // A correlated Gaussian: x2 = 0.9·x1 + 0.3·noise.
        let a = Tensor::normal(&[512, 1], 0.0, 1.0, &mut rng);
        let x = Tensor::concat(&[&a, &(a.mul_scalar(0.9) + Tensor::normal(&[512, 1], 0.0, 0.3, &mut rng))], 1);
        let mut flow = RealNvp::new(2, 4, 16, 0).unwrap();
        flow.compile(Box::new(Adam::new()));
        let before = flow.nll(&x);
        let mut batches: Vec<Batch> = (0..4)
            .map(|b| Batch { x: x.narrow(0, b * 128, 128), y: derin_data::Targets::Unlabeled, indices: vec![] })
            .collect();
        fit(&mut flow, &mut batches, None, FitOptions { epochs: 60, ..FitOptions::default() }).unwrap();
        let after = flow.nll(&x);
        // The true entropy is ½ ln(2πe)·2 + ln 0.3 ≈ 1.63 nats.
        assert!(after < before - 0.3 && after < 1.9, "NLL {before} → {after}");
        assert_eq!(flow.sample(3, &mut Rng::seed(9)).to_vec(), flow.sample(3, &mut Rng::seed(9)).to_vec());
        assert!(RealNvp::new(1, 2, 4, 0).is_err());
    }
}
