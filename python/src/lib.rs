//! `creditsim._creditsim`: the Rust side of the Python package. It takes
//! Arrow C streams (pyarrow, Polars, DuckDB), runs the crate's replay over
//! their record batches and hands back each report's bytes exactly as
//! `creditsim replay` writes them; `creditsim/__init__.py` turns those
//! into pyarrow Tables and a dict. All the rules stay in the `creditsim`
//! crate.

#![deny(missing_docs)]

mod spark;

use arrow_array::ffi_stream::RecordBatchStreamReader;
use arrow_array::RecordBatchReader;
use arrow_pyarrow::FromPyArrow;
use creditsim::core::time::{parse_as_of, Instant};
use creditsim::core::{Engine, PlanBook, RuleBook};
use creditsim::input::duration::parse_duration;
use creditsim::input::format::{open_arrow, InputFile};
use creditsim::input::plans::load_plans;
use creditsim::input::rules::load_rules;
use creditsim::input::LineError;
use creditsim::replay::{replay, ReplayError as CrateReplayError, ReplayOptions, ReplayOutput};
use creditsim::report::balances::write_balances;
use creditsim::report::cells::CellPolicy;
use creditsim::report::ledger::LedgerWriter;
use creditsim::report::rejections::RejectionWriter;
use creditsim::report::statements::write_statements;
use creditsim::report::summary::write_summary;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::fs::File;
use std::path::PathBuf;

pyo3::create_exception!(
    _creditsim,
    ReplayError,
    PyValueError,
    "Input that stops a replay: the message is the one `creditsim replay` prints, without its `error: ` prefix."
);

/// Why a replay could not give reports: the message `creditsim replay`
/// would print (without `error: `).
pub(crate) struct Failure(pub(crate) String);

impl From<LineError> for Failure {
    fn from(error: LineError) -> Self {
        Failure(error.to_string())
    }
}

impl From<Failure> for PyErr {
    fn from(failure: Failure) -> Self {
        ReplayError::new_err(failure.0)
    }
}

/// The reports' bytes, as the CLI writes them to `--out`.
struct Reports {
    balances: Vec<u8>,
    ledger: Vec<u8>,
    statements: Vec<u8>,
    rejections: Vec<u8>,
    summary: Vec<u8>,
}

/// What a replay needs, read from Python while holding the GIL.
struct Request {
    events: Vec<(String, RecordBatchStreamReader)>,
    plans: PathBuf,
    rules: Option<PathBuf>,
    as_of: Option<Instant>,
    task_window: chrono::TimeDelta,
    keep_going: bool,
}

fn open_file(path: &std::path::Path) -> Result<File, Failure> {
    File::open(path).map_err(|e| Failure(format!("{}: cannot read: {e}", path.display())))
}

/// The plans and the rule book (the built-in one without a path), read as
/// `creditsim replay` reads `--plans` and `--rules`.
pub(crate) fn load_books(
    plans: &std::path::Path,
    rules: Option<&std::path::Path>,
) -> Result<(PlanBook, RuleBook), Failure> {
    let plans_name = plans.display().to_string();
    let plans = load_plans(&plans_name, open_file(plans)?).map_err(|e| Failure(e.to_string()))?;
    let rules = match rules {
        Some(path) => load_rules(&path.display().to_string(), open_file(path)?)
            .map_err(|e| Failure(e.to_string()))?,
        None => RuleBook::builtin(),
    };
    Ok((plans, rules))
}

