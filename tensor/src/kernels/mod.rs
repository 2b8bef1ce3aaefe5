//! Raw kernels on arrays and slices, used by the ops: GEMM, convolution, pooling.

pub mod conv;
pub mod gemm;
pub mod pool;
