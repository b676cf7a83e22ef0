//! The CSV dialect of every input file (RULES.md section 7): RFC 4180
//! quoting, an optional UTF-8 byte-order mark, CRLF or LF line ends,
//! surrounding whitespace trimmed, empty lines skipped, physical line
//! numbers, and a header row naming the columns.

use super::LineError;
use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read};
use std::sync::{Arc, Mutex, PoisonError};

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Rows longer than this are refused: a runaway quote or a binary file
/// would otherwise be buffered whole.
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// A row still growing past this many bytes stops the reading of its file,
/// `--keep-going` or not: it is an unclosed quote swallowing the rest of
/// the file, and memory must not grow with it. Rows between
/// [`MAX_ROW_BYTES`] and this are read and refused as malformed.
pub const MAX_BUFFERED_ROW_BYTES: u64 = 4 << 20;

/// A CSV file being read, with its header already parsed.
pub struct CsvSource<R> {
    /// The path as given, for messages.
    pub name: String,
    reader: csv::Reader<BufReader<LineBreaks<R>>>,
    /// Column names of the header, trimmed.
    pub header: Vec<String>,
    /// Where the line breaks are, for physical line numbers.
    breaks: Arc<Mutex<Breaks>>,
    /// Bytes before the csv reader's offset 0 (a byte-order mark).
    skipped: u64,
    /// The header's physical line.
    header_line: u64,
}

/// The line breaks of a stream not yet passed. The csv crate's own line
/// count is not the physical line: it counts a CRLF's `\n` and any empty
/// lines only when the next record is read, so with CRLF line ends or empty
/// lines every later row would get a wrong line number.
#[derive(Debug, Default)]
struct Breaks {
    /// Offsets of the `\r` and `\n` bytes read and not yet passed, each
    /// shifted left by one with the low bit set for a `\n`.
    pending: VecDeque<u64>,
    /// Bytes read so far.
    read: u64,
    /// Where the latest record started.
    record_start: u64,
    /// `\n` bytes passed: before the start of the latest record.
    newlines: u64,
}

/// The input, noting where its line breaks are.
struct LineBreaks<R> {
    inner: R,
    breaks: Arc<Mutex<Breaks>>,
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut breaks = self.breaks.lock().unwrap_or_else(PoisonError::into_inner);
        if breaks.read - breaks.record_start > 2 * MAX_BUFFERED_ROW_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("row is longer than {MAX_BUFFERED_ROW_BYTES} bytes (an unclosed quote?)"),
            ));
        }
        let n = self.inner.read(buf)?;
        let base = breaks.read;
        let read = buf.get(..n).unwrap_or_default();
        // memchr looks at many bytes per step; this scan saw every byte of
        // the input one at a time.
        for i in memchr::memchr2_iter(b'\n', b'\r', read) {
            let offset = (base + i as u64) << 1;
            breaks
                .pending
                .push_back(offset | u64::from(read.get(i) == Some(&b'\n')));
        }
        breaks.read += n as u64;
        Ok(n)
    }
}

