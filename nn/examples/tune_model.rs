//! Hyperparameter search for a small network on the bundled `digits` (8×8 images, 10
//! classes): learning rate (log-uniform 1e-4…1e-1), hidden units (8…128) and dropout rate
//! (0…0.5), searched by a grid, at random and by Bayesian optimisation with the same
//! budget of evaluations. Each evaluation trains a fresh model and returns its validation
//! accuracy; the best of each search is printed.
//!
//! Run: `cargo run --release -p derin-nn --example tune_model`

use derin_data::ndarray::Axis;
use derin_data::{Targets, digits, train_test_split};
use derin_nn::{Activation, Dense, Dropout, FitOptions, Loss, Metric, Sequential};
use derin_optim::search::{
    BayesianSearch, Dimension, Direction, GridSearch, Params, RandomSearch, Search, SearchSpace,
};
use derin_optim::{Adam, AdamConfig};
use derin_tensor::Tensor;

const BUDGET: usize = 20;

struct Split {
    x_train: Tensor,
    y_train: Targets,
    x_val: Tensor,
    y_val: Targets,
}

fn split() -> Result<Split, Box<dyn std::error::Error>> {
    let data = digits()?;
    let (train, val) = train_test_split(data.labels.len(), 0.25, 0, Some(&data.labels))?;
    // Pixels are 0…16: scale to 0…1.
    let x = |idx: &[usize]| Tensor::from_array((data.features.select(Axis(0), idx) / 16.0).into_dyn());
    let y = |idx: &[usize]| Targets::Labels(idx.iter().map(|&i| data.labels[i]).collect());
    Ok(Split { x_train: x(&train), y_train: y(&train), x_val: x(&val), y_val: y(&val) })
}

/// Validation accuracy after 15 epochs with these hyperparameters (NaN if they are invalid).
fn evaluate(data: &Split, p: &Params) -> f64 {
    let run = || -> Result<f64, Box<dyn std::error::Error>> {
        let lr = p.get_f64("learning_rate")? as f32;
        let units = p.get_int("units")? as usize;
        let rate = p.get_f64("dropout")? as f32;
        let mut model = Sequential::with_seed(&[64], 0)
            .add(Dense::new(units, Activation::Relu))?
            .add(Dropout::new(rate)?)?
            .add(Dense::new(10, Activation::Softmax))?;
        let adam = Adam::try_new(AdamConfig { learning_rate: lr, ..AdamConfig::default() })?;
        model.compile(
            Box::new(adam),
            Loss::SparseCategoricalCrossentropy { from_logits: false },
            vec![Metric::Accuracy],
        );
        let options = FitOptions { epochs: 15, batch_size: 32, seed: 0, verbose: false, ..FitOptions::default() };
        model.fit(&data.x_train, &data.y_train, options)?;
        Ok(model.evaluate(&data.x_val, &data.y_val, 512)?.metric(Metric::Accuracy).unwrap_or(0.0) as f64)
    };
    run().unwrap_or(f64::NAN)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = split()?;
    let space = SearchSpace::new()
        .add("learning_rate", Dimension::LogUniform { low: 1e-4, high: 1e-1 })?
        .add("units", Dimension::Int { low: 8, high: 128 })?
        .add("dropout", Dimension::Uniform { low: 0.0, high: 0.5 })?;
    let objective = |p: &Params| evaluate(&data, p);
    println!(
        "digits: {} training / {} validation images; budget {BUDGET} trainings per search\n",
        data.x_train.shape()[0],
        data.x_val.shape()[0]
    );

    // 5 learning rates × 2 unit counts × 2 dropout rates = 20 grid points.
    let grid = GridSearch::new(space.clone()).points(2).points_for("learning_rate", 5).direction(Direction::Maximize);
    let random = RandomSearch::new(space.clone(), 0).direction(Direction::Maximize);
    let bayes = BayesianSearch::new(space, 0).direction(Direction::Maximize);
    let searches: [(&str, &dyn Search); 3] = [("grid", &grid), ("random", &random), ("bayesian", &bayes)];
    let mut bests = Vec::new();
    for (name, search) in searches {
        let result = search.run(&objective, BUDGET)?;
        let best = result.best().expect("at least one finite score");
        println!("{name:<9} best validation accuracy {:.4} at {}", best.score, best.params);
        bests.push((name, best.score));
    }
    bests.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("\nranking: {}", bests.iter().map(|(n, s)| format!("{n} {s:.4}")).collect::<Vec<_>>().join(" > "));
    Ok(())
}
