//! The `package` step of `cargo xtask ci`: `cargo package` of every published crate, then
//! each `.crate` file's size against crates.io's limit.
//!
//! `--workspace` packages the crates together: cargo 1.95 resolves the path dependencies
//! between them (`derin-nn` → `derin-data` → `derin-datasets` …) through a local registry
//! of the crates just packaged, so nothing has to be on crates.io first.
//!
//! - `--no-verify`: verifying builds every crate once more from its `.crate`, in the
//!   `dev` profile with every dependency rebuilt (the packaged manifests carry none of
//!   the workspace's profiles): 6 minutes of CPU on two cores the first time (measured
//!   with cargo 1.95; it passes), for what the clippy and test steps already prove about
//!   the same sources. Without it the step takes about a second.
//! - `--offline`: the index entries it needs are those the earlier steps fetched, so
//!   the step needs no network (online, it refreshes the index once per crate: ~10 s).
//! - `--allow-dirty`: runs on a working tree with uncommitted changes, as the other steps do.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd::Cmd;

/// crates.io refuses a `.crate` file of this many bytes or more (10 MiB).
pub const MAX_CRATE_BYTES: u64 = 10 * 1024 * 1024;

/// The `cargo package` arguments (xtask has `publish = false` and is left out).
pub const ARGS: [&str; 7] =
    ["package", "--workspace", "--exclude", "xtask", "--no-verify", "--offline", "--allow-dirty"];

/// Packages every crate and checks the sizes; prints one line per `.crate` file.
///
/// # Errors
/// A message when cargo fails, the files cannot be listed, or a `.crate` file is too large
/// (naming it and its size).
pub fn run() -> Result<(), String> {
    let out = target_dir()?.join("package");
    // Old files (other versions, crates since removed) would be counted as this run's.
    for (path, _) in crate_files(&out).unwrap_or_default() {
        fs::remove_file(&path).map_err(|e| format!("could not remove {}: {e}", path.display()))?;
    }
    Cmd::cargo(&ARGS).run()?;
    let files = crate_files(&out).map_err(|e| format!("could not list {}: {e}", out.display()))?;
    if files.is_empty() {
        return Err(format!("cargo package wrote no .crate file in {}", out.display()));
    }
    for (path, bytes) in &files {
        println!("  {:>10} bytes  {}", bytes, path.file_name().unwrap_or_default().to_string_lossy());
    }
    check_sizes(&files)
}

/// `Err` naming every file of `files` (path, bytes) that reaches [`MAX_CRATE_BYTES`].
fn check_sizes(files: &[(PathBuf, u64)]) -> Result<(), String> {
    let too_large: Vec<String> = files
        .iter()
        .filter(|(_, bytes)| *bytes >= MAX_CRATE_BYTES)
        .map(|(path, bytes)| format!("{} is {bytes} bytes", path.display()))
        .collect();
    match too_large.as_slice() {
        [] => Ok(()),
        _ => Err(format!("over crates.io's limit of {MAX_CRATE_BYTES} bytes: {}", too_large.join(", "))),
    }
}

/// The `.crate` files in `dir` with their sizes, sorted by path.
fn crate_files(dir: &Path) -> std::io::Result<Vec<(PathBuf, u64)>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_file() && path.extension().is_some_and(|e| e == "crate") {
            files.push((path, entry.metadata()?.len()));
        }
    }
    files.sort();
    Ok(files)
}

/// Cargo's target folder for this workspace (honouring `CARGO_TARGET_DIR` and cargo's
/// configuration), from `cargo metadata`.
fn target_dir() -> Result<PathBuf, String> {
    let json = Cmd::cargo(&["metadata", "--no-deps", "--format-version", "1"]).output()?;
    json_string(&json, "target_directory")
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata printed no target_directory".to_string())
}

/// The string value of the first `"key": "…"` in `json`, unescaped (enough for the
/// paths `cargo metadata` prints; `\u` escapes are not decoded).
fn json_string(json: &str, key: &str) -> Option<String> {
    let start = json.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = json[start..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_string_reads_and_unescapes_a_field() {
        let json = r#"{"packages":[],"target_directory": "C:\\work\\target","version":1}"#;
        assert_eq!(json_string(json, "target_directory").as_deref(), Some(r"C:\work\target"));
        assert_eq!(json_string(r#"{"target_directory":"/a/\"b\""}"#, "target_directory").as_deref(), Some("/a/\"b\""));
        assert_eq!(json_string(r#"{"version":1}"#, "target_directory"), None);
        assert_eq!(json_string(r#"{"target_directory":"/unterminated"#, "target_directory"), None);
    }

    #[test]
    fn sizes_at_or_over_the_limit_fail_and_are_named() {
        let file = |name: &str, bytes| (PathBuf::from(name), bytes);
        assert!(check_sizes(&[file("a-0.1.0.crate", MAX_CRATE_BYTES - 1)]).is_ok());
        let err = check_sizes(&[file("a.crate", 1), file("big.crate", MAX_CRATE_BYTES), file("c.crate", 11 << 20)])
            .unwrap_err();
        assert_eq!(
            err,
            "over crates.io's limit of 10485760 bytes: big.crate is 10485760 bytes, c.crate is 11534336 bytes"
        );
    }

    #[test]
    fn crate_files_lists_only_crate_files_with_their_sizes() {
        let dir = std::env::temp_dir().join(format!("xtask-package-test-{}", std::process::id()));
        fs::create_dir_all(dir.join("derin-nn-0.1.0")).unwrap();
        fs::write(dir.join("b-0.1.0.crate"), [0u8; 3]).unwrap();
        fs::write(dir.join("a-0.1.0.crate"), [0u8; 5]).unwrap();
        fs::write(dir.join("notes.txt"), "x").unwrap();
        let files = crate_files(&dir).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(files, [(dir.join("a-0.1.0.crate"), 5), (dir.join("b-0.1.0.crate"), 3)]);
    }
}
