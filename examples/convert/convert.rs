//! Converting an events CSV to JSON Lines or Parquet, keeping every row
//! where a replay of the result can be compared with the CSV's: the
//! program `examples/convert/main.rs` and `tests/formats.rs` share it.
//! Rows are converted a chunk at a time, so a file of any size fits.

use arrow_array::builder::{StringBuilder, TimestampNanosecondBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use creditsim::core::time::parse_time;
use creditsim::input::events::EVENT_COLUMNS;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::{Read, Write};
use std::sync::Arc;

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One object per row, each at its CSV line (blank lines before), an
    /// empty field left out, credits in digits a JSON number.
    JsonLines,
    /// Parquet in row groups of `group_rows`: string columns (an empty
    /// field null), or with `typed` a UTC timestamp `time` and a UInt64
    /// `credits` (then every time must parse and every credits be empty
    /// or a whole number).
    Parquet { typed: bool, group_rows: usize },
}

/// Rows converted at a time.
const CHUNK_ROWS: usize = 1 << 16;

/// A data row: its physical line and its trimmed fields by event column
/// (empty when the column is absent).
type Row = (u64, [String; 8]);

/// What a conversion wrote.
#[derive(Debug, Default)]
pub struct Converted {
    /// The CSV line of every row, in order (a Parquet row's number is its
    /// index here plus one).
    pub lines: Vec<u64>,
    /// The lines of rows whose field count differs from the header's:
    /// their `malformed` detail has no counterpart in the other formats.
    pub odd_lines: Vec<u64>,
}

/// Converts the events CSV `csv` (header first) to `target` in `out`.
pub fn convert(
    csv: impl Read,
    target: Target,
    out: impl Write + Send,
) -> Result<Converted, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv);
    let header = reader.byte_headers().map_err(|e| e.to_string())?.clone();
    let columns = EVENT_COLUMNS.map(|name| header.iter().position(|c| c == name.as_bytes()));
    let mut writer = Writer::new(target, out)?;
    let mut converted = Converted::default();
    let mut chunk: Vec<Row> = Vec::with_capacity(CHUNK_ROWS);
    for record in reader.byte_records() {
        let record = record.map_err(|e| e.to_string())?;
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != header.len() {
            converted.odd_lines.push(line);
        }
        converted.lines.push(line);
        let fields = columns.map(|c| {
            let bytes = c.and_then(|c| record.get(c)).unwrap_or_default();
            String::from_utf8_lossy(bytes).into_owned()
        });
        chunk.push((line, fields));
        if chunk.len() == CHUNK_ROWS {
            writer.write(&chunk)?;
            chunk.clear();
        }
    }
    writer.write(&chunk)?;
    writer.finish()?;
    Ok(converted)
}

enum Writer<W: Write + Send> {
    JsonLines {
        out: W,
        line: u64,
    },
    Parquet {
        out: Box<ArrowWriter<W>>,
        typed: bool,
    },
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl<W: Write + Send> Writer<W> {
    fn new(target: Target, out: W) -> Result<Self, String> {
        Ok(match target {
            Target::JsonLines => Writer::JsonLines { out, line: 1 },
            Target::Parquet { typed, group_rows } => {
                let properties = WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .set_max_row_group_row_count(Some(group_rows.max(1)))
                    .build();
                let out =
                    ArrowWriter::try_new(out, schema(typed), Some(properties)).map_err(text)?;
                Writer::Parquet {
                    out: Box::new(out),
                    typed,
                }
            }
        })
    }

    fn write(&mut self, rows: &[Row]) -> Result<(), String> {
        match self {
            Writer::JsonLines { out, line } => {
                for (at, fields) in rows {
                    while *line < *at {
                        out.write_all(b"\n").map_err(text)?;
                        *line += 1;
                    }
                    let mut object = serde_json::Map::new();
                    for (name, value) in EVENT_COLUMNS.iter().zip(fields) {
                        let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
                        let json = match value.parse::<u64>() {
                            Ok(n) if *name == "credits" && digits => serde_json::Value::from(n),
                            _ if value.is_empty() => continue,
                            _ => serde_json::Value::from(value.as_str()),
                        };
                        object.insert((*name).to_owned(), json);
                    }
                    writeln!(out, "{}", serde_json::Value::Object(object)).map_err(text)?;
                    *line += 1;
                }
                Ok(())
            }
            Writer::Parquet { out, typed } => {
                let batch = batch(rows, *typed)?;
                out.write(&batch).map_err(text)
            }
        }
    }

    fn finish(self) -> Result<(), String> {
        match self {
            Writer::JsonLines { mut out, .. } => out.flush().map_err(text),
            Writer::Parquet { out, .. } => out.close().map(|_| ()).map_err(text),
        }
    }
}

fn schema(typed: bool) -> Arc<Schema> {
    let fields = EVENT_COLUMNS.iter().map(|&name| {
        let data_type = match name {
            "time" if typed => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            "credits" if typed => DataType::UInt64,
            _ => DataType::Utf8,
        };
        Field::new(name, data_type, true)
    });
    Arc::new(Schema::new(fields.collect::<Vec<_>>()))
}

fn batch(rows: &[Row], typed: bool) -> Result<RecordBatch, String> {
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (i, name) in EVENT_COLUMNS.iter().enumerate() {
        let column: ArrayRef = match *name {
            "time" if typed => {
                let mut b = TimestampNanosecondBuilder::new().with_timezone("UTC");
                for (line, f) in rows {
                    let nanos = parse_time(&f[i]).ok().and_then(|t| t.timestamp_nanos_opt());
                    b.append_value(nanos.ok_or(format!("line {line}: time {} for --typed", f[i]))?);
                }
                Arc::new(b.finish())
            }
            "credits" if typed => {
                let mut b = UInt64Builder::new();
                for (line, f) in rows {
                    let value = match f[i].as_str() {
                        "" => None,
                        t if t.bytes().all(|b| b.is_ascii_digit()) => t.parse().ok(),
                        _ => return Err(format!("line {line}: credits {} for --typed", f[i])),
                    };
                    b.append_option(value);
                }
                Arc::new(b.finish())
            }
            _ => {
                let mut b = StringBuilder::new();
                for (_, f) in rows {
                    b.append_option(Some(f[i].as_str()).filter(|v| !v.is_empty()));
                }
                Arc::new(b.finish())
            }
        };
        columns.push(column);
    }
    RecordBatch::try_new(schema(typed), columns).map_err(text)
}
