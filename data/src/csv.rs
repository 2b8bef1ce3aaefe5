//! CSV reader: a header or generated names, quoted fields, missing-value markers, and a
//! numeric-or-text type per column.

use std::path::Path;

use ::csv::{ByteRecord, ReaderBuilder};

use crate::error::{Error, Result};
use crate::table::{Column, Table};

/// How [`read_csv`] reads a file.
///
/// ```
/// use derin_data::CsvOptions;
/// let o = CsvOptions::default();
/// assert!(o.has_header);
/// assert_eq!(o.delimiter, b',');
/// assert!(o.missing.contains(&"NA".to_string()));
/// assert_eq!(o.skip_rows, 0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CsvOptions {
    /// Whether the first row (after [`skip_rows`](Self::skip_rows)) names the columns;
    /// without one, columns are named `"0"`, `"1"`, … (pandas' `header=None`).
    pub has_header: bool,
    /// The field separator (`b','`; `b';'`, `b'\t'` for other dialects).
    pub delimiter: u8,
    /// Cells that mean "missing", compared after trimming spaces; by default `""`, `"NA"`,
    /// `"NaN"`, `"nan"` and `"?"`.
    pub missing: Vec<String>,
    /// Raw lines to skip before anything is read (a title line, a count line).
    pub skip_rows: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            has_header: true,
            delimiter: b',',
            missing: ["", "NA", "NaN", "nan", "?"].iter().map(|s| s.to_string()).collect(),
            skip_rows: 0,
        }
    }
}

/// Reads the CSV file at `path` into a [`Table`].
///
/// Fields may be quoted (`"a, b"`, with `""` for a quote inside). Each column is
/// [`Column::Numeric`] when every non-missing cell parses as an `f64` (a column with no
/// values at all is numeric too, like pandas), otherwise [`Column::Text`]. Blank lines
/// are skipped.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Format`] naming the file and
/// line when a row's field count differs from the first row's (expected versus found),
/// a field is not UTF-8, or the CSV is malformed; [`Error::Invalid`] for a delimiter
/// that cannot be one (`"`, `\n`, `\r`) or a header that names a column twice.
///
/// ```
/// use derin_data::{CsvOptions, read_csv};
/// let path = std::env::temp_dir().join("derin_read_csv_doc.csv");
/// std::fs::write(&path, "x,label\n1.5,cat\n,dog\n").unwrap();
/// let t = read_csv(&path, &CsvOptions::default()).unwrap();
/// assert_eq!(t.n_rows(), 2);
/// assert_eq!(t.column("x").unwrap().count_missing(), 1);
/// std::fs::write(&path, "x,label\n1.5\n").unwrap();
/// let err = read_csv(&path, &CsvOptions::default()).unwrap_err().to_string();
/// assert!(err.contains("derin_read_csv_doc.csv: line 2: expected 2 fields"), "{err}");
/// ```
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Table> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    parse(&bytes, path, options)
}

/// [`read_csv`] on text in memory; errors name the file `<memory>`.
///
/// # Errors
/// As [`read_csv`], without I/O errors.
///
/// ```
/// use derin_data::{Column, CsvOptions, read_csv_str};
/// let t = read_csv_str("name,age\n\"Smith, J\",40\nLee,NA\n", &CsvOptions::default()).unwrap();
/// assert_eq!(t.column("name").unwrap(), &Column::Text(vec![Some("Smith, J".into()), Some("Lee".into())]));
/// assert_eq!(t.column("age").unwrap(), &Column::Numeric(vec![Some(40.0), None]));
/// ```
pub fn read_csv_str(text: &str, options: &CsvOptions) -> Result<Table> {
    parse(text.as_bytes(), Path::new("<memory>"), options)
}

