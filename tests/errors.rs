//! Golden tests of every user-facing error message, and of valid but
//! extreme inputs: one folder per case under `tests/errors/`.
//!
//! A case folder holds its input files, `args.txt` (one argument per line;
//! the binary runs with a copy of the case folder as working directory and,
//! for `replay` and `simulate`, `--out` to a fresh folder is appended),
//! `expected_exit_code.txt` and `expected_stderr.txt` (exact). Optional
//! `expected_<report>` files (`expected_summary.json`,
//! `expected_rejections.csv`, ...) are compared with the reports written;
//! `expected_stdout.txt` with standard output. A failed replay must leave no
//! report file, a failed simulate no file at all.
//!
//! A file named `NAME.template` is expanded into `NAME` before the run:
//! `{{REPEAT N C}}` becomes the character `C` written `N` times, so a
//! field of megabytes needs no megabyte file in the repository.
//!
//! Every case that stops a replay is also run with `--keep-going`: the run
//! must then either go on and record a rejection with exactly the stop
//! message's file, line and detail, or stop with exactly the same message
//! (header, plans, rules and overflow problems stop a run in any case).
//! The `json_*` cases (`--error-format json`) are not.

mod common;

use common::{creditsim, REPORTS};
use std::fs;
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/errors")
}

fn case_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(cases_dir())
        .expect("tests/errors exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Copies a case folder (recursively) into `to`, expanding templates.
fn copy_case(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            copy_case(&path, &to.join(&name));
        } else if let Some(target) = name.strip_suffix(".template") {
            let text = fs::read_to_string(&path).unwrap();
            fs::write(to.join(target), expand(&text)).unwrap();
        } else {
            fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// Expands `{{REPEAT N C}}`.
fn expand(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{REPEAT ") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed {{") + start;
        let spec: Vec<&str> = rest[start + 9..end].split(' ').collect();
        let count: usize = spec[0].parse().expect("REPEAT count");
        out.push_str(&spec[1].repeat(count));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn read_expected(case: &Path, name: &str) -> Option<String> {
    fs::read_to_string(case.join(name)).ok()
}

/// Runs one case; returns a description of every mismatch.
fn check_case(name: &str, kept_going: &mut usize) -> Vec<String> {
    let case = cases_dir().join(name);
    let mut problems = Vec::new();
    let (Some(stderr), Some(code)) = (
        read_expected(&case, "expected_stderr.txt"),
        read_expected(&case, "expected_exit_code.txt"),
    ) else {
        return vec![format!(
            "{name}: needs expected_stderr.txt and expected_exit_code.txt"
        )];
    };
    let code: i32 = code.trim().parse().expect("exit code");
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("case");
    copy_case(&case, &dir);
    let args_text = fs::read_to_string(case.join("args.txt"))
        .unwrap_or_else(|_| panic!("{name}: args.txt is missing"));
    let mut args: Vec<String> = args_text
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let is_replay = args.first().map(String::as_str) == Some("replay");
    let is_simulate = args.first().map(String::as_str) == Some("simulate");
    let out = work.path().join("out");
    if is_replay || is_simulate {
        args.push("--out".into());
        args.push(out.to_str().unwrap().into());
    }
    let output = creditsim(&dir, &args);
    let actual_stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(code) {
        problems.push(format!(
            "{name}: exit code {:?}, expected {code}; stderr: {actual_stderr}",
            output.status.code()
        ));
    }
    if actual_stderr != stderr {
        problems.push(format!(
            "{name}: stderr differs\n  actual:   {actual_stderr:?}\n  expected: {stderr:?}"
        ));
    }
    if let Some(stdout) = read_expected(&case, "expected_stdout.txt") {
        let actual = String::from_utf8_lossy(&output.stdout);
        if actual != stdout {
            problems.push(format!("{name}: stdout {actual:?}, expected {stdout:?}"));
        }
    }
    for report in REPORTS {
        let written = fs::read_to_string(out.join(report)).ok();
        if let Some(expected) = read_expected(&case, &format!("expected_{report}")) {
            if written.as_deref() != Some(expected.as_str()) {
                problems.push(format!(
                    "{name}: {report} is {written:?}, expected {expected:?}"
                ));
            }
        }
        if code != 0 && written.is_some() {
            problems.push(format!("{name}: a failed run left {report}"));
        }
    }
    if is_simulate && code != 0 && out.exists() && !common::files_left(&out).is_empty() {
        problems.push(format!(
            "{name}: a failed simulate left {:?}",
            common::files_left(&out)
        ));
    }
    // The JSON form is checked once; the text form covers --keep-going.
    let json = args.iter().any(|a| a == "json");
    if is_replay && code == 2 && !json && !args.iter().any(|a| a == "--keep-going") {
        problems.extend(check_keep_going(name, &dir, &args, &stderr, kept_going));
    }
    problems
}

/// The same case with `--keep-going`: a rejection with the same detail, or
/// the same stop.
fn check_keep_going(
    name: &str,
    dir: &Path,
    args: &[String],
    stderr: &str,
    kept_going: &mut usize,
) -> Vec<String> {
    let out = dir.join("keep-going-out");
    let mut args = args[..args.len() - 2].to_vec();
    args.insert(1, "--keep-going".into());
    args.push("--out".into());
    args.push(out.to_str().unwrap().into());
    let output = creditsim(dir, &args);
    let actual_stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(2) if actual_stderr == stderr => Vec::new(),
        Some(0) => {
            *kept_going += 1;
            // "error: FILE:LINE: detail" -> the rejection row's file, line,
            // detail.
            let message = stderr.trim_end_matches('\n');
            let message = message.strip_prefix("error: ").unwrap_or(message);
            let mut parts = message.splitn(3, ':');
            let (file, line, detail) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or("").trim_start(),
            );
            let rejections = fs::read(out.join("rejections.csv")).unwrap();
            let mut reader = csv::Reader::from_reader(rejections.as_slice());
            let found = reader.byte_records().any(|r| {
                let r = r.unwrap();
                let text = |i| String::from_utf8_lossy(&r[i]).into_owned();
                text(0) == file
                    && text(1) == line
                    && ["malformed", "out_of_order"].contains(&text(5).as_str())
                    && text(6) == detail
            });
            if found {
                Vec::new()
            } else {
                vec![format!(
                    "{name}: with --keep-going, rejections.csv has no row {file},{line},...,{detail}"
                )]
            }
        }
        other => vec![format!(
            "{name}: with --keep-going, exit {other:?} and stderr {actual_stderr:?}"
        )],
    }
}

#[test]
fn every_error_case_gives_its_exact_message() {
    let names = case_names();
    assert!(names.len() > 50, "only {} cases", names.len());
    let mut kept_going = 0;
    let problems: Vec<String> = names
        .iter()
        .flat_map(|name| check_case(name, &mut kept_going))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every malformed-row case above turned into a rejection.
    assert!(
        kept_going >= 20,
        "only {kept_going} cases went on with --keep-going"
    );
}

#[test]
fn templates_expand() {
    assert_eq!(expand("a,{{REPEAT 3 x}},b"), "a,xxx,b");
    assert_eq!(expand("{{REPEAT 2 ab}}{{REPEAT 1 c}}"), "ababc");
}

/// Many charged tasks all inside the task window: every one is remembered
/// (a duplicate of the last and a refund of the first still work) and the
/// totals are exact.
#[test]
fn many_tasks_inside_the_window() {
    const TASKS: u64 = 200_000;
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("plans.csv"),
        "plan,price_usd,monthly_credits\nmax,0.00,18446744073709551615\n",
    )
    .unwrap();
    let mut events = String::from("time,account,event,plan,provider,operation,task\n");
    events.push_str("2025-07-01T00:00:00Z,alice,subscribe,max,,,\n");
    // One call every 100 ms: 200,000 calls in 5.6 hours, inside 24h.
    for i in 0..TASKS {
        let (s, ms) = (i / 10, (i % 10) * 100);
        events.push_str(&format!(
            "2025-07-01T{:02}:{:02}:{:02}.{ms:03}Z,alice,call,,lyrics,make,task-{i}\n",
            1 + s / 3600,
            s / 60 % 60,
            s % 60
        ));
    }
    events.push_str("2025-07-01T23:00:00Z,alice,refund,,,,task-0\n");
    events.push_str(&format!(
        "2025-07-01T23:00:01Z,alice,call,,lyrics,make,task-{}\n",
        TASKS - 1
    ));
    fs::write(dir.path().join("events.csv"), events).unwrap();
    let args: Vec<String> = [
        "replay",
        "--plans",
        "plans.csv",
        "--out",
        "out",
        "events.csv",
    ]
    .map(String::from)
    .to_vec();
    let output = creditsim(dir.path(), &args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = fs::read_to_string(dir.path().join("out/summary.json")).unwrap();
    for needle in [
        format!("\"rows\": {},", TASKS + 3),
        format!("\"accepted\": {},", TASKS + 2),
        "\"duplicate_task\": 1".to_owned(),
        format!("\"used_subscription\": {},", 2 * TASKS),
        "\"refunded_subscription\": 2,".to_owned(),
        format!("\"lyrics\": {}", 2 * (TASKS - 1)),
    ] {
        assert!(summary.contains(&needle), "{needle} not in {summary}");
    }
}
