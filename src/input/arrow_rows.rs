//! Rows of Arrow record batches as events: what a Parquet file (see
//! [`super::parquet_source`]) or a program handing over Arrow data gives.
//!
//! Rules (README "Other input formats"):
//! - columns are found by name, as in a CSV header: `time`, `account` and
//!   `event` are required, the others optional, unknown columns ignored, a
//!   name given twice refused;
//! - every column holds strings (UTF-8, large or view strings, or a
//!   dictionary of them), a null reading as an empty field; `credits` may
//!   also hold integers (of any width, signed or not), and `time` a
//!   timestamp with a time zone (any unit; the instant is what counts, the
//!   zone is not looked at); a timestamp without a time zone is refused,
//!   since it names no instant;
//! - positions are row numbers from 1 over the whole stream, written
//!   `events.parquet:row 1234: ...` in messages and as the `line` of
//!   `rejections.csv`.
//!
//! One batch is held at a time, so memory does not grow with the stream.

use super::columns::EVENT_COLUMNS;
use super::columns::{event_header, SourceRow};
use super::csv_source::TextRecord;
use super::LineError;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Schema, TimeUnit};
use chrono::DateTime;

/// A stream of record batches, such as a Parquet reader.
pub type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

const TIME: usize = 0;
const CREDITS: usize = 7;

/// What an event column of the schema holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Strings, or integers for `credits`: read as text.
    Text,
    /// A timestamp with a time zone, in this unit.
    Timestamp(TimeUnit),
}

/// A column of the current batch.
enum Column {
    Text(StringArray),
    Timestamp(Int64Array, TimeUnit),
}

/// An Arrow stream read row by row.
pub struct ArrowRows {
    name: String,
    header: Vec<String>,
    batches: Batches,
    kinds: [Option<Kind>; 8],
    current: [Option<Column>; 8],
    /// The next row of the current batch, and its length.
    at: usize,
    len: usize,
    /// Rows handed out so far (the current row's number).
    row: u64,
    /// Rows and bytes of the whole stream, when known, for the progress.
    size: Option<(u64, u64)>,
    time_text: String,
}

fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => true,
        DataType::Dictionary(_, values) => is_text(values),
        _ => false,
    }
}

/// How column `index` of the event columns is read, or why it cannot be.
fn kind_of(index: usize, data_type: &DataType) -> Result<Kind, String> {
    let name = EVENT_COLUMNS[index];
    if is_text(data_type) || (index == CREDITS && data_type.is_integer()) {
        return Ok(Kind::Text);
    }
    match data_type {
        DataType::Timestamp(unit, Some(_)) if index == TIME => Ok(Kind::Timestamp(*unit)),
        DataType::Timestamp(_, None) if index == TIME => Err(
            "column time is a timestamp without a time zone, which names no instant \
             (give it a time zone such as UTC, or write RFC 3339 strings)"
                .to_owned(),
        ),
        other => {
            let expected = match index {
                TIME => "strings or a timestamp with a time zone",
                CREDITS => "strings or integers",
                _ => "strings",
            };
            Err(format!(
                "column {name} has type {other}: expected {expected}"
            ))
        }
    }
}

