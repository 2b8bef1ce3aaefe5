//! Single-precision matrix product, on the `gemm` crate's AVX-512/AVX2 kernels.
//!
//! Measured against `ndarray`'s own `dot` (matrixmultiply) with `cargo xtask bench sgemm`:
//! see ARCHITECTURE.md for the figures that chose it.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Ix2, RawArrayViewMut, s};

use crate::threads;

/// Products smaller than this many multiply-adds (`m·n·k`) run on one thread, on a CPU
/// with AVX-512: waking a second thread costs tens of microseconds, which a 2-million-MAC
/// product (about 25 µs on one AVX-512 core) does not win back. Measured on a 2-core Xeon
/// (`examples/gemm_shapes.rs`): 128×256·256×10 takes 20 µs on one thread and 62 µs on two,
/// 128×512·512×256 takes 282 µs on one and 192 µs on two. Narrower SIMD computes a
/// product proportionally slower, so the threshold halves per halving of the width.
const PARALLEL_MACS_AVX512: usize = 1 << 21;

/// Products with fewer rows or columns than this run on one thread (there is not a tile
/// of the micro-kernel for each thread).
const PARALLEL_MIN_SIDE: usize = 32;

/// The multiply-add count above which a product is split across the pool, from the SIMD
/// width the CPU reports.
fn parallel_macs() -> usize {
    static MACS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MACS.get_or_init(|| {
        let cpu = crate::cpu_info();
        if cpu.has("avx512f") {
            PARALLEL_MACS_AVX512
        } else if cpu.has("avx2") {
            PARALLEL_MACS_AVX512 / 2
        } else {
            PARALLEL_MACS_AVX512 / 4
        }
    })
}

/// `c = beta_c·c + a·b`, with `beta_c` either 0 (overwrite) or 1 (accumulate).
///
/// Any strides work, so transposed views cost nothing.
///
/// # Panics
/// If the shapes do not chain: `a` is `m×k`, `b` is `k×n`, `c` is `m×n`.
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0f32, 2.0], [3.0, 4.0]];
/// let b = array![[1.0f32, 0.0], [0.0, 1.0]];
/// let mut c = ndarray::Array2::<f32>::zeros((2, 2));
/// derin_tensor::kernels::gemm::sgemm(a.view(), b.t(), c.view_mut(), false);
/// assert_eq!(c, a);
/// ```
pub fn sgemm(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>, mut c: ArrayViewMut2<'_, f32>, accumulate: bool) {
    check_shapes(&a, &b, c.dim());
    let threads = threads_for(&a, &b);
    // SAFETY: `c` is a live mutable view of the checked shape.
    unsafe { sgemm_on(a, b, c.raw_view_mut(), accumulate, threads) }
}

/// `a·b` into a new row-major array, written once (not zero-filled first).
///
/// # Panics
/// If the inner sizes differ.
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0f32, 2.0], [3.0, 4.0]];
/// assert_eq!(derin_tensor::kernels::gemm::sgemm_new(a.view(), a.t()), array![[5.0, 11.0], [11.0, 25.0]]);
/// ```
pub fn sgemm_new(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
    let dim = (a.nrows(), b.ncols());
    check_shapes(&a, &b, dim);
    let mut c = Array2::<f32>::uninit(dim);
    let threads = threads_for(&a, &b);
    // SAFETY: `c` is a fresh array of the checked shape; without `accumulate` every element
    // is written (the product, or 0 when the inner size is 0) and none is read.
    unsafe {
        sgemm_on(a, b, c.raw_view_mut().cast::<f32>(), false, threads);
        c.assume_init()
    }
}

