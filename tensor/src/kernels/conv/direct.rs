//! The forward pass of a stride-1 convolution without im2col, on AVX-512.
//!
//! With stride 1, output pixel `(r, c)` reads tap `(ki, kj)` of channel `ci` at
//! `(r + ki·dh, c + kj·dw)` of the padded input. Numbering the output pixels by their
//! place in a grid as wide as the padded input (`q = r·Wp + c`, the last `Wp − W_out`
//! columns of each row computed and thrown away), that input value sits at `q + off[k]`
//! with one offset per column-matrix row `k = (ci, ki, kj)`. Row `k` of the column matrix
//! is then a contiguous slice of the padded input, so the micro-kernel reads it in place:
//! the 9× copy of im2col becomes one copy of the input into a padded band.
//!
//! Each task takes one image, one group and a band of output rows: it copies the band's
//! input rows (with their halo and the zero padding) into this thread's scratch, runs
//! the 8-channel × 48-pixel micro-kernel over the band, and writes the valid columns,
//! plus the bias, to the output.

use std::arch::x86_64::{
    __m512, _MM_HINT_T1, _mm_prefetch, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_mask_storeu_ps,
    _mm512_maskz_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
};

use super::{Conv2dGeometry, SyncPtr, with_scratch};
use crate::threads;

/// Output channels per micro-kernel tile (one broadcast weight each).
const MR: usize = 8;
/// Output pixels per micro-kernel tile: three 16-lane registers.
const NR: usize = 48;

/// Column-matrix row counts (`C_in/groups · kh · kw`) the direct kernel takes: below the
/// lower bound the tile's loads and stores outweigh its few multiply-adds; above the
/// upper one a tile's slices of the band no longer stay in L2 and im2col + GEMM (which
/// blocks its inner dimension) is faster. Measured on a 2-core AMD EPYC with AVX-512
/// (`3×3`, padding 1): 64 → 64 channels at 56×56 ran forward 2–5 % and input gradient
/// 15–30 % faster than im2col; 128 channels at 28×28 (1,152 rows) about 5 % slower
/// forward, 256 at 14×14 15–25 % slower.
const ROWS: std::ops::RangeInclusive<usize> = 32..=640;

/// Whether [`forward`] handles this geometry on this CPU: stride 1, a kernel larger than
/// 1×1 or padded, a row count in [`ROWS`], at least one full tile of output channels per
/// group, at most one grid column in eight thrown away (`W_out` against the padded
/// width: 7×7 maps with padding 1 waste 2 of 9 and ran up to 2× slower), and AVX-512.
pub(super) fn usable(geo: &Conv2dGeometry) -> bool {
    let wp = geo.in_size[1] + geo.padding[2] + geo.padding[3];
    geo.stride == [1, 1]
        && !geo.is_pointwise()
        && ROWS.contains(&geo.col_rows())
        && geo.out_channels / geo.groups >= MR
        && 8 * (wp - geo.out_size()[1]) <= wp
        && crate::cpu_info().has("avx512f")
}

/// Output rows per band are chosen so a band's padded input and its output rows take
/// about this many bytes of one core's L2.
const BAND_BYTES: usize = 384 * 1024;

/// The band layout shared by every task of one call.
struct Plan {
    /// Padded input width: the grid width of `q`.
    wp: usize,
    /// Output rows per band (the last band may have fewer).
    rows: usize,
    /// Input rows a band reads: `rows + (kh − 1)·dh`.
    rows_in: usize,
    /// Output channels of one group, rounded up to [`MR`].
    cog_pad: usize,
    /// `off[k]`: where row `k` of the column matrix starts, relative to pixel `q`.
    off: Vec<usize>,
}

impl Plan {
    fn new(geo: &Conv2dGeometry, n: usize) -> Plan {
        let cig = geo.in_channels / geo.groups;
        let cog = geo.out_channels / geo.groups;
        let [oh, _] = geo.out_size();
        let wp = geo.in_size[1] + geo.padding[2] + geo.padding[3];
        let halo = (geo.kernel[0] - 1) * geo.dilation[0];
        let cog_pad = cog.next_multiple_of(MR);
        let row_bytes = 4 * wp * (cig + cog_pad);
        let mut rows = (BAND_BYTES / row_bytes).saturating_sub(halo).clamp(1, oh);
        let want = 4 * threads::num_threads();
        while rows > 2 && n * geo.groups * oh.div_ceil(rows) < want {
            rows = rows.div_ceil(2);
        }
        let rows_in = rows + halo;
        let plane = rows_in * wp;
        let mut off = Vec::with_capacity(geo.col_rows());
        for ci in 0..cig {
            for ki in 0..geo.kernel[0] {
                for kj in 0..geo.kernel[1] {
                    off.push(ci * plane + ki * geo.dilation[0] * wp + kj * geo.dilation[1]);
                }
            }
        }
        Plan { wp, rows, rows_in, cog_pad, off }
    }

