//! The `creditsim` command: replay usage CSVs into reports, or print one
//! account's balance. All the rules live in the library; this file only
//! parses arguments, opens files and maps failures to exit codes.

mod diagnostic;
mod explain_command;
mod progress;
mod replay_command;
mod shell_command;
mod simulate_command;

use diagnostic::{Diagnostic, ErrorFormat};

use clap::{Args, Parser, Subcommand};
use creditsim::core::time::Instant;
use creditsim::core::{Engine, PlanBook, RuleBook, StatementBook, Summary};
use creditsim::input::duration::parse_duration;
use creditsim::input::format::{open_events, Format, InputFile};
use creditsim::input::plans::load_plans;
use creditsim::input::rules::load_rules;
use creditsim::input::{LineError, LoadErrors};
use creditsim::replay::{replay, ReplayError, ReplayOptions, ReplayOutput};
use creditsim::report::balances::write_balances;
use creditsim::report::cells::CellPolicy;
use creditsim::report::ledger::LedgerWriter;
use creditsim::report::manifest::{Manifest, MANIFEST_FILE};
use creditsim::report::rejections::RejectionWriter;
use creditsim::report::statement_runs::StatementRuns;
use creditsim::report::summary::write_summary;
use creditsim::report::ReportDir;
use std::fmt::Display;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Credit accounting and billing for an AI music generation API.
///
/// creditsim replays usage logs (CSV, JSON Lines or Parquet) through the
/// credit rules of the API's Credits Usage Guide: monthly subscription
/// credits that reset every billing cycle, extra credits that never expire
/// and are spent first, and a cost per API call by provider and operation.
#[derive(Parser)]
#[command(name = "creditsim", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How errors are printed on standard error: text (every line
    /// error: FILE:LINE: message, the position when one is known) or json
    /// (one JSON object per error with the keys file, line or row, message
    /// and exit_code; file, line and row only when known).
    #[arg(long, global = true, value_name = "FORMAT", default_value = "text")]
    error_format: ErrorFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Replay event files and write balances, ledger, statements,
    /// rejections and a summary to --out.
    #[command(after_long_help = replay_command::REPLAY_EXAMPLES)]
    Replay(replay_command::ReplayArgs),
    /// Replay event files and print one account's balance as the API's
    /// get-credits does: {"credits":N,"extra_credits":M}.
    #[command(after_long_help = BALANCE_EXAMPLES)]
    Balance(BalanceArgs),
    /// Replay the same event files under other terms (scenarios) and
    /// compare revenue and usage account by account: scenarios.csv,
    /// accounts.csv, and with --best-plan each account's cheapest plan.
    #[command(after_long_help = simulate_command::SIMULATE_EXAMPLES)]
    Simulate(simulate_command::SimulateArgs),
    /// Explain one account to support: its statement cycle by cycle
    /// (fees, grants, purchases, usage, refunds, rejections with a sentence
    /// for the customer, expiry) and its balance now; with --task, where
    /// each charge of a task came from and why.
    #[command(after_long_help = explain_command::EXPLAIN_EXAMPLES)]
    Explain(explain_command::ExplainArgs),
    /// Print a shell completion script. Example: creditsim completions
    /// bash > ~/.local/share/bash-completion/completions/creditsim
    Completions(shell_command::CompletionsArgs),
    /// Print the man page of creditsim and its subcommands (roff).
    /// Example: creditsim man > creditsim.1 && man ./creditsim.1
    Man,
}

const BALANCE_EXAMPLES: &str = "\
Examples:
  creditsim balance --plans fixtures/plans.example.csv --account pat fixtures/seed_rules/events.csv
  creditsim balance --plans plans.csv --as-of 2025-07-15T00:00:00Z --account acct-42 usage.csv

An account named in no well-formed row is an error (exit code 2).";

