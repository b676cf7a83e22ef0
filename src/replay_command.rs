//! `creditsim replay`: the five reports, and the journal and HTML report
//! beside them, from event files.

use super::{
    check_out, describe_run, finish, in_report_folder, input_bytes, open_html, prepare,
    write_end_reports, Common, Failure,
};
use crate::progress::ProgressLine;
use clap::Args;
use creditsim::core::{RuleBook, Summary};
use creditsim::html::HtmlReport;
use creditsim::replay::{replay, ReplayOptions, ReplayOutput};
use creditsim::report::cells::CellPolicy;
use creditsim::report::journal::JournalWriter;
use creditsim::report::ledger::LedgerWriter;
use creditsim::report::manifest::MANIFEST_FILE;
use creditsim::report::rejections::RejectionWriter;
use creditsim::report::sink::Fanout;
use creditsim::report::statement_runs::StatementRuns;
use creditsim::report::{ReportDir, REPORT_FILES};
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;

pub(crate) const REPLAY_EXAMPLES: &str = "\
Examples:
  creditsim replay --plans fixtures/plans.example.csv --out out/ fixtures/seed_rules/events.csv
  creditsim replay --plans plans.csv --as-of 2025-08-01T00:00:00Z --keep-going --out reports/ july-*.csv
  zcat usage.csv.gz | creditsim replay --plans plans.csv --out reports/ -
  creditsim replay --plans plans.csv --out reports/ --journal books/july.journal july.csv
  hledger -f books/july.journal bal customers:acct-42

Exit codes: 0 done (business rejections included); 2 bad arguments, an
unreadable input file, or input that stops the run; 1 reports could not be
written.";

#[derive(Args)]
pub(crate) struct ReplayArgs {
    #[command(flatten)]
    common: Common,
    /// Turn malformed and out-of-order rows into rejections (reasons
    /// malformed, out_of_order) and go on, instead of stopping at the first
    /// one with FILE:LINE: reason.
    #[arg(long)]
    keep_going: bool,
    /// Neutralise spreadsheet formulas: a text cell from the input (account,
    /// plan or task id, file or event name) that starts with =, +, -, @, a
    /// tab or a carriage return is written with a leading ' so that a
    /// spreadsheet shows it as text instead of evaluating it. Off by
    /// default, so that reports stay exactly as the input.
    #[arg(long)]
    spreadsheet_safe: bool,
    /// Folder for the five reports and manifest.json (created if missing).
    /// The whole set is staged under a name of this run and published only
    /// when the run succeeds, manifest.json last; a second run into a
    /// folder being written fails at once. Example: --out reports/2025-07
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Also write the ledger as a double-entry journal for hledger and
    /// ledger-cli: one balanced transaction per ledger.csv entry, credits
    /// in CR and dollars in USD. Accounts: customers:<id>:subscription,
    /// customers:<id>:extra (credits held), customers:<id>:receivable
    /// (USD billed), issued:grants, issued:purchases,
    /// usage:<provider>:<operation>, expired:<plan>, revenue:fees,
    /// revenue:extra_credits. Ids are percent-encoded: every byte outside
    /// A-Za-z0-9_.- is written %XX. Published with the reports and listed
    /// in manifest.json; its folder is created if missing and locked too.
    /// Example: --journal
    /// books/july.journal, then hledger -f books/july.journal bal
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Also write a static HTML report into this folder: index.html
    /// (revenue, credits and rejections per billing month, the top
    /// accounts) and a page per account with its statement and charts.
    /// Self-contained: no script, font or network. Staged and published
    /// whole with the reports (the old folder replaced, never mixed) and
    /// listed in manifest.json; an existing folder must hold only pages of
    /// an earlier report. Example: --html reports/2025-07-html
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    /// How many account pages --html writes: the accounts with the most
    /// credits used.
    #[arg(long, value_name = "N", default_value_t = creditsim::html::DEFAULT_ACCOUNT_PAGES)]
    html_accounts: usize,
}

