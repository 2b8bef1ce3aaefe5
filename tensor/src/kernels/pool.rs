//! Pooling kernels on `[N, C, H, W]` arrays: max (keeping the argmax for the gradient),
//! average and adaptive average, each with its gradient. Every (image, channel) plane
//! is independent, so large inputs are split over planes.

use std::hint::select_unpredictable;

use ndarray::{Array4, ArrayView4};

use crate::threads::{self, Disjoint, PARALLEL_THRESHOLD};

/// Elements (read and written) per parallel block of planes at least.
const PLANE_BLOCK: usize = 1 << 14;

/// The windows of a 2-D pooling: kernel, stride and padding over an input plane.
///
/// ```
/// use derin_tensor::kernels::pool::Pool2dGeometry;
/// let g = Pool2dGeometry { in_size: [5, 6], kernel: [2, 2], stride: [2, 2], padding: [0, 1, 0, 0] };
/// assert_eq!(g.out_size(), [3, 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dGeometry {
    /// Input height and width.
    pub in_size: [usize; 2],
    /// Window height and width.
    pub kernel: [usize; 2],
    /// Step between windows, vertical and horizontal.
    pub stride: [usize; 2],
    /// Padding `[top, bottom, left, right]`: ignored by max pooling, zeros for average.
    pub padding: [usize; 4],
}

impl Pool2dGeometry {
    /// Output height and width, `(in + pads − kernel) / stride + 1` (rounded down; 0 where
    /// the window does not fit).
    pub fn out_size(&self) -> [usize; 2] {
        [0, 1].map(|i| {
            let padded = self.in_size[i] + self.padding[2 * i] + self.padding[2 * i + 1];
            if padded < self.kernel[i] { 0 } else { (padded - self.kernel[i]) / self.stride[i] + 1 }
        })
    }

    /// The input rows (`axis` 0) or columns (1) inside each window, clipped to the input.
    fn spans(&self, axis: usize) -> Vec<(usize, usize)> {
        (0..self.out_size()[axis])
            .map(|o| {
                let start = (o * self.stride[axis]) as isize - self.padding[2 * axis] as isize;
                let end = (start + self.kernel[axis] as isize).min(self.in_size[axis] as isize);
                (start.max(0) as usize, end.max(0) as usize)
            })
            .collect()
    }

    /// For each window column `b`: the output columns `lo..hi` whose input column
    /// `ow·stride + b − pad_left` lies inside the input, and the input column `first` of
    /// `ow = lo` (0 when the range is empty).
    fn taps(&self) -> Vec<(usize, usize, usize)> {
        let (s, w, out) = (self.stride[1] as isize, self.in_size[1] as isize, self.out_size()[1]);
        (0..self.kernel[1])
            .map(|b| {
                let offset = b as isize - self.padding[2] as isize;
                let lo = if offset >= 0 { 0 } else { ((-offset + s - 1) / s) as usize };
                let hi = if w <= offset { 0 } else { (((w - offset + s - 1) / s) as usize).min(out) };
                if lo >= hi { (0, 0, 0) } else { ((lo as isize * s + offset) as usize, lo, hi) }
            })
            .collect()
    }
}

/// Calls `f(window rows, window columns, output element)` for every output of a plane,
/// row by row.
#[inline(always)]
fn each_window<D>(
    dst: &mut [D],
    rows: &[(usize, usize)],
    cols: &[(usize, usize)],
    mut f: impl FnMut((usize, usize), (usize, usize), &mut D),
) {
    for (&r, line) in rows.iter().zip(dst.chunks_mut(cols.len())) {
        for (&c, d) in cols.iter().zip(line) {
            f(r, c, d);
        }
    }
}

/// Runs `f(plane index, input plane, output plane)` over the planes of `src` and `dst`,
/// in parallel when they are large.
pub(crate) fn map_planes<S: Sync, D: Send>(
    src: &[S],
    src_plane: usize,
    dst: &mut [D],
    dst_plane: usize,
    f: impl Fn(usize, &[S], &mut [D]) + Sync + Send,
) {
    if dst.is_empty() || src_plane == 0 {
        return;
    }
    let planes = dst.len() / dst_plane;
    if planes > 1 && src.len() + dst.len() >= PARALLEL_THRESHOLD {
        let dst = Disjoint::new(dst);
        threads::for_each_range(planes, (PLANE_BLOCK / (src_plane + dst_plane)).max(1), |r| {
            // SAFETY: the ranges of planes are disjoint.
            let d = unsafe { dst.range(r.start * dst_plane..r.end * dst_plane) };
            let s = &src[r.start * src_plane..(r.end * src_plane).min(src.len())];
            s.chunks(src_plane).zip(d.chunks_mut(dst_plane)).enumerate().for_each(|(i, (s, d))| f(r.start + i, s, d));
        });
    } else {
        src.chunks(src_plane).zip(dst.chunks_mut(dst_plane)).enumerate().for_each(|(i, (s, d))| f(i, s, d));
    }
}