    /// Length of a band's padded input: every channel's rows plus the slack the last
    /// tile reads past the final row (its outputs are thrown away).
    fn band_len(&self, cig: usize, geo: &Conv2dGeometry) -> usize {
        cig * self.rows_in * self.wp + NR + (geo.kernel[1] - 1) * geo.dilation[1]
    }
}

/// The weights of every group as `[group][channel block][k][MR]`, zero rows padding the
/// last block: one tile's broadcasts are consecutive.
fn pack_weights(w: &[f32], geo: &Conv2dGeometry, cog_pad: usize) -> Vec<f32> {
    let (k, cog) = (geo.col_rows(), geo.out_channels / geo.groups);
    let mut packed = vec![0.0; geo.groups * cog_pad * k];
    for g in 0..geo.groups {
        for co in 0..cog {
            let (block, lane) = (co / MR, co % MR);
            let dst = &mut packed[(g * cog_pad + block * MR) * k..];
            for (kk, &v) in w[(g * cog + co) * k..][..k].iter().enumerate() {
                dst[kk * MR + lane] = v;
            }
        }
    }
    packed
}

/// Writes the convolution of `xs` (`[N, C_in, H, W]`, standard layout) by `w` plus `bias`
/// into `out` (`[N, C_out, H_out, W_out]`).
///
/// # Safety
/// [`usable`] must hold for `geo`, the slices must have the shapes above, and `out` must
/// address `N · C_out · H_out · W_out` writable values that nothing else touches during
/// the call.
pub(super) unsafe fn forward(
    xs: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    geo: &Conv2dGeometry,
    n: usize,
    out: SyncPtr,
) {
    let plan = Plan::new(geo, n);
    let packed = pack_weights(w, geo, plan.cog_pad);
    let [oh, ow] = geo.out_size();
    let bands = oh.div_ceil(plan.rows);
    let (cig, cog) = (geo.in_channels / geo.groups, geo.out_channels / geo.groups);
    let in_plane = geo.in_size[0] * geo.in_size[1];
    let k = geo.col_rows();
    let band_len = plan.band_len(cig, geo);
    let tasks = n * geo.groups * bands;
    // The bias of each group's channel blocks, zero-padded like the weights.
    let mut bias_pad = vec![0.0f32; geo.groups * plan.cog_pad];
    if let Some(bias) = bias {
        for (dst, src) in bias_pad.chunks_exact_mut(plan.cog_pad).zip(bias.chunks_exact(cog)) {
            dst[..cog].copy_from_slice(src);
        }
    }
    // Task `t`: image, group, band; and the group's input planes.
    let locate = |t: usize| (t / (geo.groups * bands), t / bands % geo.groups, t % bands);
    let planes = |img: usize, g: usize| &xs[(img * geo.in_channels + g * cig) * in_plane..][..cig * in_plane];
    let task = |t: usize| {
        let (img, g, band) = locate(t);
        let r0 = band * plan.rows;
        let rows = plan.rows.min(oh - r0);
        let x_g = planes(img, g);
        // The band this thread likely takes next, brought in while this one computes.
        let next = Some(t + threads::num_threads()).filter(|&n| n < tasks).map(|n| {
            let (img, g, band) = locate(n);
            (planes(img, g), band * plan.rows)
        });
        // SAFETY: task `t` alone writes rows r0..r0 + rows of group `g`'s channels of
        // image `img`.
        let dst = unsafe { out.add(((img * geo.out_channels + g * cog) * oh + r0) * ow) };
        with_scratch(band_len, |input| {
            // SAFETY: `usable` saw AVX-512.
            unsafe { fill_band(input, x_g, cig, geo, &plan, r0) };
            let a = &packed[g * plan.cog_pad * k..][..plan.cog_pad * k];
            let b = &bias_pad[g * plan.cog_pad..][..plan.cog_pad];
            let tiles = (rows * plan.wp).div_ceil(NR);
            for (i, q0) in (0..rows * plan.wp).step_by(NR).enumerate() {
                if let Some((x_next, r0_next)) = next {
                    prefetch_rows(x_next, geo, cig, &plan, r0_next, i, tiles);
                }
                let runs = Runs::new(q0, rows, ow, plan.wp);
                for (block, (a, b)) in a.chunks_exact(MR * k).zip(b.chunks_exact(MR)).enumerate() {
                    let co = block * MR;
                    let channels = MR.min(cog - co);
                    let b: &[f32; MR] = b.try_into().expect("a block of MR biases");
                    // SAFETY: `usable` saw AVX-512; the tile reads `input[q0 + off[k] ..][..NR]`,
                    // inside the band by `band_len`'s slack, and writes only the output
                    // pixels of `runs` for its `channels` channels, all inside this task's
                    // part of `out`.
                    unsafe {
                        tile(
                            a,
                            input.as_ptr().add(q0),
                            &plan.off,
                            dst.wrapping_add(co * oh * ow),
                            oh * ow,
                            channels,
                            b,
                            &runs,
                        )
                    };
                }
            }
        });
    };
    if tasks > 1 && n * geo.macs() >= super::PARALLEL_MACS {
        threads::for_each_part(tasks, task);
    } else {
        (0..tasks).for_each(task);
    }
}

