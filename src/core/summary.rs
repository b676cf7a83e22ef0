//! The replay's totals (`summary.json`), built from entries and outcomes.

use super::engine::{Applied, Effect};
use super::ledger::{EntryKind, LedgerEntry};
use super::money::MAX_USD;
use super::rejection::Reason;
use super::statements::{add, add_usd, magnitude, TotalOverflow};
use rust_decimal::Decimal;

/// Credit totals: of one billing cycle in a [`Statement`], or over all
/// accounts in the [`Summary`].
///
/// [`Statement`]: super::statements::Statement
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreditTotals {
    /// Granted at cycle starts.
    pub granted: u64,
    /// Extra credits bought.
    pub purchased: u64,
    /// Extra credits charged.
    pub used_extra: u64,
    /// Subscription credits charged.
    pub used_subscription: u64,
    /// Extra credits refunded.
    pub refunded_extra: u64,
    /// Subscription credits refunded.
    pub refunded_subscription: u64,
    /// Subscription credits expired.
    pub expired: u64,
}

impl CreditTotals {
    /// Counts the credits a ledger entry of `kind` moved (fees move none).
    pub(crate) fn record(
        &mut self,
        kind: EntryKind,
        extra: u64,
        subscription: u64,
    ) -> Result<(), TotalOverflow> {
        match kind {
            EntryKind::Fee => Ok(()),
            EntryKind::Grant => add(&mut self.granted, subscription, "granted"),
            EntryKind::Expire => add(&mut self.expired, subscription, "expired"),
            EntryKind::Purchase => add(&mut self.purchased, extra, "purchased"),
            EntryKind::Charge => {
                add(&mut self.used_extra, extra, "used extra")?;
                add(
                    &mut self.used_subscription,
                    subscription,
                    "used subscription",
                )
            }
            EntryKind::Refund => {
                add(&mut self.refunded_extra, extra, "refunded extra")?;
                add(
                    &mut self.refunded_subscription,
                    subscription,
                    "refunded subscription",
                )
            }
        }
    }
}

/// Totals of one replay. `rows = accepted + rejected + skipped` always.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Data rows read.
    pub rows: u64,
    /// Rows applied and accepted.
    pub accepted: u64,
    /// Rows rejected, for any reason.
    pub rejected: u64,
    /// Rows later than the as-of time.
    pub skipped: u64,
    /// Rejections by reason, indexed like [`Reason::ALL`].
    pub rejections: [u64; Reason::ALL.len()],
    /// Money charged by fees.
    pub fees_usd: Decimal,
    /// Money charged for extra credits.
    pub purchases_usd: Decimal,
    /// Credit totals.
    pub credits: CreditTotals,
    /// Songs of accepted calls not refunded.
    pub songs: u64,
    /// Lyrics of accepted calls not refunded.
    pub lyrics: u64,
}

impl Summary {
    /// Counts a ledger entry's money and credits.
    pub fn record_entry(&mut self, entry: &LedgerEntry) -> Result<(), TotalOverflow> {
        let extra = magnitude(entry.extra_delta);
        let subscription = magnitude(entry.subscription_delta);
        self.credits.record(entry.kind, extra, subscription)?;
        match entry.kind {
            EntryKind::Fee => add_usd(&mut self.fees_usd, entry.usd, "fees")?,
            EntryKind::Purchase => add_usd(&mut self.purchases_usd, entry.usd, "purchases")?,
            _ => return Ok(()),
        }
        self.revenue_usd().ok_or(TotalOverflow("revenue"))?;
        Ok(())
    }

    /// Counts one applied row: accepted or rejected, songs and lyrics.
    pub fn record_applied(&mut self, applied: &Applied) -> Result<(), TotalOverflow> {
        match &applied.outcome {
            Ok(effect) => {
                add(&mut self.rows, 1, "rows")?;
                add(&mut self.accepted, 1, "accepted")?;
                match effect {
                    Effect::Called { songs, lyrics, .. } => {
                        add(&mut self.songs, *songs, "songs")?;
                        add(&mut self.lyrics, *lyrics, "lyrics")?;
                    }
                    Effect::Refunded { songs, lyrics, .. } => {
                        self.songs = self.songs.saturating_sub(*songs);
                        self.lyrics = self.lyrics.saturating_sub(*lyrics);
                    }
                    _ => {}
                }
            }
            Err(rejection) => self.record_rejection(rejection.reason())?,
        }
        Ok(())
    }

    /// Counts a rejected row (a business rejection, or `malformed` and
    /// `out_of_order` rows kept with `--keep-going`).
    pub fn record_rejection(&mut self, reason: Reason) -> Result<(), TotalOverflow> {
        add(&mut self.rows, 1, "rows")?;
        add(&mut self.rejected, 1, "rejected")?;
        let index = Reason::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        add(&mut self.rejections[index], 1, "rejections")
    }

    /// Counts a row later than the as-of time.
    pub fn record_skipped(&mut self) -> Result<(), TotalOverflow> {
        add(&mut self.rows, 1, "rows")?;
        add(&mut self.skipped, 1, "skipped")
    }

    /// Fees plus purchases; `None` past what can be written exactly with
    /// two decimals ([`MAX_USD`]).
    pub fn revenue_usd(&self) -> Option<Decimal> {
        self.fees_usd
            .checked_add(self.purchases_usd)
            .filter(|sum| *sum <= MAX_USD)
    }

    /// The reasons that occurred with their counts, in [`Reason::ALL`] order.
    pub fn rejections_by_reason(&self) -> impl Iterator<Item = (Reason, u64)> + '_ {
        Reason::ALL
            .iter()
            .zip(self.rejections)
            .filter(|(_, count)| *count > 0)
            .map(|(reason, count)| (*reason, count))
    }
}
