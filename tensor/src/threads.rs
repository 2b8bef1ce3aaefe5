//! The library's one thread pool and the size below which work stays on one thread.

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use rayon::ThreadPool;

mod spin;

/// Elementwise work smaller than this many elements runs on the calling thread.
///
/// Chosen with `cargo xtask bench elementwise` on the 2-core benchmark machine: a
/// one-thread `add` takes 0.7 µs at 4 Ki elements and 10.5 µs at 64 Ki, where the
/// 2-thread version took 20 µs (the split and wake-up cost more than the work); only at
/// 256 Ki elements (40 µs vs 45 µs) do two threads win, so that is the threshold.
pub const PARALLEL_THRESHOLD: usize = 1 << 18;

fn slot() -> &'static RwLock<Arc<ThreadPool>> {
    static POOL: OnceLock<RwLock<Arc<ThreadPool>>> = OnceLock::new();
    POOL.get_or_init(|| RwLock::new(Arc::new(build(default_threads()))))
}

fn default_threads() -> usize {
    ["DERIN_NUM_THREADS", "RAYON_NUM_THREADS"]
        .iter()
        .find_map(|k| std::env::var(k).ok()?.parse::<usize>().ok().filter(|&n| n > 0))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn build(n: usize) -> ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("derin-{i}"))
        .build()
        .expect("could not start the thread pool")
}

/// Sets the number of threads every kernel of the library uses (default: the
/// `DERIN_NUM_THREADS` or `RAYON_NUM_THREADS` variable, else the number of cores).
///
/// ```
/// derin_tensor::set_num_threads(2);
/// assert_eq!(derin_tensor::num_threads(), 2);
/// ```
pub fn set_num_threads(n: usize) {
    let n = n.max(1);
    let mut pool = slot().write().expect("thread pool lock poisoned");
    if pool.current_num_threads() != n {
        *pool = Arc::new(build(n));
    }
}

/// The number of threads the kernels use.
pub fn num_threads() -> usize {
    slot().read().expect("thread pool lock poisoned").current_num_threads()
}

/// Runs `f` inside the library's pool, so rayon calls in it use that pool's threads.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    // The pool's threads take the cores now: the spinning helpers stop spinning.
    spin::nap();
    if rayon::current_thread_index().is_some() {
        return f();
    }
    let pool = slot().read().expect("thread pool lock poisoned").clone();
    pool.install(f)
}

/// Runs `f(0), f(1), …, f(parts − 1)` on at most [`num_threads`] threads at once, the
/// calling thread among them, and returns when all are done: for work split into
/// independent pieces (the blocks of a matrix product, an optimizer's update of a large
/// parameter). Each thread takes the next piece not yet taken, so a thread that starts
/// late or runs slow does fewer. The helper threads are the ones the matrix products use,
/// and spin a moment between jobs, so work that follows a product finds them awake.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let sum = AtomicUsize::new(0);
/// derin_tensor::for_each_part(4, |p| {
///     sum.fetch_add(p + 1, Ordering::Relaxed);
/// });
/// assert_eq!(sum.into_inner(), 10);
/// ```
///
/// # Panics
/// If a part panics (its payload is resumed on the calling thread).
pub fn for_each_part(parts: usize, f: impl Fn(usize) + Sync) {
    let threads = num_threads().min(parts);
    if threads <= 1 {
        (0..parts).for_each(f);
        return;
    }
    let next = AtomicUsize::new(0);
    run_claims(threads, &|| {
        loop {
            let part = next.fetch_add(1, Ordering::Relaxed);
            if part >= parts {
                break;
            }
            f(part);
        }
    });
}

/// Runs `claim` on `threads` threads at once, the calling thread among them (see
/// `spin::run_claiming`): on the spinning helpers, or on the pool's threads when the
/// helpers are busy (a nested call).
fn run_claims(threads: usize, claim: &(dyn Fn() + Sync)) {
    if spin::run_claiming(threads, claim) {
        return;
    }
    let pool = slot().read().expect("thread pool lock poisoned").clone();
    pool.in_place_scope(|s| {
        for _ in 1..threads {
            s.spawn(|_| claim());
        }
        claim();
    });
}

