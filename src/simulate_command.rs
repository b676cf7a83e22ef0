//! `creditsim simulate`: what-if pricing over a usage history (RULES.md
//! section 10). The rules live in `creditsim::simulate`; this file parses
//! the arguments, opens the files and writes the report folder.

use super::{
    check_out, describe_run, finish, open_html, prepare, write_end_reports, Common, Failure,
};
use crate::diagnostic::Diagnostic;
use clap::Args;
use creditsim::core::money::Usd;
use creditsim::core::StatementBook;
use creditsim::input::LineError;
use creditsim::report::cells::CellPolicy;
use creditsim::report::ledger::LedgerWriter;
use creditsim::report::rejections::RejectionWriter;
use creditsim::report::statement_runs::StatementRuns;
use creditsim::report::ReportDir;
use creditsim::simulate::reports::{write_accounts, write_best_plans, write_scenarios};
use creditsim::simulate::scenarios::load_scenarios;
use creditsim::simulate::{
    simulate_files, Comparison, Finished, Options, RunReports, Settings, SimulateError,
};
use creditsim::Engine;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub const SIMULATE_EXAMPLES: &str = "\
Scenarios file (TOML), one [[scenario]] table per what-if, paths relative
to it:
  [[scenario]]
  name = \"basic_1200\"             # unique, A-Za-z0-9_.-, not baseline
  plans = \"plans_basic_1200.csv\"  # another plan book (or rules = \"FILE\")
  [[scenario]]
  name = \"dearer_extra\"
  extra_price_usd = \"0.10\"        # price of 10 extra credits (default \"0.08\")
  [[scenario]]
  name = \"basic_to_pro\"
  plan_map = { basic = \"pro\" }    # or all_on = \"pro\": every plan becomes pro
  [[scenario]]
  name = \"auto_recharge\"
  purchases = \"top_up\"            # drop logged purchases, buy packs when short
  top_up_pack = 50                # pack size (default 10)
  task_window = \"48h\"             # another task window
A scenario with no keys but its name gives exactly the baseline.

Worked example (from the repository's root; fixtures/simulate/README.md
works every figure out by hand):
  creditsim simulate --plans fixtures/simulate/plans.csv \\
    --scenarios fixtures/simulate/scenarios.toml --best-plan \\
    --out out/whatif fixtures/simulate/events.csv
prints, among other lines:
  basic_to_pro: revenue $40.56 (delta 14.00), 4 accounts
  best plan: 2 of 3 accounts would pay less on another plan
and out/whatif/best_plans.csv says bob, on pro for $17.00, would pay $4.00
on mini. With --reports, out/whatif/NAME/ holds the five reports of a replay
of each scenario (out/whatif/baseline/ those of the plain replay).

Exit codes: 0 done; 2 bad arguments, a bad scenarios file (FILE: scenario
NAME: KEY: ...), unreadable input, or input that stops the run; 1 reports
could not be written.";

#[derive(Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    common: Common,
    /// Turn malformed and out-of-order rows into rejections (reasons
    /// malformed, out_of_order) and go on, in every scenario, instead of
    /// stopping at the first one with FILE:LINE: reason.
    #[arg(long)]
    keep_going: bool,
    /// Scenarios file (TOML): one [[scenario]] table per what-if, each
    /// with a name and any of plans, rules, extra_price_usd, task_window,
    /// plan_map, all_on, purchases, top_up_pack (see below). Without it
    /// only the baseline (and --best-plan) runs.
    #[arg(long, value_name = "FILE")]
    scenarios: Option<PathBuf>,
    /// Also find every account's cheapest plan: each plan of --plans is
    /// tried for all of the account's history (as all_on) with top-up in
    /// packs of 10 instead of the logged purchases, against its own plans
    /// with top-up. Writes best_plans.csv.
    #[arg(long)]
    best_plan: bool,
    /// Also write the five reports of a replay (balances, ledger,
    /// statements, rejections, summary) of the baseline in DIR/baseline/
    /// and of each scenario in DIR/NAME/.
    #[arg(long)]
    reports: bool,
    /// Worker threads for the scenarios (default: the number of cores).
    /// The reports are the same for any number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Folder for scenarios.csv, accounts.csv (and best_plans.csv, the
    /// --reports folders) and manifest.json, created if missing and
    /// published together when the run succeeds.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Also write a static HTML page into this folder (index.html): revenue
    /// by scenario against the baseline, and for each scenario how many
    /// accounts would pay how much more or less (a histogram of
    /// accounts.csv's revenue_delta_usd), each chart beside its table.
    /// Published whole with the reports and listed in manifest.json, as
    /// replay --html. Example: --html whatif-html
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
}

type Reports = RunReports<BufWriter<File>>;

