//! Row-sparse gradients: what a lookup into a big table (an embedding) sends back, so
//! that a step touching 640 rows of a 100,000-row table never allocates the whole table.

use ndarray::{Array2, ArrayD, ArrayViewMut2, Axis, IxDyn};

/// A gradient that is zero outside some rows (entries of axis 0) of its tensor: the
/// rows `rows()` hold `values()`, row `k` of `values` belonging to row `rows()[k]`.
///
/// Backward makes one for [`index_select`](crate::Tensor::index_select) along axis 0 of
/// a parameter or leaf (an `Embedding` table). In the [`Gradients`](crate::Gradients)
/// store the rows are sorted and distinct (a row looked up twice holds the sum).
///
/// ```
/// use derin_tensor::{Param, Tensor};
/// let table = Param::new("embeddings", Tensor::zeros(&[5, 2]).to_array());
/// let loss = table.value().index_select(0, &[3, 1, 3]).sum_all();
/// let grads = loss.backward();
/// let g = grads.rows(&table).unwrap();
/// assert_eq!(g.rows(), &[1, 3]);
/// assert_eq!(g.values().as_slice().unwrap(), &[1.0, 1.0, 2.0, 2.0]);
/// assert_eq!(g.shape(), &[5, 2]);
/// // asked for densely, it is the full gradient:
/// assert_eq!(grads.param(&table).unwrap().as_slice().unwrap(), &[0., 0., 1., 1., 0., 0., 2., 2., 0., 0.]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RowSparse {
    shape: Vec<usize>,
    rows: Vec<usize>,
    values: Array2<f32>,
}

impl RowSparse {
    /// The gradient of a tensor of `shape` that holds `values` (one row per entry of
    /// `rows`, each with the product of `shape[1..]` values) and zero elsewhere. Rows may
    /// repeat and come in any order; repeats add up.
    ///
    /// # Panics
    /// If `shape` is 0-d, `values` does not have `rows.len()` rows of the right length, or
    /// a row is not below `shape[0]`.
    pub fn new(shape: &[usize], rows: Vec<usize>, values: Array2<f32>) -> Self {
        assert!(!shape.is_empty(), "RowSparse::new: a 0-d tensor has no rows");
        let width: usize = shape[1..].iter().product();
        assert_eq!(
            values.dim(),
            (rows.len(), width),
            "RowSparse::new: {} rows of shape {shape:?} need values of shape [{}, {width}]",
            rows.len(),
            rows.len()
        );
        if let Some(&r) = rows.iter().find(|&&r| r >= shape[0]) {
            panic!("RowSparse::new: row {r} is out of range for shape {shape:?}");
        }
        RowSparse { shape: shape.to_vec(), rows, values }
    }

    /// The shape of the tensor this is the gradient of.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The rows that may be non-zero.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// Their values, `[rows().len(), product of shape[1..]]`.
    pub fn values(&self) -> &Array2<f32> {
        &self.values
    }