/// [`sgemm`] on the calling thread only, for callers that already split their work
/// across the pool (a recurrent layer running batch rows in parallel, say).
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0f32, 2.0]];
/// let b = array![[3.0f32], [4.0]];
/// let mut c = ndarray::Array2::<f32>::ones((1, 1));
/// derin_tensor::kernels::gemm::sgemm_serial(a.view(), b.view(), c.view_mut(), true);
/// assert_eq!(c[[0, 0]], 12.0); // 1 + 1·3 + 2·4
/// ```
pub fn sgemm_serial(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>, mut c: ArrayViewMut2<'_, f32>, accumulate: bool) {
    check_shapes(&a, &b, c.dim());
    // SAFETY: `c` is a live mutable view of the checked shape.
    unsafe { sgemm_on(a, b, c.raw_view_mut(), accumulate, 1) }
}

fn check_shapes(a: &ArrayView2<'_, f32>, b: &ArrayView2<'_, f32>, c: (usize, usize)) {
    assert!(
        a.ncols() == b.nrows() && c == (a.nrows(), b.ncols()),
        "sgemm: cannot multiply {:?} by {:?} into {:?}",
        a.shape(),
        b.shape(),
        [c.0, c.1]
    );
}

/// How many threads a product of these operands is split across.
fn threads_for(a: &ArrayView2<'_, f32>, b: &ArrayView2<'_, f32>) -> usize {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    let big = m * k * n >= parallel_macs() && m.min(n) >= PARALLEL_MIN_SIDE;
    if big { threads::num_threads() } else { 1 }
}

/// `c = [c +] a·b` on `threads` threads.
///
/// # Safety
/// `c` must address writable memory of shape `a.nrows() × b.ncols()` that nothing else
/// reads or writes during the call; with `accumulate` it must be initialized.
unsafe fn sgemm_on(
    a: ArrayView2<'_, f32>,
    b: ArrayView2<'_, f32>,
    c: RawArrayViewMut<f32, Ix2>,
    accumulate: bool,
    threads: usize,
) {
    let (m, k) = a.dim();
    let n = b.ncols();
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            let (origin, rs, cs) = (c.as_ptr() as *mut f32, c.strides()[0], c.strides()[1]);
            // SAFETY: every (i, j) is inside `c`, which the caller lets us write.
            unsafe {
                for i in 0..m {
                    for j in 0..n {
                        origin.offset(i as isize * rs + j as isize * cs).write(0.0);
                    }
                }
            }
        }
        return;
    }
    if threads > 1 {
        // Bands of `c`, each multiplied on one core by whichever thread takes it: rows
        // when `b` is the smaller operand to repack per band, columns otherwise.
        let by_rows = k * n <= m * k;
        let side = if by_rows { m } else { n };
        let bands = threads.min(side.div_ceil(PARALLEL_MIN_SIDE / 2)).max(1);
        let band = side.div_ceil(bands);
        let c = Band(c);
        threads::for_each_part(bands, |p| {
            let range = (p * band).min(side)..((p + 1) * band).min(side);
            let (a, b, c) = if by_rows {
                (a.slice(s![range.clone(), ..]), b, c.view().slice_move(s![range, ..]))
            } else {
                (a, b.slice(s![.., range.clone()]), c.view().slice_move(s![.., range]))
            };
            // SAFETY: the bands are disjoint parts of `c`, which the caller lets us write
            // for the whole call, and `for_each_part` returns only when every band is done.
            unsafe { gemm_serial(a, b, c, accumulate) };
        });
        return;
    }
    // SAFETY: forwarded from the caller.
    unsafe { gemm_serial(a, b, c, accumulate) }
}

/// The `gemm` crate on the calling thread.
///
/// # Safety
/// As [`sgemm_on`].
unsafe fn gemm_serial(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>, c: RawArrayViewMut<f32, Ix2>, accumulate: bool) {
    let (m, k) = a.dim();
    let n = b.ncols();
    let (ar, br, cr) = (a.strides(), b.strides(), [c.strides()[0], c.strides()[1]]);
    let (a, b) = (MatPtr { ptr: a.as_ptr(), rs: ar[0], cs: ar[1] }, MatPtr { ptr: b.as_ptr(), rs: br[0], cs: br[1] });
    let dst = MatPtr { ptr: c.as_ptr() as *mut f32, rs: cr[0], cs: cr[1] };
    // SAFETY: the pointers and strides come from live ndarray views whose shapes the
    // caller checked; the caller lets us write `c`, so nothing aliases it.
    unsafe { gemm_single(m, n, k, dst, accumulate, a, b) }
}

