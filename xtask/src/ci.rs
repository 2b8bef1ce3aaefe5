//! `cargo xtask ci`: the checks a change must pass, in order, stopping at the first failure.
//!
//! What cargo 1.95 does with these profiles (checked with `-v` on this workspace and a probe
//! workspace with the same `[profile.*]` tables):
//!
//! - `cargo test --workspace --profile test` compiles dependencies, libraries, test harnesses,
//!   integration tests *and examples* (built, not run) once, all in the `test` profile
//!   (opt-level 3, `target/debug`). `--profile test` is what `cargo test` picks anyway; it is
//!   spelled out so the shared profile is visible.
//! - Doc tests run in that same invocation, after the other tests: cargo hands `rustdoc --test`
//!   the `test`-profile rlibs (`-L target/debug/deps --extern …rlib`), so they cost no extra
//!   dependency build. A separate `cargo test --doc` afterwards finds everything `Fresh`, so
//!   there is no separate doc-test step. Note that cargo passes no `-C opt-level` to rustdoc:
//!   the doc-test bodies themselves are compiled unoptimized (they link optimized libraries).
//! - Clippy accepts `--profile test`. It always builds in check mode, so library dependencies
//!   are type-checked to metadata once (cheap, no codegen) and cannot reuse the test build's
//!   rlibs; build scripts and proc macros (fully compiled host code) are shared with the test
//!   build (in the default `dev` profile every build script would run once more), and
//!   `cargo doc` in the same profile can reuse its dependency metadata (next point).
//! - `cargo doc --profile test` reuses clippy's dependency metadata *except* for crates whose
//!   features differ: `doc` builds no test targets, so dev-dependency features are not
//!   unified in (resolver 2+); here ndarray loses `matrixmultiply-threading`, and ndarray,
//!   matrixmultiply, gemm and a few others are checked once more (about 20 s of CPU, once per
//!   target folder; cached after). Adding `--examples` would unify the features but makes
//!   rustdoc need a plain rustc check of every workspace library on every change (clippy's
//!   checks of workspace crates are not shared), which costs more on repeated runs.
//! - `cargo package` (the last step, `package.rs`) runs without verification and offline,
//!   so it builds and fetches nothing: about a second. Why: see `package.rs`.

use std::process::ExitCode;

use crate::cmd::Cmd;
use crate::package;
use crate::rules;
use crate::test_counts::TestCounts;
use crate::workspace_root;

/// How much of CI to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every step.
    Full,
    /// Skips clippy and doc, for a quick local check.
    Quick,
}

/// One CI step.
enum Step {
    /// A cargo command that must succeed.
    Cargo(Cmd),
    /// `cargo test`: must succeed, and its `test result:` lines are counted.
    Tests(Cmd),
    /// The file rules of `rules.rs`.
    Rules,
    /// `cargo package` of every crate, then each `.crate` file's size (`package.rs`).
    Package,
}

impl Step {
    /// What the step runs, as printed before it starts.
    fn describe(&self) -> String {
        match self {
            Step::Cargo(cmd) | Step::Tests(cmd) => cmd.display(),
            Step::Rules => format!("every .rs file has at most {} lines and starts with `//!`", rules::MAX_LINES),
            Step::Package => {
                let bytes = package::MAX_CRATE_BYTES;
                format!("{}, then every .crate file under {bytes} bytes", Cmd::cargo(&package::ARGS).display())
            }
        }
    }

    /// Runs the step, adding any test results to `counts`.
    fn run(&self, counts: &mut TestCounts) -> Result<(), String> {
        match self {
            Step::Cargo(cmd) => cmd.run(),
            Step::Tests(cmd) => {
                let result = cmd.run_streaming(|line| counts.add_line(line));
                match counts.failed {
                    0 => result,
                    failed => Err(format!("{failed} test(s) failed")),
                }
            }
            Step::Rules => check_rules(),
            Step::Package => package::run(),
        }
    }
}

