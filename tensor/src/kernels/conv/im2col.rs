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
                    f(row * nb + r.at, input_row, r.ow0, r.ow1, lo.clamp(r.ow0, r.ow1), hi.clamp(r.ow0, r.ow1), offset);
                }
                row += 1;
            }
        }
    }
}

/// Fills `col` (rows `channels·kh·kw`, row length `p1 − p0`) with the windows of output
/// pixels `p0..p1` over `x` (`[channels, H, W]`, contiguous).
pub(super) fn im2col(x: &[f32], channels: usize, geo: &Conv2dGeometry, p0: usize, p1: usize, col: &mut [f32]) {
    let sw = geo.stride[1];
    for_each_run(channels, geo, p0, p1, |dst, input_row, ow0, ow1, lo, hi, offset| {
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
/// contiguous): the adjoint of [`im2col`].
pub(super) fn col2im_add(col: &[f32], channels: usize, geo: &Conv2dGeometry, p0: usize, p1: usize, dx: &mut [f32]) {
    let sw = geo.stride[1];
    for_each_run(channels, geo, p0, p1, |dst, input_row, ow0, _ow1, lo, hi, offset| {
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
        im2col(&x, 2, &geo, p0, p1, &mut col);
        let mut dx = vec![0.0; x.len()];
        col2im_add(&c, 2, &geo, p0, p1, &mut dx);
        let lhs: f32 = col.iter().zip(&c).map(|(a, b)| a * b).sum();
        let rhs: f32 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
        assert_eq!(lhs, rhs);
    }
}
