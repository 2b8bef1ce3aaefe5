//! Bayesian optimization: a Gaussian process (Matérn 5/2) fitted to the scores so far, and the next
//! point chosen by maximizing expected improvement.

use derin_tensor::Rng;

use super::error::{Result, SearchError};
use super::gp::{GaussianProcess, GpHyperparams};
use super::params::Params;
use super::propose::Proposer;
use super::result::SearchResult;
use super::space::SearchSpace;
use super::{Direction, Search, check_run, evaluate};

/// How many of the best points seen are perturbed when maximizing expected improvement.
const INCUMBENTS: usize = 5;

/// Gaussian-process Bayesian optimization with expected improvement.
///
/// 1. `n_initial` random points (default `max(5, 2·dimensions)`), evaluated as one batch.
/// 2. Then, until the budget is spent: fit a GP with a Matérn 5/2 kernel to the points so far — inputs
///    on the unit cube (numeric dimensions as `u ∈ [0, 1]`, log scale for `LogUniform`, integers at
///    their rounded coordinates, each categorical one-hot), scores standardized, one length scale per
///    input, signal variance and noise fitted by maximizing the log marginal likelihood (see
///    [`GaussianProcess::fit_ml`], warm-started from the previous fit) — and evaluate the point that
///    maximizes [`expected_improvement`](super::expected_improvement) with margin
///    `ξ = xi · sd(scores)`. EI is maximized over `n_candidates` random points plus perturbations of
///    the 5 best points seen, then refined locally; candidates are snapped to the space (integers
///    rounded, categoricals a valid choice) before they are scored.
/// 3. With `batch_size = q > 1`, each round picks `q` points by the *constant liar*: after each pick
///    the GP is refitted (same hyperparameters) as if that point had scored the best value so far, and
///    the `q` points are evaluated together (concurrently with `.parallel(true)`).
///
/// Non-finite scores are kept in the result and given the worst finite score when fitting the GP;
/// while no score is finite, and if a GP cannot be fitted, points are drawn at random. The same seed
/// and settings give the same trials, whether evaluated in parallel or not.
///
/// ```
/// use derin_optim::search::{BRANIN_MINIMUM, BayesianSearch, Dimension, Search, SearchSpace, branin};
/// let space = SearchSpace::new()
///     .add("x1", Dimension::Uniform { low: -5.0, high: 10.0 }).unwrap()
///     .add("x2", Dimension::Uniform { low: 0.0, high: 15.0 }).unwrap();
/// let f = |p: &derin_optim::search::Params| branin(p.get_f64("x1").unwrap(), p.get_f64("x2").unwrap());
/// let result = BayesianSearch::new(space, 0).run(&f, 30).unwrap();
/// assert!(result.best().unwrap().score < BRANIN_MINIMUM + 0.5);
/// ```
#[derive(Debug, Clone)]
pub struct BayesianSearch {
    space: SearchSpace,
    seed: u64,
    direction: Direction,
    parallel: bool,
    n_initial: Option<usize>,
    n_candidates: usize,
    xi: f64,
    batch_size: usize,
}

const OP: &str = "bayesian search";

impl BayesianSearch {
    /// A Bayesian search over `space` seeded with `seed`: minimizing, `n_initial = max(5, 2·dims)`,
    /// 1000 random EI candidates, `xi = 0.01`, batches of 1, evaluated sequentially.
    ///
    /// ```
    /// use derin_optim::search::{BayesianSearch, Dimension, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// assert_eq!(BayesianSearch::new(s, 0).space().len(), 1);
    /// ```
    pub fn new(space: SearchSpace, seed: u64) -> Self {
        BayesianSearch {
            space,
            seed,
            direction: Direction::Minimize,
            parallel: false,
            n_initial: None,
            n_candidates: 1000,
            xi: 0.01,
            batch_size: 1,
        }
    }

    /// Whether to minimize (default) or maximize the score.
    ///
    /// ```
    /// use derin_optim::search::{BayesianSearch, Dimension, Direction, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: -1.0, high: 1.0 }).unwrap();
    /// let f = |p: &derin_optim::search::Params| 1.0 - p.get_f64("x").unwrap().powi(2);
    /// let r = BayesianSearch::new(s, 0).direction(Direction::Maximize).run(&f, 15).unwrap();
    /// assert!(r.best().unwrap().score > 0.99);
    /// ```
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Evaluate each batch (the initial points, then `batch_size` points) concurrently with rayon and
    /// score EI candidates on rayon's pool; same trials as sequential.
    ///
    /// ```
    /// use derin_optim::search::{BayesianSearch, Dimension, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: -1.0, high: 1.0 }).unwrap();
    /// let f = |p: &derin_optim::search::Params| p.get_f64("x").unwrap().abs();
    /// let b = BayesianSearch::new(s, 3).batch_size(2);
    /// assert_eq!(b.clone().parallel(true).run(&f, 12).unwrap(), b.run(&f, 12).unwrap());
    /// ```
    pub fn parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    /// Number of random points before the GP takes over (at least 1; capped by the budget).
    ///
    /// ```
    /// use derin_optim::search::{BayesianSearch, Dimension, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// assert!(BayesianSearch::new(s, 0).n_initial(0).run(&|_| 0.0, 5).is_err());
    /// ```
    pub fn n_initial(mut self, n: usize) -> Self {
        self.n_initial = Some(n);
        self
    }

    /// Number of uniformly random candidates scored when maximizing EI (at least 1; default 1000).
    ///
    /// ```
    /// use derin_optim::search::{BayesianSearch, Dimension, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// assert_eq!(BayesianSearch::new(s, 0).n_candidates(50).run(&|_| 0.0, 8).unwrap().trials().len(), 8);
    /// ```
    pub fn n_candidates(mut self, n: usize) -> Self {
        self.n_candidates = n;
        self
    }

