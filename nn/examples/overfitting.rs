//! Over-fitting and under-fitting, diagnosed in bias/variance terms, on noisy "two moons"
//! (two interleaved half circles with Gaussian noise σ = 0.25, so the classes overlap and
//! no boundary is right everywhere).
//!
//! A big network (2 → 256 → 256 → 2) trained long on 150 points learns their noise: the
//! diagnosis says over-fitting (high variance). Dropout, an L2 penalty, early stopping
//! and ten times more data each shrink the gap between training and validation error. A
//! model without a hidden layer (a straight boundary) cannot fit the moons even on its
//! training data: the diagnosis says under-fitting (high bias). Errors are
//! `1 − accuracy`, measured after training (dropout off) on the training points and on
//! 5,000 held-out points.
//!
//! Run: `cargo run --release -p derin-nn --example overfitting`

use derin_data::Targets;
use derin_nn::{
    Activation, Dense, DiagnosisThresholds, Dropout, EarlyStopping, EpochLog, FitOptions, History, Loss, Metric,
    Monitor, Regularizer, Sequential,
};
use derin_optim::Adam;
use derin_tensor::{Rng, Tensor};

struct Run {
    name: &'static str,
    samples: usize,
    hidden: usize,
    dropout: f32,
    l2: f32,
    early_stopping: bool,
}

/// `n` points of two moons (scikit-learn's `make_moons` construction) with noise `sigma`.
fn moons(n: usize, sigma: f32, seed: u64) -> (Tensor, Targets) {
    let mut rng = Rng::seed(seed);
    let (mut xs, mut labels) = (Vec::with_capacity(2 * n), Vec::with_capacity(n));
    for i in 0..n {
        let class = i % 2;
        let t = std::f32::consts::PI * rng.uniform01();
        let (x, y) = if class == 0 { (t.cos(), t.sin()) } else { (1.0 - t.cos(), 0.5 - t.sin()) };
        xs.push(x + sigma * rng.normal());
        xs.push(y + sigma * rng.normal());
        labels.push(class);
    }
    (Tensor::from_vec(xs, &[n, 2]), Targets::Labels(labels))
}

fn model(run: &Run) -> Result<Sequential, derin_nn::Error> {
    let mut m = Sequential::with_seed(&[2], 0);
    if run.hidden > 0 {
        for _ in 0..2 {
            let d = Dense::new(run.hidden, Activation::Relu);
            m = m.add(if run.l2 > 0.0 { d.with_kernel_regularizer(Regularizer::L2(run.l2)) } else { d })?;
            if run.dropout > 0.0 {
                m = m.add(Dropout::new(run.dropout)?)?;
            }
        }
    }
    m.add(Dense::new(2, Activation::Softmax))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (x_val, y_val) = moons(5_000, 0.25, 99);
    let big =
        |name, samples, dropout, l2, early_stopping| Run { name, samples, hidden: 256, dropout, l2, early_stopping };
    let runs = [
        big("big model, little data", 150, 0.0, 0.0, false),
        big("+ dropout 0.5", 150, 0.5, 0.0, false),
        big("+ L2 1e-3", 150, 0.0, 1e-3, false),
        big("+ early stopping", 150, 0.0, 0.0, true),
        big("+ 10x more data", 1_500, 0.0, 0.0, false),
        Run { name: "model too small", samples: 1_500, hidden: 0, dropout: 0.0, l2: 0.0, early_stopping: false },
    ];
    let limits = DiagnosisThresholds::default();
    println!(
        "thresholds: training error > {:.2} is high bias; validation − training > {:.2} is high variance\n",
        limits.high_error, limits.max_gap
    );
    println!(
        "{:<24} {:>7} {:>7} {:>10} {:>9} {:>7}  verdict",
        "run", "samples", "epochs", "train err", "val err", "gap"
    );
    // An optional argument keeps only the runs whose name contains it.
    let only = std::env::args().nth(1).unwrap_or_default();
    for run in runs.iter().filter(|r| r.name.contains(only.as_str())) {
        let (x, y) = moons(run.samples, 0.25, 1);
        let mut m = model(run)?;
        m.compile(
            Box::new(Adam::new()),
            Loss::SparseCategoricalCrossentropy { from_logits: false },
            vec![Metric::Accuracy],
        );
        let early_stopping = run.early_stopping.then(|| EarlyStopping {
            monitor: Monitor::ValLoss,
            patience: 20,
            restore_best_weights: true,
            ..EarlyStopping::default()
        });
        // The same number of updates for every run: 2,000 steps of 16 points.
        let epochs = 2_000 * 16 / run.samples;
        let options =
            FitOptions { epochs, batch_size: 16, seed: 0, verbose: false, early_stopping, ..FitOptions::default() };
        let history = m.fit_with_validation_data(&x, &y, &x_val, &y_val, options)?;
        // Score the final (or restored) weights without dropout, then diagnose them.
        let scores = History {
            epochs: vec![EpochLog {
                train: m.evaluate(&x, &y, 1000)?.into(),
                val: Some(m.evaluate(&x_val, &y_val, 1000)?.into()),
            }],
            stopped: None,
        };
        let d = scores.diagnose_with(limits).expect("validation scores exist");
        println!(
            "{:<24} {:>7} {:>7} {:>10.4} {:>9.4} {:>7.4}  {:?}",
            run.name,
            run.samples,
            history.epochs.len(),
            d.train_error,
            d.val_error,
            d.gap,
            d.verdict
        );
    }
    Ok(())
}
