//! Class balancing with imbalanced-learn's semantics: random over-sampling, random
//! under-sampling and SMOTE, each with the sampling strategy `"auto"`.
//!
//! Classes are visited in increasing label order. The over-samplers return the original
//! rows first, in their order, then the new rows class by class (as imbalanced-learn does);
//! the under-sampler returns the kept rows grouped by class. Every sampler is seeded: the
//! same seed and data give the same result.

use std::collections::BTreeMap;

use derin_tensor::Rng;
use derin_tensor::ndarray::{Array2, ArrayView1, Axis};
use rayon::prelude::*;

use crate::error::{Error, Result};

/// How many samples each class has, by label (labels in increasing order).
///
/// # Example
/// ```
/// use derin_data::class_counts;
///
/// let counts = class_counts(&[2, 0, 2, 2]);
/// assert_eq!(counts.into_iter().collect::<Vec<_>>(), vec![(0, 1), (2, 3)]);
/// ```
pub fn class_counts(y: &[usize]) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    for &label in y {
        *counts.entry(label).or_insert(0) += 1;
    }
    counts
}

/// Random over-sampling: every class but the majority is topped up to the majority's count
/// with rows of that class drawn uniformly with replacement (imbalanced-learn's
/// `RandomOverSampler(sampling_strategy="auto")`).
///
/// # Example
/// ```
/// use derin_data::{RandomOverSampler, class_counts};
/// use derin_tensor::ndarray::array;
///
/// let x = array![[0.0f32], [1.0], [2.0], [10.0]];
/// let (x2, y2) = RandomOverSampler::new(0).fit_resample(&x, &[0, 0, 0, 1])?;
/// assert_eq!(class_counts(&y2)[&1], 3);
/// assert_eq!(x2.nrows(), 6);
/// assert!(x2.rows().into_iter().skip(4).all(|row| row[0] == 10.0));
/// # Ok::<(), derin_data::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandomOverSampler {
    /// Seed of the draws.
    pub seed: u64,
}

impl RandomOverSampler {
    /// A sampler with this seed.
    ///
    /// ```
    /// assert_eq!(derin_data::RandomOverSampler::new(3).seed, 3);
    /// ```
    pub fn new(seed: u64) -> Self {
        RandomOverSampler { seed }
    }

    /// Returns `x` and `y` with duplicated rows appended until every class has the
    /// majority's count.
    ///
    /// # Shapes
    /// `x` `[n, features]`, `y` `[n]` → `[classes × majority, features]`.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `x` and `y` have different lengths or `y` has fewer than two
    /// classes.
    ///
    /// # Example
    /// ```
    /// use derin_data::RandomOverSampler;
    /// use derin_tensor::ndarray::array;
    ///
    /// let x = array![[1.0f32, 1.0], [2.0, 2.0], [3.0, 3.0]];
    /// let (x2, y2) = RandomOverSampler::new(0).fit_resample(&x, &[4, 4, 9])?;
    /// assert_eq!(y2, vec![4, 4, 9, 9]);
    /// assert_eq!(x2.row(3), x.row(2));
    /// let error = RandomOverSampler::new(0).fit_resample(&x, &[4, 9]).unwrap_err();
    /// assert_eq!(error.to_string(), "RandomOverSampler: x has 3 rows but y has 2 labels");
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn fit_resample(&self, x: &Array2<f32>, y: &[usize]) -> Result<(Array2<f32>, Vec<usize>)> {
        let classes = class_rows("RandomOverSampler", x, y)?;
        let majority = classes.values().map(Vec::len).max().unwrap_or(0);
        let mut rng = Rng::seed(self.seed);
        let mut picked: Vec<usize> = (0..y.len()).collect();
        for rows in classes.values() {
            picked.extend((rows.len()..majority).map(|_| rows[rng.below(rows.len())]));
        }
        Ok(take_rows(x, y, &picked))
    }
}

/// Random under-sampling: every class but the minority is cut down to the minority's count
/// by drawing rows without replacement (imbalanced-learn's
/// `RandomUnderSampler(sampling_strategy="auto")`).
///
/// # Example
/// ```
/// use derin_data::{RandomUnderSampler, class_counts};
/// use derin_tensor::ndarray::array;
///
/// let x = array![[0.0f32], [1.0], [2.0], [10.0]];
/// let (x2, y2) = RandomUnderSampler::new(0).fit_resample(&x, &[0, 0, 0, 1])?;
/// assert_eq!(y2, vec![0, 1]);
/// assert!(x2[[0, 0]] < 3.0 && x2[[1, 0]] == 10.0);
/// # Ok::<(), derin_data::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandomUnderSampler {
    /// Seed of the draws.
    pub seed: u64,
}