    /// Exploration margin of expected improvement, in standard deviations of the scores seen
    /// (finite, ≥ 0; default 0.01).
    ///
    /// ```
    /// use derin_optim::search::{BayesianSearch, Dimension, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// let err = BayesianSearch::new(s, 0).xi(-1.0).run(&|_| 0.0, 8).unwrap_err();
    /// assert!(err.to_string().contains("xi"));
    /// ```
    pub fn xi(mut self, xi: f64) -> Self {
        self.xi = xi;
        self
    }

    /// Points chosen per round after the initial ones (constant liar; at least 1; default 1).
    ///
    /// ```
    /// use derin_optim::search::{BayesianSearch, Dimension, Search, SearchSpace};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// let r = BayesianSearch::new(s, 0).batch_size(4).run(&|p| p.get_f64("x").unwrap(), 13).unwrap();
    /// assert_eq!(r.trials().len(), 13);
    /// ```
    pub fn batch_size(mut self, q: usize) -> Self {
        self.batch_size = q;
        self
    }

    fn check_settings(&self) -> Result<()> {
        let bad = |setting, reason: String| Err(SearchError::InvalidSetting { op: OP, setting, reason });
        match () {
            _ if self.n_initial == Some(0) => bad("n_initial", "needs at least 1 random point, got 0".into()),
            _ if self.n_candidates == 0 => bad("n_candidates", "needs at least 1 candidate, got 0".into()),
            _ if self.batch_size == 0 => bad("batch_size", "needs at least 1 point per batch, got 0".into()),
            _ if !(self.xi >= 0.0 && self.xi.is_finite()) => {
                bad("xi", format!("needs a finite xi ≥ 0, got {}", self.xi))
            }
            _ => Ok(()),
        }
    }

    /// The next `q` unit vectors given the points so far and their losses (smaller is better).
    fn next_batch(
        &self,
        units: &[Vec<f64>],
        losses: &[f64],
        q: usize,
        hyper: &mut Option<GpHyperparams>,
        rng: &mut Rng,
    ) -> Vec<Vec<f64>> {
        let worst = losses.iter().copied().filter(|l| l.is_finite()).fold(f64::NEG_INFINITY, f64::max);
        let random = |rng: &mut Rng| (0..q).map(|_| self.space.sample_unit(rng)).collect();
        if worst == f64::NEG_INFINITY {
            return random(rng);
        }
        let mut units = units.to_vec();
        let mut x: Vec<Vec<f64>> = units.iter().map(|u| self.space.features(u)).collect();
        let mut y: Vec<f64> = losses.iter().map(|&l| if l.is_finite() { l } else { worst }).collect();
        let Ok(mut gp) = GaussianProcess::fit_ml(&x, &y, hyper.as_ref()) else { return random(rng) };
        *hyper = Some(gp.hyperparams().clone());
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let xi = self.xi * (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
        let mut batch = Vec::with_capacity(q);
        loop {
            let mut order: Vec<usize> = (0..y.len()).collect();
            order.sort_by(|&a, &b| y[a].total_cmp(&y[b]).then(a.cmp(&b)));
            let best = y[order[0]];
            let incumbents: Vec<&[f64]> = order.iter().take(INCUMBENTS).map(|&i| units[i].as_slice()).collect();
            let proposer = Proposer { space: &self.space, gp: &gp, best, xi, parallel: self.parallel };
            let u = proposer.propose(self.n_candidates, &incumbents, rng);
            batch.push(u.clone());
            if batch.len() == q {
                return batch;
            }
            // Constant liar: pretend the pick scored the best value so far, so the next pick goes elsewhere.
            x.push(self.space.features(&u));
            y.push(best);
            units.push(u);
            match GaussianProcess::fit(&x, &y, gp.hyperparams()) {
                Ok(next) => gp = next,
                Err(_) => {
                    batch.extend(random(rng).into_iter().take(q - batch.len()));
                    return batch;
                }
            }
        }
    }
}

impl Search for BayesianSearch {
    /// Runs steps 1–3 above until `budget` points are evaluated.
    ///
    /// # Errors
    /// [`SearchError::EmptySpace`], [`SearchError::ZeroBudget`], [`SearchError::InvalidSetting`] for
    /// `n_initial`, `n_candidates` or `batch_size` of 0, or a negative or non-finite `xi`.
    fn run(&self, objective: &(dyn Fn(&Params) -> f64 + Sync), budget: usize) -> Result<SearchResult> {
        check_run(&self.space, budget, OP)?;
        self.check_settings()?;
        let mut rng = Rng::seed(self.seed);
        let n_initial = self.n_initial.unwrap_or((2 * self.space.len()).max(5)).min(budget);
        let mut units: Vec<Vec<f64>> = (0..n_initial).map(|_| self.space.sample_unit(&mut rng)).collect();
        let mut trials = Vec::with_capacity(budget);
        let scores = evaluate(&self.space, &units, objective, self.parallel, &mut trials);
        let mut losses: Vec<f64> = scores.iter().map(|&s| self.direction.loss(s)).collect();
        let mut hyper = None;
        while units.len() < budget {
            let q = self.batch_size.min(budget - units.len());
            let batch = self.next_batch(&units, &losses, q, &mut hyper, &mut rng);
            let scores = evaluate(&self.space, &batch, objective, self.parallel, &mut trials);
            losses.extend(scores.iter().map(|&s| self.direction.loss(s)));
            units.extend(batch);
        }
        Ok(SearchResult::new(trials, self.direction))
    }

    fn space(&self) -> &SearchSpace {
        &self.space
    }
}
