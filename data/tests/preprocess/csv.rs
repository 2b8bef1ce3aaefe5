//! CSV reading: quoting, missing markers, type inference, options and bad input.

use derin_data::{Column, CsvOptions, Error, read_csv, read_csv_bytes, read_csv_str};
use proptest::prelude::*;

use crate::temp_path;

fn text(cells: &[Option<&str>]) -> Column {
    Column::Text(cells.iter().map(|c| c.map(str::to_string)).collect())
}

#[test]
fn quoted_fields_keep_delimiters_quotes_and_newlines() {
    let csv = "name,quote\n\"Smith, J\",\"He said \"\"hi\"\"\"\n\"multi\nline\",x\n";
    let t = read_csv_str(csv, &CsvOptions::default()).unwrap();
    assert_eq!(t.n_rows(), 2);
    assert_eq!(t.column("name").unwrap(), &text(&[Some("Smith, J"), Some("multi\nline")]));
    assert_eq!(t.column("quote").unwrap(), &text(&[Some("He said \"hi\""), Some("x")]));
}

#[test]
fn every_default_missing_marker_is_missing() {
    let t = read_csv_str("x\n1\n\nNA\nNaN\nnan\n?\n 2.5 \n", &CsvOptions::default()).unwrap();
    // The blank line is skipped; the five markers are missing; spaces around numbers are fine.
    assert_eq!(t.column("x").unwrap(), &Column::Numeric(vec![Some(1.0), None, None, None, None, Some(2.5)]));
    let t = read_csv_str("x,y\n,a\n3,\n", &CsvOptions::default()).unwrap();
    assert_eq!(t.count_missing(), vec![("x".to_string(), 1), ("y".to_string(), 1)]);
}

#[test]
fn custom_missing_markers_replace_the_defaults() {
    let options = CsvOptions { missing: vec!["-".into()], ..CsvOptions::default() };
    let t = read_csv_str("a,b\n-,NA\n1,x\n", &options).unwrap();
    assert_eq!(t.column("a").unwrap(), &Column::Numeric(vec![None, Some(1.0)]));
    assert_eq!(t.column("b").unwrap(), &text(&[Some("NA"), Some("x")]));
}

#[test]
fn types_are_inferred_per_column() {
    let t = read_csv_str("i,f,s,mixed,empty\n1,1.5,a,1,\n-2,1e3,b,x,NA\n", &CsvOptions::default()).unwrap();
    assert_eq!(t.column("i").unwrap(), &Column::Numeric(vec![Some(1.0), Some(-2.0)]));
    assert_eq!(t.column("f").unwrap(), &Column::Numeric(vec![Some(1.5), Some(1000.0)]));
    assert_eq!(t.column("s").unwrap(), &text(&[Some("a"), Some("b")]));
    assert_eq!(t.column("mixed").unwrap(), &text(&[Some("1"), Some("x")]));
    // A column with nothing in it is numeric, as in pandas.
    assert_eq!(t.column("empty").unwrap(), &Column::Numeric(vec![None, None]));
}

