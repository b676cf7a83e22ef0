//! The format of an events file, chosen by `--input-format` or by the file's
//! extension, and opening the file in it.

use super::columns::IN_ORDER;
use super::events::EventFile;
use super::json_lines::JsonLines;
use super::source::Source;
use super::LineError;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::str::FromStr;

/// How an events file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header row (RULES.md sections 6 and 7).
    Csv,
    /// One JSON object per line.
    JsonLines,
    /// Apache Parquet (needs the cargo feature `parquet`, on by default).
    Parquet,
}

impl Format {
    /// The format of a file named `name` when `--input-format` is not given:
    /// `.jsonl` and `.ndjson` are JSON Lines, `.parquet` is Parquet (in any
    /// letter case), anything else, standard input included, is CSV.
    pub fn of_name(name: &str) -> Format {
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        match extension.as_deref() {
            Some("jsonl" | "ndjson") => Format::JsonLines,
            Some("parquet") => Format::Parquet,
            _ => Format::Csv,
        }
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            "parquet" => Ok(Format::Parquet),
            other => Err(format!(
                "unknown format {other} (expected csv, jsonl or parquet)"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
            Format::Parquet => "parquet",
        })
    }
}

/// An events file read from disk or standard input (`-`).
pub type InputFile = EventFile<Box<dyn Read + Send>>;

/// Opens the events file `name` (`-` for standard input) in `format`, or
/// in the format of its name when `None`. A file that cannot be opened is
/// `NAME: cannot read: ...`.
///
/// # Errors
///
/// A [`LineError`] when the file cannot be opened or its format cannot be told,
/// or its header is invalid.
pub fn open_events(name: &str, format: Option<Format>) -> Result<InputFile, LineError> {
    let whole_file = |detail: String| LineError {
        file: name.to_owned(),
        line: 0,
        detail,
    };
    let format = format.unwrap_or_else(|| Format::of_name(name));
    let open = || -> Result<File, LineError> {
        File::open(name).map_err(|e| whole_file(format!("cannot read: {e}")))
    };
    // `Send`: the rows are read on a thread of their own.
    let input = || -> Result<Box<dyn Read + Send>, LineError> {
        Ok(if name == "-" {
            Box::new(io::stdin())
        } else {
            Box::new(open()?)
        })
    };
    match format {
        Format::Csv => EventFile::open(name, input()?),
        Format::JsonLines => {
            let lines = JsonLines::open(name, input()?)?;
            Ok(EventFile::of_source(Source::JsonLines(lines), IN_ORDER))
        }
        Format::Parquet if name == "-" => Err(whole_file(
            "Parquet cannot be read from standard input (its index is at the end of the file); give a file"
                .into(),
        )),
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            let rows = super::parquet_source::open_parquet(name, open()?)?;
            Ok(EventFile::of_source(Source::Arrow(Box::new(rows)), IN_ORDER))
        }
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => Err(whole_file(
            "this creditsim was built without Parquet support (cargo feature parquet)".into(),
        )),
    }
}

/// Events handed over by a program as a stream of Arrow record batches
/// (the Python package's pyarrow tables, Polars and DuckDB results), read
/// as a Parquet file's are (README "Other input formats": columns by name,
/// positions are row numbers from 1). `name` stands for the stream in
/// messages (`NAME:row 12: ...`) and in the `file` column of
/// `rejections.csv`.
///
/// # Errors
///
/// A [`LineError`] about the whole stream when the schema's
/// columns do not fit: a required column missing, a name given twice, or
/// a column of a type that cannot hold its field.
#[cfg(feature = "parquet")]
pub fn open_arrow(
    name: &str,
    schema: &arrow_schema::Schema,
    batches: super::Batches,
) -> Result<InputFile, LineError> {
    let rows = super::arrow_rows::ArrowRows::new(name, schema, batches, None)?;
    Ok(EventFile::of_source(
        Source::Arrow(Box::new(rows)),
        IN_ORDER,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_the_extension() {
        let cases = [
            ("events.csv", Format::Csv),
            ("-", Format::Csv),
            ("logs/july.JSONL", Format::JsonLines),
            ("x.ndjson", Format::JsonLines),
            ("data.v2/events.parquet", Format::Parquet),
            ("events", Format::Csv),
            ("events.csv.gz", Format::Csv),
        ];
        for (name, format) in cases {
            assert_eq!(Format::of_name(name), format, "{name}");
        }
        assert_eq!("jsonl".parse(), Ok(Format::JsonLines));
        assert!("json".parse::<Format>().is_err());
    }

    #[cfg(feature = "parquet")]
    #[test]
    fn arrow_batches_are_read_as_events_numbered_by_row() {
        use arrow_array::{ArrayRef, RecordBatch, StringArray};
        use std::sync::Arc;
        let column = |values: &[&str]| -> ArrayRef { Arc::new(StringArray::from(values.to_vec())) };
        let batch = RecordBatch::try_from_iter([
            (
                "time",
                column(&["2025-07-01T00:00:00Z", "2025-06-01T00:00:00Z"]),
            ),
            ("account", column(&["pat", "pat"])),
            ("event", column(&["subscribe", "cancel"])),
            ("plan", column(&["basic", ""])),
        ])
        .unwrap();
        let schema = batch.schema();
        let batches = Box::new(std::iter::once(Ok(batch)));
        let mut file = open_arrow("stream", &schema, batches).unwrap();
        let rules = crate::core::RuleBook::builtin();
        assert!(file.advance(&rules).unwrap());
        assert_eq!(file.row().map(|r| r.line), Some(1));
        assert!(file.advance(&rules).unwrap());
        let row = file.row().unwrap();
        assert_eq!(row.line, 2);
        assert!(
            matches!(&row.class, super::super::events::RowClass::OutOfOrder { detail } if detail.ends_with("on row 1")),
            "{:?}",
            row.class
        );
        assert!(!file.advance(&rules).unwrap());
        let error = open_arrow(
            "stream",
            &arrow_schema::Schema::empty(),
            Box::new(std::iter::empty()),
        )
        .err()
        .unwrap();
        assert_eq!(
            error.to_string(),
            "stream: missing required column time (header must have time, account, event)"
        );
    }
}
