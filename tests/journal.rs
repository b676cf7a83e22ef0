//! `creditsim replay --journal`: hledger (and ledger-cli, when installed)
//! must accept the journal of every fixture and of a generated input of
//! 100k rows, and agree with creditsim's own reports: each customer's
//! buckets equal `balances.csv`, revenue and credit totals equal
//! `summary.json`, and every transaction balances (both tools refuse an
//! unbalanced one; `hledger check --strict` also checks declarations).
//!
//! Without hledger the checks are skipped with a note, unless `CI=true`:
//! then a missing hledger fails the test (`.ci/run` installs it).

#[macro_use]
mod common;

use common::{creditsim, fixtures};
use creditsim::input::events::EVENT_COLUMNS;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn installed(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether to run hledger: a missing hledger fails under `CI=true`.
fn hledger_available() -> bool {
    if installed("hledger") {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but hledger is not installed (apt-get install hledger; .ci/run does)");
    }
    eprintln!("note: hledger is not installed; skipping the journal checks");
    false
}

fn run_tool(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs: {e}"));
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn decimal(s: &str) -> Decimal {
    Decimal::from_str(&s.replace(',', "")).unwrap_or_else(|e| panic!("amount {s:?}: {e}"))
}

/// Account name -> (commodity, balance), as a tool reports it. Accounts
/// with a zero balance may be missing.
type Balances = BTreeMap<String, (String, Decimal)>;

fn hledger_balances(journal: &str) -> Balances {
    let csv_text = run_tool(
        "hledger",
        &[
            "-f",
            journal,
            "bal",
            "--flat",
            "--layout=bare",
            "-N",
            "-O",
            "csv",
        ],
    );
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("hledger csv header").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        ["account", "commodity", "balance"]
    );
    let mut balances = Balances::new();
    for record in reader.records() {
        let record = record.expect("hledger csv row");
        let previous = balances.insert(
            record[0].to_owned(),
            (record[1].to_owned(), decimal(&record[2])),
        );
        assert!(previous.is_none(), "{} holds two commodities", &record[0]);
    }
    balances
}

fn ledger_balances(journal: &str) -> Balances {
    let out = run_tool(
        "ledger",
        &[
            "-f",
            journal,
            "--pedantic",
            "bal",
            "--flat",
            "--no-total",
            "--balance-format",
            "%(account)\t%(display_total)\n",
        ],
    );
    let mut balances = Balances::new();
    for line in out.lines().filter(|l| !l.is_empty()) {
        let (account, amount) = line.split_once('\t').expect("account<TAB>amount");
        let mut parts = amount.split_whitespace();
        let number = decimal(parts.next().expect("a number"));
        let commodity = parts.next().unwrap_or("").to_owned();
        assert!(
            parts.next().is_none(),
            "{account} holds two commodities: {amount}"
        );
        balances.insert(account.to_owned(), (commodity, number));
    }
    balances
}

/// Decodes the journal's percent-encoding (independently of the writer).
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex digits"));
            i += 3;
        } else {
            assert!(
                bytes[i].is_ascii_alphanumeric() || b"_.-".contains(&bytes[i]),
                "unescaped byte in {s:?}"
            );
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8 id")
}

/// One row of `balances.csv`.
struct Row {
    credits: Decimal,
    extra: Decimal,
}

fn read_balances(out: &Path) -> BTreeMap<String, Row> {
    let mut reader = csv::Reader::from_path(out.join("balances.csv")).expect("balances.csv");
    let mut rows = BTreeMap::new();
    for record in reader.records() {
        let record = record.expect("balances row");
        rows.insert(
            record[0].to_owned(),
            Row {
                credits: decimal(&record[3]),
                extra: decimal(&record[4]),
            },
        );
    }
    rows
}

/// The outcome of comparing one tool's balances with the reports.
struct Comparison {
    accounts: usize,
    matches: usize,
}