/// The steps of `mode`, named, in the order they run. Clippy and doc share the `test`
/// profile with the tests (see the module docs).
fn steps(mode: Mode) -> Vec<(&'static str, Step)> {
    let clippy = ["clippy", "--workspace", "--all-targets", "--profile", "test", "--", "-D", "warnings"];
    // derin-nn without its default features (no hdf5-metno, zip, plotters) must still build
    // cleanly, tests and examples included (those that need a feature are skipped).
    let minimal = [
        "clippy",
        "-p",
        "derin-nn",
        "--no-default-features",
        "--all-targets",
        "--profile",
        "test",
        "--",
        "-D",
        "warnings",
    ];
    let test = ["test", "--workspace", "--profile", "test", "--no-fail-fast"];
    let doc = ["doc", "--workspace", "--no-deps", "--profile", "test"];
    let mut steps = vec![
        ("fmt", Step::Cargo(Cmd::cargo(&["fmt", "--all", "--", "--check"]))),
        ("rules", Step::Rules),
        ("clippy", Step::Cargo(Cmd::cargo(&clippy))),
        ("clippy-minimal", Step::Cargo(Cmd::cargo(&minimal))),
        ("test", Step::Tests(Cmd::cargo(&test))),
        ("doc", Step::Cargo(Cmd::cargo(&doc).env("RUSTDOCFLAGS", "-D warnings"))),
        ("package", Step::Package),
    ];
    if mode == Mode::Quick {
        steps.retain(|(name, _)| !matches!(*name, "clippy" | "clippy-minimal" | "doc"));
    }
    steps
}

/// Runs the steps of `mode`; prints `ci: N passed, M failed` once the tests have run.
///
/// Exits unsuccessfully at the first failing step, naming it.
pub fn run(mode: Mode) -> ExitCode {
    let steps = steps(mode);
    let mut counts = TestCounts::default();
    let mut tests_ran = false;
    for (i, (name, step)) in steps.iter().enumerate() {
        println!("ci [{}/{}] {name}: {}", i + 1, steps.len(), step.describe());
        let result = step.run(&mut counts);
        tests_ran |= matches!(step, Step::Tests(_));
        if let Err(why) = result {
            if tests_ran {
                println!("{}", counts.summary());
            }
            eprintln!("ci: step `{name}` failed: {why}");
            return ExitCode::FAILURE;
        }
    }
    println!("{}", counts.summary());
    ExitCode::SUCCESS
}

/// The rules step: prints each offending file.
fn check_rules() -> Result<(), String> {
    let offences = rules::check_tree(&workspace_root()).map_err(|e| format!("could not read the files: {e}"))?;
    for offence in &offences {
        eprintln!("  {offence}");
    }
    match offences.len() {
        0 => Ok(()),
        n => Err(format!("{n} rule violation(s), listed above")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names and command lines of `mode`'s steps.
    fn plan(mode: Mode) -> Vec<String> {
        steps(mode).iter().map(|(name, step)| format!("{name}: {}", step.describe())).collect()
    }

    #[test]
    fn full_ci_runs_every_step_in_order() {
        assert_eq!(
            plan(Mode::Full),
            [
                "fmt: cargo fmt --all -- --check",
                "rules: every .rs file has at most 800 lines and starts with `//!`",
                "clippy: cargo clippy --workspace --all-targets --profile test -- -D warnings",
                "clippy-minimal: cargo clippy -p derin-nn --no-default-features --all-targets --profile test \
                 -- -D warnings",
                "test: cargo test --workspace --profile test --no-fail-fast",
                "doc: RUSTDOCFLAGS=\"-D warnings\" cargo doc --workspace --no-deps --profile test",
                "package: cargo package --workspace --exclude xtask --no-verify --offline --allow-dirty, \
                 then every .crate file under 10485760 bytes",
            ]
        );
    }

    #[test]
    fn quick_ci_skips_clippy_and_doc() {
        let names: Vec<_> = steps(Mode::Quick).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["fmt", "rules", "test", "package"]);
    }
}
