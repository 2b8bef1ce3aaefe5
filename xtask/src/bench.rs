//! `cargo xtask bench`: runs each crate's `workloads` benchmark with the settings of BENCHMARKS.md.
//!
//! A crate with workloads has `benches/workloads.rs` and `[[bench]] name = "workloads"
//! harness = false`; the binary prints one JSON line per workload on stdout. Cargo appends
//! `--bench` to the binary's arguments, after the optional filter.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::cmd::Cmd;
use crate::workspace_root;

/// Threads the workloads run with (BENCHMARKS.md: 2 threads, like the peers).
const THREADS: &str = "2";

/// A crate at the workspace root with a `benches/workloads.rs`.
#[derive(Debug)]
struct WorkloadCrate {
    /// The crate's folder, relative to the workspace root.
    dir: PathBuf,
    /// `[package] name` from its `Cargo.toml`.
    package: String,
    /// Whether its `Cargo.toml` declares the `workloads` bench with `harness = false`.
    harness_off: bool,
}

/// Runs `cargo bench --workspace --bench workloads [-- filter]` with 2 threads and the git revision
/// in the environment; stdout (the JSON lines) passes straight through, our notes go to stderr.
///
/// Fails without running cargo when no crate has workloads yet (cargo would only say
/// "no bench target named `workloads`"), or when one would run under the libtest harness.
pub fn run(filter: Option<&str>) -> ExitCode {
    let root = workspace_root();
    let crates = match workload_crates(&root) {
        Ok(crates) => crates,
        Err(why) => return fail(&why),
    };
    if crates.is_empty() {
        return fail("no crate has a benches/workloads.rs yet");
    }
    for krate in &crates {
        eprintln!("bench: workloads of {} ({})", krate.package, krate.dir.join("benches/workloads.rs").display());
        if !krate.harness_off {
            let manifest = krate.dir.join("Cargo.toml");
            return fail(&format!("{} needs `[[bench]] name = \"workloads\" harness = false`", manifest.display()));
        }
    }
    let mut args = vec!["bench", "--workspace", "--bench", "workloads"];
    args.extend(filter.map(|f| ["--", f]).into_iter().flatten());
    let cmd = Cmd::cargo(&args)
        .env("RAYON_NUM_THREADS", THREADS)
        .env("DERIN_NUM_THREADS", THREADS)
        .env("DERIN_GIT_REV", &git_rev(&root));
    eprintln!("bench: {}", cmd.display());
    match cmd.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => fail(&why),
    }
}

/// Prints `bench: why` on stderr and returns a failing exit code.
fn fail(why: &str) -> ExitCode {
    eprintln!("bench: {why}");
    ExitCode::FAILURE
}

/// The crates `*/benches/workloads.rs` under `root`, sorted by folder.
fn workload_crates(root: &Path) -> Result<Vec<WorkloadCrate>, String> {
    let entries = fs::read_dir(root).map_err(|e| format!("cannot list {}: {e}", root.display()))?;
    let mut crates = Vec::new();
    for entry in entries {
        let dir = entry.map_err(|e| format!("cannot list {}: {e}", root.display()))?.path();
        if !dir.join("benches/workloads.rs").is_file() {
            continue;
        }
        let manifest_path = dir.join("Cargo.toml");
        let manifest =
            fs::read_to_string(&manifest_path).map_err(|e| format!("cannot read {}: {e}", manifest_path.display()))?;
        let package =
            package_name(&manifest).ok_or_else(|| format!("{} has no `[package] name`", manifest_path.display()))?;
        let dir = dir.strip_prefix(root).unwrap_or(&dir).to_path_buf();
        crates.push(WorkloadCrate { dir, package, harness_off: workloads_harness_off(&manifest) });
    }
    crates.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(crates)
}

/// The `name` of the `[package]` table of a `Cargo.toml`.
fn package_name(manifest: &str) -> Option<String> {
    let (_, package) = tables(manifest).into_iter().find(|(header, _)| header == "[package]")?;
    package.into_iter().find(|(key, _)| key == "name").map(|(_, value)| value)
}

/// Whether a `[[bench]]` table has `name = "workloads"` and `harness = false`.
fn workloads_harness_off(manifest: &str) -> bool {
    tables(manifest).into_iter().filter(|(header, _)| header == "[[bench]]").any(|(_, keys)| {
        let has = |key: &str, value: &str| keys.iter().any(|(k, v)| k == key && v == value);
        has("name", "workloads") && has("harness", "false")
    })
}

/// The tables of a TOML file as `(header, [(key, value)])`, values unquoted: just enough
/// TOML for `key = "value"` lines (no inline tables, arrays or multi-line strings).
fn tables(toml: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut tables = vec![(String::new(), Vec::new())];
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            tables.push((line.to_string(), Vec::new()));
        } else if let Some((key, value)) = line.split_once('=') {
            let value = value.split(" #").next().unwrap_or("").trim().trim_matches('"');
            let current = tables.last_mut().expect("starts with the root table");
            current.1.push((key.trim().to_string(), value.to_string()));
        }
    }
    tables
}

/// `git rev-parse --short HEAD` in `root`, or `unknown` if git fails.
fn git_rev(root: &Path) -> String {
    let output = Command::new("git").args(["rev-parse", "--short", "HEAD"]).current_dir(root).output();
    match output {
        Ok(out) if out.status.success() && !out.stdout.trim_ascii().is_empty() => {
            String::from_utf8_lossy(out.stdout.trim_ascii()).into_owned()
        }
        _ => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[package]
name = "derin-tensor"   # the package
version.workspace = true

[dependencies]
name = "not-the-package"

[[bench]]
name = "other"
harness = false

[[bench]]
name = "workloads"
harness = false
"#;

    #[test]
    fn reads_the_package_name() {
        assert_eq!(package_name(MANIFEST).as_deref(), Some("derin-tensor"));
        assert_eq!(package_name("[workspace]\nmembers = []\n"), None);
    }

    #[test]
    fn finds_the_workloads_bench_with_harness_off() {
        assert!(workloads_harness_off(MANIFEST));
        let harness_on = MANIFEST.replace("name = \"workloads\"\nharness = false", "name = \"workloads\"");
        assert!(!workloads_harness_off(&harness_on));
        assert!(!workloads_harness_off("[package]\nname = \"x\"\n"));
    }

    #[test]
    fn git_rev_is_short_hash_or_unknown() {
        let rev = git_rev(&workspace_root());
        assert!(rev == "unknown" || (rev.len() >= 7 && rev.chars().all(|c| c.is_ascii_hexdigit())), "{rev}");
        assert_eq!(git_rev(Path::new("/")), "unknown");
    }
}