impl RandomUnderSampler {
    /// A sampler with this seed.
    ///
    /// ```
    /// assert_eq!(derin_data::RandomUnderSampler::new(3).seed, 3);
    /// ```
    pub fn new(seed: u64) -> Self {
        RandomUnderSampler { seed }
    }

    /// Returns a subset of `x` and `y` in which every class has the minority's count,
    /// grouped by class in label order (the minority class keeps its rows in order).
    ///
    /// # Shapes
    /// `x` `[n, features]`, `y` `[n]` → `[classes × minority, features]`.
    ///
    /// # Errors
    /// As [`RandomOverSampler::fit_resample`].
    ///
    /// # Example
    /// ```
    /// use derin_data::{RandomUnderSampler, class_counts};
    /// use derin_tensor::ndarray::Array2;
    ///
    /// let y: Vec<usize> = (0..100).map(|i| usize::from(i % 10 == 0)).collect();
    /// let (x2, y2) = RandomUnderSampler::new(0).fit_resample(&Array2::zeros((100, 3)), &y)?;
    /// assert_eq!(class_counts(&y2).into_values().collect::<Vec<_>>(), vec![10, 10]);
    /// assert_eq!(x2.dim(), (20, 3));
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn fit_resample(&self, x: &Array2<f32>, y: &[usize]) -> Result<(Array2<f32>, Vec<usize>)> {
        let classes = class_rows("RandomUnderSampler", x, y)?;
        let minority = classes.values().map(Vec::len).min().unwrap_or(0);
        let mut rng = Rng::seed(self.seed);
        let mut picked = Vec::with_capacity(minority * classes.len());
        for rows in classes.values() {
            if rows.len() == minority {
                picked.extend(rows);
            } else {
                let mut order = rows.clone();
                rng.shuffle(&mut order);
                picked.extend(&order[..minority]);
            }
        }
        Ok(take_rows(x, y, &picked))
    }
}

/// SMOTE, the Synthetic Minority Over-sampling TEchnique (Chawla et al., 2002), with
/// imbalanced-learn's semantics and sampling strategy `"auto"`.
///
/// Every class but the majority is topped up to the majority's count with synthetic rows.
/// Each one picks a row `x` of the class uniformly, one of its `k_neighbors` nearest rows
/// of the same class `n` uniformly (Euclidean distance, `x` itself excluded, ties broken by
/// row order), and a step `u` uniform in `[0, 1)`:
///
/// `x_new = x + u · (n − x)`
///
/// # Example
/// ```
/// use derin_data::{Smote, class_counts};
/// use derin_tensor::ndarray::Array2;
///
/// // 20 majority rows on the x-axis, 6 minority rows on the y-axis.
/// let x = Array2::from_shape_fn((26, 2), |(i, j)| match (i < 20, j) {
///     (true, 0) | (false, 1) => i as f32,
///     _ => 0.0,
/// });
/// let y: Vec<usize> = (0..26).map(|i| usize::from(i >= 20)).collect();
/// let (x2, y2) = Smote::new(3).fit_resample(&x, &y)?;
/// assert_eq!(class_counts(&y2)[&1], 20);
/// // Synthetic rows lie between minority rows: on the y-axis, within their range.
/// assert!(x2.rows().into_iter().skip(26).all(|r| r[0] == 0.0 && (20.0..=25.0).contains(&r[1])));
/// # Ok::<(), derin_data::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Smote {
    /// How many nearest neighbours of the same class each synthetic row may step toward
    /// (5 in imbalanced-learn).
    pub k_neighbors: usize,
    /// Seed of the draws.
    pub seed: u64,
}

impl Smote {
    /// SMOTE with `k_neighbors = 5` (imbalanced-learn's default) and this seed.
    ///
    /// ```
    /// assert_eq!(derin_data::Smote::new(1), derin_data::Smote { k_neighbors: 5, seed: 1 });
    /// ```
    pub fn new(seed: u64) -> Self {
        Smote { k_neighbors: 5, seed }
    }

