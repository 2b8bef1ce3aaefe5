//! The GRU recurrence with Keras' `reset_after=False` (the original GRU formula): the
//! reset gate scales the state before the candidate's recurrent product,
//! `h̃ = tanh(x_h + (r ⊙ hₜ₋₁) · R_h + b_h)`. Forward and backward for [`super::gru_op`],
//! which owns the op, the saved-values layout and the parallel split over batch rows.
//!
//! Per step it takes two products where `reset_after=True` takes one: `hₜ₋₁ · R_zr`, then,
//! once `r` is known, `(r ⊙ hₜ₋₁) · R_h`.

use derin_tensor::kernels::gemm::sgemm_serial;
use derin_tensor::ndarray::{Array2, ArrayView2, ArrayViewMut2, s};

use super::gru_op::{SAVED, sigmoid, tanh};

/// The forward recurrence for a block of batch rows (`h.len() / U` of them). The saved
/// blocks per row are `hₜ₋₁`, `z`, `r`, `r ⊙ hₜ₋₁` and `h̃`.
pub(super) fn forward_rows(
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
    let (rk_zr, rk_h) = (rk.slice(s![.., ..2 * u]), rk.slice(s![.., 2 * u..]));
    let mut hp = Array2::<f32>::zeros((nc, 2 * u));
    let mut rh = Array2::<f32>::zeros((nc, u));
    let mut ch = Array2::<f32>::zeros((nc, u));
    for s in 0..t {
        sgemm_serial(ArrayView2::from_shape((nc, u), &*h).expect("rows of U"), rk_zr, hp.view_mut(), false);
        let (hp, rh_s) = (hp.as_slice().expect("standard layout"), rh.as_slice_mut().expect("standard layout"));
        for i in 0..nc {
            let row = i * t + s;
            let (x, p) = (&xs[row * g..row * g + 2 * u], &hp[i * 2 * u..(i + 1) * 2 * u]);
            let sv = &mut saved[row * SAVED * u..row * SAVED * u + 4 * u];
            let hs = &h[i * u..(i + 1) * u];
            for j in 0..u {
                let z = sigmoid(x[j] + p[j] + b[j]);
                let r = sigmoid(x[u + j] + p[u + j] + b[u + j]);
                sv[j] = hs[j];
                sv[u + j] = z;
                sv[2 * u + j] = r;
                sv[3 * u + j] = r * hs[j];
                rh_s[i * u + j] = r * hs[j];
            }
        }
        sgemm_serial(rh.view(), rk_h, ch.view_mut(), false);
        let ch = ch.as_slice().expect("standard layout");
        for i in 0..nc {
            let row = i * t + s;
            let keep = mask.map_or(1.0, |m| if m[row] != 0.0 { 1.0 } else { 0.0 });
            let xh = &xs[row * g + 2 * u..(row + 1) * g];
            let sv = &mut saved[row * SAVED * u..(row + 1) * SAVED * u];
            for j in 0..u {
                let (prev, z) = (sv[j], sv[u + j]);
                let cand = tanh(xh[j] + ch[i * u + j] + b[2 * u + j]);
                sv[4 * u + j] = cand;
                let next = prev + keep * ((1.0 - z) * (cand - prev));
                h[i * u + j] = next;
                out[row * u + j] = next;
            }
        }
    }
}

/// Backpropagation through time for a block of batch rows; `dh` ends as ∂loss/∂h₀, and
/// `dhp` holds per row the gradient of the recurrent pre-activations: of `hₜ₋₁ · R_z + b_z`,
/// `hₜ₋₁ · R_r + b_r` and `(r ⊙ hₜ₋₁) · R_h + b_h`.
pub(super) fn backward_rows(
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
    let (rk_zr, rk_h) = (rk.slice(s![.., ..2 * u]), rk.slice(s![.., 2 * u..]));
    let mut step = Array2::<f32>::zeros((nc, g));
    let mut drh = Array2::<f32>::zeros((nc, u));
    let mut dprev = vec![0.0f32; nc * u];
    for s in (0..t).rev() {
        let st = step.as_slice_mut().expect("standard layout");
        for i in 0..nc {
            let row = i * t + s;
            let keep = mask.map_or(1.0, |m| if m[row] != 0.0 { 1.0 } else { 0.0 });
            let sv = &saved[row * SAVED * u..(row + 1) * SAVED * u];
            for j in 0..u {
                let d = dout[row * u + j] + dh[i * u + j];
                let (prev, z, c) = (sv[j], sv[u + j], sv[4 * u + j]);
                let dc = keep * d * (1.0 - z) * (1.0 - c * c);
                let dz = keep * d * (prev - c) * z * (1.0 - z);
                dxp[row * g + j] = dz;
                dxp[row * g + 2 * u + j] = dc;
                st[i * g + j] = dz;
                st[i * g + 2 * u + j] = dc;
                // Masked: h passed through unchanged, so its gradient does too.
                dprev[i * u + j] = d * (1.0 - keep + keep * z);
            }
        }
        // ∂/∂(r ⊙ hₜ₋₁) = dc · R_hᵀ
        sgemm_serial(step.slice(s![.., 2 * u..]), rk_h.t(), drh.view_mut(), false);
        let st = step.as_slice_mut().expect("standard layout");
        let drh = drh.as_slice().expect("standard layout");
        for i in 0..nc {
            let row = i * t + s;
            let sv = &saved[row * SAVED * u..(row + 1) * SAVED * u];
            for j in 0..u {
                let (prev, r, d) = (sv[j], sv[2 * u + j], drh[i * u + j]);
                let dr = d * prev * r * (1.0 - r);
                dxp[row * g + u + j] = dr;
                st[i * g + u + j] = dr;
                dprev[i * u + j] += d * r;
            }
        }
        // dhₜ₋₁ += [dz, dr] · R_zrᵀ
        let dprev_m = ArrayViewMut2::from_shape((nc, u), &mut dprev[..]).expect("rows of U");
        sgemm_serial(step.slice(s![.., ..2 * u]), rk_zr.t(), dprev_m, true);
        let st = step.as_slice().expect("standard layout");
        for i in 0..nc {
            let row = i * t + s;
            dhp[row * g..(row + 1) * g].copy_from_slice(&st[i * g..(i + 1) * g]);
        }
        dh.copy_from_slice(&dprev);
    }
}
