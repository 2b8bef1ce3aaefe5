//! How ops take axes: an [`AxisIndex`] is a `usize` counted from the front or a signed
//! integer where −1 is the last axis (NumPy's and PyTorch's convention); ops on several
//! axes take a slice of them. Every op resolves them here, so out-of-range axes panic with
//! one message naming the op, the axis and the rank.

mod sealed {
    pub trait Sealed {}
}

/// One axis: a `usize` (`0..rank`) or a signed integer (`-rank..rank`, negative values
/// counting from the end, so −1 is the last axis), as NumPy and PyTorch take them.
///
/// Implemented for `usize`, `isize`, `i32` and `i64`; an integer literal passed as an axis,
/// such as `-1`, is an `i32`. Every op with an `axis` parameter takes any of them, and ops
/// on several axes (`sum`, `mean`, …, `permute`) a slice of them: `&[0, -1]`.
///
/// ```
/// use derin_tensor::{AxisIndex, Tensor};
///
/// assert_eq!((-1i32).resolve("doc", &[2, 3, 4]), 2);
/// assert_eq!(0usize.resolve("doc", &[2, 3, 4]), 0);
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(x.softmax(-1).to_vec(), x.softmax(1).to_vec());
/// assert_eq!(x.sum(&[-1], false).to_vec(), vec![3.0, 7.0]);
/// ```
pub trait AxisIndex: Copy + std::fmt::Display + sealed::Sealed {
    /// The axis as a position in `0..shape.len()`.
    ///
    /// # Panics
    /// If the axis is outside `-rank..rank`; the message names `op`, the axis, the shape
    /// and its rank.
    ///
    /// ```
    /// # use derin_tensor::AxisIndex;
    /// assert_eq!((-3i32).resolve("sum", &[5, 6, 7]), 0);
    /// let message = std::panic::catch_unwind(|| (-4i32).resolve("sum", &[5, 6, 7])).unwrap_err();
    /// assert_eq!(
    ///     message.downcast_ref::<String>().unwrap(),
    ///     "sum: axis -4 is out of range for shape [5, 6, 7] of rank 3 (valid: -3..=2)"
    /// );
    /// ```
    fn resolve(self, op: &str, shape: &[usize]) -> usize {
        match self.signed().and_then(|a| wrap(a, shape.len())) {
            Some(axis) => axis,
            None => panic!("{op}: axis {self} is out of range for shape {shape:?} of rank {}", rank_range(shape.len())),
        }
    }

    /// The position where a new axis goes, in `0..=shape.len()` (for `unsqueeze` and
    /// `stack`): a signed axis counts from the end of the result, so −1 appends.
    ///
    /// # Panics
    /// If the position is outside `-(rank + 1)..=rank`; the message names `op`, the axis
    /// and the shape.
    ///
    /// ```
    /// # use derin_tensor::AxisIndex;
    /// assert_eq!((-1i32).resolve_new("unsqueeze", &[2, 3]), 2);
    /// assert_eq!(0usize.resolve_new("unsqueeze", &[2, 3]), 0);
    /// assert!(std::panic::catch_unwind(|| 3usize.resolve_new("unsqueeze", &[2, 3])).is_err());
    /// ```
    fn resolve_new(self, op: &str, shape: &[usize]) -> usize {
        let n = shape.len() + 1;
        match self.signed().and_then(|a| wrap(a, n)) {
            Some(axis) => axis,
            None => panic!(
                "{op}: axis {self} is out of range for a new axis in shape {shape:?} of rank {} (valid: -{n}..={})",
                shape.len(),
                n - 1
            ),
        }
    }

    /// The axis as an `i64`; `None` for a `usize` above `i64::MAX` (out of range anyway).
    #[doc(hidden)]
    fn signed(self) -> Option<i64>;
}

/// `axis` in `0..n`, counting negative values from the end.
fn wrap(axis: i64, n: usize) -> Option<usize> {
    let n = i64::try_from(n).ok()?;
    let axis = if axis < 0 { axis + n } else { axis };
    (0..n).contains(&axis).then_some(axis as usize)
}

/// `"2 (valid: -2..=1)"`, or `"0 (no axes)"`.
fn rank_range(rank: usize) -> String {
    if rank == 0 { "0 (no axes)".into() } else { format!("{rank} (valid: -{rank}..={})", rank - 1) }
}

macro_rules! axis_index {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl AxisIndex for $t {
            fn signed(self) -> Option<i64> {
                i64::try_from(self).ok()
            }
        }
    )*};
}

axis_index!(usize, isize, i32, i64);

/// Every axis of `axes` resolved against `shape` (as [`AxisIndex::resolve`]), in order.
pub(crate) fn resolve_all<A: AxisIndex>(axes: &[A], op: &str, shape: &[usize]) -> Vec<usize> {
    axes.iter().map(|a| a.resolve(op, shape)).collect()
}

#[cfg(test)]
mod tests;
