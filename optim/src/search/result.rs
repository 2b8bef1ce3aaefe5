//! What a search returns: every trial in evaluation order, the best one, and a table sorted by score.

use std::cmp::Ordering;
use std::fmt;

use super::Direction;
use super::params::{Params, format_number};

/// One evaluation of the objective.
///
/// ```
/// use derin_optim::search::{Params, Trial};
/// let t = Trial { index: 0, params: Params::new(vec![]), score: 1.5 };
/// assert_eq!(t.score, 1.5);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// Position in evaluation order, from 0.
    pub index: usize,
    /// The point evaluated.
    pub params: Params,
    /// What the objective returned (may be NaN or infinite; such trials rank last).
    pub score: f64,
}

/// Every trial of a search and the direction that ranks them.
///
/// ```
/// use derin_optim::search::{Dimension, Direction, RandomSearch, Search, SearchSpace};
/// let space = SearchSpace::new().add("x", Dimension::Uniform { low: -1.0, high: 1.0 }).unwrap();
/// let result = RandomSearch::new(space, 0).run(&|p| p.get_f64("x").unwrap().powi(2), 20).unwrap();
/// assert_eq!(result.trials().len(), 20);
/// let best = result.best().unwrap();
/// assert!(result.trials().iter().all(|t| t.score >= best.score));
/// assert_eq!(result.sorted()[0].index, best.index);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    trials: Vec<Trial>,
    direction: Direction,
}

impl SearchResult {
    /// A result from trials in evaluation order.
    ///
    /// ```
    /// use derin_optim::search::{Direction, Params, SearchResult, Trial};
    /// let t = |i, s| Trial { index: i, params: Params::new(vec![]), score: s };
    /// let r = SearchResult::new(vec![t(0, 1.0), t(1, 3.0)], Direction::Maximize);
    /// assert_eq!(r.best().unwrap().index, 1);
    /// ```
    pub fn new(trials: Vec<Trial>, direction: Direction) -> Self {
        SearchResult { trials, direction }
    }

    /// The trials in evaluation order.
    ///
    /// ```
    /// use derin_optim::search::{Direction, SearchResult};
    /// assert!(SearchResult::new(vec![], Direction::Minimize).trials().is_empty());
    /// ```
    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    /// Whether smaller or larger scores are better.
    ///
    /// ```
    /// use derin_optim::search::{Direction, SearchResult};
    /// assert_eq!(SearchResult::new(vec![], Direction::Maximize).direction(), Direction::Maximize);
    /// ```
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The trial with the best finite score (the earliest on ties); `None` when no score is finite.
    ///
    /// ```
    /// use derin_optim::search::{Direction, Params, SearchResult, Trial};
    /// let t = |i, s| Trial { index: i, params: Params::new(vec![]), score: s };
    /// let r = SearchResult::new(vec![t(0, f64::NAN), t(1, 2.0), t(2, 1.0)], Direction::Minimize);
    /// assert_eq!(r.best().unwrap().index, 2);
    /// ```
    pub fn best(&self) -> Option<&Trial> {
        self.sorted().into_iter().next().filter(|t| t.score.is_finite())
    }

    /// The trials best first (finite scores by direction, ties by index; then the non-finite ones).
    ///
    /// ```
    /// use derin_optim::search::{Direction, Params, SearchResult, Trial};
    /// let t = |i, s| Trial { index: i, params: Params::new(vec![]), score: s };
    /// let r = SearchResult::new(vec![t(0, 2.0), t(1, f64::NAN), t(2, 1.0)], Direction::Minimize);
    /// assert_eq!(r.sorted().iter().map(|t| t.index).collect::<Vec<_>>(), [2, 0, 1]);
    /// ```
    pub fn sorted(&self) -> Vec<&Trial> {
        let mut v: Vec<&Trial> = self.trials.iter().collect();
        v.sort_by(|a, b| self.rank(a, b));
        v
    }

    fn rank(&self, a: &Trial, b: &Trial) -> Ordering {
        match (a.score.is_finite(), b.score.is_finite()) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => a.index.cmp(&b.index),
            (true, true) => {
                let (x, y) = (self.direction.loss(a.score), self.direction.loss(b.score));
                x.total_cmp(&y).then(a.index.cmp(&b.index))
            }
        }
    }

    /// The best score after each trial (what a convergence plot shows); NaN until a finite score.
    ///
    /// ```
    /// use derin_optim::search::{Direction, Params, SearchResult, Trial};
    /// let t = |i, s| Trial { index: i, params: Params::new(vec![]), score: s };
    /// let r = SearchResult::new(vec![t(0, 3.0), t(1, 5.0), t(2, 1.0)], Direction::Minimize);
    /// assert_eq!(r.best_so_far(), [3.0, 3.0, 1.0]);
    /// ```
    pub fn best_so_far(&self) -> Vec<f64> {
        let mut best = f64::NAN;
        self.trials
            .iter()
            .map(|t| {
                if t.score.is_finite() && (best.is_nan() || self.direction.loss(t.score) < self.direction.loss(best)) {
                    best = t.score;
                }
                best
            })
            .collect()
    }

    /// A printable table of the `rows` best trials: rank, trial index, score, then one column per
    /// parameter. `Display` on the result prints every trial this way.
    ///
    /// ```
    /// use derin_optim::search::{Direction, Params, SearchResult, Trial, Value};
    /// let p = |x| Params::new(vec![("x".into(), Value::Float(x))]);
    /// let r = SearchResult::new(
    ///     vec![Trial { index: 0, params: p(1.0), score: 4.0 }, Trial { index: 1, params: p(0.5), score: 0.25 }],
    ///     Direction::Minimize,
    /// );
    /// let text = r.table(1).to_string();
    /// assert_eq!(text.lines().count(), 2); // header + one row
    /// assert!(text.lines().nth(1).unwrap().contains("0.250000"));
    /// ```
    pub fn table(&self, rows: usize) -> ResultTable<'_> {
        ResultTable { result: self, rows }
    }
}

impl fmt::Display for SearchResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.table(self.trials.len()).fmt(f)
    }
}

/// The best trials of a [`SearchResult`] as a text table, from [`SearchResult::table`].
///
/// ```
/// use derin_optim::search::{Direction, SearchResult};
/// let r = SearchResult::new(vec![], Direction::Minimize);
/// assert!(r.table(5).to_string().starts_with("rank"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ResultTable<'a> {
    result: &'a SearchResult,
    rows: usize,
}

impl fmt::Display for ResultTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sorted = self.result.sorted();
        let names: Vec<&str> = sorted.first().map(|t| t.params.iter().map(|(n, _)| n).collect()).unwrap_or_default();
        let mut cells: Vec<Vec<String>> = vec![
            ["rank", "trial", "score"]
                .iter()
                .map(|s| s.to_string())
                .chain(names.iter().map(|s| s.to_string()))
                .collect(),
        ];
        for (rank, t) in sorted.iter().take(self.rows).enumerate() {
            let mut row = vec![(rank + 1).to_string(), t.index.to_string(), format_number(t.score)];
            row.extend(t.params.iter().map(|(_, v)| v.to_string()));
            cells.push(row);
        }
        let columns = cells.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| cells.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
            .collect();
        for (i, row) in cells.iter().enumerate() {
            let line: Vec<String> = row.iter().zip(&widths).map(|(s, w)| format!("{s:>w$}")).collect();
            write!(f, "{}", line.join("  "))?;
            if i + 1 < cells.len() {
                writeln!(f)?;
            }
        }
        Ok(())
    }
}
