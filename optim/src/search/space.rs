//! The search space: named dimensions (uniform, log-uniform, integer, categorical), validated up front,
//! and their encoding on the unit cube that every search works in.
//!
//! Internally a point is a *unit vector* with one coordinate per dimension: `u ∈ [0, 1]` for the
//! numeric kinds (linear in `x` for `Uniform`, in `ln x` for `LogUniform`, `(k − low)/(high − low)`
//! for `Int`) and the choice's index for `Categorical`.

use derin_tensor::Rng;

use super::error::{Result, SearchError};
use super::params::{Params, Value};

/// The kind and range of one search dimension.
///
/// ```
/// use derin_optim::search::{Dimension, SearchSpace};
/// let space = SearchSpace::new()
///     .add("lr", Dimension::LogUniform { low: 1e-4, high: 1e-1 }).unwrap()
///     .add("units", Dimension::Int { low: 16, high: 256 }).unwrap()
///     .add("optimizer", Dimension::categorical(["adam", "sgd"])).unwrap();
/// assert_eq!(space.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Dimension {
    /// A float drawn uniformly from `[low, high]`; needs finite `low < high`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// A float whose logarithm is uniform on `[ln low, ln high]` (learning rates, weight decays);
    /// needs finite `0 < low < high`.
    LogUniform {
        /// Lower bound, positive.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// An integer from `low..=high` (both included); needs `low ≤ high` and fewer than 2⁵³ values.
    Int {
        /// Smallest value.
        low: i64,
        /// Largest value (included).
        high: i64,
    },
    /// One of the labels; at least one, no duplicates. Read back with [`Params::get_str`].
    Categorical(Vec<String>),
}

/// Largest number of values an `Int` dimension may have, so that unit coordinates stay exact.
const MAX_INT_VALUES: f64 = 9_007_199_254_740_992.0; // 2^53

impl Dimension {
    /// A categorical dimension from anything that yields labels.
    ///
    /// ```
    /// use derin_optim::search::Dimension;
    /// assert_eq!(Dimension::categorical(["relu", "tanh"]), Dimension::Categorical(vec!["relu".into(), "tanh".into()]));
    /// ```
    pub fn categorical<I: IntoIterator<Item = S>, S: Into<String>>(choices: I) -> Self {
        Dimension::Categorical(choices.into_iter().map(Into::into).collect())
    }

