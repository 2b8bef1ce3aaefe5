//! Atomic file writes: a temporary file in the same folder, synced, then renamed over the target.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` so that readers see either the old file or the whole new one.
///
/// The bytes go to a fresh temporary file beside `path`, which is synced and then renamed
/// over it; a write that fails midway removes the temporary file and leaves any previous
/// file at `path` intact.
///
/// # Errors
/// [`Error::Io`] naming `path` if the temporary file cannot be created, written or renamed
/// (a missing folder, no permission, a full disk).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = temp_path(path);
    let result = write_then_rename(&temp, path, bytes);
    if result.is_err() {
        // Best effort: the temporary file may not exist, and the error to report is the first one.
        let _ = fs::remove_file(&temp);
    }
    result.map_err(|source| Error::Io { path: path.to_path_buf(), source })
}

/// A fresh name beside `path`: `.<name>.<pid>-<n>.tmp` in the same directory, so the final
/// rename stays within one file system.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().map_or("derin".into(), |name| name.to_string_lossy());
    path.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

fn write_then_rename(temp: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).create_new(true).open(temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp, path)
}