fn dims(x: &ArrayView4<'_, f32>) -> (usize, usize) {
    (x.shape()[0], x.shape()[1])
}

/// Max pooling: the largest value of every window (padding never wins) and, per output,
/// the flat index within its input plane of the first largest value (row-major), for the
/// gradient. NaN inputs are skipped unless a whole window is NaN (PyTorch would return
/// NaN for any NaN in the window).
///
/// # Shapes
/// `x`: `[N, C, H, W]`; both results `[N, C, H_out, W_out]`.
///
/// ```
/// use derin_tensor::kernels::pool::{Pool2dGeometry, max_pool2d_forward};
/// let x = ndarray::Array4::from_shape_vec((1, 1, 2, 3), vec![1.0, 4.0, 4.0, 3.0, 2.0, 5.0]).unwrap();
/// let g = Pool2dGeometry { in_size: [2, 3], kernel: [2, 2], stride: [1, 1], padding: [0; 4] };
/// let (y, arg) = max_pool2d_forward(x.view(), &g);
/// assert_eq!(y.into_raw_vec_and_offset().0, vec![4.0, 5.0]);
/// assert_eq!(arg.into_raw_vec_and_offset().0, vec![1, 5]);
/// ```
pub fn max_pool2d_forward(x: ArrayView4<'_, f32>, geo: &Pool2dGeometry) -> (Array4<f32>, Array4<u32>) {
    let x = x.as_standard_layout();
    let (n, c) = dims(&x.view());
    let [oh, ow] = geo.out_size();
    let (w, s) = (geo.in_size[1], geo.stride[1]);
    let (rows, cols, taps) = (geo.spans(0), geo.spans(1), geo.taps());
    let mut y = Array4::<f32>::zeros((n, c, oh, ow));
    let mut arg = Array4::<u32>::zeros((n, c, oh, ow));
    let xs = x.as_slice().expect("standard layout");
    let plane = geo.in_size[0] * w;
    // A whole output row at a time, one window tap after another: the running maxima of
    // neighbouring windows are independent, so the loop pipelines and has no
    // data-dependent branch (which would mispredict on real activations: LLVM turns a
    // plain `if` select into one, hence `select_unpredictable`). Measured on 64×32×28×28
    // with 2×2 windows: 1 ms per thread, against 8 ms with the branch.
    let pool_plane = |src: &[f32], dst: &mut [f32], at: &mut [u32]| {
        let (mut best, mut idx) = (vec![0.0f32; ow], vec![0u32; ow]);
        for ((&(h0, h1), line), arg_line) in rows.iter().zip(dst.chunks_mut(ow)).zip(at.chunks_mut(ow)) {
            best.fill(f32::NEG_INFINITY);
            idx.iter_mut().zip(&cols).for_each(|(i, &(w0, _))| *i = (h0 * w + w0) as u32);
            for i in h0..h1 {
                for &(first, lo, hi) in &taps {
                    let start = i * w + first;
                    for o in lo..hi {
                        let at = start + (o - lo) * s;
                        let (v, m) = (src[at], best[o]);
                        // Strictly larger: the first maximum wins ties. NaN never compares
                        // larger, so it is skipped unless the whole window is NaN.
                        let better = v > m;
                        best[o] = if better { v } else { m };
                        idx[o] = select_unpredictable(better, at as u32, idx[o]);
                    }
                }
            }
            line.iter_mut().zip(&idx).for_each(|(d, &i)| *d = src[i as usize]);
            arg_line.copy_from_slice(&idx);
        }
    };
    // The usual 2×2, stride 2, unpadded window: four loads per output and no tap lists
    // (measured on 64×32×28×28: 1.7 ms with the general loop, see the bench notes). The
    // maximum itself, not a load at its index, is stored, so the loop vectorises (0.43 →
    // 0.2 ms); a window with nothing larger than −∞ (all NaN or −∞) keeps its first value.
    let pairs = |src: &[f32], dst: &mut [f32], at: &mut [u32]| {
        for (r, (line, arg_line)) in dst.chunks_exact_mut(ow).zip(at.chunks_exact_mut(ow)).enumerate() {
            let (top, bottom) = (2 * r * w, (2 * r + 1) * w);
            let (t, b) = (&src[top..][..2 * ow], &src[bottom..][..2 * ow]);
            let outs = line.iter_mut().zip(arg_line.iter_mut());
            for (o, ((t, b), (d, a))) in t.chunks_exact(2).zip(b.chunks_exact(2)).zip(outs).enumerate() {
                let first = (top + 2 * o) as u32;
                let (mut m, mut id) = (f32::NEG_INFINITY, first);
                for (v, i) in [(t[0], first), (t[1], first + 1), (b[0], first + w as u32), (b[1], first + w as u32 + 1)]
                {
                    let better = v > m;
                    m = if better { v } else { m };
                    id = if better { i } else { id };
                }
                *d = if m == f32::NEG_INFINITY { t[0] } else { m };
                *a = id;
            }
        }
    };
    let two_by_two = geo.kernel == [2, 2] && geo.stride == [2, 2] && geo.padding == [0; 4];
    let run = |src: &[f32], d: &mut [f32], a: &mut [u32]| {
        if two_by_two { pairs(src, d, a) } else { pool_plane(src, d, a) }
    };
    let (ys, args) = (y.as_slice_mut().expect("fresh array"), arg.as_slice_mut().expect("fresh array"));
    if oh * ow > 0 && xs.len() >= PARALLEL_THRESHOLD && n * c > 1 {
        let out_plane = oh * ow;
        let (ys, args) = (Disjoint::new(ys), Disjoint::new(args));
        threads::for_each_range(n * c, (PLANE_BLOCK / (plane + out_plane)).max(1), |r| {
            let out = r.start * out_plane..r.end * out_plane;
            // SAFETY: the ranges of planes are disjoint.
            let (d, a) = unsafe { (ys.range(out.clone()), args.range(out)) };
            let outs = d.chunks_mut(out_plane).zip(a.chunks_mut(out_plane));
            xs[r.start * plane..r.end * plane].chunks(plane).zip(outs).for_each(|(src, (d, a))| run(src, d, a));
        });
    } else if oh * ow > 0 {
        let outs = ys.chunks_mut(oh * ow).zip(args.chunks_mut(oh * ow));
        xs.chunks(plane).zip(outs).for_each(|(src, (d, a))| run(src, d, a));
    }
    (y, arg)
}

