//! Gradients of the 2-D convolution: with respect to the input (GEMM then col2im, tile
//! by tile), the weight (one GEMM per tile, summed per thread) and the bias.

use ndarray::{Array1, Array4, ArrayView4};

use super::im2col::{col2im_add, im2col};
use super::{Conv2dGeometry, MatPtr, PARALLEL_MACS, SyncPtr, gemm_single, with_scratch};
use crate::threads::{self, PARALLEL_THRESHOLD};

/// `∂loss/∂x` of [`conv2d_forward`](super::conv2d_forward) given `dy = ∂loss/∂y`; with
/// the roles of the channels swapped this is also the transposed convolution.
///
/// Each task owns one image, one group and a range of that group's input channels, so
/// tasks write disjoint parts of the result and need no locks.
///
/// # Shapes
/// `dy`: `[N, C_out, H_out, W_out]`, `w`: `[C_out, C_in / groups, kh, kw]`, result
/// `[N, C_in, H, W]` (`geo.in_size`).
///
/// # Panics
/// If the shapes do not match `geo`.
///
/// ```
/// use derin_tensor::kernels::conv::{Conv2dGeometry, conv2d_backward_input};
/// use ndarray::Array4;
/// let geo = Conv2dGeometry { in_size: [2, 2], ..Conv2dGeometry::new(1, 1, [2, 2]) };
/// let dy = Array4::<f32>::from_elem((1, 1, 1, 1), 2.0);
/// let w = Array4::from_shape_vec((1, 1, 2, 2), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
/// let dx = conv2d_backward_input(dy.view(), w.view(), &geo);
/// assert_eq!(dx.into_raw_vec_and_offset().0, vec![2.0, 4.0, 6.0, 8.0]);
/// ```
pub fn conv2d_backward_input(dy: ArrayView4<'_, f32>, w: ArrayView4<'_, f32>, geo: &Conv2dGeometry) -> Array4<f32> {
    let n = dy.shape()[0];
    let [oh, ow] = geo.out_size();
    let x_shape = [n, geo.in_channels, geo.in_size[0], geo.in_size[1]];
    geo.check("conv2d_backward_input", &x_shape, w.shape());
    assert_eq!(
        dy.shape(),
        [n, geo.out_channels, oh, ow],
        "conv2d_backward_input: output gradient {:?} does not match the geometry {geo:?}",
        dy.shape()
    );
    #[cfg(target_arch = "x86_64")]
    if let Some(flipped) = flipped_geometry(geo).filter(|f| !dy.is_empty() && super::direct::usable(f)) {
        return super::conv2d_forward(dy, flip_weights(w, geo).view(), None, &flipped);
    }
    let (dy, w) = (dy.as_standard_layout(), w.as_standard_layout());
    let mut dx = Array4::<f32>::zeros(x_shape);
    if dx.is_empty() || dy.is_empty() {
        return dx;
    }
    let (pixels, k) = (oh * ow, geo.col_rows());
    let (cig, cog) = (geo.in_channels / geo.groups, geo.out_channels / geo.groups);
    let taps = geo.kernel[0] * geo.kernel[1];
    let in_plane = geo.in_size[0] * geo.in_size[1];
    let parallel = n * geo.macs() >= PARALLEL_MACS;
    let want = 2 * threads::num_threads();
    let parts = if !parallel || n * geo.groups >= want { 1 } else { cig.min(want.div_ceil(n * geo.groups)) };
    let block = geo.block(n);
    let dst = SyncPtr(dx.as_mut_ptr());
    let (dys, ws) = (dy.as_slice().expect("standard layout"), w.as_slice().expect("standard layout"));
    let task = |t: usize| {
        let (img, g, part) = (t / (geo.groups * parts), t / parts % geo.groups, t % parts);
        let (c0, c1) = (part * cig / parts, (part + 1) * cig / parts);
        let kc = (c1 - c0) * taps;
        // SAFETY: task `t` alone touches channels g·cig + c0..c1 of image `img`.
        let dx_part = unsafe {
            std::slice::from_raw_parts_mut(
                dst.add((img * geo.in_channels + g * cig + c0) * in_plane),
                (c1 - c0) * in_plane,
            )
        };
        // Wᵀ restricted to the rows of channels c0..c1: [kc, cog].
        let w_t = MatPtr { ptr: ws[g * cog * k + c0 * taps..].as_ptr(), rs: 1, cs: k as isize };
        let dy_g = &dys[(img * geo.out_channels + g * cog) * pixels..][..cog * pixels];
        if geo.is_pointwise() {
            let out = MatPtr { ptr: dx_part.as_mut_ptr(), rs: in_plane as isize, cs: 1 };
            let b = MatPtr { ptr: dy_g.as_ptr(), rs: pixels as isize, cs: 1 };
            // SAFETY: the matrices lie inside `w`, `dy` and this task's part of `dx`.
            unsafe { gemm_single(kc, pixels, cog, out, false, w_t, b) };
            return;
        }
        for p0 in (0..pixels).step_by(block) {
            let p1 = pixels.min(p0 + block);
            let nb = p1 - p0;
            with_scratch(kc * nb, |dcol| {
                let out = MatPtr { ptr: dcol.as_mut_ptr(), rs: nb as isize, cs: 1 };
                let b = MatPtr { ptr: dy_g[p0..].as_ptr(), rs: pixels as isize, cs: 1 };
                // SAFETY: the matrices lie inside `w`, `dy` and the scratch buffer.
                unsafe { gemm_single(kc, nb, cog, out, false, w_t, b) };
                col2im_add(dcol, c1 - c0, geo, p0, p1, dx_part);
            });
        }
    };
    let tasks = n * geo.groups * parts;
    if parallel && tasks > 1 {
        threads::for_each_part(tasks, task);
    } else {
        (0..tasks).for_each(task);
    }
    dx
}

