//! Random search: independent uniform draws from the space (log-uniform for `LogUniform`), seeded.

use derin_tensor::Rng;

use super::error::Result;
use super::params::Params;
use super::result::SearchResult;
use super::space::SearchSpace;
use super::{Direction, Search, check_run, evaluate};

/// Evaluates `budget` independent random points drawn with a generator seeded by `seed`; the same
/// seed gives the same points, evaluated sequentially or in parallel.
///
/// ```
/// use derin_optim::search::{Dimension, RandomSearch, Search, SearchSpace};
/// let space = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
/// let f = |p: &derin_optim::search::Params| p.get_f64("x").unwrap();
/// let a = RandomSearch::new(space.clone(), 7).run(&f, 10).unwrap();
/// let b = RandomSearch::new(space, 7).parallel(true).run(&f, 10).unwrap();
/// assert_eq!(a, b);
/// ```
#[derive(Debug, Clone)]
pub struct RandomSearch {
    space: SearchSpace,
    seed: u64,
    direction: Direction,
    parallel: bool,
}

impl RandomSearch {
    /// A random search over `space` seeded with `seed`, minimizing, evaluated sequentially.
    ///
    /// ```
    /// use derin_optim::search::{Dimension, RandomSearch, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Int { low: 0, high: 5 }).unwrap();
    /// assert_eq!(RandomSearch::new(s, 3).space().len(), 1);
    /// ```
    pub fn new(space: SearchSpace, seed: u64) -> Self {
        RandomSearch { space, seed, direction: Direction::Minimize, parallel: false }
    }

    /// Whether to minimize (default) or maximize the score.
    ///
    /// ```
    /// use derin_optim::search::{Dimension, Direction, RandomSearch, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// let r = RandomSearch::new(s, 0).direction(Direction::Maximize).run(&|p| p.get_f64("x").unwrap(), 50).unwrap();
    /// assert!(r.best().unwrap().score > 0.9);
    /// ```
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Evaluate the points concurrently with rayon (same result as sequential).
    ///
    /// ```
    /// use derin_optim::search::{Dimension, RandomSearch, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// assert_eq!(RandomSearch::new(s, 0).parallel(true).run(&|_| 1.0, 8).unwrap().trials().len(), 8);
    /// ```
    pub fn parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }
}

impl Search for RandomSearch {
    /// Draws all `budget` points first, then evaluates them.
    ///
    /// # Errors
    /// [`SearchError::EmptySpace`](super::SearchError::EmptySpace),
    /// [`SearchError::ZeroBudget`](super::SearchError::ZeroBudget).
    fn run(&self, objective: &(dyn Fn(&Params) -> f64 + Sync), budget: usize) -> Result<SearchResult> {
        check_run(&self.space, budget, "random search")?;
        let mut rng = Rng::seed(self.seed);
        let units: Vec<Vec<f64>> = (0..budget).map(|_| self.space.sample_unit(&mut rng)).collect();
        let mut trials = Vec::with_capacity(budget);
        evaluate(&self.space, &units, objective, self.parallel, &mut trials);
        Ok(SearchResult::new(trials, self.direction))
    }

    fn space(&self) -> &SearchSpace {
        &self.space
    }
}