    /// Returns `x` and `y` followed by the synthetic rows of each class, in label order.
    ///
    /// # Shapes
    /// `x` `[n, features]`, `y` `[n]` → `[classes × majority, features]`.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `x` and `y` have different lengths, `y` has fewer than two
    /// classes, `k_neighbors` is 0, `x` holds a NaN or infinity, or a class that needs
    /// synthetic rows has `k_neighbors` rows or fewer (it needs `k_neighbors + 1`).
    ///
    /// # Example
    /// ```
    /// use derin_data::Smote;
    /// use derin_tensor::ndarray::array;
    ///
    /// let x = array![[0.0f32], [1.0], [2.0], [3.0], [10.0], [11.0]];
    /// let y = [0, 0, 0, 0, 1, 1];
    /// let (x2, y2) = Smote { k_neighbors: 1, seed: 0 }.fit_resample(&x, &y)?;
    /// assert_eq!(&y2[6..], [1, 1]);
    /// assert!(x2.column(0).iter().skip(6).all(|v| (10.0..=11.0).contains(v)));
    /// let error = Smote::new(0).fit_resample(&x, &y).unwrap_err();
    /// assert!(error.to_string().contains("class 1 has 2 samples but k_neighbors = 5"), "{error}");
    /// # Ok::<(), derin_data::Error>(())
    /// ```
    pub fn fit_resample(&self, x: &Array2<f32>, y: &[usize]) -> Result<(Array2<f32>, Vec<usize>)> {
        let classes = class_rows("Smote", x, y)?;
        let k = self.k_neighbors;
        if k == 0 {
            return Err(invalid("Smote", "k_neighbors must be at least 1, got 0".to_string()));
        }
        if let Some(((row, col), v)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(invalid("Smote", format!("x[{row}, {col}] is {v}; distances need finite values")));
        }
        let majority = classes.values().map(Vec::len).max().unwrap_or(0);
        let mut rng = Rng::seed(self.seed);
        let mut new_rows: Vec<f32> = Vec::new();
        let mut new_labels = Vec::new();
        for (&label, rows) in &classes {
            let needed = majority - rows.len();
            if needed == 0 {
                continue;
            }
            if rows.len() <= k {
                return Err(invalid(
                    "Smote",
                    format!(
                        "class {label} has {} samples but k_neighbors = {k} needs at least {} \
                         (lower k_neighbors or use RandomOverSampler)",
                        rows.len(),
                        k + 1
                    ),
                ));
            }
            let neighbours = nearest_neighbours(x, rows, k);
            for _ in 0..needed {
                let pick = rng.below(rows.len() * k);
                let (i, j) = (pick / k, pick % k);
                let step = rng.uniform01();
                let (from, to) = (x.row(rows[i]), x.row(rows[neighbours[i][j]]));
                new_rows.extend(from.iter().zip(&to).map(|(&a, &b)| a + step * (b - a)));
                new_labels.push(label);
            }
        }
        let synthetic = Array2::from_shape_vec((new_labels.len(), x.ncols()), new_rows).expect("rows of x's width");
        let x_out = derin_tensor::ndarray::concatenate(Axis(0), &[x.view(), synthetic.view()]).expect("same width");
        Ok((x_out, y.iter().copied().chain(new_labels).collect()))
    }
}

/// For each of `rows`, the positions (within `rows`) of its `k` nearest other rows.
pub(crate) fn nearest_neighbours(x: &Array2<f32>, rows: &[usize], k: usize) -> Vec<Vec<usize>> {
    let distance = |a: ArrayView1<f32>, b: ArrayView1<f32>| -> f64 {
        a.iter().zip(&b).map(|(&p, &q)| f64::from(p - q).powi(2)).sum()
    };
    let one = |i: usize| {
        let mut others: Vec<(f64, usize)> =
            (0..rows.len()).filter(|&j| j != i).map(|j| (distance(x.row(rows[i]), x.row(rows[j])), j)).collect();
        others.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        others.into_iter().take(k).map(|(_, j)| j).collect()
    };
    // Each row costs `rows × features`; threads pay off beyond a few hundred thousand flops.
    if rows.len() * rows.len() * x.ncols() > 1 << 18 {
        (0..rows.len()).into_par_iter().map(one).collect()
    } else {
        (0..rows.len()).map(one).collect()
    }
}

/// Checks `x` against `y` and groups row indices by class, in label order.
fn class_rows(op: &'static str, x: &Array2<f32>, y: &[usize]) -> Result<BTreeMap<usize, Vec<usize>>> {
    if x.nrows() != y.len() {
        return Err(invalid(op, format!("x has {} rows but y has {} labels", x.nrows(), y.len())));
    }
    let mut classes: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &label) in y.iter().enumerate() {
        classes.entry(label).or_default().push(i);
    }
    if classes.len() < 2 {
        return Err(invalid(op, format!("y needs at least 2 classes to balance, got {}", classes.len())));
    }
    Ok(classes)
}

/// The rows `picked` of `x` and `y`, in that order.
fn take_rows(x: &Array2<f32>, y: &[usize], picked: &[usize]) -> (Array2<f32>, Vec<usize>) {
    (x.select(Axis(0), picked), picked.iter().map(|&i| y[i]).collect())
}

fn invalid(op: &'static str, reason: String) -> Error {
    Error::Invalid { op, reason }
}

#[cfg(test)]
mod tests;
