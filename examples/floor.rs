//! The speed yardstick: the least work any replay of an events file must do.
//!
//! ```text
//! cargo run --release --example floor -- FILE
//! cargo run --release --example floor -- FILE --reports REF --out DIR
//! ```
//!
//! The read floor is one single-threaded pass that reads every record with
//! the `csv` crate (a reused `ByteRecord`), finds the `time` and `account`
//! columns from the header, parses every timestamp with
//! `chrono::DateTime::parse_from_rfc3339` and counts rows per account in a
//! `HashMap<Vec<u8>, u64>`. It prints `rows=<n> accounts=<k>
//! max_time=<rfc3339>` on stdout. No replay can beat it on one thread, so
//! `replay time / floor time` is the overhead of the rules themselves. Keep
//! it honest: nothing here that a replay could not also do. `-` reads
//! stdin.
//!
//! The writing floor adds what a replay must do when its reports are larger
//! than its input (a year of idle months writes a ledger line per
//! account-month): with `--reports REF --out DIR` it first loads every file
//! of the folder REF (a replay's reports) into memory, then, timed, makes
//! the read pass and writes the same bytes to DIR, each file created,
//! written whole and synced to disk as a replay does. It appends `read_s=
//! write_s= floor_s= written_bytes=` to its line: `floor_s` is the figure
//! to hold a replay's wall time against (loading REF is not counted).

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use clap::Parser;

/// The least work any replay of an events file must do.
#[derive(Parser)]
#[command(name = "floor")]
struct Args {
    /// Events CSV with `time` and `account` columns; `-` reads stdin.
    #[arg(value_name = "FILE")]
    events: String,
    /// A replay's report folder whose files (balances.csv, ledger.csv, ...)
    /// are written again to --out after the read pass.
    #[arg(long, value_name = "REF", requires = "out")]
    reports: Option<PathBuf>,
    /// Where the writing floor writes REF's files (created if missing).
    #[arg(long, value_name = "DIR", requires = "reports")]
    out: Option<PathBuf>,
}

/// The read pass: rows, distinct accounts and the latest time.
fn read_pass(path: &str) -> Result<String, String> {
    let input: Box<dyn io::Read> = if path == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(fs::File::open(path).map_err(|e| format!("{path}: {e}"))?)
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);

    let headers = rdr
        .byte_headers()
        .map_err(|e| format!("{path}: {e}"))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_ascii() == name.as_bytes())
            .ok_or_else(|| format!("{path}: no `{name}` column"))
    };
    let time_col = column("time")?;
    let account_col = column("account")?;

    let mut record = csv::ByteRecord::new();
    let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut rows: u64 = 0;
    let mut max_time: Option<DateTime<FixedOffset>> = None;

    while rdr
        .read_byte_record(&mut record)
        .map_err(|e| format!("{path}: {e}"))?
    {
        rows += 1;
        let line = || record.position().map_or(0, |p| p.line());
        let field = |i: usize| {
            record
                .get(i)
                .map(<[u8]>::trim_ascii)
                .ok_or_else(|| format!("{path}:{}: missing field", line()))
        };

        let time = field(time_col)?;
        let time = std::str::from_utf8(time).map_err(|e| format!("{path}:{}: {e}", line()))?;
        let time = DateTime::parse_from_rfc3339(time)
            .map_err(|e| format!("{path}:{}: bad time {time:?}: {e}", line()))?;
        if Some(time) > max_time {
            max_time = Some(time);
        }

        let account = field(account_col)?;
        match counts.get_mut(account) {
            Some(n) => *n += 1,
            None => {
                counts.insert(account.to_vec(), 1);
            }
        }
    }

    let max_time = max_time.map_or_else(
        || "-".to_string(),
        |t| {
            t.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::AutoSi, true)
        },
    );
    Ok(format!(
        "rows={rows} accounts={} max_time={max_time}",
        counts.len()
    ))
}

/// The regular files of `dir` (not its hidden entries, such as a lock or a
/// staging folder), by name, with their bytes.
fn load_reports(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let error = |e: io::Error| format!("{}: {e}", dir.display());
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(error)? {
        let entry = entry.map_err(error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.file_type().map_err(error)?.is_file() {
            continue;
        }
        let bytes = fs::read(entry.path()).map_err(error)?;
        files.push((name, bytes));
    }
    files.sort();
    Ok(files)
}

/// Writes each file whole and syncs it, as a replay finishes a report.
fn write_reports(out: &Path, files: &[(String, Vec<u8>)]) -> Result<u64, String> {
    let error = |e: io::Error| format!("{}: {e}", out.display());
    fs::create_dir_all(out).map_err(error)?;
    let mut written = 0u64;
    for (name, bytes) in files {
        let mut file = fs::File::create(out.join(name)).map_err(error)?;
        file.write_all(bytes).map_err(error)?;
        file.sync_all().map_err(error)?;
        written += bytes.len() as u64;
    }
    Ok(written)
}

fn run(args: &Args) -> Result<String, String> {
    let reports = match &args.reports {
        Some(dir) => Some(load_reports(dir)?),
        None => None,
    };
    let started = Instant::now();
    let line = read_pass(&args.events)?;
    let (Some(reports), Some(out)) = (reports, &args.out) else {
        return Ok(line);
    };
    let read_s = started.elapsed().as_secs_f64();
    let written = write_reports(out, &reports)?;
    let floor_s = started.elapsed().as_secs_f64();
    Ok(format!(
        "{line} read_s={read_s:.3} write_s={:.3} floor_s={floor_s:.3} written_bytes={written}",
        floor_s - read_s
    ))
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("floor: {e}");
            ExitCode::from(2)
        }
    }
}
