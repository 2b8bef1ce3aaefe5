//! One-hot encoding of text columns (scikit-learn's `OneHotEncoder`, pandas'
//! `get_dummies`): one 0/1 feature per category of each column.

use std::path::Path;

use derin_tensor::ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::encode::{list, text_values};
use crate::error::{Error, Result};
use crate::persist::{bad_file, load_json, save_json};
use crate::table::{Column, Table};

/// What [`OneHotEncoder::transform`] does with a category not seen in fit.
///
/// ```
/// use derin_data::UnknownCategory;
/// assert_eq!(UnknownCategory::default(), UnknownCategory::Error);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnknownCategory {
    /// Return an error naming it (scikit-learn's default, `handle_unknown="error"`).
    #[default]
    Error,
    /// Encode it as all zeros (`handle_unknown="ignore"`).
    Ignore,
}

/// One 0/1 feature per category of each fitted text column, categories sorted.
///
/// # Shapes
/// [`transform`](Self::transform) gives `[n_rows, Σ categories]`, the blocks in the
/// order of the fitted columns.
///
/// ```
/// use derin_data::{Column, OneHotEncoder, Table};
/// let color = Column::Text(vec![Some("red".into()), Some("blue".into())]);
/// let t = Table::new(vec!["color".into()], vec![color]).unwrap();
/// let mut enc = OneHotEncoder::new();
/// let x = enc.fit_transform(&t, &["color"]).unwrap();
/// assert_eq!(enc.feature_names(), vec!["color_blue", "color_red"]);
/// assert_eq!(x.into_raw_vec_and_offset().0, vec![0.0, 1.0, 1.0, 0.0]);
/// ```
#[doc(alias = "get_dummies")]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OneHotEncoder {
    handle_unknown: UnknownCategory,
    categories: Option<Vec<(String, Vec<String>)>>,
}

impl OneHotEncoder {
    /// An encoder, not yet fitted, that rejects unknown categories.
    ///
    /// ```
    /// # use derin_data::OneHotEncoder;
    /// assert!(OneHotEncoder::new().categories().is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The same encoder with `handle_unknown` for categories not seen in fit.
    ///
    /// ```
    /// # use derin_data::{Column, OneHotEncoder, Table, UnknownCategory};
    /// let fit = Table::new(vec!["c".into()], vec![Column::Text(vec![Some("a".into())])]).unwrap();
    /// let new = Table::new(vec!["c".into()], vec![Column::Text(vec![Some("z".into())])]).unwrap();
    /// let mut enc = OneHotEncoder::new().handle_unknown(UnknownCategory::Ignore);
    /// enc.fit(&fit, &["c"]).unwrap();
    /// assert_eq!(enc.transform(&new).unwrap().into_raw_vec_and_offset().0, vec![0.0]);
    /// ```
    pub fn handle_unknown(mut self, handle_unknown: UnknownCategory) -> Self {
        self.handle_unknown = handle_unknown;
        self
    }

    /// Each fitted column with its sorted categories; `None` before fitting.
    ///
    /// ```
    /// # use derin_data::{Column, OneHotEncoder, Table};
    /// let t = Table::new(vec!["c".into()], vec![Column::Text(vec![Some("b".into()), Some("a".into())])]).unwrap();
    /// let mut enc = OneHotEncoder::new();
    /// enc.fit(&t, &["c"]).unwrap();
    /// assert_eq!(enc.categories().unwrap()[0].1, vec!["a", "b"]);
    /// ```
    pub fn categories(&self) -> Option<&[(String, Vec<String>)]> {
        self.categories.as_deref()
    }

    /// The output feature names, `column_category` (scikit-learn's
    /// `get_feature_names_out`); empty before fitting.
    ///
    /// ```
    /// # use derin_data::OneHotEncoder;
    /// assert!(OneHotEncoder::new().feature_names().is_empty());
    /// ```
    pub fn feature_names(&self) -> Vec<String> {
        self.categories()
            .unwrap_or(&[])
            .iter()
            .flat_map(|(c, cats)| cats.iter().map(move |k| format!("{c}_{k}")))
            .collect()
    }

