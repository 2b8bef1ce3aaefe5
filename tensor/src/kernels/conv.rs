//! 2-D convolution kernels on arrays (channels-first): the geometry, the forward pass by
//! tile-wise im2col + GEMM, and (in `conv/backward.rs`) the gradients.
//!
//! The forward pass never builds the whole column matrix: each task takes one image,
//! one group and a block of output pixels, copies the block's columns (`C_in/groups ·
//! kh · kw` rows) into a per-thread buffer that stays in L2, and multiplies it by the
//! weights on one thread, writing straight into the output array. Tasks run on the
//! library's thread pool.
//!
//! On a CPU with AVX-512, stride-1 convolutions of moderate depth skip im2col altogether
//! (`conv/direct.rs`): the column matrix's rows are then shifted slices of the padded
//! input, which a micro-kernel reads in place; the input gradient of such a convolution
//! is the forward pass of the kernel turned by 180°, and takes the same path.

mod backward;
#[cfg(target_arch = "x86_64")]
mod direct;
mod im2col;

use std::cell::RefCell;

use ndarray::{Array4, ArrayView1, ArrayView4};

use crate::kernels::gemm::{MatPtr, gemm_single};
use crate::threads;
use im2col::im2col;

pub use backward::{
    conv2d_backward_bias, conv2d_backward_input, conv2d_backward_weight, conv2d_backward_weight_and_bias,
};

/// Below this many multiply-adds a convolution runs on the calling thread.
const PARALLEL_MACS: usize = 1 << 20;

/// Bytes of column block plus output tile per task: half of a Zen 4 core's 1 MiB L2, so
/// the block, the weights and the output tile stay in L2 together. Measured on the
/// `conv2d_forward` workload: 128 to 512 pixels per block run within 2 % of each other,
/// 64 is 10 % slower.
const TILE_BYTES: usize = 512 * 1024;

/// The shape of a 2-D convolution: everything but the batch size.
///
/// Output size per axis, as in PyTorch:
/// `(in + pad_before + pad_after − dilation·(kernel − 1) − 1) / stride + 1` (rounded down).
///
/// ```
/// use derin_tensor::kernels::conv::Conv2dGeometry;
/// let g = Conv2dGeometry { in_size: [56, 56], padding: [1, 1, 1, 1], ..Conv2dGeometry::new(64, 64, [3, 3]) };
/// assert_eq!(g.out_size(), [56, 56]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeometry {
    /// Input channels `C_in`.
    pub in_channels: usize,
    /// Output channels `C_out`.
    pub out_channels: usize,
    /// Input height and width.
    pub in_size: [usize; 2],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Step between windows, vertical and horizontal.
    pub stride: [usize; 2],
    /// Zeros added `[top, bottom, left, right]`.
    pub padding: [usize; 4],
    /// Spacing between kernel taps, vertical and horizontal.
    pub dilation: [usize; 2],
    /// Channel groups: each output channel sees `C_in / groups` input channels.
    pub groups: usize,
}

impl Conv2dGeometry {
    /// A stride-1, unpadded, undilated, ungrouped geometry on a 1×1 input; set the other
    /// fields with struct update syntax.
    pub fn new(in_channels: usize, out_channels: usize, kernel: [usize; 2]) -> Self {
        Conv2dGeometry {
            in_channels,
            out_channels,
            in_size: [1, 1],
            kernel,
            stride: [1, 1],
            padding: [0; 4],
            dilation: [1, 1],
            groups: 1,
        }
    }

    /// Output height and width (0 where the dilated kernel does not fit the padded input).
    pub fn out_size(&self) -> [usize; 2] {
        let axis = |i: usize| {
            let padded = self.in_size[i] + self.padding[2 * i] + self.padding[2 * i + 1];
            let span = self.dilation[i] * (self.kernel[i] - 1) + 1;
            if padded < span { 0 } else { (padded - span) / self.stride[i] + 1 }
        };
        [axis(0), axis(1)]
    }

    /// The weight shape `[C_out, C_in / groups, kh, kw]`.
    pub fn weight_shape(&self) -> [usize; 4] {
        [self.out_channels, self.in_channels / self.groups, self.kernel[0], self.kernel[1]]
    }

    /// Rows of one group's column matrix: `C_in / groups · kh · kw`.
    fn col_rows(&self) -> usize {
        self.in_channels / self.groups * self.kernel[0] * self.kernel[1]
    }

    /// A 1×1, stride-1, unpadded kernel: the input already is the column matrix.
    fn is_pointwise(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.padding == [0; 4]
    }

    /// Output pixels per task block: as many as fit [`TILE_BYTES`], a multiple of 64 (the
    /// GEMM's register tile), and small enough to give every thread several tasks.
    fn block(&self, batch: usize) -> usize {
        let pixels = self.out_size()[0] * self.out_size()[1];
        let per_pixel = 4 * (self.col_rows() + self.out_channels / self.groups);
        let mut b = (TILE_BYTES / per_pixel).max(64) / 64 * 64;
        let want = 4 * threads::num_threads();
        while b > 64 && batch * self.groups * pixels.div_ceil(b) < want {
            b -= 64;
        }
        b.min(pixels).max(1)
    }

