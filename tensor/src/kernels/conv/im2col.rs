//! Copying a block of output pixels' input windows into a column matrix (im2col) and
//! adding such a matrix back onto the input (col2im).
//!
//! Row `(c, ki, kj)` of the column matrix holds, for every output pixel `(oh, ow)` of the
//! block, the input value `x[c, oh·sh − pad_top + ki·dh, ow·sw − pad_left + kj·dw]`, or 0
//! where that falls in the padding.

use super::Conv2dGeometry;

/// The output columns `ow` whose input column `ow·stride + offset` lies in `0..width`,
/// as a range clipped to `0..out`.
fn valid_cols(offset: isize, stride: usize, width: usize, out: usize) -> (usize, usize) {
    let s = stride as isize;
    let lo = if offset >= 0 { 0 } else { ((-offset + s - 1) / s) as usize };
    let room = width as isize - offset;
    let hi = if room <= 0 { 0 } else { ((room + s - 1) / s) as usize };
    let hi = hi.min(out);
    (lo.min(hi), hi)
}

/// A run of a block's output pixels within one output row: row `oh`, columns
/// `ow0..ow1`, starting at `at` within the block.
#[derive(Clone, Copy)]
struct Run {
    oh: usize,
    ow0: usize,
    ow1: usize,
    at: usize,
}

/// Visits every (column-matrix row, run of pixels within one output row) of the block
/// `p0..p1`: `f(dst, input_row, ow0, ow1, lo, hi, offset)` where the run covers output
/// columns `ow0..ow1` and starts at flat index `dst` of the column matrix, `input_row` is
/// the flat index where the input row starts (`None` for a padding row), and `lo..hi`
/// (within `ow0..ow1`) are the columns that read inside the input, at `ow·stride +
/// offset`. The runs and the column ranges are worked out once per block, so the loop
/// does no division.
#[inline(always)]
fn for_each_run(
    channels: usize,
    geo: &Conv2dGeometry,
    p0: usize,
    p1: usize,
    ld: usize,
    mut f: impl FnMut(usize, Option<usize>, usize, usize, usize, usize, isize),
) {
    let [h, w] = geo.in_size;
    let [kh, kw] = geo.kernel;
    let [sh, sw] = geo.stride;
    let [dh, dw] = geo.dilation;
    let (pt, pl) = (geo.padding[0] as isize, geo.padding[2] as isize);
    let out_w = geo.out_size()[1];
    let nb = p1 - p0;
    let mut runs = Vec::with_capacity(nb / out_w.max(1) + 2);
    let (mut p, mut at) = (p0, 0);
    while p < p1 {
        let (oh, ow0) = (p / out_w, p % out_w);
        let ow1 = out_w.min(ow0 + p1 - p);
        runs.push(Run { oh, ow0, ow1, at });
        at += ow1 - ow0;
        p += ow1 - ow0;
    }
    let taps: Vec<(isize, usize, usize)> = (0..kw)
        .map(|kj| {
            let offset = (kj * dw) as isize - pl;
            let (lo, hi) = valid_cols(offset, sw, w, out_w);
            (offset, lo, hi)
        })
        .collect();
    let mut row = 0;
    for c in 0..channels {
        for ki in 0..kh {
            for &(offset, lo, hi) in &taps {
                for r in &runs {
                    let ih = (r.oh * sh + ki * dh) as isize - pt;
                    let input_row = (ih >= 0 && (ih as usize) < h).then(|| (c * h + ih as usize) * w);
                    f(row * ld + r.at, input_row, r.ow0, r.ow1, lo.clamp(r.ow0, r.ow1), hi.clamp(r.ow0, r.ow1), offset);
                }
                row += 1;
            }
        }
    }
}

/// Whether every column-matrix row is the input plane shifted by a constant: stride 1,
/// no dilation, and as many output columns as input columns (`pad_left + pad_right =
/// kw − 1`, e.g. a 3×3 kernel with padding 1). Then pixel `p` of row `(c, ki, kj)` reads
/// flat index `p + (ki − pad_top)·W + kj − pad_left` of plane `c`, except in the rows
/// above or below the input and in the `|kj − pad_left|` columns that cross the left or
/// right edge, so a row is one copy plus a few zeros instead of one copy per output row.
fn is_shift(geo: &Conv2dGeometry) -> bool {
    geo.stride == [1, 1] && geo.dilation == [1, 1] && geo.out_size()[1] == geo.in_size[1]
}

