//! Reading input files: plans, rules and events CSVs, and the merge of
//! several event files by time. This is the I/O edge in front of the pure
//! [`crate::core`].

pub mod batch;
pub mod csv_source;
pub mod duration;
pub mod events;
mod line_scan;
pub mod merge;
pub mod plans;
pub mod reader;
mod rows;
pub mod rules;
pub mod table;

use std::fmt;

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

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0 is no line: an error about the whole run (`--as-of`).
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.detail)
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
