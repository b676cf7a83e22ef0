//! Writing the five reports of a replay (RULES.md section 8), published
//! together with a `manifest.json` only when the whole run has succeeded
//! (see [`ReportDir`]).

pub mod balances;
pub mod cells;
pub(crate) mod folder;
pub mod journal;
pub mod ledger;
pub(crate) mod lock;
pub mod manifest;
pub mod rejections;
pub mod sink;
pub mod statement_runs;
pub mod statements;
pub mod summary;
pub(crate) mod text;

pub use folder::ReportDir;
use std::io;

/// The names of the report files, in the order they are listed to users.
pub const REPORT_FILES: [&str; 5] = [
    "balances.csv",
    "ledger.csv",
    "statements.csv",
    "rejections.csv",
    "summary.json",
];

/// A CSV writer with the reports' dialect: LF line ends, quotes only where
/// needed.
pub fn csv_writer<W: io::Write>(output: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(output)
}