/// A column-matrix row of the shift layout (see [`is_shift`]) over the block `p0..p1`.
#[derive(Clone, Copy)]
struct Shift {
    /// Row of the column matrix.
    row: usize,
    /// Flat index in `x` (all channels) of the value pixel `p0` reads (possibly outside).
    start: isize,
    /// Block columns `lo..hi` read inside the input plane (and inside an input row, except
    /// the edge-crossing columns).
    lo: usize,
    hi: usize,
    /// Output columns `z0..z1` whose tap crosses the left or right edge: zero.
    z0: usize,
    z1: usize,
}

/// Visits the rows of the block `p0..p1` in the shift layout.
#[inline(always)]
fn for_each_shift(channels: usize, geo: &Conv2dGeometry, p0: usize, p1: usize, mut f: impl FnMut(Shift)) {
    let [h, w] = geo.in_size;
    let [kh, kw] = geo.kernel;
    let (pt, pl) = (geo.padding[0] as isize, geo.padding[2] as isize);
    let (plane, nb) = ((h * w) as isize, (p1 - p0) as isize);
    let (wi, p0i) = (w as isize, p0 as isize);
    let mut row = 0;
    for c in 0..channels {
        for ki in 0..kh {
            let down = (ki as isize - pt) * wi;
            for kj in 0..kw {
                let d = kj as isize - pl;
                let shift = down + d;
                // p0 + j + down and p0 + j + shift both in 0..plane, j in 0..nb.
                let lo = (-(p0i + down)).max(-(p0i + shift)).clamp(0, nb);
                let hi = (plane - p0i - down).min(plane - p0i - shift).clamp(lo, nb);
                let (z0, z1) = if d < 0 { (0, (-d).min(wi)) } else { ((wi - d).max(0), wi) };
                let start = c as isize * plane + p0i + shift;
                f(Shift { row, start, lo: lo as usize, hi: hi as usize, z0: z0 as usize, z1: z1 as usize });
                row += 1;
            }
        }
    }
}

/// Calls `f(j)` for every block column `j` (pixel `p0 + j < p1`) whose output column
/// lies in `z0..z1`.
#[inline(always)]
fn each_edge_column(w: usize, p0: usize, p1: usize, z0: usize, z1: usize, mut f: impl FnMut(usize)) {
    for ow in z0..z1 {
        let mut p = p0 - p0 % w + ow;
        if p < p0 {
            p += w;
        }
        while p < p1 {
            f(p - p0);
            p += w;
        }
    }
}

/// Fills `col` (rows `channels·kh·kw`, `p1 − p0` columns, rows `ld ≥ p1 − p0` apart)
/// with the windows of output pixels `p0..p1` over `x` (`[channels, H, W]`,
/// contiguous); the `ld − (p1 − p0)` values after each row are left as they are.
pub(super) fn im2col(
    x: &[f32],
    channels: usize,
    geo: &Conv2dGeometry,
    p0: usize,
    p1: usize,
    col: &mut [f32],
    ld: usize,
) {
    if is_shift(geo) {
        let (nb, w) = (p1 - p0, geo.in_size[1]);
        for_each_shift(channels, geo, p0, p1, |s| {
            let seg = &mut col[s.row * ld..][..nb];
            seg[..s.lo].fill(0.0);
            seg[s.hi..].fill(0.0);
            if s.lo < s.hi {
                let first = (s.start + s.lo as isize) as usize;
                seg[s.lo..s.hi].copy_from_slice(&x[first..first + s.hi - s.lo]);
            }
            each_edge_column(w, p0, p1, s.z0, s.z1, |j| seg[j] = 0.0);
        });
        return;
    }
    let sw = geo.stride[1];
    for_each_run(channels, geo, p0, p1, ld, |dst, input_row, ow0, ow1, lo, hi, offset| {
        let seg = &mut col[dst..][..ow1 - ow0];
        let Some(start) = input_row else {
            seg.fill(0.0);
            return;
        };
        seg[..lo - ow0].fill(0.0);
        seg[hi - ow0..].fill(0.0);
        let inner = &mut seg[lo - ow0..hi - ow0];
        let first = (start as isize + (lo * sw) as isize + offset) as usize;
        if sw == 1 {
            inner.copy_from_slice(&x[first..first + inner.len()]);
        } else {
            for (i, d) in inner.iter_mut().enumerate() {
                *d = x[first + i * sw];
            }
        }
    });
}

