//! Missing values: detect (`isna`), count per column, drop rows, and fill them with an
//! [`Imputer`] (scikit-learn's `SimpleImputer`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::persist::{bad_file, load_json, save_json};
use crate::table::{Column, Table};

impl Table {
    /// The missing-value mask, row by row: `isna()[row][col]` (pandas' `df.isna()`).
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["a".into(), "b".into()], vec![
    ///     Column::Numeric(vec![Some(1.0), None]),
    ///     Column::Text(vec![None, Some("x".into())]),
    /// ]).unwrap();
    /// assert_eq!(t.isna(), vec![vec![false, true], vec![true, false]]);
    /// ```
    #[doc(alias = "isnull")]
    pub fn isna(&self) -> Vec<Vec<bool>> {
        (0..self.n_rows()).map(|r| self.columns().iter().map(|c| c.is_missing(r)).collect()).collect()
    }

    /// The number of missing values in each column, in column order
    /// (pandas' `df.isna().sum()`).
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["a".into()], vec![Column::Numeric(vec![None, None, Some(1.0)])]).unwrap();
    /// assert_eq!(t.count_missing(), vec![("a".to_string(), 2)]);
    /// ```
    pub fn count_missing(&self) -> Vec<(String, usize)> {
        self.column_names().into_iter().zip(self.columns()).map(|(n, c)| (n.to_string(), c.count_missing())).collect()
    }

    /// The rows that have at least one missing value, ascending.
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["a".into()], vec![Column::Numeric(vec![Some(0.0), None, None])]).unwrap();
    /// assert_eq!(t.rows_with_missing(), vec![1, 2]);
    /// ```
    pub fn rows_with_missing(&self) -> Vec<usize> {
        (0..self.n_rows()).filter(|&r| self.columns().iter().any(|c| c.is_missing(r))).collect()
    }

    /// The table without the rows that have a missing value (pandas' `df.dropna()`).
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["a".into()], vec![Column::Numeric(vec![Some(0.0), None, Some(2.0)])]).unwrap();
    /// assert_eq!(t.drop_missing_rows().column("a").unwrap(), &Column::Numeric(vec![Some(0.0), Some(2.0)]));
    /// ```
    #[doc(alias = "dropna")]
    pub fn drop_missing_rows(&self) -> Table {
        let keep: Vec<usize> =
            (0..self.n_rows()).filter(|&r| self.columns().iter().all(|c| !c.is_missing(r))).collect();
        self.select_rows(&keep)
    }
}

/// A cell value: a number or a string (a fill value, a fitted statistic).
///
/// ```
/// use derin_data::Value;
/// assert_ne!(Value::Number(0.0), Value::Text("0".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// For numeric columns.
    Number(f64),
    /// For text columns.
    Text(String),
}

/// What an [`Imputer`] fills a column's missing values with.
///
/// ```
/// use derin_data::{ImputeStrategy, Value};
/// let s = ImputeStrategy::Constant(Value::Number(0.0));
/// assert_ne!(s, ImputeStrategy::Mean);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ImputeStrategy {
    /// A fixed value: a `Number` for numeric columns, a `Text` for text columns.
    Constant(Value),
    /// The mean of the present values (numeric columns only).
    Mean,
    /// The median of the present values, the mean of the middle two for an even count
    /// (numeric columns only).
    Median,
    /// The most frequent present value, the smallest among ties (numbers or text).
    MostFrequent,
}

/// Fills missing values with a per-column statistic learnt by [`fit`](Imputer::fit)
/// (scikit-learn's `SimpleImputer`, pandas' `fillna`).
///
/// ```
/// use derin_data::{Column, ImputeStrategy, Imputer, Table, Value};
/// let t = Table::new(vec!["x".into()], vec![Column::Numeric(vec![Some(1.0), None, Some(5.0)])]).unwrap();
/// let mut imputer = Imputer::new(ImputeStrategy::Mean);
/// let filled = imputer.fit_transform(&t, &["x"]).unwrap();
/// assert_eq!(filled.column("x").unwrap(), &Column::Numeric(vec![Some(1.0), Some(3.0), Some(5.0)]));
/// assert_eq!(imputer.statistics().unwrap(), &[("x".to_string(), Value::Number(3.0))]);
/// ```
#[doc(alias = "SimpleImputer")]
#[doc(alias = "fillna")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Imputer {
    strategy: ImputeStrategy,
    statistics: Option<Vec<(String, Value)>>,
}

impl Imputer {
    /// An imputer, not yet fitted, using `strategy`.
    ///
    /// ```
    /// # use derin_data::{ImputeStrategy, Imputer};
    /// assert!(Imputer::new(ImputeStrategy::Median).statistics().is_none());
    /// ```
    pub fn new(strategy: ImputeStrategy) -> Self {
        Imputer { strategy, statistics: None }
    }

