//! What the HTML report gathers as the replay goes: monthly totals,
//! rejections by reason, and per account its usage, its rejections, the
//! buckets after every movement and its statement per cycle.

use crate::core::time::Instant;
use crate::core::{EntryKind, LedgerEntry, RuleBook};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// A billing month, `YYYY-MM` of the cycle's start.
pub type Month = String;

/// Totals of one billing month.
#[derive(Debug, Default, Clone)]
pub struct MonthTotals {
    pub fees_usd: Decimal,
    pub purchases_usd: Decimal,
    pub granted: u128,
    pub purchased: u128,
    pub used: u128,
    pub refunded: u128,
    pub expired: u128,
}

/// One account's statement of one cycle, as far as the entries tell it.
#[derive(Debug, Default, Clone)]
pub struct CycleRow {
    pub start: Instant,
    pub end: Instant,
    pub plan: String,
    pub fee_usd: Decimal,
    pub granted: u128,
    pub purchased: u128,
    pub purchase_usd: Decimal,
    pub used_extra: u128,
    pub used_subscription: u128,
    pub refunded_extra: u128,
    pub refunded_subscription: u128,
    pub expired: u128,
    /// Credits charged per provider, net of refunds.
    pub by_provider: BTreeMap<String, i128>,
}

/// The buckets after one movement.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub time: Instant,
    pub extra: u64,
    pub subscription: u64,
}

/// Everything kept about one account.
#[derive(Debug, Default)]
pub struct AccountData {
    pub name: String,
    /// Credits charged, net of refunds.
    pub used: i128,
    pub rejections: u64,
    pub points: Vec<Point>,
    /// By cycle start.
    pub cycles: BTreeMap<Instant, CycleRow>,
}

/// The report's data, fed by the replay.
#[derive(Debug, Default)]
pub struct Collected {
    pub months: BTreeMap<Month, MonthTotals>,
    pub rejections: BTreeMap<&'static str, u64>,
    pub accounts: Vec<AccountData>,
    index: FxHashMap<String, usize>,
}

fn credits(delta: i128) -> u128 {
    delta.unsigned_abs()
}

/// Adds without overflow: sums are capped where a total could not be
/// written anyway (the reports stop on such totals before this is read).
fn add<T: Saturating>(total: &mut T, amount: T) {
    *total = total.saturating(amount);
}

/// The saturating sum of credits and dollars.
trait Saturating: Copy {
    fn saturating(self, other: Self) -> Self;
}

impl Saturating for u128 {
    fn saturating(self, other: Self) -> Self {
        self.saturating_add(other)
    }
}

impl Saturating for u64 {
    fn saturating(self, other: Self) -> Self {
        self.saturating_add(other)
    }
}

impl Saturating for Decimal {
    fn saturating(self, other: Self) -> Self {
        self.saturating_add(other)
    }
}

impl Collected {
    fn account(&mut self, name: &str) -> &mut AccountData {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                let i = self.accounts.len();
                self.index.insert(name.to_owned(), i);
                self.accounts.push(AccountData {
                    name: name.to_owned(),
                    ..AccountData::default()
                });
                i
            }
        };
        &mut self.accounts[i]
    }

    /// Counts a rejection of `account` (empty when the row named none).
    pub fn rejection(&mut self, account: &str, code: &'static str) {
        add(self.rejections.entry(code).or_default(), 1);
        if !account.is_empty() {
            add(&mut self.account(account).rejections, 1);
        }
    }

    /// Follows one ledger entry.
    pub fn entry(&mut self, entry: &LedgerEntry, account: &str, rules: &RuleBook) {
        let month = entry.cycle.start.format("%Y-%m").to_string();
        let totals = self.months.entry(month).or_default();
        let moved = credits(entry.extra_delta).saturating_add(credits(entry.subscription_delta));
        match entry.kind {
            EntryKind::Fee => add(&mut totals.fees_usd, entry.usd),
            EntryKind::Purchase => {
                add(&mut totals.purchases_usd, entry.usd);
                add(&mut totals.purchased, moved);
            }
            EntryKind::Grant => add(&mut totals.granted, moved),
            EntryKind::Charge => add(&mut totals.used, moved),
            EntryKind::Refund => add(&mut totals.refunded, moved),
            EntryKind::Expire => add(&mut totals.expired, moved),
        }
        let provider = entry
            .rule
            .and_then(|rule| rules.call(rule))
            .map(|(provider, _)| provider.to_owned());
        let data = self.account(account);
        data.points.push(Point {
            time: entry.time,
            extra: entry.extra_balance,
            subscription: entry.subscription_balance,
        });
        let row = data
            .cycles
            .entry(entry.cycle.start)
            .or_insert_with(|| CycleRow {
                start: entry.cycle.start,
                end: entry.cycle.end,
                ..CycleRow::default()
            });
        if let (Some(plan), true) = (&entry.plan, row.plan.is_empty()) {
            row.plan = plan.to_string();
        }
        let (extra, subscription) = (
            credits(entry.extra_delta),
            credits(entry.subscription_delta),
        );
        let mut usage = 0i128;
        match entry.kind {
            EntryKind::Fee => add(&mut row.fee_usd, entry.usd),
            EntryKind::Grant => add(&mut row.granted, moved),
            EntryKind::Purchase => {
                add(&mut row.purchased, moved);
                add(&mut row.purchase_usd, entry.usd);
            }
            EntryKind::Charge => {
                add(&mut row.used_extra, extra);
                add(&mut row.used_subscription, subscription);
                usage = entry
                    .extra_delta
                    .saturating_add(entry.subscription_delta)
                    .saturating_neg();
            }
            EntryKind::Refund => {
                add(&mut row.refunded_extra, extra);
                add(&mut row.refunded_subscription, subscription);
                usage = entry
                    .extra_delta
                    .saturating_add(entry.subscription_delta)
                    .saturating_neg();
            }
            EntryKind::Expire => add(&mut row.expired, moved),
        }
        if let Some(provider) = provider {
            let net = row.by_provider.entry(provider).or_default();
            *net = net.saturating_add(usage);
        }
        data.used = data.used.saturating_add(usage);
    }
}
