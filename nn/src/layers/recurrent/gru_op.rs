//! The whole GRU recurrence (Keras `reset_after=True`) as one differentiable op: the
//! forward loop on plain arrays, and backpropagation through time written by hand.
//!
//! One op for the sequence instead of ~15 tensor ops per step keeps the autograd graph
//! small; the recurrent weight's gradient is one `[U, N·T] · [N·T, 3U]` product at the end.

use derin_tensor::kernels::gemm::sgemm;
use derin_tensor::ndarray::{Array2, ArrayD, ArrayView2, Ix2, IxDyn};
use derin_tensor::{BackwardCtx, Tensor};

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn tanh(x: f32) -> f32 {
    // 1 − 2/(e²ˣ + 1), clamped so that e²ˣ stays finite.
    let e = (2.0 * x.clamp(-15.0, 15.0)).exp();
    1.0 - 2.0 / (e + 1.0)
}

/// What the backward pass needs from the forward one, each `[N·T·U]` (row `(i·T + s)`).
struct Saved {
    h_prev: Vec<f32>,
    z: Vec<f32>,
    r: Vec<f32>,
    /// `hₜ₋₁ · R_h + b_h`, the recurrent part of the candidate before the reset gate.
    hh: Vec<f32>,
    /// The candidate `h̃`.
    cand: Vec<f32>,
}

fn contiguous(t: &Tensor) -> Vec<f32> {
    t.array().iter().copied().collect()
}

fn matrix(t: &Tensor) -> ArrayView2<'_, f32> {
    t.array().view().into_dimensionality::<Ix2>().expect("2-D weight")
}

/// States `[N, T, U]` of the GRU run over projected inputs `xp` `[N, T, 3U]` (`x · kernel
/// + input bias`, gate order z, r, h), from `h0` `[N, U]`, with recurrent kernel `rk`
/// `[U, 3U]` and recurrent bias `rb` `[3U]`. Where `mask[i·T + s]` is 0 the state is
/// carried over.
pub(crate) fn gru_sequence(xp: &Tensor, h0: &Tensor, rk: &Tensor, rb: &Tensor, mask: Option<Vec<f32>>) -> Tensor {
    let (n, t, g) = (xp.shape()[0], xp.shape()[1], xp.shape()[2]);
    let u = g / 3;
    let xs = contiguous(xp);
    let b = contiguous(rb);
    let mut h = Array2::from_shape_vec((n, u), contiguous(h0)).expect("h0 is [N, U]");
    let size = n * t * u;
    let mut out = vec![0.0f32; size];
    let mut sv = Saved { h_prev: vec![0.0; size], z: vec![0.0; size], r: vec![0.0; size], hh: vec![0.0; size], cand: vec![0.0; size] };
    let mut hp = Array2::<f32>::zeros((n, g));
    let r2 = matrix(rk);
    for s in 0..t {
        sgemm(h.view(), r2, hp.view_mut(), false);
        let hp = hp.as_slice().expect("standard layout");
        let hs = h.as_slice_mut().expect("standard layout");
        for i in 0..n {
            let row = i * t + s;
            let keep = mask.as_ref().is_none_or(|m| m[row] != 0.0);
            let (x, p) = (&xs[row * g..(row + 1) * g], &hp[i * g..(i + 1) * g]);
            for j in 0..u {
                let prev = hs[i * u + j];
                let z = sigmoid(x[j] + p[j] + b[j]);
                let r = sigmoid(x[u + j] + p[u + j] + b[u + j]);
                let hh = p[2 * u + j] + b[2 * u + j];
                let cand = tanh(x[2 * u + j] + r * hh);
                let k = row * u + j;
                sv.h_prev[k] = prev;
                sv.z[k] = z;
                sv.r[k] = r;
                sv.hh[k] = hh;
                sv.cand[k] = cand;
                let next = if keep { z * prev + (1.0 - z) * cand } else { prev };
                hs[i * u + j] = next;
                out[k] = next;
            }
        }
    }
    let out = ArrayD::from_shape_vec(IxDyn(&[n, t, u]), out).expect("sizes match");
    Tensor::from_op("gru_sequence", out, &[xp, h0, rk, rb], move |ctx| backward(ctx, &sv, mask.as_deref(), n, t, u))
}

