//! `ledger.csv`: every balance movement, written as the replay goes.

use super::csv_writer;
use crate::core::money::Usd;
use crate::core::time::format_time;
use crate::core::LedgerEntry;
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
pub struct LedgerWriter<W: Write> {
    csv: csv::Writer<W>,
}

impl<W: Write> LedgerWriter<W> {
    /// Starts the file with its header.
    pub fn new(output: W) -> io::Result<Self> {
        let mut csv = csv_writer(output);
        csv.write_record(HEADER)?;
        Ok(LedgerWriter { csv })
    }

    /// Writes one entry of the named account.
    pub fn write(&mut self, entry: &LedgerEntry, account: &str) -> io::Result<()> {
        self.csv.write_record([
            format_time(entry.time).as_str(),
            account,
            entry.kind.name(),
            entry.plan.as_deref().unwrap_or(""),
            entry.task.as_deref().unwrap_or(""),
            &entry.extra_delta.to_string(),
            &entry.subscription_delta.to_string(),
            &Usd(entry.usd).to_string(),
            &entry.extra_balance.to_string(),
            &entry.subscription_balance.to_string(),
        ])?;
        Ok(())
    }

    /// Flushes and returns the output.
    pub fn finish(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}
