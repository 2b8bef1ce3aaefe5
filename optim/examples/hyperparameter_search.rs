//! Grid vs random vs Bayesian search on Branin with the same budget of 30 evaluations: the best value
//! each finds (random and Bayesian also averaged over 10 seeds), and the Bayesian run's top 5.
//!
//! Run: `cargo run --release -p derin-optim --example hyperparameter_search`

use derin_optim::search::{
    BRANIN_MINIMUM, BayesianSearch, Dimension, GridSearch, Params, RandomSearch, Result, Search, SearchSpace, branin,
};

const BUDGET: usize = 30;
const SEEDS: u64 = 10;

fn objective(p: &Params) -> f64 {
    branin(p.get_f64("x1").expect("x1 is a float"), p.get_f64("x2").expect("x2 is a float"))
}

/// Best score of each seed's run and their mean.
fn over_seeds<S: Search>(make: impl Fn(u64) -> S) -> Result<(Vec<f64>, f64)> {
    let mut bests = Vec::new();
    for seed in 0..SEEDS {
        bests.push(make(seed).run(&objective, BUDGET)?.best().map_or(f64::NAN, |t| t.score));
    }
    let mean = bests.iter().sum::<f64>() / SEEDS as f64;
    Ok((bests, mean))
}

fn main() -> Result<()> {
    let space = SearchSpace::new()
        .add("x1", Dimension::Uniform { low: -5.0, high: 10.0 })?
        .add("x2", Dimension::Uniform { low: 0.0, high: 15.0 })?;
    println!(
        "Branin on x1 ∈ [−5, 10], x2 ∈ [0, 15]; global minimum {BRANIN_MINIMUM:.6}; budget {BUDGET} evaluations\n"
    );

    // 6 × 5 = 30 grid points: the whole budget.
    let grid = GridSearch::new(space.clone()).points(5).points_for("x1", 6);
    let grid_result = grid.run(&objective, BUDGET)?;
    let grid_best = grid_result.best().expect("finite scores");
    println!("grid 6×5     best {:.6}  at {}", grid_best.score, grid_best.params);

    let random = RandomSearch::new(space.clone(), 0).parallel(true).run(&objective, BUDGET)?;
    let random_best = random.best().expect("finite scores");
    println!("random       best {:.6}  at {}  (seed 0)", random_best.score, random_best.params);

    let bayes = BayesianSearch::new(space.clone(), 0).run(&objective, BUDGET)?;
    let bayes_best = bayes.best().expect("finite scores");
    println!("bayesian     best {:.6}  at {}  (seed 0)", bayes_best.score, bayes_best.params);

    println!("\nmean best over seeds 0..{SEEDS} (gap to the minimum in brackets):");
    println!("grid         {:.6}  [{:.6}]  (deterministic)", grid_best.score, grid_best.score - BRANIN_MINIMUM);
    for (name, (bests, mean)) in [
        ("random", over_seeds(|seed| RandomSearch::new(space.clone(), seed))?),
        ("bayesian", over_seeds(|seed| BayesianSearch::new(space.clone(), seed))?),
    ] {
        let per_seed: Vec<String> = bests.iter().map(|b| format!("{b:.3}")).collect();
        println!("{name:<12} {mean:.6}  [{:.6}]  per seed: {}", mean - BRANIN_MINIMUM, per_seed.join(" "));
    }

    println!("\nBayesian run (seed 0), top 5 of {BUDGET} trials:\n{}", bayes.table(5));
    Ok(())
}
