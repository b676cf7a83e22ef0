//! JSON Lines and Parquet input give the reports of the CSV they were
//! converted from, byte for byte: every fixture is converted (with
//! `examples/convert`) and replayed by the real binary in each format.
//! Only `rejections.csv`'s `file` and `line` (a Parquet row's number) are
//! mapped, and the detail of a CSV row whose field count differs from the
//! header's, which no other format can write, is left out. The messages of
//! the Parquet input are checked here too (the JSON Lines ones are in
//! tests/errors/): their `row N` positions are not the `FILE:LINE` that
//! tests/errors.rs reads.

#[macro_use]
mod common;
#[path = "../examples/convert/convert.rs"]
mod convert;

use common::{creditsim, fixtures, REPORTS};
use convert::{Converted, Target};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// How the events files of a fixture are given in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// JSON Lines under the CSV's own name, with `--input-format jsonl`: every
    /// report, `rejections.csv` included, must be the same bytes.
    JsonLinesSameName,
    /// `.jsonl` files, found by extension.
    JsonLines,
    /// `.parquet` files of string columns.
    Parquet,
    /// `.parquet` files with a timestamp `time` and UInt64 `credits`.
    ParquetTyped,
    /// The files in turn as `.jsonl`, `.parquet`, `.csv`, ... merged.
    Mixed,
}

const VARIANTS: [Variant; 5] = [
    Variant::JsonLinesSameName,
    Variant::JsonLines,
    Variant::Parquet,
    Variant::ParquetTyped,
    Variant::Mixed,
];

/// A converted events file: its name in the run and, for Parquet, the
/// CSV line of each row.
struct Renamed {
    from: String,
    to: String,
    rows: Option<Vec<u64>>,
}

fn fixture_args(name: &str) -> Vec<String> {
    let text = fs::read_to_string(fixtures().join(name).join("args.txt")).unwrap();
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The events files among `args` (after the subcommand).
fn event_files(args: &[String]) -> Vec<usize> {
    let takes_value = [
        "--plans",
        "--rules",
        "--as-of",
        "--task-window",
        "--account",
    ];
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if takes_value.contains(&args[i].as_str()) {
            i += 2;
            continue;
        }
        if !args[i].starts_with("--") {
            files.push(i);
        }
        i += 1;
    }
    files
}

