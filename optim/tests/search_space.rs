//! Search spaces, parameters, grid and random search: validation messages, typed getters, grid
//! coverage, seeded reproducibility, and (proptest) every sample inside its bounds.

use derin_optim::search::{
    Dimension, Direction, GridSearch, Params, RandomSearch, Search, SearchError, SearchSpace, Value, ValueKind,
};
use proptest::prelude::*;

fn err(name: &str, d: Dimension) -> String {
    SearchSpace::new().add(name, d).unwrap_err().to_string()
}

#[test]
fn invalid_dimensions_are_rejected_with_their_values() {
    assert_eq!(
        err("x", Dimension::Uniform { low: 1.0, high: 1.0 }),
        "search space: dimension `x`: Uniform needs finite low < high, got low = 1, high = 1"
    );
    assert!(err("x", Dimension::Uniform { low: f64::NAN, high: 1.0 }).contains("low = NaN"));
    assert!(err("x", Dimension::Uniform { low: 0.0, high: f64::INFINITY }).contains("high = inf"));
    assert!(err("lr", Dimension::LogUniform { low: -1.0, high: 1.0 }).contains("0 < low < high, got low = -1"));
    assert!(err("k", Dimension::Int { low: 3, high: 2 }).contains("low ≤ high, got low = 3, high = 2"));
    assert!(err("k", Dimension::Int { low: i64::MIN, high: i64::MAX }).contains("2^53"));
    assert!(err("c", Dimension::Categorical(vec![])).contains("at least one choice"));
    assert!(err("c", Dimension::categorical(["a", "b", "a"])).contains("`a` appears twice"));
    assert!(err("", Dimension::Int { low: 0, high: 1 }).contains("name is empty"));
    let dup = SearchSpace::new()
        .add("x", Dimension::Int { low: 0, high: 1 })
        .unwrap()
        .add("x", Dimension::Int { low: 0, high: 1 })
        .unwrap_err();
    assert_eq!(dup, SearchError::DuplicateName("x".into()));
    // A single-valued integer dimension is allowed.
    assert!(SearchSpace::new().add("k", Dimension::Int { low: 4, high: 4 }).is_ok());
}

#[test]
fn searches_reject_empty_space_zero_budget_and_bad_settings() {
    let f = |_: &Params| 0.0;
    let e = RandomSearch::new(SearchSpace::new(), 0).run(&f, 3).unwrap_err();
    assert_eq!(e.to_string(), "random search: the search space has no dimensions; add one with `SearchSpace::add`");
    let space = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    let e = GridSearch::new(space.clone()).run(&f, 0).unwrap_err();
    assert_eq!(e, SearchError::ZeroBudget { op: "grid search" });
    let e = GridSearch::new(space.clone()).points(0).run(&f, 3).unwrap_err();
    assert!(e.to_string().contains("setting `points`: dimension `x` needs at least 1 point, got 0"), "{e}");
    let e = GridSearch::new(space).points_for("y", 3).run(&f, 3).unwrap_err();
    assert!(e.to_string().contains("no dimension named `y`"), "{e}");
}

#[test]
fn params_getters_check_names_and_types() {
    let p = Params::new(vec![
        ("lr".into(), Value::Float(0.1)),
        ("units".into(), Value::Int(32)),
        ("opt".into(), Value::Category("adam".into())),
    ]);
    assert_eq!((p.get_f64("lr").unwrap(), p.get_int("units").unwrap(), p.get_str("opt").unwrap()), (0.1, 32, "adam"));
    let e = p.get_f64("momentum").unwrap_err();
    assert_eq!(e.to_string(), "params: no parameter named `momentum` (known: lr, units, opt)");
    let e = p.get_f64("units").unwrap_err();
    assert_eq!(
        e,
        SearchError::TypeMismatch { name: "units".into(), expected: ValueKind::Float, found: ValueKind::Int }
    );
    assert_eq!(e.to_string(), "params: `units` has type integer, not float");
    assert!(p.get_int("opt").is_err() && p.get_str("lr").is_err());
    assert_eq!(p.to_string(), "lr = 0.100000, units = 32, opt = adam");
}