#[test]
fn no_header_names_columns_by_position_and_skip_rows_skips_lines() {
    let options = CsvOptions { has_header: false, skip_rows: 1, ..CsvOptions::default() };
    let t = read_csv_str("2,2,a,b\n1.0,2.0,0\n3.0,4.0,1\n", &options).unwrap();
    assert_eq!(t.column_names(), vec!["0", "1", "2"]);
    assert_eq!(t.labels("2").unwrap(), vec![0, 1]);
    assert_eq!(t.to_matrix(&["0", "1"]).unwrap().into_raw_vec_and_offset().0, vec![1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn other_delimiters() {
    let options = CsvOptions { delimiter: b';', ..CsvOptions::default() };
    let t = read_csv_str("a;b\n1,5;x\n", &options).unwrap();
    assert_eq!(t.column("a").unwrap(), &text(&[Some("1,5")]));
    let bad = CsvOptions { delimiter: b'"', ..CsvOptions::default() };
    assert!(matches!(read_csv_str("a", &bad), Err(Error::Invalid { .. })));
}

#[test]
fn ragged_row_names_file_line_and_counts() {
    let path = temp_path("ragged.csv");
    std::fs::write(&path, "a,b,c\n1,2,3\n4,5\n").unwrap();
    let err = read_csv(&path, &CsvOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Format { .. }));
    assert!(msg.contains("ragged.csv"), "{msg}");
    assert!(msg.contains("line 3: expected 3 fields (as on line 1), found 2"), "{msg}");
    // Line numbers count skipped lines too.
    let options = CsvOptions { skip_rows: 2, ..CsvOptions::default() };
    let msg = read_csv_str("title\n\na,b\n1,2,3\n", &options).unwrap_err().to_string();
    assert!(msg.contains("<memory>: line 4: expected 2 fields (as on line 3), found 3"), "{msg}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn missing_file_and_duplicate_header_are_errors() {
    let err = read_csv(temp_path("absent.csv"), &CsvOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(err.to_string().contains("absent.csv"));
    let msg = read_csv_str("a,a\n1,2\n", &CsvOptions::default()).unwrap_err().to_string();
    assert!(msg.contains("header on line 1: column name 'a' appears more than once"), "{msg}");
}

#[test]
fn empty_input_is_an_empty_table() {
    let t = read_csv_str("", &CsvOptions::default()).unwrap();
    assert_eq!((t.n_rows(), t.n_cols()), (0, 0));
    let t = read_csv_str("a,b\n", &CsvOptions::default()).unwrap();
    assert_eq!((t.n_rows(), t.n_cols()), (0, 2));
}

#[test]
fn bundled_breast_cancer_reads() {
    let path = derin_data::data_file("tabular/breast_cancer.csv").unwrap();
    let t = read_csv(path, &CsvOptions { has_header: false, skip_rows: 1, ..CsvOptions::default() }).unwrap();
    assert_eq!((t.n_rows(), t.n_cols()), (569, 31));
    let labels = t.labels("30").unwrap();
    assert_eq!(labels.iter().filter(|&&l| l == 0).count(), 212);
    assert_eq!(t.to_matrix(&["0"]).unwrap()[[0, 0]], 17.99);
}

const VALID: &str = "id,name,score\n1,\"Ann, B\",3.5\n2,Bo,NA\n3,\"C \"\"x\"\"\",?\n";

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), skip in 0usize..3) {
        for has_header in [true, false] {
            let options = CsvOptions { has_header, skip_rows: skip, ..CsvOptions::default() };
            let _ = read_csv_bytes(&bytes, &options);
        }
    }

    #[test]
    fn truncations_and_flips_of_a_valid_file_never_panic(
        cut in 0usize..=VALID.len(),
        at in 0usize..VALID.len(),
        byte in any::<u8>(),
    ) {
        let mut bytes = VALID.as_bytes()[..cut].to_vec();
        let _ = read_csv_bytes(&bytes, &CsvOptions::default());
        bytes = VALID.as_bytes().to_vec();
        bytes[at] = byte;
        let _ = read_csv_bytes(&bytes, &CsvOptions::default());
    }

    #[test]
    fn well_formed_tables_round_trip(rows in proptest::collection::vec((-1e6f64..1e6, "[a-z ,\"]{0,6}"), 1..20)) {
        let mut csv = String::from("num,txt\n");
        for (x, s) in &rows {
            csv.push_str(&format!("{x},\"{}\"\n", s.replace('"', "\"\"")));
        }
        let t = read_csv_str(&csv, &CsvOptions { missing: vec![], ..CsvOptions::default() }).unwrap();
        prop_assert_eq!(t.n_rows(), rows.len());
        prop_assert_eq!(t.column("num").unwrap(), &Column::Numeric(rows.iter().map(|r| Some(r.0)).collect()));
    }
}
