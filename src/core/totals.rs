//! Checked totals: the credit totals that statements and the summary both
//! keep, and the additions that refuse to wrap or to pass [`MAX_USD`].

use super::ledger::EntryKind;
use super::money::MAX_USD;
use rust_decimal::Decimal;

/// A total grew past what its type holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {0} total would overflow")]
pub struct TotalOverflow(pub &'static str);

/// Adds to a credit or count total, refusing to wrap.
pub(crate) fn add(total: &mut u64, amount: u64, what: &'static str) -> Result<(), TotalOverflow> {
    *total = total.checked_add(amount).ok_or(TotalOverflow(what))?;
    Ok(())
}

/// Adds to a money total, refusing to overflow or to grow past what can be
/// written exactly with two decimals ([`MAX_USD`]).
pub(crate) fn add_usd(
    total: &mut Decimal,
    amount: Decimal,
    what: &'static str,
) -> Result<(), TotalOverflow> {
    *total = total
        .checked_add(amount)
        .filter(|sum| *sum <= MAX_USD)
        .ok_or(TotalOverflow(what))?;
    Ok(())
}

/// The size of a signed entry delta (they all come from `u64` amounts).
pub(crate) fn magnitude(delta: i128) -> u64 {
    u64::try_from(delta.unsigned_abs()).unwrap_or(u64::MAX)
}

/// Credit totals: of one billing cycle in a [`Statement`], or over all
/// accounts in the [`Summary`].
///
/// [`Statement`]: super::statements::Statement
/// [`Summary`]: super::summary::Summary
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
