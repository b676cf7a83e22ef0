//! Splitting a CSV stream into rows, each with its physical line: the
//! reading half of [`super::csv_source`].
//!
//! Almost every row of a real file holds no `"`. Such a row is a line, up
//! to the first `\r` or `\n`, cut at every `,`: [`super::line_scan`] looks for
//! those bytes eight at a time, where the csv crate's state machine looks
//! at each byte in turn. A row holding a `"` may run over several lines;
//! it is handed to `csv_core`, fed from the row's first byte, so quoting
//! keeps exactly the csv crate's rules. Both give what the csv crate gave with
//! `has_headers(false)`, `flexible(true)` and its defaults: `\r`, `\n` or
//! `\r\n` end a row, empty lines are skipped, field counts may vary.

use super::line_scan::{LineEnd, LineScan};
use memchr::memchr_iter;
use std::io::{self, Read};
use std::ops::Range;

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// The reading buffer's starting size; a longer row grows it.
const BUFFER_BYTES: usize = 64 << 10;

/// A row whose bytes, from its first byte to its line end included, pass
/// this many stops the reading of its file, `--keep-going` or not: it is
/// an unclosed quote swallowing the rest of the file, and memory must not
/// grow with it. Rows between
/// [`MAX_ROW_BYTES`](super::csv_source::MAX_ROW_BYTES) and this are read
/// and refused as malformed. Empty lines between rows are no row's bytes:
/// they are passed without being held.
pub const MAX_BUFFERED_ROW_BYTES: u64 = 4 << 20;

/// Why a row could not be read, and the physical line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowError {
    pub line: u64,
    pub detail: String,
}

/// A CSV stream being split into rows.
pub(crate) struct RowReader<R> {
    input: R,
    /// Bytes read and not yet passed start at `pos` and end at `filled`.
    buffer: Vec<u8>,
    pos: usize,
    filled: usize,
    /// The stream offset of `buffer[0]`.
    base: u64,
    /// The input has returned 0 bytes.
    at_eof: bool,
    /// `\n` bytes before `pos`: a row's physical line is this plus one at
    /// its first byte. A lone `\r` ends a row but starts no new line.
    newlines: u64,
    /// The parser of rows holding a quote, with its output buffers.
    quoted: csv_core::Reader,
    quoted_out: Vec<u8>,
    quoted_ends: Vec<usize>,
}

impl<R: Read> RowReader<R> {
    /// Starts reading `input`, past a UTF-8 byte-order mark. A first read
    /// that fails is an error at line 0 (the file as a whole cannot be
    /// read), a later one at line 1.
    pub fn open(input: R) -> Result<Self, RowError> {
        let mut quoted = csv_core::Reader::new();
        let mut quoted_out = vec![0; 1 << 12];
        let mut quoted_ends = vec![0; 64];
        // csv_core drops a byte-order mark at the start of the first input
        // it is given: one line break makes that input not the stream's
        // start. A line break between rows changes no state.
        let _ = quoted.read_record(b"\n", &mut quoted_out, &mut quoted_ends);
        let mut reader = RowReader {
            input,
            buffer: vec![0; BUFFER_BYTES],
            pos: 0,
            filled: 0,
            base: 0,
            at_eof: false,
            newlines: 0,
            quoted,
            quoted_out,
            quoted_ends,
        };
        reader.read_more().map_err(|e| RowError {
            line: 0,
            detail: format!("cannot read: {e}"),
        })?;
        // One mark is the file's; a second one is data (of the first
        // field), as any other bytes.
        reader.skip_byte_order_mark().map_err(|e| RowError {
            line: 1,
            detail: io_detail(&e),
        })?;
        Ok(reader)
    }

    /// Skips a byte-order mark at `pos`, reading more when only part of
    /// one is buffered.
    fn skip_byte_order_mark(&mut self) -> io::Result<bool> {
        loop {
            let ahead = self.buffer.get(self.pos..self.filled).unwrap_or_default();
            let seen = ahead.len().min(BYTE_ORDER_MARK.len());
            if ahead.get(..seen) != BYTE_ORDER_MARK.get(..seen) {
                return Ok(false);
            }
            if seen == BYTE_ORDER_MARK.len() {
                self.pos += seen;
                return Ok(true);
            }
            if self.at_eof {
                return Ok(false);
            }
            self.read_more()?;
        }
    }

