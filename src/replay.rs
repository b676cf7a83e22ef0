//! The replay: drives the engine over merged event files and feeds the
//! reports. Rows are read and applied as they come; the ledger and the
//! rejections are written as the replay goes, so memory grows with
//! accounts, cycles and tasks inside the window, never with rows.

use crate::core::time::Instant;
use crate::core::{AccountId, Engine, Event, StatementBook, Summary};
use crate::input::batch::{BadRow, Batch, BatchRow, RowView};
use crate::input::events::EventFile;
use crate::input::reader::{read_batches, Message};
use crate::input::LineError;
use crate::report::ledger::LedgerWriter;
use crate::report::rejections::{RejectedRow, RejectionWriter};
pub use crate::report::sink::EntrySink;
use crate::report::statement_runs::StatementRuns;
use std::io::{self, Read, Write};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};

/// How a replay runs.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// Apply rows up to this time; later rows are skipped. Default: the
    /// latest time among the well-formed, in-order rows.
    pub as_of: Option<Instant>,
    /// Turn `malformed` and `out_of_order` rows into rejections instead of
    /// stopping.
    pub keep_going: bool,
    /// An account to look out for: [`Replayed::watched_seen`] tells whether
    /// any well-formed row (skipped ones included) names it.
    pub watch_account: Option<String>,
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Bad input: `FILE:LINE: what is wrong` (exit code 2).
    #[error("{0}")]
    Input(#[from] LineError),
    /// Writing a report failed (exit code 1).
    #[error("writing reports: {0}")]
    Output(#[from] io::Error),
}

/// How far a replay has got, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Rows read.
    pub rows: u64,
    /// Bytes read over all files.
    pub bytes: u64,
}

/// How often the progress hook is called, in rows.
pub use crate::input::reader::PROGRESS_EVERY_ROWS;

/// Batches on their way from the reading thread to the applying one. A
/// few are enough to smooth out the two sides' pace; more would only hold
/// memory.
const BATCHES_IN_FLIGHT: usize = 4;

/// Rows whose account, statement and task index slot are loaded together
/// ahead of applying them (see [`warm`]).
const WARM_ROWS: usize = 16;

/// Loads the accounts, latest statements and task index slots of the next
/// `WARM_ROWS` rows. With 100k accounts and 175k remembered charges these
/// are cache misses; applying a row needs the answer of each before going
/// on, so one at a time they are paid in full, while independent loads
/// issued back to back overlap. The guesses may be wrong (then this only
/// loads a line for nothing).
fn warm(engine: &Engine, statements: &StatementBook, rows: &[BatchRow]) {
    let mut sink = 0u64;
    for row in rows.iter().take(WARM_ROWS) {
        if let Some(id) = row.hint() {
            let task = row.task_key().map_or(0, |key| engine.warm_task(key));
            sink ^= engine.warm(id) ^ statements.warm(id) ^ task;
        }
    }
    std::hint::black_box(sink);
}

/// Where the streamed reports go. `io::sink()` discards them.
pub struct ReplayOutput<'a, L: Write, J: Write> {
    /// `ledger.csv`.
    pub ledger: LedgerWriter<L>,
    /// `rejections.csv`.
    pub rejections: RejectionWriter<J>,
    /// Also receives every ledger entry, such as the `--journal` writer.
    pub entry_sink: Option<&'a mut dyn EntrySink>,
    /// Receives the statements of cycles that closed during the replay
    /// (see [`StatementBook::take_closed`]); without it every statement is
    /// held to the end in [`Replayed::statements`].
    pub closed_statements: Option<&'a mut StatementRuns>,
}

/// The state at the end of a replay, for the end-of-run reports.
pub struct Replayed {
    /// The engine at the as-of time.
    pub engine: Engine,
    /// Statements of every cycle, less those handed to
    /// [`ReplayOutput::closed_statements`].
    pub statements: StatementBook,
    /// Totals.
    pub summary: Summary,
    /// The as-of time, if any row or `--as-of` gave one.
    pub as_of: Option<Instant>,
    /// Whether a well-formed row named [`ReplayOptions::watch_account`].
    pub watched_seen: bool,
}

