//! Class balancing on the HMDA mortgage data (`hdma.csv`, `deny` = yes in 12 % of rows):
//! the missing values are imputed, the yes/no columns encoded as 0/1, then the class
//! counts of `deny` are printed before and after random over-sampling, random
//! under-sampling and SMOTE.
//!
//! Run with `cargo run --release -p derin-data --example smote`.

use std::collections::BTreeMap;

use derin_data::{
    Column, ImputeStrategy, Imputer, LabelEncoder, RandomOverSampler, RandomUnderSampler, Result, Smote, class_counts,
};

fn main() -> Result<()> {
    let raw = derin_data::hdma()?;

    println!("== 1. missing values per column ({} rows)", raw.n_rows());
    for (name, count) in raw.count_missing() {
        println!("  {:>14}: {count}", format!("{name:?}"));
    }
    let missing_rows = raw.rows_with_missing();
    println!("  rows with a missing value: {missing_rows:?}");

    println!("\n== 2. impute: MostFrequent for every column (it fits text and numbers alike)");
    let mut imputer = Imputer::new(ImputeStrategy::MostFrequent);
    let names = raw.column_names();
    let filled = imputer.fit_transform(&raw, &names)?;
    for &row in &missing_rows {
        for (name, value) in imputer.statistics().unwrap_or_default() {
            if raw.column(name)?.is_missing(row) {
                println!("  row {row}, {name}: NA -> {value:?}");
            }
        }
    }
    println!("  missing values left: {}", filled.count_missing().iter().map(|(_, n)| n).sum::<usize>());

    println!("\n== 3. encode the yes/no columns as 0/1");
    let mut encoded = filled.clone();
    for name in filled.column_names() {
        let column = filled.column(name)?;
        if let Column::Text(_) = column {
            let mut encoder = LabelEncoder::new();
            encoder.fit_column(column)?;
            let codes = encoder.transform_column(column)?;
            let mapping: Vec<String> =
                encoder.classes().iter().enumerate().map(|(code, class)| format!("{class} -> {code}")).collect();
            println!("  {:>14}: {}", format!("{name:?}"), mapping.join(", "));
            encoded.set_column(name, Column::Numeric(codes.into_iter().map(|c| Some(c as f64)).collect()))?;
        }
    }

    // Features: every column but the row number ("") and the target.
    let features: Vec<&str> = encoded.column_names().into_iter().filter(|n| !n.is_empty() && *n != "deny").collect();
    let x = encoded.to_matrix(&features)?;
    let y = encoded.labels("deny")?;
    println!("  features {:?}: {} × {}", features, x.nrows(), x.ncols());

    println!("\n== 4. class counts of deny (0 = no, 1 = yes)");
    print_counts("before", &class_counts(&y));
    let (_, y_over) = RandomOverSampler::new(0).fit_resample(&x, &y)?;
    print_counts("RandomOverSampler", &class_counts(&y_over));
    let (_, y_under) = RandomUnderSampler::new(0).fit_resample(&x, &y)?;
    print_counts("RandomUnderSampler", &class_counts(&y_under));
    let smote = Smote::new(0);
    let (x_smote, y_smote) = smote.fit_resample(&x, &y)?;
    print_counts(&format!("SMOTE (k_neighbors {})", smote.k_neighbors), &class_counts(&y_smote));
    println!("  SMOTE added {} synthetic rows after the {} originals", x_smote.nrows() - x.nrows(), x.nrows());
    Ok(())
}

fn print_counts(label: &str, counts: &BTreeMap<usize, usize>) {
    let total: usize = counts.values().sum();
    let shown: Vec<String> =
        counts.iter().map(|(class, n)| format!("{class}: {n} ({:.1} %)", 100.0 * *n as f64 / total as f64)).collect();
    println!("  {label:>24}: {}  (total {total})", shown.join(", "));
}
