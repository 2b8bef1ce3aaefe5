//! Missing values: the mask, counts, dropping rows, and each imputer strategy against
//! values worked out by hand (scikit-learn 1.x `SimpleImputer` semantics).

use derin_data::{Column, CsvOptions, Error, ImputeStrategy, Imputer, Table, Value, read_csv_str};

use crate::temp_path;

/// x: 1, _, 4, 4, 10 | c: b, a, _, b, a | k: 7 everywhere but row 1.
fn table() -> Table {
    read_csv_str("x,c,k\n1,b,7\n,a,\n4,,7\n4,b,7\n10,a,7\n", &CsvOptions::default()).unwrap()
}

fn numbers(t: &Table, name: &str) -> Vec<Option<f64>> {
    match t.column(name).unwrap() {
        Column::Numeric(v) => v.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mask_counts_and_dropping() {
    let t = table();
    assert_eq!(t.isna()[1], vec![true, false, true]);
    assert_eq!(t.isna()[2], vec![false, true, false]);
    assert_eq!(t.count_missing(), vec![("x".into(), 1), ("c".into(), 1), ("k".into(), 1)]);
    assert_eq!(t.rows_with_missing(), vec![1, 2]);
    let kept = t.drop_missing_rows();
    assert_eq!(kept.n_rows(), 3);
    assert_eq!(numbers(&kept, "x"), vec![Some(1.0), Some(4.0), Some(10.0)]);
}

#[test]
fn mean_median_most_frequent_by_hand() {
    let t = table();
    // Present x: 1, 4, 4, 10 → mean 19/4 = 4.75, median (4 + 4)/2 = 4, mode 4.
    for (strategy, fill) in
        [(ImputeStrategy::Mean, 4.75), (ImputeStrategy::Median, 4.0), (ImputeStrategy::MostFrequent, 4.0)]
    {
        let out = Imputer::new(strategy).fit_transform(&t, &["x"]).unwrap();
        assert_eq!(numbers(&out, "x"), vec![Some(1.0), Some(fill), Some(4.0), Some(4.0), Some(10.0)]);
        assert_eq!(out.column("c").unwrap(), t.column("c").unwrap()); // not fitted: untouched
    }
    // Odd count: 1, 4, 10 → median 4.
    let odd = read_csv_str("x\n10\n1\n\n4\n", &CsvOptions::default()).unwrap();
    let mut imp = Imputer::new(ImputeStrategy::Median);
    imp.fit(&odd, &["x"]).unwrap();
    assert_eq!(imp.statistics().unwrap(), &[("x".to_string(), Value::Number(4.0))]);
}

#[test]
fn most_frequent_ties_take_the_smallest_value() {
    // c: b, a, b, a → a tie between "a" and "b": "a", as scikit-learn.
    let mut imp = Imputer::new(ImputeStrategy::MostFrequent);
    let out = imp.fit_transform(&table(), &["c"]).unwrap();
    assert_eq!(out.column("c").unwrap().select(&[2]), Column::Text(vec![Some("a".into())]));
    // Numbers: 3, 1, 3, 1 → 1.
    let t =
        read_csv_str("n\n3\n1\n3\n1\n\n", &CsvOptions { missing: vec!["".into()], ..CsvOptions::default() }).unwrap();
    let mut imp = Imputer::new(ImputeStrategy::MostFrequent);
    imp.fit(&t, &["n"]).unwrap();
    assert_eq!(imp.statistics().unwrap()[0].1, Value::Number(1.0));
}

#[test]
fn constants_fill_numbers_and_text() {
    let t = table();
    let mut num = Imputer::new(ImputeStrategy::Constant(Value::Number(-1.0)));
    let out = num.fit_transform(&t, &["x", "k"]).unwrap();
    assert_eq!(numbers(&out, "k"), vec![Some(7.0), Some(-1.0), Some(7.0), Some(7.0), Some(7.0)]);
    let mut txt = Imputer::new(ImputeStrategy::Constant(Value::Text("missing".into())));
    let out = txt.fit_transform(&t, &["c"]).unwrap();
    assert_eq!(out.column("c").unwrap().select(&[2]), Column::Text(vec![Some("missing".into())]));
    assert_eq!(out.count_missing()[1].1, 0);
}

#[test]
fn fit_errors_name_the_problem() {
    let t = table();
    let msg = Imputer::new(ImputeStrategy::Median).fit(&t, &["c"]).unwrap_err().to_string();
    assert!(msg.contains("column 'c' holds text; Median needs numbers"), "{msg}");
    let msg = Imputer::new(ImputeStrategy::Constant(Value::Text("?".into()))).fit(&t, &["x"]).unwrap_err().to_string();
    assert!(msg.contains("column 'x' holds numbers"), "{msg}");
    let msg = Imputer::new(ImputeStrategy::Mean).fit(&t, &["nope"]).unwrap_err().to_string();
    assert!(msg.contains("no column 'nope' (columns: x, c, k)"), "{msg}");
    let msg = Imputer::new(ImputeStrategy::Mean).fit(&t, &["x", "x"]).unwrap_err().to_string();
    assert!(msg.contains("named twice"), "{msg}");
    let empty = read_csv_str("e\nNA\n", &CsvOptions::default()).unwrap();
    let msg = Imputer::new(ImputeStrategy::Mean).fit(&empty, &["e"]).unwrap_err().to_string();
    assert!(msg.contains("column 'e' has no present value"), "{msg}");
}

#[test]
fn transform_checks_fit_and_columns() {
    let t = table();
    let imp = Imputer::new(ImputeStrategy::Mean);
    assert!(matches!(imp.transform(&t), Err(Error::Invalid { .. })));
    let mut imp = Imputer::new(ImputeStrategy::Mean);
    imp.fit(&t, &["x"]).unwrap();
    let other = t.select_columns(&["c"]).unwrap();
    assert!(imp.transform(&other).unwrap_err().to_string().contains("no column 'x'"));
}

#[test]
fn json_round_trip_fills_the_same() {
    let t = table();
    let mut imp = Imputer::new(ImputeStrategy::MostFrequent);
    imp.fit(&t, &["x", "c"]).unwrap();
    let path = temp_path("imputer.json");
    imp.save(&path).unwrap();
    let back = Imputer::load(&path).unwrap();
    assert_eq!(back, imp);
    assert_eq!(back.transform(&t).unwrap(), imp.transform(&t).unwrap());
    std::fs::write(&path, "{").unwrap();
    assert!(matches!(Imputer::load(&path), Err(Error::Json { .. })));
    std::fs::remove_file(&path).unwrap();
}
