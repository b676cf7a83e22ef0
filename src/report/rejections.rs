//! `rejections.csv`: every rejected row, in merge order.

use super::cells::CellPolicy;
use super::csv_writer;
use crate::core::time::format_time;
use crate::core::{Event, Reason, Rejection};
use std::io::{self, Write};

/// The header of `rejections.csv`.
pub const HEADER: [&str; 7] = [
    "file", "line", "time", "account", "event", "reason", "detail",
];

/// One rejected row.
#[derive(Debug, Clone, Copy)]
pub struct RejectedRow<'a> {
    /// The path as given.
    pub file: &'a str,
    /// Physical line.
    pub line: u64,
    /// Normalised time, or as read when it does not parse.
    pub time: &'a str,
    /// Account as read.
    pub account: &'a str,
    /// Event name as read.
    pub event: &'a str,
    /// The code.
    pub reason: Reason,
    /// Human-readable explanation.
    pub detail: &'a str,
}

/// Writes rejection rows.
pub struct RejectionWriter<W: Write> {
    csv: csv::Writer<W>,
    cells: CellPolicy,
}

impl<W: Write> RejectionWriter<W> {
    /// Starts the file with its header.
    ///
    /// # Errors
    ///
    /// The I/O error of writing to `output`.
    pub fn new(output: W) -> io::Result<Self> {
        let mut csv = csv_writer(output);
        csv.write_record(HEADER)?;
        Ok(RejectionWriter {
            csv,
            cells: CellPolicy::Exact,
        })
    }

    /// Writes input-derived cells (file, time as read, account, event) by
    /// `cells`. The detail starts with creditsim's own words, so it is safe.
    pub fn with_cells(mut self, cells: CellPolicy) -> Self {
        self.cells = cells;
        self
    }

    /// Writes one row.
    ///
    /// # Errors
    ///
    /// The I/O error of writing to the output.
    pub fn write(&mut self, row: &RejectedRow<'_>) -> io::Result<()> {
        self.csv.write_record([
            &self.cells.text(row.file),
            itoa::Buffer::new().format(row.line),
            &self.cells.text(row.time),
            &self.cells.text(row.account),
            &self.cells.text(row.event),
            row.reason.code(),
            row.detail,
        ])?;
        Ok(())
    }

    /// Writes the business rejection of a well-formed event read at
    /// `file:line`: its normalised time, account and event name (the text
    /// `EventFile::describe` gives for it, since the row parsed), the
    /// rejection's code and its sentence.
    ///
    /// # Errors
    ///
    /// The I/O error of writing to the output.
    pub fn write_rejected_event(
        &mut self,
        (file, line): (&str, u64),
        event: &Event<'_>,
        rejection: &Rejection,
    ) -> io::Result<()> {
        self.write(&RejectedRow {
            file,
            line,
            time: &format_time(event.time),
            account: event.account,
            event: event.action.name(),
            reason: rejection.reason(),
            detail: &rejection.to_string(),
        })
    }

    /// Flushes and returns the output.
    ///
    /// # Errors
    ///
    /// The I/O error of flushing the output.
    pub fn finish(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}
