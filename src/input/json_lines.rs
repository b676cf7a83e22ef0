//! Reading an events file in JSON Lines (`.jsonl`, `.ndjson`): one JSON
//! object per line with the keys of the events CSV's columns.
//!
//! Rules (README "Other input formats"):
//! - every line is one object; keys in any order, unknown keys ignored, a
//!   missing key or `null` reads as an empty field, a key given twice makes
//!   the row malformed;
//! - values are JSON strings, checked and trimmed exactly as CSV fields
//!   are; `credits` may also be a JSON number, whose text as written is
//!   read as the CSV field would be (`15` is fine, `1.5`, `-10` and `1e3`
//!   are malformed with the CSV's messages);
//! - line numbers are physical lines from 1 (there is no header); empty
//!   lines are not rows; a UTF-8 byte-order mark and CRLF are accepted;
//! - a line that is not UTF-8 or not a JSON object, or a value of another
//!   JSON type, makes its row malformed (a rejection with `--keep-going`);
//!   a line longer than [`MAX_ROW_BYTES`] is malformed too, and is skipped
//!   without being held in memory.
//!
//! Lines are read one at a time into one reused buffer, so memory does
//! not grow with the file.

use super::columns::EVENT_COLUMNS;
use super::columns::{event_header, SourceRow};
use super::csv_source::{TextRecord, MAX_ROW_BYTES};
use super::LineError;
use memchr::memchr;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read};

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// A JSON Lines events file being read.
pub struct JsonLines<R> {
    name: String,
    input: BufReader<R>,
    header: Vec<String>,
    /// The current line (0 before the first).
    line: u64,
    bytes_read: u64,
    buffer: Vec<u8>,
}

/// One line's object: the raw text of each known key's value.
#[derive(Deserialize)]
struct Object<'a> {
    #[serde(borrow, default)]
    time: Option<&'a RawValue>,
    #[serde(borrow, default)]
    account: Option<&'a RawValue>,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
    #[serde(borrow, default)]
    plan: Option<&'a RawValue>,
    #[serde(borrow, default)]
    provider: Option<&'a RawValue>,
    #[serde(borrow, default)]
    operation: Option<&'a RawValue>,
    #[serde(borrow, default)]
    task: Option<&'a RawValue>,
    #[serde(borrow, default)]
    credits: Option<&'a RawValue>,
}

impl<R: Read> JsonLines<R> {
    /// Starts reading `input`. A first read that fails is an error about
    /// the whole file, as for a CSV file.
    pub fn open(name: &str, input: R) -> Result<Self, LineError> {
        let mut input = BufReader::with_capacity(64 << 10, input);
        input.fill_buf().map_err(|e| LineError {
            file: name.to_owned(),
            line: 0,
            detail: format!("cannot read: {e}"),
        })?;
        Ok(JsonLines {
            name: name.to_owned(),
            input,
            header: event_header(),
            line: 0,
            bytes_read: 0,
            buffer: Vec::new(),
        })
    }

    /// The path as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The event columns, in the order the record holds them.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Reads the next line that is not empty into `record` (the 8 event
    /// fields in [`EVENT_COLUMNS`] order); `Ok(None)` at the end.
    pub(crate) fn next_row(
        &mut self,
        record: &mut TextRecord,
    ) -> Result<Option<SourceRow>, LineError> {
        loop {
            let Some(too_long) = self.read_line().map_err(|e| LineError {
                file: self.name.clone(),
                line: self.line + 1,
                detail: format!("cannot read: {e}"),
            })?
            else {
                return Ok(None);
            };
            self.line += 1;
            if too_long {
                record.set_text_fields([]);
                let detail = format!("row is longer than {MAX_ROW_BYTES} bytes");
                return Ok(Some((self.line, Some(detail))));
            }
            let mut text = self.buffer.as_slice();
            if self.line == 1 {
                text = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
            }
            let text = text.trim_ascii();
            if text.is_empty() {
                continue;
            }
            let problem = fill(text, record).err();
            return Ok(Some((self.line, problem)));
        }
    }

    /// Reads one line, without its `\n`, into `buffer`: `Some(true)` when
    /// it was longer than [`MAX_ROW_BYTES`] (then it is skipped, not
    /// kept), `None` at the end of the input.
    fn read_line(&mut self) -> io::Result<Option<bool>> {
        let JsonLines {
            input,
            buffer,
            bytes_read,
            ..
        } = self;
        buffer.clear();
        let (mut any, mut too_long) = (false, false);
        loop {
            let available = input.fill_buf()?;
            if available.is_empty() {
                return Ok(any.then_some(too_long));
            }
            any = true;
            let (chunk, used, ended) = match memchr(b'\n', available) {
                Some(at) => (&available[..at], at + 1, true),
                None => (available, available.len(), false),
            };
            if !too_long {
                if buffer.len() + chunk.len() > MAX_ROW_BYTES {
                    too_long = true;
                    buffer.clear();
                } else {
                    buffer.extend_from_slice(chunk);
                }
            }
            input.consume(used);
            *bytes_read += used as u64;
            if ended {
                return Ok(Some(too_long));
            }
        }
    }
}

