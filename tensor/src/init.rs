//! Seeded random numbers and weight initializers (uniform, normal, truncated normal,
//! Glorot/Xavier, He/Kaiming, orthogonal).

use ndarray::{ArrayD, IxDyn};
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand::{Rng as _, RngCore, SeedableRng};
use ndarray_rand::rand_distr::{Distribution, StandardNormal};

use crate::tensor::Tensor;

/// The library's random number generator: every random thing takes one, so a run with
/// a seed is reproducible.
///
/// ```
/// use derin_tensor::Rng;
/// let (mut a, mut b) = (Rng::seed(7), Rng::seed(7));
/// assert_eq!(a.uniform01(), b.uniform01());
/// ```
#[derive(Clone, Debug)]
pub struct Rng(StdRng);

impl Rng {
    /// A generator started from `seed`.
    pub fn seed(seed: u64) -> Self {
        Rng(StdRng::seed_from_u64(seed))
    }

    /// A uniform value in `[0, 1)`.
    pub fn uniform01(&mut self) -> f32 {
        self.0.random::<f32>()
    }

    /// A standard normal value.
    pub fn normal(&mut self) -> f32 {
        StandardNormal.sample(&mut self.0)
    }

    /// A uniform integer in `0..n`.
    ///
    /// # Panics
    /// If `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below: empty range");
        self.0.random_range(0..n)
    }

    /// A fresh seed drawn from this generator (for child generators, e.g. per worker).
    pub fn next_seed(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

impl RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst)
    }
}

/// `(fan_in, fan_out)` of a weight shape: `[in, out]` for 2-D (Dense kernels, Keras'
/// layout), `[out, in, k…]` for conv kernels (channels-first), where both fans are
/// multiplied by the receptive field `k…`; a 1-D shape has both equal to its length.
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [i, o] => (*i, *o),
        [o, i, rest @ ..] => {
            let rf: usize = rest.iter().product();
            (i * rf, o * rf)
        }
    }
}

/// Keras' truncated-normal correction: the std of a unit normal cut at ±2 is 0.8796.
const TRUNC_STD: f32 = 0.879_625_7;

impl Tensor {
    /// Uniform values in `[low, high)`.
    pub fn uniform(shape: &[usize], low: f32, high: f32, rng: &mut Rng) -> Tensor {
        Tensor::from_array(ArrayD::from_shape_simple_fn(IxDyn(shape), || low + (high - low) * rng.uniform01()))
    }

    /// Normal values with the given mean and standard deviation.
    pub fn normal(shape: &[usize], mean: f32, std: f32, rng: &mut Rng) -> Tensor {
        Tensor::from_array(ArrayD::from_shape_simple_fn(IxDyn(shape), || mean + std * rng.normal()))
    }

    /// Normal values redrawn until they lie within two standard deviations of the mean
    /// (Keras' `TruncatedNormal`).
    pub fn truncated_normal(shape: &[usize], mean: f32, std: f32, rng: &mut Rng) -> Tensor {
        Tensor::from_array(ArrayD::from_shape_simple_fn(IxDyn(shape), || {
            loop {
                let z = rng.normal();
                if z.abs() <= 2.0 {
                    return mean + std * z;
                }
            }
        }))
    }

    /// Glorot/Xavier uniform: `U(−l, l)` with `l = √(6 / (fan_in + fan_out))`; Keras'
    /// default kernel initializer. Fans as in [`fans`].
    ///
    /// ```
    /// use derin_tensor::{Rng, Tensor};
    /// let w = Tensor::glorot_uniform(&[300, 100], &mut Rng::seed(0));
    /// let limit = (6.0f32 / 400.0).sqrt();
    /// assert!(w.to_vec().iter().all(|v| v.abs() <= limit));
    /// ```
    pub fn glorot_uniform(shape: &[usize], rng: &mut Rng) -> Tensor {
        let (i, o) = fans(shape);
        let l = (6.0 / (i + o) as f32).sqrt();
        Tensor::uniform(shape, -l, l, rng)
    }

    /// Glorot/Xavier normal: truncated normal with std `√(2 / (fan_in + fan_out))`
    /// (after Keras' truncation correction).
    pub fn glorot_normal(shape: &[usize], rng: &mut Rng) -> Tensor {
        let (i, o) = fans(shape);
        Tensor::truncated_normal(shape, 0.0, (2.0 / (i + o) as f32).sqrt() / TRUNC_STD, rng)
    }

    /// He/Kaiming uniform: `U(−l, l)` with `l = √(6 / fan_in)`, for ReLU layers.
    pub fn he_uniform(shape: &[usize], rng: &mut Rng) -> Tensor {
        let l = (6.0 / fans(shape).0 as f32).sqrt();
        Tensor::uniform(shape, -l, l, rng)
    }

    /// He/Kaiming normal: truncated normal with std `√(2 / fan_in)` (after Keras'
    /// truncation correction).
    pub fn he_normal(shape: &[usize], rng: &mut Rng) -> Tensor {
        let std = (2.0 / fans(shape).0 as f32).sqrt() / TRUNC_STD;
        Tensor::truncated_normal(shape, 0.0, std, rng)
    }

