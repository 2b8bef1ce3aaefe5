//! An imbalanced problem: predicting `deny` in the HMDA mortgage data (`hdma.csv`, about
//! 12 % "yes"). The same logistic-regression network is trained on the original training
//! split and on the split balanced by SMOTE; each is scored on the same untouched test
//! split by the minority class' recall, precision and F1 (accuracy alone hides a model
//! that never says "yes").
//!
//! Run: `cargo run --release -p derin-nn --example imbalanced`

use derin_data::ndarray::{Array2, Axis};
use derin_data::{
    Column, ImputeStrategy, Imputer, LabelEncoder, Scaler, Smote, StandardScaler, Targets, train_test_split,
};
use derin_nn::{Activation, Dense, FitOptions, Loss, Sequential};
use derin_optim::Adam;
use derin_tensor::Tensor;

fn features() -> Result<(Array2<f32>, Vec<usize>), Box<dyn std::error::Error>> {
    let raw = derin_data::hdma()?;
    let names = raw.column_names();
    let filled = Imputer::new(ImputeStrategy::MostFrequent).fit_transform(&raw, &names)?;
    let mut encoded = filled.clone();
    for name in filled.column_names() {
        if let Column::Text(_) = filled.column(name)? {
            let mut encoder = LabelEncoder::new();
            encoder.fit_column(filled.column(name)?)?;
            let codes = encoder.transform_column(filled.column(name)?)?;
            encoded.set_column(name, Column::Numeric(codes.into_iter().map(|c| Some(c as f64)).collect()))?;
        }
    }
    let columns: Vec<&str> = encoded.column_names().into_iter().filter(|n| !n.is_empty() && *n != "deny").collect();
    Ok((encoded.to_matrix(&columns)?, encoded.labels("deny")?))
}

/// Recall, precision and F1 of class 1, and accuracy.
fn scores(pred: &[usize], truth: &[usize]) -> [f64; 4] {
    let count = |p: usize, t: usize| pred.iter().zip(truth).filter(|&(&a, &b)| a == p && b == t).count() as f64;
    let (tp, fp, fn_, tn) = (count(1, 1), count(1, 0), count(0, 1), count(0, 0));
    let recall = tp / (tp + fn_);
    let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    [recall, precision, f1, (tp + tn) / truth.len() as f64]
}

fn train_and_score(
    x: &Array2<f32>,
    y: &[usize],
    x_test: &Tensor,
    y_test: &[usize],
) -> Result<[f64; 4], Box<dyn std::error::Error>> {
    let mut model = Sequential::with_seed(&[x.ncols()], 0).add(Dense::new(1, Activation::Sigmoid))?;
    model.compile(Box::new(Adam::new()), Loss::BinaryCrossentropy { from_logits: false }, vec![]);
    let targets = Targets::Values(Tensor::from_vec(y.iter().map(|&l| l as f32).collect(), &[y.len(), 1]));
    let options = FitOptions { epochs: 40, batch_size: 32, seed: 0, verbose: false, ..FitOptions::default() };
    model.fit(&Tensor::from_array(x.clone().into_dyn()), &targets, options)?;
    let p = model.predict(x_test, 512)?.to_vec();
    let pred: Vec<usize> = p.iter().map(|&v| (v >= 0.5) as usize).collect();
    Ok(scores(&pred, y_test))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (x, y) = features()?;
    let (train, test) = train_test_split(y.len(), 0.25, 0, Some(&y))?;
    let mut scaler = StandardScaler::new();
    let x_train = scaler.fit_transform(&x.select(Axis(0), &train))?;
    let x_test = Tensor::from_array(scaler.transform(&x.select(Axis(0), &test))?.into_dyn());
    let y_train: Vec<usize> = train.iter().map(|&i| y[i]).collect();
    let y_test: Vec<usize> = test.iter().map(|&i| y[i]).collect();
    let yes = |v: &[usize]| v.iter().filter(|&&l| l == 1).count();
    println!(
        "hdma: {} rows, {} features; train {} ({} deny), test {} ({} deny)",
        y.len(),
        x.ncols(),
        train.len(),
        yes(&y_train),
        test.len(),
        yes(&y_test)
    );

    let plain = train_and_score(&x_train, &y_train, &x_test, &y_test)?;
    let (x_smote, y_smote) = Smote::new(0).fit_resample(&x_train, &y_train)?;
    println!("SMOTE on the training split: {} rows ({} deny)", y_smote.len(), yes(&y_smote));
    let balanced = train_and_score(&x_smote, &y_smote, &x_test, &y_test)?;

    println!(
        "\n{:<16} {:>14} {:>17} {:>11} {:>10}",
        "training set", "recall (deny)", "precision (deny)", "F1 (deny)", "accuracy"
    );
    for (name, s) in [("original", plain), ("SMOTE-balanced", balanced)] {
        println!("{name:<16} {:>14.4} {:>17.4} {:>11.4} {:>10.4}", s[0], s[1], s[2], s[3]);
    }
    Ok(())
}
