//! The whole GRU recurrence as one differentiable op: the forward loop on plain arrays,
//! and backpropagation through time written by hand. Keras `reset_after=True` here (also
//! compiled for AVX2), `reset_after=False` in [`super::gru_before`].
//!
//! One op for the sequence instead of ~15 tensor ops per step keeps the autograd graph
//! small; the recurrent weight's gradient is one `[U, N·T] · [N·T, 3U]` product at the end.

use derin_tensor::kernels::gemm::{sgemm, sgemm_serial};
use derin_tensor::ndarray::{Array2, ArrayD, ArrayView2, ArrayViewMut2, Axis, Ix2, IxDyn, ShapeBuilder, s};
use derin_tensor::{BackwardCtx, Tensor};
use rayon::prelude::*;

use super::gru_before;

/// `eˣ` to about 2 ulp, branch-free so that loops over it vectorise: `2ⁿ · p(r)` with
/// `x = n·ln 2 + r`, `|r| ≤ ln 2 / 2`, and a degree-6 Taylor polynomial for `p`.
#[inline(always)]
pub(super) fn exp(x: f32) -> f32 {
    // Adding 1.5·2²³ rounds to an integer in the low mantissa bits (no `floor` call,
    // which is a library call without SSE4.1).
    const SHIFT: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let t = x * std::f32::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let bits = t.to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(127) << 23;
    p * f32::from_bits(bits)
}

#[inline(always)]
pub(super) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[inline(always)]
pub(super) fn tanh(x: f32) -> f32 {
    // 1 − 2/(e²ˣ + 1); the clamp in `exp` keeps it finite.
    1.0 - 2.0 / (exp(2.0 * x) + 1.0)
}

/// Per row `i·T + s`, five blocks of `U` saved for the backward pass: `hₜ₋₁`, `z`, `r`,
/// `hₜ₋₁ · R_h + b_h` (the candidate's recurrent part; `r ⊙ hₜ₋₁` with `reset_after=False`)
/// and the candidate `h̃`.
pub(super) const SAVED: usize = 5;

pub(super) fn matrix(t: &Tensor) -> ArrayView2<'_, f32> {
    t.array().view().into_dimensionality::<Ix2>().expect("2-D weight")
}

/// Batch rows per parallel chunk: the rows are independent, so each thread runs the
/// whole recurrence for its rows with one-thread products (no sync per step).
pub(super) fn chunk_rows(n: usize) -> usize {
    n.div_ceil(derin_tensor::num_threads().max(1)).max(1)
}

/// States `[N, T, U]` of the GRU run over projected inputs `xp` `[N, T, 3U]` (`x · kernel`
/// plus the input bias, gate order z, r, h), from `h0` `[N, U]`, with recurrent kernel `rk`
/// `[U, 3U]` and recurrent bias `rb` `[3U]`. Where `mask[i·T + s]` is 0 the state is
/// carried over. With `reset_after` the candidate is `tanh(x_h + r ⊙ (hₜ₋₁ · R_h + rb_h))`,
/// without it `tanh(x_h + (r ⊙ hₜ₋₁) · R_h + rb_h)`.
pub(crate) fn gru_sequence(
    xp: &Tensor,
    h0: &Tensor,
    rk: &Tensor,
    rb: &Tensor,
    mask: Option<Vec<f32>>,
    reset_after: bool,
) -> Tensor {
    let (n, t, g) = (xp.shape()[0], xp.shape()[1], xp.shape()[2]);
    let u = g / 3;
    let xs = xp.array().as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let b: Vec<f32> = rb.array().iter().copied().collect();
    let mut h: Vec<f32> = h0.array().iter().copied().collect();
    let mut out = vec![0.0f32; n * t * u];
    let mut saved = vec![0.0f32; n * t * u * SAVED];
    let r2 = matrix(rk);
    let rows = chunk_rows(n);
    let run = |(c, (((xs, h), out), saved)): (usize, (((&[f32], &mut [f32]), &mut [f32]), &mut [f32]))| {
        let m = mask.as_deref().map(|m| &m[c * rows * t..(c * rows * t + h.len() / u * t)]);
        if reset_after {
            forward_rows(xs, h, out, saved, m, r2, &b, t, u);
        } else {
            gru_before::forward_rows(xs, h, out, saved, m, r2, &b, t, u);
        }
    };
    derin_tensor::install(|| {
        xs.par_chunks(rows * t * g)
            .zip(h.par_chunks_mut(rows * u))
            .zip(out.par_chunks_mut(rows * t * u))
            .zip(saved.par_chunks_mut(rows * t * u * SAVED))
            .enumerate()
            .for_each(run)
    });
    let out = ArrayD::from_shape_vec(IxDyn(&[n, t, u]), out).expect("sizes match");
    Tensor::from_op("gru_sequence", out, &[xp, h0, rk, rb], move |ctx| {
        backward(ctx, &saved, mask.as_deref(), n, t, u, reset_after)
    })
}

