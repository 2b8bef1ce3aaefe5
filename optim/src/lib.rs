//! Optimizers, learning-rate schedules, gradient clipping and weight penalties for Derin
//! (hyperparameter search lives in its own module).
//!
//! - **Optimizers** implement [`Optimizer`]: [`Sgd`] (momentum, dampening, Nesterov,
//!   weight decay), [`RmsProp`], [`Adam`], [`AdamW`], [`Adagrad`], [`Nadam`]. Defaults are
//!   Keras'; every hyperparameter is a public field of the optimizer's `…Config`, so
//!   PyTorch's conventions are reachable too (see each config's docs). Each type's docs
//!   write out its update, epsilon included.
//! - **Batch, stochastic and mini-batch gradient descent** are one rule, [`Sgd`], fed
//!   gradients averaged over n, 1 or k samples.
//! - **State** ([`OptimizerState`]) is keyed by parameter name, saves to JSON and loads
//!   into a fresh optimizer in another process, so training resumes exactly.
//! - **Schedules** implement [`LearningRateSchedule`]: [`StepDecay`], [`ExponentialDecay`],
//!   [`InverseTimeDecay`], [`CosineDecay`] (with warm-up); [`ReduceLrOnPlateau`] reacts to
//!   a monitored value.
//! - **Clipping**: [`clip_by_value`], [`clip_by_norm`], [`clip_by_global_norm`].
//! - **Penalties**: [`l1_penalty`], [`l2_penalty`], added to the loss.
//!
//! # Validation
//! Hyperparameters are checked when an optimizer or schedule is built: `try_new` returns
//! [`Error::Hyperparameter`] naming the value and its valid range; `new()` builds Keras'
//! defaults and cannot fail. After that the one setter,
//! [`Optimizer::set_learning_rate`], panics on a negative or non-finite rate (a program
//! bug, not bad data).
//!
//! ```
//! use derin_optim::{clip_by_global_norm, l2_penalty, CosineDecay, LearningRateSchedule};
//! use derin_optim::{Adam, AdamConfig, Optimizer, OptimizerState};
//! use derin_tensor::{Param, Tensor};
//!
//! // Fit y = 2x + 1 with Adam, a cosine schedule, clipping and a small L2 penalty.
//! let w = Param::new("dense/kernel", Tensor::zeros(&[1, 1]).to_array());
//! let b = Param::new("dense/bias", Tensor::zeros(&[1]).to_array());
//! let params = [w.clone(), b.clone()];
//! let x = Tensor::from_vec(vec![0.0, 1.0, 2.0, 3.0], &[4, 1]);
//! let y = Tensor::from_vec(vec![1.0, 3.0, 5.0, 7.0], &[4, 1]);
//! let mut opt = Adam::try_new(AdamConfig { learning_rate: 0.1, ..AdamConfig::default() }).unwrap();
//! let schedule = CosineDecay::try_new(0.1, 500, 0.01).unwrap();
//! for _ in 0..500 {
//!     let pred = x.matmul(&w.value()) + b.value();
//!     let loss = (pred - &y).square().mean_all() + l2_penalty(&params, 1e-6);
//!     let mut grads = loss.backward();
//!     clip_by_global_norm(&mut grads, 10.0);
//!     schedule.apply(&mut opt);
//!     opt.step(&params, &grads);
//! }
//! assert!((w.value().item() - 2.0).abs() < 0.01 && (b.value().item() - 1.0).abs() < 0.02);
//!
//! // Checkpoint: the state is plain JSON, keyed by parameter name.
//! let json = opt.state().to_json();
//! let mut resumed = Adam::new();
//! resumed.load_state(&OptimizerState::from_json(&json).unwrap(), &params).unwrap();
//! assert_eq!(resumed.iterations(), 500);
//! ```
#![deny(missing_docs)]

mod clip;
mod error;
mod optimizer;
mod optimizers;
mod penalty;
mod schedules;
pub mod search;
mod slots;
mod state;
mod validate;

pub use clip::{clip_by_global_norm, clip_by_norm, clip_by_value};
pub use error::{Error, Result};
pub use optimizer::Optimizer;
pub use optimizers::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamEpsilon, AdamW, AdamWConfig, EpsilonPlacement, Nadam, NadamConfig,
    RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
pub use penalty::{l1_penalty, l2_penalty};
pub use schedules::{
    CosineDecay, ExponentialDecay, InverseTimeDecay, LearningRateSchedule, PlateauMode, ReduceLrOnPlateau,
    ReduceLrOnPlateauConfig, StepDecay,
};
pub use state::{Hyperparameters, OptimizerState, SavedArray, Slot};
