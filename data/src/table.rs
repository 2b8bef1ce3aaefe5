//! `Table`: named numeric and text columns with missing values, as read from a CSV file.

use std::collections::HashSet;

use derin_tensor::ndarray::Array2;

use crate::error::{Error, Result};

/// One column of a [`Table`]; `None` marks a missing value.
///
/// A numeric `Some(NaN)` also counts as missing (pandas' rule), so it never reaches a
/// matrix.
///
/// ```
/// use derin_data::Column;
/// let c = Column::Numeric(vec![Some(1.0), None, Some(3.0)]);
/// assert_eq!(c.len(), 3);
/// assert!(c.is_missing(1));
/// assert_eq!(c.count_missing(), 1);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Numbers (`f64`, as parsed).
    Numeric(Vec<Option<f64>>),
    /// Strings.
    Text(Vec<Option<String>>),
}

impl Column {
    /// Number of rows.
    ///
    /// ```
    /// # use derin_data::Column;
    /// assert_eq!(Column::Text(vec![Some("a".into()), None]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            Column::Numeric(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    ///
    /// ```
    /// # use derin_data::Column;
    /// assert!(Column::Numeric(vec![]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `row` is missing (`None`, or a numeric NaN).
    ///
    /// # Panics
    /// If `row` is out of range.
    ///
    /// ```
    /// # use derin_data::Column;
    /// let c = Column::Numeric(vec![Some(f64::NAN), Some(2.0)]);
    /// assert!(c.is_missing(0) && !c.is_missing(1));
    /// ```
    pub fn is_missing(&self, row: usize) -> bool {
        match self {
            Column::Numeric(v) => v[row].is_none_or(f64::is_nan),
            Column::Text(v) => v[row].is_none(),
        }
    }

    /// How many rows are missing.
    ///
    /// ```
    /// # use derin_data::Column;
    /// assert_eq!(Column::Text(vec![None, None, Some("x".into())]).count_missing(), 2);
    /// ```
    pub fn count_missing(&self) -> usize {
        (0..self.len()).filter(|&r| self.is_missing(r)).count()
    }

    /// Whether the column holds numbers.
    ///
    /// ```
    /// # use derin_data::Column;
    /// assert!(Column::Numeric(vec![Some(1.0)]).is_numeric());
    /// ```
    pub fn is_numeric(&self) -> bool {
        matches!(self, Column::Numeric(_))
    }

    /// The rows `rows`, in that order (repeats allowed).
    ///
    /// # Panics
    /// If a row is out of range.
    ///
    /// ```
    /// # use derin_data::Column;
    /// let c = Column::Numeric(vec![Some(1.0), Some(2.0)]);
    /// assert_eq!(c.select(&[1, 1]), Column::Numeric(vec![Some(2.0), Some(2.0)]));
    /// ```
    pub fn select(&self, rows: &[usize]) -> Column {
        match self {
            Column::Numeric(v) => Column::Numeric(rows.iter().map(|&r| v[r]).collect()),
            Column::Text(v) => Column::Text(rows.iter().map(|&r| v[r].clone()).collect()),
        }
    }
}

/// A data frame: equally long named columns, each numeric or text.
///
/// ```
/// use derin_data::{Column, Table};
/// let t = Table::new(
///     vec!["age".into(), "city".into()],
///     vec![Column::Numeric(vec![Some(31.0), None]), Column::Text(vec![Some("Oslo".into()), Some("Rome".into())])],
/// )
/// .unwrap();
/// assert_eq!((t.n_rows(), t.n_cols()), (2, 2));
/// assert_eq!(t.column_names(), vec!["age", "city"]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    names: Vec<String>,
    columns: Vec<Column>,
}