/// Gradient of max pooling: each output's gradient goes to its argmax (from
/// [`max_pool2d_forward`]).
///
/// # Shapes
/// `dy`, `argmax`: `[N, C, H_out, W_out]`; result `[N, C, in_size[0], in_size[1]]`.
///
/// ```
/// use derin_tensor::kernels::pool::{Pool2dGeometry, max_pool2d_backward, max_pool2d_forward};
/// let x = ndarray::Array4::from_shape_vec((1, 1, 1, 3), vec![2.0, 2.0, 1.0]).unwrap();
/// let g = Pool2dGeometry { in_size: [1, 3], kernel: [1, 3], stride: [1, 1], padding: [0; 4] };
/// let (_, arg) = max_pool2d_forward(x.view(), &g);
/// let dy = ndarray::Array4::from_elem((1, 1, 1, 1), 5.0);
/// let dx = max_pool2d_backward(dy.view(), arg.view(), [1, 3]);
/// assert_eq!(dx.into_raw_vec_and_offset().0, vec![5.0, 0.0, 0.0]);
/// ```
pub fn max_pool2d_backward(dy: ArrayView4<'_, f32>, argmax: ArrayView4<'_, u32>, in_size: [usize; 2]) -> Array4<f32> {
    assert_eq!(
        dy.shape(),
        argmax.shape(),
        "max_pool2d_backward: gradient {:?} and argmax {:?} differ",
        dy.shape(),
        argmax.shape()
    );
    let (dy, argmax) = (dy.as_standard_layout(), argmax.as_standard_layout());
    let (n, c) = dims(&dy.view());
    let out_plane = dy.shape()[2] * dy.shape()[3];
    let mut dx = Array4::<f32>::zeros((n, c, in_size[0], in_size[1]));
    let (g, a) = (dy.as_slice().expect("standard layout"), argmax.as_slice().expect("standard layout"));
    map_planes(g, out_plane, dx.as_slice_mut().expect("fresh array"), in_size[0] * in_size[1], |p, src, dst| {
        for (&v, &i) in src.iter().zip(&a[p * out_plane..][..out_plane]) {
            dst[i as usize] += v;
        }
    });
    dx
}

