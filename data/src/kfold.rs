//! Cross-validation folds: `KFold` and `StratifiedKFold`, with scikit-learn's
//! semantics (fold sizes differ by at most one; stratified folds keep class proportions).

use derin_tensor::Rng;

use crate::error::{Error, Result};
use crate::split::group_by_class;

/// One cross-validation round: the samples to train on and the held-out ones, both
/// ascending (as scikit-learn returns them).
///
/// ```
/// use derin_data::KFold;
/// let folds = KFold::new(2).split(4).unwrap();
/// assert_eq!(folds[0].test, vec![0, 1]);
/// assert_eq!(folds[0].train, vec![2, 3]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fold {
    /// Training samples.
    pub train: Vec<usize>,
    /// Held-out samples.
    pub test: Vec<usize>,
}

/// K-fold cross-validation: the samples (shuffled with `seed` when `shuffle`) cut into
/// `n_splits` consecutive test folds; the first `n mod n_splits` folds have
/// `⌊n / n_splits⌋ + 1` samples, the others `⌊n / n_splits⌋`.
///
/// ```
/// use derin_data::KFold;
/// let folds = KFold::new(3).split(7).unwrap();
/// let sizes: Vec<usize> = folds.iter().map(|f| f.test.len()).collect();
/// assert_eq!(sizes, vec![3, 2, 2]);
/// assert_eq!(folds[1].test, vec![3, 4]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KFold {
    /// Number of folds (at least 2).
    pub n_splits: usize,
    /// Whether to shuffle the samples before cutting them into folds.
    pub shuffle: bool,
    /// The shuffle's seed (unused without `shuffle`).
    pub seed: u64,
}

impl KFold {
    /// `n_splits` folds in sample order.
    ///
    /// ```
    /// # use derin_data::KFold;
    /// assert!(!KFold::new(5).shuffle);
    /// ```
    pub fn new(n_splits: usize) -> Self {
        KFold { n_splits, shuffle: false, seed: 0 }
    }

    /// `n_splits` folds of samples shuffled with `seed`.
    ///
    /// ```
    /// # use derin_data::KFold;
    /// let a = KFold::shuffled(3, 9).split(10).unwrap();
    /// assert_eq!(a, KFold::shuffled(3, 9).split(10).unwrap());
    /// ```
    pub fn shuffled(n_splits: usize, seed: u64) -> Self {
        KFold { n_splits, shuffle: true, seed }
    }

    /// The folds of `n` samples, each sample in exactly one test fold.
    ///
    /// # Errors
    /// If `n_splits < 2` or `n_splits > n`.
    ///
    /// ```
    /// # use derin_data::KFold;
    /// let err = KFold::new(5).split(3).unwrap_err();
    /// assert!(err.to_string().contains("5 folds cannot be made of 3 samples"));
    /// ```
    pub fn split(&self, n: usize) -> Result<Vec<Fold>> {
        check_splits("KFold::split", self.n_splits, n)?;
        let mut order: Vec<usize> = (0..n).collect();
        if self.shuffle {
            Rng::seed(self.seed).shuffle(&mut order);
        }
        let mut fold_of = vec![0; n];
        let (base, extra) = (n / self.n_splits, n % self.n_splits);
        let mut start = 0;
        for k in 0..self.n_splits {
            let size = base + usize::from(k < extra);
            for &i in &order[start..start + size] {
                fold_of[i] = k;
            }
            start += size;
        }
        Ok(folds_from_assignment(&fold_of, self.n_splits))
    }
}

/// Stratified K-fold: like [`KFold`], but each class is spread over the folds so that
/// every fold holds about the class's share (scikit-learn's `StratifiedKFold`).
///
/// The labels sorted by class are dealt round-robin to the folds, which fixes how many
/// samples of each class each fold gets: fold sizes differ by at most one, and so do a
/// class's counts in any two folds. Within a class, samples go to folds in order, or
/// shuffled with `seed` when `shuffle`.
///
/// ```
/// use derin_data::StratifiedKFold;
/// let labels = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
/// let folds = StratifiedKFold::new(2).split(&labels).unwrap();
/// for f in &folds {
///     let ones = f.test.iter().filter(|&&i| labels[i] == 1).count();
///     assert_eq!((f.test.len(), ones), (5, 3));
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StratifiedKFold {
    /// Number of folds (at least 2).
    pub n_splits: usize,
    /// Whether to shuffle each class's samples before dealing them to folds.
    pub shuffle: bool,
    /// The shuffle's seed (unused without `shuffle`).
    pub seed: u64,
}