/// [`read_csv`] on bytes in memory (which need not be UTF-8 until a field is read);
/// errors name the file `<memory>`.
///
/// # Errors
/// As [`read_csv`], without I/O errors.
///
/// ```
/// use derin_data::{CsvOptions, read_csv_bytes};
/// let err = read_csv_bytes(b"a\n\xff\n", &CsvOptions::default()).unwrap_err().to_string();
/// assert!(err.contains("<memory>: line 2, field 1: not valid UTF-8"), "{err}");
/// ```
pub fn read_csv_bytes(bytes: &[u8], options: &CsvOptions) -> Result<Table> {
    parse(bytes, Path::new("<memory>"), options)
}

/// The bytes after the first `n` lines, and how many lines were skipped.
fn skip_lines(bytes: &[u8], n: usize) -> (&[u8], usize) {
    let mut rest = bytes;
    for skipped in 0..n {
        match rest.iter().position(|&b| b == b'\n') {
            Some(p) => rest = &rest[p + 1..],
            None => return (&[], skipped + usize::from(!rest.is_empty())),
        }
    }
    (rest, n)
}

fn parse(bytes: &[u8], path: &Path, options: &CsvOptions) -> Result<Table> {
    if matches!(options.delimiter, b'"' | b'\n' | b'\r') {
        return Err(Error::Invalid {
            op: "read_csv",
            reason: format!("delimiter {:?} cannot separate fields", options.delimiter as char),
        });
    }
    let format = |reason: String| Error::Format { path: path.to_path_buf(), reason };
    let (body, skipped) = skip_lines(bytes, options.skip_rows);
    let mut reader =
        ReaderBuilder::new().has_headers(false).flexible(true).delimiter(options.delimiter).from_reader(body);
    let mut record = ByteRecord::new();
    let mut names: Option<Vec<String>> = None;
    let mut cells: Vec<Vec<Option<String>>> = Vec::new();
    let mut first_line = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize + skipped);
                return Err(format(format!("line {line}: malformed CSV: {e}")));
            }
        }
        let line = record.position().map_or(0, |p| p.line() as usize) + skipped;
        let fields = record
            .iter()
            .enumerate()
            .map(|(k, f)| {
                std::str::from_utf8(f).map_err(|_| format(format!("line {line}, field {}: not valid UTF-8", k + 1)))
            })
            .collect::<Result<Vec<&str>>>()?;
        if names.is_none() {
            first_line = line;
            cells = vec![Vec::new(); fields.len()];
            if options.has_header {
                names = Some(fields.iter().map(|s| s.to_string()).collect());
                continue;
            }
            names = Some((0..fields.len()).map(|k| k.to_string()).collect());
        }
        if fields.len() != cells.len() {
            return Err(format(format!(
                "line {line}: expected {} fields (as on line {first_line}), found {}",
                cells.len(),
                fields.len()
            )));
        }
        for (column, field) in cells.iter_mut().zip(fields) {
            let missing = options.missing.iter().any(|m| m == field.trim());
            column.push((!missing).then(|| field.to_string()));
        }
    }
    let columns = cells.into_iter().map(infer_column).collect();
    Table::new(names.unwrap_or_default(), columns)
        .map_err(|e| format(format!("header on line {first_line}: {}", strip_op(&e))))
}

/// The reason of an [`Error::Invalid`], without its operation name.
fn strip_op(e: &Error) -> String {
    match e {
        Error::Invalid { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// Numeric when every present cell parses as `f64` (a parsed NaN becomes missing).
fn infer_column(cells: Vec<Option<String>>) -> Column {
    let parsed: Option<Vec<Option<f64>>> = cells
        .iter()
        .map(|c| match c {
            None => Some(None),
            Some(s) => s.trim().parse::<f64>().ok().map(|x| (!x.is_nan()).then_some(x)),
        })
        .collect();
    match parsed {
        Some(values) => Column::Numeric(values),
        None => Column::Text(cells),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_lines_counts_what_it_skipped() {
        assert_eq!(skip_lines(b"a\nb\nc", 2), (&b"c"[..], 2));
        assert_eq!(skip_lines(b"a\nb", 5), (&b""[..], 2));
        assert_eq!(skip_lines(b"a\n", 5), (&b""[..], 1));
        assert_eq!(skip_lines(b"", 1), (&b""[..], 0));
    }
}