/// Options shared by both subcommands.
#[derive(Args)]
struct Common {
    /// Plans CSV: plan,price_usd,monthly_credits (price per billing cycle,
    /// credits granted per cycle). Example row: basic,8.00,1000
    #[arg(long, value_name = "FILE")]
    plans: PathBuf,
    /// Rule book CSV: provider,operation,credits,songs,lyrics. Replaces the
    /// built-in table of the Credits Usage Guide entirely. Example row:
    /// suno,create,10,2,0
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Apply rows up to this RFC 3339 time (with an offset) and roll every
    /// billing cycle over up to it; later rows are skipped. A date alone
    /// means its midnight UTC (2025-08-01 is 2025-08-01T00:00:00Z).
    /// Default: the latest time among the well-formed, in-order rows.
    /// Example: --as-of 2025-08-01T00:00:00Z
    #[arg(long, value_name = "TIME", value_parser = parse_as_of)]
    as_of: Option<Instant>,
    /// How long a task id is remembered after its charge, for duplicate
    /// detection and refunds: a whole number with s, m, h or d. 0s
    /// remembers nothing. Example: --task-window 48h
    #[arg(long, value_name = "DUR", default_value = "24h", value_parser = parse_window)]
    task_window: chrono::TimeDelta,
    /// Event CSVs (time,account,event,plan,provider,operation,task,credits),
    /// each in time order; several files are merged by time. - reads
    /// standard input. Files named .jsonl or .ndjson are read as JSON Lines
    /// and .parquet as Parquet (see --input-format).
    #[arg(value_name = "EVENTS", required = true)]
    events: Vec<String>,
    /// Read every events file as csv, jsonl (one JSON object per line with
    /// the CSV's column names as keys) or parquet (columns named as the
    /// CSV's), whatever its name. Default: by extension, CSV otherwise
    /// (standard input included). Example: --input-format jsonl. (Named
    /// apart from explain's --format, which is the format of its output.)
    #[arg(long, value_name = "FORMAT")]
    input_format: Option<Format>,
}

#[derive(Args)]
struct BalanceArgs {
    #[command(flatten)]
    common: Common,
    /// The account whose balance to print. Example: --account acct-42
    #[arg(long, value_name = "ID")]
    account: String,
    /// Skip malformed and out-of-order rows (as replay --keep-going turns
    /// them into rejections) instead of stopping at the first one, so that
    /// one bad row elsewhere does not block a balance.
    #[arg(long)]
    keep_going: bool,
}

/// An RFC 3339 time, or a date (`YYYY-MM-DD`) as its midnight UTC.
fn parse_as_of(text: &str) -> Result<Instant, String> {
    creditsim::core::time::parse_as_of(text).map_err(|e| e.to_string())
}

/// Refuses an `--out` that cannot be a report folder, in words: `-` (the
/// reports are several files, not a stream) and an existing file.
fn check_out(out: &std::path::Path) -> Result<(), Failure> {
    if out.as_os_str() == "-" {
        return Err(Failure::Input(
            "--out -: the reports are a folder of files and cannot go to standard output; give a folder, such as --out reports/".into(),
        ));
    }
    if out.exists() && !out.is_dir() {
        return Err(Failure::Input(format!(
            "--out {}: is a file, not a folder; give a folder for the reports",
            out.display()
        )));
    }
    Ok(())
}

fn parse_window(text: &str) -> Result<chrono::TimeDelta, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

/// A failure, with the exit code it maps to.
enum Failure {
    /// Bad arguments, unreadable input, or input that stops the run.
    Input(String),
    /// The same, with the file and line of each error (exit code 2).
    Located(Vec<Diagnostic>),
    /// Anything else, such as writing the reports.
    Other(String),
}

impl Failure {
    fn input(e: impl Display) -> Self {
        Failure::Input(e.to_string())
    }

    /// The exit code and the error lines.
    fn into_diagnostics(self) -> (u8, Vec<Diagnostic>) {
        match self {
            Failure::Input(message) => (2, vec![Diagnostic::message(message)]),
            Failure::Located(diagnostics) => (2, diagnostics),
            Failure::Other(message) => (1, vec![Diagnostic::message(message)]),
        }
    }
}

