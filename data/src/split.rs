//! Hold-out splits: `train_test_split` (optionally stratified, scikit-learn's) and
//! `validation_split` (Keras' `validation_split`: the last samples, unshuffled).

use std::collections::HashMap;

use derin_tensor::Rng;

use crate::error::{Error, Result};

/// Shuffled train and test indices of `n` samples; the test part has
/// `⌈test_fraction · n⌉` samples, the train part the rest (scikit-learn's
/// `train_test_split`).
///
/// With `stratify = Some(labels)` each class keeps its proportion in both parts: the
/// train count of every class is `⌊count · n_train / n⌋`, and the samples left over go,
/// one each, to the classes with the largest remainders (ties drawn with the seed), as
/// scikit-learn's `StratifiedShuffleSplit`.
///
/// # Errors
/// If `test_fraction` is not inside `(0, 1)`, either part would be empty, or with
/// `stratify`: its length is not `n`, a class has a single sample, or a part is smaller
/// than the number of classes.
///
/// ```
/// use derin_data::train_test_split;
/// let (train, test) = train_test_split(10, 0.25, 0, None).unwrap();
/// assert_eq!((train.len(), test.len()), (7, 3)); // ⌈2.5⌉ = 3
///
/// let labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
/// let (_, test) = train_test_split(10, 0.5, 0, Some(&labels)).unwrap();
/// assert_eq!(test.iter().filter(|&&i| labels[i] == 1).count(), 2);
/// ```
pub fn train_test_split(
    n: usize,
    test_fraction: f64,
    seed: u64,
    stratify: Option<&[usize]>,
) -> Result<(Vec<usize>, Vec<usize>)> {
    const OP: &str = "train_test_split";
    check_fraction(OP, "test_fraction", test_fraction)?;
    let n_test = (test_fraction * n as f64).ceil() as usize;
    let n_train = n.saturating_sub(n_test);
    if n_test == 0 || n_train == 0 {
        let reason =
            format!("{n} samples with test_fraction {test_fraction} leave {n_train} to train, {n_test} to test");
        return Err(Error::Invalid { op: OP, reason });
    }
    let mut rng = Rng::seed(seed);
    let Some(labels) = stratify else {
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let train = order.split_off(n_test);
        return Ok((train, order));
    };
    if labels.len() != n {
        return Err(Error::Invalid { op: OP, reason: format!("{} stratify labels for {n} samples", labels.len()) });
    }
    let classes = group_by_class(labels);
    if let Some((label, _)) = classes.iter().find(|(_, members)| members.len() < 2) {
        let reason = format!("class {label} has a single sample; stratifying needs at least 2 per class");
        return Err(Error::Invalid { op: OP, reason });
    }
    if n_train < classes.len() || n_test < classes.len() {
        let reason =
            format!("{n_train} train and {n_test} test samples cannot hold all {} classes each", classes.len());
        return Err(Error::Invalid { op: OP, reason });
    }
    let counts: Vec<usize> = classes.iter().map(|(_, m)| m.len()).collect();
    let train_counts = approximate_mode(&counts, n_train, &mut rng);
    let (mut train, mut test) = (Vec::with_capacity(n_train), Vec::with_capacity(n_test));
    for ((_, mut members), k) in classes.into_iter().zip(train_counts) {
        rng.shuffle(&mut members);
        test.extend_from_slice(&members[k..]);
        members.truncate(k);
        train.extend(members);
    }
    rng.shuffle(&mut train);
    rng.shuffle(&mut test);
    Ok((train, test))
}

/// Keras' `validation_split`: the first `⌊n · (1 − fraction)⌋` samples train, the rest
/// validate, in order and unshuffled (so shuffle the data first if it is sorted).
///
/// # Errors
/// If `fraction` is not inside `(0, 1)` or either part would be empty.
///
/// ```
/// use derin_data::validation_split;
/// let (train, val) = validation_split(10, 0.2).unwrap();
/// assert_eq!(train, (0..8).collect::<Vec<_>>());
/// assert_eq!(val, vec![8, 9]);
/// assert!(validation_split(1, 0.5).is_err());
/// ```
pub fn validation_split(n: usize, fraction: f64) -> Result<(Vec<usize>, Vec<usize>)> {
    const OP: &str = "validation_split";
    check_fraction(OP, "fraction", fraction)?;
    let split_at = (n as f64 * (1.0 - fraction)).floor() as usize;
    if split_at == 0 || split_at >= n {
        let reason = format!(
            "{n} samples with fraction {fraction} leave {split_at} to train, {} to validate",
            n - split_at.min(n)
        );
        return Err(Error::Invalid { op: OP, reason });
    }
    Ok(((0..split_at).collect(), (split_at..n).collect()))
}

fn check_fraction(op: &'static str, name: &str, f: f64) -> Result<()> {
    if f > 0.0 && f < 1.0 {
        Ok(())
    } else {
        Err(Error::Invalid { op, reason: format!("{name} must lie strictly between 0 and 1, got {f}") })
    }
}

/// The samples of each class, classes in order of first appearance (as scikit-learn
/// encodes them), samples ascending.
pub(crate) fn group_by_class(labels: &[usize]) -> Vec<(usize, Vec<usize>)> {
    let mut position: HashMap<usize, usize> = HashMap::new();
    let mut classes: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, &label) in labels.iter().enumerate() {
        let k = *position.entry(label).or_insert_with(|| {
            classes.push((label, Vec::new()));
            classes.len() - 1
        });
        classes[k].1.push(i);
    }
    classes
}

/// Splits `draws` among classes of sizes `counts` in proportion (scikit-learn's
/// `_approximate_mode`): `⌊count · draws / total⌋` each, then one more for the classes
/// with the largest remainders, ties broken at random. Exact integer arithmetic.
fn approximate_mode(counts: &[usize], draws: usize, rng: &mut Rng) -> Vec<usize> {
    let total: u128 = counts.iter().map(|&c| c as u128).sum();
    let scaled: Vec<u128> = counts.iter().map(|&c| c as u128 * draws as u128).collect();
    let mut out: Vec<usize> = scaled.iter().map(|&s| (s / total) as usize).collect();
    let mut need = draws - out.iter().sum::<usize>();
    let mut remainders: Vec<u128> = scaled.iter().map(|&s| s % total).collect();
    remainders.sort_unstable_by(|a, b| b.cmp(a));
    remainders.dedup();
    for value in remainders {
        if need == 0 {
            break;
        }
        let mut tied: Vec<usize> = (0..counts.len()).filter(|&k| scaled[k] % total == value).collect();
        rng.shuffle(&mut tied);
        for &k in tied.iter().take(need) {
            out[k] += 1;
        }
        need -= tied.len().min(need);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approximate_mode_hand_checked() {
        let mut rng = Rng::seed(0);
        // 7 of [6, 4]: 4.2 and 2.8 → floors 4, 2; the larger remainder (0.8) gets one more.
        assert_eq!(approximate_mode(&[6, 4], 7, &mut rng), vec![4, 3]);
        // 1 of [1, 1]: a tie, one of the two gets it.
        let one = approximate_mode(&[1, 1], 1, &mut rng);
        assert_eq!(one.iter().sum::<usize>(), 1);
        assert_eq!(approximate_mode(&[5, 5, 5], 15, &mut rng), vec![5, 5, 5]);
    }

    #[test]
    fn classes_in_order_of_first_appearance() {
        assert_eq!(group_by_class(&[3, 1, 3, 0]), vec![(3, vec![0, 2]), (1, vec![1]), (0, vec![3])]);
    }
}