    /// Learns the categories of each of `columns` (text columns).
    ///
    /// # Errors
    /// If a column is unknown, named twice, numeric (for class indices use
    /// [`one_hot`](crate::one_hot)), or has a missing value (the message names the row).
    ///
    /// ```
    /// # use derin_data::{Column, OneHotEncoder, Table};
    /// let t = Table::new(vec!["n".into()], vec![Column::Numeric(vec![Some(1.0)])]).unwrap();
    /// let err = OneHotEncoder::new().fit(&t, &["n"]).unwrap_err();
    /// assert!(err.to_string().contains("column 'n' holds numbers"));
    /// ```
    pub fn fit(&mut self, table: &Table, columns: &[&str]) -> Result<()> {
        const OP: &str = "OneHotEncoder::fit";
        if let Some(k) = (1..columns.len()).find(|&k| columns[..k].contains(&columns[k])) {
            return Err(Error::Invalid { op: OP, reason: format!("column '{}' is named twice", columns[k]) });
        }
        let mut fitted = Vec::with_capacity(columns.len());
        for &name in columns {
            let mut cats: Vec<String> =
                text_values(OP, name, table.column(name)?)?.into_iter().map(str::to_string).collect();
            cats.sort_unstable();
            cats.dedup();
            fitted.push((name.to_string(), cats));
        }
        self.categories = Some(fitted);
        Ok(())
    }

    /// The one-hot features of `table`'s fitted columns.
    ///
    /// # Errors
    /// Before fitting; if a fitted column is absent, numeric or has a missing value; or,
    /// with [`UnknownCategory::Error`], for a category not seen in fit (the message names
    /// it, the column and the row).
    ///
    /// ```
    /// # use derin_data::{Column, OneHotEncoder, Table};
    /// let fit = Table::new(vec!["c".into()], vec![Column::Text(vec![Some("a".into())])]).unwrap();
    /// let new = Table::new(vec!["c".into()], vec![Column::Text(vec![Some("z".into())])]).unwrap();
    /// let mut enc = OneHotEncoder::new();
    /// enc.fit(&fit, &["c"]).unwrap();
    /// assert!(enc.transform(&new).unwrap_err().to_string().contains("column 'c' row 0: category 'z'"));
    /// ```
    pub fn transform(&self, table: &Table) -> Result<Array2<f32>> {
        const OP: &str = "OneHotEncoder::transform";
        let fitted = self.categories.as_ref().ok_or(Error::Invalid { op: OP, reason: "call fit first".into() })?;
        let width = fitted.iter().map(|(_, c)| c.len()).sum();
        let mut out = Array2::<f32>::zeros((table.n_rows(), width));
        let mut offset = 0;
        for (name, cats) in fitted {
            for (r, value) in text_values(OP, name, table.column(name)?)?.into_iter().enumerate() {
                match (cats.binary_search_by(|c| c.as_str().cmp(value)), self.handle_unknown) {
                    (Ok(k), _) => out[[r, offset + k]] = 1.0,
                    (Err(_), UnknownCategory::Ignore) => {}
                    (Err(_), UnknownCategory::Error) => {
                        return Err(Error::Invalid {
                            op: OP,
                            reason: format!(
                                "column '{name}' row {r}: category '{value}' was not seen in fit (categories: {})",
                                list(cats)
                            ),
                        });
                    }
                }
            }
            offset += cats.len();
        }
        Ok(out)
    }

    /// [`fit`](Self::fit) then [`transform`](Self::transform).
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    ///
    /// ```
    /// # use derin_data::{Column, OneHotEncoder, Table};
    /// let t = Table::new(vec!["c".into()], vec![Column::Text(vec![Some("a".into()), Some("b".into())])]).unwrap();
    /// assert_eq!(OneHotEncoder::new().fit_transform(&t, &["c"]).unwrap().shape(), &[2, 2]);
    /// ```
    pub fn fit_transform(&mut self, table: &Table, columns: &[&str]) -> Result<Array2<f32>> {
        self.fit(table, columns)?;
        self.transform(table)
    }