    fn validate(&self, name: &str) -> Result<()> {
        let bad = |reason: String| Err(SearchError::InvalidDimension { name: name.to_string(), reason });
        match self {
            Dimension::Uniform { low, high } if !(low.is_finite() && high.is_finite() && low < high) => {
                bad(format!("Uniform needs finite low < high, got low = {low}, high = {high}"))
            }
            Dimension::LogUniform { low, high } if !(high.is_finite() && *low > 0.0 && low < high) => {
                bad(format!("LogUniform needs finite 0 < low < high, got low = {low}, high = {high}"))
            }
            Dimension::Int { low, high } if low > high => {
                bad(format!("Int needs low ≤ high, got low = {low}, high = {high}"))
            }
            Dimension::Int { low, high } if (*high as f64 - *low as f64) >= MAX_INT_VALUES => {
                bad(format!("Int range {low}..={high} has 2^53 values or more"))
            }
            Dimension::Categorical(choices) if choices.is_empty() => {
                bad("Categorical needs at least one choice".into())
            }
            Dimension::Categorical(choices) => {
                match choices.iter().enumerate().find(|(i, c)| choices[..*i].contains(c)) {
                    Some((_, c)) => bad(format!("Categorical choice `{c}` appears twice")),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// Width of the dimension in the Gaussian process's input: one coordinate, or one per choice
    /// (one-hot) for a categorical.
    pub(crate) fn n_features(&self) -> usize {
        match self {
            Dimension::Categorical(choices) => choices.len(),
            _ => 1,
        }
    }

    /// A uniform random unit coordinate (uniform over the integers for `Int`, over the choices for
    /// `Categorical`).
    pub(crate) fn sample_unit(&self, rng: &mut Rng) -> f64 {
        match self {
            Dimension::Uniform { .. } | Dimension::LogUniform { .. } => uniform_f64(rng),
            Dimension::Int { low, high } => {
                let span = (*high - *low) as f64;
                if span == 0.0 { 0.0 } else { ((uniform_f64(rng) * (span + 1.0)).floor().min(span)) / span }
            }
            Dimension::Categorical(choices) => rng.below(choices.len()) as f64,
        }
    }

    /// The nearest representable unit coordinate: clamped to `[0, 1]`, on the integer grid for `Int`,
    /// a valid index for `Categorical`.
    pub(crate) fn snap(&self, u: f64) -> f64 {
        let u = if u.is_nan() { 0.5 } else { u };
        match self {
            Dimension::Uniform { .. } | Dimension::LogUniform { .. } => u.clamp(0.0, 1.0),
            Dimension::Int { low, high } => {
                let span = (*high - *low) as f64;
                if span == 0.0 { 0.0 } else { (u.clamp(0.0, 1.0) * span).round() / span }
            }
            Dimension::Categorical(choices) => u.round().clamp(0.0, (choices.len() - 1) as f64),
        }
    }

    /// The value at a (snapped) unit coordinate, always within the bounds.
    pub(crate) fn value(&self, u: f64) -> Value {
        match self {
            Dimension::Uniform { low, high } => Value::Float((low + u * (high - low)).clamp(*low, *high)),
            Dimension::LogUniform { low, high } => {
                Value::Float((low.ln() + u * (high.ln() - low.ln())).exp().clamp(*low, *high))
            }
            Dimension::Int { low, high } => {
                let k = (u * (*high - *low) as f64).round() as i64;
                Value::Int(low.saturating_add(k).min(*high))
            }
            Dimension::Categorical(choices) => Value::Category(choices[u as usize].clone()),
        }
    }

    /// A nearby unit coordinate: a Gaussian step of standard deviation `scale` (reflected at the
    /// cube's faces) for numeric kinds; for a categorical, a uniformly redrawn choice with
    /// probability `min(2·scale, 0.5)`.
    pub(crate) fn perturb(&self, u: f64, scale: f64, rng: &mut Rng) -> f64 {
        match self {
            Dimension::Categorical(_) => {
                if uniform_f64(rng) < (2.0 * scale).min(0.5) {
                    self.sample_unit(rng)
                } else {
                    u
                }
            }
            _ => {
                let mut v = u + scale * rng.normal() as f64;
                if v < 0.0 {
                    v = -v;
                }
                if v > 1.0 {
                    v = 2.0 - v;
                }
                self.snap(v)
            }
        }
    }

    /// Grid coordinates: `points` evenly spaced unit coordinates (log-spaced values for
    /// `LogUniform`), the middle one when `points` is 1; for `Int` at most every integer; every
    /// choice for `Categorical`.
    pub(crate) fn grid_units(&self, points: usize) -> Vec<f64> {
        match self {
            Dimension::Categorical(choices) => (0..choices.len()).map(|i| i as f64).collect(),
            Dimension::Int { low, high } if ((*high - *low) as f64) < points as f64 => {
                let span = (*high - *low) as f64;
                if span == 0.0 { vec![0.0] } else { (0..=(*high - *low)).map(|k| k as f64 / span).collect() }
            }
            _ if points == 1 => vec![self.snap(0.5)],
            _ => {
                let mut units: Vec<f64> = (0..points).map(|i| self.snap(i as f64 / (points - 1) as f64)).collect();
                units.dedup();
                units
            }
        }
    }
}

/// A uniform `f64` in `[0, 1)` with 53 random bits.
pub(crate) fn uniform_f64(rng: &mut Rng) -> f64 {
    (rng.next_seed() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Named dimensions, each validated when added.
///
/// ```
/// use derin_optim::search::{Dimension, SearchSpace};
/// use derin_tensor::Rng;
/// let space = SearchSpace::new().add("x", Dimension::Uniform { low: -1.0, high: 1.0 }).unwrap();
/// let p = space.sample(&mut Rng::seed(0));
/// assert!(p.get_f64("x").unwrap().abs() <= 1.0);
/// assert!(space.clone().add("x", Dimension::Int { low: 0, high: 3 }).is_err()); // duplicate name
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchSpace {
    dims: Vec<(String, Dimension)>,
}

impl SearchSpace {
    /// An empty space.
    ///
    /// ```
    /// assert!(derin_optim::search::SearchSpace::new().is_empty());
    /// ```
    pub fn new() -> Self {
        SearchSpace::default()
    }

    /// The space with one more dimension.
    ///
    /// # Errors
    /// [`SearchError::InvalidDimension`] for an empty name or bad bounds or choices (see
    /// [`Dimension`]); [`SearchError::DuplicateName`] for a name already taken.
    ///
    /// ```
    /// use derin_optim::search::{Dimension, SearchSpace};
    /// let err = SearchSpace::new().add("x", Dimension::Uniform { low: 2.0, high: 1.0 }).unwrap_err();
    /// assert!(err.to_string().contains("low = 2, high = 1"));
    /// ```
    pub fn add(mut self, name: impl Into<String>, dimension: Dimension) -> Result<Self> {
        let name = name.into();
        if name.is_empty() {
            return Err(SearchError::InvalidDimension { name, reason: "the name is empty".into() });
        }
        if self.dims.iter().any(|(n, _)| *n == name) {
            return Err(SearchError::DuplicateName(name));
        }
        dimension.validate(&name)?;
        self.dims.push((name, dimension));
        Ok(self)
    }

    /// Number of dimensions.
    ///
    /// ```
    /// assert_eq!(derin_optim::search::SearchSpace::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.dims.len()
    }

    /// Whether the space has no dimensions.
    ///
    /// ```
    /// assert!(derin_optim::search::SearchSpace::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.dims.is_empty()
    }

    /// The `(name, dimension)` pairs in the order they were added.
    ///
    /// ```
    /// use derin_optim::search::{Dimension, SearchSpace};
    /// let s = SearchSpace::new().add("k", Dimension::Int { low: 1, high: 9 }).unwrap();
    /// assert_eq!(s.dimensions().next().unwrap().0, "k");
    /// ```
    pub fn dimensions(&self) -> impl Iterator<Item = (&str, &Dimension)> {
        self.dims.iter().map(|(n, d)| (n.as_str(), d))
    }

    /// A uniformly random point (log-uniform for `LogUniform` dimensions).
    ///
    /// ```
    /// use derin_optim::search::{Dimension, SearchSpace};
    /// use derin_tensor::Rng;
    /// let s = SearchSpace::new().add("k", Dimension::Int { low: 1, high: 3 }).unwrap();
    /// let k = s.sample(&mut Rng::seed(3)).get_int("k").unwrap();
    /// assert!((1..=3).contains(&k));
    /// ```
    pub fn sample(&self, rng: &mut Rng) -> Params {
        self.to_params(&self.sample_unit(rng))
    }

    /// Whether `params` has exactly this space's names, in order, with values of the right type
    /// inside the bounds.
    ///
    /// ```
    /// use derin_optim::search::{Dimension, Params, SearchSpace, Value};
    /// let s = SearchSpace::new().add("x", Dimension::Uniform { low: 0.0, high: 1.0 }).unwrap();
    /// assert!(s.contains(&Params::new(vec![("x".into(), Value::Float(0.5))])));
    /// assert!(!s.contains(&Params::new(vec![("x".into(), Value::Float(1.5))])));
    /// ```
    pub fn contains(&self, params: &Params) -> bool {
        params.len() == self.len()
            && self.dims.iter().zip(params.iter()).all(|((name, dim), (n, v))| {
                name == n
                    && match (dim, v) {
                        (Dimension::Uniform { low, high } | Dimension::LogUniform { low, high }, Value::Float(x)) => {
                            low <= x && x <= high
                        }
                        (Dimension::Int { low, high }, Value::Int(k)) => low <= k && k <= high,
                        (Dimension::Categorical(choices), Value::Category(c)) => choices.contains(c),
                        _ => false,
                    }
            })
    }

    pub(crate) fn dim(&self, i: usize) -> &Dimension {
        &self.dims[i].1
    }

    pub(crate) fn sample_unit(&self, rng: &mut Rng) -> Vec<f64> {
        self.dims.iter().map(|(_, d)| d.sample_unit(rng)).collect()
    }

    pub(crate) fn perturb(&self, unit: &[f64], scale: f64, rng: &mut Rng) -> Vec<f64> {
        self.dims.iter().zip(unit).map(|((_, d), &u)| d.perturb(u, scale, rng)).collect()
    }

    pub(crate) fn to_params(&self, unit: &[f64]) -> Params {
        Params::new(self.dims.iter().zip(unit).map(|((n, d), &u)| (n.clone(), d.value(u))).collect())
    }

    /// Width of the Gaussian process's input (categoricals one-hot).
    pub(crate) fn n_features(&self) -> usize {
        self.dims.iter().map(|(_, d)| d.n_features()).sum()
    }

    /// The Gaussian process's input for a unit vector: numeric coordinates as they are, each
    /// categorical as a one-hot block.
    pub(crate) fn features(&self, unit: &[f64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.n_features());
        for ((_, d), &u) in self.dims.iter().zip(unit) {
            match d {
                Dimension::Categorical(choices) => out.extend((0..choices.len()).map(|i| f64::from(i == u as usize))),
                _ => out.push(u),
            }
        }
        out
    }
}
