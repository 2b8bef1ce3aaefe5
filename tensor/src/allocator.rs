//! Opt-in tuning of the process's memory allocator for training loops.

/// Tunes glibc's `malloc` for training: blocks up to 32 MiB come from its heaps instead of
/// fresh `mmap`s, and up to 1 GiB of freed memory stays in the process instead of going
/// back to the kernel. Returns whether the allocator took both settings: `true` on Linux
/// with glibc, `false` (doing nothing) elsewhere.
///
/// It sets `mallopt(M_MMAP_THRESHOLD, 32 MiB)` (which also turns off glibc's dynamic
/// threshold) and `mallopt(M_TRIM_THRESHOLD, 1 GiB)`.
///
/// **Why it speeds up training.** Every step allocates and frees the same
/// activation-sized buffers. With glibc's defaults each buffer above the mmap threshold
/// (128 KiB to start with) costs a `mmap`, a page fault per 4 KiB page, the kernel
/// clearing those pages, and a `munmap` on free; `perf` showed this as a quarter of an MLP
/// training step (the BENCHMARKS.md note on candle). Kept in the heap, the next step
/// reuses the same memory at no cost.
///
/// **Why it is opt-in.** The settings hold for the whole process, every allocation of every
/// library in it, and they make the process keep freed memory (its resident size stays at
/// its peak, up to 1 GiB more than it uses). A program that trains models calls this once,
/// first thing in `main`; the benchmarks and the MNIST example do. Calling it again
/// changes nothing.
///
/// ```
/// let tuned = derin_tensor::tune_allocator();
/// assert_eq!(tuned, cfg!(all(target_os = "linux", target_env = "gnu")));
/// ```
pub fn tune_allocator() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: mallopt only changes allocator tuning parameters; both values are in
        // the ranges glibc documents (mmap threshold at most 32 MiB on 64-bit). It returns
        // 1 on success.
        unsafe { mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
