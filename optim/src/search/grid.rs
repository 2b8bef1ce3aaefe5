//! Grid search: the cartesian product of evenly spaced values per dimension, in row-major order.

use super::error::{Result, SearchError};
use super::params::Params;
use super::result::SearchResult;
use super::space::SearchSpace;
use super::{Direction, Search, check_run, evaluate};

/// Evaluates the full grid: per numeric dimension `points` evenly spaced values including both bounds
/// (log-spaced for `LogUniform`; the midpoint when `points` is 1; for `Int` every integer if there
/// are at most `points`, else `points` evenly spaced rounded ones), every choice of a categorical.
///
/// Points are enumerated in row-major order: the first dimension varies slowest, the last fastest.
/// When the grid has more points than the budget, the first `budget` of that order are evaluated (so
/// size the grid to the budget: see [`GridSearch::size`]); when it has fewer, the whole grid is
/// evaluated and the result has fewer trials than the budget.
///
/// ```
/// use derin_optim::search::{Dimension, GridSearch, Search, SearchSpace};
/// let space = SearchSpace::new()
///     .add("lr", Dimension::LogUniform { low: 1e-3, high: 1e-1 }).unwrap()
///     .add("opt", Dimension::categorical(["adam", "sgd"])).unwrap();
/// let grid = GridSearch::new(space).points(3);
/// assert_eq!(grid.size().unwrap(), 6);
/// let lrs: Vec<f64> = grid.grid().unwrap().iter().step_by(2).map(|p| p.get_f64("lr").unwrap()).collect();
/// assert!((lrs[1] - 1e-2).abs() < 1e-12); // log-spaced: 1e-3, 1e-2, 1e-1
/// let result = grid.run(&|p| p.get_f64("lr").unwrap(), 100).unwrap();
/// assert_eq!(result.trials().len(), 6);
/// ```
#[derive(Debug, Clone)]
pub struct GridSearch {
    space: SearchSpace,
    points: usize,
    overrides: Vec<(String, usize)>,
    direction: Direction,
    parallel: bool,
}

const OP: &str = "grid search";

impl GridSearch {
    /// A grid over `space` with 5 points per numeric dimension, minimizing, evaluated sequentially.
    ///
    /// ```
    /// use derin_optim::search::{Dimension, GridSearch, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// assert_eq!(GridSearch::new(s).size().unwrap(), 5);
    /// ```
    pub fn new(space: SearchSpace) -> Self {
        GridSearch { space, points: 5, overrides: Vec::new(), direction: Direction::Minimize, parallel: false }
    }

    /// Points per numeric dimension (at least 1).
    ///
    /// ```
    /// use derin_optim::search::{Dimension, GridSearch, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// assert_eq!(GridSearch::new(s).points(11).size().unwrap(), 11);
    /// ```
    pub fn points(mut self, points: usize) -> Self {
        self.points = points;
        self
    }

    /// Points for the numeric dimension `name` only, overriding [`GridSearch::points`].
    ///
    /// # Errors
    /// At run time, [`SearchError::InvalidSetting`] when `name` is not a dimension of the space.
    ///
    /// ```
    /// use derin_optim::search::{Dimension, GridSearch, SearchSpace};
    /// let s = SearchSpace::new()
    ///     .add("a", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap()
    ///     .add("b", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// assert_eq!(GridSearch::new(s.clone()).points(5).points_for("a", 6).size().unwrap(), 30);
    /// assert!(GridSearch::new(s).points_for("c", 6).size().is_err());
    /// ```
    pub fn points_for(mut self, name: impl Into<String>, points: usize) -> Self {
        self.overrides.push((name.into(), points));
        self
    }

