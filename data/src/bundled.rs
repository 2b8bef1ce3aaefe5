//! Data sets that ship with Derin (MNIST, HMDA; the scikit-learn sets live in
//! `bundled/tabular.rs`) and Fashion-MNIST from its Debian package. No network is used.
//!
//! Files are found in [`data_dirs`]: the environment variable `DERIN_DATA` when set (a
//! folder with the layout `mnist/`, `tabular/`), else the folders of the `derin-datasets`
//! crates, whose `README.md` gives each file's provenance and licence.

mod tabular;

use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use derin_tensor::ndarray::Array4;

use crate::csv::{CsvOptions, read_csv};
use crate::error::{Error, Result};
use crate::idx::{read_idx_images_f32, read_idx_labels};
use crate::table::Table;

pub use tabular::{ClassificationData, RegressionData, breast_cancer, diabetes, digits, iris, wine};

/// Where Debian's `dataset-fashion-mnist` package installs its files.
///
/// ```
/// assert!(derin_data::FASHION_MNIST_DIR.ends_with("fashion-mnist"));
/// ```
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Fashion-MNIST's class names, by label.
///
/// ```
/// assert_eq!(derin_data::FASHION_MNIST_CLASSES[9], "Ankle boot");
/// ```
pub const FASHION_MNIST_CLASSES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/// What to do when a bundled file is missing and `DERIN_DATA` is not set.
const GET_BUNDLED: &str = "the bundled data sets come with the crates derin-datasets and \
    derin-datasets-mnist-train (in a clone of Derin's repository, or fetched by Cargo with derin-data); \
    restore their files (`git checkout -- datasets datasets-mnist-train` in a clone), or set DERIN_DATA \
    to a folder holding `mnist/` and `tabular/` as they do";

/// What to do when a bundled file is missing from `DERIN_DATA`.
const FIX_DERIN_DATA: &str = "DERIN_DATA must name a folder holding `mnist/` and `tabular/` as the \
    derin-datasets crates do; unset it to read the bundled copy";

/// The folders bundled data sets are read from, in order, each laid out as `mnist/` and
/// `tabular/`: `$DERIN_DATA` alone when it is set and not empty, else the folders of the
/// `derin-datasets` crates ([`derin_datasets::roots`]: MNIST's training split sits in
/// `derin-datasets-mnist-train`, too large to share a crate).
///
/// # Example
/// ```
/// let dirs = derin_data::data_dirs();
/// if std::env::var_os("DERIN_DATA").is_none() {
///     assert!(dirs[0].join("tabular").join("iris.csv").is_file());
/// }
/// ```
pub fn data_dirs() -> Vec<PathBuf> {
    resolve_data_dirs(std::env::var_os("DERIN_DATA"))
}

/// [`data_dirs`] for a given value of `DERIN_DATA`.
fn resolve_data_dirs(variable: Option<OsString>) -> Vec<PathBuf> {
    match variable {
        Some(dir) if !dir.is_empty() => vec![PathBuf::from(dir)],
        _ => derin_datasets::roots().iter().map(|root| root.to_path_buf()).collect(),
    }
}

/// The bundled file at `relative` (a path in the layout, such as `tabular/iris.csv`) in
/// the first of [`data_dirs`] that has it.
///
/// # Errors
/// [`Error::Io`] with [`ErrorKind::NotFound`] naming the file in the first folder, the
/// other folders looked in, and how to get the data (or how to fix `DERIN_DATA`).
///
/// # Example
/// ```
/// if std::env::var_os("DERIN_DATA").is_none() {
///     assert!(derin_data::data_file("mnist/train-images-idx3-ubyte.gz")?.is_file());
/// }
/// let error = derin_data::data_file("tabular/none.csv").unwrap_err();
/// assert!(error.to_string().contains("DERIN_DATA"), "{error}");
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn data_file(relative: &str) -> Result<PathBuf> {
    bundled_file(&data_dirs(), relative, &[])
}

