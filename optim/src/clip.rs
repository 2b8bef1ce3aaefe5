//! Gradient clipping: by value, by each gradient's norm, and by the global norm.

use derin_tensor::Gradients;

/// Clamps every gradient element into `[min, max]` (Keras' `clipvalue` uses `[-v, v]`).
/// A row-sparse gradient stays sparse when the range holds 0 (its zeros stay zeros).
///
/// # Panics
/// When `min > max` or either is NaN.
///
/// ```
/// use derin_optim::clip_by_value;
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("w", Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).to_array());
/// let mut grads = (&w.value() * &Tensor::from_vec(vec![-5.0, 0.5, 5.0], &[3])).sum_all().backward();
/// clip_by_value(&mut grads, -1.0, 1.0);
/// assert_eq!(grads.param(&w).unwrap().as_slice().unwrap(), &[-1.0, 0.5, 1.0]);
/// ```
pub fn clip_by_value(grads: &mut Gradients, min: f32, max: f32) {
    assert!(min <= max, "clip_by_value: min ({min}) must be <= max ({max})");
    if (min..=max).contains(&0.0) {
        // Zeros stay zeros: a row-sparse gradient is clipped in its rows alone.
        for (_, mut g) in grads.values_mut() {
            g.mapv_inplace(|x| x.clamp(min, max));
        }
    } else {
        for (_, g) in grads.iter_mut() {
            g.mapv_inplace(|x| x.clamp(min, max));
        }
    }
}

/// Scales each gradient whose L2 norm exceeds `max_norm` down to that norm, one gradient
/// at a time (Keras' `clipnorm`).
///
/// # Panics
/// When `max_norm` is negative or NaN.
///
/// ```
/// use derin_optim::clip_by_norm;
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("w", Tensor::from_vec(vec![0.0, 0.0], &[2]).to_array());
/// let mut grads = (&w.value() * &Tensor::from_vec(vec![3.0, 4.0], &[2])).sum_all().backward();
/// clip_by_norm(&mut grads, 1.0); // norm 5 → 1
/// assert_eq!(grads.param(&w).unwrap().as_slice().unwrap(), &[0.6, 0.8]);
/// ```
pub fn clip_by_norm(grads: &mut Gradients, max_norm: f32) {
    assert!(max_norm >= 0.0, "clip_by_norm: max_norm must be >= 0, got {max_norm}");
    for (_, mut g) in grads.values_mut() {
        let norm = g.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt();
        if norm.is_finite() && norm > max_norm as f64 {
            let scale = (max_norm as f64 / norm) as f32;
            g.mapv_inplace(|x| x * scale);
        }
    }
}

/// Scales all gradients by one factor so that their global L2 norm
/// `√(Σ over every gradient of Σ g²)` is at most `max_norm`; returns the norm **before**
/// clipping, as PyTorch's `clip_grad_norm_` does (Keras' `global_clipnorm`).
///
/// The factor is `max_norm / norm` when `norm > max_norm` and 1 otherwise (TensorFlow's
/// `clip_by_global_norm`; PyTorch divides by `norm + 1e-6`). The sum runs in `f64`. When the
/// norm is infinite or NaN the gradients are left as they are, so the caller can check the
/// returned value and skip the step.
///
/// # Panics
/// When `max_norm` is negative or NaN.
///
/// ```
/// use derin_optim::clip_by_global_norm;
/// use derin_tensor::{Param, Tensor};
/// let a = Param::new("a", Tensor::zeros(&[1]).to_array());
/// let b = Param::new("b", Tensor::zeros(&[1]).to_array());
/// let loss = (a.value() * 3.0).sum_all() + (b.value() * 4.0).sum_all();
/// let mut grads = loss.backward(); // [3], [4]: global norm 5
/// assert_eq!(clip_by_global_norm(&mut grads, 2.5), 5.0);
/// assert_eq!(grads.param(&a).unwrap()[[0]], 1.5);
/// assert_eq!(grads.param(&b).unwrap()[[0]], 2.0);
/// ```
pub fn clip_by_global_norm(grads: &mut Gradients, max_norm: f32) -> f32 {
    assert!(max_norm >= 0.0, "clip_by_global_norm: max_norm must be >= 0, got {max_norm}");
    let sum: f64 = grads.values_mut().map(|(_, g)| g.iter().map(|&x| x as f64 * x as f64).sum::<f64>()).sum();
    let norm = sum.sqrt();
    if norm.is_finite() && norm > max_norm as f64 {
        let scale = (max_norm as f64 / norm) as f32;
        for (_, mut g) in grads.values_mut() {
            g.mapv_inplace(|x| x * scale);
        }
    }
    norm as f32
}

#[cfg(test)]
mod tests {
    use derin_tensor::{Param, Tensor};

    use super::*;

    fn two_grads(a: &[f32], b: &[f32]) -> (Param, Param, Gradients) {
        let pa = Param::new("a", Tensor::zeros(&[a.len()]).to_array());
        let pb = Param::new("b", Tensor::zeros(&[b.len()]).to_array());
        let loss = (&pa.value() * &Tensor::from_vec(a.to_vec(), &[a.len()])).sum_all()
            + (&pb.value() * &Tensor::from_vec(b.to_vec(), &[b.len()])).sum_all();
        let grads = loss.backward();
        (pa, pb, grads)
    }

    fn values(grads: &Gradients, p: &Param) -> Vec<f32> {
        grads.param(p).unwrap().iter().copied().collect()
    }

    #[test]
    fn global_norm_by_hand() {
        // g = [1, 2], [2, 4]: Σg² = 1 + 4 + 4 + 16 = 25, norm 5; max 1 → scale 0.2
        let (a, b, mut grads) = two_grads(&[1.0, 2.0], &[2.0, 4.0]);
        assert_eq!(clip_by_global_norm(&mut grads, 1.0), 5.0);
        assert_eq!(values(&grads, &a), [0.2, 0.4]);
        assert_eq!(values(&grads, &b), [0.4, 0.8]);
        // already inside: unchanged, norm returned
        assert_eq!(clip_by_global_norm(&mut grads, 10.0), 1.0);
        assert_eq!(values(&grads, &b), [0.4, 0.8]);
    }

    #[test]
    fn non_finite_norm_leaves_gradients_alone() {
        let (a, _, mut grads) = two_grads(&[f32::INFINITY, 1.0], &[1.0]);
        assert_eq!(clip_by_global_norm(&mut grads, 1.0), f32::INFINITY);
        assert_eq!(values(&grads, &a), [f32::INFINITY, 1.0]);
    }

    #[test]
    fn per_gradient_norm_and_value() {
        // a = [3, 4] (norm 5) → [1.2, 1.6] with max 2; b = [1] (norm 1) unchanged
        let (a, b, mut grads) = two_grads(&[3.0, 4.0], &[1.0]);
        clip_by_norm(&mut grads, 2.0);
        assert_eq!(values(&grads, &a), [1.2, 1.6]);
        assert_eq!(values(&grads, &b), [1.0]);
        clip_by_value(&mut grads, -0.5, 1.5);
        assert_eq!(values(&grads, &a), [1.2, 1.5]);
        assert_eq!(values(&grads, &b), [1.0]);
    }

    #[test]
    #[should_panic(expected = "clip_by_value: min (1) must be <= max (-1)")]
    fn clip_by_value_checks_its_bounds() {
        clip_by_value(&mut Gradients::default(), 1.0, -1.0);
    }
}