/// The recurrence for a block of batch rows (`h` holds their states, `h.len() / U` rows),
/// compiled for AVX2 + FMA when the CPU has them (the same arithmetic, 8 lanes wide).
fn forward_rows(
    xs: &[f32],
    h: &mut [f32],
    out: &mut [f32],
    saved: &mut [f32],
    mask: Option<&[f32]>,
    rk: ArrayView2<'_, f32>,
    b: &[f32],
    t: usize,
    u: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        return unsafe { forward_rows_avx2(xs, h, out, saved, mask, rk, b, t, u) };
    }
    forward_rows_body(xs, h, out, saved, mask, rk, b, t, u)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn forward_rows_avx2(
    xs: &[f32],
    h: &mut [f32],
    out: &mut [f32],
    saved: &mut [f32],
    mask: Option<&[f32]>,
    rk: ArrayView2<'_, f32>,
    b: &[f32],
    t: usize,
    u: usize,
) {
    forward_rows_body(xs, h, out, saved, mask, rk, b, t, u)
}

#[inline(always)]
fn forward_rows_body(
    xs: &[f32],
    h: &mut [f32],
    out: &mut [f32],
    saved: &mut [f32],
    mask: Option<&[f32]>,
    rk: ArrayView2<'_, f32>,
    b: &[f32],
    t: usize,
    u: usize,
) {
    let (nc, g) = (h.len() / u, 3 * u);
    let mut hp = Array2::<f32>::zeros((nc, g));
    for s in 0..t {
        sgemm_serial(ArrayView2::from_shape((nc, u), &*h).expect("rows of U"), rk, hp.view_mut(), false);
        let hp = hp.as_slice().expect("standard layout");
        for i in 0..nc {
            let row = i * t + s;
            let keep = mask.map_or(1.0, |m| if m[row] != 0.0 { 1.0 } else { 0.0 });
            let (x, p) = (&xs[row * g..(row + 1) * g], &hp[i * g..(i + 1) * g]);
            let sv = &mut saved[row * SAVED * u..(row + 1) * SAVED * u];
            let (sv_h, rest) = sv.split_at_mut(u);
            let (sv_z, rest) = rest.split_at_mut(u);
            let (sv_r, rest) = rest.split_at_mut(u);
            let (sv_hh, sv_c) = rest.split_at_mut(u);
            let hs = &mut h[i * u..(i + 1) * u];
            let o = &mut out[row * u..(row + 1) * u];
            // Slices of exactly `u` so that the loop has no bounds checks and vectorises.
            let (xz, xr, xh) = (&x[..u], &x[u..2 * u], &x[2 * u..3 * u]);
            let (pz, pr, ph) = (&p[..u], &p[u..2 * u], &p[2 * u..3 * u]);
            let (bz, br, bh) = (&b[..u], &b[u..2 * u], &b[2 * u..3 * u]);
            let (sv_h, sv_z, sv_r, sv_hh, sv_c) =
                (&mut sv_h[..u], &mut sv_z[..u], &mut sv_r[..u], &mut sv_hh[..u], &mut sv_c[..u]);
            row_forward(xz, xr, xh, pz, pr, ph, bz, br, bh, keep, hs, o, sv_h, sv_z, sv_r, sv_hh, sv_c);
        }
    }
}