impl Table {
    /// A table from column names and columns.
    ///
    /// # Errors
    /// If the counts of names and columns differ, a name repeats, or the columns are not
    /// all equally long (the message names the first column that differs).
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let ragged = Table::new(
    ///     vec!["a".into(), "b".into()],
    ///     vec![Column::Numeric(vec![Some(1.0)]), Column::Numeric(vec![])],
    /// );
    /// assert!(ragged.unwrap_err().to_string().contains("'b' has 0 rows"));
    /// ```
    pub fn new(names: Vec<String>, columns: Vec<Column>) -> Result<Table> {
        let invalid = |reason: String| Error::Invalid { op: "Table::new", reason };
        if names.len() != columns.len() {
            return Err(invalid(format!("{} column names for {} columns", names.len(), columns.len())));
        }
        let mut seen = HashSet::new();
        if let Some(dup) = names.iter().find(|n| !seen.insert(n.as_str())) {
            return Err(invalid(format!("column name '{dup}' appears more than once")));
        }
        if let Some(first) = columns.first() {
            let rows = first.len();
            if let Some(k) = columns.iter().position(|c| c.len() != rows) {
                return Err(invalid(format!(
                    "column '{}' has {} rows, column '{}' has {rows}",
                    names[k],
                    columns[k].len(),
                    names[0]
                )));
            }
        }
        Ok(Table { names, columns })
    }

    /// Number of rows (0 for a table without columns).
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["x".into()], vec![Column::Numeric(vec![None; 4])]).unwrap();
    /// assert_eq!(t.n_rows(), 4);
    /// ```
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// Number of columns.
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["x".into()], vec![Column::Numeric(vec![])]).unwrap();
    /// assert_eq!(t.n_cols(), 1);
    /// ```
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// The column names, in order.
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["x".into(), "y".into()], vec![Column::Numeric(vec![]), Column::Text(vec![])]).unwrap();
    /// assert_eq!(t.column_names(), vec!["x", "y"]);
    /// ```
    pub fn column_names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// The columns, in the order of [`column_names`](Self::column_names).
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["x".into()], vec![Column::Numeric(vec![Some(1.0)])]).unwrap();
    /// assert!(t.columns()[0].is_numeric());
    /// ```
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column called `name`.
    ///
    /// # Errors
    /// If there is none; the message lists the known columns.
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["x".into()], vec![Column::Numeric(vec![Some(1.0)])]).unwrap();
    /// assert_eq!(t.column("x").unwrap().len(), 1);
    /// assert!(t.column("z").unwrap_err().to_string().contains("no column 'z' (columns: x)"));
    /// ```
    pub fn column(&self, name: &str) -> Result<&Column> {
        Ok(&self.columns[self.position("Table::column", name)?])
    }

    /// Index of the column `name`, or an error for `op` listing the known columns.
    pub(crate) fn position(&self, op: &'static str, name: &str) -> Result<usize> {
        self.names.iter().position(|n| n == name).ok_or_else(|| Error::Invalid {
            op,
            reason: format!("no column '{name}' (columns: {})", self.names.join(", ")),
        })
    }

    /// Replaces the column `name`, or appends it when there is none.
    ///
    /// # Errors
    /// If the column's length differs from the table's row count (a table without
    /// columns takes any length).
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let mut t = Table::new(vec!["x".into()], vec![Column::Numeric(vec![Some(1.0)])]).unwrap();
    /// t.set_column("y", Column::Text(vec![Some("a".into())])).unwrap();
    /// assert_eq!(t.column_names(), vec!["x", "y"]);
    /// assert!(t.set_column("z", Column::Numeric(vec![])).is_err());
    /// ```
    pub fn set_column(&mut self, name: &str, column: Column) -> Result<()> {
        if !self.columns.is_empty() && column.len() != self.n_rows() {
            return Err(Error::Invalid {
                op: "Table::set_column",
                reason: format!("column '{name}' has {} rows, the table has {}", column.len(), self.n_rows()),
            });
        }
        match self.names.iter().position(|n| n == name) {
            Some(k) => self.columns[k] = column,
            None => {
                self.names.push(name.to_string());
                self.columns.push(column);
            }
        }
        Ok(())
    }

    /// The numeric columns `columns` as an `[n_rows, columns.len()]` `f32` matrix.
    ///
    /// # Errors
    /// If a column is unknown or text, or holds a missing value (the message names the
    /// column and the row, counted from 0).
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(
    ///     vec!["a".into(), "b".into()],
    ///     vec![Column::Numeric(vec![Some(1.0), Some(2.0)]), Column::Numeric(vec![Some(3.0), None])],
    /// )
    /// .unwrap();
    /// let m = t.to_matrix(&["a"]).unwrap();
    /// assert_eq!(m.into_raw_vec_and_offset().0, vec![1.0, 2.0]);
    /// assert!(t.to_matrix(&["a", "b"]).unwrap_err().to_string().contains("column 'b' row 1 is missing"));
    /// ```
    pub fn to_matrix(&self, columns: &[&str]) -> Result<Array2<f32>> {
        const OP: &str = "Table::to_matrix";
        let mut out = Array2::<f32>::zeros((self.n_rows(), columns.len()));
        for (j, &name) in columns.iter().enumerate() {
            let Column::Numeric(values) = &self.columns[self.position(OP, name)?] else {
                return Err(Error::Invalid { op: OP, reason: format!("column '{name}' holds text, not numbers") });
            };
            for (r, v) in values.iter().enumerate() {
                match v {
                    Some(x) if !x.is_nan() => out[[r, j]] = *x as f32,
                    _ => {
                        return Err(Error::Invalid { op: OP, reason: format!("column '{name}' row {r} is missing") });
                    }
                }
            }
        }
        Ok(out)
    }

    /// The numeric column `name` as class labels: every value a whole number ≥ 0.
    ///
    /// # Errors
    /// If the column is unknown or text, or a value is missing, negative or fractional
    /// (the message names the row).
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["y".into()], vec![Column::Numeric(vec![Some(1.0), Some(0.0)])]).unwrap();
    /// assert_eq!(t.labels("y").unwrap(), vec![1, 0]);
    /// ```
    pub fn labels(&self, name: &str) -> Result<Vec<usize>> {
        const OP: &str = "Table::labels";
        let Column::Numeric(values) = &self.columns[self.position(OP, name)?] else {
            return Err(Error::Invalid { op: OP, reason: format!("column '{name}' holds text; use a LabelEncoder") });
        };
        values
            .iter()
            .enumerate()
            .map(|(r, v)| match v {
                Some(x) if *x >= 0.0 && x.fract() == 0.0 && *x < usize::MAX as f64 => Ok(*x as usize),
                _ => Err(Error::Invalid {
                    op: OP,
                    reason: format!("column '{name}' row {r}: {v:?} is not a class label (a whole number ≥ 0)"),
                }),
            })
            .collect()
    }

    /// The rows `rows`, in that order (repeats allowed), as a new table.
    ///
    /// # Panics
    /// If a row is out of range.
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["x".into()], vec![Column::Numeric(vec![Some(1.0), Some(2.0), Some(3.0)])]).unwrap();
    /// let s = t.select_rows(&[2, 0]);
    /// assert_eq!(s.column("x").unwrap(), &Column::Numeric(vec![Some(3.0), Some(1.0)]));
    /// ```
    pub fn select_rows(&self, rows: &[usize]) -> Table {
        Table { names: self.names.clone(), columns: self.columns.iter().map(|c| c.select(rows)).collect() }
    }

    /// The columns `columns`, in that order, as a new table.
    ///
    /// # Errors
    /// If a column is unknown or named twice.
    ///
    /// ```
    /// # use derin_data::{Column, Table};
    /// let t = Table::new(vec!["x".into(), "y".into()], vec![Column::Numeric(vec![]), Column::Text(vec![])]).unwrap();
    /// assert_eq!(t.select_columns(&["y"]).unwrap().column_names(), vec!["y"]);
    /// ```
    pub fn select_columns(&self, columns: &[&str]) -> Result<Table> {
        let picked = columns
            .iter()
            .map(|&n| Ok(self.columns[self.position("Table::select_columns", n)?].clone()))
            .collect::<Result<Vec<_>>>()?;
        Table::new(columns.iter().map(|s| s.to_string()).collect(), picked)
    }
}
