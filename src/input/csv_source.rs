//! The CSV dialect of every input file (RULES.md section 7): RFC 4180
//! quoting, an optional UTF-8 byte-order mark, CRLF or LF line ends,
//! surrounding whitespace trimmed, empty lines skipped, physical line
//! numbers, and a header row naming the columns.
//!
//! Rows are split by `rows.rs` rather than by `csv::Reader`. A row with no
//! `"` byte, which is nearly every row of a real file, is one line cut at
//! its commas, and finding those bytes several at a time costs a fraction
//! of the csv crate's byte-by-byte state machine (about half of the
//! reading thread's CPU went there). A row holding a `"` falls back to
//! `csv_core`, the csv crate's own parser, so quoting, multi-line fields
//! and every odd shape keep exactly the rules they had. Line numbers come
//! from the line breaks passed on the way, instead of a second record of
//! every line break's offset. A differential proptest in `rows.rs` holds
//! the rows, lines and errors to those of the csv crate.

use super::rows::{RowError, RowReader};
use super::LineError;
use crate::core::time::Instant;
use std::collections::HashMap;
use std::io::Read;
use std::ops::Range;

/// Rows longer than this are refused: a runaway quote or a binary file
/// would otherwise be buffered whole.
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// A CSV file being read, with its header already parsed.
pub struct CsvSource<R> {
    /// The path as given, for messages.
    pub name: String,
    rows: RowReader<R>,
    /// Column names of the header, trimmed.
    pub header: Vec<String>,
    /// The header's physical line.
    header_line: u64,
}