impl From<LineError> for Failure {
    fn from(error: LineError) -> Self {
        Failure::Located(vec![error.into()])
    }
}

impl From<LoadErrors> for Failure {
    fn from(errors: LoadErrors) -> Self {
        Failure::Located(diagnostic::of_load_errors(errors))
    }
}

impl From<ReplayError> for Failure {
    fn from(error: ReplayError) -> Self {
        match error {
            ReplayError::Input(e) => e.into(),
            ReplayError::Output(e) => Failure::Other(format!("writing reports: {e}")),
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            let format = diagnostic::format_in_args(&args);
            // --help and --version, and the text form: clap's own output.
            if !error.use_stderr() || format == ErrorFormat::Text {
                error.exit();
            }
            let code = u8::try_from(error.exit_code()).unwrap_or(2);
            eprintln!("{}", diagnostic::of_clap(&error).render(format, code));
            return ExitCode::from(code);
        }
    };
    let error_format = cli.error_format;
    let result = match cli.command {
        Command::Replay(args) => replay_command::run_replay(args),
        Command::Balance(args) => run_balance(args),
        Command::Simulate(args) => simulate_command::run_simulate(args),
        Command::Explain(args) => explain_command::run_explain(args),
        Command::Completions(args) => shell_command::run_completions(args),
        Command::Man => shell_command::run_man(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (code, diagnostics) = failure.into_diagnostics();
            let mut stderr = io::stderr().lock();
            for diagnostic in diagnostics {
                let _ = writeln!(stderr, "{}", diagnostic.render(error_format, code));
            }
            ExitCode::from(code)
        }
    }
}