fn backward(ctx: &BackwardCtx<'_>, sv: &Saved, mask: Option<&[f32]>, n: usize, t: usize, u: usize) -> Vec<Option<ArrayD<f32>>> {
    let g = 3 * u;
    let dout = ctx.grad.as_standard_layout();
    let dout = dout.as_slice().expect("standard layout");
    let rk = matrix(&ctx.inputs[2]);
    let mut dxp = vec![0.0f32; n * t * g];
    // ∂loss/∂(hₜ₋₁ · R + b), every step, rows `i·T + s`.
    let mut dhp = Array2::<f32>::zeros((n * t, g));
    let mut step = Array2::<f32>::zeros((n, g));
    let mut dh = Array2::<f32>::zeros((n, u));
    let mut dprev = Array2::<f32>::zeros((n, u));
    for s in (0..t).rev() {
        {
            let st = step.as_slice_mut().expect("standard layout");
            let dp = dprev.as_slice_mut().expect("standard layout");
            let dhs = dh.as_slice().expect("standard layout");
            for i in 0..n {
                let row = i * t + s;
                let keep = mask.is_none_or(|m| m[row] != 0.0);
                let st = &mut st[i * g..(i + 1) * g];
                let dx = &mut dxp[row * g..(row + 1) * g];
                for j in 0..u {
                    let k = row * u + j;
                    let d = dout[k] + dhs[i * u + j];
                    if !keep {
                        st[j] = 0.0;
                        st[u + j] = 0.0;
                        st[2 * u + j] = 0.0;
                        dp[i * u + j] = d;
                        continue;
                    }
                    let (z, r, hh, c) = (sv.z[k], sv.r[k], sv.hh[k], sv.cand[k]);
                    let dc = d * (1.0 - z) * (1.0 - c * c);
                    let dz = d * (sv.h_prev[k] - c) * z * (1.0 - z);
                    let dr = dc * hh * r * (1.0 - r);
                    dx[j] = dz;
                    dx[u + j] = dr;
                    dx[2 * u + j] = dc;
                    st[j] = dz;
                    st[u + j] = dr;
                    st[2 * u + j] = dc * r;
                    dp[i * u + j] = d * z;
                }
            }
        }
        // dhₜ₋₁ = d·z + ∂/∂(hp) · Rᵀ
        sgemm(step.view(), rk.t(), dprev.view_mut(), true);
        for i in 0..n {
            dhp.row_mut(i * t + s).assign(&step.row(i));
        }
        std::mem::swap(&mut dh, &mut dprev);
    }
    let needs = |i| ctx.needs(i);
    let d_rk = needs(2).then(|| {
        let hprev = ArrayView2::from_shape((n * t, u), &sv.h_prev).expect("sizes match");
        let mut d = Array2::<f32>::zeros((u, g));
        sgemm(hprev.t(), dhp.view(), d.view_mut(), false);
        d.into_dyn()
    });
    let d_rb = needs(3).then(|| dhp.sum_axis(derin_tensor::ndarray::Axis(0)).into_dyn());
    let d_xp = needs(0).then(|| ArrayD::from_shape_vec(IxDyn(&[n, t, g]), dxp).expect("sizes match"));
    vec![d_xp, needs(1).then(|| dh.into_dyn()), d_rk, d_rb]
}

#[cfg(test)]
mod tests {
    use super::*;
    use derin_tensor::{Rng, check_gradients};

    #[test]
    fn gradients_match_finite_differences_with_and_without_mask() {
        let mut rng = Rng::seed(5);
        let (n, t, u) = (2, 3, 2);
        let xp = Tensor::normal(&[n, t, 3 * u], 0.0, 1.0, &mut rng);
        let h0 = Tensor::normal(&[n, u], 0.0, 0.5, &mut rng);
        let rk = Tensor::normal(&[u, 3 * u], 0.0, 0.7, &mut rng);
        let rb = Tensor::normal(&[3 * u], 0.0, 0.3, &mut rng);
        // A weighted sum so that every output position matters differently.
        let w = Tensor::normal(&[n, t, u], 0.0, 1.0, &mut rng);
        for mask in [None, Some(vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0])] {
            let f = |v: &[Tensor]| (gru_sequence(&v[0], &v[1], &v[2], &v[3], mask.clone()) * &w).sum_all();
            check_gradients(f, &[xp.clone(), h0.clone(), rk.clone(), rb.clone()]).unwrap();
        }
    }

    #[test]
    fn masked_steps_carry_the_state() {
        let xp = Tensor::ones(&[1, 2, 3]);
        let h0 = Tensor::full(&[1, 1], 0.25);
        let out = gru_sequence(&xp, &h0, &Tensor::ones(&[1, 3]), &Tensor::zeros(&[3]), Some(vec![0.0, 0.0]));
        assert_eq!(out.to_vec(), vec![0.25, 0.25]);
    }

    #[test]
    fn tanh_matches_the_library() {
        for x in [-20.0f32, -3.0, -0.5, 0.0, 1e-4, 0.7, 4.0, 30.0] {
            assert!((tanh(x) - x.tanh()).abs() < 1e-6, "{x}");
        }
    }
}
