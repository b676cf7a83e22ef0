//! The replay's totals (`summary.json`), built from entries and outcomes.

use super::engine::{Applied, Effect};
use super::ledger::{EntryKind, LedgerEntry};
use super::money::MAX_USD;
use super::rejection::Reason;
use super::totals::{add, add_usd, magnitude, CreditTotals, TotalOverflow};
use rust_decimal::Decimal;

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
    ///
    /// # Errors
    ///
    /// [`TotalOverflow`] when a total would pass its type's maximum.
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
    ///
    /// # Errors
    ///
    /// [`TotalOverflow`] when a total would pass its type's maximum.
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
    ///
    /// # Errors
    ///
    /// [`TotalOverflow`] when the count would pass `u64::MAX`.
    pub fn record_rejection(&mut self, reason: Reason) -> Result<(), TotalOverflow> {
        add(&mut self.rows, 1, "rows")?;
        add(&mut self.rejected, 1, "rejected")?;
        let index = Reason::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        add(&mut self.rejections[index], 1, "rejections")
    }

    /// Counts a row later than the as-of time.
    ///
    /// # Errors
    ///
    /// [`TotalOverflow`] when the count would pass `u64::MAX`.
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
