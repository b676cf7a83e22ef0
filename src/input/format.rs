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
}
