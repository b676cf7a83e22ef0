//! `statements.csv`: one row per account and billing cycle.

use super::cells::CellPolicy;
use super::ledger::push_cell;
use super::text::{write_time, write_usd};
use crate::core::Statement;
use std::io::{self, Write};

/// The header of `statements.csv`.
pub const HEADER: [&str; 17] = [
    "account",
    "cycle_start",
    "cycle_end",
    "plan",
    "fee_usd",
    "granted",
    "purchased",
    "purchase_usd",
    "used_extra",
    "used_subscription",
    "refunded_extra",
    "refunded_subscription",
    "expired",
    "calls",
    "songs",
    "lyrics",
    "rejected",
];

/// Puts together the bytes of `statements.csv`'s lines, one at a time, so
/// that rows written whole (by [`write_statements`]) and rows sorted into
/// runs and merged (by [`super::statement_runs`]) are the same bytes.
///
/// There is a row per account and cycle (100k and more), so the cells go
/// into one reused buffer (numbers by `itoa`, times and dollars as the
/// ledger writes them, text cells quoted as the `csv` writer quotes them)
/// rather than a `String` each.
pub struct StatementLines {
    line: Vec<u8>,
    number: itoa::Buffer,
    text: Vec<u8>,
    cells: CellPolicy,
}

impl StatementLines {
    /// Lines with the account and plan cells by `cells`.
    pub fn new(cells: CellPolicy) -> Self {
        StatementLines {
            line: Vec::new(),
            number: itoa::Buffer::new(),
            text: Vec::new(),
            cells,
        }
    }

    /// The header line.
    pub fn header(&mut self) -> &[u8] {
        self.line.clear();
        self.line.extend_from_slice(HEADER.join(",").as_bytes());
        self.line.push(b'\n');
        &self.line
    }

    /// The line of `s`, whose account is named `name`.
    pub fn line(&mut self, s: &Statement, name: &str) -> &[u8] {
        let (line, text, number) = (&mut self.line, &mut self.text, &mut self.number);
        line.clear();
        let c = &s.credits;
        push_cell(line, &self.cells.text(name));
        for time in [s.cycle.start, s.cycle.end] {
            write_time(text, time);
            push_field(line, text);
        }
        line.push(b',');
        push_cell(line, &self.cells.text(&s.plan));
        write_usd(text, s.fee_usd);
        push_field(line, text);
        push_field(line, number.format(c.granted).as_bytes());
        push_field(line, number.format(c.purchased).as_bytes());
        write_usd(text, s.purchase_usd);
        push_field(line, text);
        for count in [
            c.used_extra,
            c.used_subscription,
            c.refunded_extra,
            c.refunded_subscription,
            c.expired,
            s.calls,
            s.songs,
            s.lyrics,
            s.rejected,
        ] {
            push_field(line, number.format(count).as_bytes());
        }
        line.push(b'\n');
        line
    }
}

/// Appends a field that never needs quotes (a number, time or amount).
fn push_field(line: &mut Vec<u8>, field: &[u8]) {
    line.push(b',');
    line.extend_from_slice(field);
}

/// Writes `statements` (already sorted) with the account names, account
/// and plan cells by `cells`.
///
/// # Errors
///
/// The I/O error of writing to `output`.
pub fn write_statements<'a, W: Write>(
    mut output: W,
    statements: &[Statement],
    name: impl Fn(&Statement) -> &'a str,
    cells: CellPolicy,
) -> io::Result<W> {
    let mut lines = StatementLines::new(cells);
    output.write_all(lines.header())?;
    for s in statements {
        output.write_all(lines.line(s, name(s)))?;
    }
    Ok(output)
}
