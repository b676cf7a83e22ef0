//! `creditsim simulate` run as a binary over `fixtures/simulate/` (RULES.md
//! section 10): the hand-computed reports byte for byte (the arithmetic is
//! in `fixtures/simulate/README.md`), the `--reports` folders against a
//! `replay` of the same arguments, and the same bytes for any `--threads`.

mod common;

use common::{creditsim, files_left, REPORTS};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The repository's root: the commands run there with the paths the
/// README shows.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn expected(name: &str) -> String {
    fs::read_to_string(root().join("fixtures/simulate/expected").join(name))
        .expect("expected report")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `creditsim simulate --plans fixtures/simulate/plans.csv EXTRA --out OUT
/// fixtures/simulate/events.csv` from the repository's root.
fn simulate(extra: &[&str], out: &Path) -> Output {
    let mut args = vec!["simulate", "--plans", "fixtures/simulate/plans.csv"];
    args.extend_from_slice(extra);
    args.extend(["--out", out.to_str().expect("utf-8 temp path")]);
    args.push("fixtures/simulate/events.csv");
    creditsim(root(), &args)
}

const SCENARIOS: [&str; 2] = ["--scenarios", "fixtures/simulate/scenarios.toml"];

const NAMES: [&str; 5] = [
    "baseline",
    "dearer_extra",
    "basic_to_pro",
    "all_mini_50",
    "auto_recharge",
];