/// Copies the input rows a band starting at output row `r0` reads, with the zero
/// padding, into `band` (`[cig][rows_in][wp]` then zero slack), by 16-lane loads and
/// stores: a `memcpy` and two `memset` calls per row of 56 values measured several per
/// cent of the whole convolution.
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
unsafe fn fill_band(band: &mut [f32], x: &[f32], cig: usize, geo: &Conv2dGeometry, plan: &Plan, r0: usize) {
    let [h, w] = geo.in_size;
    let (pt, pl) = (geo.padding[0], geo.padding[2]);
    let (body, slack) = band.split_at_mut(cig * plan.rows_in * plan.wp);
    zero(slack);
    for (ci, plane) in body.chunks_exact_mut(plan.rows_in * plan.wp).enumerate() {
        for (i, row) in plane.chunks_exact_mut(plan.wp).enumerate() {
            let ih = (r0 + i).wrapping_sub(pt);
            if ih >= h {
                zero(row);
                continue;
            }
            let (left, rest) = row.split_at_mut(pl);
            let (dst, right) = rest.split_at_mut(w);
            zero(left);
            zero(right);
            let src = &x[(ci * h + ih) * w..][..w];
            let (mut s, mut d) = (src.chunks_exact(16), dst.chunks_exact_mut(16));
            for (s, d) in (&mut s).zip(&mut d) {
                // SAFETY: both chunks hold 16 values.
                unsafe { _mm512_storeu_ps(d.as_mut_ptr(), _mm512_loadu_ps(s.as_ptr())) };
            }
            let (s, d) = (s.remainder(), d.into_remainder());
            let mask = ((1u32 << s.len()) - 1) as u16;
            // SAFETY: only the first `s.len()` lanes, inside both remainders, are touched.
            unsafe { _mm512_mask_storeu_ps(d.as_mut_ptr(), mask, _mm512_maskz_loadu_ps(mask, s.as_ptr())) };
        }
    }
}

/// Zeroes `v` by 16-lane masked stores, which the compiler does not turn into a `memset`
/// call (a call per padding column measured 2–4 % of the convolution).
#[inline]
#[target_feature(enable = "avx512f")]
fn zero(v: &mut [f32]) {
    for c in v.chunks_mut(16) {
        let mask = ((1u32 << c.len()) - 1) as u16;
        // SAFETY: only the first `c.len()` lanes, inside `c`, are written.
        unsafe { _mm512_mask_storeu_ps(c.as_mut_ptr(), mask, _mm512_setzero_ps()) };
    }
}

/// Asks for part `part` of `parts` of the input rows a band reads to be brought into L2,
/// a cache line at a time: spread over a task's tiles, this loads the band a thread
/// will likely take next while the current one computes (the input is read from memory
/// once, and copying it in cold cost about a tenth of the convolution).
fn prefetch_rows(x: &[f32], geo: &Conv2dGeometry, cig: usize, plan: &Plan, r0: usize, part: usize, parts: usize) {
    let [h, w] = geo.in_size;
    let first = r0.saturating_sub(geo.padding[0]);
    let last = (r0 + plan.rows_in).saturating_sub(geo.padding[0]).min(h);
    let rows = last.saturating_sub(first);
    let total = cig * rows;
    for j in part * total / parts..(part + 1) * total / parts {
        let (ci, r) = (j / rows, j % rows);
        let row = &x[(ci * h + first + r) * w..][..w];
        for line in row.chunks(16) {
            // SAFETY: a prefetch of an address inside `x` has no other effect.
            unsafe { _mm_prefetch::<_MM_HINT_T1>(line.as_ptr().cast()) };
        }
    }
}

