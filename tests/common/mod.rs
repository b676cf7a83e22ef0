//! What the integration tests that run the real binary share. Each test
//! crate compiles this module on its own and uses only part of it.
#![allow(dead_code, unused_macros)]

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

/// The names in `dir` but its lock file, which stays by design (see
/// src/report/lock.rs).
pub fn files_left(dir: &Path) -> Vec<std::ffi::OsString> {
    std::fs::read_dir(dir)
        .expect("folder exists")
        .map(|e| e.expect("entry").file_name())
        .filter(|name| name != ".creditsim.lock")
        .collect()
}

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

/// One `#[test]` per named fixture folder, each calling
/// `check_fixture(name)` of the test crate, plus a test that every folder
/// of `fixtures/` with an `args.txt` is among them.
macro_rules! fixture_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_fixture(stringify!($name));
            }
        )*

        #[test]
        fn every_fixture_folder_has_a_test() {
            common::assert_all_fixtures_tested(&[$(stringify!($name)),*]);
        }
    };
}

/// Fails when a fixture folder is missing from `tested`.
pub fn assert_all_fixtures_tested(tested: &[&str]) {
    for entry in std::fs::read_dir(fixtures()).expect("fixtures folder") {
        let path = entry.expect("entry").path();
        if path.join("args.txt").exists() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            assert!(tested.contains(&name), "fixture {name} has no test here");
        }
    }
}
