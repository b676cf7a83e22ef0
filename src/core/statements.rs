//! Statements: one row per account and billing cycle, built from the
//! engine's entries and outcomes (RULES.md section 8).
//!
//! Purchases, accepted calls and business rejections count in the cycle in
//! force at their time; refunds, and the songs and lyrics of calls, count
//! in the cycle of the charge; `expired` counts what expired at the cycle's
//! end plus what a late refund returned to it and expired at once. So for
//! every ended cycle `granted = used_subscription - refunded_subscription +
//! expired`.

use super::engine::{Applied, Effect};
use super::ledger::{AccountId, Cycle, EntryKind, LedgerEntry};
use super::plans::PlanId;
use super::time::Instant;
use super::totals::{add, add_usd, magnitude, CreditTotals, TotalOverflow};
use chrono::TimeDelta;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One account's activity in one billing cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The account.
    pub account: AccountId,
    /// The cycle.
    pub cycle: Cycle,
    /// The plan of the cycle.
    pub plan: PlanId,
    /// Fee charged at its start.
    pub fee_usd: Decimal,
    /// What the extra credits bought during it cost.
    pub purchase_usd: Decimal,
    /// Credits granted at its start, bought during it, charged and
    /// refunded for its calls, and expired at its end or refunded after it.
    pub credits: CreditTotals,
    /// Accepted calls, free ones included.
    pub calls: u64,
    /// Songs of its calls that were not refunded.
    pub songs: u64,
    /// Lyrics of its calls that were not refunded.
    pub lyrics: u64,
    /// Business rejections during it.
    pub rejected: u64,
}

impl Statement {
    fn new(account: AccountId, cycle: Cycle, plan: PlanId) -> Self {
        Statement {
            account,
            cycle,
            plan,
            fee_usd: Decimal::ZERO,
            purchase_usd: Decimal::ZERO,
            credits: CreditTotals::default(),
            calls: 0,
            songs: 0,
            lyrics: 0,
            rejected: 0,
        }
    }
}

/// No statement (the end of a chain in [`StatementBook`]).
const NONE: u32 = u32::MAX;

/// The fewest closed statements [`StatementBook::take_closed`] hands out
/// at once by default (and at least an eighth of the open ones): each
/// batch becomes a sorted run of `statements.csv` to merge at the end, so
/// runs stay few.
const MIN_CLOSED_BATCH: usize = 32 * 1024;

/// The day (since 1970-01-01) a time falls in.
fn day_of(time: Instant) -> i64 {
    time.timestamp().div_euclid(SECONDS_PER_DAY)
}

const SECONDS_PER_DAY: i64 = 86_400;

/// Builds the statements of a replay. Memory grows with accounts times
/// cycles.
///
/// Every entry and outcome is counted here, so the lookup must be cheap:
/// instead of hashing (account, cycle start), each account keeps the index
/// of its latest statement and each statement the index of the account's
/// one before it. Entries almost always belong to the latest cycle, so the
/// first probe hits; a late refund walks back a few cycles.
///
/// A statement can change until no refund can reach its cycle any more:
/// refunds undo charges made inside the cycle, and a charge can be
/// refunded only inside the task window after it. So once the time is past
/// the cycle's end plus the task window, the statement is final, and
/// [`StatementBook::take_closed`] hands such statements out, so that a
/// replay's memory holds the open cycles only, not every month of a year.
#[derive(Debug, Clone)]
pub struct StatementBook {
    rows: Vec<Statement>,
    /// For each row, the account's previous row, or `NONE`.
    previous: Vec<u32>,
    /// For each account (by index), its latest row, or `NONE`.
    latest: Vec<u32>,
    /// How many rows end on each day not yet closed.
    ending: BTreeMap<i64, usize>,
    /// Rows ending before this day are closed (no entry or outcome can
    /// reach them any more) but still held.
    closed_before_day: i64,
    /// How many rows end before `closed_before_day`.
    closed: usize,
    /// The fewest closed rows `take_closed` hands out at once.
    min_closed_batch: usize,
}

impl Default for StatementBook {
    fn default() -> Self {
        StatementBook {
            rows: Vec::new(),
            previous: Vec::new(),
            latest: Vec::new(),
            ending: BTreeMap::new(),
            closed_before_day: i64::MIN,
            closed: 0,
            min_closed_batch: MIN_CLOSED_BATCH,
        }
    }
}