    /// Bytes passed so far.
    pub fn bytes_read(&self) -> u64 {
        self.offset(self.pos)
    }

    fn offset(&self, index: usize) -> u64 {
        self.base + index as u64
    }

    /// Reads once more into the buffer, keeping the bytes from `pos` on
    /// (moved to the front); the buffer grows when they fill it.
    fn read_more(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buffer.copy_within(self.pos..self.filled, 0);
            self.base += self.pos as u64;
            self.filled -= self.pos;
            self.pos = 0;
        }
        if self.filled == self.buffer.len() {
            self.buffer.resize(2 * self.buffer.len(), 0);
        }
        let free = self.buffer.get_mut(self.filled..).unwrap_or_default();
        let read = self.input.read(free)?;
        self.filled += read.min(free.len());
        self.at_eof = read == 0;
        Ok(())
    }

    /// Reads the next row: its fields, each followed by a `,` but the last,
    /// into `bytes`, and where each field lies in `bytes` into `fields`.
    /// Returns the row's physical line; `Ok(None)` at the end.
    pub fn next_row(
        &mut self,
        bytes: &mut Vec<u8>,
        fields: &mut Vec<Range<usize>>,
    ) -> Result<Option<u64>, RowError> {
        bytes.clear();
        fields.clear();
        // Line breaks before the row: what ends the previous row, empty
        // lines, the `\n` of a `\r\n`.
        loop {
            let ahead = self.buffer.get(self.pos..self.filled).unwrap_or_default();
            let breaks = ahead
                .iter()
                .position(|&b| b != b'\r' && b != b'\n')
                .unwrap_or(ahead.len());
            self.newlines +=
                memchr_iter(b'\n', ahead.get(..breaks).unwrap_or_default()).count() as u64;
            self.pos += breaks;
            if self.pos < self.filled {
                break;
            }
            if self.at_eof {
                return Ok(None);
            }
            let line = self.newlines + 1;
            self.read_more().map_err(|e| io_error(&e, line))?;
        }
        let line = self.newlines + 1;
        let start = self.offset(self.pos);
        let limit_at = start + MAX_BUFFERED_ROW_BYTES;
        let mut scan = LineScan::default();
        loop {
            let row = self.buffer.get(self.pos..self.filled).unwrap_or_default();
            match scan.run(row, fields) {
                LineEnd::Quote => {
                    fields.clear();
                    return self.quoted_row(line, limit_at, bytes, fields);
                }
                LineEnd::At(end) => {
                    if self.offset(self.pos + end + 1) > limit_at {
                        return Err(too_long(line));
                    }
                    fields.push(scan.field_start()..end);
                    bytes.extend_from_slice(row.get(..end).unwrap_or_default());
                    self.newlines += u64::from(row.get(end) == Some(&b'\n'));
                    self.pos += end + 1;
                    return Ok(Some(line));
                }
                LineEnd::NotYet => {}
            }
            // No line end among the row's bytes so far.
            if self.offset(self.filled) > limit_at {
                return Err(too_long(line));
            }
            if self.at_eof {
                fields.push(scan.field_start()..row.len());
                bytes.extend_from_slice(row);
                self.pos = self.filled;
                return Ok(Some(line));
            }
            self.read_more().map_err(|e| io_error(&e, line))?;
        }
    }

    /// [`RowReader::next_row`] of a row holding a quote, starting at `pos`:
    /// csv_core reads it, however many lines it spans.
    fn quoted_row(
        &mut self,
        line: u64,
        limit_at: u64,
        bytes: &mut Vec<u8>,
        fields: &mut Vec<Range<usize>>,
    ) -> Result<Option<u64>, RowError> {
        let (mut out_len, mut ends_len) = (0, 0);
        loop {
            if self.pos == self.filled {
                // csv_core takes an empty input for the end of the stream.
                if self.offset(self.pos) > limit_at {
                    return Err(too_long(line));
                }
                if !self.at_eof {
                    self.read_more().map_err(|e| io_error(&e, line))?;
                    continue;
                }
            }
            let input = self.buffer.get(self.pos..self.filled).unwrap_or_default();
            let (result, read, written, ended) = self.quoted.read_record(
                input,
                self.quoted_out.get_mut(out_len..).unwrap_or_default(),
                self.quoted_ends.get_mut(ends_len..).unwrap_or_default(),
            );
            let passed = input.get(..read).unwrap_or_default();
            self.newlines += memchr_iter(b'\n', passed).count() as u64;
            self.pos += read;
            out_len += written;
            ends_len += ended;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    let grown = 2 * self.quoted_out.len();
                    self.quoted_out.resize(grown, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let grown = 2 * self.quoted_ends.len();
                    self.quoted_ends.resize(grown, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    if self.offset(self.pos) > limit_at {
                        return Err(too_long(line));
                    }
                    let out = self.quoted_out.get(..out_len).unwrap_or_default();
                    let ends = self.quoted_ends.get(..ends_len).unwrap_or_default();
                    let mut field_start = 0;
                    for &field_end in ends {
                        if !fields.is_empty() {
                            bytes.push(b',');
                        }
                        let at = bytes.len();
                        let field = out.get(field_start..field_end).unwrap_or_default();
                        bytes.extend_from_slice(field);
                        fields.push(at..bytes.len());
                        field_start = field_end;
                    }
                    return Ok(Some(line));
                }
                // A row starts with a byte that is no line break, so
                // csv_core always has a row to give.
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
    }
}

fn too_long(line: u64) -> RowError {
    RowError {
        line,
        detail: format!("row is longer than {MAX_BUFFERED_ROW_BYTES} bytes (an unclosed quote?)"),
    }
}

fn io_error(error: &io::Error, line: u64) -> RowError {
    RowError {
        line,
        detail: io_detail(error),
    }
}

/// The text of a failed read, as the csv-crate reader gave it: an
/// `InvalidData` error was its own row-length limit, shown bare.
fn io_detail(error: &io::Error) -> String {
    if error.kind() == io::ErrorKind::InvalidData {
        error.to_string()
    } else {
        format!("cannot read: {error}")
    }
}

#[cfg(test)]
mod tests {
    //! The rows and errors of [`RowReader`] against the csv crate as the
    //! reader before it configured it, over input handed out in pieces of
    //! arbitrary sizes, so that rows, line breaks, quotes and byte-order
    //! marks fall across buffer boundaries.

    use super::*;
    use proptest::prelude::*;

    /// What reading a stream gives: its rows, then how it ended.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Read {
        Row(u64, Vec<Vec<u8>>),
        End,
        Error(u64, String),
    }

    const FAILURE: &str = "disk on fire";

    /// `data` handed out `sizes` bytes at a time (cycling), failing once
    /// `fail_at` bytes are out.
    struct Pieces<'a> {
        data: &'a [u8],
        at: usize,
        sizes: Vec<usize>,
        reads: usize,
        fail_at: Option<usize>,
    }

    impl io::Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let end = self.fail_at.unwrap_or(self.data.len()).min(self.data.len());
            if self.fail_at == Some(self.at) {
                return Err(io::Error::other(FAILURE));
            }
            let size = self.sizes[self.reads % self.sizes.len()];
            self.reads += 1;
            let n = size.min(buf.len()).min(end - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// As `CsvSource` reads: a failure on the header row is at line 1.
    fn new_reader(data: &[u8], sizes: Vec<usize>, fail_at: Option<usize>) -> Vec<Read> {
        let input = Pieces {
            data,
            at: 0,
            sizes,
            reads: 0,
            fail_at,
        };
        let mut rows = match RowReader::open(input) {
            Ok(rows) => rows,
            Err(e) => return vec![Read::Error(e.line, e.detail)],
        };
        let (mut bytes, mut fields) = (Vec::new(), Vec::new());
        let mut reads = Vec::new();
        loop {
            match rows.next_row(&mut bytes, &mut fields) {
                Ok(Some(line)) => {
                    let row = fields.iter().map(|f| bytes[f.clone()].to_vec()).collect();
                    reads.push(Read::Row(line, row));
                }
                Ok(None) => reads.push(Read::End),
                Err(e) => {
                    let line = if reads.is_empty() { 1 } else { e.line };
                    reads.push(Read::Error(line, e.detail));
                }
            }
            if !matches!(reads.last(), Some(Read::Row(..))) {
                return reads;
            }
        }
    }

    /// The csv crate as the reader before [`RowReader`] used it, over
    /// input read whole (a file), past one byte-order mark (inputs with a
    /// second are left out: csv_core would skip it too). A row's physical line
    /// counts the `\n` bytes before its first byte, which is the first
    /// byte past the csv crate's position that is no line break.
    fn csv_crate(data: &[u8], fail_at: Option<usize>) -> Vec<Read> {
        let available = &data[..fail_at.unwrap_or(data.len()).min(data.len())];
        if fail_at == Some(0) {
            return vec![Read::Error(0, format!("cannot read: {FAILURE}"))];
        }
        let skipped = if available.starts_with(BYTE_ORDER_MARK) {
            BYTE_ORDER_MARK.len()
        } else {
            0
        };
        let input = Pieces {
            data: &data[skipped..],
            at: 0,
            sizes: vec![usize::MAX],
            reads: 0,
            fail_at: fail_at.map(|at| at - skipped),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let line_at = |position: &csv::Position| {
            let from = position.byte() as usize + skipped;
            let start = available
                .iter()
                .skip(from)
                .position(|&b| b != b'\r' && b != b'\n')
                .map_or(available.len(), |i| from + i);
            available[..start].iter().filter(|&&b| b == b'\n').count() as u64 + 1
        };
        let mut record = csv::ByteRecord::new();
        let mut reads = Vec::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {
                    let line = line_at(record.position().unwrap());
                    reads.push(Read::Row(line, record.iter().map(<[u8]>::to_vec).collect()));
                }
                Ok(false) => return [reads, vec![Read::End]].concat(),
                Err(e) => {
                    let line = if reads.is_empty() {
                        1
                    } else {
                        line_at(record.position().unwrap())
                    };
                    let csv::ErrorKind::Io(e) = e.kind() else {
                        panic!("not an I/O error: {e}");
                    };
                    reads.push(Read::Error(line, io_detail(e)));
                    return reads;
                }
            }
        }
    }

    /// Bytes that look like CSV, with the pieces that matter to the
    /// reader: quotes, line breaks of every kind, byte-order marks,
    /// characters of several bytes, and now and then a line longer than
    /// the buffer.
    fn csv_ish() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            40 => prop::sample::select(b",\"\r\n ab".to_vec()).prop_map(|b| vec![b]),
            4 => any::<u8>().prop_map(|b| vec![b]),
            4 => prop::sample::select(vec![
                "\r\n", "\"\"", "\",", ",\"", "\"\r\n", "\n\n", "\r\r", "\u{feff}", "\u{e9}",
                "  ", "2025-07-01T00:00:00Z,acct-000001,call,,suno,create,t-1,",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            1 => (1usize..300_000, prop::sample::select(b"x,\n\"".to_vec()))
                .prop_map(|(n, b)| vec![b; n]),
        ];
        let start = prop_oneof![Just(Vec::new()), Just(BYTE_ORDER_MARK.to_vec()),];
        (start, prop::collection::vec(piece, 0..120))
            .prop_map(|(start, pieces)| [start, pieces.concat()].concat())
    }

    fn piece_sizes() -> impl Strategy<Value = Vec<usize>> {
        let size = prop_oneof![1usize..4, 1usize..300, 1usize..400_000];
        prop::collection::vec(size, 1..6)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn rows_are_those_of_the_csv_crate(
            data in csv_ish(),
            sizes in piece_sizes(),
            fail in prop::option::weighted(0.2, any::<prop::sample::Index>()),
        ) {
            let fail_at = fail.map(|i| i.index(data.len() + 1));
            let two_marks = [BYTE_ORDER_MARK, BYTE_ORDER_MARK].concat();
            prop_assume!(!data.starts_with(&two_marks));
            prop_assert_eq!(new_reader(&data, sizes, fail_at), csv_crate(&data, fail_at));
        }
    }

    #[test]
    fn edge_cases_are_those_of_the_csv_crate() {
        let cases: &[&[u8]] = &[
            b"",
            b"\xEF\xBB\xBF",
            b"\xEF\xBB",
            b"a\n\xEF\xBB\xBF\n\xEF\xBB\xBF\"b\"\n",
            b"a\rb\r\nc\n\rd",
            b"\r\n\r\n a \n   \n,\n",
            b"a,b\"c\",\"d\"e,\"f\"\"g\"",
            b"a,\"b\nc\r\nd\",e\r\nf",
            b"\"unclosed\n\n",
            b"a,",
            b"a,\"",
        ];
        for &data in cases {
            for size in [1, 2, 3, 7, usize::MAX] {
                assert_eq!(
                    new_reader(data, vec![size], None),
                    csv_crate(data, None),
                    "{:?} in pieces of {size}",
                    String::from_utf8_lossy(data)
                );
            }
        }
    }

    /// One byte-order mark is skipped; a second is the first field's.
    #[test]
    fn a_second_byte_order_mark_is_data() {
        let rows = |data: &[u8]| new_reader(data, vec![usize::MAX], None);
        let row =
            |line, fields: &[&[u8]]| Read::Row(line, fields.iter().map(|f| f.to_vec()).collect());
        assert_eq!(
            rows(b"\xEF\xBB\xBF\xEF\xBB\xBFa,b\n"),
            [row(1, &[b"\xEF\xBB\xBFa", b"b"]), Read::End]
        );
        assert_eq!(
            rows(b"\xEF\xBB\xBF\n\xEF\xBB\xBF\n"),
            [row(2, &[b"\xEF\xBB\xBF"]), Read::End]
        );
    }

    /// The row limit counts a row's own bytes, line end included, and
    /// nothing else: not the rows or empty lines before it.
    #[test]
    fn long_rows_stop_at_the_limit() {
        let limit = MAX_BUFFERED_ROW_BYTES as usize;
        let too_long = |line| Read::Error(line, too_long(line).detail);
        let last = |data: &[u8]| new_reader(data, vec![usize::MAX], None).pop().unwrap();
        let row_of = |bytes: usize, fill: u8| [vec![fill; bytes - 1], b"\n".to_vec()].concat();
        let after_header = |row: &[u8]| last(&[b"h\n", row, b"z\n"].concat());
        assert_eq!(after_header(&row_of(limit, b'x')), Read::End);
        assert_eq!(after_header(&row_of(limit + 1, b'x')), too_long(2));
        // Quoted, the same limit.
        let mut quoted = row_of(limit, b'x');
        quoted[0] = b'"';
        quoted[limit - 2] = b'"';
        assert_eq!(after_header(&quoted), Read::End);
        let mut quoted = row_of(limit + 1, b'x');
        quoted[0] = b'"';
        quoted[limit - 1] = b'"';
        assert_eq!(after_header(&quoted), too_long(2));
        // Without a line end at the end of the stream.
        assert_eq!(
            last(&[b"h\n".as_slice(), &vec![b'x'; limit]].concat()),
            Read::End
        );
        assert_eq!(
            last(&[b"h\n".as_slice(), &vec![b'x'; limit + 1]].concat()),
            too_long(2)
        );
        // Two long rows in a row, and many empty lines, are fine.
        let long = row_of(limit, b'p');
        assert_eq!(after_header(&[long.as_slice(), &long].concat()), Read::End);
        let data = [b"h\n".as_slice(), &b"\r\n".repeat(5 << 20), b"b\n"].concat();
        assert_eq!(last(&data), Read::End);
        // An unclosed quote swallowing the file.
        let data = [b"h\na,b\n\"".as_slice(), &vec![b'y'; 9 << 20]].concat();
        assert_eq!(last(&data), too_long(3));
    }
}
