//! Tests of the samplers: counts, determinism, errors, and SMOTE's geometry against a
//! brute-force nearest-neighbour search.

use derin_tensor::ndarray::Array2;
use proptest::prelude::{ProptestConfig, prop_assert, proptest};

use super::*;

/// `counts[c]` rows of class `c` (labels 0, 1, …), Gaussian around a per-class centre.
fn blobs(counts: &[usize], features: usize, seed: u64) -> (Array2<f32>, Vec<usize>) {
    let mut rng = Rng::seed(seed);
    let y: Vec<usize> = counts.iter().enumerate().flat_map(|(c, &n)| std::iter::repeat_n(c, n)).collect();
    let x = Array2::from_shape_fn((y.len(), features), |(i, _)| 3.0 * y[i] as f32 + rng.normal());
    (x, y)
}

/// The `k` nearest other rows of `i` among `rows`, by sorting all distances (the reference).
fn brute_force_knn(x: &Array2<f32>, rows: &[usize], i: usize, k: usize) -> Vec<usize> {
    let mut others: Vec<(f32, usize)> =
        rows.iter().filter(|&&r| r != i).map(|&r| ((&x.row(i) - &x.row(r)).mapv(|d| d * d).sum(), r)).collect();
    others.sort_by(|a, b| a.partial_cmp(b).unwrap());
    others.into_iter().take(k).map(|(_, r)| r).collect()
}

/// Whether `s` lies on the segment from row `a` to row `b`: returns the parameter `u`.
fn segment_parameter(s: ArrayView1<f32>, a: ArrayView1<f32>, b: ArrayView1<f32>) -> Option<f32> {
    let d = &b - &a;
    let len2 = d.dot(&d);
    let u = if len2 > 0.0 { (&s - &a).dot(&d) / len2 } else { 0.0 };
    let residual = (&s - &a - &(&d * u)).mapv(|v| v * v).sum().sqrt();
    (residual < 1e-4 * (1.0 + len2.sqrt()) && (-1e-6..=1.0 + 1e-6).contains(&u)).then_some(u)
}

/// Checks every synthetic row of a SMOTE result against the brute-force neighbours.
fn assert_on_segments(x: &Array2<f32>, y: &[usize], x2: &Array2<f32>, y2: &[usize], k: usize) {
    assert_eq!(x2.slice(derin_tensor::ndarray::s![..x.nrows(), ..]), x.view(), "originals kept first");
    assert_eq!(&y2[..y.len()], y);
    for (s, &label) in x2.rows().into_iter().zip(y2).skip(x.nrows()) {
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == label).collect();
        let found = rows.iter().any(|&i| {
            brute_force_knn(x, &rows, i, k).into_iter().any(|j| segment_parameter(s, x.row(i), x.row(j)).is_some())
        });
        assert!(found, "synthetic {s} of class {label} is on no segment to a {k}-nearest neighbour");
    }
}

#[test]
fn smote_points_lie_on_segments_to_nearest_minority_neighbours() {
    let (x, y) = blobs(&[60, 15, 9], 3, 1);
    let (x2, y2) = Smote::new(7).fit_resample(&x, &y).unwrap();
    assert_eq!(class_counts(&y2).into_values().collect::<Vec<_>>(), vec![60, 60, 60]);
    assert_on_segments(&x, &y, &x2, &y2, 5);
}

#[test]
fn smote_steps_cover_the_unit_interval() {
    let (x, y) = blobs(&[400, 20], 2, 2);
    let (x2, y2) = Smote { k_neighbors: 3, seed: 0 }.fit_resample(&x, &y).unwrap();
    let rows: Vec<usize> = (400..420).collect();
    let mut steps = Vec::new();
    for s in x2.rows().into_iter().skip(420) {
        let u = rows
            .iter()
            .flat_map(|&i| brute_force_knn(&x, &rows, i, 3).into_iter().map(move |j| (i, j)))
            .find_map(|(i, j)| segment_parameter(s, x.row(i), x.row(j)))
            .expect("on a segment");
        steps.push(u);
    }
    assert_eq!(y2.len(), 800);
    let mean = steps.iter().sum::<f32>() / steps.len() as f32;
    assert!((mean - 0.5).abs() < 0.05, "mean step {mean}");
    assert!(steps.iter().any(|&u| u < 0.05) && steps.iter().any(|&u| u > 0.95));
}

#[test]
fn samplers_are_deterministic_by_seed() {
    let (x, y) = blobs(&[30, 10, 7], 4, 3);
    let smote = |seed| Smote::new(seed).fit_resample(&x, &y).unwrap();
    assert_eq!(smote(5), smote(5));
    assert_ne!(smote(5).0, smote(6).0);
    let over = |seed| RandomOverSampler::new(seed).fit_resample(&x, &y).unwrap();
    assert_eq!(over(1), over(1));
    assert_ne!(over(1).0, over(2).0);
    let under = |seed| RandomUnderSampler::new(seed).fit_resample(&x, &y).unwrap();
    assert_eq!(under(1), under(1));
    assert_ne!(under(1).0, under(2).0);
}