    /// Whether to minimize (default) or maximize the score.
    ///
    /// ```
    /// use derin_optim::search::{Dimension, Direction, GridSearch, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// let r = GridSearch::new(s).direction(Direction::Maximize).run(&|p| p.get_f64("x").unwrap(), 5).unwrap();
    /// assert_eq!(r.best().unwrap().score, 1.0);
    /// ```
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Evaluate the grid concurrently with rayon (same result as sequential).
    ///
    /// ```
    /// use derin_optim::search::{Dimension, GridSearch, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Int { low: 0, high: 9 }).unwrap();
    /// let f = |p: &derin_optim::search::Params| p.get_int("x").unwrap() as f64;
    /// let g = GridSearch::new(s).points(10);
    /// assert_eq!(g.clone().parallel(true).run(&f, 10).unwrap(), g.run(&f, 10).unwrap());
    /// ```
    pub fn parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    fn points_per_dim(&self) -> Result<Vec<usize>> {
        let bad = |reason: String, setting| Err(SearchError::InvalidSetting { op: OP, setting, reason });
        if let Some((name, _)) = self.overrides.iter().find(|(n, _)| !self.space.dimensions().any(|(d, _)| d == n)) {
            return bad(format!("no dimension named `{name}` in the space"), "points_for");
        }
        let mut out = Vec::with_capacity(self.space.len());
        for (name, _) in self.space.dimensions() {
            let (setting, points) = match self.overrides.iter().rev().find(|(n, _)| n == name) {
                Some((_, p)) => ("points_for", *p),
                None => ("points", self.points),
            };
            if points == 0 {
                return bad(format!("dimension `{name}` needs at least 1 point, got 0"), setting);
            }
            out.push(points);
        }
        Ok(out)
    }

    /// Unit coordinates per dimension.
    fn axes(&self) -> Result<Vec<Vec<f64>>> {
        let points = self.points_per_dim()?;
        Ok(points.iter().enumerate().map(|(i, &p)| self.space.dim(i).grid_units(p)).collect())
    }

    /// Number of grid points (saturating at `usize::MAX`).
    ///
    /// # Errors
    /// [`SearchError::EmptySpace`]; [`SearchError::InvalidSetting`] for 0 points or an unknown
    /// `points_for` name.
    ///
    /// ```
    /// use derin_optim::search::{Dimension, GridSearch, SearchSpace};
    /// let s = SearchSpace::new().add("k", Dimension::Int { low: 1, high: 3 }).unwrap();
    /// assert_eq!(GridSearch::new(s).points(10).size().unwrap(), 3); // every integer
    /// ```
    pub fn size(&self) -> Result<usize> {
        if self.space.is_empty() {
            return Err(SearchError::EmptySpace { op: OP });
        }
        Ok(self.axes()?.iter().fold(1usize, |acc, a| acc.saturating_mul(a.len())))
    }

    /// Every grid point in row-major order.
    ///
    /// # Errors
    /// As [`GridSearch::size`].
    ///
    /// ```
    /// use derin_optim::search::{Dimension, GridSearch, SearchSpace};
    /// let s = SearchSpace::new()
    ///     .add("a", Dimension::Int { low: 0, high: 1 }).unwrap()
    ///     .add("b", Dimension::categorical(["x", "y"])).unwrap();
    /// let g = GridSearch::new(s).grid().unwrap();
    /// assert_eq!(g[1].to_string(), "a = 0, b = y"); // the last dimension varies fastest
    /// ```
    pub fn grid(&self) -> Result<Vec<Params>> {
        let size = self.size()?;
        Ok(self.units(size)?.iter().map(|u| self.space.to_params(u)).collect())
    }

    /// The first `count` grid points' unit vectors in row-major order.
    fn units(&self, count: usize) -> Result<Vec<Vec<f64>>> {
        let axes = self.axes()?;
        let mut index = vec![0usize; axes.len()];
        let mut out = Vec::new();
        'outer: while out.len() < count {
            out.push(index.iter().zip(&axes).map(|(&i, a)| a[i]).collect());
            for d in (0..axes.len()).rev() {
                index[d] += 1;
                if index[d] < axes[d].len() {
                    continue 'outer;
                }
                index[d] = 0;
            }
            break;
        }
        Ok(out)
    }
}

impl Search for GridSearch {
    /// Evaluates the first `min(budget, size)` grid points in row-major order.
    ///
    /// # Errors
    /// [`SearchError::EmptySpace`], [`SearchError::ZeroBudget`], or [`SearchError::InvalidSetting`]
    /// for 0 points or an unknown `points_for` name.
    fn run(&self, objective: &(dyn Fn(&Params) -> f64 + Sync), budget: usize) -> Result<SearchResult> {
        check_run(&self.space, budget, OP)?;
        let units = self.units(budget)?;
        let mut trials = Vec::with_capacity(units.len());
        evaluate(&self.space, &units, objective, self.parallel, &mut trials);
        Ok(SearchResult::new(trials, self.direction))
    }

    fn space(&self) -> &SearchSpace {
        &self.space
    }
}