/// Where one tile's 48 pixels go: for each of its three 16-lane vectors, the runs of
/// lanes that are valid output pixels (not a grid column past `W_out`, not a row past the
/// band), as `(offset of lane 0 in the output plane, lane mask)`. Consecutive valid
/// lanes of one grid row land on consecutive output pixels, so one masked store writes
/// each run.
struct Runs {
    runs: [[(usize, u16); 16]; NR / 16],
    len: [usize; NR / 16],
}

impl Runs {
    fn new(q0: usize, rows: usize, ow: usize, wp: usize) -> Runs {
        let mut runs = Runs { runs: [[(0, 0); 16]; NR / 16], len: [0; NR / 16] };
        for v in 0..NR / 16 {
            let mut lane = 0;
            while lane < 16 {
                let q = q0 + 16 * v + lane;
                let (r, c) = (q / wp, q % wp);
                if r >= rows {
                    break;
                }
                if c < ow {
                    let n = (16 - lane).min(ow - c);
                    let mask = (((1u32 << n) - 1) << lane) as u16;
                    runs.runs[v][runs.len[v]] = ((r * ow + c).wrapping_sub(lane), mask);
                    runs.len[v] += 1;
                    lane += n;
                } else {
                    lane += wp - c;
                }
            }
        }
        runs
    }
}

/// `out[i][p] = bias[i] + Σ_k a[k][i] · b[off[k] + j]` for the first `channels` channels
/// `i` (channel `i` at `out + i·plane`) and every tile pixel `j` that `runs` places at
/// output pixel `p`.
///
/// # Safety
/// The CPU must have AVX-512F; `a` holds `off.len()·MR` values; every
/// `b + off[k] .. + NR` is readable and every output pixel of `runs` writable.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f")]
unsafe fn tile(
    a: &[f32],
    b: *const f32,
    off: &[usize],
    out: *mut f32,
    plane: usize,
    channels: usize,
    bias: &[f32; MR],
    runs: &Runs,
) {
    // SAFETY: forwarded from the caller.
    let acc = unsafe { products(a, b, off) };
    for (i, acc) in acc.iter().enumerate().take(channels) {
        let row = out.wrapping_add(i * plane);
        for (v, &sum) in acc.iter().enumerate() {
            let sum = _mm512_add_ps(sum, _mm512_set1_ps(bias[i]));
            for &(at, mask) in &runs.runs[v][..runs.len[v]] {
                // SAFETY: the unmasked lanes are output pixels the caller lets us write;
                // masked-off lanes are neither read nor written (AVX-512 suppresses
                // their faults), so the run's start may lie before the plane.
                unsafe { _mm512_mask_storeu_ps(row.wrapping_add(at), mask, sum) };
            }
        }
    }
}

