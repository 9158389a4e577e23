//! The `spot` binary as a person runs it.

use std::process::Command;

/// Runs `spot` with `args` (logging errors only) and gives what it printed,
/// stdout then stderr; fails the test, with that text, if it does not succeed.
pub fn spot(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_spot")).args(args).env("SPOT_LOG", "error").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "spot {args:?} failed:\n{text}");
    text
}
