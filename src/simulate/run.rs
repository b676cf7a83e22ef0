//! One run of a simulation: an engine of its own, fed the rows of the
//! shared history through the run's rewrite, counting its totals and, when
//! asked, writing the five reports of a replay.

use super::totals::{AccountResult, AccountTotals, ScenarioResult, ScenarioTotals};
use crate::core::history::{HistoryRewrite, Rewritten};
use crate::core::time::{format_time, Instant};
use crate::core::totals::add;
use crate::core::{
    AccountId, Action, Applied, Engine, Event, Reason, RuleGuess, StatementBook, TotalOverflow,
};
use crate::input::LineError;
use crate::report::ledger::LedgerWriter;
use crate::report::rejections::{RejectedRow, RejectionWriter};
use std::io::{self, Write};

/// The streamed reports of a run (`ledger.csv`, `rejections.csv`); its
/// statements are kept for `statements.csv`.
pub struct RunReports<W: Write> {
    /// `ledger.csv`.
    pub ledger: LedgerWriter<W>,
    /// `rejections.csv`.
    pub rejections: RejectionWriter<W>,
    /// Statements of every cycle.
    pub statements: StatementBook,
}

/// A row of the history as a run sees it.
pub(crate) enum Row<'a> {
    /// A well-formed, in-order event, with a guess of its account's id
    /// and of a call's rule.
    /// Borrowed: an event is some 90 bytes, and most runs apply it as it
    /// is, so it is not copied on its way.
    Good(&'a Event<'a>, Option<AccountId>, Option<RuleGuess>),
    /// A `malformed` or `out_of_order` row.
    Bad {
        reason: Reason,
        detail: &'a str,
        described: (&'a str, &'a str, &'a str),
    },
}

/// Where a row comes from, for messages and `rejections.csv`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin<'a> {
    pub file: &'a str,
    pub line: u64,
}

/// Why a run stopped: its message and whether writing failed.
#[derive(Debug)]
pub(crate) enum RunError {
    Stop(LineError),
    Output(io::Error),
    /// Not finished because another run failed.
    Skipped,
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> Self {
        RunError::Output(e)
    }
}

/// A run at the end of the history.
pub struct Finished<W: Write> {
    /// The run's result.
    pub result: ScenarioResult,
    /// The engine at the as-of time, for `balances.csv`: kept only with
    /// reports, so that a finished run gives its memory back.
    pub engine: Option<Engine>,
    /// The reports, when asked for.
    pub reports: Option<RunReports<W>>,
}

pub(crate) struct Run<W: Write> {
    name: String,
    engine: Engine,
    /// `None` when it changes nothing.
    rewrite: Option<HistoryRewrite>,
    as_of: Option<Instant>,
    keep_going: bool,
    totals: ScenarioTotals,
    accounts: Vec<AccountTotals>,
    latest_good: Option<Instant>,
    reports: Option<RunReports<W>>,
    /// For a run that drops purchases, see [`IdMap`].
    ids: Option<IdMap>,
}

/// The engine ids of a run that drops purchases, by the reader's guessed
/// ids. The reader numbers accounts as a replay's engine does; such a run's
/// engine never sees an account whose first row is a purchase, so its ids
/// fall behind the reader's from then on, and without this map every later
/// row's hint would miss (a lookup by name, per row, in the runs of
/// `--best-plan`).
#[derive(Default)]
struct IdMap(Vec<Option<AccountId>>);

impl IdMap {
    /// The hint for the engine: the id learnt for `guess`, else the next
    /// id (an account the engine has not seen, `count` accounts held).
    fn hint(&self, guess: Option<AccountId>, count: usize) -> Option<AccountId> {
        let guess = guess?;
        match self.0.get(guess.index()) {
            Some(Some(id)) => Some(*id),
            _ => u32::try_from(count).ok().map(AccountId),
        }
    }

