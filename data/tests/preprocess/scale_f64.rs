//! Scalers on `f64` data and their fitted attributes against scikit-learn 1.9.1 (NumPy
//! 2.4.6), values printed by `reference/scalers.py`; JSON files saved before `var` and
//! `n_samples_seen` were recorded still load.

use derin_data::ndarray::{Array2, array};
use derin_data::{MinMaxScaler, Scaler, StandardScaler};

use crate::temp_path;

/// The data of `reference/scalers.py`: column 0 needs `f64`, column 1 has a NaN, column 3
/// is constant.
fn x() -> Array2<f64> {
    array![
        [1e10 + 0.5, 3.0, -2.25, 7.0],
        [1e10 + 1.0, f64::NAN, 0.125, 7.0],
        [1e10 + 2.75, 5.5, 4.0, 7.0],
        [1e10 - 1.25, 1.0, 1e-3, 7.0],
    ]
}

fn new_row() -> Array2<f64> {
    array![[1e10 + 3.0, 0.0, -3.0, 8.0]]
}

/// Equal up to 1e-12 relative, so 0 exactly (two-pass and scikit-learn's incremental sums differ in the
/// last bits), NaN where `want` is NaN.
fn assert_close<'a>(got: impl IntoIterator<Item = &'a f64>, want: &[f64]) {
    let got: Vec<f64> = got.into_iter().copied().collect();
    assert_eq!(got.len(), want.len(), "{got:?} != {want:?}");
    for (g, w) in got.iter().zip(want) {
        let ok = if w.is_nan() { g.is_nan() } else { (g - w).abs() <= 1e-12 * w.abs() };
        assert!(ok, "{got:?} != {want:?}");
    }
}

#[test]
fn min_max_matches_scikit_learn() {
    let mut s = MinMaxScaler::with_range(-1.0, 2.0).unwrap();
    let y = s.fit_transform_f64(&x()).unwrap();
    assert_close(s.data_min().unwrap(), &[9999999998.75, 1.0, -2.25, 7.0]);
    assert_close(s.data_max().unwrap(), &[10000000002.75, 5.5, 4.0, 7.0]);
    assert_close(&s.data_range().unwrap(), &[4.0, 4.5, 6.25, 0.0]);
    assert_close(&s.scale().unwrap(), &[0.75, 0.6666666666666666, 0.48, 3.0]);
    assert_close(&s.offset().unwrap(), &[-7500000000.0625, -1.6666666666666665, 0.08000000000000007, -22.0]);
    #[rustfmt::skip]
    let want = [
        0.3125, 0.3333333333333335, -1.0, -1.0,
        0.6875, f64::NAN, 0.14000000000000007, -1.0,
        2.0, 2.0, 2.0, -1.0,
        -1.0, -0.9999999999999999, 0.08048000000000007, -1.0,
    ];
    assert_close(&y, &want);
    assert_close(&s.transform_f64(&new_row()).unwrap(), &[2.1875, -1.6666666666666665, -1.3599999999999999, 2.0]);
    let back = s.inverse_transform_f64(&Array2::from_elem((1, 4), 0.5)).unwrap();
    assert_close(&back, &[10000000000.75, 3.25, 0.8749999999999999, 7.5]);
    // The minimum lands exactly on the range's low end.
    assert_eq!(y[[3, 0]], -1.0);
}

#[test]
fn standard_matches_scikit_learn() {
    let mut s = StandardScaler::new();
    let z = s.fit_transform_f64(&x()).unwrap();
    assert_close(s.mean().unwrap(), &[10000000000.75, 3.1666666666666665, 0.469, 7.0]);
    assert_close(s.var().unwrap(), &[2.03125, 3.3888888888888893, 5.049570500000001, 0.0]);
    assert_close(s.scale().unwrap(), &[1.4252192813739224, 1.8408935028645437, 2.247124940896701, 1.0]);
    assert_eq!(s.n_samples_seen().unwrap(), &[4, 3, 4, 4]);
    #[rustfmt::skip]
    let want = [
        -0.17541160386140586, -0.09053574604251843, -1.2099905752970728, 0.0,
        0.17541160386140586, f64::NAN, -0.15308450088348402, 0.0,
        1.403292830891247, 1.2675004445952593, 1.5713411994755295, 0.0,
        -1.403292830891247, -1.1769646985527407, -0.20826612329497243, 0.0,
    ];
    assert_close(&z, &want);
    let new = s.transform_f64(&new_row()).unwrap();
    assert_close(&new, &[1.5787044347526527, -1.7201791748078519, -1.5437503882697852, 1.0]);
    let back = s.inverse_transform_f64(&Array2::from_elem((1, 4), 0.5)).unwrap();
    assert_close(&back, &[10000000001.46261, 4.087113418098938, 1.5925624704483505, 7.5]);
}

