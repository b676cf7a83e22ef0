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
use rust_decimal::Decimal;
use std::collections::HashMap;

/// A total grew past what its type holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {0} total would overflow")]
pub struct TotalOverflow(pub &'static str);

/// Adds to a credit or count total, refusing to wrap.
pub(crate) fn add(total: &mut u64, amount: u64, what: &'static str) -> Result<(), TotalOverflow> {
    *total = total.checked_add(amount).ok_or(TotalOverflow(what))?;
    Ok(())
}

/// Adds to a money total, refusing to overflow.
pub(crate) fn add_usd(
    total: &mut Decimal,
    amount: Decimal,
    what: &'static str,
) -> Result<(), TotalOverflow> {
    *total = total.checked_add(amount).ok_or(TotalOverflow(what))?;
    Ok(())
}

/// The size of a signed entry delta (they all come from `u64` amounts).
pub(crate) fn magnitude(delta: i128) -> u64 {
    u64::try_from(delta.unsigned_abs()).unwrap_or(u64::MAX)
}

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
    /// Credits granted at its start.
    pub granted: u64,
    /// Extra credits bought during it.
    pub purchased: u64,
    /// What they cost.
    pub purchase_usd: Decimal,
    /// Extra credits charged by its calls.
    pub used_extra: u64,
    /// Subscription credits charged by its calls.
    pub used_subscription: u64,
    /// Extra credits refunded for its calls.
    pub refunded_extra: u64,
    /// Subscription credits refunded for its calls.
    pub refunded_subscription: u64,
    /// Subscription credits expired at its end or refunded after it.
    pub expired: u64,
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
            granted: 0,
            purchased: 0,
            purchase_usd: Decimal::ZERO,
            used_extra: 0,
            used_subscription: 0,
            refunded_extra: 0,
            refunded_subscription: 0,
            expired: 0,
            calls: 0,
            songs: 0,
            lyrics: 0,
            rejected: 0,
        }
    }
}

/// Builds the statements of a replay. Memory grows with accounts times
/// cycles.
#[derive(Debug, Clone, Default)]
pub struct StatementBook {
    rows: HashMap<(AccountId, Instant), Statement>,
}

impl StatementBook {
    /// Counts one ledger entry in the statement of its cycle.
    pub fn record_entry(&mut self, entry: &LedgerEntry) -> Result<(), TotalOverflow> {
        let plan = entry.plan.clone().unwrap_or_else(|| "".into());
        let row = self
            .rows
            .entry((entry.account, entry.cycle.start))
            .or_insert_with(|| Statement::new(entry.account, entry.cycle, plan));
        let extra = magnitude(entry.extra_delta);
        let subscription = magnitude(entry.subscription_delta);
        match entry.kind {
            EntryKind::Fee => add_usd(&mut row.fee_usd, entry.usd, "fee")?,
            EntryKind::Grant => add(&mut row.granted, subscription, "granted")?,
            EntryKind::Expire => add(&mut row.expired, subscription, "expired")?,
            EntryKind::Purchase => {
                add(&mut row.purchased, extra, "purchased")?;
                add_usd(&mut row.purchase_usd, entry.usd, "purchase")?;
            }
            EntryKind::Charge => {
                add(&mut row.used_extra, extra, "used extra")?;
                add(
                    &mut row.used_subscription,
                    subscription,
                    "used subscription",
                )?;
            }
            EntryKind::Refund => {
                add(&mut row.refunded_extra, extra, "refunded extra")?;
                add(
                    &mut row.refunded_subscription,
                    subscription,
                    "refunded subscription",
                )?;
            }
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
        self.rows.get_mut(&(account, cycle?.start))
    }

    /// The statements sorted by account name, then cycle start.
    pub fn into_sorted<'a>(self, name: impl Fn(AccountId) -> &'a str) -> Vec<Statement> {
        let mut rows: Vec<Statement> = self.rows.into_values().collect();
        rows.sort_by(|a, b| {
            name(a.account)
                .cmp(name(b.account))
                .then(a.cycle.start.cmp(&b.cycle.start))
        });
        rows
    }
}
