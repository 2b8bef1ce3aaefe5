//! Label encoding (strings ↔ class indices, scikit-learn's `LabelEncoder`) and one-hot
//! rows for `usize` labels.

use std::path::Path;

use derin_tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::persist::{bad_file, load_json, save_json};
use crate::table::Column;

/// One-hot rows for class indices: `out[i][labels[i]] = 1`, zeros elsewhere.
///
/// # Shapes
/// output `[labels.len(), classes]`.
///
/// # Errors
/// If a label is `≥ classes` (the message names its position and value).
///
/// ```
/// use derin_data::one_hot;
/// let y = one_hot(&[1, 0, 2], 3).unwrap();
/// assert_eq!(y.shape(), &[3, 3]);
/// assert_eq!(y.to_vec(), vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
/// assert!(one_hot(&[3], 3).unwrap_err().to_string().contains("label 3 at 0 is not below 3 classes"));
/// ```
#[doc(alias = "to_categorical")]
pub fn one_hot(labels: &[usize], classes: usize) -> Result<Tensor> {
    if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
        return Err(Error::Invalid {
            op: "one_hot",
            reason: format!("label {l} at {i} is not below {classes} classes"),
        });
    }
    Ok(Tensor::one_hot(labels, classes))
}

/// Maps string labels to class indices `0..n_classes` and back, classes sorted
/// (scikit-learn's `LabelEncoder`, whose `classes_` are `np.unique`'s sorted values).
///
/// ```
/// use derin_data::LabelEncoder;
/// let mut enc = LabelEncoder::new();
/// let y = enc.fit_transform(&["dog", "cat", "dog", "bird"]).unwrap();
/// assert_eq!(enc.classes(), &["bird", "cat", "dog"]);
/// assert_eq!(y, vec![2, 1, 2, 0]);
/// assert_eq!(enc.inverse_transform(&[0, 2]).unwrap(), vec!["bird", "dog"]);
/// assert!(enc.transform(&["cow"]).unwrap_err().to_string().contains("label 'cow'"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelEncoder {
    classes: Option<Vec<String>>,
}

impl LabelEncoder {
    /// An encoder, not yet fitted.
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// assert!(!LabelEncoder::new().is_fitted());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether [`fit`](Self::fit) has run.
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// let mut enc = LabelEncoder::new();
    /// enc.fit(&["a"]).unwrap();
    /// assert!(enc.is_fitted());
    /// ```
    pub fn is_fitted(&self) -> bool {
        self.classes.is_some()
    }

    /// The classes, sorted; class `i` is encoded as `i`. Empty before fitting.
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// let mut enc = LabelEncoder::new();
    /// enc.fit(&["b", "a", "b"]).unwrap();
    /// assert_eq!(enc.classes(), &["a", "b"]);
    /// ```
    pub fn classes(&self) -> &[String] {
        self.classes.as_deref().unwrap_or(&[])
    }

    /// Number of classes (0 before fitting).
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// let mut enc = LabelEncoder::new();
    /// enc.fit(&["x", "y", "x"]).unwrap();
    /// assert_eq!(enc.n_classes(), 2);
    /// ```
    pub fn n_classes(&self) -> usize {
        self.classes().len()
    }

    /// Learns the classes: the distinct labels, sorted.
    ///
    /// # Errors
    /// If `labels` is empty.
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// let empty: [&str; 0] = [];
    /// assert!(LabelEncoder::new().fit(&empty).is_err());
    /// ```
    pub fn fit<S: AsRef<str>>(&mut self, labels: &[S]) -> Result<()> {
        if labels.is_empty() {
            return Err(Error::Invalid { op: "LabelEncoder::fit", reason: "no labels to learn classes from".into() });
        }
        let mut classes: Vec<String> = labels.iter().map(|s| s.as_ref().to_string()).collect();
        classes.sort_unstable();
        classes.dedup();
        self.classes = Some(classes);
        Ok(())
    }

