//! The executors' side of `creditsim.spark.replay` (see
//! `creditsim/spark.py`): the time of each row for the driver's ordering
//! columns ([`RowTimes`]), and one engine over a partition's stream of
//! Arrow batches ([`PartitionReplay`]), which returns the report rows with
//! the keys that put them in `creditsim replay`'s order.
//!
//! Every row it returns is one record of a report, tagged and keyed:
//! `tag` (`ledger`, `rejections`, `balances`, `statements`, `summary`,
//! `error`), the key `(ks, kn, kk, ka, kf, kl, seq)`, the record as the
//! CLI writes it (`csv`, with its line end) and its cells (`fields`).
//! Ledger and rejection rows sort on the key into RULES.md section 8's
//! order: `(ks, kn)` the time (seconds and nanoseconds; a roll-over's
//! boundary, a row's merge time), `kk` 0 for a roll-over and 1 for a row's
//! own entries, `ka` a roll-over's account, `(kf, kl)` a row's file and
//! line, `seq` the order within the partition. Balances and statements sort
//! on `(ka, seq)`.

use arrow_array::builder::{Int64Builder, ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch};
use arrow_pyarrow::PyArrowType;
use arrow_schema::ArrowError;
use creditsim::core::time::Instant;
use creditsim::core::{Engine, PlanBook, Reason, RuleBook, StatementBook, Summary};
use creditsim::input::events::{out_of_order_detail, RowClass};
use creditsim::input::format::{open_arrow, InputFile};
use creditsim::report::balances::write_balances;
use creditsim::report::cells::CellPolicy;
use creditsim::report::ledger::LedgerWriter;
use creditsim::report::rejections::{RejectedRow, RejectionWriter};
use creditsim::report::statements::write_statements;
use creditsim::report::summary::write_summary;
use creditsim::Decimal;
use pyo3::prelude::*;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::{load_books, Failure};

/// Batches handed to an engine's event file as they come: the file pulls
/// the next one only when it has read every row before it.
#[derive(Clone, Default)]
struct Queue(Arc<Mutex<VecDeque<RecordBatch>>>);

impl Iterator for Queue {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.lock().ok()?.pop_front().map(Ok)
    }
}

impl Queue {
    fn push(&self, batch: RecordBatch) {
        if let Ok(mut queue) = self.0.lock() {
            queue.push_back(batch);
        }
    }
}

fn arrow_error(e: ArrowError) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.to_string())
}

/// Opens one Arrow stream as the crate does, its batches from `queue`.
fn open_queue(name: &str, batch: &RecordBatch, queue: &Queue) -> Result<InputFile, Failure> {
    open_arrow(name, &batch.schema(), Box::new(queue.clone())).map_err(Failure::from)
}

/// Seconds and nanoseconds of an instant, the sortable form of the keys.
fn split(time: Instant) -> (i64, i64) {
    (time.timestamp(), i64::from(time.timestamp_subsec_nanos()))
}

fn join(seconds: i64, nanos: i64) -> Option<Instant> {
    Instant::from_timestamp(seconds, u32::try_from(nanos).ok()?)
}

/// The `(seconds, nanoseconds)` key of an `as_of` text, read as
/// `--as-of` is.
#[pyfunction]
pub fn as_of_key(text: &str) -> PyResult<(i64, i64)> {
    let time = creditsim::core::time::parse_as_of(text).map_err(|e| {
        pyo3::exceptions::PyValueError::new_err(format!("invalid value '{text}' for as_of: {e}"))
    })?;
    Ok(split(time))
}

/// Checks a stream's schema as `creditsim replay` checks a file's columns;
/// raises `ReplayError` with the CLI's message.
#[pyfunction]
pub fn check_schema(name: &str, batch: PyArrowType<RecordBatch>) -> PyResult<()> {
    let queue = Queue::default();
    open_queue(name, &batch.0, &queue)?;
    Ok(())
}

/// The time of every well-formed row of a batch: `(seconds, nanoseconds)`
/// columns `_ts`, `_tn`, null for a malformed row.
#[pyclass(module = "creditsim._creditsim")]
pub struct RowTimes {
    rules: RuleBook,
}