/// Parses one line into `record`. The error is the `malformed` detail; the
/// record then holds whatever fields could be read, for `rejections.csv`.
fn fill(line: &[u8], record: &mut TextRecord) -> Result<(), String> {
    record.set_text_fields([]);
    let text = std::str::from_utf8(line).map_err(|_| "line is not valid UTF-8".to_owned())?;
    if !text.starts_with('{') {
        return Err("expected a JSON object".into());
    }
    let object: Object<'_> = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    let raw = [
        object.time,
        object.account,
        object.event,
        object.plan,
        object.provider,
        object.operation,
        object.task,
        object.credits,
    ];
    let mut problem = None;
    let mut values: [Cow<'_, str>; 8] = Default::default();
    for (i, (value, slot)) in raw.iter().zip(&mut values).enumerate() {
        let Some(value) = value else { continue };
        match text_of(value.get(), i == 7) {
            Ok(text) => *slot = text,
            Err(kind) => {
                let expected = if i == 7 {
                    "a string or a whole number"
                } else {
                    "a string"
                };
                problem.get_or_insert(format!(
                    "key {}: expected {expected}, found {kind}",
                    EVENT_COLUMNS[i]
                ));
            }
        }
    }
    record.set_text_fields(values.iter().map(|v| v.as_ref()));
    problem.map_or(Ok(()), Err)
}

/// The text of a value: a string's content, or a number's text as written
/// when numbers are allowed; else the JSON type found.
fn text_of(raw: &str, number_allowed: bool) -> Result<Cow<'_, str>, &'static str> {
    match raw.as_bytes().first() {
        Some(b'"') => {
            if raw.contains('\\') {
                // Escapes: the parser checked the string already.
                serde_json::from_str::<String>(raw)
                    .map(Cow::Owned)
                    .map_err(|_| "an invalid string")
            } else {
                // No escape: the content is the text between the quotes
                // (the parser gave a string, so both are there).
                Ok(Cow::Borrowed(&raw[1..raw.len() - 1]))
            }
        }
        Some(b'-' | b'0'..=b'9') if number_allowed => Ok(Cow::Borrowed(raw)),
        Some(b'-' | b'0'..=b'9') => Err("a number"),
        Some(b't' | b'f') => Err("a boolean"),
        Some(b'[') => Err("an array"),
        Some(b'{') => Err("an object"),
        _ => Err("another value"),
    }
}

/// serde_json's message without its position (always line 1 here) but the
/// column.
fn json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m);
    format!("invalid JSON at column {}: {message}", error.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &[u8]) -> Vec<(u64, Option<String>, Vec<String>)> {
        let mut lines = JsonLines::open("e.jsonl", text).unwrap();
        let mut record = TextRecord::default();
        let mut rows = Vec::new();
        while let Some((line, problem)) = lines.next_row(&mut record).unwrap() {
            let fields = (0..8)
                .map(|c| record.field(Some(c)).unwrap_or("?").to_owned())
                .collect();
            rows.push((line, problem, fields));
        }
        rows
    }

    #[test]
    fn keys_are_read_into_the_event_columns() {
        let text =
            "\u{feff}{\"account\":\" a \",\"time\":\"t\",\"x\":[1],\"credits\":15}\r\n\n  \n\
                    {\"event\":\"call\",\"task\":\"q\\\"1\",\"plan\":null}\n{\"credits\":\"-1\"}";
        let rows = rows(text.as_bytes());
        let fields = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            rows,
            [
                (1, None, fields(&["t", "a", "", "", "", "", "", "15"])),
                (4, None, fields(&["", "", "call", "", "", "", "q\"1", ""])),
                (5, None, fields(&["", "", "", "", "", "", "", "-1"])),
            ]
        );
    }

    #[test]
    fn bad_lines_are_malformed_rows() {
        let long = format!("{{\"time\":\"{}\"}}", "x".repeat(MAX_ROW_BYTES));
        let text = format!("[1]\n{{\"time\":\n{{\"account\":5}}\n{{\"credits\":true}}\n{long}\n");
        let text = [text.as_bytes(), b"\xff\n{}"].concat();
        let problems: Vec<_> = rows(&text).into_iter().map(|r| (r.0, r.1)).collect();
        let text = |s: &str| Some(s.to_owned());
        assert_eq!(
            problems,
            [
                (1, text("expected a JSON object")),
                (
                    2,
                    text("invalid JSON at column 8: EOF while parsing a value")
                ),
                (3, text("key account: expected a string, found a number")),
                (
                    4,
                    text("key credits: expected a string or a whole number, found a boolean")
                ),
                (
                    5,
                    text(&format!("row is longer than {MAX_ROW_BYTES} bytes"))
                ),
                (6, text("line is not valid UTF-8")),
                (7, None),
            ]
        );
    }
}
