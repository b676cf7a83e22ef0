//! `ledger.csv`: every balance movement, written as the replay goes.

use super::cells::CellPolicy;
use super::csv_writer;
use crate::core::money::Usd;
use crate::core::time::{format_time, Instant};
use crate::core::LedgerEntry;
use std::borrow::Cow;
use std::io::{self, Write};

/// The header of `ledger.csv`.
pub const HEADER: [&str; 10] = [
    "time",
    "account",
    "entry",
    "plan",
    "task",
    "extra",
    "subscription",
    "usd",
    "extra_balance",
    "subscription_balance",
];

/// Writes ledger rows.
///
/// This runs once per balance movement, so it allocates nothing per row:
/// numbers go through `itoa` stack buffers and the time text is formatted
/// once per distinct time (consecutive entries mostly share it).
pub struct LedgerWriter<W: Write> {
    csv: csv::Writer<W>,
    time: Option<Instant>,
    time_text: String,
    cells: CellPolicy,
}

impl<W: Write> LedgerWriter<W> {
    /// Starts the file with its header.
    pub fn new(output: W) -> io::Result<Self> {
        let mut csv = csv_writer(output);
        csv.write_record(HEADER)?;
        Ok(LedgerWriter {
            csv,
            time: None,
            time_text: String::new(),
            cells: CellPolicy::Exact,
        })
    }

    /// Writes input-derived cells (account, plan, task) by `cells`.
    pub fn with_cells(mut self, cells: CellPolicy) -> Self {
        self.cells = cells;
        self
    }

    /// Writes one entry of the named account.
    pub fn write(&mut self, entry: &LedgerEntry, account: &str) -> io::Result<()> {
        if self.time != Some(entry.time) {
            self.time = Some(entry.time);
            write_time(&mut self.time_text, entry.time);
        }
        // Most entries move no money; fees and purchases are formatted.
        let usd = if entry.usd.is_zero() {
            Cow::Borrowed("0.00")
        } else {
            Cow::Owned(Usd(entry.usd).to_string())
        };
        let mut extra = itoa::Buffer::new();
        let mut subscription = itoa::Buffer::new();
        let mut extra_balance = itoa::Buffer::new();
        let mut subscription_balance = itoa::Buffer::new();
        self.csv.write_record([
            self.time_text.as_str(),
            &self.cells.text(account),
            entry.kind.name(),
            &self.cells.text(entry.plan.as_deref().unwrap_or("")),
            &self.cells.text(entry.task.as_deref().unwrap_or("")),
            extra.format(entry.extra_delta),
            subscription.format(entry.subscription_delta),
            &usd,
            extra_balance.format(entry.extra_balance),
            subscription_balance.format(entry.subscription_balance),
        ])?;
        Ok(())
    }

    /// Flushes and returns the output.
    pub fn finish(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}

/// Writes `t` as [`format_time`] does, into a reused buffer. Four-digit
/// years without a leap second take the allocation-free path; anything
/// else goes through `format_time` itself, so the text is always the same.
fn write_time(text: &mut String, t: Instant) {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write as _;
    text.clear();
    let nanos = t.nanosecond();
    if !(0..=9999).contains(&t.year()) || nanos >= 1_000_000_000 {
        text.push_str(&format_time(t));
        return;
    }
    let _ = write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    // SecondsFormat::AutoSi: no fraction when zero, else 3, 6 or 9 digits.
    let _ = match nanos {
        0 => Ok(()),
        n if n % 1_000_000 == 0 => write!(text, ".{:03}", n / 1_000_000),
        n if n % 1_000 == 0 => write!(text, ".{:06}", n / 1_000),
        n => write!(text, ".{n:09}"),
    };
    text.push('Z');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::parse_time;

    #[test]
    fn write_time_matches_format_time() {
        let mut text = String::new();
        for input in [
            "2025-07-01T09:30:00Z",
            "2025-07-01T09:30:00.5Z",
            "2025-07-01T09:30:00.000123Z",
            "2025-07-01T09:30:00.000000007+02:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2016-12-31T23:59:60Z",
        ] {
            let t = parse_time(input).unwrap();
            write_time(&mut text, t);
            assert_eq!(text, format_time(t), "{input}");
        }
        let far = crate::core::time::add_months(parse_time("9999-12-31T00:00:00Z").unwrap(), 1);
        if let Some(far) = far {
            write_time(&mut text, far);
            assert_eq!(text, format_time(far));
        }
    }
}
