//! Differentiable ops, one family per file, each forward next to its backward rule.

mod activation;
mod binary;
pub(crate) mod broadcast;
mod compare;
mod join;
mod matmul;
mod reduce;
mod shape;
mod unary;

pub use broadcast::broadcast_shapes;
