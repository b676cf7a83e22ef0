//! Reading one events CSV: `time,account,event,plan,provider,operation,task,credits`
//! (columns in any order, unknown columns ignored, only `time`, `account`
//! and `event` required). Each row is classified as it is read: well
//! formed, `malformed`, or `out_of_order` against the latest well-formed,
//! in-order row before it in its file.

use super::batch::{BadRow, Batch};
use super::csv_source::{not_utf8, parse_whole, CsvSource, TextRecord};
use super::source::Source;
use super::LineError;
use crate::core::time::{format_time, parse_time, Instant};
use crate::core::{ActionOf, Event, Reason, RuleBook};
use std::borrow::Cow;
use std::io::Read;

pub use super::columns::EVENT_COLUMNS;
const REQUIRED_COLUMNS: usize = 3;
const TIME: usize = 0;
const ACCOUNT: usize = 1;
const EVENT: usize = 2;
const PLAN: usize = 3;
const PROVIDER: usize = 4;
const OPERATION: usize = 5;
const TASK: usize = 6;
const CREDITS: usize = 7;

/// How a row was classified when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowClass {
    /// Well formed and in order.
    Good {
        /// Its time.
        time: Instant,
    },
    /// Could not be read as an event.
    Malformed {
        /// What is wrong.
        detail: String,
    },
    /// Earlier than the latest good row before it in its file.
    OutOfOrder {
        /// What is wrong.
        detail: String,
    },
}

/// The row an events file is positioned on.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its physical line.
    pub line: u64,
    /// Its classification.
    pub class: RowClass,
    /// Where it goes in the merge: its time when good, else the time of
    /// the latest good row before it (so it follows that row).
    pub merge_time: Instant,
}

/// A well-formed row as parsed: its time, and its action with the column
/// of each string, so that the event is taken from the record without
/// parsing the time, the number or the rule book lookup again.
#[derive(Debug, Clone, Copy)]
struct Parsed {
    time: Instant,
    action: ActionOf<usize>,
}

/// One events file, read a row at a time.
pub struct EventFile<R> {
    source: Source<R>,
    columns: [Option<usize>; 8],
    record: TextRecord,
    latest_good: Option<(Instant, u64)>,
    row: Option<Row>,
    /// The current row as parsed, when it is well formed.
    parsed: Option<Parsed>,
}

impl<R: Read> EventFile<R> {
    /// Opens an events stream and checks its header. Header problems stop
    /// the run even with `--keep-going`: without a header no row can be
    /// read.
    ///
    /// # Errors
    ///
    /// A [`LineError`] at line 1 when the header cannot be read, lacks a
    /// required column or names one twice.
    pub fn open(name: &str, input: R) -> Result<Self, LineError> {
        let source = CsvSource::open(name, input)?;
        let columns = source.columns(EVENT_COLUMNS, REQUIRED_COLUMNS)?;
        Ok(Self::of_source(Source::Csv(source), columns))
    }

    /// An events file whose rows come as [`EVENT_COLUMNS`] in that order
    /// (JSON Lines, Arrow): see [`Source`].
    pub(crate) fn of_source(source: Source<R>, columns: [Option<usize>; 8]) -> Self {
        EventFile {
            source,
            columns,
            record: TextRecord::default(),
            latest_good: None,
            row: None,
            parsed: None,
        }
    }

    /// The path as given.
    pub fn name(&self) -> &str {
        self.source.name()
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.source.bytes_read()
    }

    /// The current row, if any.
    pub fn row(&self) -> Option<&Row> {
        self.row.as_ref()
    }