pub fn run_simulate(args: SimulateArgs) -> Result<(), Failure> {
    let (engine, files) = prepare(&args.common)?;
    let scenarios = match &args.scenarios {
        Some(path) => load_scenarios(path).map_err(|e| {
            let file = path.display().to_string();
            Failure::Located(vec![Diagnostic::about_file(&file, e.0)])
        })?,
        None => Vec::new(),
    };
    let (settings, options) = settings_of(&args, &engine);
    let out_error = |e: io::Error| Failure::Other(format!("{}: {e}", args.out.display()));
    check_out(&args.out)?;
    let mut dir = ReportDir::create(&args.out).map_err(out_error)?;
    let html_staged = match &args.html {
        Some(path) => {
            let mut names = vec!["scenarios.csv", "accounts.csv", "best_plans.csv"];
            names.push(creditsim::simulate::BASELINE);
            names.extend(scenarios.iter().map(|s| s.name.as_str()));
            Some(open_html(&mut dir, path, &names)?)
        }
        None => None,
    };
    let open_reports = |name: &str| -> io::Result<Option<Reports>> {
        if !args.reports {
            return Ok(None);
        }
        Ok(Some(RunReports {
            ledger: LedgerWriter::new(dir.open(&format!("{name}/ledger.csv"))?)?,
            rejections: RejectionWriter::new(dir.open(&format!("{name}/rejections.csv"))?)?,
            statements: StatementBook::default(),
        }))
    };
    let (comparison, finished) =
        simulate_files(&settings, files, &scenarios, &options, open_reports)
            .map_err(|e| simulate_failure(e, &args.out))?;
    write_comparison(&mut dir, &comparison, args.best_plan).map_err(out_error)?;
    if let (Some(staged), Some(path)) = (&html_staged, &args.html) {
        creditsim::html::write_simulation(&comparison, staged)
            .map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?;
    }
    for done in finished {
        write_run_reports(&mut dir, done).map_err(out_error)?;
    }
    let baseline = &comparison.baseline;
    describe_run(
        dir.manifest_mut(),
        &args.common,
        &baseline.totals.summary,
        baseline.accounts_seen as usize,
    );
    if let Some(path) = &args.scenarios {
        dir.manifest_mut().add_input(&path.display().to_string());
    }
    let out = dir.path().display().to_string();
    dir.commit().map_err(out_error)?;
    print_comparison(&out, &comparison, args.best_plan);
    if let Some(path) = &args.html {
        println!("wrote html {}", path.display());
    }
    Ok(())
}

/// The simulation's settings and options from the command line.
fn settings_of(args: &SimulateArgs, engine: &Engine) -> (Settings, Options) {
    let mut settings = Settings::new(engine.plans().clone(), engine.rules().clone());
    settings.task_window = args.common.task_window;
    settings.as_of = args.common.as_of;
    settings.keep_going = args.keep_going;
    let mut options = Options {
        best_plan: args.best_plan,
        ..Options::default()
    };
    if let Some(threads) = args.threads {
        options.threads = usize::from(threads);
    }
    (settings, options)
}

/// A failure of the input or of a scenario's run, as the command line
/// reports it.
fn simulate_failure(error: SimulateError, out: &Path) -> Failure {
    match error {
        SimulateError::Output(e) => Failure::Other(format!("{}: {e}", out.display())),
        SimulateError::Input(e) => e.into(),
        SimulateError::Scenario { scenario, error } => LineError {
            detail: format!("scenario {scenario}: {}", error.detail),
            ..error
        }
        .into(),
    }
}

/// With `--reports`, the five reports of one run in the folder of its
/// name.
fn write_run_reports(dir: &mut ReportDir, done: Finished<BufWriter<File>>) -> io::Result<()> {
    let (Some(reports), Some(engine)) = (done.reports, done.engine) else {
        return Ok(());
    };
    let folder = format!("{}/", done.result.name);
    finish(reports.ledger.finish()?)?;
    finish(reports.rejections.finish()?)?;
    let summary = &done.result.totals.summary;
    // A scenario keeps its statements to the end: no closed runs.
    let no_runs = StatementRuns::new(dir.scratch()?, CellPolicy::Exact);
    write_end_reports(
        dir,
        &folder,
        &engine,
        (no_runs, reports.statements),
        summary,
        CellPolicy::Exact,
    )
}

fn write_comparison(
    dir: &mut ReportDir,
    comparison: &Comparison,
    best_plan: bool,
) -> io::Result<()> {
    finish(write_scenarios(dir.open("scenarios.csv")?, comparison)?)?;
    finish(write_accounts(
        dir.open("accounts.csv")?,
        comparison,
        CellPolicy::Exact,
    )?)?;
    if let (true, Some(best)) = (best_plan, &comparison.best_plans) {
        finish(write_best_plans(
            dir.open("best_plans.csv")?,
            best,
            CellPolicy::Exact,
        )?)?;
    }
    Ok(())
}

/// One line per scenario: its revenue and the change against the baseline.
fn print_comparison(out: &str, comparison: &Comparison, best_plan: bool) {
    let mut stdout = io::stdout().lock();
    let files = if best_plan {
        "scenarios.csv, accounts.csv, best_plans.csv"
    } else {
        "scenarios.csv, accounts.csv"
    };
    let _ = writeln!(stdout, "wrote {files} to {out}");
    let baseline = comparison.baseline.totals.summary.revenue_usd();
    for run in std::iter::once(&comparison.baseline).chain(&comparison.scenarios) {
        let revenue = run.totals.summary.revenue_usd();
        let text = |amount: Option<rust_decimal::Decimal>| {
            amount.map_or_else(|| "overflow".to_owned(), |a| Usd(a).to_string())
        };
        let delta = revenue.zip(baseline).map(|(r, b)| r - b);
        let _ = writeln!(
            stdout,
            "{}: revenue ${} (delta {}), {} accounts",
            run.name,
            text(revenue),
            text(delta),
            run.accounts_seen
        );
    }
    if let Some(best) = &comparison.best_plans {
        let better = best
            .iter()
            .filter(|b| b.saving_usd() > rust_decimal::Decimal::ZERO)
            .count();
        let _ = writeln!(
            stdout,
            "best plan: {better} of {} accounts would pay less on another plan",
            best.len()
        );
    }
}
