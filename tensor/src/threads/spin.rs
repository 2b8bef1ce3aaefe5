//! Helper threads that spin for a moment after each job before they sleep, so that the
//! parallel kernels of consecutive small ops (a training step's GEMMs, 0.1–1 ms apart)
//! find them awake instead of paying a wake-up each (tens of microseconds on a VM), as
//! OpenMP runtimes do. Used for the blocks of a GEMM and of an optimizer's update;
//! everything else uses the rayon pool.
//!
//! The work is claimed, not assigned: every thread runs the same loop that takes the
//! next block until none is left. A helper that has not woken by the time the caller's
//! loop ends is called off, so a late helper costs nothing but its share of the blocks.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, TryLockError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How long a helper spins for its next job before it parks.
const SPIN: Duration = Duration::from_micros(300);

/// Set when work goes to the rayon pool: spinning helpers park at once rather than
/// take cores from its threads. Posting a job clears it.
static NAP: AtomicBool = AtomicBool::new(false);

/// Tells the helpers to stop spinning (the rayon pool is about to run).
pub(crate) fn nap() {
    if !NAP.load(Ordering::Relaxed) {
        NAP.store(true, Ordering::Relaxed);
    }
}

/// A job: a caller's claiming loop, whose lifetime the caller guarantees by waiting for
/// it or calling it off (see [`run_claiming`]).
struct Job {
    f: *const (dyn Fn() + Sync),
}

// SAFETY: the closure is `Sync`, and the caller outlives the job (it waits for `done`).
unsafe impl Send for Job {}

struct Helper {
    /// Bumped by the caller for each job.
    posted: AtomicU64,
    /// Set to `posted` by the helper when the job is finished.
    done: AtomicU64,
    sleeping: AtomicBool,
    job: Mutex<Option<Job>>,
    panic: Mutex<Option<Box<dyn std::any::Any + Send>>>,
    thread: OnceLock<Thread>,
}

impl Helper {
    fn new() -> Self {
        Helper {
            posted: AtomicU64::new(0),
            done: AtomicU64::new(0),
            sleeping: AtomicBool::new(false),
            job: Mutex::new(None),
            panic: Mutex::new(None),
            thread: OnceLock::new(),
        }
    }

    fn work(&'static self) {
        let mut seen = 0;
        loop {
            seen = self.wait_past(seen);
            let job = self.job.lock().expect("helper job lock").take();
            if let Some(Job { f }) = job {
                // SAFETY: the poster waits for `done` before `f` goes away, unless it took
                // the job back before this thread took it.
                let f = unsafe { &*f };
                if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
                    *self.panic.lock().unwrap_or_else(|e| e.into_inner()) = Some(payload);
                }
            }
            self.done.store(seen, Ordering::Release);
        }
    }

    /// Spins, then parks, until a job after `seen` is posted; returns its number.
    fn wait_past(&self, seen: u64) -> u64 {
        let mut start = Instant::now();
        let mut spins = 0u32;
        loop {
            let posted = self.posted.load(Ordering::Acquire);
            if posted != seen {
                return posted;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) {
                if NAP.load(Ordering::Relaxed) || start.elapsed() > SPIN {
                    self.sleeping.store(true, Ordering::SeqCst);
                    if self.posted.load(Ordering::SeqCst) == seen {
                        thread::park();
                    }
                    self.sleeping.store(false, Ordering::SeqCst);
                    start = Instant::now();
                } else {
                    thread::yield_now();
                }
            } else {
                std::hint::spin_loop();
            }
        }
    }
}

/// The helpers, started on first use; one caller at a time uses them.
struct Crew {
    helpers: Mutex<Vec<&'static Helper>>,
    in_use: Mutex<()>,
}

fn crew() -> &'static Crew {
    static CREW: OnceLock<Crew> = OnceLock::new();
    CREW.get_or_init(|| Crew { helpers: Mutex::new(Vec::new()), in_use: Mutex::new(()) })
}

/// At least `n` helpers (started as needed), or `None` if they cannot be started.
fn helpers(n: usize) -> Option<Vec<&'static Helper>> {
    let mut helpers = crew().helpers.lock().expect("helper list lock");
    while helpers.len() < n {
        let helper: &'static Helper = Box::leak(Box::new(Helper::new()));
        let handle =
            thread::Builder::new().name(format!("derin-spin-{}", helpers.len())).spawn(move || helper.work()).ok()?;
        helper.thread.set(handle.thread().clone()).expect("set once");
        helpers.push(helper);
    }
    Some(helpers[..n].to_vec())
}