    /// The values, to scale or clip in place.
    pub fn values_mut(&mut self) -> ArrayViewMut2<'_, f32> {
        self.values.view_mut()
    }

    /// The number of scalars per row.
    pub fn row_len(&self) -> usize {
        self.values.ncols()
    }

    /// The dense gradient (allocates the whole tensor).
    pub fn to_dense(&self) -> ArrayD<f32> {
        let mut dense = ArrayD::zeros(IxDyn(&self.shape));
        self.add_to(&mut dense);
        dense
    }

    /// Adds the rows onto a dense gradient of the same shape.
    pub(crate) fn add_to(&self, dense: &mut ArrayD<f32>) {
        let width = self.row_len();
        let mut flat = dense.view_mut().into_shape_with_order((self.shape[0], width)).expect("row-major gradient");
        for (&r, values) in self.rows.iter().zip(self.values.outer_iter()) {
            let mut row = flat.row_mut(r);
            row += &values;
        }
    }

    /// Both sets of rows (repeats are summed later, by [`coalesce`](RowSparse::coalesce)).
    pub(crate) fn append(mut self, other: RowSparse) -> RowSparse {
        self.rows.extend(other.rows);
        self.values.append(Axis(0), other.values.view()).expect("same row length");
        self
    }

    /// Sorted, distinct rows, repeats summed.
    pub(crate) fn coalesce(self) -> RowSparse {
        if self.rows.windows(2).all(|w| w[0] < w[1]) {
            return self;
        }
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by_key(|&k| self.rows[k]);
        let mut rows: Vec<usize> = Vec::with_capacity(order.len());
        let mut values = Array2::<f32>::zeros((0, self.row_len()));
        let mut current = ndarray::Array1::<f32>::zeros(self.row_len());
        for (n, &k) in order.iter().enumerate() {
            let r = self.rows[k];
            if n > 0 && rows.last() != Some(&r) {
                values.push_row(current.view()).expect("same row length");
                current.fill(0.0);
            }
            if rows.last() != Some(&r) {
                rows.push(r);
            }
            current += &self.values.row(k);
        }
        if !rows.is_empty() {
            values.push_row(current.view()).expect("same row length");
        }
        RowSparse { shape: self.shape, rows, values }
    }
}

/// A gradient on its way through backward: dense, or row-sparse until it meets a dense one.
pub(crate) enum Grad {
    Dense(ArrayD<f32>),
    Rows(RowSparse),
}

impl Grad {
    pub(crate) fn shape(&self) -> &[usize] {
        match self {
            Grad::Dense(g) => g.shape(),
            Grad::Rows(r) => r.shape(),
        }
    }

    /// The sum of two gradients of one tensor; sparse stays sparse only with sparse.
    pub(crate) fn add(self, other: Grad) -> Grad {
        match (self, other) {
            (Grad::Dense(mut a), Grad::Dense(b)) => {
                a += &b;
                Grad::Dense(a)
            }
            (Grad::Rows(a), Grad::Rows(b)) => Grad::Rows(a.append(b)),
            (Grad::Dense(mut d), Grad::Rows(r)) | (Grad::Rows(r), Grad::Dense(mut d)) => {
                r.add_to(&mut d);
                Grad::Dense(d)
            }
        }
    }

    pub(crate) fn into_dense(self) -> ArrayD<f32> {
        match self {
            Grad::Dense(g) => g,
            Grad::Rows(r) => r.to_dense(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn coalesce_sorts_and_sums_repeats() {
        let g = RowSparse::new(&[4, 2], vec![3, 0, 3], array![[1.0, 2.0], [3.0, 4.0], [10.0, 20.0]]);
        let c = g.clone().coalesce();
        assert_eq!(c.rows(), &[0, 3]);
        assert_eq!(c.values(), &array![[3.0, 4.0], [11.0, 22.0]]);
        assert_eq!(c.to_dense(), g.to_dense());
        assert_eq!(g.to_dense().as_slice().unwrap(), &[3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 11.0, 22.0]);
    }

    #[test]
    fn sums_with_dense_and_sparse() {
        let a = RowSparse::new(&[3, 1], vec![2], array![[1.0]]);
        let b = RowSparse::new(&[3, 1], vec![0, 2], array![[5.0], [1.0]]);
        let both = Grad::Rows(a.clone()).add(Grad::Rows(b));
        assert!(matches!(both, Grad::Rows(_)));
        assert_eq!(both.into_dense().as_slice().unwrap(), &[5.0, 0.0, 2.0]);
        let dense = Grad::Dense(ArrayD::from_elem(IxDyn(&[3, 1]), 1.0)).add(Grad::Rows(a));
        assert_eq!(dense.into_dense().as_slice().unwrap(), &[1.0, 1.0, 2.0]);
    }

    #[test]
    #[should_panic(expected = "row 4 is out of range for shape [4, 2]")]
    fn rejects_rows_out_of_range() {
        RowSparse::new(&[4, 2], vec![4], array![[1.0, 2.0]]);
    }
}
