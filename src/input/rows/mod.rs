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
            let ahead = &self.buffer[self.pos..self.filled];
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

    /// The reader's invariant: `pos <= filled <= buffer.len()`, so that
    /// `buffer[pos..filled]` (the bytes not yet passed) is a slice.
    fn assert_positions(&self) {
        debug_assert!(self.pos <= self.filled && self.filled <= self.buffer.len());
    }

    /// Reads once more into the buffer, keeping the bytes from `pos` on
    /// (moved to the front); the buffer grows when they fill it.
    fn read_more(&mut self) -> io::Result<()> {
        self.assert_positions();
        if self.pos > 0 {
            self.buffer.copy_within(self.pos..self.filled, 0);
            self.base += self.pos as u64;
            self.filled -= self.pos;
            self.pos = 0;
        }
        if self.filled == self.buffer.len() {
            self.buffer.resize(2 * self.buffer.len(), 0);
        }
        let free = &mut self.buffer[self.filled..];
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
            self.assert_positions();
            let ahead = &self.buffer[self.pos..self.filled];
            let breaks = ahead
                .iter()
                .position(|&b| b != b'\r' && b != b'\n')
                .unwrap_or(ahead.len());
            self.newlines += memchr_iter(b'\n', &ahead[..breaks]).count() as u64;
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
            let row = &self.buffer[self.pos..self.filled];
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
                    bytes.extend_from_slice(&row[..end]);
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
            let input = &self.buffer[self.pos..self.filled];
            let (result, read, written, ended) = self.quoted.read_record(
                input,
                &mut self.quoted_out[out_len..],
                &mut self.quoted_ends[ends_len..],
            );
            // csv_core reads and writes within the slices it is given.
            let passed = &input[..read];
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
                    let out = &self.quoted_out[..out_len];
                    let ends = &self.quoted_ends[..ends_len];
                    let mut field_start = 0;
                    for &field_end in ends {
                        if !fields.is_empty() {
                            bytes.push(b',');
                        }
                        let at = bytes.len();
                        let field = &out[field_start..field_end];
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
mod tests;