/// Adds `col` (laid out as [`im2col`] writes it) back onto `dx` (`[channels, H, W]`,
/// contiguous): the adjoint of [`im2col`]. `col` is scratch: its entries for taps in the
/// padding may be overwritten with zeros.
pub(super) fn col2im_add(col: &mut [f32], channels: usize, geo: &Conv2dGeometry, p0: usize, p1: usize, dx: &mut [f32]) {
    if is_shift(geo) {
        let (nb, w) = (p1 - p0, geo.in_size[1]);
        for_each_shift(channels, geo, p0, p1, |s| {
            let seg = &mut col[s.row * nb..][..nb];
            // The edge-crossing taps would land on the neighbouring input row: add zero.
            each_edge_column(w, p0, p1, s.z0, s.z1, |j| seg[j] = 0.0);
            if s.lo < s.hi {
                let first = (s.start + s.lo as isize) as usize;
                for (d, v) in dx[first..first + s.hi - s.lo].iter_mut().zip(&seg[s.lo..s.hi]) {
                    *d += v;
                }
            }
        });
        return;
    }
    let sw = geo.stride[1];
    for_each_run(channels, geo, p0, p1, p1 - p0, |dst, input_row, ow0, _ow1, lo, hi, offset| {
        let Some(start) = input_row else { return };
        if hi <= lo {
            return;
        }
        let seg = &col[dst + (lo - ow0)..][..hi - lo];
        let first = (start as isize + (lo * sw) as isize + offset) as usize;
        if sw == 1 {
            for (d, s) in dx[first..first + seg.len()].iter_mut().zip(seg) {
                *d += s;
            }
        } else {
            for (i, s) in seg.iter().enumerate() {
                dx[first + i * sw] += s;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_cols_clips_both_edges() {
        // width 5, kernel tap at offset -1 (left padding 1), stride 1, 5 outputs: ow 1..5 read 0..4.
        assert_eq!(valid_cols(-1, 1, 5, 5), (1, 5));
        // offset +1: ow 0..4 read 1..5.
        assert_eq!(valid_cols(1, 1, 5, 5), (0, 4));
        // stride 2, offset -1: ow·2 − 1 ∈ 0..5 ⇔ ow ∈ 1..3.
        assert_eq!(valid_cols(-1, 2, 5, 3), (1, 3));
        // the tap misses the input entirely.
        assert_eq!(valid_cols(7, 1, 5, 3), (0, 0));
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), c> = <x, col2im(c)> for any x, c.
        let geo = Conv2dGeometry {
            in_size: [5, 6],
            stride: [2, 1],
            padding: [1, 2, 0, 1],
            dilation: [1, 2],
            ..Conv2dGeometry::new(2, 1, [3, 2])
        };
        let [oh, ow] = geo.out_size();
        let (p0, p1) = (3, oh * ow - 1);
        let rows = 2 * 3 * 2;
        let x: Vec<f32> = (0..2 * 30).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
        let c: Vec<f32> = (0..rows * (p1 - p0)).map(|i| ((i * 13) % 7) as f32 - 3.0).collect();
        let mut col = vec![f32::NAN; c.len()];
        im2col(&x, 2, &geo, p0, p1, &mut col, p1 - p0);
        let mut dx = vec![0.0; x.len()];
        col2im_add(&mut c.clone(), 2, &geo, p0, p1, &mut dx);
        let lhs: f32 = col.iter().zip(&c).map(|(a, b)| a * b).sum();
        let rhs: f32 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
        assert_eq!(lhs, rhs);
    }

    /// The column matrix straight from its definition (module docs).
    fn naive_im2col(x: &[f32], channels: usize, geo: &Conv2dGeometry, p0: usize, p1: usize) -> Vec<f32> {
        let [h, w] = geo.in_size;
        let ow = geo.out_size()[1];
        let mut col = Vec::new();
        for c in 0..channels {
            for ki in 0..geo.kernel[0] {
                for kj in 0..geo.kernel[1] {
                    for p in p0..p1 {
                        let i = ((p / ow) * geo.stride[0] + ki * geo.dilation[0]) as isize - geo.padding[0] as isize;
                        let j = ((p % ow) * geo.stride[1] + kj * geo.dilation[1]) as isize - geo.padding[2] as isize;
                        let inside = (0..h as isize).contains(&i) && (0..w as isize).contains(&j);
                        col.push(if inside { x[(c * h + i as usize) * w + j as usize] } else { 0.0 });
                    }
                }
            }
        }
        col
    }

    /// Geometries of the shift layout (stride 1, "same" width), and two that are not.
    fn shift_cases() -> Vec<Conv2dGeometry> {
        let g = |in_size, kernel, padding| Conv2dGeometry { in_size, padding, ..Conv2dGeometry::new(2, 1, kernel) };
        vec![
            g([5, 6], [3, 3], [1, 1, 1, 1]),
            g([4, 5], [3, 3], [0, 2, 2, 0]),
            g([6, 4], [2, 3], [1, 0, 0, 2]),
            g([3, 1], [3, 3], [2, 1, 1, 1]),
            g([4, 3], [5, 5], [2, 2, 2, 2]),
            g([3, 7], [1, 1], [1, 1, 0, 0]),
            g([5, 6], [3, 3], [1, 1, 0, 0]),
            Conv2dGeometry { in_size: [5, 6], padding: [1; 4], stride: [2, 1], ..Conv2dGeometry::new(2, 1, [3, 3]) },
        ]
    }

    #[test]
    fn im2col_matches_the_definition_on_every_block() {
        for geo in shift_cases() {
            let [oh, ow] = geo.out_size();
            let x: Vec<f32> = (0..2 * geo.in_size[0] * geo.in_size[1]).map(|i| i as f32 + 1.0).collect();
            for (p0, p1) in [(0, oh * ow), (1, oh * ow), (ow + 2, oh * ow - 1), (3, 4), (2, 2 * ow + 1)] {
                let p1 = p1.min(oh * ow);
                if p0 >= p1 {
                    continue;
                }
                let rows = 2 * geo.kernel[0] * geo.kernel[1];
                let mut col = vec![f32::NAN; rows * (p1 - p0)];
                im2col(&x, 2, &geo, p0, p1, &mut col, p1 - p0);
                let want = naive_im2col(&x, 2, &geo, p0, p1);
                assert_eq!(col, want, "{geo:?}, block {p0}..{p1}");
                // Rows 3 apart more than their length: the gaps are left alone.
                let ld = p1 - p0 + 3;
                let mut wide = vec![-7.0; rows * ld];
                im2col(&x, 2, &geo, p0, p1, &mut wide, ld);
                for (r, line) in wide.chunks(ld).enumerate() {
                    assert_eq!(line[..p1 - p0], want[r * (p1 - p0)..][..p1 - p0], "{geo:?}, row {r}");
                    assert_eq!(line[p1 - p0..], [-7.0; 3]);
                }
            }
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col_in_the_shift_layout() {
        for geo in shift_cases() {
            let [oh, ow] = geo.out_size();
            let (p0, p1) = (ow - 1, oh * ow);
            let rows = 2 * geo.kernel[0] * geo.kernel[1];
            let x: Vec<f32> = (0..2 * geo.in_size[0] * geo.in_size[1]).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
            let c: Vec<f32> = (0..rows * (p1 - p0)).map(|i| ((i * 13) % 7) as f32 - 3.0).collect();
            let mut col = vec![f32::NAN; c.len()];
            im2col(&x, 2, &geo, p0, p1, &mut col, p1 - p0);
            let mut dx = vec![0.0; x.len()];
            col2im_add(&mut c.clone(), 2, &geo, p0, p1, &mut dx);
            let lhs: f32 = col.iter().zip(&c).map(|(a, b)| a * b).sum();
            let rhs: f32 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
            assert_eq!(lhs, rhs, "{geo:?}");
        }
    }
}
