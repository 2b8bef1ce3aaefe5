//! Keras 3's `.keras` files (`model.save("m.keras")`): a zip archive of `config.json`
//! (`{"module", "class_name": "Sequential" | "Functional", "config": {…}, …}`),
//! `metadata.json` (`keras_version`, `date_saved`) and `model.weights.h5` (Keras 3's
//! weights layout, see `keras3_weights`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hdf5_metno as hdf5;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::functional::Model;
use crate::sequential::Sequential;
use crate::serialize::KERAS_VERSION;
use crate::serialize::h5::{Why, file_error};
use crate::serialize::load::KerasModel;
use crate::serialize::registry::class_and_config;

/// The largest `config.json` read (a guard against a hostile archive).
const CONFIG_MAX: u64 = 64 << 20;

/// Whether `path` is a `.keras` file: by its extension, or by the zip magic `PK\x03\x04`.
pub(crate) fn is_keras_zip(path: &Path) -> bool {
    if path.extension().is_some_and(|e| e == "keras") {
        return true;
    }
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"PK\x03\x04"
}

/// A file in the system's temporary directory with a unique name, removed when dropped
/// (also when loading fails midway).
struct TempFile(PathBuf);

impl TempFile {
    /// Creates the (empty) file `<dir>/<prefix><pid>-<n>-<nanos><suffix>`, a name no
    /// other call (in any process) uses.
    fn create_in(dir: &Path, prefix: &str, suffix: &str) -> std::io::Result<(Self, File)> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{prefix}{}-{n}-{nanos}{suffix}", std::process::id()));
        let file = OpenOptions::new().write(true).create_new(true).open(&path)?;
        Ok((TempFile(path), file))
    }

    /// Creates a file `derin-…<suffix>` in the system's temporary directory.
    fn create(suffix: &str) -> std::io::Result<(Self, File)> {
        Self::create_in(&std::env::temp_dir(), "derin-", suffix)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// An opened `.keras` archive: its parsed `config.json`, and its `model.weights.h5`
/// extracted to a temporary file (removed when this is dropped).
pub(crate) struct KerasArchive {
    /// The archive's path, for errors.
    path: PathBuf,
    /// `config.json`.
    pub(crate) config: Value,
    /// `model.weights.h5`, extracted.
    weights: TempFile,
}

impl KerasArchive {
    /// Opens the archive at `path`: reads `config.json` and extracts `model.weights.h5`.
    ///
    /// Errors ([`Error::File`]) name what is wrong: no such file, not a zip archive, a
    /// missing member, `config.json` not JSON, a member that does not decompress (a
    /// checksum mismatch included).
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let why = |r: String| file_error(path, r);
        if !path.is_file() {
            return Err(why("no such file".into()));
        }
        let file = File::open(path).map_err(|e| why(format!("cannot open: {e}")))?;
        let mut zip =
            zip::ZipArchive::new(file).map_err(|e| why(format!("not a .keras file (not a zip archive): {e}")))?;
        let text = {
            let entry = zip.by_name("config.json").map_err(|e| missing(path, "config.json", e))?;
            let mut text = String::new();
            entry
                .take(CONFIG_MAX + 1)
                .read_to_string(&mut text)
                .map_err(|e| why(format!("config.json in the archive cannot be read: {e}")))?;
            if text.len() as u64 > CONFIG_MAX {
                return Err(why(format!("config.json in the archive is larger than {CONFIG_MAX} bytes")));
            }
            text
        };
        let config: Value =
            serde_json::from_str(&text).map_err(|e| why(format!("config.json in the archive is not JSON: {e}")))?;
        let (weights, mut out) =
            TempFile::create(".weights.h5").map_err(|e| why(format!("cannot create a temporary file: {e}")))?;
        let mut entry = zip.by_name("model.weights.h5").map_err(|e| missing(path, "model.weights.h5", e))?;
        std::io::copy(&mut entry, &mut out)
            .and_then(|_| out.flush())
            .map_err(|e| why(format!("model.weights.h5 in the archive cannot be extracted: {e}")))?;
        Ok(KerasArchive { path: path.to_path_buf(), config, weights })
    }

    /// Runs `read` on the root of the archive's `model.weights.h5`; its error is
    /// reported as a problem of that member.
    pub(crate) fn with_weights<T>(&self, read: impl FnOnce(&hdf5::Group) -> Why<T>) -> Result<T> {
        let why = |r: String| file_error(&self.path, format!("model.weights.h5 in the archive: {r}"));
        let file = hdf5::File::open(&self.weights.0)
            .map_err(|e| why(format!("cannot open as HDF5 (garbled or truncated): {e}")))?;
        read(&file).map_err(why)
    }
}

