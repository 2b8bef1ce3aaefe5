//! The whole LSTM recurrence (gate order i, f, c, o) as one differentiable op: the forward
//! loop on plain arrays and backpropagation through time by hand, as for the GRU.

use derin_tensor::kernels::gemm::{sgemm, sgemm_serial};
use derin_tensor::ndarray::{Array2, ArrayD, ArrayView2, ArrayViewMut2, IxDyn, ShapeBuilder};
use derin_tensor::{BackwardCtx, Tensor};
use rayon::prelude::*;

use super::gru_op::{chunk_rows, matrix, sigmoid, tanh};

/// Per row `i·T + s`, seven blocks of `U` kept for the backward pass: `hₜ₋₁`, `cₜ₋₁`, the
/// gates `i`, `f`, `g = tanh(a_c)`, `o`, and `tanh(cₜ)` of the unmasked update.
const SAVED: usize = 7;

/// `[N, T, 2U]`: per step the state `h` (first `U`) and the cell `c` (last `U`) of the LSTM
/// run over projected inputs `xp` `[N, T, 4U]` (`x · kernel + bias`), from `h0`, `c0`
/// `[N, U]`, with recurrent kernel `rk` `[U, 4U]`. Where `mask[i·T + s]` is 0 both are
/// carried over.
pub(crate) fn lstm_sequence(xp: &Tensor, h0: &Tensor, c0: &Tensor, rk: &Tensor, mask: Option<Vec<f32>>) -> Tensor {
    let (n, t, g) = (xp.shape()[0], xp.shape()[1], xp.shape()[2]);
    let u = g / 4;
    let xs = xp.array().as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let mut hc: Vec<f32> = h0.array().iter().copied().chain(c0.array().iter().copied()).collect();
    let (h, c) = hc.split_at_mut(n * u);
    let mut out = vec![0.0f32; n * t * 2 * u];
    let mut saved = vec![0.0f32; n * t * u * SAVED];
    let r2 = matrix(rk);
    let rows = chunk_rows(n);
    derin_tensor::install(|| {
        xs.par_chunks(rows * t * g)
            .zip(h.par_chunks_mut(rows * u))
            .zip(c.par_chunks_mut(rows * u))
            .zip(out.par_chunks_mut(rows * t * 2 * u))
            .zip(saved.par_chunks_mut(rows * t * u * SAVED))
            .enumerate()
            .for_each(|(k, ((((xs, h), c), out), saved))| {
                let m = mask.as_deref().map(|m| &m[k * rows * t..(k * rows * t + h.len() / u * t)]);
                forward_rows(xs, h, c, out, saved, m, r2, t, u);
            })
    });
    let out = ArrayD::from_shape_vec(IxDyn(&[n, t, 2 * u]), out).expect("sizes match");
    Tensor::from_op("lstm_sequence", out, &[xp, h0, c0, rk], move |ctx| backward(ctx, &saved, mask.as_deref(), n, t, u))
}

fn forward_rows(
    xs: &[f32],
    h: &mut [f32],
    c: &mut [f32],
    out: &mut [f32],
    saved: &mut [f32],
    mask: Option<&[f32]>,
    rk: ArrayView2<'_, f32>,
    t: usize,
    u: usize,
) {
    let (nc, g) = (h.len() / u, 4 * u);
    let mut hp = Array2::<f32>::zeros((nc, g));
    for s in 0..t {
        sgemm_serial(ArrayView2::from_shape((nc, u), &*h).expect("rows of U"), rk, hp.view_mut(), false);
        let hp = hp.as_slice().expect("standard layout");
        for i in 0..nc {
            let row = i * t + s;
            let keep = mask.map_or(1.0, |m| if m[row] != 0.0 { 1.0 } else { 0.0 });
            let (x, p) = (&xs[row * g..(row + 1) * g], &hp[i * g..(i + 1) * g]);
            let sv = &mut saved[row * SAVED * u..(row + 1) * SAVED * u];
            let o = &mut out[row * 2 * u..(row + 1) * 2 * u];
            for j in 0..u {
                let (hprev, cprev) = (h[i * u + j], c[i * u + j]);
                let ig = sigmoid(x[j] + p[j]);
                let fg = sigmoid(x[u + j] + p[u + j]);
                let gg = tanh(x[2 * u + j] + p[2 * u + j]);
                let og = sigmoid(x[3 * u + j] + p[3 * u + j]);
                let c_new = fg * cprev + ig * gg;
                let tc = tanh(c_new);
                for (b, v) in [hprev, cprev, ig, fg, gg, og, tc].into_iter().enumerate() {
                    sv[b * u + j] = v;
                }
                let (h_next, c_next) = (hprev + keep * (og * tc - hprev), cprev + keep * (c_new - cprev));
                h[i * u + j] = h_next;
                c[i * u + j] = c_next;
                o[j] = h_next;
                o[u + j] = c_next;
            }
        }
    }
}