    /// Multiply-adds of one image.
    fn macs(&self) -> usize {
        let [oh, ow] = self.out_size();
        self.out_channels * oh * ow * self.col_rows()
    }

    #[track_caller]
    fn check(&self, what: &str, x: &[usize], w: &[usize]) {
        assert!(
            self.groups > 0
                && self.in_channels.is_multiple_of(self.groups)
                && self.out_channels.is_multiple_of(self.groups),
            "{what}: groups {} must divide C_in {} and C_out {}",
            self.groups,
            self.in_channels,
            self.out_channels
        );
        assert!(
            x[1] == self.in_channels && x[2..] == self.in_size && w == self.weight_shape(),
            "{what}: input {x:?} and weight {w:?} do not match the geometry {self:?}"
        );
    }
}

/// `y = conv2d(x, w) + bias`: cross-correlation as in PyTorch's `conv2d`.
///
/// # Shapes
/// `x`: `[N, C_in, H, W]`, `w`: `[C_out, C_in / groups, kh, kw]`, `bias`: `[C_out]`,
/// result `[N, C_out, H_out, W_out]` with [`Conv2dGeometry::out_size`].
///
/// # Panics
/// If the shapes do not match `geo`.
///
/// ```
/// use derin_tensor::kernels::conv::{Conv2dGeometry, conv2d_forward};
/// use ndarray::Array4;
/// let x = Array4::from_shape_fn((1, 1, 3, 3), |(_, _, i, j)| (3 * i + j) as f32);
/// let w = Array4::<f32>::ones((1, 1, 2, 2));
/// let geo = Conv2dGeometry { in_size: [3, 3], ..Conv2dGeometry::new(1, 1, [2, 2]) };
/// let y = conv2d_forward(x.view(), w.view(), None, &geo);
/// assert_eq!(y.into_raw_vec_and_offset().0, vec![8.0, 12.0, 20.0, 24.0]);
/// ```
pub fn conv2d_forward(
    x: ArrayView4<'_, f32>,
    w: ArrayView4<'_, f32>,
    bias: Option<ArrayView1<'_, f32>>,
    geo: &Conv2dGeometry,
) -> Array4<f32> {
    geo.check("conv2d_forward", x.shape(), w.shape());
    if let Some(b) = &bias {
        assert_eq!(b.len(), geo.out_channels, "conv2d_forward: bias {:?} for {} channels", b.shape(), geo.out_channels);
    }
    let (x, w) = (x.as_standard_layout(), w.as_standard_layout());
    let bias = bias.map(|b| b.to_vec());
    let n = x.shape()[0];
    let [oh, ow] = geo.out_size();
    let (pixels, k) = (oh * ow, geo.col_rows());
    let (cig, cog) = (geo.in_channels / geo.groups, geo.out_channels / geo.groups);
    let mut out = Array4::<f32>::uninit((n, geo.out_channels, oh, ow));
    if out.is_empty() {
        // SAFETY: an empty array has nothing to initialise.
        return unsafe { out.assume_init() };
    }
    let dst = SyncPtr(out.as_mut_ptr().cast::<f32>());
    let (xs, ws) = (x.as_slice().expect("standard layout"), w.as_slice().expect("standard layout"));
    #[cfg(target_arch = "x86_64")]
    if direct::usable(geo) {
        // SAFETY: `usable` holds, the shapes were checked, and `out` is this call's own.
        unsafe { direct::forward(xs, ws, bias.as_deref(), geo, n, dst) };
        // SAFETY: the direct kernel wrote every element.
        return unsafe { out.assume_init() };
    }
    let block = geo.block(n);
    let blocks = pixels.div_ceil(block);
    let in_plane = geo.in_size[0] * geo.in_size[1];
    let task = |t: usize| {
        let (img, g, b) = (t / (geo.groups * blocks), t / blocks % geo.groups, t % blocks);
        let (p0, p1) = (b * block, pixels.min(b * block + block));
        let nb = p1 - p0;
        let x_g = &xs[(img * geo.in_channels + g * cig) * in_plane..][..cig * in_plane];
        let w_g = MatPtr { ptr: ws[g * cog * k..].as_ptr(), rs: k as isize, cs: 1 };
        // SAFETY: task `t` alone writes rows g·cog.. of image `img`, columns p0..p1.
        let tile = unsafe { dst.add((img * geo.out_channels + g * cog) * pixels + p0) };
        let dst = MatPtr { ptr: tile, rs: pixels as isize, cs: 1 };
        let bias = bias.as_ref().map(|b| &b[g * cog..(g + 1) * cog]);
        let fill_bias = || {
            for (co, &v) in bias.into_iter().flatten().enumerate() {
                // SAFETY: as above; the row segment lies inside `out`.
                unsafe { std::slice::from_raw_parts_mut(tile.add(co * pixels), nb) }.fill(v);
            }
        };
        if geo.is_pointwise() {
            fill_bias();
            let col = MatPtr { ptr: x_g[p0..].as_ptr(), rs: in_plane as isize, cs: 1 };
            // SAFETY: the three matrices lie inside `w`, `x` and this task's tile of `out`.
            unsafe { forward_gemm(cog, nb, k, dst, bias.is_some(), w_g, col) };
        } else if nb.is_multiple_of(LANES) {
            fill_bias();
            with_scratch(k * nb, |col| {
                im2col(x_g, cig, geo, p0, p1, col, nb);
                let col = MatPtr { ptr: col.as_ptr(), rs: nb as isize, cs: 1 };
                // SAFETY: as above, with the column block in this thread's scratch buffer.
                unsafe { forward_gemm(cog, nb, k, dst, bias.is_some(), w_g, col) };
            });
        } else {
            // Columns padded to a multiple of the SIMD width: the GEMM then reads the
            // column block in place instead of repacking it, and needs no narrow edge
            // kernel (measured 94 → 116 GFLOP/s on 64 × 196 × 288, one image of 14×14);
            // the product goes to scratch and its first `nb` columns, plus the bias, to
            // the output.
            let ld = nb.next_multiple_of(LANES);
            with_scratch(k * ld + cog * ld, |buf| {
                let (col, prod) = buf.split_at_mut(k * ld);
                im2col(x_g, cig, geo, p0, p1, col, ld);
                col.chunks_exact_mut(ld).for_each(|row| row[nb..].fill(0.0));
                let col = MatPtr { ptr: col.as_ptr(), rs: ld as isize, cs: 1 };
                let tmp = MatPtr { ptr: prod.as_mut_ptr(), rs: ld as isize, cs: 1 };
                // SAFETY: the matrices lie inside `w` and this thread's scratch buffer.
                unsafe { forward_gemm(cog, ld, k, tmp, false, w_g, col) };
                for (co, row) in prod.chunks_exact(ld).enumerate() {
                    // SAFETY: as above; the row segment lies inside `out`.
                    let out_row = unsafe { std::slice::from_raw_parts_mut(tile.add(co * pixels), nb) };
                    let b = bias.map_or(0.0, |b| b[co]);
                    out_row.iter_mut().zip(&row[..nb]).for_each(|(o, &v)| *o = v + b);
                }
            });
        }
    };
    let tasks = n * geo.groups * blocks;
    if tasks > 1 && n * geo.macs() >= PARALLEL_MACS {
        threads::for_each_part(tasks, task);
    } else {
        (0..tasks).for_each(task);
    }
    // SAFETY: the tasks together wrote every element (the blocks cover all pixels, the
    // groups all output channels).
    unsafe { out.assume_init() }
}