/// For a stride-1 convolution, the geometry whose forward pass is its input gradient:
/// `dx = conv2d(dy, w')` with the channels' roles swapped, `w'` the kernel turned by
/// 180° ([`flip_weights`]), and `(k − 1)·d − pad` padding on each side. `None` for
/// other strides, or where the forward padding exceeds the dilated kernel's reach.
fn flipped_geometry(geo: &Conv2dGeometry) -> Option<Conv2dGeometry> {
    if geo.stride != [1, 1] {
        return None;
    }
    let reach = [(geo.kernel[0] - 1) * geo.dilation[0], (geo.kernel[1] - 1) * geo.dilation[1]];
    let pad = |i: usize| reach[i / 2].checked_sub(geo.padding[i]);
    Some(Conv2dGeometry {
        in_channels: geo.out_channels,
        out_channels: geo.in_channels,
        in_size: geo.out_size(),
        padding: [pad(0)?, pad(1)?, pad(2)?, pad(3)?],
        ..*geo
    })
}

/// `w'[g·cig + ci, co, i, j] = w[g·cog + co, ci, kh − 1 − i, kw − 1 − j]`: the weights of
/// [`flipped_geometry`], `[C_in, C_out / groups, kh, kw]`.
fn flip_weights(w: ArrayView4<'_, f32>, geo: &Conv2dGeometry) -> Array4<f32> {
    let (cig, cog) = (geo.in_channels / geo.groups, geo.out_channels / geo.groups);
    let [kh, kw] = geo.kernel;
    Array4::from_shape_fn((geo.in_channels, cog, kh, kw), |(c, co, i, j)| {
        let (g, ci) = (c / cig, c % cig);
        w[[g * cog + co, ci, kh - 1 - i, kw - 1 - j]]
    })
}

/// `∂loss/∂w` of [`conv2d_forward`](super::conv2d_forward) given `dy = ∂loss/∂y`.
///
/// The (image, group, pixel block) tiles are cut into one contiguous run per thread;
/// each run sums its products into its own buffer and the buffers are added in order,
/// so the result depends only on the thread count. The buffers hold each group's
/// gradient transposed (column-major), which the GEMM writes fastest (measured 92 → 110
/// GFLOP/s on 64 × 288 × 196, one 14×14 image of 32 → 64 channels).
///
/// # Shapes
/// `x`: `[N, C_in, H, W]`, `dy`: `[N, C_out, H_out, W_out]`, result
/// `[C_out, C_in / groups, kh, kw]`.
///
/// # Panics
/// If the shapes do not match `geo`.
///
/// ```
/// use derin_tensor::kernels::conv::{Conv2dGeometry, conv2d_backward_weight};
/// use ndarray::Array4;
/// let geo = Conv2dGeometry { in_size: [2, 2], ..Conv2dGeometry::new(1, 1, [2, 2]) };
/// let x = Array4::from_shape_vec((1, 1, 2, 2), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
/// let dy = Array4::<f32>::from_elem((1, 1, 1, 1), 0.5);
/// let dw = conv2d_backward_weight(x.view(), dy.view(), &geo);
/// assert_eq!(dw.into_raw_vec_and_offset().0, vec![0.5, 1.0, 1.5, 2.0]);
/// ```
pub fn conv2d_backward_weight(x: ArrayView4<'_, f32>, dy: ArrayView4<'_, f32>, geo: &Conv2dGeometry) -> Array4<f32> {
    weight_and_bias(x, dy, geo, false).0
}

