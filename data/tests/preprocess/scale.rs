//! Scalers against scikit-learn's formulas worked by hand: min-max, standard with the
//! population standard deviation, constant columns, NaN, inverse and JSON round trips.

use approx::assert_abs_diff_eq;
use derin_data::ndarray::{Array2, array};
use derin_data::{Error, MinMaxScaler, Scaler, StandardScaler};
use derin_tensor::Tensor;
use proptest::prelude::*;

use crate::temp_path;

fn x() -> Array2<f32> {
    array![[1.0, 10.0], [2.0, 20.0], [3.0, 60.0]]
}

fn assert_close(a: &Array2<f32>, b: &Array2<f32>, eps: f32) {
    assert_eq!(a.shape(), b.shape());
    assert!(a.iter().zip(b).all(|(p, q)| (p - q).abs() <= eps), "{a} != {b}");
}

#[test]
fn min_max_by_hand() {
    let mut s = MinMaxScaler::new();
    let y = s.fit_transform(&x()).unwrap();
    assert_eq!(y, array![[0.0, 0.0], [0.5, 0.2], [1.0, 1.0]]);
    assert_eq!((s.data_min().unwrap(), s.data_max().unwrap()), (&[1.0, 10.0][..], &[3.0, 60.0][..]));
    let mut s = MinMaxScaler::with_range(-1.0, 1.0).unwrap();
    assert_close(&s.fit_transform(&x()).unwrap(), &array![[-1.0, -1.0], [0.0, -0.6], [1.0, 1.0]], 1e-6);
    // Values outside the fitted range map outside the target range (no clipping).
    assert_eq!(s.transform(&array![[5.0, 110.0]]).unwrap(), array![[3.0, 3.0]]);
}

#[test]
fn standard_by_hand_with_population_std() {
    let mut s = StandardScaler::new();
    let z = s.fit_transform(&x()).unwrap();
    // Column 0: mean 2, variance (1 + 0 + 1) / 3; column 1: mean 30, variance 1400 / 3.
    let (d0, d1) = ((2.0f64 / 3.0).sqrt(), (1400.0f64 / 3.0).sqrt());
    assert_eq!(s.mean().unwrap(), &[2.0, 30.0]);
    assert_abs_diff_eq!(s.scale().unwrap()[0], d0, epsilon = 1e-12);
    assert_abs_diff_eq!(s.scale().unwrap()[1], d1, epsilon = 1e-12);
    let want = array![
        [(-1.0 / d0) as f32, (-20.0 / d1) as f32],
        [0.0, (-10.0 / d1) as f32],
        [(1.0 / d0) as f32, (30.0 / d1) as f32]
    ];
    assert_close(&z, &want, 1e-6);
    assert_abs_diff_eq!(z[[0, 0]], -1.224_744_9, epsilon = 1e-6);
}

#[test]
fn constant_columns_use_scale_one() {
    let c = array![[5.0, 1.0], [5.0, 2.0]];
    let mut st = StandardScaler::new();
    assert_eq!(st.fit_transform(&c).unwrap().column(0).to_vec(), vec![0.0, 0.0]);
    assert_eq!(st.scale().unwrap()[0], 1.0);
    let mut mm = MinMaxScaler::with_range(2.0, 3.0).unwrap();
    assert_eq!(mm.fit_transform(&c).unwrap().column(0).to_vec(), vec![2.0, 2.0]);
}

#[test]
fn nan_is_left_out_of_fit_and_kept_by_transform() {
    let x = array![[1.0], [f32::NAN], [3.0]];
    let mut s = StandardScaler::new();
    let z = s.fit_transform(&x).unwrap();
    assert_eq!(s.mean().unwrap(), &[2.0]);
    assert_eq!((z[[0, 0]], z[[2, 0]]), (-1.0, 1.0));
    assert!(z[[1, 0]].is_nan());
}