    /// Remembers that the engine gave the account of `guess` the id `id`.
    fn learn(&mut self, guess: Option<AccountId>, id: AccountId) {
        let Some(guess) = guess else { return };
        let index = guess.index();
        if self.0.len() <= index {
            self.0.resize(index + 1, None);
        }
        self.0[index] = Some(id);
    }
}

impl<W: Write> Run<W> {
    pub(crate) fn new(
        name: String,
        engine: Engine,
        rewrite: HistoryRewrite,
        (as_of, keep_going): (Option<Instant>, bool),
        reports: Option<RunReports<W>>,
    ) -> Self {
        let ids = rewrite.drop_purchases.then(IdMap::default);
        Run {
            name,
            engine,
            rewrite: (!rewrite.is_identity()).then_some(rewrite),
            as_of,
            keep_going,
            totals: ScenarioTotals::default(),
            accounts: Vec::new(),
            latest_good: None,
            reports,
            ids,
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Applies one row of the history.
    pub(crate) fn apply(&mut self, row: Row<'_>, origin: Origin<'_>) -> Result<(), RunError> {
        let total = |e: TotalOverflow| stop_at(origin, e.to_string());
        let (event, hint, rule) = match row {
            Row::Good(event, hint, rule) => (event, hint, rule),
            Row::Bad {
                reason,
                detail,
                described,
            } => return self.bad_row(reason, detail, described, origin),
        };
        let summary = &mut self.totals.summary;
        self.latest_good = self.latest_good.max(Some(event.time));
        if self.as_of.is_some_and(|as_of| event.time > as_of) {
            return summary.record_skipped().map_err(total);
        }
        let rewritten;
        let event = match self.rewrite.as_ref().map(|r| r.apply(*event)) {
            None => event,
            Some(Rewritten::Apply(event)) => {
                rewritten = event;
                &rewritten
            }
            Some(Rewritten::DroppedPurchase) => {
                summary.record_skipped().map_err(total)?;
                return add(&mut self.totals.skipped_purchases, 1, "skipped purchases")
                    .map_err(total);
            }
        };
        let guess = hint;
        let hint = match &self.ids {
            Some(ids) => ids.hint(guess, self.engine.account_count()),
            None => guess,
        };
        let applied = self
            .engine
            .apply_guessed(event, hint, rule)
            .map_err(|e| stop_at(origin, e.to_string()))?;
        if let Some(ids) = &mut self.ids {
            ids.learn(guess, applied.account);
        }
        record_entries(
            &self.engine,
            &mut self.totals,
            &mut self.accounts,
            &mut self.reports,
        )
        .map_err(|e| match e {
            RunError::Stop(e) => stop_at(origin, e.detail),
            other => other,
        })?;
        record_outcome(
            &mut self.totals,
            &mut self.accounts,
            &mut self.reports,
            (event, &applied),
            origin,
        )
    }

    /// A `malformed` or `out_of_order` row: the run stops, or with
    /// `--keep-going` the row is a rejection.
    fn bad_row(
        &mut self,
        reason: Reason,
        detail: &str,
        (time, account, event): (&str, &str, &str),
        origin: Origin<'_>,
    ) -> Result<(), RunError> {
        if !self.keep_going {
            return Err(stop_at(origin, detail.to_owned()));
        }
        let summary = &mut self.totals.summary;
        summary
            .record_rejection(reason)
            .map_err(|e| stop_at(origin, e.to_string()))?;
        if let Some(reports) = &mut self.reports {
            reports.rejections.write(&RejectedRow {
                file: origin.file,
                line: origin.line,
                time,
                account,
                event,
                reason,
                detail,
            })?;
        }
        Ok(())
    }

    /// Rolls every account over up to the as-of time (`--as-of`, else the
    /// latest well-formed row's time) and gathers the result.
    pub(crate) fn finish(mut self) -> Result<Finished<W>, RunError> {
        if let Some(as_of) = self.as_of.or(self.latest_good) {
            let file = format!("--as-of {}", format_time(as_of));
            let end = |detail: String| {
                RunError::Stop(LineError {
                    file: file.clone(),
                    line: 0,
                    detail,
                })
            };
            self.engine
                .advance_to(as_of)
                .map_err(|e| end(e.to_string()))?;
            record_entries(
                &self.engine,
                &mut self.totals,
                &mut self.accounts,
                &mut self.reports,
            )
            .map_err(|e| match e {
                RunError::Stop(e) => end(e.detail),
                other => other,
            })?;
        }
        let views = self.engine.accounts_by_name();
        let accounts_seen = views.len() as u64;
        let accounts = views
            .iter()
            .map(|view| {
                let id = self.engine.account_id(view.name);
                AccountResult {
                    account: view.name.to_owned(),
                    plan: view.plan.map(Into::into),
                    totals: id
                        .and_then(|id| self.accounts.get_mut(id.index()))
                        .map(std::mem::take)
                        .unwrap_or_default(),
                }
            })
            .collect();
        drop(views);
        let result = ScenarioResult {
            name: self.name,
            accounts_seen,
            totals: self.totals,
            accounts,
        };
        let engine = self.reports.is_some().then_some(self.engine);
        Ok(Finished {
            result,
            engine,
            reports: self.reports,
        })
    }
}

/// Counts (and writes) the entries the engine produced last. A total's
/// overflow comes back without its place, which the caller knows.
fn record_entries<W: Write>(
    engine: &Engine,
    totals: &mut ScenarioTotals,
    accounts: &mut Vec<AccountTotals>,
    reports: &mut Option<RunReports<W>>,
) -> Result<(), RunError> {
    let total = |e: TotalOverflow| {
        RunError::Stop(LineError {
            file: String::new(),
            line: 0,
            detail: e.to_string(),
        })
    };
    for entry in engine.entries() {
        totals.summary.record_entry(entry).map_err(total)?;
        account_totals(accounts, entry.account)
            .record_entry(entry)
            .map_err(total)?;
        if let Some(reports) = reports {
            reports.statements.record_entry(entry).map_err(total)?;
            let account = engine.account_name(entry.account);
            reports.ledger.write(entry, account)?;
        }
    }
    Ok(())
}

/// Counts the outcome of an applied event, and writes its rejection.
fn record_outcome<W: Write>(
    totals: &mut ScenarioTotals,
    accounts: &mut Vec<AccountTotals>,
    reports: &mut Option<RunReports<W>>,
    (event, applied): (&Event<'_>, &Applied),
    origin: Origin<'_>,
) -> Result<(), RunError> {
    let total = |e: TotalOverflow| stop_at(origin, e.to_string());
    totals.summary.record_applied(applied).map_err(total)?;
    if let Some(reports) = reports.as_mut() {
        reports.statements.record_applied(applied).map_err(total)?;
    }
    if let Action::Call { .. } = event.action {
        match &applied.outcome {
            Ok(_) => add(&mut totals.calls_accepted, 1, "calls accepted"),
            Err(_) => add(&mut totals.calls_rejected, 1, "calls rejected")
                .and_then(|()| account_totals(accounts, applied.account).record_rejected_call()),
        }
        .map_err(total)?;
    }
    if let (Err(rejection), Some(reports)) = (&applied.outcome, reports) {
        let origin = (origin.file, origin.line);
        reports
            .rejections
            .write_rejected_event(origin, event, rejection)?;
    }
    Ok(())
}

/// The totals of `account`, grown to hold it (ids are dense, from 0).
fn account_totals(accounts: &mut Vec<AccountTotals>, account: AccountId) -> &mut AccountTotals {
    let index = account.index();
    if accounts.len() <= index {
        accounts.resize_with(index + 1, AccountTotals::default);
    }
    &mut accounts[index]
}

/// The error that stops the run at the row of `origin`.
fn stop_at(origin: Origin<'_>, detail: String) -> RunError {
    RunError::Stop(LineError {
        file: origin.file.to_owned(),
        line: origin.line,
        detail,
    })
}