    /// The strategy.
    ///
    /// ```
    /// # use derin_data::{ImputeStrategy, Imputer};
    /// assert_eq!(Imputer::new(ImputeStrategy::Mean).strategy(), &ImputeStrategy::Mean);
    /// ```
    pub fn strategy(&self) -> &ImputeStrategy {
        &self.strategy
    }

    /// The fill value of each fitted column (scikit-learn's `statistics_`), `None` before
    /// [`fit`](Self::fit).
    ///
    /// ```
    /// # use derin_data::{Column, ImputeStrategy, Imputer, Table, Value};
    /// let c = Column::Text(vec![Some("b".into()), Some("a".into()), None]);
    /// let t = Table::new(vec!["c".into()], vec![c]).unwrap();
    /// let mut imp = Imputer::new(ImputeStrategy::MostFrequent);
    /// imp.fit(&t, &["c"]).unwrap();
    /// assert_eq!(imp.statistics().unwrap()[0].1, Value::Text("a".into())); // a tie: the smallest
    /// ```
    pub fn statistics(&self) -> Option<&[(String, Value)]> {
        self.statistics.as_deref()
    }

    /// Learns a fill value for each of `columns` of `table` (pass
    /// `&table.column_names()` for all of them).
    ///
    /// # Errors
    /// If a column is unknown or named twice; `Mean` or `Median` asked of a text column; a constant
    /// whose kind (number or text) differs from the column's; or a column with no present
    /// value to take a statistic of.
    ///
    /// ```
    /// # use derin_data::{Column, ImputeStrategy, Imputer, Table};
    /// let t = Table::new(vec!["c".into()], vec![Column::Text(vec![Some("b".into())])]).unwrap();
    /// let err = Imputer::new(ImputeStrategy::Mean).fit(&t, &["c"]).unwrap_err();
    /// assert!(err.to_string().contains("column 'c' holds text"));
    /// ```
    pub fn fit(&mut self, table: &Table, columns: &[&str]) -> Result<()> {
        if let Some(k) = (1..columns.len()).find(|&k| columns[..k].contains(&columns[k])) {
            let reason = format!("column '{}' is named twice", columns[k]);
            return Err(Error::Invalid { op: "Imputer::fit", reason });
        }
        let stats = columns.iter().map(|&name| Ok((name.to_string(), self.statistic(name, table.column(name)?)?)));
        self.statistics = Some(stats.collect::<Result<_>>()?);
        Ok(())
    }

    fn statistic(&self, name: &str, column: &Column) -> Result<Value> {
        let invalid = |reason: String| Error::Invalid { op: "Imputer::fit", reason };
        let kind = if column.is_numeric() { "numbers" } else { "text" };
        match (&self.strategy, column) {
            (ImputeStrategy::Constant(v @ Value::Number(_)), Column::Numeric(_))
            | (ImputeStrategy::Constant(v @ Value::Text(_)), Column::Text(_)) => return Ok(v.clone()),
            (ImputeStrategy::Constant(v), _) => {
                return Err(invalid(format!("column '{name}' holds {kind}; the constant {v:?} does not fit it")));
            }
            (ImputeStrategy::Mean | ImputeStrategy::Median, Column::Text(_)) => {
                return Err(invalid(format!("column '{name}' holds text; {:?} needs numbers", self.strategy)));
            }
            _ => {}
        }
        let empty = || invalid(format!("column '{name}' has no present value to take the {:?} of", self.strategy));
        match column {
            Column::Numeric(values) => {
                let mut xs: Vec<f64> = values.iter().flatten().copied().filter(|x| !x.is_nan()).collect();
                if xs.is_empty() {
                    return Err(empty());
                }
                xs.sort_by(f64::total_cmp);
                let n = xs.len();
                Ok(Value::Number(match self.strategy {
                    ImputeStrategy::Mean => xs.iter().sum::<f64>() / n as f64,
                    ImputeStrategy::Median => (xs[(n - 1) / 2] + xs[n / 2]) / 2.0,
                    _ => most_frequent(&xs, |a, b| a == b).expect("not empty"),
                }))
            }
            Column::Text(values) => {
                let mut xs: Vec<&String> = values.iter().flatten().collect();
                xs.sort();
                most_frequent(&xs, |a, b| a == b).map(|s| Value::Text(s.clone())).ok_or_else(empty)
            }
        }
    }