#[test]
fn grid_covers_the_cartesian_product_in_row_major_order() {
    let space = SearchSpace::new()
        .add("x", Dimension::Uniform { low: -1.0, high: 1.0 })
        .unwrap()
        .add("lr", Dimension::LogUniform { low: 1e-4, high: 1.0 })
        .unwrap()
        .add("k", Dimension::Int { low: 1, high: 2 })
        .unwrap()
        .add("act", Dimension::categorical(["relu", "tanh"]))
        .unwrap();
    let grid = GridSearch::new(space.clone()).points(3).points_for("lr", 5);
    assert_eq!(grid.size().unwrap(), 3 * 5 * 2 * 2);
    let points = grid.grid().unwrap();
    let mut expected = Vec::new();
    for x in [-1.0, 0.0, 1.0] {
        for lr in [1e-4, 1e-3, 1e-2, 1e-1, 1.0] {
            for k in [1, 2] {
                for act in ["relu", "tanh"] {
                    expected.push((x, lr, k, act));
                }
            }
        }
    }
    assert_eq!(points.len(), expected.len());
    for (p, (x, lr, k, act)) in points.iter().zip(&expected) {
        assert!(space.contains(p));
        assert!((p.get_f64("x").unwrap() - x).abs() < 1e-12, "{p}");
        assert!((p.get_f64("lr").unwrap() / lr - 1.0).abs() < 1e-12, "{p}");
        assert_eq!((p.get_int("k").unwrap(), p.get_str("act").unwrap()), (*k, *act));
    }
    // The budget truncates in the same order; a larger budget evaluates the whole grid once.
    let f = |p: &Params| p.get_f64("x").unwrap();
    let truncated = grid.run(&f, 7).unwrap();
    assert_eq!(truncated.trials().iter().map(|t| t.params.clone()).collect::<Vec<_>>(), points[..7]);
    assert_eq!(grid.run(&f, 1000).unwrap().trials().len(), 60);
}

#[test]
fn grid_on_integers_is_every_value_or_evenly_spaced_ones() {
    let ints = |low, high, points| {
        let space = SearchSpace::new().add("k", Dimension::Int { low, high }).unwrap();
        GridSearch::new(space)
            .points(points)
            .grid()
            .unwrap()
            .iter()
            .map(|p| p.get_int("k").unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(ints(-2, 2, 10), [-2, -1, 0, 1, 2]);
    assert_eq!(ints(0, 100, 5), [0, 25, 50, 75, 100]);
    assert_eq!(ints(7, 7, 3), [7]);
    let space = SearchSpace::new().add("x", Dimension::Uniform { low: 2.0, high: 4.0 }).unwrap();
    assert_eq!(GridSearch::new(space).points(1).grid().unwrap()[0].get_f64("x").unwrap(), 3.0);
}

#[test]
fn random_search_is_reproducible_and_seed_dependent() {
    let space = SearchSpace::new()
        .add("x", Dimension::Uniform { low: 0.0, high: 1.0 })
        .unwrap()
        .add("c", Dimension::categorical(["a", "b", "c"]))
        .unwrap();
    let f = |p: &Params| p.get_f64("x").unwrap();
    let run = |seed| RandomSearch::new(space.clone(), seed).run(&f, 20).unwrap();
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
    assert_eq!(run(5), RandomSearch::new(space.clone(), 5).parallel(true).run(&f, 20).unwrap());
    let max = RandomSearch::new(space.clone(), 5).direction(Direction::Maximize).run(&f, 20).unwrap();
    assert_eq!(max.best().unwrap().score, run(5).trials().iter().map(|t| t.score).fold(f64::MIN, f64::max));
}

#[test]
fn random_search_covers_every_choice_and_integer() {
    let space = SearchSpace::new()
        .add("k", Dimension::Int { low: -1, high: 1 })
        .unwrap()
        .add("c", Dimension::categorical(["a", "b"]))
        .unwrap();
    let r = RandomSearch::new(space, 0).run(&|_| 0.0, 100).unwrap();
    for k in -1..=1 {
        assert!(r.trials().iter().any(|t| t.params.get_int("k").unwrap() == k));
    }
    for c in ["a", "b"] {
        assert!(r.trials().iter().any(|t| t.params.get_str("c").unwrap() == c));
    }
}

fn dimension() -> impl Strategy<Value = Dimension> {
    prop_oneof![
        (-1e6..1e6f64, 1e-9..1e6f64).prop_map(|(low, w)| Dimension::Uniform { low, high: low + w }),
        (-30.0..30.0f64, 1e-6..20.0f64)
            .prop_map(|(a, w)| Dimension::LogUniform { low: 10f64.powf(a), high: 10f64.powf(a + w) }),
        (-1_000_000i64..1_000_000, 0i64..1_000_000).prop_map(|(low, w)| Dimension::Int { low, high: low + w }),
        (1usize..6).prop_map(|n| Dimension::categorical((0..n).map(|i| format!("c{i}")))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_and_grid_points_stay_within_bounds(dims in prop::collection::vec(dimension(), 1..5), seed in any::<u64>()) {
        let space = dims.into_iter().enumerate().fold(SearchSpace::new(), |s, (i, d)| s.add(format!("d{i}"), d).unwrap());
        let r = RandomSearch::new(space.clone(), seed).run(&|_| 0.0, 50).unwrap();
        for t in r.trials() {
            prop_assert!(space.contains(&t.params), "{}", t.params);
        }
        for p in GridSearch::new(space.clone()).points(3).grid().unwrap() {
            prop_assert!(space.contains(&p), "{}", p);
        }
    }
}
