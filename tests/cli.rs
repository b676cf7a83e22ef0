//! Runs the real `creditsim` binary: every golden fixture, every exit code,
//! and the promise that a failed run leaves no report file.

#[macro_use]
mod common;

use common::{creditsim, fixtures, REPORTS};
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Replays one fixture folder with its `args.txt` and compares every report.
fn check_fixture(name: &str) {
    let dir = fixtures().join(name);
    let args_text = fs::read_to_string(dir.join("args.txt")).expect("args.txt");
    let out = tempfile::tempdir().expect("temp dir");
    let mut args: Vec<&str> = vec!["replay"];
    args.extend(args_text.lines().filter(|l| !l.is_empty()));
    let out_arg = out.path().to_str().expect("utf-8 temp path");
    args.extend(["--out", out_arg]);
    let output = creditsim(&dir, &args);
    assert!(output.status.success(), "{name}: {}", stderr(&output));
    for report in REPORTS {
        let expected =
            fs::read_to_string(dir.join("expected").join(report)).expect("expected report");
        let actual = fs::read_to_string(out.path().join(report)).expect("report written");
        assert_eq!(
            actual, expected,
            "{name}/{report} differs from the hand-computed one"
        );
    }
}

fixture_tests!(
    seed_rules,
    leap_february,
    extra_first,
    cancellation,
    late_refund,
    duplicate_tasks,
    multi_file_merge,
    keep_going,
);

#[test]
fn output_is_byte_identical_across_runs() {
    let dir = fixtures().join("late_refund");
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for out in [&a, &b] {
        let output = creditsim(
            &dir,
            &[
                "replay",
                "--plans",
                "../plans.example.csv",
                "--out",
                out.path().to_str().unwrap(),
                "events.csv",
            ],
        );
        assert!(output.status.success(), "{}", stderr(&output));
    }
    for report in REPORTS {
        assert_eq!(
            fs::read(a.path().join(report)).unwrap(),
            fs::read(b.path().join(report)).unwrap(),
            "{report}"
        );
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).expect("write test input");
}

const PLANS: &str = "plan,price_usd,monthly_credits\nbasic,8.00,1000\n";

/// Replays `events` over [`PLANS`] in a fresh folder (`--out out`).
fn replay_events(events: &str) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "plans.csv", PLANS);
    write(dir.path(), "events.csv", events);
    let output = creditsim(
        dir.path(),
        &[
            "replay",
            "--plans",
            "plans.csv",
            "--out",
            "out",
            "events.csv",
        ],
    );
    (dir, output)
}

#[test]
fn malformed_row_stops_with_file_line_and_exit_2_and_leaves_no_reports() {
    let (dir, output) = replay_events(
        "time,account,event,plan\n2025-07-01T00:00:00Z,a,subscribe,basic\n2025-07-01 00:00,a,cancel,\n",
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: events.csv:3: invalid time 2025-07-01 00:00: expected RFC 3339 with an offset, like 2025-07-01T09:30:00Z\n"
    );
    let left = common::files_left(&dir.path().join("out"));
    assert!(left.is_empty(), "a failed run left files: {left:?}");
}

#[test]
fn out_of_order_row_stops_the_run() {
    let (_dir, output) = replay_events(
        "time,account,event,plan\n2025-07-02T00:00:00Z,a,subscribe,basic\n2025-07-01T00:00:00Z,a,cancel,\n",
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: events.csv:3: time 2025-07-01T00:00:00Z is earlier than 2025-07-02T00:00:00Z on line 2\n"
    );
}

#[test]
fn business_rejections_exit_0() {
    let (dir, output) =
        replay_events("time,account,event,plan\n2025-07-01T00:00:00Z,a,subscribe,gold\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rejections = fs::read_to_string(dir.path().join("out/rejections.csv")).unwrap();
    assert!(rejections.ends_with(
        "events.csv,2,2025-07-01T00:00:00Z,a,subscribe,unknown_plan,unknown plan gold\n"
    ));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("rejections: unknown_plan 1"), "{stdout}");
}

