//! The library's one thread pool and the size below which work stays on one thread.

use std::sync::{Arc, OnceLock, RwLock};

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

/// Runs `f(0), f(1), …, f(parts − 1)`, part 0 on the calling thread and the others on the
/// pool's threads at the same time; returns when all are done.
///
/// The other parts go to helper threads that spin for a moment between jobs (see
/// `spin.rs`), or, when those are in use, to the pool; either way the caller works
/// instead of sleeping until the others finish.
pub(crate) fn run_parts(parts: usize, f: impl Fn(usize) + Sync) {
    if parts <= 1 {
        (0..parts).for_each(&f);
        return;
    }
    if spin::run_parts(parts, &f) {
        return;
    }
    let pool = slot().read().expect("thread pool lock poisoned").clone();
    let f = &f;
    pool.in_place_scope(|s| {
        for part in 1..parts {
            s.spawn(move |_| f(part));
        }
        f(0);
    });
}