/// `[f(0), f(1), …, f(parts − 1)]`, computed as [`for_each_part`] does.
pub(crate) fn map_parts<T: Send>(parts: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let out: Vec<Mutex<Option<T>>> = (0..parts).map(|_| Mutex::new(None)).collect();
    for_each_part(parts, |p| {
        let value = f(p);
        *out[p].lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
    });
    out.into_iter().map(|cell| cell.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every part ran")).collect()
}

/// `f` over `0..len` cut into contiguous ranges of at least `min_block` items (fewer
/// only at the end), on up to [`num_threads`] threads, the calling thread among them.
/// Each thread takes the next range, sized `remaining / (2 · threads)`: long runs of
/// neighbouring items first, short ones at the end, so the threads finish together even
/// when one starts late (guided self-scheduling).
pub(crate) fn for_each_range(len: usize, min_block: usize, f: impl Fn(Range<usize>) + Sync) {
    let min_block = min_block.max(1);
    let threads = num_threads().min(len.div_ceil(min_block));
    if threads <= 1 {
        if len > 0 {
            f(0..len);
        }
        return;
    }
    let next = AtomicUsize::new(0);
    run_claims(threads, &|| {
        let mut start = next.load(Ordering::Relaxed);
        while start < len {
            let size = ((len - start) / (2 * threads)).max(min_block).min(len - start);
            match next.compare_exchange_weak(start, start + size, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => {
                    f(start..start + size);
                    start = next.load(Ordering::Relaxed);
                }
                Err(now) => start = now,
            }
        }
    });
}

/// A new vector of `n` values, its ranges filled in parallel as [`for_each_range`] cuts
/// them: `fill(start, out)` must write every element of `out`, the values `start..`.
pub(crate) fn fill_ranges(
    n: usize,
    min_block: usize,
    fill: impl Fn(usize, &mut [MaybeUninit<f32>]) + Sync,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    let slots = Disjoint::new(&mut out.spare_capacity_mut()[..n]);
    // SAFETY: `for_each_range` hands out disjoint ranges.
    for_each_range(n, min_block, |r| fill(r.start, unsafe { slots.range(r) }));
    // SAFETY: the ranges cover `0..n` and `fill` wrote every element of each.
    unsafe { out.set_len(n) };
    out
}

/// A mutable slice that parallel parts write disjoint ranges of.
pub(crate) struct Disjoint<'a, T> {
    ptr: *mut T,
    len: usize,
    _slice: PhantomData<&'a mut [T]>,
}

// SAFETY: parts get disjoint ranges (the caller of `range` promises it), so sharing the
// pointer across threads is sharing `&mut` access to separate elements.
unsafe impl<T: Send> Sync for Disjoint<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Disjoint<'_, T> {}

impl<'a, T> Disjoint<'a, T> {
    pub(crate) fn new(slice: &'a mut [T]) -> Self {
        Disjoint { ptr: slice.as_mut_ptr(), len: slice.len(), _slice: PhantomData }
    }

    /// The elements `range`.
    ///
    /// # Safety
    /// No two live results may overlap.
    ///
    /// # Panics
    /// If `range` is out of bounds.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn range(&self, range: Range<usize>) -> &'a mut [T] {
        assert!(range.start <= range.end && range.end <= self.len, "range {range:?} of {} elements", self.len);
        // SAFETY: in bounds (checked); the caller keeps the ranges disjoint.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(range.start), range.len()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_item_once_in_blocks_of_at_least_the_minimum() {
        for (len, min_block) in [(0, 1), (1, 1), (7, 3), (1000, 1), (1000, 64), (4097, 100)] {
            let hits: Vec<AtomicUsize> = (0..len).map(|_| AtomicUsize::new(0)).collect();
            let short = AtomicUsize::new(0);
            for_each_range(len, min_block, |r| {
                assert!(!r.is_empty() && r.end <= len, "{r:?} of {len}");
                if r.len() < min_block {
                    assert_eq!(r.end, len, "only the last range may be short: {r:?}");
                    short.fetch_add(1, Ordering::SeqCst);
                }
                r.for_each(|i| {
                    hits[i].fetch_add(1, Ordering::SeqCst);
                });
            });
            assert!(hits.iter().all(|h| h.load(Ordering::SeqCst) == 1), "len {len}, min {min_block}");
            assert!(short.load(Ordering::SeqCst) <= 1);
        }
    }

    #[test]
    fn filled_ranges_hold_every_value_and_map_parts_keeps_order() {
        let v = fill_ranges(100_003, 1000, |at, out| {
            out.iter_mut().enumerate().for_each(|(i, o)| {
                o.write((at + i) as f32);
            })
        });
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as f32));
        assert_eq!(map_parts(9, |p| p * p), (0..9).map(|p| p * p).collect::<Vec<_>>());
    }
}
