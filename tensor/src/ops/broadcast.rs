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
    match a.as_slice_memory_order() {
        Some(src) if a.is_standard_layout() => {
            let mut out = vec![0.0f32; src.len()];
            if src.len() >= PARALLEL_THRESHOLD {
                threads::install(|| {
                    out.par_chunks_mut(4096).zip(src.par_chunks(4096)).for_each(|(o, s)| {
                        o.iter_mut().zip(s).for_each(|(o, &s)| *o = f(s));
                    })
                });
            } else {
                out.iter_mut().zip(src).for_each(|(o, &s)| *o = f(s));
            }
            ArrayD::from_shape_vec(a.raw_dim(), out).expect("same length")
        }
        _ => a.mapv(f),
    }
}

/// `f(a, b)` elementwise over the broadcast shape.
pub(crate) fn zip_map(
    op: &str,
    a: &ArrayD<f32>,
    b: &ArrayD<f32>,
    f: impl Fn(f32, f32) -> f32 + Sync + Send,
) -> ArrayD<f32> {
    if a.shape() == b.shape() && a.is_standard_layout() && b.is_standard_layout() {
        let (sa, sb) = (a.as_slice().expect("standard"), b.as_slice().expect("standard"));
        let mut out = vec![0.0f32; sa.len()];
        if sa.len() >= PARALLEL_THRESHOLD {
            threads::install(|| {
                out.par_chunks_mut(4096).zip(sa.par_chunks(4096).zip(sb.par_chunks(4096))).for_each(|(o, (x, y))| {
                    for i in 0..o.len() {
                        o[i] = f(x[i], y[i]);
                    }
                })
            });
        } else {
            for i in 0..out.len() {
                out[i] = f(sa[i], sb[i]);
            }
        }
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
