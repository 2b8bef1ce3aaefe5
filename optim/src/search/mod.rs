//! Hyperparameter search: a space of named dimensions, and grid, random and Bayesian
//! (Gaussian process + expected improvement) searches over it.
//!
//! The objective is any closure `Fn(&Params) -> f64` returning a score; the search knows nothing of
//! models. Every search implements [`Search::run`], which evaluates at most `budget` points and
//! returns a [`SearchResult`] with every trial, the best one and a table sorted by score.
//!
//! All three work on the *unit cube*: each numeric dimension maps to `[0, 1]` (linearly in `ln x` for
//! `LogUniform`, integers at evenly spaced coordinates); categoricals are indices, one-hot encoded
//! for the Gaussian process.
//!
//! # Parallel evaluation
//! With `.parallel(true)` the points of a batch are evaluated concurrently on rayon's pool (the
//! objective must then be cheap to share: `Sync`). Points are always chosen before their batch is
//! evaluated and scores are kept in point order, so a seed gives the same trials either way:
//! [`GridSearch`] and [`RandomSearch`] evaluate everything as one batch; [`BayesianSearch`] evaluates
//! its initial random points as one batch, then batches of `batch_size` points (default 1) chosen by
//! the constant liar.
//!
//! ```
//! use derin_optim::search::{BayesianSearch, Dimension, Search, SearchSpace};
//! let space = SearchSpace::new()
//!     .add("x", Dimension::Uniform { low: -2.0, high: 2.0 }).unwrap()
//!     .add("n", Dimension::Int { low: 0, high: 4 }).unwrap()
//!     .add("act", Dimension::categorical(["relu", "tanh"])).unwrap();
//! let objective = |p: &derin_optim::search::Params| {
//!     let x = p.get_f64("x").unwrap();
//!     let n = p.get_int("n").unwrap() as f64;
//!     let penalty = if p.get_str("act").unwrap() == "relu" { 0.0 } else { 1.0 };
//!     (x - 0.5).powi(2) + (n - 2.0).powi(2) + penalty
//! };
//! let result = BayesianSearch::new(space, 42).run(&objective, 25).unwrap();
//! assert!(result.best().unwrap().score < 0.5);
//! ```

mod acquisition;
mod bayes;
mod error;
mod functions;
mod gp;
mod grid;
mod linalg;
mod params;
mod propose;
mod random;
mod result;
mod space;

pub use acquisition::expected_improvement;
pub use bayes::BayesianSearch;
pub use error::{Result, SearchError};
pub use functions::{BRANIN_MINIMIZERS, BRANIN_MINIMUM, branin, rosenbrock};
pub use gp::{GaussianProcess, GpHyperparams, matern52};
pub use grid::GridSearch;
pub use params::{Params, Value, ValueKind};
pub use random::RandomSearch;
pub use result::{ResultTable, SearchResult, Trial};
pub use space::{Dimension, SearchSpace};

use rayon::prelude::*;

/// Whether the search looks for the smallest or the largest score.
///
/// ```
/// use derin_optim::search::Direction;
/// assert_eq!(Direction::Maximize.loss(0.9), -0.9);
/// assert_eq!(Direction::default(), Direction::Minimize);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smaller is better (losses, errors).
    #[default]
    Minimize,
    /// Larger is better (accuracies, rewards).
    Maximize,
}

impl Direction {
    /// The score as a quantity to minimize: itself, or its negation for `Maximize`.
    ///
    /// ```
    /// use derin_optim::search::Direction;
    /// assert_eq!(Direction::Minimize.loss(2.0), 2.0);
    /// ```
    pub fn loss(self, score: f64) -> f64 {
        match self {
            Direction::Minimize => score,
            Direction::Maximize => -score,
        }
    }
}

/// A search strategy: evaluates an objective at up to `budget` points of its space.
///
/// ```
/// use derin_optim::search::{Dimension, GridSearch, RandomSearch, Search, SearchSpace};
/// let space = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
/// let searches: Vec<Box<dyn Search>> =
///     vec![Box::new(GridSearch::new(space.clone()).points(5)), Box::new(RandomSearch::new(space, 1))];
/// for s in &searches {
///     assert_eq!(s.run(&|p| p.get_f64("x").unwrap(), 5).unwrap().trials().len(), 5);
/// }
/// ```
pub trait Search {
    /// Runs the search; the objective returns a score, ranked by the search's [`Direction`].
    /// Non-finite scores are kept in the result but rank last.
    ///
    /// # Errors
    /// [`SearchError::EmptySpace`], [`SearchError::ZeroBudget`], or
    /// [`SearchError::InvalidSetting`] for a setting out of range (each search lists its own).
    fn run(&self, objective: &(dyn Fn(&Params) -> f64 + Sync), budget: usize) -> Result<SearchResult>;

    /// The space searched.
    ///
    /// ```
    /// use derin_optim::search::{Dimension, RandomSearch, Search, SearchSpace};
    /// let space = SearchSpace::new().add("x", Dimension::Int { low: 0, high: 1 }).unwrap();
    /// assert_eq!(RandomSearch::new(space, 0).space().len(), 1);
    /// ```
    fn space(&self) -> &SearchSpace;
}

/// Checks what every search needs: a dimension and a budget.
fn check_run(space: &SearchSpace, budget: usize, op: &'static str) -> Result<()> {
    if space.is_empty() {
        return Err(SearchError::EmptySpace { op });
    }
    if budget == 0 {
        return Err(SearchError::ZeroBudget { op });
    }
    Ok(())
}

/// Evaluates unit vectors in order (concurrently when `parallel`), appending trials numbered on from
/// those already in `trials`; returns the new scores.
fn evaluate(
    space: &SearchSpace,
    units: &[Vec<f64>],
    objective: &(dyn Fn(&Params) -> f64 + Sync),
    parallel: bool,
    trials: &mut Vec<Trial>,
) -> Vec<f64> {
    let params: Vec<Params> = units.iter().map(|u| space.to_params(u)).collect();
    let scores: Vec<f64> = if parallel && params.len() > 1 {
        params.par_iter().map(objective).collect()
    } else {
        params.iter().map(objective).collect()
    };
    let start = trials.len();
    for (i, (params, &score)) in params.into_iter().zip(&scores).enumerate() {
        trials.push(Trial { index: start + i, params, score });
    }
    scores
}