/// Replays `files` (already opened, in the order given) through `engine`.
///
/// A second thread reads, merges and classifies the rows and hands them
/// over in batches, in merge order; this thread applies them and writes the
/// reports. The output is the same as reading and applying one row at a
/// time: the order is the merge order either way, and an input error
/// reaches this thread only after every row before it.
///
/// # Errors
///
/// [`ReplayError`] for a row that stops the run (malformed or out of order
/// without `keep_going`), a count past `u64::MAX`, or an I/O error of the
/// inputs or outputs. Business rejections are not errors: they are rows of the
/// rejections.
pub fn replay<R: Read + Send, L: Write, J: Write>(
    engine: Engine,
    files: Vec<EventFile<R>>,
    options: &ReplayOptions,
    output: &mut ReplayOutput<L, J>,
    progress: impl FnMut(Progress),
) -> Result<Replayed, ReplayError> {
    let rules = engine.rules().clone();
    let names: Vec<String> = files.iter().map(|f| f.name().to_owned()).collect();
    let (full, batches) = sync_channel::<Message>(BATCHES_IN_FLIGHT);
    let (recycle, empty) = channel::<Batch>();
    std::thread::scope(|scope| {
        let rules = &rules;
        let ids_from = (engine.account_count(), options.as_of);
        scope.spawn(move || read_batches(files, rules, &full, &empty, ids_from));
        // `batches` is dropped when this returns, even on an error, so
        // the reading thread stops and the scope can end.
        apply_batches(engine, &names, batches, &recycle, options, output, progress)
    })
}

/// Applies the rows of every batch in order; the state and totals of a
/// replay.
fn apply_batches<L: Write, J: Write>(
    engine: Engine,
    names: &[String],
    batches: Receiver<Message>,
    recycle: &Sender<Batch>,
    options: &ReplayOptions,
    output: &mut ReplayOutput<L, J>,
    mut progress: impl FnMut(Progress),
) -> Result<Replayed, ReplayError> {
    let mut applying = Applying {
        engine,
        statements: StatementBook::default(),
        summary: Summary::default(),
        latest_good: None,
        watched_seen: false,
        options,
        output,
    };
    let mut rows: u64 = 0;
    for message in batches {
        let mut batch = message?;
        for (i, row) in batch.rows().iter().enumerate() {
            if i % WARM_ROWS == 0 {
                warm(&applying.engine, &applying.statements, &batch.rows()[i..]);
            }
            rows += 1;
            let name = names.get(row.file as usize).map_or("", String::as_str);
            match batch.view(row) {
                RowView::Good(event, hint) => applying.good_row(&event, hint, (name, row.line))?,
                RowView::Bad(bad) => applying.bad_row(bad, (name, row.line))?,
            }
            if rows.is_multiple_of(PROGRESS_EVERY_ROWS) {
                progress(Progress {
                    rows,
                    bytes: row.bytes,
                });
            }
        }
        applying.spill_closed_statements()?;
        batch.clear();
        // The reading thread may have finished already: then the batch is
        // simply dropped.
        let _ = recycle.send(batch);
    }
    applying.finish()
}

/// The applying side of a replay: the engine and what it has told so far.
struct Applying<'o, 'a, L: Write, J: Write> {
    engine: Engine,
    statements: StatementBook,
    summary: Summary,
    /// The latest time of a well-formed, in-order row: the default as-of.
    latest_good: Option<Instant>,
    watched_seen: bool,
    options: &'o ReplayOptions,
    output: &'o mut ReplayOutput<'a, L, J>,
}

/// Where a row was read: its file's name and its line.
type RowAt<'n> = (&'n str, u64);

fn error_at((file, line): RowAt<'_>, detail: String) -> LineError {
    LineError {
        file: file.to_owned(),
        line,
        detail,
    }
}

