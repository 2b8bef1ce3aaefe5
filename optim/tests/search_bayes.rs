//! Gaussian process, expected improvement and Bayesian search: interpolation, EI at and away from
//! data, seeded and parallel reproducibility, mixed spaces, non-finite scores, the result table.

use derin_optim::search::{
    BayesianSearch, Dimension, Direction, GaussianProcess, GpHyperparams, Params, Search, SearchSpace,
    expected_improvement,
};

fn sample_data() -> (Vec<Vec<f64>>, Vec<f64>) {
    let x: Vec<Vec<f64>> = (0..12).map(|i| vec![i as f64 / 11.0, ((i * 7) % 12) as f64 / 11.0]).collect();
    let y = x.iter().map(|p| (5.0 * p[0]).sin() * 3.0 + p[1] * p[1] + 10.0).collect();
    (x, y)
}

#[test]
fn posterior_mean_interpolates_training_points_with_tiny_noise() {
    let (x, y) = sample_data();
    let gp = GaussianProcess::fit(&x, &y, &GpHyperparams::isotropic(2, 0.4, 1e-10)).unwrap();
    for (p, want) in x.iter().zip(&y) {
        let (mean, std) = gp.predict(p);
        assert!((mean - want).abs() < 1e-4, "mean {mean} vs {want}");
        assert!(std < 1e-3 * gp.signal_variance().sqrt(), "std {std}");
    }
    // Between points the posterior is uncertain; far away it returns to the prior (mean of y).
    let (_, between) = gp.predict(&[0.5 / 11.0, 0.5]);
    assert!(between > 1e-2);
    let (far_mean, far_std) = gp.predict(&[50.0, 50.0]);
    let y_mean = y.iter().sum::<f64>() / y.len() as f64;
    assert!((far_mean - y_mean).abs() < 1e-9);
    assert!((far_std - gp.signal_variance().sqrt()).abs() < 1e-9);
}

#[test]
fn fitted_hyperparameters_beat_a_grid_of_fixed_ones() {
    let (x, y) = sample_data();
    let ml = GaussianProcess::fit_ml(&x, &y, None).unwrap();
    for l in [0.03, 0.1, 0.3, 1.0, 3.0] {
        for noise in [1e-6, 1e-2] {
            let fixed = GaussianProcess::fit(&x, &y, &GpHyperparams::isotropic(2, l, noise)).unwrap();
            assert!(ml.log_marginal_likelihood() >= fixed.log_marginal_likelihood() - 1e-9, "ℓ = {l}");
        }
    }
}

#[test]
fn gp_rejects_mismatched_inputs() {
    let h = GpHyperparams::isotropic(1, 0.5, 1e-6);
    let e = GaussianProcess::fit(&[vec![0.0], vec![1.0]], &[0.0], &h).unwrap_err();
    assert_eq!(
        e.to_string(),
        "gaussian process: needs as many targets as inputs, at least one; got 2 inputs, 1 targets"
    );
    let e = GaussianProcess::fit(&[vec![0.0], vec![1.0, 2.0]], &[0.0, 1.0], &h).unwrap_err();
    assert!(e.to_string().contains("input 1 has 2 coordinates, input 0 has 1"));
    let e = GaussianProcess::fit(&[vec![0.0]], &[f64::NAN], &h).unwrap_err();
    assert!(e.to_string().contains("target 0 is NaN"));
    let e = GaussianProcess::fit(&[vec![0.0, 1.0]], &[1.0], &h).unwrap_err();
    assert!(e.to_string().contains("1 length scales for inputs of 2 coordinates"));
    let bad = GpHyperparams { length_scales: vec![0.0], noise: 0.0 };
    assert!(GaussianProcess::fit(&[vec![0.0]], &[1.0], &bad).unwrap_err().to_string().contains("positive"));
    // Duplicate inputs with zero noise are singular; jitter makes the fit work.
    let dup = GpHyperparams::isotropic(1, 0.5, 0.0);
    assert!(GaussianProcess::fit(&[vec![0.3], vec![0.3]], &[1.0, 1.0], &dup).is_ok());
}