pub(crate) fn run_replay(args: ReplayArgs) -> Result<(), Failure> {
    let (engine, files) = prepare(&args.common)?;
    let options = ReplayOptions {
        as_of: args.common.as_of,
        keep_going: args.keep_going,
        watch_account: None,
    };
    let out_error = |e: io::Error| Failure::Other(format!("{}: {e}", args.out.display()));
    check_out(&args.out)?;
    let mut dir = ReportDir::create(&args.out).map_err(out_error)?;
    let cells = if args.spreadsheet_safe {
        CellPolicy::SpreadsheetSafe
    } else {
        CellPolicy::Exact
    };
    let mut besides = Besides::open(&args, &mut dir, engine.rules())?;
    let mut sinks = besides.sinks();
    let mut closed_statements = StatementRuns::new(dir.scratch().map_err(out_error)?, cells);
    let mut output = ReplayOutput {
        ledger: LedgerWriter::new(dir.open("ledger.csv").map_err(out_error)?)
            .map_err(out_error)?
            .with_cells(cells),
        rejections: RejectionWriter::new(dir.open("rejections.csv").map_err(out_error)?)
            .map_err(out_error)?
            .with_cells(cells),
        // No sink, no per-entry call: a plain replay stays as fast as
        // before --html and --journal.
        entry_sink: if sinks.0.is_empty() {
            None
        } else {
            Some(&mut sinks)
        },
        closed_statements: Some(&mut closed_statements),
    };
    let mut progress = ProgressLine::new(input_bytes(&args.common));
    let replayed = replay(engine, files, &options, &mut output, |p| progress.update(p));
    progress.finish();
    let replayed = replayed?;
    let ReplayOutput {
        ledger, rejections, ..
    } = output;
    drop(sinks);
    // Syncing `ledger.csv` to disk (the largest report by far: a tenth of
    // a second at 10M rows) overlaps writing the end reports.
    std::thread::scope(|scope| {
        let ledger_synced = scope.spawn(move || ledger.finish().and_then(finish));
        let others = rejections.finish().and_then(finish).and_then(|()| {
            let statements = (closed_statements, replayed.statements);
            let (engine, summary) = (&replayed.engine, &replayed.summary);
            write_end_reports(&mut dir, "", engine, statements, summary, cells)
        });
        let ledger_synced = ledger_synced
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        ledger_synced.and(others)
    })
    .map_err(out_error)?;
    besides.finish(&args)?;
    let accounts = replayed.engine.account_count();
    describe_run(
        dir.manifest_mut(),
        &args.common,
        &replayed.summary,
        accounts,
    );
    let out = dir.path().display().to_string();
    dir.commit().map_err(out_error)?;
    print_run_summary(&out, &replayed.summary, accounts);
    if let Some(path) = &args.journal {
        println!("wrote journal {}", path.display());
    }
    if let Some(path) = &args.html {
        println!("wrote html {}", path.display());
    }
    Ok(())
}

/// What `--journal` and `--html` write beside the reports.
struct Besides {
    journal: Option<JournalWriter<io::BufWriter<File>>>,
    /// The staged `--html` folder, and the report collected for it.
    html: Option<(PathBuf, HtmlReport)>,
}

impl Besides {
    /// Opens the journal and stages the HTML folder, as `args` asks.
    fn open(args: &ReplayArgs, dir: &mut ReportDir, rules: &RuleBook) -> Result<Self, Failure> {
        let journal = match &args.journal {
            Some(path) => Some(open_journal(dir, path, rules.clone())?),
            None => None,
        };
        let html = match &args.html {
            Some(path) => {
                let staged = open_html(dir, path, &REPORT_FILES)?;
                Some((staged, HtmlReport::new(rules.clone(), args.html_accounts)))
            }
            None => None,
        };
        Ok(Besides { journal, html })
    }

    /// The entry sinks of the replay: none when neither is asked for.
    fn sinks(&mut self) -> Fanout<'_> {
        let mut sinks = Fanout(Vec::new());
        if let Some(writer) = self.journal.as_mut() {
            sinks.0.push(writer);
        }
        if let Some((_, report)) = self.html.as_mut() {
            sinks.0.push(report);
        }
        sinks
    }

    /// Flushes the journal and writes the HTML pages into their staged
    /// folder, both published with the reports.
    fn finish(self, args: &ReplayArgs) -> Result<(), Failure> {
        if let (Some(writer), Some(path)) = (self.journal, &args.journal) {
            let journal_error = |e: io::Error| Failure::Other(format!("{}: {e}", path.display()));
            finish(writer.finish().map_err(journal_error)?).map_err(journal_error)?;
        }
        if let (Some((staged, report)), Some(path)) = (self.html, &args.html) {
            report
                .write(&staged)
                .map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?;
        }
        Ok(())
    }
}

/// Opens the `--journal` file, staged and published with the reports; it
/// may not take the name of a report of `--out`.
fn open_journal(
    dir: &mut ReportDir,
    path: &std::path::Path,
    rules: RuleBook,
) -> Result<JournalWriter<io::BufWriter<File>>, Failure> {
    let journal_error = |e: io::Error| Failure::Other(format!("{}: {e}", path.display()));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|_| !path.as_os_str().to_string_lossy().ends_with('/'))
        .ok_or_else(|| Failure::Input(format!("--journal {}: not a file name", path.display())))?;
    let same_folder = in_report_folder(path, dir);
    if same_folder && (REPORT_FILES.contains(&name) || name == MANIFEST_FILE) {
        return Err(Failure::Input(format!(
            "--journal {}: would overwrite a report of --out",
            path.display()
        )));
    }
    let file = dir.open_outside(path).map_err(journal_error)?;
    JournalWriter::new(file, rules).map_err(journal_error)
}

fn print_run_summary(out: &str, summary: &Summary, accounts: usize) {
    let mut stdout = io::stdout().lock();
    let files = REPORT_FILES.join(", ");
    let _ = writeln!(stdout, "wrote {files} to {out}");
    let _ = writeln!(
        stdout,
        "rows {} (accepted {}, rejected {}, skipped {}), accounts {accounts}, revenue ${}",
        summary.rows,
        summary.accepted,
        summary.rejected,
        summary.skipped,
        summary.revenue_usd().map_or_else(
            || "overflow".to_owned(),
            |r| creditsim::core::money::Usd(r).to_string()
        ),
    );
    let reasons: Vec<String> = summary
        .rejections_by_reason()
        .map(|(reason, count)| format!("{reason} {count}"))
        .collect();
    if !reasons.is_empty() {
        let _ = writeln!(stdout, "rejections: {}", reasons.join(", "));
    }
}