impl<R: Read> CsvSource<R> {
    /// Opens a CSV stream and reads its header row. An empty stream, an
    /// unreadable header or a repeated column name is an error at line 1.
    pub fn open(name: &str, input: R) -> Result<Self, LineError> {
        let breaks = Arc::new(Mutex::new(Breaks::default()));
        let input = LineBreaks {
            inner: input,
            breaks: Arc::clone(&breaks),
        };
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
        let skipped = if starts_with_bom {
            buffered.consume(BYTE_ORDER_MARK.len());
            BYTE_ORDER_MARK.len() as u64
        } else {
            0
        };
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
        let line = start_line(&breaks, skipped, &record);
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
            breaks,
            skipped,
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
            return Err(LineError {
                file: self.name.clone(),
                line: self.header_line,
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
            Ok(true) => Ok(Some(start_line(&self.breaks, self.skipped, record))),
            Err(e) => Err(LineError {
                file: self.name.clone(),
                // The record keeps the position where it started.
                line: start_line(&self.breaks, self.skipped, record),
                detail: csv_error_detail(&e),
            }),
        }
    }

    /// [`CsvSource::next_row`] into a [`TextRecord`].
    pub fn next_text_row(&mut self, row: &mut TextRecord) -> Result<Option<u64>, LineError> {
        let mut bytes = match std::mem::replace(&mut row.0, Record::Moved) {
            Record::Text(text) => text.into_byte_record(),
            Record::Bytes(bytes) => bytes,
            Record::Moved => csv::ByteRecord::new(),
        };
        let line = self.next_row(&mut bytes);
        row.0 = match csv::StringRecord::from_byte_record(bytes) {
            Ok(text) => Record::Text(text),
            Err(not_text) => Record::Bytes(not_text.into_byte_record()),
        };
        line
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }
}

/// The physical line a record starts on: past the csv reader's position
/// for it (right after the previous record's terminator), skip the line
/// breaks of a CRLF and of empty lines, and count the `\n` bytes before.
fn start_line(breaks: &Mutex<Breaks>, skipped: u64, record: &csv::ByteRecord) -> u64 {
    let mut breaks = breaks.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(position) = record.position() else {
        return breaks.newlines + 1;
    };
    let mut start = position.byte() + skipped;
    breaks.record_start = start;
    while let Some(&entry) = breaks.pending.front() {
        let (at, is_newline) = (entry >> 1, entry & 1 == 1);
        if at > start {
            break;
        }
        if at == start {
            // A record never starts with a line break: it ends an empty
            // line, or is the rest of a CRLF.
            start += 1;
        }
        breaks.newlines += u64::from(is_newline);
        breaks.pending.pop_front();
    }
    breaks.newlines + 1
}

fn csv_error_detail(error: &csv::Error) -> String {
    match error.kind() {
        // The row-length limit of `LineBreaks`.
        csv::ErrorKind::Io(e) if e.kind() == io::ErrorKind::InvalidData => e.to_string(),
        csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
        _ => error.to_string(),
    }
}

/// A data row, checked for UTF-8 once as a whole when it is read rather
/// than field by field each time a field is used: that checking was a fair
/// share of reading a row. Moving between the csv crate's byte and text
/// records copies nothing.
#[derive(Debug)]
pub struct TextRecord(Record);

#[derive(Debug)]
enum Record {
    /// Every field is UTF-8.
    Text(csv::StringRecord),
    /// Some field is not: fields are checked one by one as they are used,
    /// as [`field`] does, so that the error names the first such field
    /// used and fields never used do not matter.
    Bytes(csv::ByteRecord),
    /// Only while a row is being read, in [`CsvSource::next_text_row`].
    Moved,
}

impl Default for TextRecord {
    fn default() -> Self {
        TextRecord(Record::Bytes(csv::ByteRecord::new()))
    }
}

impl TextRecord {
    /// One field as trimmed text, as [`field`] gives it.
    pub fn field(&self, column: Option<usize>) -> Result<&str, usize> {
        match &self.0 {
            Record::Text(text) => Ok(column.and_then(|c| text.get(c)).map_or("", str::trim_ascii)),
            Record::Bytes(bytes) => field(bytes, column),
            Record::Moved => Ok(""),
        }
    }

    /// One field as trimmed bytes, as [`raw_field`] gives it.
    pub fn raw_field(&self, column: Option<usize>) -> &[u8] {
        match &self.0 {
            Record::Text(text) => raw_field(text.as_byte_record(), column),
            Record::Bytes(bytes) => raw_field(bytes, column),
            Record::Moved => &[],
        }
    }

    /// [`check_field_count`] of the row.
    pub fn check_field_count(&self, expected: usize) -> Result<(), String> {
        match &self.0 {
            Record::Text(text) => check_field_count(text.as_byte_record(), expected),
            Record::Bytes(bytes) => check_field_count(bytes, expected),
            Record::Moved => check_shape(0, 0, expected),
        }
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
    check_shape(record.as_slice().len(), record.len(), expected)
}

/// [`check_field_count`] of a row of `bytes` bytes and `fields` fields.
fn check_shape(bytes: usize, fields: usize, expected: usize) -> Result<(), String> {
    if bytes > MAX_ROW_BYTES {
        return Err(format!("row is longer than {MAX_ROW_BYTES} bytes"));
    }
    if fields == expected {
        Ok(())
    } else {
        Err(format!("expected {expected} fields, found {fields}"))
    }
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
    fn text_records_give_what_byte_records_give() {
        let csv: &[u8] = b"a,b,c\n x ,\xC3\xA9t\xC3\xA9,\n\xC3,\xA9,ok\n1,\xFF,3\n";
        let mut source = CsvSource::open("t.csv", csv).unwrap();
        let mut bytes = csv::ByteRecord::new();
        let texts = rows(csv);
        assert_eq!(texts.len(), 3);
        for text in &texts {
            source.next_row(&mut bytes).unwrap();
            for column in [None, Some(0), Some(1), Some(2), Some(3)] {
                assert_eq!(text.field(column), field(&bytes, column));
                assert_eq!(text.raw_field(column), raw_field(&bytes, column));
            }
            for expected in [2, 3] {
                assert_eq!(
                    text.check_field_count(expected),
                    check_field_count(&bytes, expected)
                );
            }
        }
        // A character split over two fields is valid UTF-8 as a whole row,
        // yet neither field is.
        assert_eq!(texts[1].field(Some(0)), Err(0));
        assert_eq!(texts[1].field(Some(1)), Err(1));
        // A field that is not UTF-8 matters only when it is used.
        assert_eq!(texts[2].field(Some(0)), Ok("1"));
        assert_eq!(texts[2].field(Some(1)), Err(1));
    }
}
