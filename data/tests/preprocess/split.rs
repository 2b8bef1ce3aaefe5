//! Hold-out splits and K-fold: sizes as scikit-learn and Keras compute them, partitions
//! that are disjoint and complete, and stratification within one sample per class.

use derin_data::{Fold, KFold, StratifiedKFold, train_test_split, validation_split};
use proptest::prelude::*;

fn count(idx: &[usize], labels: &[usize], class: usize) -> usize {
    idx.iter().filter(|&&i| labels[i] == class).count()
}

/// The test folds partition `0..n`, each train set is the complement, both ascending.
fn assert_partition(folds: &[Fold], n: usize) {
    let mut seen = vec![0; n];
    for f in folds {
        assert!(f.test.windows(2).all(|w| w[0] < w[1]) && f.train.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(f.train.len() + f.test.len(), n);
        assert!(f.train.iter().all(|i| f.test.binary_search(i).is_err()));
        f.test.iter().for_each(|&i| seen[i] += 1);
    }
    assert!(seen.iter().all(|&c| c == 1), "{seen:?}");
    let sizes: Vec<usize> = folds.iter().map(|f| f.test.len()).collect();
    assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{sizes:?}");
}

#[test]
fn train_test_sizes_follow_scikit_learn() {
    for (n, f, n_test) in [(10, 0.25, 3), (100, 0.2, 20), (569, 0.3, 171), (3, 0.5, 2), (7, 0.01, 1)] {
        let (train, test) = train_test_split(n, f, 1, None).unwrap();
        assert_eq!((train.len(), test.len()), (n - n_test, n_test), "n {n} f {f}");
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }
    assert_eq!(train_test_split(50, 0.2, 9, None).unwrap(), train_test_split(50, 0.2, 9, None).unwrap());
    assert_ne!(train_test_split(50, 0.2, 9, None).unwrap(), train_test_split(50, 0.2, 10, None).unwrap());
}

#[test]
fn stratified_train_test_keeps_proportions() {
    let labels: Vec<usize> = (0..100)
        .map(|i| {
            if i < 60 {
                0
            } else if i < 90 {
                1
            } else {
                2
            }
        })
        .collect();
    let (train, test) = train_test_split(100, 0.2, 3, Some(&labels)).unwrap();
    assert_eq!([0, 1, 2].map(|c| count(&test, &labels, c)), [12, 6, 2]);
    assert_eq!([0, 1, 2].map(|c| count(&train, &labels, c)), [48, 24, 8]);
}

#[test]
fn split_errors() {
    for f in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
        let msg = train_test_split(10, f, 0, None).unwrap_err().to_string();
        assert!(msg.contains("test_fraction must lie strictly between 0 and 1"), "{msg}");
        assert!(validation_split(10, f).is_err());
    }
    assert!(train_test_split(1, 0.5, 0, None).unwrap_err().to_string().contains("leave 0 to train, 1 to test"));
    assert!(train_test_split(4, 0.5, 0, Some(&[0, 1])).unwrap_err().to_string().contains("2 stratify labels for 4"));
    let msg = train_test_split(5, 0.4, 0, Some(&[0, 0, 0, 0, 1])).unwrap_err().to_string();
    assert!(msg.contains("class 1 has a single sample"), "{msg}");
    let msg = train_test_split(6, 0.2, 0, Some(&[0, 0, 1, 1, 2, 2])).unwrap_err().to_string();
    assert!(msg.contains("cannot hold all 3 classes"), "{msg}");
}

#[test]
fn validation_split_is_the_unshuffled_tail() {
    assert_eq!(validation_split(10, 0.2).unwrap(), ((0..8).collect(), vec![8, 9]));
    assert_eq!(validation_split(3, 0.5).unwrap(), (vec![0], vec![1, 2])); // ⌊1.5⌋ = 1
    assert!(validation_split(1, 0.5).unwrap_err().to_string().contains("leave 0 to train, 1 to validate"));
    // 1 − 1e-17 rounds to 1: nothing would be left to validate.
    assert!(validation_split(4, 1e-17).unwrap_err().to_string().contains("leave 4 to train, 0 to validate"));
}

#[test]
fn kfold_hand_checked() {
    let folds = KFold::new(3).split(8).unwrap();
    let tests: Vec<Vec<usize>> = folds.iter().map(|f| f.test.clone()).collect();
    assert_eq!(tests, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7]]);
    assert_eq!(folds[2].train, (0..6).collect::<Vec<_>>());
    assert!(KFold::new(1).split(5).unwrap_err().to_string().contains("n_splits must be at least 2, got 1"));
    assert!(KFold::new(6).split(5).is_err());
}

#[test]
fn stratified_kfold_hand_checked() {
    // Sorted labels 0,0,0,1,1,1,1,1,1,1 dealt round-robin to 3 folds: class 0 gets
    // 1/1/1, class 1 gets 3/2/2; unshuffled, each class fills its folds in order.
    let labels = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1];
    let folds = StratifiedKFold::new(3).split(&labels).unwrap();
    let tests: Vec<Vec<usize>> = folds.iter().map(|f| f.test.clone()).collect();
    assert_eq!(tests, vec![vec![0, 3, 4, 5], vec![1, 6, 7], vec![2, 8, 9]]);
}

fn labels_strategy() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0usize..4, 2..80)
}

proptest! {
    #[test]
    fn kfold_partitions(n in 2usize..120, k in 2usize..12, shuffle in any::<bool>(), seed in any::<u64>()) {
        prop_assume!(k <= n);
        let folds = KFold { n_splits: k, shuffle, seed }.split(n).unwrap();
        prop_assert_eq!(folds.len(), k);
        assert_partition(&folds, n);
    }

    #[test]
    fn stratified_kfold_partitions_and_balances(
        labels in labels_strategy(),
        k in 2usize..7,
        shuffle in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let n = labels.len();
        let result = StratifiedKFold { n_splits: k, shuffle, seed }.split(&labels);
        let biggest = (0..4).map(|c| labels.iter().filter(|&&l| l == c).count()).max().unwrap();
        if k > n || biggest < k {
            prop_assert!(result.is_err());
            return Ok(());
        }
        let folds = result.unwrap();
        assert_partition(&folds, n);
        for c in 0..4 {
            let per_fold: Vec<usize> = folds.iter().map(|f| count(&f.test, &labels, c)).collect();
            let spread = per_fold.iter().max().unwrap() - per_fold.iter().min().unwrap();
            prop_assert!(spread <= 1, "class {} {:?}", c, per_fold);
        }
    }

    #[test]
    fn stratified_train_test_is_proportional(labels in labels_strategy(), f in 0.1f64..0.9, seed in any::<u64>()) {
        let n = labels.len();
        let Ok((train, test)) = train_test_split(n, f, seed, Some(&labels)) else { return Ok(()) };
        let n_test = (f * n as f64).ceil() as usize;
        prop_assert_eq!((train.len(), test.len()), (n - n_test, n_test));
        for c in 0..4 {
            let total = count(&(0..n).collect::<Vec<_>>(), &labels, c) as f64;
            let want = total * n_test as f64 / n as f64;
            prop_assert!((count(&test, &labels, c) as f64 - want).abs() < 1.0, "class {} want {}", c, want);
        }
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
    }
}
