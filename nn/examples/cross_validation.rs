//! Stratified 5-fold cross-validation of a small MLP on the bundled `wine` and
//! `breast_cancer` tables: the accuracy of each fold and their mean ± standard deviation.
//!
//! Each fold standardises its features with statistics of its own training part only (so
//! no information leaks from the held-out part), trains a fresh model, and scores it on
//! the held-out part.
//!
//! Run: `cargo run --release -p derin-nn --example cross_validation`

use derin_data::{ClassificationData, Scaler, StandardScaler, StratifiedKFold, Targets, breast_cancer, wine};
use derin_nn::{Activation, Dense, FitOptions, Loss, Metric, Sequential};
use derin_optim::{Adam, AdamConfig};
use derin_tensor::Tensor;
use derin_tensor::ndarray::{Array2, Axis};

const FOLDS: usize = 5;

fn rows(x: &Array2<f32>, idx: &[usize]) -> Array2<f32> {
    x.select(Axis(0), idx)
}

fn fold_accuracy(
    data: &ClassificationData,
    train: &[usize],
    test: &[usize],
    seed: u64,
) -> Result<f32, Box<dyn std::error::Error>> {
    let mut scaler = StandardScaler::new();
    let x_train = scaler.fit_transform(&rows(&data.features, train))?;
    let x_test = scaler.transform(&rows(&data.features, test))?;
    let labels = |idx: &[usize]| Targets::Labels(idx.iter().map(|&i| data.labels[i]).collect());
    let classes = data.class_names.len();
    let mut model = Sequential::with_seed(&[data.features.ncols()], seed)
        .add(Dense::new(16, Activation::Relu))?
        .add(Dense::new(classes, Activation::Softmax))?;
    let adam = Adam::try_new(AdamConfig { learning_rate: 0.01, ..AdamConfig::default() })?;
    model.compile(Box::new(adam), Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![Metric::Accuracy]);
    let options = FitOptions { epochs: 60, batch_size: 16, seed, verbose: false, ..FitOptions::default() };
    model.fit(&Tensor::from_array(x_train.into_dyn()), &labels(train), options)?;
    let scores = model.evaluate(&Tensor::from_array(x_test.into_dyn()), &labels(test), 256)?;
    Ok(scores.metric(Metric::Accuracy).expect("compiled with accuracy"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for (name, data) in [("wine", wine()?), ("breast_cancer", breast_cancer()?)] {
        let (n, f) = data.features.dim();
        println!("{name}: {n} samples, {f} features, {} classes", data.class_names.len());
        let folds = StratifiedKFold::shuffled(FOLDS, 0).split(&data.labels)?;
        let mut accs = Vec::new();
        for (k, fold) in folds.iter().enumerate() {
            let acc = fold_accuracy(&data, &fold.train, &fold.test, k as u64)?;
            println!("  fold {k}: train {:>3}, test {:>3}, accuracy {acc:.4}", fold.train.len(), fold.test.len());
            accs.push(acc as f64);
        }
        let mean = accs.iter().sum::<f64>() / accs.len() as f64;
        // Sample standard deviation (ddof = 1) over the folds, as reported by most tools.
        let std = (accs.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (accs.len() - 1) as f64).sqrt();
        println!("{name}: {FOLDS}-fold accuracy {mean:.4} ± {std:.4}\n");
    }
    Ok(())
}