impl StatementBook {
    /// Hands out closed statements (see [`StatementBook::take_closed`]) in
    /// batches of at least `rows` (default 32Ki) and an eighth of the open
    /// ones: fewer rows held, but more and smaller runs to merge.
    pub fn with_min_closed_batch(mut self, rows: usize) -> Self {
        self.min_closed_batch = rows.max(1);
        self
    }

    /// Reads the latest statement of `account`, like [`Engine::warm`]
    /// (see there): the result means nothing.
    ///
    /// [`Engine::warm`]: super::engine::Engine::warm
    pub(crate) fn warm(&self, account: AccountId) -> u64 {
        let latest = self.latest.get(account.index()).copied().unwrap_or(NONE);
        self.rows
            .get(latest as usize)
            // Fields at both ends of the row, which spans cache lines.
            .map_or(0, |row| {
                row.calls
                    ^ row.credits.used_subscription
                    ^ u64::from(row.cycle.start == row.cycle.end)
            })
    }

    /// The index of the statement of `account` for the cycle starting at
    /// `cycle.start`, if there is one.
    fn find(&self, account: AccountId, cycle: &Cycle) -> Option<usize> {
        let mut index = *self.latest.get(account.index())?;
        while index != NONE {
            let i = index as usize;
            let row = self.rows.get(i)?;
            if row.cycle.start == cycle.start {
                return Some(i);
            }
            // An account's rows are made in cycle order: past an older
            // cycle there is no match. (Without this, every new cycle walks
            // the whole chain: quadratic in an account's cycles.)
            if row.cycle.start < cycle.start {
                return None;
            }
            index = *self.previous.get(i)?;
        }
        None
    }

    /// The statement of the entry's account and cycle, created on the
    /// first entry of the cycle (its fee).
    fn row_for_entry(&mut self, entry: &LedgerEntry) -> Result<&mut Statement, TotalOverflow> {
        let index = match self.find(entry.account, &entry.cycle) {
            Some(index) => index,
            None => {
                let account = entry.account.index();
                if self.latest.len() <= account {
                    self.latest.resize(account + 1, NONE);
                }
                let index = self.rows.len();
                let new_latest = u32::try_from(index).map_err(|_| TotalOverflow("statements"))?;
                let plan = entry.plan.clone().unwrap_or_else(|| "".into());
                let end_day = day_of(entry.cycle.end);
                // A closed cycle gets no entry: `take_closed` would have
                // handed out its statement too early.
                debug_assert!(end_day >= self.closed_before_day);
                *self.ending.entry(end_day).or_default() += 1;
                self.rows
                    .push(Statement::new(entry.account, entry.cycle, plan));
                self.previous.push(self.latest[account]);
                self.latest[account] = new_latest;
                index
            }
        };
        Ok(&mut self.rows[index])
    }

    /// Counts one ledger entry in the statement of its cycle.
    ///
    /// # Errors
    ///
    /// [`TotalOverflow`] when a count of the statement would pass `u64::MAX`.
    pub fn record_entry(&mut self, entry: &LedgerEntry) -> Result<(), TotalOverflow> {
        let row = self.row_for_entry(entry)?;
        let extra = magnitude(entry.extra_delta);
        let subscription = magnitude(entry.subscription_delta);
        row.credits.record(entry.kind, extra, subscription)?;
        match entry.kind {
            EntryKind::Fee => add_usd(&mut row.fee_usd, entry.usd, "fee")?,
            EntryKind::Purchase => add_usd(&mut row.purchase_usd, entry.usd, "purchase")?,
            _ => {}
        }
        Ok(())
    }