#[test]
fn f32_and_f64_paths_share_the_fitted_statistics() {
    let x32 = array![[1.0_f32, -4.0], [2.5, 6.0], [4.0, 1.0]];
    let (mut a, mut b) = (StandardScaler::new(), StandardScaler::new());
    a.fit(&x32).unwrap();
    b.fit_f64(&x32.mapv(f64::from)).unwrap();
    assert_eq!(a, b);
    // Fitted on f64, transforming f32 (and back) gives the f64 result rounded.
    let z32 = b.transform(&x32).unwrap();
    assert_eq!(z32, b.transform_f64(&x32.mapv(f64::from)).unwrap().mapv(|v| v as f32));
    let mut m = MinMaxScaler::new();
    m.fit_f64(&x32.mapv(f64::from)).unwrap();
    assert_eq!(m.transform(&x32).unwrap(), array![[0.0, 0.0], [0.5, 1.0], [1.0, 0.5]]);
}

#[test]
fn nearly_constant_columns_scale_by_one_as_scikit_learn() {
    // A standard deviation of 1e-9 is real spread, not rounding: it is kept
    // (scikit-learn 1.9.1: scale_ 9.999999717180685e-10).
    let mut s = StandardScaler::new();
    s.fit_f64(&array![[1.0], [1.0 + 2e-9]]).unwrap();
    assert_close(s.scale().unwrap(), &[9.999999717180685e-10]);
    // A range below 10 machine epsilons counts as constant in MinMaxScaler.
    let mut m = MinMaxScaler::new();
    m.fit_f64(&array![[0.0], [1e-15]]).unwrap();
    assert_eq!((m.data_range().unwrap(), m.scale().unwrap()), (vec![1e-15], vec![1.0]));
}

#[test]
fn f64_errors_name_what_was_wrong() {
    let mut s = StandardScaler::new();
    assert!(s.transform_f64(&x()).unwrap_err().to_string().contains("StandardScaler::transform: call fit first"));
    let msg = s.fit_f64(&array![[1.0, f64::INFINITY]]).unwrap_err().to_string();
    assert!(msg.contains("StandardScaler::fit: x[0, 1] is inf"), "{msg}");
    s.fit_f64(&x()).unwrap();
    let msg = s.inverse_transform_f64(&array![[1.0]]).unwrap_err().to_string();
    assert!(msg.contains("x has 1 columns, the scaler was fitted on 4"), "{msg}");
    assert!(MinMaxScaler::new().fit_f64(&Array2::zeros((0, 3))).is_err());
    assert!(MinMaxScaler::new().transform_f64(&x()).is_err());
    assert!(StandardScaler::new().var().is_none() && StandardScaler::new().n_samples_seen().is_none());
    assert!(MinMaxScaler::new().scale().is_none() && MinMaxScaler::new().offset().is_none());
}

#[test]
fn json_keeps_the_new_attributes_and_reads_older_files() {
    let path = temp_path("standard_f64.json");
    let mut s = StandardScaler::new();
    s.fit_f64(&x()).unwrap();
    s.save(&path).unwrap();
    let loaded = StandardScaler::load(&path).unwrap();
    assert_eq!(loaded.var(), s.var());
    assert_eq!(loaded.n_samples_seen(), Some(&[4, 3, 4, 4][..]));
    // Written by the previous version: no `var`, no `n_samples_seen`.
    let old = r#"{"with_mean": true, "with_std": true, "mean": [2.0], "scale": [0.5]}"#;
    std::fs::write(&path, old).unwrap();
    let old = StandardScaler::load(&path).unwrap();
    assert_eq!((old.var(), old.n_samples_seen()), (None, None));
    assert_eq!(old.transform_f64(&array![[3.0]]).unwrap(), array![[2.0]]);
    // Attributes that contradict each other are refused, naming the problem.
    let bad = r#"{"with_mean": true, "with_std": true, "mean": [2.0], "scale": [0.5], "var": [0.25, 1.0]}"#;
    std::fs::write(&path, bad).unwrap();
    assert!(StandardScaler::load(&path).unwrap_err().to_string().contains("2 variances for 1 columns"));
    let bad = r#"{"with_mean": true, "with_std": true, "mean": [2.0], "scale": [0.5], "var": [-1.0]}"#;
    std::fs::write(&path, bad).unwrap();
    assert!(StandardScaler::load(&path).unwrap_err().to_string().contains("column 0: variance -1 is negative"));
    let bad = r#"{"with_mean": true, "with_std": true, "mean": [2.0], "scale": [0.5], "n_samples_seen": [1, 2]}"#;
    std::fs::write(&path, bad).unwrap();
    assert!(StandardScaler::load(&path).unwrap_err().to_string().contains("2 sample counts for 1 columns"));
    std::fs::remove_file(&path).unwrap();
}
