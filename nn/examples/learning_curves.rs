//! Trains a small classifier with callbacks and a progress bar, prints the diagnosis and a
//! classification report, and draws the learning curves.
//!
//! `cargo run -p derin-nn --example learning_curves -- curves.png` (or `.svg`).

use derin_data::Targets;
use derin_nn::{
    Activation, CSVLogger, Dense, EarlyStopping, FitOptions, Loss, Metric, Monitor, ReduceLROnPlateau, Sequential,
    classification_report, plot_history,
};
use derin_optim::Adam;
use derin_tensor::Tensor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "learning_curves.png".to_string());
    // Three classes of points around three centres, with overlap.
    let n = 600;
    let mut rng = derin_tensor::Rng::seed(1);
    let mut xs = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 3;
        let (cx, cy) = [(0.0, 1.0), (1.0, -0.5), (-1.0, -0.5)][class];
        xs.push(cx + 0.6 * rng.normal());
        xs.push(cy + 0.6 * rng.normal());
        labels.push(class);
    }
    let x = Tensor::from_vec(xs, &[n, 2]);
    let y = Targets::Labels(labels.clone());
    let mut model = Sequential::with_seed(&[2], 3)
        .add(Dense::new(32, Activation::Relu))?
        .add(Dense::new(3, Activation::Softmax))?;
    let metrics = vec![Metric::Accuracy, Metric::F1];
    model.compile(Box::new(Adam::new()), Loss::SparseCategoricalCrossentropy { from_logits: false }, metrics);
    let options = FitOptions {
        epochs: 60,
        validation_split: 0.2,
        verbose: true,
        early_stopping: Some(EarlyStopping { patience: 10, restore_best_weights: true, ..EarlyStopping::default() }),
        callbacks: vec![
            ReduceLROnPlateau { monitor: Monitor::ValLoss, patience: 4, factor: 0.5, ..Default::default() }.into(),
            Box::new(CSVLogger::new(std::env::temp_dir().join("derin_learning_curves.csv"))),
        ],
        ..FitOptions::default()
    };
    let history = model.fit(&x, &y, options)?;
    if let Some(diagnosis) = history.diagnose() {
        println!("{diagnosis}");
    }
    let predicted: Vec<usize> = model.predict(&x, 256)?.argmax(1, false).iter().copied().collect();
    println!("{}", classification_report(&labels, &predicted, 3)?);
    plot_history(&history, &out)?;
    println!("learning curves written to {out}");
    Ok(())
}