impl<R: Read> CsvSource<R> {
    /// Opens a CSV stream and reads its header row. An empty stream, an
    /// unreadable header or a repeated column name is an error at line 1.
    pub fn open(name: &str, input: R) -> Result<Self, LineError> {
        let at_line_1 = |detail: String| LineError {
            file: name.to_owned(),
            line: 1,
            detail,
        };
        let mut rows = RowReader::open(input).map_err(|e| in_file(name, e))?;
        let (mut bytes, mut fields) = (Vec::new(), Vec::new());
        let line = match rows.next_row(&mut bytes, &mut fields) {
            Ok(Some(line)) => line,
            Ok(None) => return Err(at_line_1("empty file: expected a header row".into())),
            Err(e) => return Err(at_line_1(e.detail)),
        };
        let header_error = |detail: String| LineError {
            file: name.to_owned(),
            line,
            detail,
        };
        let mut header = Vec::with_capacity(fields.len());
        for span in fields {
            let field = &bytes[span];
            let column = std::str::from_utf8(field.trim_ascii())
                .map_err(|_| header_error("header is not valid UTF-8".into()))?;
            if header.iter().any(|c| c == column) {
                return Err(header_error(format!("duplicate column {column}")));
            }
            header.push(column.to_owned());
        }
        Ok(CsvSource {
            name: name.to_owned(),
            rows,
            header,
            header_line: line,
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
            let mut detail = format!(
                "missing required column {missing} (header must have {})",
                names[..required].join(", ")
            );
            // One column holding the names with another separator: the
            // likely cause is the delimiter, so say that rather than only
            // the first name missing.
            if let [only] = self.header.as_slice() {
                let other = [('\t', "tabs"), (';', "semicolons"), ('|', "vertical bars")]
                    .into_iter()
                    .find(|&(delimiter, _)| only.contains(delimiter));
                if let Some((_, what)) = other {
                    detail.push_str(&format!(
                        "; the header is one column with {what} in it: the file must be comma-separated"
                    ));
                }
            }
            return Err(LineError {
                file: self.name.clone(),
                line: self.header_line,
                detail,
            });
        }
        Ok(columns)
    }

    /// Reads the next data row into `row`; `Ok(None)` at the end. Returns
    /// the row's physical line. A failed read (or a row past
    /// [`MAX_BUFFERED_ROW_BYTES`](super::rows::MAX_BUFFERED_ROW_BYTES)) is returned with the line of the row.
    pub fn next_text_row(&mut self, row: &mut TextRecord) -> Result<Option<u64>, LineError> {
        let mut bytes = match std::mem::take(&mut row.content) {
            Content::Text(text) => text.into_bytes(),
            Content::Bytes(bytes) => bytes,
        };
        let line = self.rows.next_row(&mut bytes, &mut row.fields);
        row.instant = None;
        row.content = match String::from_utf8(bytes) {
            Ok(text) => Content::Text(text),
            Err(not_text) => Content::Bytes(not_text.into_bytes()),
        };
        line.map_err(|e| in_file(&self.name, e))
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.rows.bytes_read()
    }
}

/// A row reader's error, in the file `file`.
fn in_file(file: &str, error: RowError) -> LineError {
    LineError {
        file: file.to_owned(),
        line: error.line,
        detail: error.detail,
    }
}

/// A row, checked for UTF-8 once as a whole when it is read rather than
/// field by field each time a field is used: that checking was a fair
/// share of reading a row. The fields are stored one after the other with
/// a `,` between each two, so the whole is UTF-8 exactly when every field
/// is (no character's bytes can hold an ASCII byte).
#[derive(Debug, Default)]
pub struct TextRecord {
    content: Content,
    /// Where each field lies in the content.
    fields: Vec<Range<usize>>,
    /// The row's time when the source holds it as an instant (an Arrow
    /// timestamp column): the `time` field is then empty, and the instant
    /// is taken as it is rather than written out as text and parsed back.
    instant: Option<Instant>,
}

#[derive(Debug)]
enum Content {
    /// Every field is UTF-8.
    Text(String),
    /// Some field is not: fields are checked one by one as they are used,
    /// so that the error names the first such field used and fields never
    /// used do not matter.
    Bytes(Vec<u8>),
}

impl Default for Content {
    fn default() -> Self {
        Content::Bytes(Vec::new())
    }
}

impl TextRecord {
    /// One field as trimmed text; `Err(column)` when it is not UTF-8.
    /// Empty when the column is absent (RULES.md section 7).
    pub fn field(&self, column: Option<usize>) -> Result<&str, usize> {
        let Some((c, span)) = column.and_then(|c| self.fields.get(c).map(|span| (c, span))) else {
            return Ok("");
        };
        match &self.content {
            // The row reader's spans lie in the row's bytes, between
            // ASCII delimiters: char boundaries of a UTF-8 row.
            Content::Text(text) => Ok(text[span.clone()].trim_ascii()),
            Content::Bytes(bytes) => {
                let field = &bytes[span.clone()];
                std::str::from_utf8(field.trim_ascii()).map_err(|_| c)
            }
        }
    }

