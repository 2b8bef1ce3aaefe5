//! Differentiable ops, one family per file, each forward next to its backward rule.

mod activation;
mod binary;
pub(crate) mod broadcast;
mod compare;
mod index;
mod join;
mod matmul;
mod pad;
mod reduce;
mod shape;
mod unary;

pub use broadcast::broadcast_shapes;
pub use pad::PadMode;
