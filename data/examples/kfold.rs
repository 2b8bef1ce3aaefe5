//! Stratified 5-fold split of the bundled breast-cancer table: each fold's size and class
//! ratios, which stay close to the whole set's.
//!
//! `cargo run --release -p derin-data --example kfold`

use derin_data::{CsvOptions, StratifiedKFold, data_file, read_csv};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = data_file("tabular/breast_cancer.csv")?;
    // Line 1 is `n_samples,n_features,class names…`; the rows hold the features, then the label.
    let first = std::fs::read_to_string(&path)?.lines().next().unwrap_or_default().to_string();
    let class_names: Vec<&str> = first.split(',').skip(2).collect();
    let table = read_csv(&path, &CsvOptions { has_header: false, skip_rows: 1, ..CsvOptions::default() })?;
    let label_column = table.column_names()[table.n_cols() - 1].to_string();
    let labels = table.labels(&label_column)?;
    let n_classes = class_names.len().max(labels.iter().max().map_or(0, |&m| m + 1));
    let counts = |idx: &[usize]| {
        let mut c = vec![0usize; n_classes];
        idx.iter().for_each(|&i| c[labels[i]] += 1);
        c
    };
    let describe = |idx: &[usize]| {
        let c = counts(idx);
        let parts: Vec<String> = (0..n_classes)
            .map(|k| {
                let name = class_names.get(k).copied().unwrap_or("?");
                format!("{name} {:>3} ({:5.1}%)", c[k], 100.0 * c[k] as f64 / idx.len() as f64)
            })
            .collect();
        parts.join(", ")
    };

    let all: Vec<usize> = (0..labels.len()).collect();
    println!("breast_cancer.csv: {} samples, {} features", table.n_rows(), table.n_cols() - 1);
    println!("whole set        : {}", describe(&all));
    let folds = StratifiedKFold::shuffled(5, 0).split(&labels)?;
    for (k, fold) in folds.iter().enumerate() {
        println!("fold {k} test  {:>3} : {}", fold.test.len(), describe(&fold.test));
        println!("       train {:>3} : {}", fold.train.len(), describe(&fold.train));
    }
    let mut seen: Vec<usize> = folds.iter().flat_map(|f| f.test.iter().copied()).collect();
    seen.sort_unstable();
    println!("every sample in exactly one test fold: {}", seen == all);
    Ok(())
}