fn compare(name: &str, tool: &str, balances: &Balances, out: &Path) -> Comparison {
    let get = |account: &str, commodity: &str| match balances.get(account) {
        Some((c, n)) => {
            assert!(
                n.is_zero() || c == commodity,
                "{name}/{tool}: {account} is in {c}"
            );
            *n
        }
        None => Decimal::ZERO,
    };
    let sum = |prefix: &str, suffix: &str, commodity: &str| -> Decimal {
        balances
            .iter()
            .filter(|(a, _)| a.starts_with(prefix) && a.ends_with(suffix))
            .map(|(a, _)| get(a, commodity))
            .sum()
    };
    // Customers: every bucket of the journal belongs to a balances.csv row.
    let rows = read_balances(out);
    let mut journal_customers = BTreeSet::new();
    for account in balances.keys() {
        if let Some(rest) = account.strip_prefix("customers:") {
            let (id, bucket) = rest.rsplit_once(':').expect("customers:<id>:<bucket>");
            assert!(
                ["subscription", "extra", "receivable"].contains(&bucket),
                "{name}/{tool}: {account}"
            );
            assert!(
                !id.contains(':'),
                "{name}/{tool}: unescaped id in {account}"
            );
            journal_customers.insert(unescape(id));
        }
    }
    for id in &journal_customers {
        assert!(
            rows.contains_key(id),
            "{name}/{tool}: {id:?} is not in balances.csv"
        );
    }
    let mut matches = 0;
    for (id, row) in &rows {
        let encoded = creditsim::report::journal::escape(id);
        let credits = get(&format!("customers:{encoded}:subscription"), "CR");
        let extra = get(&format!("customers:{encoded}:extra"), "CR");
        assert_eq!(
            (credits, extra),
            (row.credits, row.extra),
            "{name}/{tool}: account {id:?} (credits, extra_credits)"
        );
        matches += 1;
    }
    // Totals of summary.json.
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).expect("summary"))
            .expect("summary.json");
    let usd = |key: &str| decimal(summary[key].as_str().expect("money string"));
    let credits = |key: &str| Decimal::from(summary["credits"][key].as_u64().expect("count"));
    let checks = [
        ("revenue:fees", -get("revenue:fees", "USD"), usd("fees_usd")),
        (
            "revenue:extra_credits",
            -get("revenue:extra_credits", "USD"),
            usd("purchases_usd"),
        ),
        (
            "receivables",
            sum("customers:", ":receivable", "USD"),
            usd("revenue_usd"),
        ),
        (
            "issued:grants",
            -get("issued:grants", "CR"),
            credits("granted"),
        ),
        (
            "issued:purchases",
            -get("issued:purchases", "CR"),
            credits("purchased"),
        ),
        ("expired", sum("expired:", "", "CR"), credits("expired")),
        (
            "usage",
            sum("usage:", "", "CR"),
            credits("used_extra") + credits("used_subscription")
                - credits("refunded_extra")
                - credits("refunded_subscription"),
        ),
    ];
    for (what, journal, report) in checks {
        assert_eq!(journal, report, "{name}/{tool}: {what}");
    }
    // The receivables are USD only and the buckets CR only: summed apart.
    let all_credits: Decimal = balances
        .values()
        .filter(|(c, _)| c == "CR")
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(
        all_credits,
        Decimal::ZERO,
        "{name}/{tool}: credits sum to zero"
    );
    Comparison {
        accounts: rows.len(),
        matches,
    }
}

/// Runs hledger (and ledger) over `journal` and compares with the reports
/// in `out`. Prints one line per tool for the closing note.
fn check_journal(name: &str, out: &Path, journal: &Path) {
    let journal = journal.to_str().expect("utf-8 path");
    run_tool("hledger", &["-f", journal, "check", "--strict"]);
    let stats = run_tool("hledger", &["-f", journal, "stats"]);
    let transactions: usize = stats
        .lines()
        .find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == "Transactions").then(|| value.split_whitespace().next())?
        })
        .and_then(|n| n.parse().ok())
        .expect("hledger stats: Transactions");
    let ledger_rows = csv::Reader::from_path(out.join("ledger.csv"))
        .expect("ledger.csv")
        .records()
        .count();
    assert_eq!(
        transactions, ledger_rows,
        "{name}: one transaction per ledger.csv row"
    );
    let c = compare(name, "hledger", &hledger_balances(journal), out);
    println!(
        "{name}: hledger: {} transactions, {} accounts compared, {} match, totals match summary.json",
        transactions, c.accounts, c.matches
    );
    if installed("ledger") {
        let c = compare(name, "ledger", &ledger_balances(journal), out);
        println!(
            "{name}: ledger: {} accounts compared, {} match, totals match summary.json",
            c.accounts, c.matches
        );
    } else {
        eprintln!("note: ledger is not installed; {name} checked with hledger only");
    }
}