/// One batch row of one step. A function of its own so that its slices are known not to
/// alias (`&mut` arguments), which lets the loop vectorise.
#[inline(always)]
fn row_forward(
    xz: &[f32],
    xr: &[f32],
    xh: &[f32],
    pz: &[f32],
    pr: &[f32],
    ph: &[f32],
    bz: &[f32],
    br: &[f32],
    bh: &[f32],
    keep: f32,
    hs: &mut [f32],
    o: &mut [f32],
    sv_h: &mut [f32],
    sv_z: &mut [f32],
    sv_r: &mut [f32],
    sv_hh: &mut [f32],
    sv_c: &mut [f32],
) {
    let u = hs.len();
    let (xz, xr, xh, pz, pr, ph, bz, br, bh) =
        (&xz[..u], &xr[..u], &xh[..u], &pz[..u], &pr[..u], &ph[..u], &bz[..u], &br[..u], &bh[..u]);
    let (o, sv_h, sv_z, sv_r, sv_hh, sv_c) =
        (&mut o[..u], &mut sv_h[..u], &mut sv_z[..u], &mut sv_r[..u], &mut sv_hh[..u], &mut sv_c[..u]);
    for j in 0..u {
        let prev = hs[j];
        let z = sigmoid(xz[j] + pz[j] + bz[j]);
        let r = sigmoid(xr[j] + pr[j] + br[j]);
        let hh = ph[j] + bh[j];
        let cand = tanh(xh[j] + r * hh);
        sv_h[j] = prev;
        sv_z[j] = z;
        sv_r[j] = r;
        sv_hh[j] = hh;
        sv_c[j] = cand;
        let next = prev + keep * ((1.0 - z) * (cand - prev));
        hs[j] = next;
        o[j] = next;
    }
}

fn backward(
    ctx: &BackwardCtx<'_>,
    saved: &[f32],
    mask: Option<&[f32]>,
    n: usize,
    t: usize,
    u: usize,
    reset_after: bool,
) -> Vec<Option<ArrayD<f32>>> {
    let g = 3 * u;
    let dout = ctx.grad.as_standard_layout();
    let dout = dout.as_slice().expect("standard layout");
    let rk = matrix(&ctx.inputs[2]);
    let mut dxp = vec![0.0f32; n * t * g];
    // ∂loss/∂(hₜ₋₁ · R + b) for every step, rows `i·T + s`.
    let mut dhp = vec![0.0f32; n * t * g];
    let mut dh = vec![0.0f32; n * u];
    let rows = chunk_rows(n);
    derin_tensor::install(|| {
        dout.par_chunks(rows * t * u)
            .zip(saved.par_chunks(rows * t * u * SAVED))
            .zip(dxp.par_chunks_mut(rows * t * g))
            .zip(dhp.par_chunks_mut(rows * t * g))
            .zip(dh.par_chunks_mut(rows * u))
            .enumerate()
            .for_each(|(c, ((((dout, saved), dxp), dhp), dh))| {
                let m = mask.map(|m| &m[c * rows * t..(c * rows * t + dh.len() / u * t)]);
                if reset_after {
                    backward_rows(dout, saved, m, rk, dxp, dhp, dh, t, u);
                } else {
                    gru_before::backward_rows(dout, saved, m, rk, dxp, dhp, dh, t, u);
                }
            })
    });
    let needs = |i| ctx.needs(i);
    let dhp = Array2::from_shape_vec((n * t, g), dhp).expect("sizes match");
    let d_rk = needs(2).then(|| {
        let shape = (n * t, u).strides((SAVED * u, 1));
        let h_prev = ArrayView2::from_shape(shape, saved).expect("saved rows hold hₜ₋₁ first");
        let mut d = Array2::<f32>::zeros((u, g));
        if reset_after {
            sgemm(h_prev.t(), dhp.view(), d.view_mut(), false);
        } else {
            // R_z, R_r multiply hₜ₋₁; R_h multiplies r ⊙ hₜ₋₁ (saved in the fourth block).
            let rh = ArrayView2::from_shape(shape, &saved[3 * u..]).expect("saved rows hold r ⊙ hₜ₋₁ fourth");
            sgemm(h_prev.t(), dhp.slice(s![.., ..2 * u]), d.slice_mut(s![.., ..2 * u]), false);
            sgemm(rh.t(), dhp.slice(s![.., 2 * u..]), d.slice_mut(s![.., 2 * u..]), false);
        }
        d.into_dyn()
    });
    let d_rb = needs(3).then(|| dhp.sum_axis(Axis(0)).into_dyn());
    let d_xp = needs(0).then(|| ArrayD::from_shape_vec(IxDyn(&[n, t, g]), dxp).expect("sizes match"));
    let d_h0 = needs(1).then(|| ArrayD::from_shape_vec(IxDyn(&[n, u]), dh).expect("sizes match"));
    vec![d_xp, d_h0, d_rk, d_rb]
}

