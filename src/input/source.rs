//! Where the rows of an events file come from: a CSV file, a JSON Lines
//! file or a stream of Arrow record batches (a Parquet file, or Arrow data
//! handed over by a program). Every kind fills the same [`TextRecord`], so
//! each row is checked and classified by the same code whatever its
//! format, and the reports cannot differ by format.

#[cfg(feature = "parquet")]
use super::arrow_rows::ArrowRows;
use super::columns::SourceRow;
use super::csv_source::{CsvSource, TextRecord};
use super::json_lines::JsonLines;
use super::LineError;
use std::io::Read;

/// The rows of one events file.
// One per file, so the size does not matter; boxing the CSV reader, the
// common case, would add a pointer chase to every row it reads.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Source<R> {
    /// A CSV file with its header.
    Csv(CsvSource<R>),
    /// One JSON object per line.
    JsonLines(JsonLines<R>),
    /// Arrow record batches, from a Parquet file or a program.
    #[cfg(feature = "parquet")]
    Arrow(Box<ArrowRows>),
}

impl<R: Read> Source<R> {
    /// The path as given.
    pub(crate) fn name(&self) -> &str {
        match self {
            Source::Csv(csv) => &csv.name,
            Source::JsonLines(lines) => lines.name(),
            #[cfg(feature = "parquet")]
            Source::Arrow(arrow) => arrow.name(),
        }
    }

    /// The column names the record's fields are in.
    pub(crate) fn header(&self) -> &[String] {
        match self {
            Source::Csv(csv) => &csv.header,
            Source::JsonLines(lines) => lines.header(),
            #[cfg(feature = "parquet")]
            Source::Arrow(arrow) => arrow.header(),
        }
    }

    /// What a position counts: `line` (CSV, JSON Lines) or `row` (Arrow).
    pub(crate) fn position_word(&self) -> &'static str {
        match self {
            Source::Csv(_) | Source::JsonLines(_) => "line",
            #[cfg(feature = "parquet")]
            Source::Arrow(_) => "row",
        }
    }

    /// Reads the next row into `record`; `Ok(None)` at the end.
    pub(crate) fn next_row(
        &mut self,
        record: &mut TextRecord,
    ) -> Result<Option<SourceRow>, LineError> {
        match self {
            Source::Csv(csv) => Ok(csv.next_text_row(record)?.map(|line| (line, None))),
            Source::JsonLines(lines) => lines.next_row(record),
            #[cfg(feature = "parquet")]
            Source::Arrow(arrow) => arrow.next_row(record),
        }
    }

    /// Bytes read so far (an estimate for Arrow sources).
    pub(crate) fn bytes_read(&self) -> u64 {
        match self {
            Source::Csv(csv) => csv.bytes_read(),
            Source::JsonLines(lines) => lines.bytes_read(),
            #[cfg(feature = "parquet")]
            Source::Arrow(arrow) => arrow.bytes_read(),
        }
    }
}
