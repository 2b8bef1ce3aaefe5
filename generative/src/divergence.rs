//! The terms of a VAE's loss: Kullback–Leibler divergences between diagonal Gaussians and
//! the negative log-likelihood of a Bernoulli decoder, each summed over a sample's units
//! and averaged over the batch.

use derin_tensor::Tensor;

/// `KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²)`, summed over the latent units
/// (the last axis) and averaged over the batch (the first).
///
/// # Shapes
/// `mu`, `logvar` `[N, d]` → a scalar.
///
/// ```
/// use derin_generative::kl_standard_normal;
/// use derin_tensor::Tensor;
/// let zero = kl_standard_normal(&Tensor::zeros(&[2, 3]), &Tensor::zeros(&[2, 3]));
/// assert_eq!(zero.item(), 0.0);
/// // μ = 1, σ² = 1 in one unit: ½·μ² = 0.5.
/// let one = kl_standard_normal(&Tensor::from_vec(vec![1.0], &[1, 1]), &Tensor::zeros(&[1, 1]));
/// assert!((one.item() - 0.5).abs() < 1e-7);
/// ```
pub fn kl_standard_normal(mu: &Tensor, logvar: &Tensor) -> Tensor {
    let n = mu.shape().first().copied().unwrap_or(1).max(1) as f32;
    let inner = logvar.add_scalar(1.0) - mu.square() - logvar.exp();
    inner.sum_all().mul_scalar(-0.5 / n)
}

/// `KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = ½ Σ (log σ₂² − log σ₁² + (σ₁² + (μ₁ − μ₂)²)/σ₂² − 1)`,
/// summed over the last axis and averaged over the first (a conditional prior's KL).
///
/// # Shapes
/// Four tensors `[N, d]` → a scalar.
///
/// ```
/// use derin_generative::{kl_normal, kl_standard_normal};
/// use derin_tensor::Tensor;
/// let (mu, lv) = (Tensor::from_vec(vec![0.3, -1.0], &[1, 2]), Tensor::from_vec(vec![0.5, -0.2], &[1, 2]));
/// let z = Tensor::zeros(&[1, 2]);
/// // Against N(0, I) it is the closed form above.
/// assert!((kl_normal(&mu, &lv, &z, &z).item() - kl_standard_normal(&mu, &lv).item()).abs() < 1e-6);
/// assert!(kl_normal(&mu, &lv, &mu, &lv).item().abs() < 1e-7);
/// ```
pub fn kl_normal(mu1: &Tensor, logvar1: &Tensor, mu2: &Tensor, logvar2: &Tensor) -> Tensor {
    let n = mu1.shape().first().copied().unwrap_or(1).max(1) as f32;
    let ratio = (logvar1.exp() + (mu1 - mu2).square()) / logvar2.exp();
    (logvar2 - logvar1 + ratio).add_scalar(-1.0).sum_all().mul_scalar(0.5 / n)
}

/// `−log p(x | logits)` of independent Bernoulli pixels, `Σ max(l, 0) − l·x + log(1 + e^−|l|)`
/// (binary cross-entropy from logits, PyTorch's `reduction="sum"`), divided by the
/// batch size.
///
/// # Shapes
/// `logits`, `x` `[N, …]` → a scalar.
///
/// ```
/// use derin_generative::bernoulli_nll;
/// use derin_tensor::Tensor;
/// // Logit 0 is p = ½: ln 2 per pixel, 4 pixels per image.
/// let nll = bernoulli_nll(&Tensor::zeros(&[2, 4]), &Tensor::ones(&[2, 4]));
/// assert!((nll.item() - 4.0 * 2f32.ln()).abs() < 1e-6);
/// ```
pub fn bernoulli_nll(logits: &Tensor, x: &Tensor) -> Tensor {
    let n = x.shape().first().copied().unwrap_or(1).max(1) as f32;
    let elements = x.len() as f32;
    derin_nn::losses::binary_crossentropy(logits, x, true).mul_scalar(elements / n)
}

#[cfg(test)]
mod tests {
    use derin_tensor::check_gradients;

    use super::*;

    #[test]
    fn gradients_agree_with_finite_differences() {
        let t = |v: &[f32]| Tensor::from_vec(v.to_vec(), &[2, 2]);
        let (mu, lv) = (t(&[0.3, -0.7, 1.2, 0.1]), t(&[0.2, -0.4, 0.6, -1.1]));
        check_gradients(|v| kl_standard_normal(&v[0], &v[1]), &[mu.clone(), lv.clone()]).unwrap();
        let (mu2, lv2) = (t(&[-0.5, 0.4, 0.9, -0.2]), t(&[0.1, 0.3, -0.5, 0.7]));
        check_gradients(|v| kl_normal(&v[0], &v[1], &v[2], &v[3]), &[mu, lv, mu2, lv2]).unwrap();
        let x = t(&[0.0, 1.0, 0.25, 0.8]);
        check_gradients(|v| bernoulli_nll(&v[0], &x), &[t(&[1.5, -0.3, 0.7, -2.0])]).unwrap();
    }

    #[test]
    fn closed_forms() {
        // KL(N(1, e) ‖ N(0, 1)) per unit: −½(1 + 1 − 1 − e) = (e − 1)/2; two units, batch 1.
        let kl = kl_standard_normal(&Tensor::ones(&[1, 2]), &Tensor::ones(&[1, 2]));
        assert!((kl.item() - (std::f32::consts::E - 1.0)).abs() < 1e-5);
        // KL(N(0, 1) ‖ N(2, 4)): ½(ln 4 + (1 + 4)/4 − 1) per unit.
        let z = Tensor::zeros(&[1, 1]);
        let kl = kl_normal(&z, &z, &Tensor::full(&[1, 1], 2.0), &Tensor::full(&[1, 1], 4f32.ln()));
        assert!((kl.item() - 0.5 * (4f32.ln() + 1.25 - 1.0)).abs() < 1e-6);
        // A confident right logit costs little, a confident wrong one about its size.
        let nll =
            bernoulli_nll(&Tensor::from_vec(vec![10.0, -10.0], &[1, 2]), &Tensor::from_vec(vec![1.0, 1.0], &[1, 2]));
        assert!((nll.item() - (10.0 + 2.0 * (-10f32).exp().ln_1p())).abs() < 1e-4);
    }
}