    /// The class index of each label.
    ///
    /// # Errors
    /// Before fitting, or for a label not seen by [`fit`](Self::fit) (the message names
    /// it, its position and the known classes).
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// let mut enc = LabelEncoder::new();
    /// enc.fit(&["no", "yes"]).unwrap();
    /// assert_eq!(enc.transform(&["yes", "no"]).unwrap(), vec![1, 0]);
    /// ```
    pub fn transform<S: AsRef<str>>(&self, labels: &[S]) -> Result<Vec<usize>> {
        const OP: &str = "LabelEncoder::transform";
        let classes = self.classes.as_ref().ok_or(Error::Invalid { op: OP, reason: "call fit first".into() })?;
        labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let label = label.as_ref();
                classes.binary_search_by(|c| c.as_str().cmp(label)).map_err(|_| Error::Invalid {
                    op: OP,
                    reason: format!("label '{label}' at {i} was not seen in fit (classes: {})", list(classes)),
                })
            })
            .collect()
    }

    /// [`fit`](Self::fit) then [`transform`](Self::transform).
    ///
    /// # Errors
    /// If `labels` is empty.
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// assert_eq!(LabelEncoder::new().fit_transform(&["b", "a"]).unwrap(), vec![1, 0]);
    /// ```
    pub fn fit_transform<S: AsRef<str>>(&mut self, labels: &[S]) -> Result<Vec<usize>> {
        self.fit(labels)?;
        self.transform(labels)
    }

    /// The label of each class index.
    ///
    /// # Errors
    /// Before fitting, or for an index `≥ n_classes` (the message names it).
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// let mut enc = LabelEncoder::new();
    /// enc.fit(&["a", "b"]).unwrap();
    /// assert_eq!(enc.inverse_transform(&[1]).unwrap(), vec!["b"]);
    /// assert!(enc.inverse_transform(&[2]).is_err());
    /// ```
    pub fn inverse_transform(&self, indices: &[usize]) -> Result<Vec<String>> {
        const OP: &str = "LabelEncoder::inverse_transform";
        let classes = self.classes.as_ref().ok_or(Error::Invalid { op: OP, reason: "call fit first".into() })?;
        indices
            .iter()
            .enumerate()
            .map(|(i, &k)| {
                classes.get(k).cloned().ok_or_else(|| Error::Invalid {
                    op: OP,
                    reason: format!("index {k} at {i} is not below {} classes", classes.len()),
                })
            })
            .collect()
    }

    /// Labels straight to one-hot rows: [`transform`](Self::transform) then [`one_hot`].
    ///
    /// # Shapes
    /// output `[labels.len(), n_classes]`.
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// let mut enc = LabelEncoder::new();
    /// enc.fit(&["a", "b"]).unwrap();
    /// assert_eq!(enc.one_hot(&["b"]).unwrap().to_vec(), vec![0.0, 1.0]);
    /// ```
    pub fn one_hot<S: AsRef<str>>(&self, labels: &[S]) -> Result<Tensor> {
        one_hot(&self.transform(labels)?, self.n_classes())
    }

    /// [`fit`](Self::fit) on a text column.
    ///
    /// # Errors
    /// If the column is numeric (use [`Table::labels`](crate::Table::labels)), has a
    /// missing value (the message names the row), or is empty.
    ///
    /// ```
    /// # use derin_data::{Column, LabelEncoder};
    /// let col = Column::Text(vec![Some("yes".into()), Some("no".into())]);
    /// let mut enc = LabelEncoder::new();
    /// enc.fit_column(&col).unwrap();
    /// assert_eq!(enc.transform_column(&col).unwrap(), vec![1, 0]);
    /// ```
    pub fn fit_column(&mut self, column: &Column) -> Result<()> {
        self.fit(&text_values("LabelEncoder::fit_column", "", column)?)
    }

    /// [`transform`](Self::transform) on a text column.
    ///
    /// # Errors
    /// As [`fit_column`](Self::fit_column) and [`transform`](Self::transform).
    ///
    /// ```
    /// # use derin_data::{Column, LabelEncoder};
    /// let mut enc = LabelEncoder::new();
    /// enc.fit(&["a"]).unwrap();
    /// let err = enc.transform_column(&Column::Text(vec![None])).unwrap_err();
    /// assert!(err.to_string().contains("row 0 is missing"));
    /// ```
    pub fn transform_column(&self, column: &Column) -> Result<Vec<usize>> {
        self.transform(&text_values("LabelEncoder::transform_column", "", column)?)
    }

    /// Saves the encoder as JSON (atomically: a temporary file, then a rename).
    ///
    /// # Errors
    /// If the file cannot be written.
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// let mut enc = LabelEncoder::new();
    /// enc.fit(&["a", "b"]).unwrap();
    /// let path = std::env::temp_dir().join("derin_label_encoder_doc.json");
    /// enc.save(&path).unwrap();
    /// assert_eq!(LabelEncoder::load(&path).unwrap(), enc);
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_json(self, path.as_ref())
    }

    /// Loads an encoder saved by [`save`](Self::save).
    ///
    /// # Errors
    /// If the file cannot be read, is not such JSON, or its classes are not sorted and
    /// distinct.
    ///
    /// ```
    /// # use derin_data::LabelEncoder;
    /// let path = std::env::temp_dir().join("derin_label_encoder_doc_bad.json");
    /// std::fs::write(&path, r#"{"classes": ["b", "a"]}"#).unwrap();
    /// assert!(LabelEncoder::load(&path).unwrap_err().to_string().contains("not sorted"));
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let enc: LabelEncoder = load_json(path)?;
        if let Some(k) = enc.classes().windows(2).position(|w| w[0] >= w[1]) {
            return Err(bad_file(path, format!("classes {k} and {} are not sorted and distinct", k + 1)));
        }
        Ok(enc)
    }
}

/// The cells of a text column with no missing value; `name` (may be empty) goes into
/// error messages.
pub(crate) fn text_values<'a>(op: &'static str, name: &str, column: &'a Column) -> Result<Vec<&'a str>> {
    let which = if name.is_empty() { String::from("column") } else { format!("column '{name}'") };
    let Column::Text(cells) = column else {
        return Err(Error::Invalid { op, reason: format!("{which} holds numbers, not text") });
    };
    cells
        .iter()
        .enumerate()
        .map(|(r, c)| c.as_deref().ok_or_else(|| Error::Invalid { op, reason: format!("{which} row {r} is missing") }))
        .collect()
}

/// The first few of `items`, comma-separated, with a count of the rest.
pub(crate) fn list(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let head = items.iter().take(SHOWN).map(String::as_str).collect::<Vec<_>>().join(", ");
    match items.len().checked_sub(SHOWN) {
        Some(rest) if rest > 0 => format!("{head}, … {rest} more"),
        _ => head,
    }
}