/// `[i][v] = Σ_k a[k][i] · b[off[k] + 16v ..][..16]`: the tile's multiply-adds, in a
/// function of their own so the 24 accumulators stay in registers from start to end
/// (inlined into the masked-store loop, they were zeroed through a `memset` call on the
/// stack per tile, 2 % of the convolution).
///
/// # Safety
/// As [`tile`].
#[inline(never)]
#[target_feature(enable = "avx512f")]
unsafe fn products(a: &[f32], b: *const f32, off: &[usize]) -> [[__m512; 3]; MR] {
    let z = _mm512_setzero_ps();
    let mut sums = [[z; 3]; MR];
    for (ak, &o) in a.chunks_exact(MR).zip(off) {
        // SAFETY: the caller guarantees `b + o .. + NR` is readable.
        let (b0, b1, b2) =
            unsafe { (_mm512_loadu_ps(b.add(o)), _mm512_loadu_ps(b.add(o + 16)), _mm512_loadu_ps(b.add(o + 32))) };
        for (s, &v) in sums.iter_mut().zip(ak) {
            let v = _mm512_set1_ps(v);
            s[0] = _mm512_fmadd_ps(v, b0, s[0]);
            s[1] = _mm512_fmadd_ps(v, b1, s[1]);
            s[2] = _mm512_fmadd_ps(v, b2, s[2]);
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The convolution by its definition, in f64.
    fn naive(x: &[f32], w: &[f32], bias: Option<&[f32]>, geo: &Conv2dGeometry, n: usize) -> Vec<f32> {
        let [h, wd] = geo.in_size;
        let [oh, ow] = geo.out_size();
        let (cig, cog) = (geo.in_channels / geo.groups, geo.out_channels / geo.groups);
        let [kh, kw] = geo.kernel;
        let mut y = Vec::with_capacity(n * geo.out_channels * oh * ow);
        for img in 0..n {
            for co in 0..geo.out_channels {
                let g = co / cog;
                for r in 0..oh {
                    for c in 0..ow {
                        let mut s = bias.map_or(0.0, |b| f64::from(b[co]));
                        for ci in 0..cig {
                            for ki in 0..kh {
                                for kj in 0..kw {
                                    let ih = (r + ki * geo.dilation[0]) as isize - geo.padding[0] as isize;
                                    let iw = (c + kj * geo.dilation[1]) as isize - geo.padding[2] as isize;
                                    if ih < 0 || iw < 0 || ih as usize >= h || iw as usize >= wd {
                                        continue;
                                    }
                                    let xv = x
                                        [((img * geo.in_channels + g * cig + ci) * h + ih as usize) * wd + iw as usize];
                                    let wv = w[((co * cig + ci) * kh + ki) * kw + kj];
                                    s += f64::from(xv) * f64::from(wv);
                                }
                            }
                        }
                        y.push(s as f32);
                    }
                }
            }
        }
        y
    }

    fn seeded(len: usize, seed: u32) -> Vec<f32> {
        (0..len as u32)
            .map(|i| ((i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) % 2001) as f32 / 1000.0 - 1.0)
            .collect()
    }

    fn check(geo: Conv2dGeometry, n: usize, with_bias: bool) {
        if !crate::cpu_info().has("avx512f") {
            return;
        }
        assert!(usable(&geo), "{geo:?} should take the direct kernel");
        let x = seeded(n * geo.in_channels * geo.in_size[0] * geo.in_size[1], 1);
        let w = seeded(geo.weight_shape().iter().product(), 2);
        let b = seeded(geo.out_channels, 3);
        let bias = with_bias.then_some(&b[..]);
        let [oh, ow] = geo.out_size();
        let mut y = vec![f32::NAN; n * geo.out_channels * oh * ow];
        // SAFETY: `usable` holds and the slices have the documented shapes.
        unsafe { forward(&x, &w, bias, &geo, n, SyncPtr(y.as_mut_ptr())) };
        let want = naive(&x, &w, bias, &geo, n);
        for (i, (a, b)) in y.iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{geo:?}: element {i}: {a} vs {b}");
        }
    }

    #[test]
    fn matches_the_definition_on_assorted_geometries() {
        let base = |ci, co, k: [usize; 2], size: [usize; 2]| Conv2dGeometry {
            in_size: size,
            ..Conv2dGeometry::new(ci, co, k)
        };
        // 3×3 "same" on a width whose band grid is not a multiple of the tile.
        check(Conv2dGeometry { padding: [1; 4], ..base(8, 16, [3, 3], [13, 17]) }, 3, true);
        // Output channels not a multiple of the 8-channel tile; no bias; no padding.
        check(base(5, 13, [3, 3], [9, 20]), 2, false);
        // Asymmetric padding, a non-square kernel and dilation.
        check(Conv2dGeometry { padding: [2, 0, 1, 3], dilation: [2, 1], ..base(4, 9, [3, 5], [12, 40]) }, 1, true);
        // Groups.
        check(Conv2dGeometry { padding: [1; 4], groups: 2, ..base(8, 16, [3, 3], [7, 16]) }, 2, true);
        // Large enough to run in parallel, over several bands per image.
        check(Conv2dGeometry { padding: [1; 4], ..base(32, 24, [3, 3], [40, 37]) }, 2, true);
        // Grids narrower than one 16-lane vector (a 3×1 kernel wastes no column): a
        // vector spans several rows.
        check(Conv2dGeometry { padding: [1, 1, 0, 0], ..base(16, 8, [3, 1], [6, 5]) }, 2, true);
        check(Conv2dGeometry { padding: [2, 0, 0, 0], ..base(16, 8, [3, 1], [4, 1]) }, 1, true);
        // A 1×1 kernel with padding (not pointwise, so not read in place).
        check(Conv2dGeometry { padding: [1; 4], ..base(40, 8, [1, 1], [5, 6]) }, 1, false);
    }
}
