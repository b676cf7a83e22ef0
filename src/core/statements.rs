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
use super::totals::{add, add_usd, magnitude, CreditTotals, TotalOverflow};
use rust_decimal::Decimal;

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

/// Builds the statements of a replay. Memory grows with accounts times
/// cycles.
///
/// Every entry and outcome is counted here, so the lookup must be cheap:
/// instead of hashing (account, cycle start), each account keeps the index
/// of its latest statement and each statement the index of the account's
/// one before it. Entries almost always belong to the latest cycle, so the
/// first probe hits; a late refund walks back a few cycles.
#[derive(Debug, Clone, Default)]
pub struct StatementBook {
    rows: Vec<Statement>,
    /// For each row, the account's previous row, or `NONE`.
    previous: Vec<u32>,
    /// For each account (by index), its latest row, or `NONE`.
    latest: Vec<u32>,
}

impl StatementBook {
    /// Reads the latest statement of `account`, like [`Engine::warm`]
    /// (see there): the result means nothing.
    ///
    /// [`Engine::warm`]: super::engine::Engine::warm
    pub fn warm(&self, account: AccountId) -> u64 {
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

    /// The statements sorted by account name, then cycle start.
    pub fn into_sorted<'a>(self, name: impl Fn(AccountId) -> &'a str) -> Vec<Statement> {
        let StatementBook {
            mut rows,
            previous,
            latest,
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
