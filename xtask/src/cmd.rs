//! External commands: shown as a shell line, run in the workspace root.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Write};
use std::process::{Command, ExitStatus, Stdio};

use crate::workspace_root;

/// A `cargo` command with extra environment variables, run in the workspace root.
pub struct Cmd {
    args: Vec<String>,
    envs: Vec<(String, String)>,
}

impl Cmd {
    /// `cargo <args>`.
    pub fn cargo(args: &[&str]) -> Cmd {
        Cmd { args: args.iter().map(|a| a.to_string()).collect(), envs: Vec::new() }
    }

    /// Sets an environment variable for the command.
    pub fn env(mut self, key: &str, value: &str) -> Cmd {
        self.envs.push((key.to_string(), value.to_string()));
        self
    }

    /// The command as one would type it: `RUSTDOCFLAGS="-D warnings" cargo doc --no-deps`.
    pub fn display(&self) -> String {
        let envs = self.envs.iter().map(|(k, v)| format!("{k}={}", quote(v)));
        let args = self.args.iter().map(|a| quote(a));
        envs.chain(["cargo".to_string()]).chain(args).collect::<Vec<_>>().join(" ")
    }

    /// Runs the command with the terminal's stdin, stdout and stderr.
    ///
    /// # Errors
    /// A message if the command could not start or exited unsuccessfully.
    pub fn run(&self) -> Result<(), String> {
        let status = self.command().status().map_err(|e| format!("could not start cargo: {e}"))?;
        check(status)
    }

    /// Runs the command, copying each stdout line to our stdout as it comes and
    /// handing it to `on_line`; stderr goes straight to the terminal.
    ///
    /// # Errors
    /// A message if the command could not start, its output could not be read,
    /// or it exited unsuccessfully.
    pub fn run_streaming(&self, mut on_line: impl FnMut(&str)) -> Result<(), String> {
        let mut child =
            self.command().stdout(Stdio::piped()).spawn().map_err(|e| format!("could not start cargo: {e}"))?;
        let stdout = child.stdout.take().expect("stdout was piped");
        let copied = copy_lines(BufReader::new(stdout), &mut io::stdout(), &mut on_line);
        // Wait even when copying failed, so the child is never left behind.
        let status = child.wait().map_err(|e| format!("could not wait for cargo: {e}"))?;
        copied.map_err(|e| format!("could not read cargo's output: {e}"))?;
        check(status)
    }

    /// Runs the command and returns its stdout (stderr goes to the terminal).
    ///
    /// # Errors
    /// A message if the command could not start, exited unsuccessfully, or printed
    /// something that is not UTF-8.
    pub fn output(&self) -> Result<String, String> {
        let output =
            self.command().stderr(Stdio::inherit()).output().map_err(|e| format!("could not start cargo: {e}"))?;
        check(output.status)?;
        String::from_utf8(output.stdout).map_err(|e| format!("cargo printed something that is not UTF-8: {e}"))
    }

    /// The `std::process::Command` for this command.
    fn command(&self) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let mut command = Command::new(cargo);
        command.args(&self.args).current_dir(workspace_root());
        command.envs(self.envs.iter().map(|(k, v)| (k, v)));
        command
    }
}

/// Copies `reader` to `out` line by line (bytes unchanged, flushed per line) and passes
/// each line, lossily decoded and without its line ending, to `on_line`.
fn copy_lines(mut reader: impl BufRead, out: &mut impl Write, on_line: &mut impl FnMut(&str)) -> io::Result<()> {
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line)? > 0 {
        out.write_all(&line)?;
        out.flush()?;
        on_line(String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']));
        line.clear();
    }
    Ok(())
}

/// `Ok` for a successful exit, else a message naming the status.
fn check(status: ExitStatus) -> Result<(), String> {
    if status.success() { Ok(()) } else { Err(format!("cargo failed ({status})")) }
}

/// `arg`, in double quotes if it holds a space.
fn quote(arg: &str) -> String {
    if arg.contains(' ') { format!("\"{arg}\"") } else { arg.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_env_and_quotes_spaces() {
        let cmd = Cmd::cargo(&["doc", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings");
        assert_eq!(cmd.display(), "RUSTDOCFLAGS=\"-D warnings\" cargo doc --no-deps");
    }

    #[test]
    fn copy_lines_copies_bytes_and_hands_over_each_line() {
        let input = b"first\r\nsecond\nlast";
        let (mut copy, mut seen) = (Vec::new(), Vec::new());
        copy_lines(&input[..], &mut copy, &mut |l: &str| seen.push(l.to_string())).unwrap();
        assert_eq!(seen, ["first", "second", "last"]);
        assert_eq!(copy, input);
    }
}