/// Backpropagation through time for a block of batch rows; `dh` ends as ∂loss/∂h₀.
/// Compiled for AVX2 + FMA when the CPU has them, as [`forward_rows`].
fn backward_rows(
    dout: &[f32],
    saved: &[f32],
    mask: Option<&[f32]>,
    rk: ArrayView2<'_, f32>,
    dxp: &mut [f32],
    dhp: &mut [f32],
    dh: &mut [f32],
    t: usize,
    u: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        return unsafe { backward_rows_avx2(dout, saved, mask, rk, dxp, dhp, dh, t, u) };
    }
    backward_rows_body(dout, saved, mask, rk, dxp, dhp, dh, t, u)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn backward_rows_avx2(
    dout: &[f32],
    saved: &[f32],
    mask: Option<&[f32]>,
    rk: ArrayView2<'_, f32>,
    dxp: &mut [f32],
    dhp: &mut [f32],
    dh: &mut [f32],
    t: usize,
    u: usize,
) {
    backward_rows_body(dout, saved, mask, rk, dxp, dhp, dh, t, u)
}

#[inline(always)]
fn backward_rows_body(
    dout: &[f32],
    saved: &[f32],
    mask: Option<&[f32]>,
    rk: ArrayView2<'_, f32>,
    dxp: &mut [f32],
    dhp: &mut [f32],
    dh: &mut [f32],
    t: usize,
    u: usize,
) {
    let (nc, g) = (dh.len() / u, 3 * u);
    let mut step = Array2::<f32>::zeros((nc, g));
    let mut dprev = vec![0.0f32; nc * u];
    for s in (0..t).rev() {
        let st = step.as_slice_mut().expect("standard layout");
        for i in 0..nc {
            let row = i * t + s;
            let keep = mask.map_or(1.0, |m| if m[row] != 0.0 { 1.0 } else { 0.0 });
            let sv = &saved[row * SAVED * u..(row + 1) * SAVED * u];
            let (sv_h, sv_z, sv_r, sv_hh, sv_c) =
                (&sv[..u], &sv[u..2 * u], &sv[2 * u..3 * u], &sv[3 * u..4 * u], &sv[4 * u..]);
            let (st, dx) = (&mut st[i * g..(i + 1) * g], &mut dxp[row * g..(row + 1) * g]);
            let (d_out, d_next, dp) =
                (&dout[row * u..(row + 1) * u], &dh[i * u..(i + 1) * u], &mut dprev[i * u..(i + 1) * u]);
            // Slices of exactly `u`, as in the forward pass.
            let (dxz, rest) = dx.split_at_mut(u);
            let (dxr, dxh) = rest.split_at_mut(u);
            let (sz, rest) = st.split_at_mut(u);
            let (sr, sh) = rest.split_at_mut(u);
            let (dxh, sz, sr, sh) = (&mut dxh[..u], &mut sz[..u], &mut sr[..u], &mut sh[..u]);
            row_backward(d_out, d_next, keep, sv_h, sv_z, sv_r, sv_hh, sv_c, dxz, dxr, dxh, sz, sr, sh, dp);
        }
        // dhₜ₋₁ = d·z + ∂/∂(hp) · Rᵀ
        let dprev_m = ArrayViewMut2::from_shape((nc, u), &mut dprev[..]).expect("rows of U");
        sgemm_serial(step.view(), rk.t(), dprev_m, true);
        for i in 0..nc {
            let row = i * t + s;
            dhp[row * g..(row + 1) * g].copy_from_slice(&step.as_slice().expect("standard layout")[i * g..(i + 1) * g]);
        }
        dh.copy_from_slice(&dprev);
    }
}