/// The number a window's sum is divided by.
fn divisor(geo: &Pool2dGeometry, count_include_pad: bool, (h0, h1): (usize, usize), (w0, w1): (usize, usize)) -> f32 {
    if count_include_pad { (geo.kernel[0] * geo.kernel[1]) as f32 } else { ((h1 - h0) * (w1 - w0)).max(1) as f32 }
}

/// Average pooling: each window's sum divided by `kh·kw` when `count_include_pad`
/// (padding counts as zeros, PyTorch's default), else by the number of input values in
/// the window (TensorFlow's `same`).
///
/// # Shapes
/// `x`: `[N, C, H, W]`; result `[N, C, H_out, W_out]`.
///
/// ```
/// use derin_tensor::kernels::pool::{Pool2dGeometry, avg_pool2d_forward};
/// let x = ndarray::Array4::from_elem((1, 1, 2, 2), 3.0);
/// let g = Pool2dGeometry { in_size: [2, 2], kernel: [2, 2], stride: [1, 1], padding: [0, 1, 0, 1] };
/// let y = avg_pool2d_forward(x.view(), &g, true);
/// assert_eq!(y.into_raw_vec_and_offset().0, vec![3.0, 1.5, 1.5, 0.75]);
/// ```
pub fn avg_pool2d_forward(x: ArrayView4<'_, f32>, geo: &Pool2dGeometry, count_include_pad: bool) -> Array4<f32> {
    let x = x.as_standard_layout();
    let (n, c) = dims(&x.view());
    let [oh, ow] = geo.out_size();
    let w = geo.in_size[1];
    let mut y = Array4::<f32>::zeros((n, c, oh, ow));
    let xs = x.as_slice().expect("standard layout");
    let (rows, cols, taps) = (geo.spans(0), geo.spans(1), geo.taps());
    let s = geo.stride[1];
    // A whole output row at a time, as in max pooling.
    map_planes(xs, geo.in_size[0] * w, y.as_slice_mut().expect("fresh array"), oh * ow, |_, src, dst| {
        for (&r, line) in rows.iter().zip(dst.chunks_mut(ow)) {
            for i in r.0..r.1 {
                for &(first, lo, hi) in &taps {
                    let start = i * w + first;
                    for o in lo..hi {
                        line[o] += src[start + (o - lo) * s];
                    }
                }
            }
            line.iter_mut().zip(&cols).for_each(|(d, &c)| *d /= divisor(geo, count_include_pad, r, c));
        }
    });
    y
}

/// Gradient of [`avg_pool2d_forward`]: each output's gradient spread evenly over its
/// window.
///
/// # Shapes
/// `dy`: `[N, C, H_out, W_out]`; result `[N, C, H, W]`.
///
/// ```
/// use derin_tensor::kernels::pool::{Pool2dGeometry, avg_pool2d_backward};
/// let g = Pool2dGeometry { in_size: [1, 3], kernel: [1, 2], stride: [1, 1], padding: [0; 4] };
/// let dy = ndarray::Array4::from_shape_vec((1, 1, 1, 2), vec![2.0, 4.0]).unwrap();
/// let dx = avg_pool2d_backward(dy.view(), &g, true);
/// assert_eq!(dx.into_raw_vec_and_offset().0, vec![1.0, 3.0, 2.0]);
/// ```
pub fn avg_pool2d_backward(dy: ArrayView4<'_, f32>, geo: &Pool2dGeometry, count_include_pad: bool) -> Array4<f32> {
    let dy = dy.as_standard_layout();
    let (n, c) = dims(&dy.view());
    let [oh, ow] = geo.out_size();
    let [h, w] = geo.in_size;
    let mut dx = Array4::<f32>::zeros((n, c, h, w));
    let g = dy.as_slice().expect("standard layout");
    let (rows, cols, taps) = (geo.spans(0), geo.spans(1), geo.taps());
    let s = geo.stride[1];
    map_planes(g, oh * ow, dx.as_slice_mut().expect("fresh array"), h * w, |_, src, dst| {
        let mut share = vec![0.0f32; ow];
        for (&r, line) in rows.iter().zip(src.chunks(ow)) {
            for ((d, &v), &c) in share.iter_mut().zip(line).zip(&cols) {
                *d = v / divisor(geo, count_include_pad, r, c);
            }
            for i in r.0..r.1 {
                for &(first, lo, hi) in &taps {
                    let start = i * w + first;
                    for o in lo..hi {
                        dst[start + (o - lo) * s] += share[o];
                    }
                }
            }
        }
    });
    dx
}