/// Replays `dir` with `args` plus `--out` and `--journal` into a temp dir.
fn replay_with_journal(name: &str, dir: &Path, args: &[&str]) -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = temp.path().join("out");
    let journal = temp.path().join("books").join("replay.journal");
    let mut all: Vec<&str> = vec!["replay"];
    all.extend_from_slice(args);
    all.extend([
        "--out",
        out.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
    ]);
    let output = creditsim(dir, &all);
    assert!(output.status.success(), "{name}: {}", text(&output.stderr));
    assert!(journal.exists(), "{name}: journal written");
    temp
}

fn check_fixture(name: &str) {
    if !hledger_available() {
        return;
    }
    let dir = fixtures().join(name);
    let args_text = fs::read_to_string(dir.join("args.txt")).expect("args.txt");
    let args: Vec<&str> = args_text.lines().filter(|l| !l.is_empty()).collect();
    let temp = replay_with_journal(name, &dir, &args);
    check_journal(
        name,
        &temp.path().join("out"),
        &temp.path().join("books").join("replay.journal"),
    );
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

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Ids that would break a journal if written as they are.
const AWKWARD: &[&str] = &[
    "two  spaces",
    "tab\there",
    "colon:in:id",
    "semi;colon",
    "ünïcødé ✓",
    "[bracket]",
    "(paren)",
    "\"quoted\"",
    "at@sign",
    "hash#1",
    "*star",
    "!bang",
    "=eq",
    "pct%41",
    "comma,id",
    "-lead",
    "trail.",
    "{brace}",
    "back\\slash",
    "$dollar",
];

fn account_name(i: usize) -> String {
    if i.is_multiple_of(10) {
        format!("{} {i}", AWKWARD[(i / 10) % AWKWARD.len()])
    } else {
        format!("acct-{i}")
    }
}

fn task_name(n: u64) -> String {
    match n % 7 {
        0 => format!("task;{n}"),
        1 => format!("t:{n}"),
        2 => format!("t {n} @x"),
        3 => format!("tâche-{n}"),
        _ => format!("t{n}"),
    }
}

/// `rows` rows over `accounts` accounts and about three months: every
/// event kind, costly and free calls, refunds (some late), cancellations,
/// plan changes and business rejections, with awkward ids.
fn generate(rows: usize, accounts: usize, seed: u64) -> Vec<u8> {
    const PLANS: [&str; 4] = ["free", "tiny", "basic", "pro"];
    const CALLS: [(&str, &str); 12] = [
        ("suno", "create"),
        ("suno", "extend"),
        ("suno", "concat"),
        ("suno", "upload"),
        ("suno", "get"),
        ("riffusion", "cover"),
        ("riffusion", "swap_vocals"),
        ("riffusion", "upload"),
        ("nuro", "create_vocal"),
        ("lyrics", "make"),
        ("lyrics", "make"),
        ("account", "get_credits"),
    ];
    let mut rng = Rng(seed);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(EVENT_COLUMNS).unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2025-07-01T00:00:00Z").unwrap();
    let mut seconds: i64 = 0;
    let mut subscribed = vec![false; accounts];
    let mut last_task: Vec<Option<String>> = vec![None; accounts];
    let mut tasks: u64 = 0;
    for _ in 0..rows {
        seconds += rng.below(160) as i64;
        let time = (start + chrono::TimeDelta::seconds(seconds))
            .to_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let a = rng.below(accounts as u64) as usize;
        let account = account_name(a);
        let roll = rng.below(100);
        let mut record = [
            time,
            account,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
        if !subscribed[a] && roll < 90 {
            record[2] = "subscribe".into();
            record[3] = PLANS[rng.below(4) as usize].into();
            subscribed[a] = true;
        } else if roll < 2 {
            record[2] = "cancel".into();
            subscribed[a] = false;
        } else if roll < 4 {
            record[2] = "change_plan".into();
            record[3] = PLANS[rng.below(4) as usize].into();
        } else if roll < 12 {
            record[2] = "purchase".into();
            let credits = if rng.below(20) == 0 {
                15
            } else {
                10 * (1 + rng.below(50))
            };
            record[7] = credits.to_string();
        } else if roll < 18 {
            record[2] = "refund".into();
            record[6] = match &last_task[a] {
                Some(task) if rng.below(5) > 0 => task.clone(),
                _ => task_name(rng.below(tasks + 1)),
            };
        } else {
            let (provider, operation) = CALLS[rng.below(CALLS.len() as u64) as usize];
            record[2] = "call".into();
            record[4] = provider.into();
            record[5] = operation.into();
            tasks += 1;
            let task = task_name(tasks);
            record[6] = task.clone();
            last_task[a] = Some(task);
        }
        writer.write_record(&record).unwrap();
    }
    writer.into_inner().unwrap()
}

#[test]
fn generated_100k_rows_agree_with_the_reports() {
    if !hledger_available() {
        return;
    }
    let input = tempfile::tempdir().expect("temp dir");
    fs::write(input.path().join("events.csv"), generate(100_000, 2000, 7)).unwrap();
    let plans = fixtures().join("plans.example.csv");
    let temp = replay_with_journal(
        "generated",
        input.path(),
        &["--plans", plans.to_str().unwrap(), "events.csv"],
    );
    let out = temp.path().join("out");
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    println!("generated: summary.json {summary}");
    let journal = temp.path().join("books").join("replay.journal");
    let journal_text = fs::read_to_string(&journal).unwrap();
    for awkward in [
        "two%20%20spaces",
        "colon%3Ain%3Aid",
        "%C3%BCn%C3%AFc%C3%B8d%C3%A9",
        "task%3B",
    ] {
        assert!(
            journal_text.contains(awkward),
            "the input exercises {awkward}"
        );
    }
    check_journal("generated 100k rows", &out, &journal);
}

#[test]
fn awkward_ids_round_trip() {
    if !hledger_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(EVENT_COLUMNS).unwrap();
    for (i, id) in AWKWARD
        .iter()
        .chain(&["multi\nline", "x  ; y", "ü"])
        .enumerate()
    {
        let t = |m: usize| format!("2025-07-01T{:02}:{:02}:00Z", i, m);
        writer
            .write_record([t(0).as_str(), id, "subscribe", "tiny", "", "", "", ""])
            .unwrap();
        writer
            .write_record([t(1).as_str(), id, "purchase", "", "", "", "", "10"])
            .unwrap();
        writer
            .write_record([t(2).as_str(), id, "call", "", "suno", "create", id, ""])
            .unwrap();
        writer
            .write_record([
                t(3).as_str(),
                id,
                "call",
                "",
                "lyrics",
                "make",
                &format!("{id}2"),
                "",
            ])
            .unwrap();
        writer
            .write_record([t(4).as_str(), id, "refund", "", "", "", id, ""])
            .unwrap();
    }
    fs::write(dir.path().join("events.csv"), writer.into_inner().unwrap()).unwrap();
    let plans = fixtures().join("plans.example.csv");
    let temp = replay_with_journal(
        "awkward ids",
        dir.path(),
        &[
            "--plans",
            plans.to_str().unwrap(),
            "--as-of",
            "2025-09-15T00:00:00Z",
            "events.csv",
        ],
    );
    check_journal(
        "awkward ids",
        &temp.path().join("out"),
        &temp.path().join("books").join("replay.journal"),
    );
}

#[test]
fn a_failed_run_leaves_no_journal() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("plans.csv"),
        "plan,price_usd,monthly_credits\nbasic,8.00,1000\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("events.csv"),
        "time,account,event,plan\n2025-07-01T00:00:00Z,a,subscribe,basic\n2025-07-01 00:00,a,cancel,\n",
    )
    .unwrap();
    let output = creditsim(
        dir.path(),
        &[
            "replay",
            "--plans",
            "plans.csv",
            "--out",
            "out",
            "--journal",
            "books/j.journal",
            "events.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let left = common::files_left(&dir.path().join("books"));
    assert!(left.is_empty(), "a failed run left files: {left:?}");
}

#[test]
fn journal_over_a_report_of_out_is_refused() {
    let dir = fixtures().join("late_refund");
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().to_str().unwrap();
    let journal = temp.path().join("ledger.csv");
    let output = creditsim(
        &dir,
        &[
            "replay",
            "--plans",
            "../plans.example.csv",
            "--out",
            out,
            "--journal",
            journal.to_str().unwrap(),
            "events.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
}

#[test]
fn journal_is_byte_identical_across_runs() {
    let dir = fixtures().join("late_refund");
    let args = ["--plans", "../plans.example.csv", "events.csv"];
    let a = replay_with_journal("a", &dir, &args);
    let b = replay_with_journal("b", &dir, &args);
    let read =
        |t: &tempfile::TempDir| fs::read(t.path().join("books").join("replay.journal")).unwrap();
    assert_eq!(read(&a), read(&b));
}