#[pymethods]
impl RowTimes {
    #[new]
    #[pyo3(signature = (plans, rules))]
    fn new(plans: PathBuf, rules: Option<PathBuf>) -> PyResult<Self> {
        let (_, rules) = load_books(&plans, rules.as_deref())?;
        Ok(RowTimes { rules })
    }

    /// The `_ts` and `_tn` columns of `batch`, as a batch.
    fn times(&self, batch: PyArrowType<RecordBatch>) -> PyResult<PyArrowType<RecordBatch>> {
        let batch = batch.0;
        let rows = batch.num_rows();
        let queue = Queue::default();
        let mut file = open_queue("events", &batch, &queue)?;
        queue.push(batch);
        let mut seconds = Int64Builder::with_capacity(rows);
        let mut nanos = Int64Builder::with_capacity(rows);
        for _ in 0..rows {
            let time = match file.advance(&self.rules) {
                Ok(true) => match file.row().map(|row| &row.class) {
                    Some(RowClass::Malformed { .. }) | None => None,
                    Some(_) => file.event(&self.rules).ok().map(|e| e.time),
                },
                // A row that cannot be read at all: the partition's
                // engine meets it again and stops there.
                Ok(false) | Err(_) => None,
            };
            let (s, n) = time.map(split).unzip();
            seconds.append_option(s);
            nanos.append_option(n);
        }
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("_ts", Arc::new(seconds.finish())),
            ("_tn", Arc::new(nanos.finish())),
        ];
        Ok(PyArrowType(
            RecordBatch::try_from_iter(columns).map_err(arrow_error)?,
        ))
    }
}

/// Where a report row goes in its report.
#[derive(Default, Clone)]
struct Key {
    ks: i64,
    kn: i64,
    kk: i64,
    ka: String,
    kf: i64,
    kl: i64,
}

/// The rows a partition hands back, built column by column.
struct Out {
    tag: StringBuilder,
    ks: Int64Builder,
    kn: Int64Builder,
    kk: Int64Builder,
    ka: StringBuilder,
    kf: Int64Builder,
    kl: Int64Builder,
    seq: Int64Builder,
    csv: StringBuilder,
    fields: ListBuilder<StringBuilder>,
}

impl Out {
    fn new() -> Self {
        Out {
            tag: StringBuilder::new(),
            ks: Int64Builder::new(),
            kn: Int64Builder::new(),
            kk: Int64Builder::new(),
            ka: StringBuilder::new(),
            kf: Int64Builder::new(),
            kl: Int64Builder::new(),
            seq: Int64Builder::new(),
            csv: StringBuilder::new(),
            fields: ListBuilder::new(StringBuilder::new()),
        }
    }

    fn push(&mut self, tag: &str, key: &Key, seq: i64, record: &str) {
        self.tag.append_value(tag);
        self.ks.append_value(key.ks);
        self.kn.append_value(key.kn);
        self.kk.append_value(key.kk);
        self.ka.append_value(&key.ka);
        self.kf.append_value(key.kf);
        self.kl.append_value(key.kl);
        self.seq.append_value(seq);
        self.csv.append_value(record);
        for cell in cells(record) {
            self.fields.values().append_value(cell);
        }
        self.fields.append(true);
    }

    fn finish(mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("tag", Arc::new(self.tag.finish())),
            ("ks", Arc::new(self.ks.finish())),
            ("kn", Arc::new(self.kn.finish())),
            ("kk", Arc::new(self.kk.finish())),
            ("ka", Arc::new(self.ka.finish())),
            ("kf", Arc::new(self.kf.finish())),
            ("kl", Arc::new(self.kl.finish())),
            ("seq", Arc::new(self.seq.finish())),
            ("csv", Arc::new(self.csv.finish())),
            ("fields", Arc::new(self.fields.finish())),
        ];
        RecordBatch::try_from_iter(columns)
    }
}