    /// Moves to the next row and classifies it; `Ok(false)` at the end.
    ///
    /// # Errors
    ///
    /// A [`LineError`] for a row that cannot be read at all (I/O, bad UTF-8 in
    /// a used field, a row too long); a row that is read but not valid is
    /// classified, not an error.
    pub fn advance(&mut self, rules: &RuleBook) -> Result<bool, LineError> {
        self.parsed = None;
        let Some((line, problem)) = self.source.next_row(&mut self.record)? else {
            self.row = None;
            return Ok(false);
        };
        let merge_time = self.latest_good.map_or(Instant::MIN_UTC, |(t, _)| t);
        let parsed = match problem {
            Some(detail) => Err(detail),
            None => parse_event(self.source.header(), &self.columns, &self.record, rules),
        };
        if let Ok(event) = parsed {
            self.parsed = Some(event);
        }
        let class = match parsed {
            Err(detail) => RowClass::Malformed { detail },
            Ok(event) => match self.latest_good {
                Some((latest, latest_line)) if event.time < latest => RowClass::OutOfOrder {
                    detail: out_of_order_detail(
                        event.time,
                        latest,
                        self.source.position_word(),
                        latest_line,
                    ),
                },
                _ => RowClass::Good { time: event.time },
            },
        };
        let merge_time = match class {
            RowClass::Good { time } => {
                self.latest_good = Some((time, line));
                time
            }
            _ => merge_time,
        };
        self.row = Some(Row {
            line,
            class,
            merge_time,
        });
        Ok(true)
    }

    /// The current row as an event (for a row classified good).
    ///
    /// # Errors
    ///
    /// The message for a row whose fields do not make an event (its time,
    /// credits or names); rows classified good never give one.
    pub fn event(&self, rules: &RuleBook) -> Result<Event<'_>, String> {
        let parsed = match self.parsed {
            Some(parsed) => parsed,
            None => parse_event(self.source.header(), &self.columns, &self.record, rules)?,
        };
        Ok(self.event_of(parsed))
    }

    /// The event of a parsed row, its strings taken from the record.
    fn event_of(&self, parsed: Parsed) -> Event<'_> {
        // `parse_event` checked that every field it names is UTF-8.
        let text = |column: usize| {
            let field = self.record.field(self.columns[column]);
            debug_assert!(field.is_ok(), "a parsed row's field is UTF-8");
            field.unwrap_or_default()
        };
        Event {
            time: parsed.time,
            account: text(ACCOUNT),
            action: parsed.action.map(text),
        }
    }

    /// Copies the current row into `batch`, as row of file number `file`
    /// with `bytes` for the progress display.
    pub fn push_to(&self, file: u32, bytes: u64, batch: &mut Batch) {
        let Some(row) = &self.row else { return };
        let bad = |reason, detail: &String| {
            let (time, account, event) = self.describe();
            BadRow {
                reason,
                detail: detail.clone(),
                described: (time, account.into_owned(), event.into_owned()),
            }
        };
        match (&row.class, self.parsed) {
            (RowClass::Good { .. }, Some(parsed)) => {
                batch.push_good(file, row.line, bytes, self.event_of(parsed));
            }
            (RowClass::OutOfOrder { detail }, _) => {
                batch.push_bad(file, row.line, bytes, bad(Reason::OutOfOrder, detail));
            }
            (RowClass::Malformed { detail }, _) => {
                batch.push_bad(file, row.line, bytes, bad(Reason::Malformed, detail));
            }
            // `advance` keeps what it parsed of every good row.
            (RowClass::Good { .. }, None) => {
                let detail = "row could not be parsed again".to_owned();
                batch.push_bad(file, row.line, bytes, bad(Reason::Malformed, &detail));
            }
        }
    }

    /// The current row's time (normalised when it parses, else as read),
    /// account and event name, as written to `rejections.csv`.
    pub fn describe(&self) -> (String, Cow<'_, str>, Cow<'_, str>) {
        let text =
            |column: usize| String::from_utf8_lossy(self.record.raw_field(self.columns[column]));
        let time = match self.record.instant() {
            Some(instant) => format_time(instant),
            None => {
                let time_text = text(TIME);
                parse_time(&time_text).map_or_else(|_| time_text.into_owned(), format_time)
            }
        };
        (time, text(ACCOUNT), text(EVENT))
    }
}