    /// Fills the record with `fields`, in order: a row of a source whose
    /// values are text already (JSON Lines, Arrow).
    pub(crate) fn set_text_fields<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) {
        let mut text = match std::mem::take(&mut self.content) {
            Content::Text(text) => text,
            Content::Bytes(_) => String::new(),
        };
        text.clear();
        self.fields.clear();
        for (i, field) in fields.into_iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            let start = text.len();
            text.push_str(field);
            self.fields.push(start..text.len());
        }
        self.content = Content::Text(text);
        self.instant = None;
    }

    /// Sets the row's time as an instant (after [`Self::set_text_fields`]).
    pub(crate) fn set_instant(&mut self, instant: Instant) {
        self.instant = Some(instant);
    }

    /// The row's time, when the source gave it as an instant.
    pub fn instant(&self) -> Option<Instant> {
        self.instant
    }

    /// One field as trimmed bytes; empty when the column is absent.
    pub fn raw_field(&self, column: Option<usize>) -> &[u8] {
        column
            .and_then(|c| self.fields.get(c))
            .and_then(|span| self.bytes().get(span.clone()))
            .map_or(&[], <[u8]>::trim_ascii)
    }

    /// Checks the row has as many fields as the header and is at most
    /// [`MAX_ROW_BYTES`] long (a runaway quote or a binary file makes one
    /// giant row). The length is that of the fields, without the commas
    /// between them or a quoted field's quotes.
    pub fn check_field_count(&self, expected: usize) -> Result<(), String> {
        let separators = self.fields.len().saturating_sub(1);
        let field_bytes = self.bytes().len().saturating_sub(separators);
        if field_bytes > MAX_ROW_BYTES {
            return Err(format!("row is longer than {MAX_ROW_BYTES} bytes"));
        }
        let found = self.fields.len();
        if found == expected {
            Ok(())
        } else {
            Err(format!("expected {expected} fields, found {found}"))
        }
    }

    fn bytes(&self) -> &[u8] {
        match &self.content {
            Content::Text(text) => text.as_bytes(),
            Content::Bytes(bytes) => bytes,
        }
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

/// The text of a non-UTF-8 field's error.
pub fn not_utf8(source_header: &[String], column: usize) -> String {
    let name = source_header.get(column).map_or("?", String::as_str);
    format!("field {name} is not valid UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The data rows of `csv` (after its header) as text records.
    fn rows(csv: &[u8]) -> Vec<TextRecord> {
        let mut source = CsvSource::open("t.csv", csv).unwrap();
        let mut rows = Vec::new();
        let mut row = TextRecord::default();
        while source.next_text_row(&mut row).unwrap().is_some() {
            rows.push(std::mem::take(&mut row));
        }
        rows
    }

    #[test]
    fn fields_are_checked_for_utf8_one_by_one() {
        let csv: &[u8] =
            b"a,b,c\n x ,\xC3\xA9t\xC3\xA9,\n\xC3,\xA9,ok\n1,\xFF,3\n\"q,\xC3\",\"\xA9\"\n";
        let rows = rows(csv);
        assert_eq!(rows.len(), 4);
        fn fields(row: &TextRecord) -> Vec<Result<&str, usize>> {
            [None, Some(0), Some(1), Some(2), Some(3)]
                .into_iter()
                .map(|c| row.field(c))
                .collect()
        }
        assert_eq!(
            fields(&rows[0]),
            [Ok(""), Ok("x"), Ok("été"), Ok(""), Ok("")]
        );
        // A character split over two fields is valid UTF-8 once the fields
        // are put together, yet neither field is: whether unquoted...
        assert_eq!(fields(&rows[1]), [Ok(""), Err(0), Err(1), Ok("ok"), Ok("")]);
        // ... or quoted.
        assert_eq!(fields(&rows[3]), [Ok(""), Err(0), Err(1), Ok(""), Ok("")]);
        // A field that is not UTF-8 matters only when it is used.
        assert_eq!(fields(&rows[2]), [Ok(""), Ok("1"), Err(1), Ok("3"), Ok("")]);
        assert_eq!(rows[0].raw_field(Some(0)), b"x");
        assert_eq!(rows[3].raw_field(Some(0)), b"q,\xC3");
        assert_eq!(rows[3].raw_field(Some(2)), b"");
        assert_eq!(rows[0].check_field_count(3), Ok(()));
        assert_eq!(
            rows[3].check_field_count(3),
            Err("expected 3 fields, found 2".into())
        );
    }

    #[test]
    fn the_row_length_counts_field_bytes_only() {
        let field = "x".repeat(MAX_ROW_BYTES - 2);
        let csv = format!("a,b\n{field},y\n\"{field}\",\"yy\"\n\"{field}\",\"yyy\"\n");
        let rows = rows(csv.as_bytes());
        assert_eq!(rows[0].check_field_count(2), Ok(()));
        assert_eq!(rows[1].check_field_count(2), Ok(()));
        assert_eq!(
            rows[2].check_field_count(2),
            Err(format!("row is longer than {MAX_ROW_BYTES} bytes"))
        );
    }
}