impl StratifiedKFold {
    /// `n_splits` stratified folds, each class's samples taken in order.
    ///
    /// ```
    /// # use derin_data::StratifiedKFold;
    /// assert_eq!(StratifiedKFold::new(5).n_splits, 5);
    /// ```
    pub fn new(n_splits: usize) -> Self {
        StratifiedKFold { n_splits, shuffle: false, seed: 0 }
    }

    /// `n_splits` stratified folds, each class's samples shuffled with `seed`.
    ///
    /// ```
    /// # use derin_data::StratifiedKFold;
    /// assert!(StratifiedKFold::shuffled(5, 1).shuffle);
    /// ```
    pub fn shuffled(n_splits: usize, seed: u64) -> Self {
        StratifiedKFold { n_splits, shuffle: true, seed }
    }

    /// The folds of the samples whose classes are `labels`.
    ///
    /// # Errors
    /// If `n_splits < 2`, `n_splits > labels.len()`, or every class has fewer than
    /// `n_splits` samples (scikit-learn's rule; a class smaller than `n_splits` is
    /// otherwise allowed and is missing from some folds).
    ///
    /// ```
    /// # use derin_data::StratifiedKFold;
    /// let err = StratifiedKFold::new(3).split(&[0, 0, 1, 1]).unwrap_err();
    /// assert!(err.to_string().contains("no class has 3 samples"));
    /// ```
    pub fn split(&self, labels: &[usize]) -> Result<Vec<Fold>> {
        const OP: &str = "StratifiedKFold::split";
        let (k, n) = (self.n_splits, labels.len());
        check_splits(OP, k, n)?;
        let classes = group_by_class(labels);
        if classes.iter().all(|(_, m)| m.len() < k) {
            return Err(Error::Invalid {
                op: OP,
                reason: format!("{k} folds need a class with {k} samples; no class has {k} samples"),
            });
        }
        // Class ids sorted, dealt round-robin: fold f gets the entries f, f + k, f + 2k, ….
        let sorted: Vec<usize> =
            classes.iter().enumerate().flat_map(|(c, (_, m))| std::iter::repeat_n(c, m.len())).collect();
        let mut allocation = vec![vec![0usize; classes.len()]; k]; // [fold][class]
        for (pos, &c) in sorted.iter().enumerate() {
            allocation[pos % k][c] += 1;
        }
        let mut rng = Rng::seed(self.seed);
        let mut fold_of = vec![0; n];
        for (c, (_, members)) in classes.iter().enumerate() {
            let mut folds: Vec<usize> = (0..k).flat_map(|f| std::iter::repeat_n(f, allocation[f][c])).collect();
            if self.shuffle {
                rng.shuffle(&mut folds);
            }
            for (&i, f) in members.iter().zip(folds) {
                fold_of[i] = f;
            }
        }
        Ok(folds_from_assignment(&fold_of, k))
    }
}

fn check_splits(op: &'static str, k: usize, n: usize) -> Result<()> {
    if k < 2 {
        return Err(Error::Invalid { op, reason: format!("n_splits must be at least 2, got {k}") });
    }
    if k > n {
        return Err(Error::Invalid { op, reason: format!("{k} folds cannot be made of {n} samples") });
    }
    Ok(())
}

/// Folds from the test fold of each sample; train and test indices ascending.
fn folds_from_assignment(fold_of: &[usize], k: usize) -> Vec<Fold> {
    (0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) = (0..fold_of.len()).partition(|&i| fold_of[i] == f);
            Fold { train, test }
        })
        .collect()
}
