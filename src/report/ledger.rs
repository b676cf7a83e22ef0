//! `ledger.csv`: every balance movement, written as the replay goes.

use super::cells::CellPolicy;
use super::text::{push_usd, write_time};
use crate::core::time::Instant;
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
///
/// This runs once per balance movement, so it allocates nothing per row:
/// numbers go through `itoa` stack buffers, the time text is formatted
/// once per distinct time (consecutive entries mostly share it), and rows
/// are put together in a reused buffer by `push_cell`, which quotes as
/// the `csv` writer of the other reports does, without its per-field
/// bookkeeping.
pub struct LedgerWriter<W: Write> {
    output: W,
    buffer: Vec<u8>,
    time: Option<Instant>,
    time_text: Vec<u8>,
    cells: CellPolicy,
}

/// The buffer is handed to the output when it holds this many bytes.
const FLUSH_AT: usize = 1 << 16;

impl<W: Write> LedgerWriter<W> {
    /// Starts the file with its header.
    ///
    /// # Errors
    ///
    /// The I/O error of writing to `output`.
    pub fn new(output: W) -> io::Result<Self> {
        let mut buffer = Vec::with_capacity(FLUSH_AT + 1024);
        buffer.extend_from_slice(HEADER.join(",").as_bytes());
        buffer.push(b'\n');
        Ok(LedgerWriter {
            output,
            buffer,
            time: None,
            time_text: Vec::new(),
            cells: CellPolicy::Exact,
        })
    }

    /// Writes input-derived cells (account, plan, task) by `cells`.
    pub fn with_cells(mut self, cells: CellPolicy) -> Self {
        self.cells = cells;
        self
    }

    /// Writes one entry of the named account.
    ///
    /// # Errors
    ///
    /// The I/O error of writing to the output.
    pub fn write(&mut self, entry: &LedgerEntry, account: &str) -> io::Result<()> {
        if self.time != Some(entry.time) {
            self.time = Some(entry.time);
            write_time(&mut self.time_text, entry.time);
        }
        let cells = self.cells;
        let row = &mut self.buffer;
        row.extend_from_slice(&self.time_text);
        row.push(b',');
        push_cell(row, &cells.text(account));
        row.push(b',');
        row.extend_from_slice(entry.kind.name().as_bytes());
        row.push(b',');
        push_cell(row, &cells.text(entry.plan.as_deref().unwrap_or("")));
        row.push(b',');
        push_cell(row, &cells.text(entry.task.as_deref().unwrap_or("")));
        row.push(b',');
        let mut number = itoa::Buffer::new();
        row.extend_from_slice(format_delta(&mut number, entry.extra_delta));
        row.push(b',');
        row.extend_from_slice(format_delta(&mut number, entry.subscription_delta));
        row.push(b',');
        // Most entries move no money; fees and purchases are formatted.
        if entry.usd.is_zero() {
            row.extend_from_slice(b"0.00");
        } else {
            push_usd(row, entry.usd);
        }
        row.push(b',');
        row.extend_from_slice(number.format(entry.extra_balance).as_bytes());
        row.push(b',');
        row.extend_from_slice(number.format(entry.subscription_balance).as_bytes());
        row.push(b'\n');
        if self.buffer.len() >= FLUSH_AT {
            self.output.write_all(&self.buffer)?;
            self.buffer.clear();
        }
        Ok(())
    }

    /// Flushes and returns the output.
    ///
    /// # Errors
    ///
    /// The I/O error of flushing the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.output.write_all(&self.buffer)?;
        self.output.flush()?;
        Ok(self.output)
    }
}

/// A signed delta's digits. Deltas come from `u64` amounts, so almost all
/// fit an `i64`, whose formatting avoids `i128`'s 128-bit divisions.
fn format_delta(number: &mut itoa::Buffer, delta: i128) -> &[u8] {
    match i64::try_from(delta) {
        Ok(delta) => number.format(delta).as_bytes(),
        Err(_) => number.format(delta).as_bytes(),
    }
}

/// Appends one cell as the `csv` crate's `QuoteStyle::Necessary` writes it
/// (see `csv_writer`): quoted only when it holds the delimiter, a quote or
/// a line end (`\r` too), with its quotes doubled.
#[inline]
pub(crate) fn push_cell(row: &mut Vec<u8>, text: &str) {
    if !text
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        row.extend_from_slice(text.as_bytes());
        return;
    }
    row.push(b'"');
    for b in text.bytes() {
        if b == b'"' {
            row.push(b'"');
        }
        row.push(b);
    }
    row.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_are_written_as_i128_writes_them() {
        let mut number = itoa::Buffer::new();
        for delta in [
            0,
            -10,
            7,
            i128::from(i64::MAX),
            i128::from(i64::MAX) + 1,
            i128::from(i64::MIN),
            i128::from(i64::MIN) - 1,
            -i128::from(u64::MAX),
            i128::from(u64::MAX),
        ] {
            assert_eq!(
                format_delta(&mut number, delta),
                delta.to_string().as_bytes()
            );
        }
    }

    #[test]
    fn cells_are_quoted_as_the_csv_writer_quotes_them() {
        for text in [
            "",
            "plain",
            "a,b",
            "say \"hi\"",
            "line\nend",
            "cr\rhere",
            "'=1+1",
            " sp ",
            "é,ü",
        ] {
            let mut ours = Vec::new();
            push_cell(&mut ours, text);
            ours.push(b'\n');
            let mut csv = super::super::csv_writer(Vec::new());
            csv.write_record(["x", text]).unwrap();
            let theirs = csv.into_inner().unwrap();
            assert_eq!(ours, theirs[2..], "{text:?}");
        }
    }
}
