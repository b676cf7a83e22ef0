//! The CSV dialect of every input file (RULES.md section 7): RFC 4180
//! quoting, an optional UTF-8 byte-order mark, CRLF or LF line ends,
//! surrounding whitespace trimmed, empty lines skipped, physical line
//! numbers, and a header row naming the columns.

use super::LineError;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Rows longer than this are refused: a runaway quote or a binary file
/// would otherwise be buffered whole.
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// A CSV file being read, with its header already parsed.
pub struct CsvSource<R> {
    /// The path as given, for messages.
    pub name: String,
    reader: csv::Reader<BufReader<R>>,
    /// Column names of the header, trimmed.
    pub header: Vec<String>,
}

impl<R: Read> CsvSource<R> {
    /// Opens a CSV stream and reads its header row. An empty stream, an
    /// unreadable header or a repeated column name is an error at line 1.
    pub fn open(name: &str, input: R) -> Result<Self, LineError> {
        let mut buffered = BufReader::with_capacity(1 << 16, input);
        let at_line_1 = |detail: String| LineError {
            file: name.to_owned(),
            line: 1,
            detail,
        };
        let starts_with_bom = buffered
            .fill_buf()
            // Line 0: the file as a whole cannot be read (a folder, say).
            .map_err(|e| LineError {
                file: name.to_owned(),
                line: 0,
                detail: format!("cannot read: {e}"),
            })?
            .starts_with(BYTE_ORDER_MARK);
        if starts_with_bom {
            buffered.consume(BYTE_ORDER_MARK.len());
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            // Fields are trimmed where they are read (`field`): the csv
            // crate's own trimming copies every record into a new
            // allocation.
            .buffer_capacity(1 << 16)
            .from_reader(buffered);
        let mut record = csv::ByteRecord::new();
        let has_header = reader
            .read_byte_record(&mut record)
            .map_err(|e| at_line_1(csv_error_detail(&e)))?;
        if !has_header {
            return Err(at_line_1("empty file: expected a header row".into()));
        }
        let line = record.position().map_or(1, |p| p.line());
        let header_error = |detail: String| LineError {
            file: name.to_owned(),
            line,
            detail,
        };
        let mut header = Vec::with_capacity(record.len());
        for field in record.iter().map(<[u8]>::trim_ascii) {
            let column = std::str::from_utf8(field)
                .map_err(|_| header_error("header is not valid UTF-8".into()))?;
            if header.iter().any(|c| c == column) {
                return Err(header_error(format!("duplicate column {column}")));
            }
            header.push(column.to_owned());
        }
        Ok(CsvSource {
            name: name.to_owned(),
            reader,
            header,
        })
    }

    /// The index of each named column; a missing required column is an
    /// error at the header's line.
    pub fn columns<const N: usize>(
        &self,
        names: [&str; N],
        required: usize,
    ) -> Result<[Option<usize>; N], LineError> {
        let index: HashMap<&str, usize> = self
            .header
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let mut columns = [None; N];
        for (slot, name) in columns.iter_mut().zip(names) {
            *slot = index.get(name).copied();
        }
        if let Some(missing) = names[..required]
            .iter()
            .zip(&columns)
            .find_map(|(name, column)| column.is_none().then_some(name))
        {
            return Err(LineError {
                file: self.name.clone(),
                line: 1,
                detail: format!(
                    "missing required column {missing} (header must have {})",
                    names[..required].join(", ")
                ),
            });
        }
        Ok(columns)
    }

    /// Reads the next data row into `record`; `Ok(None)` at the end.
    /// Returns the row's physical line. A CSV-level error (an unreadable
    /// stream) is returned with the line where it happened.
    pub fn next_row(&mut self, record: &mut csv::ByteRecord) -> Result<Option<u64>, LineError> {
        match self.reader.read_byte_record(record) {
            Ok(false) => Ok(None),
            Ok(true) => Ok(Some(record.position().map_or(0, |p| p.line()))),
            Err(e) => Err(LineError {
                file: self.name.clone(),
                line: e
                    .position()
                    .map_or_else(|| self.reader.position().line(), |p| p.line()),
                detail: csv_error_detail(&e),
            }),
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }
}

fn csv_error_detail(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
        _ => error.to_string(),
    }
}

/// One field of a row, surrounding ASCII whitespace trimmed (RULES.md
/// section 7); empty when the column is absent.
pub fn raw_field(record: &csv::ByteRecord, column: Option<usize>) -> &[u8] {
    column
        .and_then(|c| record.get(c))
        .map_or(&[], <[u8]>::trim_ascii)
}

/// One field of a row as trimmed text; `Err(column)` when it is not UTF-8.
pub fn field(record: &csv::ByteRecord, column: Option<usize>) -> Result<&str, usize> {
    match column.and_then(|c| record.get(c).map(|bytes| (c, bytes.trim_ascii()))) {
        None => Ok(""),
        Some((c, bytes)) => std::str::from_utf8(bytes).map_err(|_| c),
    }
}

/// Parses a whole number written in decimal digits only: `-10`, `1.5`,
/// `1e3` and values past `u64::MAX` are refused with a message naming the
/// column and the value.
pub fn parse_whole(column: &str, text: &str, unit: &str) -> Result<u64, String> {
    let refuse = || format!("invalid {column} {text}: expected a whole number{unit}");
    if text.is_empty() {
        return Err(format!("missing field {column}"));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse());
    }
    text.parse().map_err(|_| {
        format!(
            "invalid {column} {text}: larger than the maximum {}",
            u64::MAX
        )
    })
}

/// Checks a row has as many fields as the header and is at most
/// [`MAX_ROW_BYTES`] long (a runaway quote or a binary file makes one
/// giant row).
pub fn check_field_count(record: &csv::ByteRecord, expected: usize) -> Result<(), String> {
    if record.as_slice().len() > MAX_ROW_BYTES {
        return Err(format!("row is longer than {MAX_ROW_BYTES} bytes"));
    }
    if record.len() == expected {
        Ok(())
    } else {
        Err(format!(
            "expected {expected} fields, found {}",
            record.len()
        ))
    }
}

/// The text of a non-UTF-8 field's error.
pub fn not_utf8(source_header: &[String], column: usize) -> String {
    let name = source_header.get(column).map_or("?", String::as_str);
    format!("field {name} is not valid UTF-8")
}