/// Runs `f` on the calling thread and on `threads − 1` spinning helpers at once and
/// returns when every copy that started is done. `f` must claim its work from state it
/// shares (an atomic counter of blocks), so that the caller's copy, running until no work
/// is left, does whatever the others did not: a helper that has not taken its job when
/// the caller's copy returns is called off. Returns `false` without running anything when
/// the helpers are taken (another thread, or a nested call, is using them).
///
/// # Panics
/// If a copy panics (the first payload is resumed on the calling thread).
pub(crate) fn run_claiming(threads: usize, f: &(dyn Fn() + Sync)) -> bool {
    let _guard = match crew().in_use.try_lock() {
        Ok(guard) => guard,
        // A copy panicked while a caller held them: the helpers themselves are fine.
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => return false,
    };
    let Some(helpers) = helpers(threads.saturating_sub(1)) else { return false };
    // SAFETY (lifetime): every job is waited for or taken back below, before `f` can go
    // away, even when the caller's copy panics (this happens in the guard's drop).
    let f_static: *const (dyn Fn() + Sync) = unsafe { std::mem::transmute(f) };
    NAP.store(false, Ordering::Relaxed);
    let mut posted = Vec::with_capacity(helpers.len());
    for h in &helpers {
        *h.job.lock().expect("helper job lock") = Some(Job { f: f_static });
        let number = h.posted.fetch_add(1, Ordering::SeqCst) + 1;
        if h.sleeping.load(Ordering::SeqCst) {
            h.thread.get().expect("set at start").unpark();
        }
        posted.push(number);
    }
    let wait = WaitAll { helpers: &helpers, posted: &posted };
    f();
    drop(wait);
    for h in &helpers {
        let payload = h.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(payload) = payload {
            resume_unwind(payload);
        }
    }
    true
}

/// Takes back every job no helper has started and waits for the others when dropped.
struct WaitAll<'a> {
    helpers: &'a [&'static Helper],
    posted: &'a [u64],
}

impl Drop for WaitAll<'_> {
    fn drop(&mut self) {
        for (h, &number) in self.helpers.iter().zip(self.posted) {
            if h.job.lock().unwrap_or_else(|e| e.into_inner()).take().is_some() {
                #[cfg(test)]
                tests::CALLED_OFF.fetch_add(1, Ordering::Relaxed);
                continue; // never started: the helper will find no job and skip it
            }
            let mut spins = 0u32;
            while h.done.load(Ordering::Acquire) < number {
                spins = spins.wrapping_add(1);
                if spins.is_multiple_of(64) {
                    thread::yield_now();
                } else {
                    std::hint::spin_loop();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// The helpers serve one caller at a time; these tests take turns.
    static TURN: Mutex<()> = Mutex::new(());

    /// Blocks claimed from a shared counter, as `threads::for_each_part` does; waits while
    /// the helpers serve another test's kernels.
    fn claim_all(threads: usize, blocks: usize, f: &(dyn Fn(usize) + Sync)) -> bool {
        let next = AtomicUsize::new(0);
        let claim = || {
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= blocks {
                    break;
                }
                f(b);
            }
        };
        let start = Instant::now();
        while !run_claiming(threads, &claim) {
            if start.elapsed() > Duration::from_secs(10) {
                return false;
            }
            thread::yield_now();
        }
        true
    }

    #[test]
    fn every_block_runs_once_also_after_the_helpers_slept() {
        let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        for round in 0..4 {
            let hits: Vec<AtomicUsize> = (0..37).map(|_| AtomicUsize::new(0)).collect();
            assert!(claim_all(3, hits.len(), &|b| {
                hits[b].fetch_add(1, Ordering::SeqCst);
            }));
            assert!(hits.iter().all(|h| h.load(Ordering::SeqCst) == 1), "round {round}");
            if round == 1 {
                thread::sleep(SPIN * 4); // the helpers park
            }
        }
    }

    /// Jobs taken back before a helper started them.
    pub(super) static CALLED_OFF: AtomicUsize = AtomicUsize::new(0);

    #[test]
    fn a_parked_helper_is_called_off_when_the_caller_did_everything() {
        let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let before = CALLED_OFF.load(Ordering::Relaxed);
        for _ in 0..20 {
            thread::sleep(SPIN * 4); // the helper parks
            // One instant block: the caller has claimed it and returned long before the
            // parked helper wakes, so its job is taken back and it runs nothing.
            let hits = AtomicUsize::new(0);
            assert!(claim_all(2, 1, &|_| {
                hits.fetch_add(1, Ordering::SeqCst);
            }));
            assert_eq!(hits.load(Ordering::SeqCst), 1);
            if CALLED_OFF.load(Ordering::Relaxed) > before {
                break;
            }
        }
        assert!(CALLED_OFF.load(Ordering::Relaxed) > before, "no job was ever taken back");
        // The helper serves the next call normally.
        let count = AtomicUsize::new(0);
        assert!(claim_all(2, 64, &|_| {
            count.fetch_add(1, Ordering::SeqCst);
        }));
        assert_eq!(count.load(Ordering::SeqCst), 64);
    }

    #[test]
    fn a_nested_call_is_refused_and_a_panic_reaches_the_caller() {
        let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let inner = AtomicBool::new(true);
        let caller = thread::current().id();
        // Blocks that wait for each other: both threads must be in the loop at once.
        let arrived = AtomicUsize::new(0);
        assert!(claim_all(2, 2, &|_| {
            arrived.fetch_add(1, Ordering::SeqCst);
            while arrived.load(Ordering::SeqCst) < 2 {
                std::hint::spin_loop();
            }
            if thread::current().id() != caller {
                inner.store(run_claiming(2, &|| {}), Ordering::SeqCst);
            }
        }));
        assert!(!inner.load(Ordering::SeqCst), "the helpers were in use");
        let caught = catch_unwind(|| claim_all(2, 2, &|b| assert!(b != 0, "block zero failed")));
        assert!(caught.is_err());
        assert!(claim_all(2, 1, &|_| {}), "usable again after a panic");
    }
}
