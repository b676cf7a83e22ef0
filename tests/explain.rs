//! `creditsim explain` on the shipped fixtures, running the real binary:
//! golden statements (text and JSON, checked by hand against the fixture
//! notes of fixtures/README.md), and for every account of every fixture
//! the figures of each cycle against the hand-computed statements.csv,
//! balances.csv and rejections.csv.

mod common;

use common::{creditsim, fixtures};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Expected file in fixtures/explain/, fixture folder, arguments between
/// `explain --plans ../plans.example.csv` and the events file.
const GOLDEN: &[(&str, &str, &[&str])] = &[
    (
        "carl.txt",
        "cancellation",
        &["--as-of", "2025-03-12T00:00:00Z", "--account", "carl"],
    ),
    (
        "dana.txt",
        "cancellation",
        &["--as-of", "2025-03-12T00:00:00Z", "--account", "dana"],
    ),
    (
        "gus_g4.txt",
        "late_refund",
        &["--account", "gus", "--task", "g4"],
    ),
    (
        "gus_g4.json",
        "late_refund",
        &["--account", "gus", "--task", "g4", "--format", "json"],
    ),
    (
        "alice_t10.txt",
        "extra_first",
        &["--account", "alice", "--task", "t10"],
    ),
    (
        "max.json",
        "keep_going",
        &["--keep-going", "--account", "max", "--format", "json"],
    ),
];

fn explain(folder: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["explain", "--plans", "../plans.example.csv"];
    all.extend(args);
    all.push("events.csv");
    creditsim(&fixtures().join(folder), &all)
}

#[test]
fn golden_statements() {
    for (expected, folder, args) in GOLDEN {
        let output = explain(folder, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{expected}: {stderr}");
        assert_eq!(stderr, "", "{expected}");
        let want = fs::read_to_string(fixtures().join("explain").join(expected)).unwrap();
        let got = String::from_utf8(output.stdout).unwrap();
        assert_eq!(got, want, "{expected} differs from the hand-checked one");
    }
}

#[test]
fn json_says_what_text_says() {
    let text = String::from_utf8(explain("late_refund", &["--account", "gus"]).stdout).unwrap();
    let json: Value = serde_json::from_slice(
        &explain("late_refund", &["--account", "gus", "--format", "json"]).stdout,
    )
    .unwrap();
    for period in json["periods"].as_array().unwrap() {
        for rejection in period["rejections"].as_array().unwrap() {
            let sentence = rejection["sentence"].as_str().unwrap();
            assert!(text.contains(sentence), "{sentence}");
        }
    }
    assert_eq!(json["task"], Value::Null);
}

#[test]
fn a_task_no_event_names() {
    let output = explain("late_refund", &["--account", "gus", "--task", "zz"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.ends_with("\nTask zz: no event of this account names it.\n"),
        "{text}"
    );
}

#[test]
fn an_account_whose_rows_all_come_after_as_of() {
    let output = explain(
        "cancellation",
        &["--as-of", "2025-03-12T00:00:00Z", "--account", "erin"],
    );
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text,
        "Account erin, as of 2025-03-12T00:00:00Z (task window 24h)\n\n\
         No events up to the as-of time.\n\n\
         Balance now: {\"credits\":0,\"extra_credits\":0} (inactive)\n"
    );
}

/// A CSV file as rows of named cells.
fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn sum(items: &Value, key: &str) -> u64 {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_u64().unwrap())
        .sum()
}

