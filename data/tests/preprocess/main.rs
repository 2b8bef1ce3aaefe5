//! Tests of the tabular toolkit and the loading path: CSV, tables and missing values,
//! encoders, scalers, splits and folds, datasets and the `DataLoader`.

mod csv;
mod encode;
mod loader;
mod missing;
mod scale;
mod scale_f64;
mod split;

/// A fresh path in the temporary folder for this test (removed by the caller if wanted).
pub fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("derin_data_test_{}_{name}", std::process::id()))
}