/// The detail of an `out_of_order` rejection: a row at `time` follows,
/// in its file, the good row at `latest` on line (or row) `latest_line`;
/// `word` is `line` for CSV and JSON Lines, `row` for Arrow and Parquet.
/// A replay that finds out-of-order rows itself (the Spark replay of the
/// Python package, which does it across a file's partitions) words them
/// as a replay of the file does.
pub fn out_of_order_detail(time: Instant, latest: Instant, word: &str, latest_line: u64) -> String {
    format!(
        "time {} is earlier than {} on {word} {latest_line}",
        format_time(time),
        format_time(latest)
    )
}

/// Reads one row as an event: its time, and its action with the column of
/// each string (every one checked). The error is the `malformed` detail.
fn parse_event(
    header: &[String],
    columns: &[Option<usize>; 8],
    record: &TextRecord,
    rules: &RuleBook,
) -> Result<Parsed, String> {
    record.check_field_count(header.len())?;
    let text = |i: usize| record.field(columns[i]).map_err(|c| not_utf8(header, c));
    let time = match record.instant() {
        Some(time) => time,
        None => {
            let time_text = text(TIME)?;
            if time_text.is_empty() {
                return Err("missing field time".into());
            }
            parse_time(time_text).map_err(|e| e.to_string())?
        }
    };
    if text(ACCOUNT)?.is_empty() {
        return Err("missing field account".into());
    }
    let name = text(EVENT)?;
    let required = |i: usize| -> Result<&str, String> {
        let value = text(i)?;
        if value.is_empty() {
            Err(format!(
                "missing field {} for event {name}",
                EVENT_COLUMNS[i]
            ))
        } else {
            Ok(value)
        }
    };
    let action = match name {
        "subscribe" => {
            required(PLAN)?;
            ActionOf::Subscribe { plan: PLAN }
        }
        "cancel" => ActionOf::Cancel,
        "change_plan" => {
            required(PLAN)?;
            ActionOf::ChangePlan { plan: PLAN }
        }
        "purchase" => ActionOf::Purchase {
            credits: parse_whole("credits", required(CREDITS)?, " of credits")?,
        },
        "call" => {
            let provider = required(PROVIDER)?;
            let operation = required(OPERATION)?;
            let has_task = !text(TASK)?.is_empty();
            // Only a call without a task needs its rule here; most calls
            // have one, and the lookup is a fair share of a row's reading.
            if !has_task {
                if let Some(rule) = rules.get(provider, operation) {
                    if rule.credits > 0 {
                        return Err(format!(
                            "missing field task for a call that costs {} credits",
                            rule.credits
                        ));
                    }
                }
            }
            ActionOf::Call {
                provider: PROVIDER,
                operation: OPERATION,
                task: has_task.then_some(TASK),
            }
        }
        "refund" => {
            required(TASK)?;
            ActionOf::Refund { task: TASK }
        }
        "" => return Err("missing field event".into()),
        other => {
            return Err(format!(
                "unknown event {other} (expected one of {})",
                crate::core::EVENT_NAMES.join(", ")
            ))
        }
    };
    Ok(Parsed { time, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_out_of_order_detail_is_the_one_a_file_gives() {
        let csv = "time,account,event,plan\n\
                   2025-07-02T00:00:00Z,a,subscribe,basic\n\
                   2025-07-01T00:00:00.500Z,b,subscribe,basic\n";
        let rules = RuleBook::builtin();
        let mut file = EventFile::open("events.csv", csv.as_bytes()).unwrap();
        assert!(file.advance(&rules).unwrap());
        assert!(file.advance(&rules).unwrap());
        let latest = parse_time("2025-07-02T00:00:00Z").unwrap();
        let time = parse_time("2025-07-01T00:00:00.500Z").unwrap();
        let detail = out_of_order_detail(time, latest, "line", 2);
        assert_eq!(
            detail,
            "time 2025-07-01T00:00:00.500Z is earlier than 2025-07-02T00:00:00Z on line 2"
        );
        assert_eq!(
            file.row().map(|row| row.class.clone()),
            Some(RowClass::OutOfOrder { detail })
        );
    }
}
