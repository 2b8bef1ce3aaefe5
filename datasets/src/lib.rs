//! The data sets bundled with Derin, as files: MNIST (the training split comes from
//! `derin-datasets-mnist-train`), and scikit-learn's iris, wine, breast cancer, digits and
//! diabetes tables plus the HMDA mortgage applications.
//!
//! The files are found where Cargo unpacked the crates (the workspace for a path
//! dependency, Cargo's registry cache for one from crates.io), so nothing is downloaded
//! at run time and nothing is compiled into binaries. `derin-data`'s loaders
//! (`derin_data::mnist()`, `iris()`, …) read them; this crate only says where they are.
//! Every folder in [`roots`] has the same layout, `mnist/` and `tabular/`;
//! The crate's `README.md` gives each file's provenance and licence.
//!
//! ```
//! let iris = derin_datasets::find("tabular/iris.csv").unwrap();
//! assert!(std::fs::read_to_string(iris).unwrap().starts_with("150,4,setosa"));
//! ```
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

/// Every bundled file, as a path under one of the [`roots`] (which one: [`find`]).
///
/// ```
/// assert!(derin_datasets::FILES.contains(&"mnist/train-images-idx3-ubyte.gz"));
/// assert!(derin_datasets::FILES.iter().all(|f| derin_datasets::find(f).is_some()));
/// ```
pub const FILES: [&str; 11] = [
    "mnist/train-images-idx3-ubyte.gz",
    "mnist/train-labels-idx1-ubyte.gz",
    "mnist/t10k-images-idx3-ubyte.gz",
    "mnist/t10k-labels-idx1-ubyte.gz",
    "tabular/iris.csv",
    "tabular/wine_data.csv",
    "tabular/breast_cancer.csv",
    "tabular/digits.csv.gz",
    "tabular/diabetes_data_raw.csv.gz",
    "tabular/diabetes_target.csv.gz",
    "tabular/hdma.csv",
];

/// This crate's own folder of files: MNIST's test split and the tables.
///
/// ```
/// assert!(derin_datasets::assets().join("mnist").join("t10k-images-idx3-ubyte.gz").is_file());
/// ```
pub fn assets() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/assets"))
}

/// The folders that together hold [`FILES`], each laid out as `mnist/` and `tabular/`:
/// this crate's [`assets`], then `derin-datasets-mnist-train`'s (MNIST's training split,
/// too large to share a crate: crates.io takes at most 10 MB per crate).
///
/// ```
/// let roots = derin_datasets::roots();
/// assert!(roots[1].join("mnist").join("train-images-idx3-ubyte.gz").is_file());
/// ```
pub fn roots() -> [&'static Path; 2] {
    [assets(), derin_datasets_mnist_train::assets()]
}

/// The bundled file at `relative` (a path in the layout, such as `tabular/iris.csv`) in
/// the first of the [`roots`] that has it; `None` when none has it.
///
/// ```
/// let images = derin_datasets::find("mnist/train-images-idx3-ubyte.gz").unwrap();
/// assert!(images.starts_with(derin_datasets_mnist_train::assets()));
/// assert_eq!(derin_datasets::find("tabular/none.csv"), None);
/// ```
pub fn find(relative: impl AsRef<Path>) -> Option<PathBuf> {
    roots().iter().map(|root| root.join(relative.as_ref())).find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file on disk under a root is listed in `FILES`, and every listed file is found.
    #[test]
    fn files_lists_exactly_what_the_roots_hold() {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/"));
                }
            }
        }
        let mut on_disk = Vec::new();
        for root in roots() {
            walk(root, root, &mut on_disk);
        }
        on_disk.sort();
        let mut listed = FILES.map(String::from).to_vec();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    /// The files' sizes in bytes (`ls -l`), so that a truncated copy is noticed.
    #[test]
    fn files_are_whole() {
        let size = |f: &str| std::fs::metadata(find(f).unwrap()).unwrap().len();
        assert_eq!(size("mnist/t10k-images-idx3-ubyte.gz"), 1_616_531);
        assert_eq!(size("mnist/t10k-labels-idx1-ubyte.gz"), 4_540);
        assert_eq!(size("tabular/hdma.csv"), 218_395);
        assert_eq!(size("tabular/breast_cancer.csv"), 119_913);
    }
}