/// The records of a CSV text (quoted fields may hold line ends), each
/// with its line end.
fn records(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, byte) in text.bytes().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                out.push(&text[start..=i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The cells of one CSV record, unquoted.
fn cells(record: &str) -> Vec<String> {
    let record = record.strip_suffix('\n').unwrap_or(record);
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    out.push(cell);
    out
}

/// The records of a report's bytes, less the header.
fn body(bytes: &[u8]) -> Result<Vec<String>, Failure> {
    let text = std::str::from_utf8(bytes).map_err(|e| Failure(format!("writing reports: {e}")))?;
    Ok(records(text)
        .into_iter()
        .skip(1)
        .map(str::to_owned)
        .collect())
}

fn written(e: std::io::Error) -> Failure {
    Failure(format!("writing reports: {e}"))
}

/// One engine over one partition's rows, fed batch by batch in the
/// partition's order (merge time, file, line). Its state (accounts,
/// cycles, tasks inside the window) carries from batch to batch.
#[pyclass(unsendable, module = "creditsim._creditsim")]
pub struct PartitionReplay {
    names: Vec<String>,
    rules: RuleBook,
    engine: Engine,
    statements: StatementBook,
    summary: Summary,
    as_of: Option<Instant>,
    keep_going: bool,
    queue: Queue,
    file: Option<InputFile>,
    stopped: bool,
    seq: i64,
}

/// The driver's columns of a batch.
struct Keys<'a> {
    file: &'a Int64Array,
    line: &'a Int64Array,
    ks: &'a Int64Array,
    kn: &'a Int64Array,
    ps: &'a Int64Array,
    pn: &'a Int64Array,
    pl: &'a Int64Array,
}

impl<'a> Keys<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, Failure> {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_primitive_opt::<Int64Type>())
                .ok_or_else(|| Failure(format!("the partition has no int64 column {name}")))
        };
        Ok(Keys {
            file: column("_file")?,
            line: column("_line")?,
            ks: column("_ks")?,
            kn: column("_kn")?,
            ps: column("_ps")?,
            pn: column("_pn")?,
            pl: column("_pl")?,
        })
    }
}

#[pymethods]
impl PartitionReplay {
    #[new]
    #[pyo3(signature = (names, plans, rules, as_of, task_window, keep_going))]
    fn new(
        names: Vec<String>,
        plans: PathBuf,
        rules: Option<PathBuf>,
        as_of: Option<(i64, i64)>,
        task_window: &str,
        keep_going: bool,
    ) -> PyResult<Self> {
        let (plans, rules): (PlanBook, RuleBook) = load_books(&plans, rules.as_deref())?;
        let window = creditsim::input::duration::parse_duration(task_window).map_err(|e| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "invalid value '{task_window}' for task_window: {e}"
            ))
        })?;
        let engine = Engine::new(plans, rules.clone()).with_task_window(window);
        Ok(PartitionReplay {
            names,
            rules,
            engine,
            statements: StatementBook::default(),
            summary: Summary::default(),
            as_of: as_of.and_then(|(s, n)| join(s, n)),
            keep_going,
            queue: Queue::default(),
            file: None,
            stopped: false,
            seq: 0,
        })
    }

    /// Replays one batch; the ledger and rejection rows it gave, and an
    /// `error` row where a row stops the replay.
    fn feed(&mut self, batch: PyArrowType<RecordBatch>) -> PyResult<PyArrowType<RecordBatch>> {
        let out = self.feed_batch(batch.0)?;
        Ok(PyArrowType(out.finish().map_err(arrow_error)?))
    }

    /// Rolls the accounts over up to the as-of time; the last ledger
    /// rows, then the balances, statements and summary rows.
    fn finish(&mut self) -> PyResult<PyArrowType<RecordBatch>> {
        let out = self.finish_replay()?;
        Ok(PyArrowType(out.finish().map_err(arrow_error)?))
    }
}