    /// A copy of `table` with the missing values of every fitted column filled.
    ///
    /// # Errors
    /// Before [`fit`](Self::fit); if a fitted column is absent from `table` or its kind
    /// (number or text) differs from the fitted value's.
    ///
    /// ```
    /// # use derin_data::{Column, ImputeStrategy, Imputer, Table, Value};
    /// let t = Table::new(vec!["x".into()], vec![Column::Numeric(vec![None])]).unwrap();
    /// let mut imp = Imputer::new(ImputeStrategy::Constant(Value::Number(-1.0)));
    /// assert!(imp.transform(&t).is_err()); // not fitted
    /// imp.fit(&t, &["x"]).unwrap();
    /// assert_eq!(imp.transform(&t).unwrap().column("x").unwrap(), &Column::Numeric(vec![Some(-1.0)]));
    /// ```
    pub fn transform(&self, table: &Table) -> Result<Table> {
        const OP: &str = "Imputer::transform";
        let stats = self.statistics.as_ref().ok_or(Error::Invalid { op: OP, reason: "call fit first".into() })?;
        let mut out = table.clone();
        for (name, value) in stats {
            let filled = match (table.column(name)?, value) {
                (Column::Numeric(v), Value::Number(x)) => {
                    Column::Numeric(v.iter().map(|c| Some(c.filter(|c| !c.is_nan()).unwrap_or(*x))).collect())
                }
                (Column::Text(v), Value::Text(s)) => {
                    Column::Text(v.iter().map(|c| Some(c.clone().unwrap_or_else(|| s.clone()))).collect())
                }
                (_, value) => {
                    return Err(Error::Invalid {
                        op: OP,
                        reason: format!("column '{name}' was fitted with {value:?}, which does not fit its kind now"),
                    });
                }
            };
            out.set_column(name, filled)?;
        }
        Ok(out)
    }

    /// [`fit`](Self::fit) then [`transform`](Self::transform).
    ///
    /// # Errors
    /// As those two.
    ///
    /// ```
    /// # use derin_data::{Column, ImputeStrategy, Imputer, Table};
    /// let x = Column::Numeric(vec![Some(1.0), None, Some(2.0), Some(10.0)]);
    /// let t = Table::new(vec!["x".into()], vec![x]).unwrap();
    /// let out = Imputer::new(ImputeStrategy::Median).fit_transform(&t, &["x"]).unwrap();
    /// assert_eq!(out.column("x").unwrap(), &Column::Numeric(vec![Some(1.0), Some(2.0), Some(2.0), Some(10.0)]));
    /// ```
    pub fn fit_transform(&mut self, table: &Table, columns: &[&str]) -> Result<Table> {
        self.fit(table, columns)?;
        self.transform(table)
    }

    /// Saves the imputer as JSON (atomically: a temporary file, then a rename).
    ///
    /// # Errors
    /// If the file cannot be written.
    ///
    /// ```
    /// # use derin_data::{ImputeStrategy, Imputer};
    /// let path = std::env::temp_dir().join("derin_imputer_doc.json");
    /// let imp = Imputer::new(ImputeStrategy::MostFrequent);
    /// imp.save(&path).unwrap();
    /// assert_eq!(Imputer::load(&path).unwrap(), imp);
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_json(self, path.as_ref())
    }

    /// Loads an imputer saved by [`save`](Self::save).
    ///
    /// # Errors
    /// If the file cannot be read, is not such JSON, or names a column twice.
    ///
    /// ```
    /// # use derin_data::Imputer;
    /// let path = std::env::temp_dir().join("derin_imputer_doc_bad.json");
    /// std::fs::write(&path, "{\"strategy\": \"Sideways\"}").unwrap();
    /// assert!(Imputer::load(&path).unwrap_err().to_string().contains("invalid JSON"));
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let imputer: Imputer = load_json(path)?;
        if let Some(stats) = &imputer.statistics {
            for (k, (name, _)) in stats.iter().enumerate() {
                if stats[..k].iter().any(|(n, _)| n == name) {
                    return Err(bad_file(path, format!("column '{name}' is fitted twice")));
                }
            }
        }
        Ok(imputer)
    }
}

/// The most frequent item of sorted `xs` (the first, so the smallest, among ties).
fn most_frequent<T: Clone>(xs: &[T], eq: impl Fn(&T, &T) -> bool) -> Option<T> {
    let mut best: Option<(usize, usize)> = None; // (start, count)
    let mut start = 0;
    for i in 1..=xs.len() {
        if i == xs.len() || !eq(&xs[i], &xs[start]) {
            let count = i - start;
            if best.is_none_or(|(_, c)| count > c) {
                best = Some((start, count));
            }
            start = i;
        }
    }
    best.map(|(s, _)| xs[s].clone())
}