    /// A (semi-)orthogonal matrix times `gain`, Keras' recurrent-kernel default: the
    /// shape is flattened to `[∏ shape[..-1], shape[-1]]`, and the Q of a QR
    /// decomposition of a normal matrix (signs fixed by R's diagonal) fills it.
    ///
    /// ```
    /// use derin_tensor::{Rng, Tensor};
    /// let q = Tensor::orthogonal(&[4, 4], 1.0, &mut Rng::seed(1));
    /// let qtq = q.transpose(0, 1).matmul(&q);
    /// for (i, v) in qtq.to_vec().iter().enumerate() {
    ///     let want = if i % 5 == 0 { 1.0 } else { 0.0 };
    ///     assert!((v - want).abs() < 1e-5);
    /// }
    /// ```
    ///
    /// # Panics
    /// If the shape has fewer than 2 dimensions.
    pub fn orthogonal(shape: &[usize], gain: f32, rng: &mut Rng) -> Tensor {
        assert!(shape.len() >= 2, "orthogonal: needs at least 2 dimensions, got shape {shape:?}");
        let cols = *shape.last().expect("2-D");
        let rows: usize = shape[..shape.len() - 1].iter().product();
        // Orthonormalise the columns of a tall (big × small) normal matrix.
        let (big, small) = (rows.max(cols), rows.min(cols));
        let mut q: Vec<Vec<f64>> = (0..small).map(|_| (0..big).map(|_| rng.normal() as f64).collect()).collect();
        for j in 0..small {
            for p in 0..j {
                let d: f64 = (0..big).map(|r| q[j][r] * q[p][r]).sum();
                for r in 0..big {
                    q[j][r] -= d * q[p][r];
                }
            }
            let norm = q[j].iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-30);
            q[j].iter_mut().for_each(|v| *v /= norm);
        }
        let values = ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |ix| {
            let (r, c) = (ix[0], ix[1]);
            let v = if rows >= cols { q[c][r] } else { q[r][c] };
            gain * v as f32
        });
        Tensor::from_array(values.into_shape_with_order(IxDyn(shape)).expect("same size"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_std(t: &Tensor) -> (f32, f32) {
        let v = t.to_vec();
        let m = v.iter().sum::<f32>() / v.len() as f32;
        (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f32>() / v.len() as f32).sqrt())
    }

    #[test]
    fn same_seed_same_values() {
        let a = Tensor::normal(&[10], 0.0, 1.0, &mut Rng::seed(3));
        let b = Tensor::normal(&[10], 0.0, 1.0, &mut Rng::seed(3));
        assert_eq!(a.to_vec(), b.to_vec());
        assert_ne!(a.to_vec(), Tensor::normal(&[10], 0.0, 1.0, &mut Rng::seed(4)).to_vec());
    }

    #[test]
    fn initializers_have_their_documented_spread() {
        let mut rng = Rng::seed(11);
        let (m, s) = mean_std(&Tensor::normal(&[20000], 1.0, 2.0, &mut rng));
        assert!((m - 1.0).abs() < 0.05 && (s - 2.0).abs() < 0.05, "{m} {s}");
        // Glorot-uniform on [200, 300]: variance l²/3 = 2/(fan_in+fan_out).
        let (_, s) = mean_std(&Tensor::glorot_uniform(&[200, 300], &mut rng));
        assert!((s - (2.0f32 / 500.0).sqrt()).abs() < 0.002, "{s}");
        // He-normal on a conv kernel [out 64, in 32, 3, 3]: fan_in 288, std √(2/288).
        let (_, s) = mean_std(&Tensor::he_normal(&[64, 32, 3, 3], &mut rng));
        assert!((s - (2.0f32 / 288.0).sqrt()).abs() < 0.003, "{s}");
        let (_, s) = mean_std(&Tensor::glorot_normal(&[200, 300], &mut rng));
        assert!((s - (2.0f32 / 500.0).sqrt()).abs() < 0.002, "{s}");
        let (_, s) = mean_std(&Tensor::he_uniform(&[400, 10], &mut rng));
        assert!((s - (2.0f32 / 400.0).sqrt()).abs() < 0.003, "{s}");
        let tn = Tensor::truncated_normal(&[5000], 0.0, 1.0, &mut rng);
        assert!(tn.to_vec().iter().all(|v| v.abs() <= 2.0));
    }

    #[test]
    fn fans_follow_the_layouts() {
        assert_eq!(fans(&[784, 128]), (784, 128));
        assert_eq!(fans(&[64, 32, 3, 3]), (288, 576));
        assert_eq!(fans(&[10]), (10, 10));
    }

    #[test]
    fn orthogonal_wide_matrix_has_orthonormal_rows() {
        let q = Tensor::orthogonal(&[3, 5], 2.0, &mut Rng::seed(2));
        let qqt = q.matmul(&q.transpose(0, 1)).to_vec();
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 4.0 } else { 0.0 };
                assert!((qqt[i * 3 + j] - want).abs() < 1e-4);
            }
        }
    }
}