impl PartitionReplay {
    fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        self.seq
    }

    /// Counts and writes the entries the engine produced last: roll-overs
    /// (keyed by boundary and account) or a row's own (keyed by `row`).
    fn entries(
        &mut self,
        ledger: &mut LedgerWriter<Vec<u8>>,
        keys: &mut Vec<Key>,
        row: Option<&Key>,
        at: &dyn Fn(String) -> Failure,
    ) -> Result<(), Failure> {
        for entry in self.engine.entries() {
            let total = |e: creditsim::core::TotalOverflow| at(e.to_string());
            self.statements.record_entry(entry).map_err(total)?;
            self.summary.record_entry(entry).map_err(total)?;
            let account = self.engine.account_name(entry.account);
            ledger.write(entry, account).map_err(written)?;
            keys.push(match row {
                Some(key) => key.clone(),
                None => {
                    let (ks, kn) = split(entry.time);
                    Key {
                        ks,
                        kn,
                        kk: 0,
                        ka: account.to_owned(),
                        kf: 0,
                        kl: 0,
                    }
                }
            });
        }
        Ok(())
    }

    fn feed_batch(&mut self, batch: RecordBatch) -> Result<Out, Failure> {
        let mut out = Out::new();
        let rows = batch.num_rows();
        if self.stopped || rows == 0 {
            return Ok(out);
        }
        let name0 = self.names.first().cloned().unwrap_or_default();
        if self.file.is_none() {
            self.file = Some(open_queue(&name0, &batch, &self.queue)?);
        }
        let mut ledger = LedgerWriter::new(Vec::new()).map_err(written)?;
        let mut ledger_keys: Vec<Key> = Vec::new();
        let mut rejections = RejectionWriter::new(Vec::new()).map_err(written)?;
        let mut rejection_keys: Vec<Key> = Vec::new();
        let mut error: Option<(Key, String)> = None;
        let keys = Keys::of(&batch)?;
        let columns: Vec<_> = (0..rows)
            .map(|i| {
                (
                    keys.file.value(i),
                    keys.line.value(i),
                    keys.ks.value(i),
                    keys.kn.value(i),
                    if keys.ps.is_valid(i) {
                        join(keys.ps.value(i), keys.pn.value(i)).map(|t| (t, keys.pl.value(i)))
                    } else {
                        None
                    },
                )
            })
            .collect();
        self.queue.push(batch);
        let Some(mut file) = self.file.take() else {
            return Ok(out);
        };
        for (kf, kl, ks, kn, previous) in columns {
            let name = usize::try_from(kf)
                .ok()
                .and_then(|f| self.names.get(f))
                .cloned()
                .unwrap_or_default();
            let line = u64::try_from(kl).unwrap_or_default();
            let key = Key {
                ks,
                kn,
                kk: 1,
                ka: String::new(),
                kf,
                kl,
            };
            let message = |detail: String| format!("{name}:row {line}: {detail}");
            let at = |detail: String| Failure(message(detail));
            match file.advance(&self.rules) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    error = Some((key, message(e.detail)));
                    break;
                }
            }
            let class = file.row().map(|row| row.class.clone());
            let bad = match class {
                Some(RowClass::Malformed { detail }) => Some((Reason::Malformed, detail)),
                _ => match file.event(&self.rules) {
                    Err(detail) => Some((Reason::Malformed, detail)),
                    Ok(event) => match previous {
                        Some((latest, latest_line)) if event.time < latest => Some((
                            Reason::OutOfOrder,
                            out_of_order_detail(
                                event.time,
                                latest,
                                "row",
                                u64::try_from(latest_line).unwrap_or_default(),
                            ),
                        )),
                        _ => None,
                    },
                },
            };
            if let Some((reason, detail)) = bad {
                if !self.keep_going {
                    error = Some((key, message(detail)));
                    break;
                }
                let counted = self.summary.record_rejection(reason);
                if let Err(e) = counted {
                    error = Some((key, message(e.to_string())));
                    break;
                }
                let (time, account, event) = file.describe();
                rejections
                    .write(&RejectedRow {
                        file: &name,
                        line,
                        time: &time,
                        account: &account,
                        event: &event,
                        reason,
                        detail: &detail,
                    })
                    .map_err(written)?;
                rejection_keys.push(key);
                continue;
            }
            let Ok(event) = file.event(&self.rules) else {
                continue;
            };
            let time = event.time;
            if self.as_of.is_some_and(|as_of| time > as_of) {
                if let Err(e) = self.summary.record_skipped() {
                    error = Some((key, message(e.to_string())));
                    break;
                }
                continue;
            }
            let applied = (|| -> Result<(), Failure> {
                self.engine
                    .advance_to(time)
                    .map_err(|e| at(e.to_string()))?;
                self.entries(&mut ledger, &mut ledger_keys, None, &at)?;
                let applied = self.engine.apply(&event).map_err(|e| at(e.to_string()))?;
                self.entries(&mut ledger, &mut ledger_keys, Some(&key), &at)?;
                let total = |e: creditsim::core::TotalOverflow| at(e.to_string());
                self.statements.record_applied(&applied).map_err(total)?;
                self.summary.record_applied(&applied).map_err(total)?;
                if let Err(rejection) = &applied.outcome {
                    let time = creditsim::core::time::format_time(event.time);
                    let (account, name_of_event) = (event.account, event.action.name());
                    rejections
                        .write(&RejectedRow {
                            file: &name,
                            line,
                            time: &time,
                            account,
                            event: name_of_event,
                            reason: rejection.reason(),
                            detail: &rejection.to_string(),
                        })
                        .map_err(written)?;
                    rejection_keys.push(key.clone());
                }
                Ok(())
            })();
            if let Err(Failure(text)) = applied {
                error = Some((key, text));
                break;
            }
        }
        self.file = Some(file);
        self.emit(
            &mut out,
            "ledger",
            ledger.finish().map_err(written)?,
            ledger_keys,
        )?;
        self.emit(
            &mut out,
            "rejections",
            rejections.finish().map_err(written)?,
            rejection_keys,
        )?;
        if let Some((key, text)) = error {
            self.stopped = true;
            out.push("error", &key, 0, &text);
        }
        Ok(out)
    }

    /// Adds the records of a report's bytes with their keys.
    fn emit(
        &mut self,
        out: &mut Out,
        tag: &str,
        bytes: Vec<u8>,
        keys: Vec<Key>,
    ) -> Result<(), Failure> {
        let records = body(&bytes)?;
        if records.len() != keys.len() {
            return Err(Failure(format!(
                "{tag}: {} records for {} keys",
                records.len(),
                keys.len()
            )));
        }
        for (record, key) in records.iter().zip(&keys) {
            let seq = self.next_seq();
            out.push(tag, key, seq, record);
        }
        Ok(())
    }

    fn finish_replay(&mut self) -> Result<Out, Failure> {
        let mut out = Out::new();
        if self.stopped {
            return Ok(out);
        }
        if let Some(as_of) = self.as_of {
            let name = format!("--as-of {}", creditsim::core::time::format_time(as_of));
            let at = |detail: String| Failure(format!("{name}: {detail}"));
            let mut ledger = LedgerWriter::new(Vec::new()).map_err(written)?;
            let mut keys = Vec::new();
            let advanced = self
                .engine
                .advance_to(as_of)
                .map_err(|e| at(e.to_string()))
                .and_then(|()| self.entries(&mut ledger, &mut keys, None, &at));
            if let Err(Failure(text)) = advanced {
                // After every row, as the CLI's end of replay.
                let key = Key {
                    ks: i64::MAX,
                    ..Key::default()
                };
                out.push("error", &key, 0, &text);
                return Ok(out);
            }
            self.emit(&mut out, "ledger", ledger.finish().map_err(written)?, keys)?;
        }
        let cells = CellPolicy::Exact;
        let statements = std::mem::take(&mut self.statements);
        let engine = &self.engine;
        let statements = statements.into_sorted(|id| engine.account_name(id));
        let accounts = engine.accounts_by_name();
        let balances = write_balances(Vec::new(), &accounts, cells).map_err(written)?;
        let balance_rows = body(&balances)?;
        let statement_rows = body(
            &write_statements(
                Vec::new(),
                &statements,
                |s| engine.account_name(s.account),
                cells,
            )
            .map_err(written)?,
        )?;
        let mut seq = 0;
        for (record, account) in balance_rows.iter().zip(&accounts) {
            let key = Key {
                ka: account.name.to_string(),
                ..Key::default()
            };
            seq += 1;
            out.push("balances", &key, seq, record);
        }
        for (record, statement) in statement_rows.iter().zip(&statements) {
            let key = Key {
                ka: engine.account_name(statement.account).to_owned(),
                ..Key::default()
            };
            seq += 1;
            out.push("statements", &key, seq, record);
        }
        out.push("summary", &Key::default(), 0, &summary_text(&self.summary));
        Ok(out)
    }
}

