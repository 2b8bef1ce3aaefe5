//! Repository rules for every Rust file: at most 800 lines, and a `//!` first line.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Most lines a `.rs` file may have (STYLE.md: aim under 400, never above 800).
pub const MAX_LINES: usize = 800;

/// Checks every `.rs` file under `root`, skipping `target/` and hidden folders.
///
/// Returns one message per offence, `path: what is wrong`, with paths relative to `root`.
///
/// # Errors
/// Any error reading a folder or a file.
pub fn check_tree(root: &Path) -> io::Result<Vec<String>> {
    let mut files = Vec::new();
    collect_rust_files(root, &mut files)?;
    files.sort();
    let mut offences = Vec::new();
    for file in files {
        let shown = file.strip_prefix(root).unwrap_or(&file).display().to_string();
        let problems = check_file(&fs::read(&file)?);
        offences.extend(problems.into_iter().map(|p| format!("{shown}: {p}")));
    }
    Ok(offences)
}

/// Adds the `.rs` files under `dir` to `out`, not entering `target` or hidden folders
/// (nor following symlinks).
fn collect_rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let kind = entry.file_type()?;
        if kind.is_dir() && name != "target" && !name.starts_with('.') {
            collect_rust_files(&entry.path(), out)?;
        } else if kind.is_file() && name.ends_with(".rs") {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// What is wrong with one file's contents; empty when it follows the rules.
fn check_file(text: &[u8]) -> Vec<String> {
    let mut problems = Vec::new();
    let lines = line_count(text);
    if lines > MAX_LINES {
        problems.push(format!("{lines} lines (at most {MAX_LINES}); split it"));
    }
    if !text.starts_with(b"//!") {
        problems.push("does not start with a `//!` line saying what lives there".to_string());
    }
    problems
}

/// Lines in `text`, counted as an editor shows them (a last line without a newline counts).
fn line_count(text: &[u8]) -> usize {
    let newlines = text.iter().filter(|&&b| b == b'\n').count();
    if text.is_empty() || text.ends_with(b"\n") { newlines } else { newlines + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_follows_the_rules() {
        let offences = check_tree(&crate::workspace_root()).unwrap();
        assert!(offences.is_empty(), "files breaking the repository rules:\n{}", offences.join("\n"));
    }

    #[test]
    fn accepts_a_short_documented_file() {
        assert!(check_file(b"//! Adds.\n\nfn add() {}\n").is_empty());
    }

    #[test]
    fn rejects_a_missing_module_doc() {
        assert_eq!(check_file(b"fn add() {}\n").len(), 1);
        assert_eq!(check_file(b"/// Item doc.\nfn add() {}\n").len(), 1);
        assert_eq!(check_file(b"").len(), 1);
    }

    #[test]
    fn rejects_long_files_only_above_the_limit() {
        let at_limit = format!("//! Long.\n{}", "x\n".repeat(MAX_LINES - 1));
        assert!(check_file(at_limit.as_bytes()).is_empty());
        let over = format!("{at_limit}x");
        assert_eq!(check_file(over.as_bytes()), [format!("{} lines (at most 800); split it", MAX_LINES + 1)]);
    }

    #[test]
    fn counts_lines_like_an_editor() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a"), 1);
        assert_eq!(line_count(b"a\n"), 1);
        assert_eq!(line_count(b"a\nb"), 2);
    }
}