impl ArrowRows {
    /// Reads `batches`, whose schema is `schema`. A missing required
    /// column, a column named twice or a column of a type it cannot hold
    /// is an error about the whole stream. `size` is the stream's rows and
    /// bytes, when known.
    pub fn new(
        name: &str,
        schema: &Schema,
        batches: Batches,
        size: Option<(u64, u64)>,
    ) -> Result<Self, LineError> {
        let whole = |detail: String| LineError {
            file: name.to_owned(),
            line: 0,
            detail,
        };
        let mut kinds = [None; 8];
        let mut seen: Vec<&str> = Vec::new();
        for field in schema.fields() {
            let column = field.name().as_str();
            if seen.contains(&column) {
                return Err(whole(format!("duplicate column {column}")));
            }
            seen.push(column);
            if let Some(index) = EVENT_COLUMNS.iter().position(|&c| c == column) {
                kinds[index] = Some(kind_of(index, field.data_type()).map_err(whole)?);
            }
        }
        if let Some(missing) = EVENT_COLUMNS[..3]
            .iter()
            .zip(&kinds)
            .find_map(|(name, kind)| kind.is_none().then_some(name))
        {
            return Err(whole(format!(
                "missing required column {missing} (header must have time, account, event)"
            )));
        }
        super::count_rows_of(name);
        Ok(ArrowRows {
            name: name.to_owned(),
            header: event_header(),
            batches,
            kinds,
            current: Default::default(),
            at: 0,
            len: 0,
            row: 0,
            size,
            time_text: String::new(),
        })
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The event columns, in the order the record holds them.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// An estimate of the bytes read: the share of rows read.
    pub fn bytes_read(&self) -> u64 {
        match self.size {
            Some((rows, bytes)) if rows > 0 => {
                (u128::from(self.row.min(rows)) * u128::from(bytes) / u128::from(rows)) as u64
            }
            _ => 0,
        }
    }

    /// Takes the next batch that holds rows; `false` at the end.
    fn next_batch(&mut self) -> Result<bool, LineError> {
        loop {
            let batch = match self.batches.next() {
                None => return Ok(false),
                Some(Ok(batch)) => batch,
                Some(Err(e)) => return Err(self.stop(format!("cannot read: {e}"))),
            };
            for (index, slot) in self.current.iter_mut().enumerate() {
                *slot = None;
                let Some(kind) = self.kinds[index] else {
                    continue;
                };
                let name = EVENT_COLUMNS[index];
                let Some(array) = batch.column_by_name(name) else {
                    return Err(LineError {
                        file: self.name.clone(),
                        line: self.row + 1,
                        detail: format!("column {name} is missing from a batch"),
                    });
                };
                *slot = Some(column(array, kind).map_err(|e| LineError {
                    file: self.name.clone(),
                    line: self.row + 1,
                    detail: format!("column {name}: {e}"),
                })?);
            }
            self.at = 0;
            self.len = batch.num_rows();
            if self.len > 0 {
                return Ok(true);
            }
        }
    }

    fn stop(&self, detail: String) -> LineError {
        LineError {
            file: self.name.clone(),
            line: self.row + 1,
            detail,
        }
    }

    /// Reads the next row into `record`; `Ok(None)` at the end.
    pub(crate) fn next_row(
        &mut self,
        record: &mut TextRecord,
    ) -> Result<Option<SourceRow>, LineError> {
        if self.at >= self.len && !self.next_batch()? {
            return Ok(None);
        }
        let at = self.at;
        self.at += 1;
        self.row += 1;
        let mut problem = None;
        let mut instant = None;
        // A timestamp in range is handed over as an instant, with an empty
        // `time` field; one out of range is written as its number, for the
        // rejection.
        self.time_text.clear();
        if let Some(Column::Timestamp(times, unit)) = &self.current[TIME] {
            if times.is_valid(at) {
                let value = times.value(at);
                instant = match unit {
                    TimeUnit::Second => DateTime::from_timestamp(value, 0),
                    TimeUnit::Millisecond => DateTime::from_timestamp_millis(value),
                    TimeUnit::Microsecond => DateTime::from_timestamp_micros(value),
                    TimeUnit::Nanosecond => Some(DateTime::from_timestamp_nanos(value)),
                };
                if instant.is_none() {
                    self.time_text = value.to_string();
                    problem = Some(format!("time {value} ({unit:?}s) is out of range"));
                }
            }
        }
        let mut fields = [""; 8];
        for (field, column) in fields.iter_mut().zip(&self.current) {
            *field = match column {
                Some(Column::Text(strings)) if strings.is_valid(at) => strings.value(at),
                Some(Column::Timestamp(..)) => &self.time_text,
                _ => "",
            };
        }
        record.set_text_fields(fields);
        if let Some(instant) = instant {
            record.set_instant(instant);
        }
        Ok(Some((self.row, problem)))
    }
}

/// A batch's column as the row reader reads it.
fn column(array: &ArrayRef, kind: Kind) -> Result<Column, ArrowError> {
    Ok(match kind {
        Kind::Text => {
            let text = arrow_cast::cast(array, &DataType::Utf8)?;
            Column::Text(text.as_string::<i32>().clone())
        }
        Kind::Timestamp(unit) => {
            let numbers = arrow_cast::cast(array, &DataType::Int64)?;
            Column::Timestamp(numbers.as_primitive::<Int64Type>().clone(), unit)
        }
    })
}