/// A copy of `fixtures/NAME` in `root/NAME` (with the plans beside it).
fn copy_fixture(name: &str, root: &Path) -> PathBuf {
    let dir = root.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::copy(
        fixtures().join("plans.example.csv"),
        root.join("plans.example.csv"),
    )
    .unwrap();
    for entry in fs::read_dir(fixtures().join(name)).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Converts `dir/csv_name` to `dir/to`; `None` when the target cannot
/// hold it (a typed Parquet file of times that do not parse).
fn convert_file(dir: &Path, csv_name: &str, to: &str, target: Target) -> Option<Converted> {
    let csv = fs::read(dir.join(csv_name)).unwrap();
    let mut out = Vec::new();
    let converted = convert::convert(csv.as_slice(), target, &mut out).ok()?;
    fs::write(dir.join(to), out).unwrap();
    Some(converted)
}

fn reports(dir: &Path, args: &[String], out: &Path) -> Vec<String> {
    let mut args = args.to_vec();
    args.extend(["--out".into(), out.to_str().unwrap().into()]);
    let output = creditsim(dir, &args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    REPORTS
        .iter()
        .map(|r| fs::read_to_string(out.join(r)).unwrap())
        .collect()
}

/// `rejections.csv` of the CSV run as the converted run must write it.
fn mapped_rejections(csv: &str, renamed: &[Renamed], odd: &[(String, u64)], mask: bool) -> String {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(reader.headers().unwrap()).unwrap();
    for record in reader.records() {
        let mut fields: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
        let line: u64 = fields[1].parse().unwrap();
        if mask && odd.contains(&(fields[0].clone(), line)) {
            fields[6] = "*".into();
        }
        if let Some(file) = renamed.iter().find(|r| r.from == fields[0]) {
            if let Some(rows) = &file.rows {
                let row_of = |line: u64| rows.iter().position(|&l| l == line).unwrap() + 1;
                fields[1] = row_of(line).to_string();
                // An out-of-order detail names the row before it.
                if let Some((before, earlier)) = fields[6].rsplit_once(" on line ") {
                    fields[6] = format!("{before} on row {}", row_of(earlier.parse().unwrap()));
                }
            }
            fields[0] = file.to.clone();
        }
        writer.write_record(&fields).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// Masks the detail of rows at `odd` positions of the converted files.
fn masked(rejections: &str, odd: &[(String, u64)]) -> String {
    let mut reader = csv::Reader::from_reader(rejections.as_bytes());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(reader.headers().unwrap()).unwrap();
    for record in reader.records() {
        let mut fields: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
        if odd.contains(&(fields[0].clone(), fields[1].parse().unwrap())) {
            fields[6] = "*".into();
        }
        writer.write_record(&fields).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// Runs fixture `name` as CSV and in `variant`; `false` when the variant
/// cannot hold its files.
fn check(name: &str, variant: Variant) -> bool {
    let root = tempfile::tempdir().unwrap();
    let dir = copy_fixture(name, root.path());
    let mut args = vec!["replay".to_owned()];
    args.extend(fixture_args(name));
    let csv_reports = reports(&dir, &args, &root.path().join("csv-out"));
    let mut converted_args = args.clone();
    let (mut renamed, mut odd_csv, mut odd_new) = (Vec::new(), Vec::new(), Vec::new());
    for (n, &i) in event_files(&args[1..]).iter().enumerate() {
        let csv_name = args[1 + i].clone();
        let stem = csv_name.strip_suffix(".csv").unwrap();
        let jsonl = (format!("{stem}.jsonl"), Target::JsonLines);
        let parquet = |typed| {
            let target = Target::Parquet {
                typed,
                group_rows: 3,
            };
            (format!("{stem}.parquet"), target)
        };
        let (to, target) = match variant {
            Variant::JsonLinesSameName => (format!("{stem}.converted"), Target::JsonLines),
            Variant::JsonLines => jsonl,
            Variant::Parquet => parquet(false),
            Variant::ParquetTyped => parquet(true),
            Variant::Mixed => match n % 3 {
                0 => jsonl,
                1 => parquet(false),
                _ => continue,
            },
        };
        let Some(converted) = convert_file(&dir, &csv_name, &to, target) else {
            return false;
        };
        let name_in_run = if variant == Variant::JsonLinesSameName {
            fs::rename(dir.join(&to), dir.join(&csv_name)).unwrap();
            csv_name.clone()
        } else {
            to.clone()
        };
        let is_parquet = matches!(target, Target::Parquet { .. });
        for &line in &converted.odd_lines {
            odd_csv.push((csv_name.clone(), line));
            let row = converted.lines.iter().position(|&l| l == line).unwrap() as u64 + 1;
            odd_new.push((name_in_run.clone(), if is_parquet { row } else { line }));
        }
        converted_args[1 + i] = name_in_run.clone();
        renamed.push(Renamed {
            from: csv_name,
            to: name_in_run,
            rows: is_parquet.then_some(converted.lines),
        });
    }
    if variant == Variant::JsonLinesSameName {
        converted_args.insert(1, "--input-format".into());
        converted_args.insert(2, "jsonl".into());
    }
    let new_reports = reports(&dir, &converted_args, &root.path().join("new-out"));
    for (i, report) in REPORTS.iter().enumerate() {
        let (mut expected, mut actual) = (csv_reports[i].clone(), new_reports[i].clone());
        if *report == "rejections.csv" {
            expected = mapped_rejections(&expected, &renamed, &odd_csv, true);
            actual = masked(&actual, &odd_new);
            if variant == Variant::JsonLinesSameName && odd_csv.is_empty() {
                assert_eq!(new_reports[i], csv_reports[i], "{name} {variant:?}");
            }
        }
        assert_eq!(actual, expected, "{name} {variant:?}: {report} differs");
    }
    true
}

fn check_fixture(name: &str) {
    for variant in VARIANTS {
        let ran = check(name, variant);
        // Only a typed Parquet file cannot hold every fixture.
        assert!(
            ran || variant == Variant::ParquetTyped,
            "{name} {variant:?}"
        );
    }
}

fixture_tests!(
    cancellation,
    duplicate_tasks,
    extra_first,
    keep_going,
    late_refund,
    leap_february,
    multi_file_merge,
    seed_rules,
);

/// `balance` and `simulate` read the same formats.
#[test]
fn balance_and_simulate_read_every_format() {
    let root = tempfile::tempdir().unwrap();
    let dir = copy_fixture("seed_rules", root.path());
    convert_file(&dir, "events.csv", "events.jsonl", Target::JsonLines).unwrap();
    let parquet = Target::Parquet {
        typed: true,
        group_rows: 5,
    };
    convert_file(&dir, "events.csv", "events.parquet", parquet).unwrap();
    let plans = "../plans.example.csv";
    let mut outputs = Vec::new();
    for events in ["events.csv", "events.jsonl", "events.parquet"] {
        let balance = creditsim(
            &dir,
            &["balance", "--plans", plans, "--account", "pat", events],
        );
        assert!(balance.status.success(), "{events}");
        // The same folder each time: standard output names it.
        let out = root.path().join("simulate");
        let _ = fs::remove_dir_all(&out);
        let simulate = creditsim(
            &dir,
            &[
                "simulate",
                "--plans",
                plans,
                "--best-plan",
                "--out",
                out.to_str().unwrap(),
                events,
            ],
        );
        assert!(
            simulate.status.success(),
            "{events}: {}",
            String::from_utf8_lossy(&simulate.stderr)
        );
        let written: Vec<String> = ["scenarios.csv", "accounts.csv", "best_plans.csv"]
            .iter()
            .map(|f| fs::read_to_string(out.join(f)).unwrap())
            .collect();
        outputs.push((balance.stdout, simulate.stdout, written));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

/// Writes a Parquet file of `columns` (name, array) into `dir/name`.
fn write_parquet(dir: &Path, name: &str, columns: Vec<(&str, arrow_array::ArrayRef)>) {
    let batch = arrow_array::RecordBatch::try_from_iter(columns).unwrap();
    let mut out = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    fs::write(dir.join(name), out).unwrap();
}

fn strings(values: &[Option<&str>]) -> arrow_array::ArrayRef {
    std::sync::Arc::new(arrow_array::StringArray::from(values.to_vec()))
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    let out = dir.join("out");
    let mut args: Vec<&str> = args.to_vec();
    args.extend(["--out", out.to_str().unwrap()]);
    creditsim(dir, &args)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const PLANS: &str = "plan,price_usd,monthly_credits\nbasic,8.00,1000\n";

/// Every message of the Parquet input, exactly, with exit code 2 and no
/// report written.
#[test]
fn parquet_messages() {
    use arrow_array::{Float64Array, TimestampSecondArray};
    use std::sync::Arc;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    fs::write(dir.join("plans.csv"), PLANS).unwrap();
    let time = strings(&[Some("2025-07-01T00:00:00Z"), Some("2025-07-02T00:00:00Z")]);
    let account = strings(&[Some("alice"), Some("alice")]);
    let event = strings(&[Some("subscribe"), Some("cancel")]);
    let plan = strings(&[Some("basic"), None]);
    write_parquet(
        dir,
        "no_account.parquet",
        vec![("time", time.clone()), ("event", event.clone())],
    );
    let naive = Arc::new(TimestampSecondArray::from(vec![
        1_751_328_000,
        1_751_414_400,
    ]));
    write_parquet(
        dir,
        "naive_time.parquet",
        vec![
            ("time", naive),
            ("account", account.clone()),
            ("event", event.clone()),
        ],
    );
    let float = Arc::new(Float64Array::from(vec![1.0, 2.0]));
    write_parquet(
        dir,
        "float_credits.parquet",
        vec![
            ("time", time.clone()),
            ("account", account.clone()),
            ("event", event.clone()),
            ("credits", float),
        ],
    );
    let missing_time = strings(&[Some("2025-07-01T00:00:00Z"), None]);
    write_parquet(
        dir,
        "missing_time.parquet",
        vec![
            ("time", missing_time),
            ("account", account.clone()),
            ("event", event.clone()),
            ("plan", plan.clone()),
        ],
    );
    let backwards = strings(&[Some("2025-07-02T00:00:00Z"), Some("2025-07-01T00:00:00Z")]);
    write_parquet(
        dir,
        "backwards.parquet",
        vec![
            ("time", backwards),
            ("account", account.clone()),
            ("event", event.clone()),
            ("plan", plan.clone()),
        ],
    );
    fs::write(dir.join("text.parquet"), "time,account,event\n").unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["no_account.parquet"],
            "error: no_account.parquet: missing required column account (header must have time, account, event)\n",
        ),
        (
            &["naive_time.parquet"],
            "error: naive_time.parquet: column time is a timestamp without a time zone, which names no instant (give it a time zone such as UTC, or write RFC 3339 strings)\n",
        ),
        (
            &["float_credits.parquet"],
            "error: float_credits.parquet: column credits has type Float64: expected strings or integers\n",
        ),
        (&["missing_time.parquet"], "error: missing_time.parquet:row 2: missing field time\n"),
        (
            &["backwards.parquet"],
            "error: backwards.parquet:row 2: time 2025-07-01T00:00:00Z is earlier than 2025-07-02T00:00:00Z on row 1\n",
        ),
    ];
    for (events, message) in cases {
        let mut args = vec!["replay", "--plans", "plans.csv"];
        args.extend(events);
        let output = run_in(dir, &args);
        assert_eq!(output.status.code(), Some(2), "{events:?}");
        assert_eq!(stderr(&output), message, "{events:?}");
        assert!(!dir.join("out/summary.json").exists(), "{events:?}");
    }
    // Not Parquet at all: the parquet crate's own words follow.
    let output = run_in(dir, &["replay", "--plans", "plans.csv", "text.parquet"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: text.parquet: cannot read as Parquet: "),
        "{}",
        stderr(&output)
    );
    // With --keep-going the row becomes a rejection at its row number.
    let output = run_in(
        dir,
        &[
            "replay",
            "--keep-going",
            "--plans",
            "plans.csv",
            "missing_time.parquet",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let rejections = fs::read_to_string(dir.join("out/rejections.csv")).unwrap();
    assert_eq!(
        rejections,
        "file,line,time,account,event,reason,detail\n\
         missing_time.parquet,2,,alice,cancel,malformed,missing field time\n"
    );
}