/// The error for member `name` missing from (or unreadable in) the archive at `path`.
fn missing(path: &Path, name: &str, e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::FileNotFound => file_error(path, format!("missing {name} in the .keras archive")),
        e => file_error(path, format!("{name} in the archive cannot be read: {e}")),
    }
}

/// Loads a `.keras` file: the model from `config.json` (Sequential through
/// [`Sequential::from_keras_config`]), its weights from `model.weights.h5`.
pub(crate) fn load_keras_zip(path: &Path) -> Result<KerasModel> {
    let archive = KerasArchive::open(path)?;
    let (class, inner) = class_and_config(&archive.config, "config.json")?;
    match class {
        "Sequential" => {
            let model = Sequential::from_keras_config(inner)?;
            archive.with_weights(|g| model.read_keras3(g))?;
            Ok(KerasModel::Sequential(model))
        }
        "Functional" | "Model" => Ok(KerasModel::Functional(functional_from_archive(inner, &archive)?)),
        other => Err(Error::Config {
            layer: "config.json".into(),
            key: "class_name".into(),
            reason: format!("a {other} model; Derin loads Sequential and Functional models"),
        }),
    }
}

/// The one place a functional `.keras` model is built: from its config (`inner`), then
/// its weights through `read_keras3_weights(group, layers)` with the model's layers in
/// Keras' `model.layers` order, checked before any is set.
fn functional_from_archive(inner: &Value, archive: &KerasArchive) -> Result<Model> {
    let model = Model::from_keras_config(inner)?;
    archive.with_weights(|g| model.read_keras3(g))?;
    Ok(model)
}

impl Sequential {
    /// Saves the model as a Keras 3 `.keras` file, what Keras' `model.save("m.keras")`
    /// writes and `keras.models.load_model` reads: `config.json` (the
    /// [`to_keras_config`](Sequential::to_keras_config)), `metadata.json` and
    /// `model.weights.h5` (the weights in Keras 3's layout). The compile settings are not
    /// saved. Written to a temporary file and renamed over `path` at the end.
    ///
    /// # Errors
    /// [`Error::Unserializable`] for a layer without a Keras config; [`Error::File`] when
    /// the file cannot be written.
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, KerasModel, Sequential, load_model};
    /// use derin_tensor::Tensor;
    /// let path = std::env::temp_dir().join(format!("derin-doc-save-keras-{}.keras", std::process::id()));
    /// let m = Sequential::new(&[3]).add(Dense::new(2, Activation::Softmax)).unwrap();
    /// m.save_keras_zip(&path).unwrap();
    /// let KerasModel::Sequential(back) = load_model(&path).unwrap() else { panic!("not Sequential") };
    /// let x = Tensor::ones(&[1, 3]);
    /// assert_eq!(back.predict(&x, 1).unwrap().to_vec(), m.predict(&x, 1).unwrap().to_vec());
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn save_keras_zip(&self, path: impl AsRef<Path>) -> Result<()> {
        let batch_shape: Vec<Value> =
            std::iter::once(Value::Null).chain(self.input_shape().iter().map(|&d| json!(d))).collect();
        let config = json!({
            "module": "keras", "class_name": "Sequential", "config": self.to_keras_config()?,
            "registered_name": null, "build_config": {"input_shape": batch_shape}, "compile_config": null,
        });
        write_keras_zip(path.as_ref(), &config, |f| self.write_keras3(f))
    }
}