fn backward(
    ctx: &BackwardCtx<'_>,
    saved: &[f32],
    mask: Option<&[f32]>,
    n: usize,
    t: usize,
    u: usize,
) -> Vec<Option<ArrayD<f32>>> {
    let g = 4 * u;
    let dout = ctx.grad.as_standard_layout();
    let dout = dout.as_slice().expect("standard layout");
    let rk = matrix(&ctx.inputs[3]);
    // ∂loss/∂(pre-activations) for every step: both ∂/∂xp and ∂/∂(hₜ₋₁ · R).
    let mut da = vec![0.0f32; n * t * g];
    let (mut dh, mut dc) = (vec![0.0f32; n * u], vec![0.0f32; n * u]);
    let rows = chunk_rows(n);
    derin_tensor::install(|| {
        dout.par_chunks(rows * t * 2 * u)
            .zip(saved.par_chunks(rows * t * u * SAVED))
            .zip(da.par_chunks_mut(rows * t * g))
            .zip(dh.par_chunks_mut(rows * u))
            .zip(dc.par_chunks_mut(rows * u))
            .enumerate()
            .for_each(|(k, ((((dout, saved), da), dh), dc))| {
                let m = mask.map(|m| &m[k * rows * t..(k * rows * t + dh.len() / u * t)]);
                backward_rows(dout, saved, m, rk, da, dh, dc, t, u);
            })
    });
    let needs = |i| ctx.needs(i);
    let d_rk = needs(3).then(|| {
        let h_prev =
            ArrayView2::from_shape((n * t, u).strides((SAVED * u, 1)), saved).expect("saved rows hold hₜ₋₁ first");
        let da = ArrayView2::from_shape((n * t, g), &da[..]).expect("sizes match");
        let mut d = Array2::<f32>::zeros((u, g));
        sgemm(h_prev.t(), da, d.view_mut(), false);
        d.into_dyn()
    });
    let d_h0 = needs(1).then(|| ArrayD::from_shape_vec(IxDyn(&[n, u]), dh).expect("sizes match"));
    let d_c0 = needs(2).then(|| ArrayD::from_shape_vec(IxDyn(&[n, u]), dc).expect("sizes match"));
    let d_xp = needs(0).then(|| ArrayD::from_shape_vec(IxDyn(&[n, t, g]), da).expect("sizes match"));
    vec![d_xp, d_h0, d_c0, d_rk]
}

/// Backpropagation through time for a block of batch rows; `dh`, `dc` end as ∂loss/∂h₀,
/// ∂loss/∂c₀.
fn backward_rows(
    dout: &[f32],
    saved: &[f32],
    mask: Option<&[f32]>,
    rk: ArrayView2<'_, f32>,
    da: &mut [f32],
    dh: &mut [f32],
    dc: &mut [f32],
    t: usize,
    u: usize,
) {
    let (nc, g) = (dh.len() / u, 4 * u);
    let mut dprev = vec![0.0f32; nc * u];
    for s in (0..t).rev() {
        for i in 0..nc {
            let row = i * t + s;
            let keep = mask.map_or(1.0, |m| if m[row] != 0.0 { 1.0 } else { 0.0 });
            let sv = &saved[row * SAVED * u..(row + 1) * SAVED * u];
            let d_out = &dout[row * 2 * u..(row + 1) * 2 * u];
            let a = &mut da[row * g..(row + 1) * g];
            for j in 0..u {
                let [_, cprev, ig, fg, gg, og, tc] = std::array::from_fn(|b| sv[b * u + j]);
                let d_h = d_out[j] + dh[i * u + j];
                let d_c = d_out[u + j] + dc[i * u + j];
                // Through the update (zero where masked), then around it.
                let dct = keep * (d_c + d_h * og * (1.0 - tc * tc));
                a[j] = dct * gg * ig * (1.0 - ig);
                a[u + j] = dct * cprev * fg * (1.0 - fg);
                a[2 * u + j] = dct * ig * (1.0 - gg * gg);
                a[3 * u + j] = keep * d_h * tc * og * (1.0 - og);
                dc[i * u + j] = dct * fg + (1.0 - keep) * d_c;
                dprev[i * u + j] = (1.0 - keep) * d_h;
            }
        }
        // dhₜ₋₁ += ∂/∂a · Rᵀ, for the rows of this step.
        let step = ArrayView2::from_shape((nc, g).strides((t * g, 1)), &da[s * g..]).expect("rows of this step");
        let dprev_m = ArrayViewMut2::from_shape((nc, u), &mut dprev[..]).expect("rows of U");
        sgemm_serial(step, rk.t(), dprev_m, true);
        dh.copy_from_slice(&dprev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use derin_tensor::{Rng, check_gradients};

    #[test]
    fn gradients_match_finite_differences_with_and_without_mask() {
        let mut rng = Rng::seed(6);
        let (n, t, u) = (2, 3, 2);
        let xp = Tensor::normal(&[n, t, 4 * u], 0.0, 1.0, &mut rng);
        let h0 = Tensor::normal(&[n, u], 0.0, 0.5, &mut rng);
        let c0 = Tensor::normal(&[n, u], 0.0, 0.5, &mut rng);
        let rk = Tensor::normal(&[u, 4 * u], 0.0, 0.7, &mut rng);
        let w = Tensor::normal(&[n, t, 2 * u], 0.0, 1.0, &mut rng);
        for mask in [None, Some(vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0])] {
            let f = |v: &[Tensor]| (lstm_sequence(&v[0], &v[1], &v[2], &v[3], mask.clone()) * &w).sum_all();
            check_gradients(f, &[xp.clone(), h0.clone(), c0.clone(), rk.clone()]).unwrap();
        }
    }
}