/// [`conv2d_backward_weight`] and [`conv2d_backward_bias`] in one pass: each pixel block
/// of `dy` is summed while the weight GEMM has it in cache, so `dy` is read once
/// (measured on the CNN benchmark: the separate bias pass took about 3 % of a step).
/// The bias sums are added in another order than [`conv2d_backward_bias`]'s, so the two
/// may differ in the last bits.
///
/// # Shapes
/// As [`conv2d_backward_weight`]; the bias gradient is `[C_out]`.
///
/// # Panics
/// If the shapes do not match `geo`.
///
/// ```
/// use derin_tensor::kernels::conv::{Conv2dGeometry, conv2d_backward_weight_and_bias};
/// use ndarray::Array4;
/// let geo = Conv2dGeometry { in_size: [2, 2], ..Conv2dGeometry::new(1, 2, [1, 1]) };
/// let x = Array4::from_shape_vec((1, 1, 2, 2), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
/// let dy = Array4::from_shape_vec((1, 2, 2, 2), vec![1.0, 0.0, 0.0, 1.0, 0.5, 0.5, 0.5, 0.5]).unwrap();
/// let (dw, db) = conv2d_backward_weight_and_bias(x.view(), dy.view(), &geo);
/// // dw[o] = Σ x·dy[o]: 1 + 4 = 5 and (1 + 2 + 3 + 4) / 2 = 5; db[o] = Σ dy[o].
/// assert_eq!(dw.into_raw_vec_and_offset().0, vec![5.0, 5.0]);
/// assert_eq!(db.to_vec(), vec![2.0, 2.0]);
/// ```
pub fn conv2d_backward_weight_and_bias(
    x: ArrayView4<'_, f32>,
    dy: ArrayView4<'_, f32>,
    geo: &Conv2dGeometry,
) -> (Array4<f32>, Array1<f32>) {
    let (dw, db) = weight_and_bias(x, dy, geo, true);
    (dw, db.expect("asked for the bias"))
}

/// The weight gradient, and the bias gradient when `with_bias`.
fn weight_and_bias(
    x: ArrayView4<'_, f32>,
    dy: ArrayView4<'_, f32>,
    geo: &Conv2dGeometry,
    with_bias: bool,
) -> (Array4<f32>, Option<Array1<f32>>) {
    let n = x.shape()[0];
    let [oh, ow] = geo.out_size();
    let ws = geo.weight_shape();
    geo.check("conv2d_backward_weight", x.shape(), &ws);
    assert_eq!(
        dy.shape(),
        [n, geo.out_channels, oh, ow],
        "conv2d_backward_weight: output gradient {:?} does not match input {:?} and the geometry {geo:?}",
        dy.shape(),
        x.shape()
    );
    let (x, dy) = (x.as_standard_layout(), dy.as_standard_layout());
    let (pixels, k) = (oh * ow, geo.col_rows());
    let (cig, cog) = (geo.in_channels / geo.groups, geo.out_channels / geo.groups);
    let in_plane = geo.in_size[0] * geo.in_size[1];
    let block = geo.block(n).max(1);
    let blocks = pixels.div_ceil(block);
    let tasks = n * geo.groups * blocks;
    let runs = if n * geo.macs() >= PARALLEL_MACS { threads::num_threads().min(tasks).max(1) } else { 1 };
    let (xs, dys) = (x.as_slice().expect("standard layout"), dy.as_slice().expect("standard layout"));
    let run = |r: usize| {
        let weights = geo.out_channels * k;
        let mut acc = vec![0.0f32; weights + if with_bias { geo.out_channels } else { 0 }];
        for t in r * tasks / runs..(r + 1) * tasks / runs {
            let (img, g, b) = (t / (geo.groups * blocks), t / blocks % geo.groups, t % blocks);
            let (p0, p1) = (b * block, pixels.min(b * block + block));
            let nb = p1 - p0;
            if with_bias {
                for co in g * cog..(g + 1) * cog {
                    acc[weights + co] += sum(&dys[(img * geo.out_channels + co) * pixels + p0..][..nb]);
                }
            }
            let out = MatPtr { ptr: acc[g * cog * k..].as_mut_ptr(), rs: 1, cs: cog as isize };
            let a = MatPtr {
                ptr: dys[(img * geo.out_channels + g * cog) * pixels + p0..].as_ptr(),
                rs: pixels as isize,
                cs: 1,
            };
            let x_g = &xs[(img * geo.in_channels + g * cig) * in_plane..][..cig * in_plane];
            if geo.is_pointwise() {
                let col_t = MatPtr { ptr: x_g[p0..].as_ptr(), rs: 1, cs: in_plane as isize };
                // SAFETY: the matrices lie inside `dy`, `x` and `acc`.
                unsafe { gemm_single(cog, k, nb, out, true, a, col_t) };
            } else {
                with_scratch(k * nb, |col| {
                    im2col(x_g, cig, geo, p0, p1, col, nb);
                    let col_t = MatPtr { ptr: col.as_ptr(), rs: 1, cs: nb as isize };
                    // SAFETY: the matrices lie inside `dy`, the scratch buffer and `acc`.
                    unsafe { gemm_single(cog, k, nb, out, true, a, col_t) };
                });
            }
        }
        acc
    };
    let parts: Vec<Vec<f32>> = if runs > 1 { threads::map_parts(runs, run) } else { vec![run(0)] };
    let mut parts = parts.into_iter();
    let mut summed = parts.next().expect("at least one run");
    for p in parts {
        summed.iter_mut().zip(&p).for_each(|(t, v)| *t += v);
    }
    let bias = with_bias.then(|| Array1::from(summed.split_off(geo.out_channels * k)));
    // Each group's block of `summed` is its [cog, k] gradient stored column by column.
    let mut total = vec![0.0f32; summed.len()];
    for (t, s) in total.chunks_exact_mut(cog * k).zip(summed.chunks_exact(cog * k)) {
        for (co, row) in t.chunks_exact_mut(k).enumerate() {
            row.iter_mut().enumerate().for_each(|(kk, v)| *v = s[kk * cog + co]);
        }
    }
    (Array4::from_shape_vec(ws, total).expect("weight-sized buffer"), bias)
}