/// One batch row of one step backwards; a function of its own for the same reason as
/// [`row_forward`].
#[inline(always)]
fn row_backward(
    d_out: &[f32],
    d_next: &[f32],
    keep: f32,
    sv_h: &[f32],
    sv_z: &[f32],
    sv_r: &[f32],
    sv_hh: &[f32],
    sv_c: &[f32],
    dxz: &mut [f32],
    dxr: &mut [f32],
    dxh: &mut [f32],
    sz: &mut [f32],
    sr: &mut [f32],
    sh: &mut [f32],
    dp: &mut [f32],
) {
    let u = dp.len();
    let (d_out, d_next, sv_h, sv_z, sv_r, sv_hh, sv_c) =
        (&d_out[..u], &d_next[..u], &sv_h[..u], &sv_z[..u], &sv_r[..u], &sv_hh[..u], &sv_c[..u]);
    let (dxz, dxr, dxh, sz, sr, sh) =
        (&mut dxz[..u], &mut dxr[..u], &mut dxh[..u], &mut sz[..u], &mut sr[..u], &mut sh[..u]);
    for j in 0..u {
        let d = d_out[j] + d_next[j];
        let (z, r, hh, c) = (sv_z[j], sv_r[j], sv_hh[j], sv_c[j]);
        let dc = keep * d * (1.0 - z) * (1.0 - c * c);
        let dz = keep * d * (sv_h[j] - c) * z * (1.0 - z);
        let dr = dc * hh * r * (1.0 - r);
        dxz[j] = dz;
        dxr[j] = dr;
        dxh[j] = dc;
        sz[j] = dz;
        sr[j] = dr;
        sh[j] = dc * r;
        // Masked: h passed through unchanged, so its gradient does too.
        dp[j] = d * (1.0 - keep + keep * z);
    }
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
        for reset_after in [true, false] {
            for mask in [None, Some(vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0])] {
                let f =
                    |v: &[Tensor]| (gru_sequence(&v[0], &v[1], &v[2], &v[3], mask.clone(), reset_after) * &w).sum_all();
                check_gradients(f, &[xp.clone(), h0.clone(), rk.clone(), rb.clone()]).unwrap();
            }
        }
    }

    #[test]
    fn masked_steps_carry_the_state() {
        let xp = Tensor::ones(&[1, 2, 3]);
        let h0 = Tensor::full(&[1, 1], 0.25);
        for reset_after in [true, false] {
            let (rk, rb) = (Tensor::ones(&[1, 3]), Tensor::zeros(&[3]));
            let out = gru_sequence(&xp, &h0, &rk, &rb, Some(vec![0.0, 0.0]), reset_after);
            assert_eq!(out.to_vec(), vec![0.25, 0.25]);
        }
    }

    #[test]
    fn fast_exp_tanh_and_sigmoid_match_the_library() {
        for i in -2000..=2000 {
            let x = i as f32 / 40.0; // −50 … 50
            assert!((tanh(x) - x.tanh()).abs() < 1e-6, "tanh {x}");
            let s = 1.0 / (1.0 + (-x).exp());
            assert!((sigmoid(x) - s).abs() < 1e-6, "sigmoid {x}");
            assert!((exp(x) / x.exp() - 1.0).abs() < 1e-6, "exp {x}");
        }
        assert_eq!(exp(-200.0), exp(-87.0));
        assert!(exp(200.0).is_finite());
    }
}
