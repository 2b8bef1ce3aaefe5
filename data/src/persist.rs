//! JSON save and load for fitted encoders, scalers and imputers; writes are atomic
//! (a temporary file in the same folder, then a rename).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Writes `value` as pretty JSON to `path`, through a temporary file and a rename, so a
/// reader never sees half a file.
pub(crate) fn save_json<T: Serialize>(value: &T, path: &Path) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let text =
        serde_json::to_string_pretty(value).map_err(|source| Error::Json { path: path.to_path_buf(), source })?;
    let name = path.file_name().map_or_else(|| "derin".into(), |n| n.to_string_lossy().into_owned());
    let tmp =
        path.with_file_name(format!(".{name}.{}.{}.tmp", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let io = |path: PathBuf| move |source| Error::Io { path, source };
    std::fs::write(&tmp, text).map_err(io(tmp.clone()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(path.to_path_buf())(e)
    })
}

/// Reads a value written by [`save_json`].
pub(crate) fn load_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    serde_json::from_str(&text).map_err(|source| Error::Json { path: path.to_path_buf(), source })
}

/// A [`Error::Format`] for a saved file whose JSON parsed but whose contents do not fit.
pub(crate) fn bad_file(path: &Path, reason: String) -> Error {
    Error::Format { path: path.to_path_buf(), reason }
}
