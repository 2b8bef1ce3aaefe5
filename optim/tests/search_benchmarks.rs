//! The headline comparison: with the same budget, averaged over 10 seeds, Bayesian search
//! ends closer to the optimum than random search on Branin (30 evaluations) and 5-D Rosenbrock (60).

use derin_optim::search::{
    BRANIN_MINIMUM, BayesianSearch, Dimension, Params, RandomSearch, Search, SearchSpace, branin, rosenbrock,
};
use rayon::prelude::*;

const SEEDS: u64 = 10;

fn branin_space() -> SearchSpace {
    SearchSpace::new()
        .add("x1", Dimension::Uniform { low: -5.0, high: 10.0 })
        .unwrap()
        .add("x2", Dimension::Uniform { low: 0.0, high: 15.0 })
        .unwrap()
}

fn branin_objective(p: &Params) -> f64 {
    branin(p.get_f64("x1").unwrap(), p.get_f64("x2").unwrap())
}

fn rosenbrock_space() -> SearchSpace {
    (0..5).fold(SearchSpace::new(), |s, i| s.add(format!("x{i}"), Dimension::Uniform { low: -2.0, high: 2.0 }).unwrap())
}

fn rosenbrock_objective(p: &Params) -> f64 {
    let x: Vec<f64> = (0..5).map(|i| p.get_f64(&format!("x{i}")).unwrap()).collect();
    rosenbrock(&x)
}

/// Mean over seeds of the best score found by the search that `make` builds for a seed.
fn mean_best<S: Search + Send>(
    make: impl Fn(u64) -> S + Sync,
    f: fn(&Params) -> f64,
    budget: usize,
) -> (f64, Vec<f64>) {
    let bests: Vec<f64> = (0..SEEDS)
        .into_par_iter()
        .map(|seed| {
            let result = make(seed).run(&f, budget).unwrap();
            assert_eq!(result.trials().len(), budget);
            result.best().unwrap().score
        })
        .collect();
    (bests.iter().sum::<f64>() / SEEDS as f64, bests)
}

#[test]
fn bayesian_beats_random_on_branin_with_30_evaluations() {
    let (random, r) = mean_best(|s| RandomSearch::new(branin_space(), s), branin_objective, 30);
    let (bayes, b) = mean_best(|s| BayesianSearch::new(branin_space(), s), branin_objective, 30);
    println!("branin (min {BRANIN_MINIMUM:.6}), 30 evaluations, mean best over {SEEDS} seeds:");
    println!("  random   {random:.6}  {r:.4?}");
    println!("  bayesian {bayes:.6}  {b:.4?}");
    assert!(bayes < random, "bayesian {bayes} vs random {random}");
    assert!(bayes - BRANIN_MINIMUM < 0.5 * (random - BRANIN_MINIMUM), "bayesian {bayes} vs random {random}");
}

#[test]
fn bayesian_beats_random_on_5d_rosenbrock_with_60_evaluations() {
    let (random, r) = mean_best(|s| RandomSearch::new(rosenbrock_space(), s), rosenbrock_objective, 60);
    let (bayes, b) = mean_best(|s| BayesianSearch::new(rosenbrock_space(), s), rosenbrock_objective, 60);
    println!("rosenbrock 5-D (min 0), 60 evaluations, mean best over {SEEDS} seeds:");
    println!("  random   {random:.4}  {r:.2?}");
    println!("  bayesian {bayes:.4}  {b:.2?}");
    assert!(bayes < 0.5 * random, "bayesian {bayes} vs random {random}");
}
