//! NumPy broadcasting, elementwise kernels, and un-broadcasting of gradients (the one
//! place where a gradient is summed back to an input's shape).

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Zip};
use rayon::prelude::*;

use crate::threads::{self, PARALLEL_THRESHOLD};

/// The shape two shapes broadcast to under NumPy's rules, or `None` when they don't.
///
/// ```
/// use derin_tensor::broadcast_shapes;
/// assert_eq!(broadcast_shapes(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
/// assert_eq!(broadcast_shapes(&[2, 3], &[4]), None);
/// ```
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| if i + s.len() >= n { s[i + s.len() - n] } else { 1 };
    (0..n)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// [`broadcast_shapes`], panicking with the op's name and both shapes.
pub(crate) fn broadcast_or_panic(op: &str, a: &[usize], b: &[usize]) -> Vec<usize> {
    broadcast_shapes(a, b).unwrap_or_else(|| panic!("{op}: shapes {a:?} and {b:?} do not broadcast"))
}

/// `f` applied to every element, in parallel when the array is large.
pub(crate) fn map(a: &ArrayD<f32>, f: impl Fn(f32) -> f32 + Sync + Send) -> ArrayD<f32> {
    match a.as_slice() {
        Some(src) => {
            let out: Vec<f32> = if src.len() >= PARALLEL_THRESHOLD {
                threads::install(|| src.par_iter().with_min_len(CHUNK).map(|&x| f(x)).collect())
            } else {
                src.iter().map(|&x| f(x)).collect()
            };
            ArrayD::from_shape_vec(a.raw_dim(), out).expect("same length")
        }
        None => a.mapv(f),
    }
}

/// Elements per rayon task: large enough that splitting costs little.
const CHUNK: usize = 1 << 14;

/// `f(a, b)` elementwise over the broadcast shape.
pub(crate) fn zip_map(
    op: &str,
    a: &ArrayD<f32>,
    b: &ArrayD<f32>,
    f: impl Fn(f32, f32) -> f32 + Sync + Send,
) -> ArrayD<f32> {
    if let (true, Some(sa), Some(sb)) = (a.shape() == b.shape(), a.as_slice(), b.as_slice()) {
        let out: Vec<f32> = if sa.len() >= PARALLEL_THRESHOLD {
            threads::install(|| sa.par_iter().zip(sb).with_min_len(CHUNK).map(|(&x, &y)| f(x, y)).collect())
        } else {
            sa.iter().zip(sb).map(|(&x, &y)| f(x, y)).collect()
        };
        return ArrayD::from_shape_vec(a.raw_dim(), out).expect("same length");
    }
    let shape = broadcast_or_panic(op, a.shape(), b.shape());
    let av = a.broadcast(IxDyn(&shape)).expect("checked");
    let bv = b.broadcast(IxDyn(&shape)).expect("checked");
    zip_views(av, bv, f)
}

fn zip_views(a: ArrayViewD<'_, f32>, b: ArrayViewD<'_, f32>, f: impl Fn(f32, f32) -> f32 + Sync + Send) -> ArrayD<f32> {
    let z = Zip::from(&a).and(&b);
    if a.len() >= PARALLEL_THRESHOLD {
        threads::install(|| z.par_map_collect(|&x, &y| f(x, y)))
    } else {
        z.map_collect(|&x, &y| f(x, y))
    }
}

/// Sums `grad` down to `shape`, undoing broadcasting: leading axes are summed away and
/// axes where `shape` has 1 are summed with the dimension kept.
pub(crate) fn reduce_to_shape(grad: ArrayD<f32>, shape: &[usize]) -> ArrayD<f32> {
    if grad.shape() == shape {
        return grad;
    }
    let extra = grad.ndim() - shape.len();
    let mut g = grad;
    for _ in 0..extra {
        g = g.sum_axis(Axis(0));
    }
    for (i, &s) in shape.iter().enumerate() {
        if s == 1 && g.shape()[i] != 1 {
            g = g.sum_axis(Axis(i)).insert_axis(Axis(i));
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduce_to_shape_sums_broadcast_axes() {
        let g = ArrayD::from_elem(IxDyn(&[2, 3, 4]), 1.0f32);
        assert_eq!(reduce_to_shape(g.clone(), &[3, 1]), ArrayD::from_elem(IxDyn(&[3, 1]), 8.0));
        assert_eq!(reduce_to_shape(g.clone(), &[]), ArrayD::from_elem(IxDyn(&[]), 24.0));
        assert_eq!(reduce_to_shape(g, &[2, 1, 4]), ArrayD::from_elem(IxDyn(&[2, 1, 4]), 3.0));
    }
}