#[test]
fn over_sampling_duplicates_rows_of_each_class_up_to_the_majority() {
    let (x, y) = blobs(&[5, 12, 3], 2, 4);
    let (x2, y2) = RandomOverSampler::new(0).fit_resample(&x, &y).unwrap();
    assert_eq!(class_counts(&y2).into_values().collect::<Vec<_>>(), vec![12, 12, 12]);
    assert_eq!(x2.slice(derin_tensor::ndarray::s![..20, ..]), x.view());
    // New rows come class by class (0 then 2), each a copy of a row of its class.
    assert_eq!(&y2[20..], [vec![0; 7], vec![2; 9]].concat());
    for (row, &label) in x2.rows().into_iter().zip(&y2).skip(20) {
        assert!((0..20).any(|i| y[i] == label && x.row(i) == row));
    }
}

#[test]
fn under_sampling_keeps_distinct_rows_of_each_class_down_to_the_minority() {
    let (x, y) = blobs(&[5, 12, 3], 2, 5);
    let (x2, y2) = RandomUnderSampler::new(0).fit_resample(&x, &y).unwrap();
    assert_eq!(y2, vec![0, 0, 0, 1, 1, 1, 2, 2, 2]);
    let mut sources: Vec<usize> =
        x2.rows().into_iter().map(|row| (0..20).find(|&i| x.row(i) == row).expect("a row of x")).collect();
    assert_eq!(&sources[6..], [17, 18, 19], "the minority keeps its rows in order");
    sources.sort_unstable();
    sources.dedup();
    assert_eq!(sources.len(), 9, "drawn without replacement");
}

#[test]
fn labels_need_not_be_contiguous() {
    let (x, _) = blobs(&[8, 4], 2, 6);
    let y: Vec<usize> = (0..12).map(|i| if i < 8 { 40 } else { 7 }).collect();
    let (_, y2) = Smote { k_neighbors: 2, seed: 1 }.fit_resample(&x, &y).unwrap();
    assert_eq!(class_counts(&y2).into_iter().collect::<Vec<_>>(), vec![(7, 8), (40, 8)]);
}

#[test]
fn errors_name_the_problem() {
    let (x, y) = blobs(&[10, 5], 2, 7);
    let message = |r: Result<(Array2<f32>, Vec<usize>)>| r.unwrap_err().to_string();
    assert_eq!(
        message(Smote::new(0).fit_resample(&x, &y)),
        "Smote: class 1 has 5 samples but k_neighbors = 5 needs at least 6 \
         (lower k_neighbors or use RandomOverSampler)"
    );
    assert!(Smote { k_neighbors: 4, seed: 0 }.fit_resample(&x, &y).is_ok());
    assert_eq!(
        message(RandomOverSampler::new(0).fit_resample(&x, &y[1..])),
        "RandomOverSampler: x has 15 rows but y has 14 labels"
    );
    assert_eq!(
        message(
            RandomUnderSampler::new(0).fit_resample(&x.slice(derin_tensor::ndarray::s![..10, ..]).to_owned(), &y[..10])
        ),
        "RandomUnderSampler: y needs at least 2 classes to balance, got 1"
    );
    assert!(message(Smote { k_neighbors: 0, seed: 0 }.fit_resample(&x, &y)).contains("k_neighbors must be at least 1"));
    let mut bad = x.clone();
    bad[[3, 1]] = f32::NAN;
    assert_eq!(message(Smote::new(0).fit_resample(&bad, &y)), "Smote: x[3, 1] is NaN; distances need finite values");
}

#[test]
fn nearest_neighbours_break_ties_by_row_order() {
    let x = Array2::from_shape_vec((4, 1), vec![0.0, 1.0, -1.0, 5.0]).unwrap();
    let nn = nearest_neighbours(&x, &[0, 1, 2, 3], 2);
    assert_eq!(nn[0], vec![1, 2]);
    assert_eq!(nn[3], vec![1, 0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn smote_geometry_holds_for_random_data(
        counts in proptest::collection::vec(4usize..25, 2..4),
        features in 1usize..4,
        k in 1usize..4,
        seed in 0u64..1000,
    ) {
        let (x, y) = blobs(&counts, features, seed);
        let (x2, y2) = Smote { k_neighbors: k, seed }.fit_resample(&x, &y).unwrap();
        let majority = *counts.iter().max().unwrap();
        prop_assert!(class_counts(&y2).values().all(|&n| n == majority));
        assert_on_segments(&x, &y, &x2, &y2, k);
    }
}
