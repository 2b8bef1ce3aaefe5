//! Whether ops record a graph: `no_grad` scopes, carried into rayon workers by `GradMode`.

use std::cell::Cell;

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread record a graph for `backward`.
pub fn is_grad_enabled() -> bool {
    ENABLED.with(|e| e.get())
}

/// Runs `f` with graph recording off on this thread (inference, evaluation,
/// optimizer updates), like `torch.no_grad()`; the previous mode is restored after.
///
/// ```
/// use derin_tensor::{Tensor, no_grad};
/// let w = Tensor::ones(&[2]).requires_grad();
/// let y = no_grad(|| &w * 2.0);
/// assert!(!y.is_tracked());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    GradMode { enabled: false }.enter(f)
}

/// The recording mode of a thread, captured so that work sent to other threads (rayon
/// workers) runs under the same mode.
///
/// ```
/// use derin_tensor::{GradMode, Tensor, no_grad};
/// use rayon::prelude::*;
/// let w = Tensor::ones(&[2]).requires_grad();
/// let outs: Vec<Tensor> = no_grad(|| {
///     let mode = GradMode::current();
///     (0..4).into_par_iter().map(|i| mode.enter(|| &w * i as f32)).collect()
/// });
/// assert!(outs.iter().all(|t| !t.is_tracked()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GradMode {
    enabled: bool,
}

impl GradMode {
    /// The mode of the calling thread.
    pub fn current() -> Self {
        GradMode { enabled: is_grad_enabled() }
    }

    /// Runs `f` on the calling thread under this mode, restoring the thread's own after
    /// (also when `f` panics).
    pub fn enter<R>(self, f: impl FnOnce() -> R) -> R {
        struct Restore(bool);
        impl Drop for Restore {
            fn drop(&mut self) {
                ENABLED.with(|e| e.set(self.0));
            }
        }
        let _restore = Restore(ENABLED.with(|e| e.replace(self.enabled)));
        f()
    }
}
