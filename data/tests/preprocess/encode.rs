//! Label and one-hot encoding: sorted classes, round trips, unknown labels, JSON.

use derin_data::{Column, Error, LabelEncoder, OneHotEncoder, Table, UnknownCategory, one_hot};

use crate::temp_path;

#[test]
fn label_encoder_sorts_classes_and_round_trips() {
    let labels = ["setosa", "virginica", "versicolor", "setosa", "virginica"];
    let mut enc = LabelEncoder::new();
    let y = enc.fit_transform(&labels).unwrap();
    assert_eq!(enc.classes(), &["setosa", "versicolor", "virginica"]);
    assert_eq!(y, vec![0, 2, 1, 0, 2]);
    assert_eq!(enc.inverse_transform(&y).unwrap(), labels);
    // Byte order, as NumPy sorts strings: upper case before lower case.
    let mut enc = LabelEncoder::new();
    enc.fit(&["b", "B", "a"]).unwrap();
    assert_eq!(enc.classes(), &["B", "a", "b"]);
}

#[test]
fn label_encoder_errors() {
    let mut enc = LabelEncoder::new();
    assert!(enc.transform(&["a"]).unwrap_err().to_string().contains("call fit first"));
    enc.fit(&["no", "yes"]).unwrap();
    let msg = enc.transform(&["yes", "maybe"]).unwrap_err().to_string();
    assert!(msg.contains("label 'maybe' at 1 was not seen in fit (classes: no, yes)"), "{msg}");
    let msg = enc.inverse_transform(&[0, 5]).unwrap_err().to_string();
    assert!(msg.contains("index 5 at 1 is not below 2 classes"), "{msg}");
    let numeric = Column::Numeric(vec![Some(1.0)]);
    assert!(enc.fit_column(&numeric).unwrap_err().to_string().contains("holds numbers"));
}

#[test]
fn one_hot_rows_and_errors() {
    let y = one_hot(&[0, 2], 3).unwrap();
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec(), vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    assert!(matches!(one_hot(&[0, 3], 3), Err(Error::Invalid { .. })));
    let mut enc = LabelEncoder::new();
    enc.fit(&["cat", "dog"]).unwrap();
    assert_eq!(enc.one_hot(&["dog", "cat"]).unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
}

fn colors() -> Table {
    let text = |v: &[&str]| Column::Text(v.iter().map(|s| Some(s.to_string())).collect());
    Table::new(
        vec!["color".into(), "size".into(), "n".into()],
        vec![text(&["red", "green", "red"]), text(&["S", "L", "M"]), Column::Numeric(vec![Some(1.0); 3])],
    )
    .unwrap()
}

#[test]
fn one_hot_encoder_blocks_and_inverse() {
    let t = colors();
    let mut enc = OneHotEncoder::new();
    let x = enc.fit_transform(&t, &["color", "size"]).unwrap();
    assert_eq!(enc.feature_names(), vec!["color_green", "color_red", "size_L", "size_M", "size_S"]);
    assert_eq!(x.row(0).to_vec(), vec![0.0, 1.0, 0.0, 0.0, 1.0]);
    assert_eq!(x.row(1).to_vec(), vec![1.0, 0.0, 1.0, 0.0, 0.0]);
    assert_eq!(enc.inverse_transform(&x).unwrap(), t.select_columns(&["color", "size"]).unwrap());
    let wrong = derin_data::ndarray::Array2::<f32>::zeros((1, 4));
    assert!(enc.inverse_transform(&wrong).unwrap_err().to_string().contains("x has 4 columns, the encoder makes 5"));
}

#[test]
fn one_hot_encoder_unknown_categories() {
    let t = colors();
    let new = Table::new(vec!["color".into()], vec![Column::Text(vec![Some("blue".into())])]).unwrap();
    let mut strict = OneHotEncoder::new();
    strict.fit(&t, &["color"]).unwrap();
    let msg = strict.transform(&new).unwrap_err().to_string();
    assert!(msg.contains("column 'color' row 0: category 'blue' was not seen in fit"), "{msg}");
    let mut lenient = OneHotEncoder::new().handle_unknown(UnknownCategory::Ignore);
    lenient.fit(&t, &["color"]).unwrap();
    let x = lenient.transform(&new).unwrap();
    assert_eq!(x.row(0).to_vec(), vec![0.0, 0.0]);
    assert_eq!(lenient.inverse_transform(&x).unwrap().column("color").unwrap(), &Column::Text(vec![None]));
}

#[test]
fn encoders_json_round_trip() {
    let mut label = LabelEncoder::new();
    label.fit(&["b", "a"]).unwrap();
    let mut hot = OneHotEncoder::new().handle_unknown(UnknownCategory::Ignore);
    hot.fit(&colors(), &["size"]).unwrap();
    let (p1, p2) = (temp_path("label.json"), temp_path("onehot.json"));
    label.save(&p1).unwrap();
    hot.save(&p2).unwrap();
    assert_eq!(LabelEncoder::load(&p1).unwrap(), label);
    let back = OneHotEncoder::load(&p2).unwrap();
    assert_eq!(back, hot);
    assert_eq!(back.transform(&colors()).unwrap(), hot.transform(&colors()).unwrap());
    // No temporary file is left behind next to the saved one.
    let names: Vec<String> =
        [&p1, &p2].iter().map(|p| format!(".{}.", p.file_name().unwrap().to_string_lossy())).collect();
    let dir = std::fs::read_dir(std::env::temp_dir()).unwrap();
    assert!(dir.flatten().all(|e| names.iter().all(|n| !e.file_name().to_string_lossy().starts_with(n.as_str()))));
    std::fs::remove_file(&p1).unwrap();
    std::fs::remove_file(&p2).unwrap();
}