impl<L: Write, J: Write> Applying<'_, '_, L, J> {
    /// A `malformed` or `out_of_order` row: the run stops, or with
    /// `keep_going` the row is a rejection.
    fn bad_row(&mut self, bad: &BadRow, at: RowAt<'_>) -> Result<(), ReplayError> {
        if !self.options.keep_going {
            return Err(error_at(at, bad.detail.clone()).into());
        }
        self.summary
            .record_rejection(bad.reason)
            .map_err(|e| error_at(at, e.to_string()))?;
        let (time, account, event) = &bad.described;
        let rejected = RejectedRow {
            file: at.0,
            line: at.1,
            time,
            account,
            event,
            reason: bad.reason,
            detail: &bad.detail,
        };
        self.output.rejections.write(&rejected)?;
        if let Some(sink) = self.output.entry_sink.as_deref_mut() {
            sink.unread(&rejected)?;
        }
        Ok(())
    }

    /// A well-formed, in-order row: applied, unless it is past the as-of
    /// time; its entries and any rejection written.
    fn good_row(
        &mut self,
        event: &Event<'_>,
        hint: Option<AccountId>,
        at: RowAt<'_>,
    ) -> Result<(), ReplayError> {
        let total = |e: crate::core::TotalOverflow| error_at(at, e.to_string());
        let time = event.time;
        self.latest_good = self.latest_good.max(Some(time));
        if let Some(watched) = &self.options.watch_account {
            self.watched_seen = self.watched_seen || event.account == watched;
        }
        if self.options.as_of.is_some_and(|as_of| time > as_of) {
            self.summary.record_skipped().map_err(total)?;
            return Ok(());
        }
        let applied = self
            .engine
            .apply_hinted(event, hint)
            .map_err(|e| error_at(at, e.to_string()))?;
        self.record_entries(Some(event)).map_err(|e| e.at(at))?;
        self.statements.record_applied(&applied).map_err(total)?;
        self.summary.record_applied(&applied).map_err(total)?;
        if let Err(rejection) = &applied.outcome {
            self.output
                .rejections
                .write_rejected_event(at, event, rejection)?;
        }
        if let Some(sink) = self.output.entry_sink.as_deref_mut() {
            sink.applied(event, &applied, at.0, at.1)?;
        }
        Ok(())
    }

    /// Hands the statements of cycles closed by now to
    /// [`ReplayOutput::closed_statements`], if it is set.
    fn spill_closed_statements(&mut self) -> Result<(), ReplayError> {
        if let (Some(runs), Some(now)) = (
            self.output.closed_statements.as_deref_mut(),
            self.engine.now(),
        ) {
            let closed = self.statements.take_closed(now, self.engine.task_window());
            runs.spill(closed, |id| self.engine.account_name(id))?;
        }
        Ok(())
    }

    /// Rolls every account over up to the as-of time and gives the state.
    fn finish(mut self) -> Result<Replayed, ReplayError> {
        let as_of = self.options.as_of.or(self.latest_good);
        if let Some(as_of) = as_of {
            // The roll-overs up to the as-of time come from no row.
            let file = format!("--as-of {}", crate::core::time::format_time(as_of));
            let end = (file.as_str(), 0);
            self.engine
                .advance_to(as_of)
                .map_err(|e| error_at(end, e.to_string()))?;
            self.record_entries(None).map_err(|e| e.at(end))?;
        }
        Ok(Replayed {
            engine: self.engine,
            statements: self.statements,
            summary: self.summary,
            as_of,
            watched_seen: self.watched_seen,
        })
    }

    /// Writes and counts the entries the engine produced last.
    fn record_entries(&mut self, event: Option<&Event<'_>>) -> Result<(), EntryError> {
        for entry in self.engine.entries() {
            self.statements
                .record_entry(entry)
                .map_err(EntryError::Total)?;
            self.summary
                .record_entry(entry)
                .map_err(EntryError::Total)?;
            let account = self.engine.account_name(entry.account);
            self.output
                .ledger
                .write(entry, account)
                .map_err(EntryError::Io)?;
            if let Some(sink) = self.output.entry_sink.as_deref_mut() {
                sink.entry(entry, account, event).map_err(EntryError::Io)?;
            }
        }
        Ok(())
    }
}

enum EntryError {
    Total(crate::core::TotalOverflow),
    Io(io::Error),
}

impl EntryError {
    fn at(self, at: RowAt<'_>) -> ReplayError {
        match self {
            EntryError::Total(t) => ReplayError::Input(error_at(at, t.to_string())),
            EntryError::Io(e) => ReplayError::Output(e),
        }
    }
}
