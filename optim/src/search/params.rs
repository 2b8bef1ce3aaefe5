//! A point of a search space: named, typed parameter values with checked getters.

use std::fmt;

use super::error::{Result, SearchError};

/// One parameter value: what a dimension of the [`SearchSpace`](super::SearchSpace) yields.
///
/// ```
/// use derin_optim::search::{Value, ValueKind};
/// assert_eq!(Value::Int(3).kind(), ValueKind::Int);
/// assert_eq!(Value::Category("adam".into()).to_string(), "adam");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// From a `Uniform` or `LogUniform` dimension.
    Float(f64),
    /// From an `Int` dimension.
    Int(i64),
    /// The label of the choice taken from a `Categorical` dimension.
    Category(String),
}

/// The type of a [`Value`], named in type-mismatch errors.
///
/// ```
/// use derin_optim::search::ValueKind;
/// assert_eq!(ValueKind::Float.to_string(), "float");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// [`Value::Float`].
    Float,
    /// [`Value::Int`].
    Int,
    /// [`Value::Category`].
    Category,
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueKind::Float => "float",
            ValueKind::Int => "integer",
            ValueKind::Category => "categorical",
        })
    }
}

impl Value {
    /// The value's type.
    ///
    /// ```
    /// use derin_optim::search::{Value, ValueKind};
    /// assert_eq!(Value::Float(0.5).kind(), ValueKind::Float);
    /// ```
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Float(_) => ValueKind::Float,
            Value::Int(_) => ValueKind::Int,
            Value::Category(_) => ValueKind::Category,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Float(v) => f.write_str(&format_number(*v)),
            Value::Int(v) => write!(f, "{v}"),
            Value::Category(label) => f.write_str(label),
        }
    }
}

/// Fixed-point for ordinary magnitudes, scientific otherwise, so table columns stay readable.
pub(crate) fn format_number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-3..1e6).contains(&a) { format!("{v:.6}") } else { format!("{v:.4e}") }
}

/// Named parameter values, in the order of the space's dimensions: what the objective receives.
///
/// ```
/// use derin_optim::search::{Params, Value};
/// let p = Params::new(vec![("lr".into(), Value::Float(0.01)), ("layers".into(), Value::Int(2))]);
/// assert_eq!(p.get_f64("lr").unwrap(), 0.01);
/// assert_eq!(p.get_int("layers").unwrap(), 2);
/// assert!(p.get_int("lr").is_err());
/// assert!(p.get_f64("momentum").is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    entries: Vec<(String, Value)>,
}

impl Params {
    /// A point from `(name, value)` pairs (for calling an objective by hand; searches build their own).
    ///
    /// ```
    /// use derin_optim::search::{Params, Value};
    /// assert_eq!(Params::new(vec![("x".into(), Value::Float(1.0))]).len(), 1);
    /// ```
    pub fn new(entries: Vec<(String, Value)>) -> Self {
        Params { entries }
    }

    /// The value named `name`.
    ///
    /// # Errors
    /// [`SearchError::UnknownParam`] when there is none.
    ///
    /// ```
    /// use derin_optim::search::{Params, Value};
    /// let p = Params::new(vec![("x".into(), Value::Int(4))]);
    /// assert_eq!(p.get("x").unwrap(), &Value::Int(4));
    /// ```
    pub fn get(&self, name: &str) -> Result<&Value> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v).ok_or_else(|| SearchError::UnknownParam {
            name: name.to_string(),
            known: self.entries.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
        })
    }

    /// The float value named `name` (from a `Uniform` or `LogUniform` dimension).
    ///
    /// # Errors
    /// [`SearchError::UnknownParam`], or [`SearchError::TypeMismatch`] for an integer or categorical one.
    ///
    /// ```
    /// use derin_optim::search::{Params, Value};
    /// let p = Params::new(vec![("x".into(), Value::Float(1.5))]);
    /// assert_eq!(p.get_f64("x").unwrap(), 1.5);
    /// ```
    pub fn get_f64(&self, name: &str) -> Result<f64> {
        match self.get(name)? {
            Value::Float(v) => Ok(*v),
            other => Err(self.mismatch(name, ValueKind::Float, other)),
        }
    }

    /// The integer value named `name` (from an `Int` dimension).
    ///
    /// # Errors
    /// [`SearchError::UnknownParam`], or [`SearchError::TypeMismatch`] for a float or categorical one.
    ///
    /// ```
    /// use derin_optim::search::{Params, Value};
    /// let p = Params::new(vec![("units".into(), Value::Int(64))]);
    /// assert_eq!(p.get_int("units").unwrap(), 64);
    /// ```
    pub fn get_int(&self, name: &str) -> Result<i64> {
        match self.get(name)? {
            Value::Int(v) => Ok(*v),
            other => Err(self.mismatch(name, ValueKind::Int, other)),
        }
    }

    /// The label chosen for the categorical dimension `name`.
    ///
    /// # Errors
    /// [`SearchError::UnknownParam`], or [`SearchError::TypeMismatch`] for a float or integer one.
    ///
    /// ```
    /// use derin_optim::search::{Params, Value};
    /// let p = Params::new(vec![("opt".into(), Value::Category("adam".into()))]);
    /// assert_eq!(p.get_str("opt").unwrap(), "adam");
    /// ```
    pub fn get_str(&self, name: &str) -> Result<&str> {
        match self.get(name)? {
            Value::Category(label) => Ok(label),
            other => Err(self.mismatch(name, ValueKind::Category, other)),
        }
    }

    fn mismatch(&self, name: &str, expected: ValueKind, found: &Value) -> SearchError {
        SearchError::TypeMismatch { name: name.to_string(), expected, found: found.kind() }
    }

    /// The `(name, value)` pairs in dimension order.
    ///
    /// ```
    /// use derin_optim::search::{Params, Value};
    /// let p = Params::new(vec![("a".into(), Value::Int(1)), ("b".into(), Value::Int(2))]);
    /// assert_eq!(p.iter().map(|(n, _)| n).collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of parameters.
    ///
    /// ```
    /// use derin_optim::search::Params;
    /// assert_eq!(Params::new(vec![]).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no parameters.
    ///
    /// ```
    /// use derin_optim::search::Params;
    /// assert!(Params::new(vec![]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// `name = value` pairs separated by commas.
impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name} = {value}")?;
        }
        Ok(())
    }
}
