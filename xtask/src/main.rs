//! `cargo xtask`: repository chores (CI checks, benchmarks) in plain Rust with `std::process`.

mod bench;
mod ci;
mod cmd;
mod package;
mod rules;
mod test_counts;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Printed by `cargo xtask help`, with no arguments, and (on stderr) for an unknown command.
const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  ci [--quick]    fmt, file rules, clippy (also of derin-nn without default features), tests,
                  docs, cargo package (each .crate under 10 MiB), in that order; stops at the
                  first failure and ends with `ci: N passed, M failed` (--quick skips clippy
                  and docs)
  package         ci's last step alone: cargo package of every crate, each .crate's size
  bench [filter]  run each crate's `workloads` benchmark (release, 2 threads): one JSON line
                  per workload on stdout; `filter` is handed to the benchmark binaries
  help            print this message
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["help" | "--help" | "-h"] => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        ["ci"] => ci::run(ci::Mode::Full),
        ["ci", "--quick"] => ci::run(ci::Mode::Quick),
        ["package"] => match package::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) => {
                eprintln!("xtask package: {why}");
                ExitCode::FAILURE
            }
        },
        ["bench"] => bench::run(None),
        ["bench", filter] => bench::run(Some(filter)),
        _ => {
            eprintln!("xtask: unknown command `{}`\n", args.join(" "));
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root: the folder that holds this crate.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().expect("xtask/ sits inside the workspace root").to_path_buf()
}
