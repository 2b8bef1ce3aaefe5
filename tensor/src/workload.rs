//! What the `cargo xtask bench` workloads of every crate share: the peers' timing policy
//! and the one JSON line per workload that `BENCHMARKS.md` and the peers' scripts read.
//!
//! Policy: inputs built outside the timed loop, a warm-up first, kernels report the best
//! time and training steps the median, `PEER_BUDGET_S` seconds per workload (default 4;
//! kernels get half), `DERIN_NUM_THREADS` threads.
//!
//! ```
//! use derin_tensor::workload::{Workloads, median, time_iters};
//! let t = time_iters(|| { std::hint::black_box(1 + 1); }, 1, 3, 3, 0.0);
//! assert_eq!(t.len(), 3);
//! assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
//! let w = Workloads::from_args(["bench".to_string(), "sgemm".into()]);
//! assert!(w.wanted("sgemm") && !w.wanted("nms"));
//! ```

use std::time::Instant;

/// Seconds each workload may take: `PEER_BUDGET_S`, default 4.
pub fn budget() -> f64 {
    std::env::var("PEER_BUDGET_S").ok().and_then(|v| v.parse().ok()).unwrap_or(4.0)
}

/// Seconds per call: `warmup` untimed calls, then at least `min` and at most `max` timed
/// ones within `budget` seconds.
pub fn time_iters(mut f: impl FnMut(), warmup: usize, min: usize, max: usize, budget: f64) -> Vec<f64> {
    for _ in 0..warmup {
        f();
    }
    let start = Instant::now();
    let mut out = Vec::new();
    while out.len() < max && (out.len() < min || start.elapsed().as_secs_f64() < budget) {
        let t = Instant::now();
        f();
        out.push(t.elapsed().as_secs_f64());
    }
    out
}

/// A kernel's timings: 3 warm-ups, 5 to 1000 calls in half the budget (report [`best`]).
pub fn time_kernel(f: impl FnMut()) -> Vec<f64> {
    time_iters(f, 3, 5, 1000, budget() * 0.5)
}

/// A training step's timings: 3 warm-ups, 10 to 50 calls in the budget (report [`median`]).
pub fn time_train(f: impl FnMut()) -> Vec<f64> {
    time_iters(f, 3, 10, 50, budget())
}

/// The shortest time.
pub fn best(t: &[f64]) -> f64 {
    t.iter().copied().fold(f64::INFINITY, f64::min)
}

/// The median time.
pub fn median(t: &[f64]) -> f64 {
    let mut v = t.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) }
}

/// Prints one JSON line: peer, workload, value, unit, iterations, threads, git revision
/// (`DERIN_GIT_REV`), `extra` (`, "key": value` pairs or empty) and the CPU.
pub fn emit(peer: &str, workload: &str, value: f64, unit: &str, iters: usize, extra: &str) {
    let rev = std::env::var("DERIN_GIT_REV").unwrap_or_else(|_| "unknown".into());
    let threads = crate::num_threads();
    println!(
        "{{\"peer\": \"{peer}\", \"workload\": \"{workload}\", \"value\": {value:.2}, \"unit\": \"{unit}\", \"iters\": {iters}, \"threads\": {threads}, \"git_rev\": \"{rev}\"{extra}, \"cpu\": {cpu}}}",
        cpu = crate::cpu_info().to_json()
    );
}

/// The workloads a bench binary was asked for (its non-flag arguments, substrings of
/// workload names; none means all).
pub struct Workloads {
    filter: Vec<String>,
}

impl Workloads {
    /// Reads the filter from the arguments (the first is the program) and applies the
    /// settings every workload runs with: the tuned allocator and `DERIN_NUM_THREADS`.
    pub fn setup() -> Workloads {
        crate::tune_allocator();
        if let Some(n) = std::env::var("DERIN_NUM_THREADS").ok().and_then(|v| v.parse().ok()) {
            crate::set_num_threads(n);
        }
        Workloads::from_args(std::env::args())
    }

    /// The filter from `args` alone (the first is the program; flags are skipped).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Workloads {
        Workloads { filter: args.into_iter().skip(1).filter(|a| !a.starts_with('-')).collect() }
    }

    /// Whether workload `name` should run.
    pub fn wanted(&self, name: &str) -> bool {
        self.filter.is_empty() || self.filter.iter().any(|f| name.contains(f.as_str()))
    }
}
