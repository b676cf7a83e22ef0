//! What the integration tests that run the real binary share. Each test
//! crate compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The report files of a replay.
pub const REPORTS: [&str; 5] = [
    "balances.csv",
    "ledger.csv",
    "statements.csv",
    "rejections.csv",
    "summary.json",
];

/// The shipped fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Runs `creditsim ARGS` in `dir` with no standard input.
pub fn creditsim<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_creditsim"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the creditsim binary runs")
}