/// `∂loss/∂bias`: `dy` summed over the batch and the pixels.
///
/// # Shapes
/// `dy`: `[N, C, H, W]`, result `[C]`.
///
/// ```
/// use derin_tensor::kernels::conv::conv2d_backward_bias;
/// let dy = ndarray::Array4::<f32>::ones((2, 3, 4, 5));
/// assert_eq!(conv2d_backward_bias(dy.view()).to_vec(), vec![40.0; 3]);
/// ```
pub fn conv2d_backward_bias(dy: ArrayView4<'_, f32>) -> Array1<f32> {
    let dy = dy.as_standard_layout();
    let [n, c, h, w] = [dy.shape()[0], dy.shape()[1], dy.shape()[2], dy.shape()[3]];
    let plane = h * w;
    let s = dy.as_slice().expect("standard layout");
    let channel = |ch: usize| (0..n).map(|i| sum(&s[(i * c + ch) * plane..][..plane])).sum::<f32>();
    let sums: Vec<f32> =
        if dy.len() >= PARALLEL_THRESHOLD { threads::map_parts(c, channel) } else { (0..c).map(channel).collect() };
    Array1::from(sums)
}

/// A sum with 16 running partial sums: vectorised, and more accurate than one running sum.
fn sum(s: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let chunks = s.chunks_exact(16);
    let rest: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_and_bias_in_one_pass_match_the_separate_passes() {
        // Two groups, several pixel blocks per image, large enough to run on the pool.
        let geo =
            Conv2dGeometry { in_size: [30, 33], padding: [1; 4], groups: 2, ..Conv2dGeometry::new(8, 12, [3, 3]) };
        let [oh, ow] = geo.out_size();
        let x = Array4::from_shape_fn((6, 8, 30, 33), |(a, b, c, d)| ((a * 7 + b * 5 + c * 3 + d) % 13) as f32 - 6.0);
        let dy = Array4::from_shape_fn((6, 12, oh, ow), |(a, b, c, d)| ((a + b * 3 + c * 5 + d * 7) % 11) as f32 - 5.0);
        let (dw, db) = conv2d_backward_weight_and_bias(x.view(), dy.view(), &geo);
        let (want_w, want_b) = (conv2d_backward_weight(x.view(), dy.view(), &geo), conv2d_backward_bias(dy.view()));
        // Integer-valued sums below 2^24 are exact in any order.
        assert_eq!(dw, want_w);
        assert_eq!(db, want_b);
    }
}
