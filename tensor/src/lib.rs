//! n-dimensional `f32` tensors with reverse-mode automatic differentiation and fast CPU
//! kernels: the foundation every other Derin crate builds on.
//!
//! ```
//! use derin_tensor::{Param, Rng, Tensor};
//!
//! // One gradient-descent step on a tiny linear model.
//! let mut rng = Rng::seed(0);
//! let w = Param::new("kernel", Tensor::glorot_uniform(&[3, 1], &mut rng).to_array());
//! let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[1, 3]);
//! let y = Tensor::from_vec(vec![2.0], &[1, 1]);
//! let loss = (x.matmul(&w.value()) - &y).square().mean_all();
//! let grads = loss.backward();
//! let g = grads.param(&w).unwrap().clone();
//! w.update(|v| v.scaled_add(-0.01, &g));
//! let after = (x.matmul(&w.value()) - &y).square().mean_all();
//! assert!(after.item() < loss.item());
//! ```
#![deny(missing_docs)]

mod allocator;
mod atomic;
mod autograd;
mod cpu;
mod error;
pub mod gradcheck;
mod init;
pub mod kernels;
pub mod npy;
mod ops;
mod param;
pub mod safetensors;
mod tensor;
mod threads;
pub mod workload;

#[cfg(test)]
mod testing;

pub use crate::safetensors::{SafeTensors, Strictness, load_params, load_safetensors, save_params, save_safetensors};
pub use allocator::tune_allocator;
pub use autograd::{BackwardCtx, GradMode, GradRef, Gradients, RowSparse, is_grad_enabled, no_grad};
pub use cpu::{CpuInfo, cpu_info};
pub use error::{Error, Result};
pub use gradcheck::{GradCheck, GradCheckError, GradCheckReport, check_gradients};
pub use init::{Rng, fans};
pub use ops::AxisIndex;
pub use ops::PadMode;
pub use ops::broadcast_shapes;
pub use ops::{ReluGradient, with_relu_gradient};
pub use param::Param;
pub use tensor::{SharedArray, Tensor, TensorId};
// conv/pool exports
pub use ops::conv::{Conv1dOptions, Conv2dOptions, ConvTranspose1dOptions, ConvTranspose2dOptions, Padding, Padding1d};
pub use ops::pool::{Pool1dOptions, Pool2dOptions, PoolIndices};
// end conv/pool exports
pub use threads::{PARALLEL_THRESHOLD, for_each_part, install, num_threads, set_num_threads};

pub use ndarray;
