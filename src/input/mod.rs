//! Reading input files: plans, rules and events (CSV, JSON Lines,
//! Parquet), and the merge of several event files by time. This is the I/O edge in front of the pure
//! [`crate::core`].

#[cfg(feature = "parquet")]
pub(crate) mod arrow_rows;
pub(crate) mod batch;
mod columns;
pub(crate) mod csv_source;
pub mod duration;
pub mod events;
pub mod format;
pub(crate) mod json_lines;
mod line_scan;
pub(crate) mod merge;
#[cfg(feature = "parquet")]
pub(crate) mod parquet_source;
pub mod plans;
pub(crate) mod reader;
mod rows;
pub mod rules;
mod source;
pub(crate) mod table;

/// The record batches an Arrow stream yields (see [`format::open_arrow`]).
#[cfg(feature = "parquet")]
pub use arrow_rows::Batches;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Mutex;

/// Names of the inputs whose positions are row numbers (Arrow and Parquet)
/// rather than lines: their messages read `events.parquet:row 1234: ...`.
/// Kept here rather than in every [`LineError`], which the whole replay
/// builds from a file name and a number; a name is added when such an
/// input is opened.
static ROW_NUMBERED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Marks the input `name` as numbered by rows.
#[cfg(feature = "parquet")]
pub(crate) fn count_rows_of(name: &str) {
    if let Ok(mut names) = ROW_NUMBERED.lock() {
        names.insert(name.to_owned());
    }
}

/// Whether the input `name` is numbered by rows.
fn counts_rows(name: &str) -> bool {
    ROW_NUMBERED.lock().is_ok_and(|names| names.contains(name))
}

/// A problem at one line of one file: `FILE:LINE: what is wrong`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The path as given (`-` for standard input).
    pub file: String,
    /// The physical line, the header being line 1.
    pub line: u64,
    /// What is wrong.
    pub detail: String,
}

impl LineError {
    /// Whether `line` counts rows rather than lines (a Parquet file has
    /// no lines): shown as `FILE:row N:`.
    pub fn counts_rows(&self) -> bool {
        counts_rows(&self.file)
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0 is no line: an error about the whole run (`--as-of`).
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.detail)
        } else if counts_rows(&self.file) {
            write!(f, "{}:row {}: {}", self.file, self.line, self.detail)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.detail)
        }
    }
}

impl std::error::Error for LineError {}

/// Every invalid row of a plans or rules file, each with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LineError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}