#[test]
fn ei_from_a_gp_is_zero_at_data_and_positive_in_unexplored_places() {
    let (x, y) = sample_data();
    let gp = GaussianProcess::fit(&x, &y, &GpHyperparams::isotropic(2, 0.4, 1e-10)).unwrap();
    let best = y.iter().copied().fold(f64::INFINITY, f64::min);
    for p in &x {
        let (m, s) = gp.predict(p);
        assert!(expected_improvement(m, s, best, 0.0) < 1e-3, "EI at data point {p:?}");
    }
    let (m, s) = gp.predict(&[0.5, 1.5]);
    assert!(expected_improvement(m, s, best, 0.0) > 1e-2);
    // Predicted far above the best with tiny uncertainty: EI vanishes.
    assert!(expected_improvement(best + 100.0, 1.0, best, 0.0) < 1e-300);
}

fn mixed_space() -> SearchSpace {
    SearchSpace::new()
        .add("lr", Dimension::LogUniform { low: 1e-4, high: 1.0 })
        .unwrap()
        .add("layers", Dimension::Int { low: 1, high: 6 })
        .unwrap()
        .add("opt", Dimension::categorical(["sgd", "adam", "rmsprop"]))
        .unwrap()
}

/// Best at lr = 1e-2, 3 layers, adam: 0.
fn mixed_objective(p: &Params) -> f64 {
    let lr = p.get_f64("lr").unwrap().log10() + 2.0;
    let layers = p.get_int("layers").unwrap() as f64 - 3.0;
    let opt = match p.get_str("opt").unwrap() {
        "adam" => 0.0,
        "rmsprop" => 0.5,
        _ => 2.0,
    };
    lr * lr + 0.3 * layers * layers + opt
}

#[test]
fn bayesian_is_seeded_and_parallel_matches_sequential() {
    let b = BayesianSearch::new(mixed_space(), 11).n_candidates(300);
    let a = b.run(&mixed_objective, 20).unwrap();
    assert_eq!(a, b.run(&mixed_objective, 20).unwrap());
    assert_eq!(a, b.clone().parallel(true).run(&mixed_objective, 20).unwrap());
    assert_ne!(a, BayesianSearch::new(mixed_space(), 12).n_candidates(300).run(&mixed_objective, 20).unwrap());
    let q = b.clone().batch_size(3);
    assert_eq!(q.run(&mixed_objective, 20).unwrap(), q.clone().parallel(true).run(&mixed_objective, 20).unwrap());
}

#[test]
fn bayesian_handles_integers_and_categoricals() {
    let space = mixed_space();
    let result = BayesianSearch::new(space.clone(), 3).run(&mixed_objective, 30).unwrap();
    assert!(result.trials().iter().all(|t| space.contains(&t.params)));
    let best = result.best().unwrap();
    assert_eq!(best.params.get_str("opt").unwrap(), "adam", "{}", result.table(5));
    assert!(best.score < 0.35, "{}", result.table(5));
}

#[test]
fn bayesian_maximizes_and_survives_non_finite_scores() {
    let space = SearchSpace::new().add("x", Dimension::Uniform { low: -3.0, high: 3.0 }).unwrap();
    // NaN left of −1: those trials rank last and the search still finds the peak at x = 1.
    let f = |p: &Params| {
        let x = p.get_f64("x").unwrap();
        if x < -1.0 { f64::NAN } else { -(x - 1.0).powi(2) }
    };
    let r = BayesianSearch::new(space, 0).direction(Direction::Maximize).run(&f, 20).unwrap();
    assert_eq!(r.trials().len(), 20);
    assert!(r.best().unwrap().score > -1e-2, "{r}");
    assert!(r.trials().iter().any(|t| t.score.is_nan()), "seed 0 samples left of −1: {r}");
    assert!(r.sorted().last().unwrap().score.is_nan());
    // All scores non-finite: still runs the budget (randomly) and reports no best.
    let space = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    let r = BayesianSearch::new(space, 0).run(&|_| f64::INFINITY, 8).unwrap();
    assert_eq!((r.trials().len(), r.best()), (8, None));
}

#[test]
fn result_table_lists_trials_best_first() {
    let space = SearchSpace::new()
        .add("x", Dimension::Uniform { low: 0.0, high: 1.0 })
        .unwrap()
        .add("opt", Dimension::categorical(["adam", "sgd"]))
        .unwrap();
    let r = BayesianSearch::new(space, 1).n_initial(4).run(&|p| p.get_f64("x").unwrap(), 6).unwrap();
    let text = r.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7);
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["rank", "trial", "score", "x", "opt"]);
    let scores: Vec<f64> = lines[1..].iter().map(|l| l.split_whitespace().nth(2).unwrap().parse().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{text}");
    assert_eq!(lines[1].split_whitespace().next(), Some("1"));
    assert_eq!(r.table(2).to_string().lines().count(), 3);
}