fn read(path: PathBuf) -> String {
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_fixture_gives_the_hand_computed_reports() {
    let out = tempfile::tempdir().unwrap();
    let output = simulate(&[&SCENARIOS[..], &["--best-plan"]].concat(), out.path());
    assert!(output.status.success(), "{}", stderr(&output));
    for report in ["scenarios.csv", "accounts.csv", "best_plans.csv"] {
        assert_eq!(
            read(out.path().join(report)),
            expected(report),
            "{report} differs from the hand-computed one"
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("all_mini_50: revenue $10.56 (delta -16.00), 4 accounts"),
        "{stdout}"
    );
    assert!(
        stdout.contains("best plan: 2 of 3 accounts would pay less on another plan"),
        "{stdout}"
    );
}

#[test]
fn without_best_plan_there_is_no_best_plans_file() {
    let out = tempfile::tempdir().unwrap();
    let output = simulate(&SCENARIOS, out.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        read(out.path().join("scenarios.csv")),
        expected("scenarios.csv")
    );
    assert_eq!(
        read(out.path().join("accounts.csv")),
        expected("accounts.csv")
    );
    let mut left = files_left(out.path());
    left.sort();
    assert_eq!(left, ["accounts.csv", "manifest.json", "scenarios.csv"]);
}

#[test]
fn without_scenarios_only_the_baseline_runs() {
    let out = tempfile::tempdir().unwrap();
    let output = simulate(&[], out.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let scenarios = expected("scenarios.csv");
    let head: Vec<&str> = scenarios.lines().take(2).collect();
    assert_eq!(
        read(out.path().join("scenarios.csv")),
        head.join("\n") + "\n"
    );
    let accounts: String = expected("accounts.csv")
        .lines()
        .filter(|l| l.starts_with("account,") || l.contains(",baseline,"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(read(out.path().join("accounts.csv")), accounts);
}

#[test]
fn reports_folders_hold_each_run_and_the_baseline_is_the_replay() {
    let out = tempfile::tempdir().unwrap();
    let output = simulate(&[&SCENARIOS[..], &["--reports"]].concat(), out.path());
    assert!(output.status.success(), "{}", stderr(&output));
    for name in NAMES {
        for report in REPORTS {
            let path = out.path().join(name).join(report);
            assert!(path.is_file(), "{} is missing", path.display());
        }
    }
    let replay_out = tempfile::tempdir().unwrap();
    let replay = creditsim(
        root(),
        &[
            "replay",
            "--plans",
            "fixtures/simulate/plans.csv",
            "--out",
            replay_out.path().to_str().unwrap(),
            "fixtures/simulate/events.csv",
        ],
    );
    assert!(replay.status.success(), "{}", stderr(&replay));
    for report in REPORTS {
        assert_eq!(
            read(out.path().join("baseline").join(report)),
            read(replay_out.path().join(report)),
            "baseline/{report} differs from the replay's"
        );
    }
    // auto_recharge: amy's call t4 finds 0 credits and first buys one pack
    // of 50 at $0.08 per 10 (README.md here); her logged purchase is gone.
    let ledger = read(out.path().join("auto_recharge/ledger.csv"));
    assert!(
        ledger.contains(
            "2025-07-05T00:00:00Z,amy,purchase,,,50,0,0.40,50,0\n\
             2025-07-05T00:00:00Z,amy,charge,,t4,-10,0,0.00,40,0\n"
        ),
        "{ledger}"
    );
    assert!(
        !ledger.contains("2025-07-06T00:00:00Z,amy,purchase"),
        "{ledger}"
    );
    let summary = read(out.path().join("auto_recharge/summary.json"));
    assert!(summary.contains("\"skipped\": 3,"), "{summary}");
    // dearer_extra: the same purchases at $0.10 per 10.
    let summary = read(out.path().join("dearer_extra/summary.json"));
    assert!(summary.contains("\"purchases_usd\": \"0.70\""), "{summary}");
    // all_mini_50: the plans file of the scenario (mini grants 50).
    let ledger = read(out.path().join("all_mini_50/ledger.csv"));
    assert!(
        ledger.contains("2025-07-01T12:00:00Z,bob,grant,mini,,0,50,0.00,0,50\n"),
        "{ledger}"
    );
}

/// Every file of `dir` (recursively) but the manifest, which records the
/// arguments, and the lock file.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            if path.is_dir() {
                stack.push(path);
            } else if name != "manifest.json" && name != ".creditsim.lock" {
                files.push((name, fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_thread_count_changes_no_byte() {
    let args = [&SCENARIOS[..], &["--best-plan", "--reports"]].concat();
    let runs: Vec<_> = ["1", "2", "7"]
        .iter()
        .map(|threads| {
            let out = tempfile::tempdir().unwrap();
            let output = simulate(&[&args[..], &["--threads", threads]].concat(), out.path());
            assert!(output.status.success(), "{}", stderr(&output));
            let stdout = String::from_utf8_lossy(&output.stdout)
                .replace(out.path().to_str().unwrap(), "OUT");
            (contents(out.path()), stdout)
        })
        .collect();
    let (files, stdout) = &runs[0];
    assert_eq!(files.len(), 3 + 5 * REPORTS.len());
    for (other_files, other_stdout) in &runs[1..] {
        assert_eq!(stdout, other_stdout);
        assert_eq!(files.len(), other_files.len());
        for ((name, bytes), (other_name, other_bytes)) in files.iter().zip(other_files) {
            assert_eq!(name, other_name);
            assert!(bytes == other_bytes, "{name} differs with other --threads");
        }
    }
}

#[test]
fn a_bad_scenarios_file_stops_before_any_report() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("what-if.toml");
    fs::write(
        &scenarios,
        "[[scenario]]\nname = \"cheaper_extra\"\nextra_price_usd = \"0.085\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = simulate(&["--scenarios", scenarios.to_str().unwrap()], &out);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "error: {}: scenario cheaper_extra: extra_price_usd: \"0.085\" has more than 2 decimal places\n",
            scenarios.display()
        )
    );
    assert!(!out.exists() || files_left(&out).is_empty());
}

/// The arguments of a shell command spread over `\`-continued lines.
fn words(command: &str) -> Vec<String> {
    command
        .replace("\\\n", " ")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// `args` with the value of `--out` replaced by `out`.
fn with_out(mut args: Vec<String>, out: &Path) -> Vec<String> {
    let at = args.iter().position(|a| a == "--out").expect("--out") + 1;
    args[at] = out.to_str().unwrap().to_owned();
    args
}

#[test]
fn the_readme_walkthrough_works_as_written() {
    let readme = read(root().join("README.md"));
    let section = &readme[readme.find("## Pricing what-ifs").expect("section")..];
    let command = section
        .split("```sh\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a sh block");
    let args = words(command);
    let at = args.iter().position(|a| a == "simulate").expect("simulate");
    let shown_out = args[args.iter().position(|a| a == "--out").unwrap() + 1].clone();
    let out = tempfile::tempdir().unwrap();
    let output = creditsim(root(), &with_out(args[at..].to_vec(), out.path()));
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = section
        .split("```text\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a text block");
    let stdout =
        String::from_utf8_lossy(&output.stdout).replace(out.path().to_str().unwrap(), &shown_out);
    assert_eq!(stdout, printed);
    let best = read(out.path().join("best_plans.csv"));
    assert!(
        section.contains(&best),
        "the README's best_plans.csv is not {best}"
    );
}

#[test]
fn the_help_example_works_as_written() {
    let help = creditsim(root(), &["simulate", "--help"]);
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let start = help
        .find("  creditsim simulate --plans fixtures/")
        .expect("example");
    let command = &help[start..];
    let end = command.find("\nprints").expect("its output");
    let args = words(&command[..end]);
    let out = tempfile::tempdir().unwrap();
    let output = creditsim(root(), &with_out(args[1..].to_vec(), out.path()));
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let printed: Vec<&str> = help[start + end..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(printed.len(), 2, "{help}");
    for line in printed {
        assert!(stdout.contains(line.trim()), "{line} not in {stdout}");
    }
    let best = read(out.path().join("best_plans.csv"));
    assert!(best.contains("bob,pro,17.00,mini,4.00,13.00"), "{best}");
}

#[test]
fn keep_going_turns_a_malformed_row_into_a_rejection_of_every_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let events = fs::read_to_string(root().join("fixtures/simulate/events.csv")).unwrap();
    let events = events.replacen(
        "2025-07-10T00:00:00Z,bob,call",
        "2025-07-10 00:00,bob,call",
        1,
    );
    fs::write(dir.path().join("events.csv"), events).unwrap();
    let events_arg = dir.path().join("events.csv");
    let out = dir.path().join("out");
    let output = creditsim(
        root(),
        &[
            "simulate",
            "--keep-going",
            "--reports",
            "--plans",
            "fixtures/simulate/plans.csv",
            "--scenarios",
            "fixtures/simulate/scenarios.toml",
            "--out",
            out.to_str().unwrap(),
            events_arg.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    for name in NAMES {
        let rejections = read(out.join(name).join("rejections.csv"));
        assert!(
            rejections.contains(
                ",11,2025-07-10 00:00,bob,call,malformed,\"invalid time 2025-07-10 00:00"
            ),
            "{name}: {rejections}"
        );
    }
}