impl Model {
    /// Saves the model as a Keras 3 `.keras` file, as
    /// [`Sequential::save_keras_zip`] does: `config.json` holds
    /// `{"class_name": "Functional", "config": `[`to_keras_config`](Model::to_keras_config)`}`,
    /// `model.weights.h5` the weights in Keras 3's layout. Compile settings are not saved.
    ///
    /// # Errors
    /// [`Error::Unserializable`] for a layer without a Keras config; [`Error::File`] when
    /// the file cannot be written.
    ///
    /// ```
    /// use derin_nn::{Activation, Add, Dense, Graph, KerasModel, Model, load_model};
    /// use derin_tensor::Tensor;
    /// let path = std::env::temp_dir().join(format!("derin-doc-fsave-keras-{}.keras", std::process::id()));
    /// let mut g = Graph::new();
    /// let x = g.input("x", &[3]).unwrap();
    /// let h = g.apply(Dense::new(3, Activation::Tanh), &x).unwrap();
    /// let y = g.merge(Add::new(), &[&x, &h]).unwrap();
    /// let m = Model::new(g, &[&x], &[&y]).unwrap();
    /// m.save_keras_zip(&path).unwrap();
    /// let KerasModel::Functional(back) = load_model(&path).unwrap() else { panic!("not functional") };
    /// let xs = [Tensor::ones(&[1, 3])];
    /// assert_eq!(back.predict(&xs, 1).unwrap()[0].to_vec(), m.predict(&xs, 1).unwrap()[0].to_vec());
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn save_keras_zip(&self, path: impl AsRef<Path>) -> Result<()> {
        let config = json!({
            "module": "keras.src.models.functional", "class_name": "Functional", "config": self.to_keras_config()?,
            "registered_name": "Functional", "build_config": {"input_shape": null}, "compile_config": null,
        });
        write_keras_zip(path.as_ref(), &config, |f| self.write_keras3(f))
    }
}

/// Writes a `.keras` archive at `path` (atomically): `metadata.json`, `config.json`
/// (`config`) and `model.weights.h5` written by `write_weights`.
fn write_keras_zip(path: &Path, config: &Value, write_weights: impl FnOnce(&hdf5::File) -> Why<()>) -> Result<()> {
    let why = |r: String| file_error(path, r);
    let metadata = json!({"keras_version": KERAS_VERSION});
    let (weights, _) =
        TempFile::create(".weights.h5").map_err(|e| why(format!("cannot create a temporary file: {e}")))?;
    {
        let f = hdf5::File::create(&weights.0).map_err(|e| why(format!("cannot create the weights: {e}")))?;
        write_weights(&f).map_err(&why)?;
        f.close().map_err(|e| why(format!("cannot close the weights: {e}")))?;
    }
    let h5 = std::fs::read(&weights.0).map_err(|e| why(format!("cannot read the weights back: {e}")))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| why("not a file name".into()))?.to_string_lossy().to_string();
    let (tmp, file) = TempFile::create_in(&dir, &format!(".{name}."), ".tmp")
        .map_err(|e| why(format!("cannot create a temporary file in {}: {e}", dir.display())))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (member, bytes) in [
        ("metadata.json", metadata.to_string().into_bytes()),
        ("config.json", config.to_string().into_bytes()),
        ("model.weights.h5", h5),
    ] {
        zip.start_file(member, options)
            .and_then(|_| zip.write_all(&bytes).map_err(Into::into))
            .map_err(|e| why(format!("cannot write {member}: {e}")))?;
    }
    let file = zip.finish().map_err(|e| why(format!("cannot finish the archive: {e}")))?;
    file.sync_all().map_err(|e| why(format!("cannot sync: {e}")))?;
    std::fs::rename(&tmp.0, path).map_err(|e| why(format!("cannot rename the temporary file over it: {e}")))
}