/// The first of `dir/relative`, then `dir/alternative` for each alternative, in each of
/// `dirs` in turn; else a not-found error that says how to get the bundled data.
fn bundled_file(dirs: &[PathBuf], relative: &str, alternatives: &[&str]) -> Result<PathBuf> {
    let names: Vec<&str> = std::iter::once(relative).chain(alternatives.iter().copied()).collect();
    let candidates = || dirs.iter().flat_map(|dir| names.iter().map(move |name| dir.join(name)));
    if let Some(found) = candidates().find(|path| path.is_file()) {
        return Ok(found);
    }
    let mut looked = candidates();
    let path = looked.next().unwrap_or_else(|| PathBuf::from(relative));
    let others: Vec<String> = looked.map(|p| p.display().to_string()).collect();
    let nor = if others.is_empty() { String::new() } else { format!(" (nor {})", others.join(", ")) };
    let hint = if std::env::var_os("DERIN_DATA").is_some_and(|v| !v.is_empty()) { FIX_DERIN_DATA } else { GET_BUNDLED };
    let source = std::io::Error::new(ErrorKind::NotFound, format!("no such file{nor}; {hint}"));
    Err(Error::Io { path, source })
}

/// MNIST or Fashion-MNIST, split as published: images `f32` `[N, 1, 28, 28]` in `[0, 1]`
/// and labels 0–9.
///
/// ```
/// use derin_data::{Mnist, images_to_f32};
/// use derin_tensor::ndarray::Array3;
///
/// let tiny = Mnist {
///     train_images: images_to_f32(&Array3::zeros((2, 28, 28))),
///     train_labels: vec![3, 1],
///     test_images: images_to_f32(&Array3::zeros((1, 28, 28))),
///     test_labels: vec![0],
/// };
/// assert_eq!(tiny.train_images.shape(), &[2, 1, 28, 28]);
/// ```
#[derive(Clone, Debug)]
pub struct Mnist {
    /// Training images `[60000, 1, 28, 28]`.
    pub train_images: Array4<f32>,
    /// Training labels, 60000.
    pub train_labels: Vec<usize>,
    /// Test images `[10000, 1, 28, 28]`.
    pub test_images: Array4<f32>,
    /// Test labels, 10000.
    pub test_labels: Vec<usize>,
}

/// The bundled MNIST digits (LeCun, Cortes, Burges; CC BY-SA 3.0): 60000 training and
/// 10000 test images, read from the `mnist/` folders of [`data_dirs`] as [`mnist_from`]
/// reads one folder.
///
/// # Errors
/// As [`mnist_from`]; a missing file is an [`Error::Io`] saying how to get the data.
///
/// # Example
/// ```
/// let mnist = derin_data::mnist()?;
/// assert_eq!(mnist.train_images.shape(), &[60000, 1, 28, 28]);
/// assert_eq!((mnist.train_labels[0], mnist.test_labels[0]), (5, 7));
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn mnist() -> Result<Mnist> {
    let dirs = data_dirs();
    read_mnist(|stem| bundled_file(&dirs, &format!("mnist/{stem}.gz"), &[&format!("mnist/{stem}")]))
}

/// Reads MNIST-layout IDX files from `dir`: `train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each
/// gzipped (`.gz`, looked for first) or raw.
///
/// # Errors
/// [`Error::Io`] naming the `.gz` file if neither form of a file exists or it cannot be read;
/// [`Error::Format`] from the IDX reader (naming the file and byte offset); [`Error::Format`]
/// if the image and label counts of a split differ.
///
/// # Example
/// ```
/// let error = derin_data::mnist_from("/nonexistent").unwrap_err();
/// assert!(error.to_string().contains("/nonexistent/train-images-idx3-ubyte.gz"), "{error}");
/// ```
pub fn mnist_from(dir: impl AsRef<Path>) -> Result<Mnist> {
    let dir = dir.as_ref();
    read_mnist(|stem| find(dir, stem))
}

/// Reads MNIST's four IDX files, each at `locate(stem)` (a stem such as
/// `train-images-idx3-ubyte`), both splits at once.
fn read_mnist(locate: impl Fn(&str) -> Result<PathBuf> + Sync) -> Result<Mnist> {
    let split = |prefix: &str| -> Result<(Array4<f32>, Vec<usize>)> {
        let images_path = locate(&format!("{prefix}-images-idx3-ubyte"))?;
        let labels_path = locate(&format!("{prefix}-labels-idx1-ubyte"))?;
        let images = read_idx_images_f32(&images_path)?;
        let labels = read_idx_labels(&labels_path)?;
        if images.shape()[0] != labels.len() {
            return Err(Error::Format {
                path: labels_path,
                reason: format!(
                    "{} labels for {} images in {}",
                    labels.len(),
                    images.shape()[0],
                    images_path.display()
                ),
            });
        }
        Ok((images, labels))
    };
    let (train, test) = rayon::join(|| split("train"), || split("t10k"));
    let ((train_images, train_labels), (test_images, test_labels)) = (train?, test?);
    Ok(Mnist { train_images, train_labels, test_images, test_labels })
}

