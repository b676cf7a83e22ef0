//! `creditsim explain`: one account's statement for support. The
//! explanation is built and written by `creditsim::explain`; this file
//! parses the arguments and drives a replay that reports nothing else.

use super::{prepare, Common, Failure};
use clap::{Args, ValueEnum};
use creditsim::core::Status;
use creditsim::explain::{render_json, render_text, ExplainBuilder, Now};
use creditsim::replay::{replay, ReplayOptions, ReplayOutput};
use creditsim::report::ledger::LedgerWriter;
use creditsim::report::rejections::RejectionWriter;
use std::io::{self, Write};

pub const EXPLAIN_EXAMPLES: &str = "\
Examples:
  creditsim explain --plans fixtures/plans.example.csv --account gus fixtures/late_refund/events.csv
  creditsim explain --plans fixtures/plans.example.csv --account gus --task g4 fixtures/late_refund/events.csv
  creditsim explain --plans plans.csv --account acct-42 --format json july.csv

The statement lists, cycle by cycle: plan and fee, credits granted,
purchases, usage by provider and operation, refunds (in the cycle of the
charge they undo), rejections with their code and a sentence for the
customer, credits expired at the end; then the balance now, as
`creditsim balance` prints it. With --task, one line per event naming the
task: the cycle and buckets of each charge and why.

An account named in no well-formed row is an error (exit code 2); an
account whose rows all come after --as-of gets a statement with no
periods and a zero balance.";

/// How the statement is written.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Plain text for a person.
    Text,
    /// JSON for a support tool (shape in the crate docs of creditsim::explain).
    Json,
}

#[derive(Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    common: Common,
    /// Turn malformed and out-of-order rows into rejections and go on; the
    /// account's are listed as rows that could not be read.
    #[arg(long)]
    keep_going: bool,
    /// The account to explain. Example: --account acct-42
    #[arg(long, value_name = "ID")]
    account: String,
    /// Also answer for one task id: a line per charge of it (which cycle,
    /// how many credits from extra and from the subscription, and why), per
    /// refund and per rejected call or refund naming it. Example: --task g4
    #[arg(long, value_name = "ID")]
    task: Option<String>,
    /// How the statement is written.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run_explain(args: ExplainArgs) -> Result<(), Failure> {
    let (engine, files) = prepare(&args.common)?;
    let options = ReplayOptions {
        as_of: args.common.as_of,
        keep_going: args.keep_going,
        watch_account: Some(args.account.clone()),
    };
    let mut builder =
        ExplainBuilder::new(&args.account, args.task.as_deref(), engine.task_window());
    // Nothing but the builder's account is reported.
    let mut output = ReplayOutput {
        ledger: LedgerWriter::new(io::sink()).map_err(Failure::input)?,
        rejections: RejectionWriter::new(io::sink()).map_err(Failure::input)?,
        entry_sink: Some(&mut builder),
        closed_statements: None,
    };
    let replayed = replay(engine, files, &options, &mut output, |_| {})?;
    if !replayed.watched_seen {
        return Err(Failure::Input(format!(
            "account {} is in no well-formed row",
            args.account
        )));
    }
    let engine = &replayed.engine;
    let view = engine
        .account_id(&args.account)
        .and_then(|id| engine.account(id));
    let now = match view {
        Some(view) => Now {
            status: view.status,
            plan: view.plan.map(str::to_owned),
            cycle: view.cycle,
            balance: view.balance,
        },
        // Every row of the account came after the as-of time.
        None => Now {
            status: Status::Inactive,
            plan: None,
            cycle: None,
            balance: engine.balance(&args.account),
        },
    };
    let explanation = builder.finish(replayed.as_of, now);
    let text = match args.format {
        Format::Text => render_text(&explanation),
        Format::Json => render_json(&explanation),
    };
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::Other(format!("writing the statement: {e}")))
}