/// The `gemm` crate's SIMD width in `f32`s (AVX-512): a GEMM whose (transposed) row
/// count is a multiple of it reads a column-major left operand in place.
const LANES: usize = 16;

/// Output channels per GEMM call of the forward pass. The `gemm` crate repacks the
/// column block on every call whose (transposed) problem has more than 48 columns (8 ×
/// its 6-wide register tile); at most 48 it reads the block where it lies, which measured
/// 5 % faster on the `conv2d_forward` workload (64 channels: 48 + 16).
const OUT_CHUNK: usize = 48;

/// `dst (cog×nb) = [dst +] w (cog×k) · col (k×nb)`, in calls of at most [`OUT_CHUNK`]
/// rows.
///
/// # Safety
/// As [`gemm_single`].
unsafe fn forward_gemm(
    cog: usize,
    nb: usize,
    k: usize,
    dst: MatPtr<*mut f32>,
    accumulate: bool,
    w: MatPtr<*const f32>,
    col: MatPtr<*const f32>,
) {
    for o in (0..cog).step_by(OUT_CHUNK) {
        let m = OUT_CHUNK.min(cog - o);
        // SAFETY: rows o..o + m of the caller's `dst` and `w`.
        unsafe {
            let d = MatPtr { ptr: dst.ptr.offset(o as isize * dst.rs), ..dst };
            let a = MatPtr { ptr: w.ptr.offset(o as isize * w.rs), ..w };
            gemm_single(m, nb, k, d, accumulate, a, col);
        }
    }
}

/// A raw pointer that tasks writing disjoint parts of one array may share.
#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
// SAFETY: every user writes through it only to a region no other task touches.
unsafe impl Send for SyncPtr {}
// SAFETY: as above.
unsafe impl Sync for SyncPtr {}

impl SyncPtr {
    /// The pointer moved by `offset` elements (a method, so closures capture the whole
    /// `Sync` wrapper rather than the raw pointer field).
    ///
    /// # Safety
    /// The result must stay inside the array the pointer came from.
    unsafe fn add(self, offset: usize) -> *mut f32 {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.add(offset) }
    }
}

thread_local! {
    /// Each worker's column buffer, kept between calls so large convolutions do not
    /// fault in fresh pages for every block.
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on this thread's scratch buffer of at least `len` values (contents
/// unspecified). `f` must not start parallel work that could re-enter it.
fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    SCRATCH.with(|s| {
        let mut v = s.borrow_mut();
        if v.len() < len {
            v.resize(len, 0.0);
        }
        f(&mut v[..len])
    })
}