/// A partition's totals as one CSV record: rows, accepted, rejected,
/// skipped, fees, purchases, the seven credit totals, songs, lyrics, then
/// the count of every reason in `Reason::ALL`'s order.
fn summary_text(summary: &Summary) -> String {
    let c = &summary.credits;
    let mut cells: Vec<String> = vec![
        summary.rows.to_string(),
        summary.accepted.to_string(),
        summary.rejected.to_string(),
        summary.skipped.to_string(),
        summary.fees_usd.to_string(),
        summary.purchases_usd.to_string(),
        c.granted.to_string(),
        c.purchased.to_string(),
        c.used_extra.to_string(),
        c.used_subscription.to_string(),
        c.refunded_extra.to_string(),
        c.refunded_subscription.to_string(),
        c.expired.to_string(),
        summary.songs.to_string(),
        summary.lyrics.to_string(),
    ];
    cells.extend(summary.rejections.iter().map(u64::to_string));
    cells.join(",")
}

/// summary.json of the partitions' summary records (see
/// [`summary_text`]) and the number of accounts, as `creditsim replay`
/// writes it.
#[pyfunction]
pub fn combine_summaries(parts: Vec<String>, accounts: u64) -> PyResult<String> {
    let mut total = Summary::default();
    let bad = |what: &str| Failure(format!("a partition's summary has a bad {what}"));
    let over = |what: &str| Failure(format!("the total {what} passes u64::MAX"));
    for part in parts {
        let cells: Vec<&str> = part.split(',').collect();
        let number = |i: usize| -> Result<u64, Failure> {
            cells
                .get(i)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| bad("count"))
        };
        let money = |i: usize| -> Result<Decimal, Failure> {
            cells
                .get(i)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| bad("amount"))
        };
        let add = |a: &mut u64, b: u64, what: &str| -> Result<(), Failure> {
            *a = a.checked_add(b).ok_or_else(|| over(what))?;
            Ok(())
        };
        add(&mut total.rows, number(0)?, "rows")?;
        add(&mut total.accepted, number(1)?, "accepted")?;
        add(&mut total.rejected, number(2)?, "rejected")?;
        add(&mut total.skipped, number(3)?, "skipped")?;
        total.fees_usd = total
            .fees_usd
            .checked_add(money(4)?)
            .ok_or_else(|| over("fees"))?;
        total.purchases_usd = total
            .purchases_usd
            .checked_add(money(5)?)
            .ok_or_else(|| over("purchases"))?;
        let c = &mut total.credits;
        add(&mut c.granted, number(6)?, "granted")?;
        add(&mut c.purchased, number(7)?, "purchased")?;
        add(&mut c.used_extra, number(8)?, "used_extra")?;
        add(&mut c.used_subscription, number(9)?, "used_subscription")?;
        add(&mut c.refunded_extra, number(10)?, "refunded_extra")?;
        add(
            &mut c.refunded_subscription,
            number(11)?,
            "refunded_subscription",
        )?;
        add(&mut c.expired, number(12)?, "expired")?;
        add(&mut total.songs, number(13)?, "songs")?;
        add(&mut total.lyrics, number(14)?, "lyrics")?;
        for (i, count) in total.rejections.iter_mut().enumerate() {
            add(count, number(15 + i)?, "rejections")?;
        }
    }
    let bytes = write_summary(Vec::new(), &total, accounts).map_err(written)?;
    Ok(String::from_utf8(bytes).map_err(|e| Failure(e.to_string()))?)
}