    /// Counts one event's outcome: accepted calls, their songs and lyrics,
    /// refunds' undoing of them, and business rejections.
    ///
    /// # Errors
    ///
    /// [`TotalOverflow`] when a count of the statement would pass `u64::MAX`.
    pub fn record_applied(&mut self, applied: &Applied) -> Result<(), TotalOverflow> {
        match &applied.outcome {
            Ok(Effect::Called { songs, lyrics, .. }) => {
                if let Some(row) = self.row(applied.account, applied.cycle) {
                    add(&mut row.calls, 1, "calls")?;
                    add(&mut row.songs, *songs, "songs")?;
                    add(&mut row.lyrics, *lyrics, "lyrics")?;
                }
            }
            Ok(Effect::Refunded {
                charge_cycle,
                songs,
                lyrics,
                ..
            }) => {
                if let Some(row) = self.row(applied.account, Some(*charge_cycle)) {
                    // The charge added these to the same row.
                    row.songs = row.songs.saturating_sub(*songs);
                    row.lyrics = row.lyrics.saturating_sub(*lyrics);
                }
            }
            Ok(_) => {}
            Err(_) => {
                if let Some(row) = self.row(applied.account, applied.cycle) {
                    add(&mut row.rejected, 1, "rejected")?;
                }
            }
        }
        Ok(())
    }

    fn row(&mut self, account: AccountId, cycle: Option<Cycle>) -> Option<&mut Statement> {
        let index = self.find(account, &cycle?)?;
        self.rows.get_mut(index)
    }

    /// Hands out the statements that no entry or outcome can change any
    /// more at `now` (the time of the latest event applied; later events
    /// come at or after it) with `task_window` the engine's: those whose
    /// cycle ended at least a task window before `now`, counted from the
    /// end of the day the cycle ends, so up to a day late. To keep the
    /// work per statement small they come in batches (in no particular
    /// order) of at least 32Ki (see [`StatementBook::with_min_closed_batch`])
    /// and an eighth of the open ones; until then the result is empty.
    pub fn take_closed(&mut self, now: Instant, task_window: TimeDelta) -> Vec<Statement> {
        let Some(limit) = now.checked_sub_signed(task_window.max(TimeDelta::zero())) else {
            return Vec::new();
        };
        // A cycle ending on day d is closed once (d + 1) days + the window
        // have passed.
        let limit_day = day_of(limit);
        while let Some(entry) = self.ending.first_entry() {
            if *entry.key() >= limit_day {
                break;
            }
            self.closed += entry.remove();
        }
        self.closed_before_day = self.closed_before_day.max(limit_day);
        let open = self.rows.len() - self.closed;
        if self.closed < self.min_closed_batch.max(open / 8) {
            return Vec::new();
        }
        self.remove_closed()
    }

    /// Removes the closed rows, keeping the others' order and links.
    fn remove_closed(&mut self) -> Vec<Statement> {
        let before_day = self.closed_before_day;
        let is_closed = |row: &Statement| day_of(row.cycle.end) < before_day;
        let mut new_index = Vec::with_capacity(self.rows.len());
        let mut kept: u32 = 0;
        for row in &self.rows {
            if is_closed(row) {
                new_index.push(NONE);
            } else {
                new_index.push(kept);
                kept += 1;
            }
        }
        let renumber = |index: u32| {
            if index == NONE {
                NONE
            } else {
                new_index[index as usize]
            }
        };
        // An account's rows close oldest first (its cycles end in the order
        // they start), so a kept row's link to a closed one ends its chain.
        let mut previous = std::mem::take(&mut self.previous);
        let mut position = 0;
        previous.retain_mut(|link| {
            let keep = new_index[position] != NONE;
            position += 1;
            *link = renumber(*link);
            keep
        });
        self.previous = previous;
        for latest in &mut self.latest {
            *latest = renumber(*latest);
        }
        let closed: Vec<Statement> = self.rows.extract_if(.., |row| is_closed(row)).collect();
        debug_assert_eq!(closed.len(), self.closed);
        self.closed = 0;
        closed
    }

    /// The statements sorted by account name, then cycle start.
    pub fn into_sorted<'a>(self, name: impl Fn(AccountId) -> &'a str) -> Vec<Statement> {
        let StatementBook {
            mut rows,
            previous,
            latest,
            ..
        } = self;
        // The links are not needed any more: free them before sorting.
        drop((previous, latest));
        // No two rows share an account and a cycle start, so an unstable
        // sort gives the same order as a stable one, without the stable
        // sort's scratch copy of half the rows (tens of megabytes over a
        // year of cycles).
        rows.sort_unstable_by(|a, b| {
            name(a.account)
                .cmp(name(b.account))
                .then(a.cycle.start.cmp(&b.cycle.start))
        });
        rows
    }
}