/// Whether `path` names a file in the report folder itself (a bare name
/// is in the working folder), where it could take a report's place.
fn in_report_folder(path: &std::path::Path, dir: &ReportDir) -> bool {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    match (folder.canonicalize(), dir.path().canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn open_file(path: &std::path::Path) -> Result<File, Failure> {
    File::open(path).map_err(|e| {
        let file = path.display().to_string();
        Failure::Located(vec![Diagnostic::in_file(
            &file,
            format!("cannot read: {e}"),
        )])
    })
}

/// Loads plans and rules and opens the event files.
fn prepare(common: &Common) -> Result<(Engine, Vec<InputFile>), Failure> {
    let plans_name = common.plans.display().to_string();
    let plans: PlanBook = load_plans(&plans_name, open_file(&common.plans)?)?;
    let rules = match &common.rules {
        Some(path) => load_rules(&path.display().to_string(), open_file(path)?)?,
        None => RuleBook::builtin(),
    };
    if common.events.iter().filter(|e| *e == "-").count() > 1 {
        return Err(Failure::Input(
            "-: standard input can be given only once".into(),
        ));
    }
    let mut files = Vec::with_capacity(common.events.len());
    for name in &common.events {
        files.push(open_events(name, common.input_format)?);
    }
    let engine = Engine::new(plans, rules).with_task_window(common.task_window);
    Ok((engine, files))
}

/// The size of the named event files, when every input is a file
/// (standard input's is unknown).
fn input_bytes(common: &Common) -> Option<u64> {
    common.events.iter().try_fold(0u64, |total, name| {
        if name == "-" {
            return None;
        }
        let size = std::fs::metadata(name).ok()?.len();
        total.checked_add(size)
    })
}

/// Stages the `--html` folder with the run's reports (`reports`, the
/// names the run writes in `--out`): its pages are written there and
/// published whole when the run commits.
fn open_html(
    dir: &mut ReportDir,
    path: &std::path::Path,
    reports: &[&str],
) -> Result<PathBuf, Failure> {
    let same_folder = in_report_folder(path, dir);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if same_folder && (reports.contains(&name) || name == MANIFEST_FILE) {
        return Err(Failure::Input(format!(
            "--html {}: would overwrite a report of --out",
            path.display()
        )));
    }
    dir.open_folder(path, creditsim::html::is_page)
        .map_err(|e| {
            let message = format!("--html {}: {e}", path.display());
            if e.kind() == io::ErrorKind::InvalidInput {
                Failure::Input(message)
            } else {
                Failure::Other(message)
            }
        })
}

/// The journal's writer, its file staged and published with the reports.
fn finish(writer: io::BufWriter<File>) -> io::Result<()> {
    writer.into_inner().map_err(|e| e.into_error())?.sync_all()
}

/// Writes balances, statements and summary, in `folder` (`""` or
/// `NAME/`) of the report folder.
fn write_end_reports(
    dir: &mut ReportDir,
    folder: &str,
    engine: &Engine,
    (closed_statements, statements): (StatementRuns, StatementBook),
    summary: &Summary,
    cells: CellPolicy,
) -> io::Result<()> {
    let balances_file = dir.open(&format!("{folder}balances.csv"))?;
    let statements_file = dir.open(&format!("{folder}statements.csv"))?;
    let summary_file = dir.open(&format!("{folder}summary.json"))?;
    let accounts = engine.accounts_by_name();
    finish(write_balances(balances_file, &accounts, cells)?)?;
    let sorted = statements.into_sorted(|id| engine.account_name(id));
    finish(closed_statements.finish(statements_file, &sorted, |id| engine.account_name(id))?)?;
    finish(write_summary(summary_file, summary, accounts.len() as u64)?)
}

/// The manifest's arguments, inputs (hashed when the run commits) and counts.
fn describe_run(manifest: &mut Manifest, common: &Common, summary: &Summary, accounts: usize) {
    manifest.arguments = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    manifest.add_input(&common.plans.display().to_string());
    if let Some(rules) = &common.rules {
        manifest.add_input(&rules.display().to_string());
    }
    for events in &common.events {
        manifest.add_input(events);
    }
    for (name, count) in [
        ("rows", summary.rows),
        ("accepted", summary.accepted),
        ("rejected", summary.rejected),
        ("skipped", summary.skipped),
        ("accounts", accounts as u64),
    ] {
        manifest.add_count(name, count);
    }
}

fn run_balance(args: BalanceArgs) -> Result<(), Failure> {
    let (engine, files) = prepare(&args.common)?;
    let options = ReplayOptions {
        as_of: args.common.as_of,
        keep_going: args.keep_going,
        watch_account: Some(args.account.clone()),
    };
    let mut output = ReplayOutput {
        ledger: LedgerWriter::new(io::sink()).map_err(Failure::input)?,
        rejections: RejectionWriter::new(io::sink()).map_err(Failure::input)?,
        entry_sink: None,
        closed_statements: None,
    };
    let replayed = replay(engine, files, &options, &mut output, |_| {})?;
    if !replayed.watched_seen {
        return Err(Failure::Input(format!(
            "account {} is in no well-formed row",
            args.account
        )));
    }
    let balance = replayed.engine.balance(&args.account);
    println!(
        "{{\"credits\":{},\"extra_credits\":{}}}",
        balance.credits, balance.extra_credits
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every option and argument of every subcommand says what it is for
    /// in --help.
    #[test]
    fn every_option_has_help_text() {
        let cli = Cli::command();
        cli.clone().debug_assert();
        let mut missing = Vec::new();
        let mut checked = 0;
        for sub in cli.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no about", sub.get_name());
            for arg in sub.get_arguments() {
                if arg.is_hide_set() || matches!(arg.get_id().as_str(), "help" | "version") {
                    continue;
                }
                checked += 1;
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{} {}", sub.get_name(), arg.get_id()));
                }
            }
        }
        assert!(checked > 20, "the check saw the options: {checked}");
        assert!(missing.is_empty(), "options without help text: {missing:?}");
    }

    #[test]
    fn a_date_alone_is_its_midnight_utc() {
        let date = super::parse_as_of("2025-08-01").unwrap();
        assert_eq!(date, super::parse_as_of("2025-08-01T00:00:00Z").unwrap());
        assert!(super::parse_as_of("2025-02-30").is_err());
        assert!(super::parse_as_of("2025-8-01").is_err());
    }
}