#[test]
fn errors_name_what_was_wrong() {
    let s = StandardScaler::new();
    assert!(s.transform(&x()).unwrap_err().to_string().contains("StandardScaler::transform: call fit first"));
    let mut s = MinMaxScaler::new();
    s.fit(&x()).unwrap();
    let msg = s.transform(&array![[1.0, 2.0, 3.0]]).unwrap_err().to_string();
    assert!(msg.contains("x has 3 columns, the scaler was fitted on 2"), "{msg}");
    let msg = s.inverse_transform(&array![[1.0]]).unwrap_err().to_string();
    assert!(msg.contains("x has 1 columns, the scaler was fitted on 2"), "{msg}");
    let msg = StandardScaler::new().fit(&array![[1.0, f32::INFINITY]]).unwrap_err().to_string();
    assert!(msg.contains("x[0, 1] is inf"), "{msg}");
    assert!(StandardScaler::new().fit(&Array2::zeros((0, 2))).is_err());
    assert!(StandardScaler::new().fit(&array![[f32::NAN]]).unwrap_err().to_string().contains("only NaN"));
    assert!(MinMaxScaler::with_range(1.0, 0.0).is_err());
}

#[test]
fn tensor_conveniences() {
    let mut s = StandardScaler::new();
    s.fit(&x()).unwrap();
    let t = Tensor::from_array(x().into_dyn());
    let z = s.transform_tensor(&t).unwrap();
    assert_eq!(z.shape(), &[3, 2]);
    let back = s.inverse_transform_tensor(&z).unwrap().to_array().into_dimensionality().unwrap();
    assert_close(&back, &x(), 1e-5);
    let msg = s.transform_tensor(&Tensor::zeros(&[2, 2, 2])).unwrap_err().to_string();
    assert!(msg.contains("got shape [2, 2, 2]"), "{msg}");
}

#[test]
fn json_round_trips() {
    let (p1, p2) = (temp_path("minmax.json"), temp_path("standard.json"));
    let mut mm = MinMaxScaler::with_range(-2.0, 5.0).unwrap();
    mm.fit(&x()).unwrap();
    let mut st = StandardScaler::new().with_mean(false);
    st.fit(&x()).unwrap();
    mm.save(&p1).unwrap();
    st.save(&p2).unwrap();
    let (mm2, st2) = (MinMaxScaler::load(&p1).unwrap(), StandardScaler::load(&p2).unwrap());
    assert_eq!((&mm2, &st2), (&mm, &st));
    assert_eq!(mm2.transform(&x()).unwrap(), mm.transform(&x()).unwrap());
    assert_eq!(st2.transform(&x()).unwrap(), st.transform(&x()).unwrap());
    // An unfitted scaler saves and loads too, and still refuses to transform.
    StandardScaler::new().save(&p2).unwrap();
    assert!(StandardScaler::load(&p2).unwrap().transform(&x()).is_err());
    std::fs::write(&p1, "[1, 2]").unwrap();
    assert!(matches!(MinMaxScaler::load(&p1), Err(Error::Json { .. })));
    std::fs::remove_file(&p1).unwrap();
    std::fs::remove_file(&p2).unwrap();
}

proptest! {
    #[test]
    fn inverse_undoes_transform(values in proptest::collection::vec(-1e3f32..1e3, 2..40), cols in 1usize..4) {
        let rows = values.len() / cols;
        prop_assume!(rows >= 1);
        let x = Array2::from_shape_vec((rows, cols), values[..rows * cols].to_vec()).unwrap();
        let mut mm = MinMaxScaler::new();
        let mut st = StandardScaler::new();
        let y = mm.fit_transform(&x).unwrap();
        prop_assert!(y.iter().all(|&v| (-1e-6..=1.0 + 1e-6).contains(&v)));
        let back = mm.inverse_transform(&y).unwrap();
        prop_assert!(back.iter().zip(&x).all(|(a, b)| (a - b).abs() <= 1e-3));
        let z = st.fit_transform(&x).unwrap();
        let back = st.inverse_transform(&z).unwrap();
        prop_assert!(back.iter().zip(&x).all(|(a, b)| (a - b).abs() <= 1e-3));
    }
}