#[test]
fn missing_events_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "plans.csv", PLANS);
    let output = creditsim(
        dir.path(),
        &["replay", "--plans", "plans.csv", "--out", "out", "nope.csv"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: nope.csv: cannot read: "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = creditsim(
        dir.path(),
        &[
            "replay",
            "--plans",
            "p.csv",
            "--task-window",
            "1.5h",
            "--out",
            "o",
            "e.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid duration 1.5h"),
        "{}",
        stderr(&output)
    );
    let output = creditsim(
        dir.path(),
        &[
            "replay",
            "--plans",
            "p.csv",
            "--as-of",
            "2025-07-01 noon",
            "--out",
            "o",
            "e.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid time 2025-07-01 noon"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn invalid_plans_file_reports_every_bad_row_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "plans.csv",
        "plan,price_usd,monthly_credits\nbasic,8.00,1000\nbasic,9.00,10\npro,1.234,10\nneg,-1.00,10\n",
    );
    write(dir.path(), "events.csv", "time,account,event\n");
    let output = creditsim(
        dir.path(),
        &[
            "replay",
            "--plans",
            "plans.csv",
            "--keep-going",
            "--out",
            "out",
            "events.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: plans.csv:3: duplicate plan basic\n\
         error: plans.csv:4: invalid price_usd 1.234: more than 2 decimal places\n\
         error: plans.csv:5: invalid price_usd -1.00: must not be negative\n"
    );
}

#[cfg(unix)]
#[test]
fn unwritable_output_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "plans.csv", PLANS);
    write(dir.path(), "events.csv", "time,account,event\n");
    // A file where the output folder's parent should be: the folder cannot
    // be made, which only shows when the reports are written. (A file at the
    // folder's own path is refused up front, with exit 2: tests/cli_edges.rs.)
    write(dir.path(), "out", "not a folder");
    let output = creditsim(
        dir.path(),
        &[
            "replay",
            "--plans",
            "plans.csv",
            "--out",
            "out/reports",
            "events.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("error: out/reports: "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn stdin_is_read_with_dash() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "plans.csv", PLANS);
    let mut child = Command::new(env!("CARGO_BIN_EXE_creditsim"))
        .current_dir(dir.path())
        .args(["balance", "--plans", "plans.csv", "--account", "a", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"time,account,event,plan,provider,operation,task\n2025-07-01T00:00:00Z,a,subscribe,basic,,,\n2025-07-01T01:00:00Z,a,call,,lyrics,make,t1\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "{\"credits\":998,\"extra_credits\":0}\n"
    );
}

#[test]
fn balance_prints_get_credits_json() {
    let dir = fixtures().join("extra_first");
    let output = creditsim(
        &dir,
        &[
            "balance",
            "--plans",
            "../plans.example.csv",
            "--account",
            "alice",
            "events.csv",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    // The same numbers as alice's row of the fixture's balances.csv.
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "{\"credits\":4,\"extra_credits\":2}\n"
    );
}

#[test]
fn balance_of_an_unknown_account_exits_2() {
    let dir = fixtures().join("extra_first");
    let output = creditsim(
        &dir,
        &[
            "balance",
            "--plans",
            "../plans.example.csv",
            "--account",
            "nobody",
            "events.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: account nobody is in no well-formed row\n"
    );
}

#[test]
fn help_explains_every_option_with_examples() {
    for sub in ["replay", "balance"] {
        let output = creditsim(Path::new("."), &[sub, "--help"]);
        assert!(output.status.success());
        let help = String::from_utf8_lossy(&output.stdout);
        for needle in ["--plans", "--rules", "--as-of", "--task-window", "Example"] {
            assert!(help.contains(needle), "{sub} --help lacks {needle}");
        }
    }
}

#[test]
fn spreadsheet_safe_neutralises_formula_cells_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    // A plan id is input too: it reaches balances, ledger and statements.
    write(
        dir.path(),
        "plans.csv",
        &format!("{PLANS}@pro,30.00,5000\n"),
    );
    write(
        dir.path(),
        "events.csv",
        "time,account,event,plan,provider,operation,task\n\
         2025-07-01T00:00:00Z,=HYPERLINK(\"x\"),subscribe,basic,,,\n\
         2025-07-01T01:00:00Z,=HYPERLINK(\"x\"),call,,suno,create,@t1\n\
         2025-07-01T02:00:00Z,+1,cancel,,,,\n\
         2025-07-01T03:00:00Z,plain,subscribe,@pro,,,\n",
    );
    let run = |extra: &[&str], out: &str| {
        let mut args = vec!["replay", "--plans", "plans.csv", "--out", out];
        args.extend_from_slice(extra);
        args.push("events.csv");
        let output = creditsim(dir.path(), &args);
        assert!(output.status.success(), "{}", stderr(&output));
        let read = |name: &str| fs::read_to_string(dir.path().join(out).join(name)).unwrap();
        (
            read("balances.csv"),
            read("ledger.csv"),
            read("rejections.csv"),
            read("statements.csv"),
        )
    };
    let (balances, ledger, rejections, statements) = run(&[], "exact");
    assert!(
        balances.contains("\n\"=HYPERLINK(\"\"x\"\")\",active,"),
        "{balances}"
    );
    assert!(ledger.contains(",charge,,@t1,"), "{ledger}");
    assert!(
        rejections.contains(",+1,cancel,no_active_subscription,"),
        "{rejections}"
    );
    assert!(balances.contains("\nplain,active,@pro,"), "{balances}");
    assert!(ledger.contains(",plain,fee,@pro,"), "{ledger}");
    assert!(statements.contains(",@pro,30.00,"), "{statements}");
    let (balances, ledger, rejections, statements_safe) = run(&["--spreadsheet-safe"], "safe");
    assert!(
        balances.contains("\n\"'=HYPERLINK(\"\"x\"\")\",active,"),
        "{balances}"
    );
    assert!(ledger.contains(",charge,,'@t1,"), "{ledger}");
    assert!(
        ledger.contains(",-10,"),
        "numbers are never touched: {ledger}"
    );
    assert!(
        rejections.contains(",'+1,cancel,no_active_subscription,"),
        "{rejections}"
    );
    assert!(balances.contains("\nplain,active,'@pro,"), "{balances}");
    assert!(ledger.contains(",plain,fee,'@pro,"), "{ledger}");
    assert_eq!(
        statements_safe,
        statements
            .replace("\n\"=", "\n\"'=")
            .replace(",@pro,", ",'@pro,")
    );
}