/// A strided matrix in raw memory.
#[derive(Clone, Copy)]
pub(crate) struct MatPtr<P> {
    pub(crate) ptr: P,
    pub(crate) rs: isize,
    pub(crate) cs: isize,
}

/// `dst (m×n) = [dst +] a (m×k) · b (k×n)` on the calling thread.
///
/// # Safety
/// Every pointer with its strides must address valid memory for its shape, `dst`
/// writable and aliasing neither `a` nor `b`.
pub(crate) unsafe fn gemm_single(
    m: usize,
    n: usize,
    k: usize,
    dst: MatPtr<*mut f32>,
    accumulate: bool,
    a: MatPtr<*const f32>,
    b: MatPtr<*const f32>,
) {
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: forwarded from the caller.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.ptr,
            dst.cs,
            dst.rs,
            accumulate,
            a.ptr,
            a.cs,
            a.rs,
            b.ptr,
            b.cs,
            b.rs,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

/// A raw mutable view of `c`, shared by the threads that each write their own band of it.
struct Band(RawArrayViewMut<f32, Ix2>);
impl Band {
    fn view(&self) -> RawArrayViewMut<f32, Ix2> {
        self.0
    }
}

// SAFETY: each thread derives a disjoint band from it (see `sgemm_on`).
unsafe impl Send for Band {}
// SAFETY: as above; the view itself is only read.
unsafe impl Sync for Band {}

/// Reference product by three loops, for tests of the fast path.
pub fn sgemm_reference(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> ndarray::Array2<f32> {
    let (m, k) = a.dim();
    let n = b.dim().1;
    ndarray::Array2::from_shape_fn((m, n), |(i, j)| {
        (0..k).map(|p| a[[i, p]] as f64 * b[[p, j]] as f64).sum::<f64>() as f32
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn filled(m: usize, n: usize, seed: u32) -> Array2<f32> {
        Array2::from_shape_fn((m, n), |(i, j)| (((i * 31 + j * 17 + seed as usize) % 23) as f32 - 11.0) / 7.0)
    }

    #[test]
    fn matches_the_reference_on_odd_sizes_and_strides() {
        for &(m, k, n) in &[(1, 1, 1), (3, 5, 7), (17, 33, 65), (64, 1, 9), (130, 70, 257)] {
            let a = filled(m, k, 1);
            let b = filled(n, k, 2); // used transposed
            let mut c = Array2::zeros((m, n));
            sgemm(a.view(), b.t(), c.view_mut(), false);
            let r = sgemm_reference(a.view(), b.t());
            for (x, y) in c.iter().zip(r.iter()) {
                assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{m}x{k}x{n}: {x} vs {y}");
            }
            sgemm(a.view(), b.t(), c.view_mut(), true);
            assert!((c[[0, 0]] - 2.0 * r[[0, 0]]).abs() < 1e-3);
        }
    }

    #[test]
    fn serial_matches_the_threaded_product() {
        let (a, b) = (filled(64, 128, 3), filled(128, 384, 4));
        let (mut c1, mut c2) = (Array2::zeros((64, 384)), Array2::zeros((64, 384)));
        sgemm(a.view(), b.view(), c1.view_mut(), false);
        sgemm_serial(a.view(), b.view(), c2.view_mut(), false);
        assert!(c1.iter().zip(c2.iter()).all(|(x, y)| (x - y).abs() <= 1e-4 * (1.0 + y.abs())));
    }

    #[test]
    #[should_panic(expected = "sgemm: cannot multiply [2, 3] by [2, 2] into [2, 2]")]
    fn names_both_shapes() {
        let mut c = Array2::zeros((2, 2));
        sgemm(filled(2, 3, 0).view(), filled(2, 2, 0).view(), c.view_mut(), false);
    }
}