/// The bins of `out` over `len` inputs: `floor(i·len/out) .. ceil((i+1)·len/out)` (PyTorch).
fn bins(len: usize, out: usize) -> Vec<(usize, usize)> {
    (0..out).map(|i| (i * len / out, ((i + 1) * len).div_ceil(out))).collect()
}

/// Adaptive average pooling to `out` (height, width): output `(i, j)` is the mean of
/// input rows `floor(i·H/out_h) .. ceil((i+1)·H/out_h)` and the columns likewise.
///
/// # Shapes
/// `x`: `[N, C, H, W]`; result `[N, C, out[0], out[1]]`.
///
/// ```
/// use derin_tensor::kernels::pool::adaptive_avg_pool2d_forward;
/// let x = ndarray::Array4::from_shape_vec((1, 1, 1, 3), vec![1.0, 2.0, 6.0]).unwrap();
/// // Two bins over three columns overlap in the middle one: [0, 2) and [1, 3).
/// let y = adaptive_avg_pool2d_forward(x.view(), [1, 2]);
/// assert_eq!(y.into_raw_vec_and_offset().0, vec![1.5, 4.0]);
/// ```
pub fn adaptive_avg_pool2d_forward(x: ArrayView4<'_, f32>, out: [usize; 2]) -> Array4<f32> {
    let x = x.as_standard_layout();
    let (n, c) = dims(&x.view());
    let [h, w] = [x.shape()[2], x.shape()[3]];
    let mut y = Array4::<f32>::zeros((n, c, out[0], out[1]));
    let xs = x.as_slice().expect("standard layout");
    let (rows, cols) = (bins(h, out[0]), bins(w, out[1]));
    map_planes(xs, h * w, y.as_slice_mut().expect("fresh array"), out[0] * out[1], |_, src, dst| {
        each_window(dst, &rows, &cols, |(h0, h1), (w0, w1), d| {
            let s: f32 = (h0..h1).map(|i| src[i * w + w0..i * w + w1].iter().sum::<f32>()).sum();
            *d = s / ((h1 - h0) * (w1 - w0)) as f32;
        });
    });
    y
}

/// Gradient of [`adaptive_avg_pool2d_forward`] back to an input of `in_size`.
///
/// # Shapes
/// `dy`: `[N, C, out_h, out_w]`; result `[N, C, in_size[0], in_size[1]]`.
///
/// ```
/// use derin_tensor::kernels::pool::adaptive_avg_pool2d_backward;
/// // Bins [0, 2) and [1, 3) over three columns share the middle one.
/// let dy = ndarray::Array4::from_shape_vec((1, 1, 1, 2), vec![2.0, 4.0]).unwrap();
/// let dx = adaptive_avg_pool2d_backward(dy.view(), [1, 3]);
/// assert_eq!(dx.into_raw_vec_and_offset().0, vec![1.0, 3.0, 2.0]);
/// ```
pub fn adaptive_avg_pool2d_backward(dy: ArrayView4<'_, f32>, in_size: [usize; 2]) -> Array4<f32> {
    let dy = dy.as_standard_layout();
    let (n, c) = dims(&dy.view());
    let out = [dy.shape()[2], dy.shape()[3]];
    let [h, w] = in_size;
    let mut dx = Array4::<f32>::zeros((n, c, h, w));
    let g = dy.as_slice().expect("standard layout");
    let (rows, cols) = (bins(h, out[0]), bins(w, out[1]));
    map_planes(g, out[0] * out[1], dx.as_slice_mut().expect("fresh array"), h * w, |_, src, dst| {
        for (&(h0, h1), line) in rows.iter().zip(src.chunks(out[1])) {
            for (&(w0, w1), &v) in cols.iter().zip(line) {
                let share = v / ((h1 - h0) * (w1 - w0)) as f32;
                for i in h0..h1 {
                    dst[i * w + w0..i * w + w1].iter_mut().for_each(|d| *d += share);
                }
            }
        }
    });
    dx
}
