//! Training-mode batch normalisation as one differentiable op (forward and backward side
//! by side): one pass for the statistics, one for the output, two for the gradient.

use derin_tensor::ndarray::{ArrayD, IxDyn};
use derin_tensor::{BackwardCtx, Tensor};

/// The channel axis split out of a shape: `[outer, C, inner]` sizes.
fn split(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (shape[..axis].iter().product(), shape[axis], shape[axis + 1..].iter().product())
}

/// The elements of channel `c` in a standard-layout buffer of shape `[outer, C, inner]`,
/// as one contiguous run per `outer` index.
fn runs(data: &[f32], (outer, c_n, inner): (usize, usize, usize), c: usize) -> impl Iterator<Item = &[f32]> {
    (0..outer).map(move |o| &data[(o * c_n + c) * inner..][..inner])
}

/// `y = gamma · (x − μ) / √(σ² + ε) + beta` per channel along `axis`, with `μ`, `σ²` the
/// batch mean and biased variance; returns `y`, `μ` and `σ²` (each `[C]`).
///
/// Backward, with `x̂ = (x − μ)/√(σ² + ε)`, `n` elements per channel and `g = ∂loss/∂y`:
/// `∂beta = Σ g`, `∂gamma = Σ g·x̂`,
/// `∂x = gamma / (n·√(σ² + ε)) · (n·g − Σ g − x̂·Σ g·x̂)`.
pub(crate) fn batch_norm_train(
    x: &Tensor,
    axis: usize,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
    epsilon: f32,
) -> (Tensor, Vec<f32>, Vec<f32>) {
    let dims = split(x.shape(), axis);
    let (outer, c_n, inner) = dims;
    let n = (outer * inner).max(1) as f64;
    let xs = x.array().as_standard_layout();
    let data = xs.as_slice().expect("standard layout");
    let (mut mean, mut var, mut inv_std) = (vec![0.0f32; c_n], vec![0.0f32; c_n], vec![0.0f32; c_n]);
    for c in 0..c_n {
        let m = runs(data, dims, c).flatten().map(|&v| v as f64).sum::<f64>() / n;
        let v = runs(data, dims, c).flatten().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / n;
        (mean[c], var[c]) = (m as f32, v as f32);
        inv_std[c] = 1.0 / (v as f32 + epsilon).sqrt();
    }
    let g: Vec<f32> = gamma.map_or_else(|| vec![1.0; c_n], |g| g.to_vec());
    let b: Vec<f32> = beta.map_or_else(|| vec![0.0; c_n], |b| b.to_vec());
    let mut out = vec![0.0f32; data.len()];
    for (k, (o, x)) in out.chunks_mut(inner.max(1)).zip(data.chunks(inner.max(1))).enumerate() {
        let c = k % c_n;
        let (scale, shift) = (g[c] * inv_std[c], b[c] - mean[c] * g[c] * inv_std[c]);
        o.iter_mut().zip(x).for_each(|(o, &x)| *o = x * scale + shift);
    }
    let out = ArrayD::from_shape_vec(IxDyn(x.shape()), out).expect("same size");
    let mut inputs = vec![x];
    inputs.extend(gamma);
    inputs.extend(beta);
    let (has_gamma, has_beta) = (gamma.is_some(), beta.is_some());
    let saved_mean = mean.clone();
    let y = Tensor::from_op("batch_norm", out, &inputs, move |ctx: &BackwardCtx<'_>| {
        let xs = ctx.inputs[0].array().as_standard_layout();
        let gs = ctx.grad.as_standard_layout();
        let (data, grad) = (xs.as_slice().expect("standard layout"), gs.as_slice().expect("standard layout"));
        let (mut sum_g, mut sum_gx) = (vec![0.0f64; c_n], vec![0.0f64; c_n]);
        for c in 0..c_n {
            for (xr, gr) in runs(data, dims, c).zip(runs(grad, dims, c)) {
                for (&x, &g) in xr.iter().zip(gr) {
                    sum_g[c] += g as f64;
                    sum_gx[c] += g as f64 * ((x - saved_mean[c]) * inv_std[c]) as f64;
                }
            }
        }
        let dx = ctx.needs(0).then(|| {
            let mut dx = vec![0.0f32; data.len()];
            let chunks = dx.chunks_mut(inner.max(1)).zip(data.chunks(inner.max(1))).zip(grad.chunks(inner.max(1)));
            for (k, ((d, x), gr)) in chunks.enumerate() {
                let c = k % c_n;
                let k1 = g[c] * inv_std[c];
                let (mg, mgx) = ((sum_g[c] / n) as f32, (sum_gx[c] / n) as f32);
                for ((d, &x), &gv) in d.iter_mut().zip(x).zip(gr) {
                    let xhat = (x - saved_mean[c]) * inv_std[c];
                    *d = k1 * (gv - mg - xhat * mgx);
                }
            }
            ArrayD::from_shape_vec(IxDyn(ctx.inputs[0].shape()), dx).expect("same size")
        });
        let per_channel = |v: &[f64]| ArrayD::from_shape_vec(IxDyn(&[c_n]), v.iter().map(|&s| s as f32).collect());
        let mut grads = vec![dx];
        if has_gamma {
            grads.push(ctx.needs(1).then(|| per_channel(&sum_gx).expect("[C]")));
        }
        if has_beta {
            grads.push(ctx.needs(grads.len()).then(|| per_channel(&sum_g).expect("[C]")));
        }
        grads
    });
    (y, mean, var)
}