    /// Back from features to text columns: in each column's block the largest feature
    /// picks the category; an all-zero block (an ignored unknown) gives a missing value.
    ///
    /// # Errors
    /// Before fitting, or if `x` does not have one feature per fitted category (the
    /// message names both counts).
    ///
    /// ```
    /// # use derin_data::{Column, OneHotEncoder, Table};
    /// let t = Table::new(vec!["c".into()], vec![Column::Text(vec![Some("a".into()), Some("b".into())])]).unwrap();
    /// let mut enc = OneHotEncoder::new();
    /// let x = enc.fit_transform(&t, &["c"]).unwrap();
    /// assert_eq!(enc.inverse_transform(&x).unwrap(), t);
    /// ```
    pub fn inverse_transform(&self, x: &Array2<f32>) -> Result<Table> {
        const OP: &str = "OneHotEncoder::inverse_transform";
        let fitted = self.categories.as_ref().ok_or(Error::Invalid { op: OP, reason: "call fit first".into() })?;
        let width: usize = fitted.iter().map(|(_, c)| c.len()).sum();
        if x.ncols() != width {
            let reason = format!("x has {} columns, the encoder makes {width} features", x.ncols());
            return Err(Error::Invalid { op: OP, reason });
        }
        let mut offset = 0;
        let mut columns = Vec::with_capacity(fitted.len());
        for (_, cats) in fitted {
            let cells = x
                .rows()
                .into_iter()
                .map(|row| {
                    let mut best: Option<usize> = None;
                    for k in 0..cats.len() {
                        let v = row[offset + k];
                        if v > 0.0 && best.is_none_or(|b| v > row[offset + b]) {
                            best = Some(k);
                        }
                    }
                    best.map(|k| cats[k].clone())
                })
                .collect();
            columns.push(Column::Text(cells));
            offset += cats.len();
        }
        Table::new(fitted.iter().map(|(n, _)| n.clone()).collect(), columns)
    }

    /// Saves the encoder as JSON (atomically: a temporary file, then a rename).
    ///
    /// # Errors
    /// If the file cannot be written.
    ///
    /// ```
    /// # use derin_data::{Column, OneHotEncoder, Table};
    /// let t = Table::new(vec!["c".into()], vec![Column::Text(vec![Some("a".into())])]).unwrap();
    /// let mut enc = OneHotEncoder::new();
    /// enc.fit(&t, &["c"]).unwrap();
    /// let path = std::env::temp_dir().join("derin_one_hot_doc.json");
    /// enc.save(&path).unwrap();
    /// assert_eq!(OneHotEncoder::load(&path).unwrap(), enc);
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_json(self, path.as_ref())
    }

    /// Loads an encoder saved by [`save`](Self::save).
    ///
    /// # Errors
    /// If the file cannot be read, is not such JSON, or a column's categories are not
    /// sorted and distinct.
    ///
    /// ```
    /// # use derin_data::OneHotEncoder;
    /// let path = std::env::temp_dir().join("derin_one_hot_doc_bad.json");
    /// std::fs::write(&path, r#"{"handle_unknown": "Error", "categories": [["c", ["b", "a"]]]}"#).unwrap();
    /// assert!(OneHotEncoder::load(&path).unwrap_err().to_string().contains("column 'c'"));
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let enc: OneHotEncoder = load_json(path)?;
        for (name, cats) in enc.categories().unwrap_or(&[]) {
            if cats.windows(2).any(|w| w[0] >= w[1]) {
                return Err(bad_file(path, format!("column '{name}': categories are not sorted and distinct")));
            }
        }
        Ok(enc)
    }
}