/// The statements.csv row that a cycle of `explain --format json` adds up to.
fn statement_of(period: &Value) -> BTreeMap<String, String> {
    let usage = &period["usage"];
    let refunds = &period["refunds"];
    let purchase_usd: Decimal = period["purchases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price_usd"].as_str().unwrap().parse::<Decimal>().unwrap())
        .sum();
    let expired = period["expired_at_end"].as_u64().unwrap() + sum(refunds, "expired_at_once");
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    [
        ("cycle_start", text(&period["cycle_start"])),
        ("cycle_end", text(&period["cycle_end"])),
        ("plan", text(&period["plan"])),
        ("fee_usd", text(&period["fee_usd"])),
        ("granted", period["granted"].to_string()),
        (
            "purchased",
            sum(&period["purchases"], "credits").to_string(),
        ),
        ("purchase_usd", format!("{:.2}", purchase_usd)),
        ("used_extra", sum(usage, "credits_extra").to_string()),
        (
            "used_subscription",
            sum(usage, "credits_subscription").to_string(),
        ),
        ("refunded_extra", sum(refunds, "extra").to_string()),
        (
            "refunded_subscription",
            sum(refunds, "subscription").to_string(),
        ),
        ("expired", expired.to_string()),
        ("calls", sum(usage, "calls").to_string()),
        ("songs", sum(usage, "songs").to_string()),
        ("lyrics", sum(usage, "lyrics").to_string()),
        (
            "rejected",
            period["rejections"].as_array().unwrap().len().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Every account of every fixture: each cycle's figures are its row of the
/// hand-computed statements.csv, the balance its row of balances.csv, and
/// the rejections listed (in periods and unread) its rows of
/// rejections.csv.
#[test]
fn every_account_adds_up_to_the_fixture_reports() {
    let mut checked = 0;
    for entry in fs::read_dir(fixtures()).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(args_text) = fs::read_to_string(dir.join("args.txt")) else {
            continue;
        };
        let expected = dir.join("expected");
        let statements = read_csv(&expected.join("statements.csv"));
        let rejections = read_csv(&expected.join("rejections.csv"));
        for balance in read_csv(&expected.join("balances.csv")) {
            let account = &balance["account"];
            let mut args = vec!["explain", "--format", "json", "--account", account];
            args.extend(args_text.lines().filter(|l| !l.is_empty()));
            let output = creditsim(&dir, &args);
            assert!(output.status.success(), "{}: {account}", dir.display());
            let json: Value = serde_json::from_slice(&output.stdout).unwrap();
            let periods = json["periods"].as_array().unwrap();
            let cycles: Vec<BTreeMap<String, String>> = periods
                .iter()
                .filter(|p| p["kind"] == "cycle")
                .map(statement_of)
                .collect();
            let mut want: Vec<BTreeMap<String, String>> = statements
                .iter()
                .filter(|s| &s["account"] == account)
                .cloned()
                .collect();
            for row in &mut want {
                row.remove("account");
            }
            assert_eq!(cycles, want, "{}: {account}", dir.display());
            let now = &json["now"];
            assert_eq!(now["status"], balance["status"].as_str());
            assert_eq!(now["balance"]["credits"].to_string(), balance["credits"]);
            assert_eq!(
                now["balance"]["extra_credits"].to_string(),
                balance["extra_credits"]
            );
            let listed = periods
                .iter()
                .map(|p| p["rejections"].as_array().unwrap().len())
                .sum::<usize>()
                + json["unread"].as_array().unwrap().len();
            let rows = rejections
                .iter()
                .filter(|r| &r["account"] == account)
                .count();
            assert_eq!(listed, rows, "{}: {account}", dir.display());
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} accounts checked");
}

/// The README's example runs from the repository root as written and
/// prints what the README shows.
#[test]
fn readme_example_is_what_the_command_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("## Support: explain a charge")
        .nth(1)
        .expect("the README has the section");
    let command = section
        .lines()
        .find_map(|l| l.strip_prefix("cargo run -q -- "))
        .expect("the section shows a command");
    let shown = section
        .split("```text\n")
        .nth(1)
        .and_then(|s| s.split("```\n").next())
        .expect("the section shows the output");
    let args: Vec<&str> = command.split_whitespace().collect();
    let output = creditsim(root, &args);
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), shown);
}