/// Fashion-MNIST (Zalando Research; MIT licence) from Debian's `dataset-fashion-mnist`
/// package, in [`FASHION_MNIST_DIR`]. Class names are [`FASHION_MNIST_CLASSES`].
///
/// # Errors
/// As [`fashion_mnist_from`]: when the package is not installed the message says
/// `apt-get install dataset-fashion-mnist`.
///
/// # Example
/// ```
/// match derin_data::fashion_mnist() {
///     Ok(fashion) => assert_eq!(fashion.test_labels.len(), 10000),
///     Err(error) => assert!(error.to_string().contains("apt-get install dataset-fashion-mnist")),
/// }
/// ```
pub fn fashion_mnist() -> Result<Mnist> {
    fashion_mnist_from(FASHION_MNIST_DIR)
}

/// Fashion-MNIST from `dir`, a folder holding its four IDX files (as [`mnist_from`]).
///
/// # Errors
/// [`Error::Io`] with [`ErrorKind::NotFound`] naming the first missing file and saying how
/// to install the data (`apt-get install dataset-fashion-mnist`); otherwise as
/// [`mnist_from`].
///
/// # Example
/// ```
/// let error = derin_data::fashion_mnist_from("/nonexistent/fashion").unwrap_err();
/// assert!(error.to_string().contains("apt-get install dataset-fashion-mnist"), "{error}");
/// ```
pub fn fashion_mnist_from(dir: impl AsRef<Path>) -> Result<Mnist> {
    let dir = dir.as_ref();
    for stem in
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    {
        if let Err(Error::Io { path, source }) = find(dir, stem)
            && source.kind() == ErrorKind::NotFound
        {
            let hint = format!(
                "Fashion-MNIST not found; install it with `apt-get install dataset-fashion-mnist` \
                 (it goes to {FASHION_MNIST_DIR}) or pass the folder holding its IDX files"
            );
            return Err(Error::Io { path, source: std::io::Error::new(ErrorKind::NotFound, hint) });
        }
    }
    mnist_from(dir)
}

/// The HMDA Boston mortgage applications (Ecdat R package, GPL-2+), as read from
/// [`data_file`]`("tabular/hdma.csv")` with [`CsvOptions::default`]: 2381 rows, the row number in
/// the column named `""`, 12 features (`dir`, `hir`, `lvr`, `ccs`, `mcs`, `pbcr`, `dmi`,
/// `self`, `single`, `uria`, `comdominiom`, `black`) and the target `deny` (`"yes"` in 285
/// rows). One row has `NA` in `pbcr` and `self`; it is kept missing.
///
/// # Errors
/// As [`data_file`] and [`read_csv`].
///
/// # Example
/// ```
/// let hdma = derin_data::hdma()?;
/// assert_eq!(hdma.n_rows(), 2381);
/// assert_eq!(hdma.column("self")?.count_missing(), 1);
/// # Ok::<(), derin_data::Error>(())
/// ```
pub fn hdma() -> Result<Table> {
    read_csv(data_file("tabular/hdma.csv")?, &CsvOptions::default())
}

/// `dir/stem.gz` if it exists, else `dir/stem` if it exists, else a not-found error naming
/// the `.gz` file.
fn find(dir: &Path, stem: &str) -> Result<PathBuf> {
    let gz = dir.join(format!("{stem}.gz"));
    let raw = dir.join(stem);
    if gz.is_file() {
        Ok(gz)
    } else if raw.is_file() {
        Ok(raw)
    } else {
        let reason = format!("no such file (nor {})", raw.display());
        Err(Error::Io { path: gz, source: std::io::Error::new(ErrorKind::NotFound, reason) })
    }
}

#[cfg(test)]
mod tests;
