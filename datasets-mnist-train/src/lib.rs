//! MNIST's training split (60000 images and their labels, gzipped IDX files), in a crate
//! of its own because crates.io takes at most 10 MB per crate and the images alone are
//! 9.7 MB.
//!
//! Nothing to call directly: `derin-datasets` finds these files through [`assets`], and
//! `derin_data::mnist()` reads them. Provenance and licence (CC BY-SA 3.0, Yann LeCun,
//! Corinna Cortes, Christopher J. C. Burges) are in `derin-datasets`' `README.md`.
//!
//! ```
//! let images = derin_datasets_mnist_train::assets().join(derin_datasets_mnist_train::FILES[0]);
//! assert!(images.ends_with("mnist/train-images-idx3-ubyte.gz"));
//! ```
#![deny(missing_docs)]

use std::path::Path;

/// The files this crate holds, as paths under [`assets`].
///
/// ```
/// assert!(derin_datasets_mnist_train::FILES.iter().all(|f| f.starts_with("mnist/")));
/// ```
pub const FILES: [&str; 2] = ["mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz"];

/// The folder holding [`FILES`]: this crate's `assets/`, where Cargo unpacked it (the
/// workspace for a path dependency, Cargo's registry cache for one from crates.io).
///
/// ```
/// let dir = derin_datasets_mnist_train::assets();
/// assert!(dir.join("mnist").join("train-labels-idx1-ubyte.gz").is_file());
/// ```
pub fn assets() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/assets"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files' sizes in bytes (`ls -l`), so that a truncated copy is noticed.
    #[test]
    fn files_are_whole() {
        let sizes: Vec<u64> = FILES.iter().map(|f| std::fs::metadata(assets().join(f)).unwrap().len()).collect();
        assert_eq!(sizes, [9_719_462, 28_881]);
    }
}