/// Runs the replay as `creditsim replay` does, reports in memory.
fn run(request: Request) -> Result<Reports, Failure> {
    let (plans, rules) = load_books(&request.plans, request.rules.as_deref())?;
    let mut files: Vec<InputFile> = Vec::with_capacity(request.events.len());
    for (name, reader) in request.events {
        let schema = reader.schema();
        files.push(open_arrow(&name, &schema, Box::new(reader))?);
    }
    let engine = Engine::new(plans, rules).with_task_window(request.task_window);
    let options = ReplayOptions {
        as_of: request.as_of,
        keep_going: request.keep_going,
        watch_account: None,
    };
    let written = |e: std::io::Error| Failure(format!("writing reports: {e}"));
    let cells = CellPolicy::Exact;
    let mut output = ReplayOutput {
        ledger: LedgerWriter::new(Vec::new()).map_err(written)?,
        rejections: RejectionWriter::new(Vec::new()).map_err(written)?,
        entry_sink: None,
        // Every statement is held to the end: the reports are held in
        // memory anyway, as Tables.
        closed_statements: None,
    };
    let replayed = replay(engine, files, &options, &mut output, |_| {}).map_err(|e| match e {
        CrateReplayError::Input(e) => Failure::from(e),
        CrateReplayError::Output(e) => written(e),
    })?;
    let engine = &replayed.engine;
    let statements = replayed
        .statements
        .into_sorted(|id| engine.account_name(id));
    let accounts = engine.accounts_by_name();
    Ok(Reports {
        balances: write_balances(Vec::new(), &accounts, cells).map_err(written)?,
        ledger: output.ledger.finish().map_err(written)?,
        statements: write_statements(
            Vec::new(),
            &statements,
            |s| engine.account_name(s.account),
            cells,
        )
        .map_err(written)?,
        rejections: output.rejections.finish().map_err(written)?,
        summary: write_summary(Vec::new(), &replayed.summary, accounts.len() as u64)
            .map_err(written)?,
    })
}

/// balances.csv, ledger.csv, statements.csv, rejections.csv, summary.json.
type ReportBytes<'py> = (
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
);

/// Replays Arrow event streams into the reports' bytes.
///
/// `events` is a list of `(name, stream)`, each stream anything with
/// `__arrow_c_stream__` (or a pyarrow RecordBatchReader), merged by time
/// as the CLI merges files. Returns the bytes of balances.csv, ledger.csv,
/// statements.csv, rejections.csv and summary.json, identical to the
/// files `creditsim replay --out` writes for the same rows. The GIL is
/// released while the replay runs.
#[pyfunction]
#[pyo3(signature = (events, plans, rules, as_of, task_window, keep_going))]
fn replay_bytes<'py>(
    py: Python<'py>,
    events: Vec<(String, Bound<'py, PyAny>)>,
    plans: PathBuf,
    rules: Option<PathBuf>,
    as_of: Option<String>,
    task_window: &str,
    keep_going: bool,
) -> PyResult<ReportBytes<'py>> {
    let as_of = match as_of {
        Some(text) => Some(parse_as_of(&text).map_err(|e| {
            PyValueError::new_err(format!("invalid value '{text}' for as_of: {e}"))
        })?),
        None => None,
    };
    let task_window = parse_duration(task_window).map_err(|e| {
        PyValueError::new_err(format!(
            "invalid value '{task_window}' for task_window: {e}"
        ))
    })?;
    let mut streams = Vec::with_capacity(events.len());
    for (name, stream) in events {
        streams.push((name, RecordBatchStreamReader::from_pyarrow_bound(&stream)?));
    }
    let request = Request {
        events: streams,
        plans,
        rules,
        as_of,
        task_window,
        keep_going,
    };
    // Producers that need the GIL to hand out a batch (a pyarrow reader
    // over a Python generator) take it on the reading thread.
    let reports = py.detach(|| run(request))?;
    Ok((
        PyBytes::new(py, &reports.balances),
        PyBytes::new(py, &reports.ledger),
        PyBytes::new(py, &reports.statements),
        PyBytes::new(py, &reports.rejections),
        PyBytes::new(py, &reports.summary),
    ))
}

/// The Rust extension of the `creditsim` package.
#[pymodule]
fn _creditsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(replay_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(spark::check_schema, m)?)?;
    m.add_function(wrap_pyfunction!(spark::as_of_key, m)?)?;
    m.add_function(wrap_pyfunction!(spark::combine_summaries, m)?)?;
    m.add_class::<spark::RowTimes>()?;
    m.add_class::<spark::PartitionReplay>()?;
    m.add("ReplayError", m.py().get_type::<ReplayError>())?;
    Ok(())
}
