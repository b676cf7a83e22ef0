//! The command line's rough edges, each as a new user meets it: where the
//! reports may go, dates as --as-of, a balance past bad rows, completions
//! and the man page.

mod common;

use common::{creditsim, fixtures};
use std::fs;
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn exit_code(output: &Output) -> Option<i32> {
    output.status.code()
}

#[test]
fn out_dash_says_the_reports_are_a_folder_and_creates_nothing() {
    let work = tempfile::tempdir().unwrap();
    let events = fixtures().join("seed_rules/events.csv");
    let plans = fixtures().join("plans.example.csv");
    let args = [
        "replay",
        "--plans",
        plans.to_str().unwrap(),
        "--out",
        "-",
        events.to_str().unwrap(),
    ];
    let output = creditsim(work.path(), &args);
    assert_eq!(exit_code(&output), Some(2));
    assert_eq!(
        text(&output.stderr),
        "error: --out -: the reports are a folder of files and cannot go to standard output; give a folder, such as --out reports/\n"
    );
    assert!(!work.path().join("-").exists(), "no folder named -");
}

#[test]
fn out_naming_a_file_says_so() {
    let work = tempfile::tempdir().unwrap();
    fs::write(work.path().join("report.txt"), "keep me").unwrap();
    let events = fixtures().join("seed_rules/events.csv");
    let plans = fixtures().join("plans.example.csv");
    for command in ["replay", "simulate"] {
        let args = [
            command,
            "--plans",
            plans.to_str().unwrap(),
            "--out",
            "report.txt",
            events.to_str().unwrap(),
        ];
        let output = creditsim(work.path(), &args);
        assert_eq!(exit_code(&output), Some(2), "{command}");
        assert_eq!(
            text(&output.stderr),
            "error: --out report.txt: is a file, not a folder; give a folder for the reports\n",
            "{command}"
        );
    }
    assert_eq!(
        fs::read_to_string(work.path().join("report.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn a_date_as_of_is_its_midnight_utc() {
    let dir = fixtures().join("seed_rules");
    let balance = |as_of: &str| {
        let output = creditsim(
            &dir,
            &[
                "balance",
                "--plans",
                "../plans.example.csv",
                "--as-of",
                as_of,
                "--account",
                "pat",
                "events.csv",
            ],
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    assert_eq!(balance("2025-07-15"), balance("2025-07-15T00:00:00Z"));
    let output = creditsim(
        &dir,
        &[
            "balance",
            "--plans",
            "../plans.example.csv",
            "--as-of",
            "2025-02-30",
            "--account",
            "pat",
            "events.csv",
        ],
    );
    assert_eq!(exit_code(&output), Some(2));
}

#[test]
fn balance_keep_going_skips_bad_rows() {
    let dir = fixtures().join("keep_going");
    let base = [
        "balance",
        "--plans",
        "../plans.example.csv",
        "--account",
        "max",
        "events.csv",
    ];
    let stopped = creditsim(&dir, &base);
    assert_eq!(
        exit_code(&stopped),
        Some(2),
        "a malformed row stops a plain balance"
    );
    let mut args = base.to_vec();
    args.push("--keep-going");
    let output = creditsim(&dir, &args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // As fixtures/keep_going/expected/balances.csv has it.
    assert_eq!(
        text(&output.stdout),
        "{\"credits\":990,\"extra_credits\":18}\n"
    );
}

#[test]
fn completions_and_man_page_are_printed() {
    let dir = fixtures();
    let bash = creditsim(&dir, &["completions", "bash"]);
    assert!(bash.status.success());
    let script = text(&bash.stdout);
    assert!(
        script.contains("_creditsim()") && script.contains("--task-window"),
        "{script}"
    );
    let man = creditsim(&dir, &["man"]);
    assert!(man.status.success());
    let page = text(&man.stdout);
    assert!(
        page.starts_with(".ie"),
        "roff: {}",
        &page[..40.min(page.len())]
    );
    for name in [
        "creditsim",
        "creditsim-replay",
        "creditsim-balance",
        "creditsim-simulate",
    ] {
        assert!(page.contains(&format!(".TH {name} ")), "a page for {name}");
    }
    let unknown = creditsim(&dir, &["completions", "cmd.exe"]);
    assert_eq!(exit_code(&unknown), Some(2));
}
