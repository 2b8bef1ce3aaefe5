//! Differentiable ops, one family per file, each forward next to its backward rule.

mod activation;
mod axes;
mod binary;
pub(crate) mod broadcast;
mod compare;
pub mod conv;
mod dropout;
mod index;
mod join;
mod linear;
mod matmul;
mod pad;
pub mod pool;
mod reduce;
mod relu_gradient;
mod shape;
mod smooth_l1;
mod unary;
mod upsample;

pub use axes::AxisIndex;
pub use broadcast::broadcast_shapes;
pub use pad::PadMode;
pub use relu_gradient::{ReluGradient, with_relu_gradient};

#[cfg(test)]
mod sharing_tests;
