//! The speed yardstick: the least work any replay of an events file must do.
//!
//! ```text
//! cargo run --release --example floor -- FILE
//! ```
//!
//! One single-threaded pass that reads every record with the `csv` crate
//! (a reused `ByteRecord`), finds the `time` and `account` columns from the
//! header, parses every timestamp with `chrono::DateTime::parse_from_rfc3339`
//! and counts rows per account in a `HashMap<Vec<u8>, u64>`. It prints
//! `rows=<n> accounts=<k> max_time=<rfc3339>` on stdout. No replay can beat
//! it on one thread, so `replay time / floor time` is the overhead of the
//! rules themselves. Keep it honest: nothing here that a replay could not
//! also do. `-` reads stdin.

use std::collections::HashMap;
use std::io;
use std::process::ExitCode;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

fn run(path: &str) -> Result<String, String> {
    let input: Box<dyn io::Read> = if path == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?)
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: floor FILE   (`-` reads stdin)");
        return ExitCode::from(2);
    };
    match run(path) {
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
