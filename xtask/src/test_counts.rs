//! Test totals summed from the `test result:` lines of `cargo test` output.

/// Passed and failed tests, summed over libtest's summary lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TestCounts {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
}

impl TestCounts {
    /// Adds the counts of `line` if it is a libtest summary line; ignores any other line.
    pub fn add_line(&mut self, line: &str) {
        if let Some(counts) = parse_result_line(line) {
            self.passed += counts.passed;
            self.failed += counts.failed;
        }
    }

    /// The line `ci` ends with: `ci: N passed, M failed`.
    pub fn summary(&self) -> String {
        format!("ci: {} passed, {} failed", self.passed, self.failed)
    }
}

/// The counts of a summary line such as
/// `test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s`,
/// or `None` for any other line. libtest prints it at the start of a line.
fn parse_result_line(line: &str) -> Option<TestCounts> {
    let rest = line.strip_prefix("test result: ")?;
    Some(TestCounts { passed: count(rest, "passed")?, failed: count(rest, "failed")? })
}

/// The number `N` of the `N label` item in a summary such as `ok. 12 passed; 0 failed; …`.
fn count(summary: &str, label: &str) -> Option<u64> {
    summary.split([';', '.']).find_map(|item| {
        let mut words = item.split_whitespace();
        let n = words.next()?.parse().ok()?;
        (words.next()? == label && words.next().is_none()).then_some(n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured stdout of `cargo test --workspace --no-fail-fast` (cargo 1.95) on a
    /// workspace with a failing integration test and a failing merged doc test.
    const SAMPLE: &str = include_str!("test_counts_sample.txt");

    #[test]
    fn sums_a_captured_cargo_test_run() {
        let mut counts = TestCounts::default();
        SAMPLE.lines().for_each(|line| counts.add_line(line));
        assert_eq!(counts, TestCounts { passed: 4, failed: 2 });
        assert_eq!(counts.summary(), "ci: 4 passed, 2 failed");
    }

    #[test]
    fn parses_ok_and_failed_lines() {
        let ok = "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 3 filtered out; finished in 0.01s";
        assert_eq!(parse_result_line(ok), Some(TestCounts { passed: 12, failed: 0 }));
        let failed =
            "test result: FAILED. 7 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.50s";
        assert_eq!(parse_result_line(failed), Some(TestCounts { passed: 7, failed: 2 }));
    }

    #[test]
    fn parses_coloured_lines() {
        let line = "test result: \x1b[32mok\x1b[0m. 5 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(parse_result_line(line), Some(TestCounts { passed: 5, failed: 0 }));
    }

    #[test]
    fn ignores_other_lines() {
        for line in
            ["test tests::t ... ok", "running 2 tests", "", "  test result: ok. 1 passed; 0 failed", "failures:"]
        {
            assert_eq!(parse_result_line(line), None, "{line:?}");
        }
    }
}
