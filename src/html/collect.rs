//! What the HTML report gathers as the replay goes: monthly totals,
//! rejections by reason, and per account its usage, its rejections, its
//! buckets day by day and its statement per cycle.
//!
//! Memory is bounded per account, whatever the number of rows: the bucket
//! chart keeps one point per ledger entry (its balances after the entry)
//! up to [`MAX_POINTS`]; past that the points are merged into spans of
//! time aligned on the epoch, a minute, then 2, 4, 8, ... minutes, as
//! long as needed to keep at most [`MAX_POINTS`], each span keeping the
//! balances after its last entry. The points depend only on the entries,
//! so the pages stay deterministic. Cycles are kept
//! as one row per account and cycle (as many as statements.csv has), with
//! the providers as small indices. Only the busiest accounts get a page,
//! but which ones is known only at the end, so every account is followed.

use crate::core::time::Instant;
use crate::core::{AccountId, EntryKind, LedgerEntry, PlanId, RuleBook};
use chrono::Datelike;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::fmt;

/// The most bucket points kept per account.
pub const MAX_POINTS: usize = 32;

/// A billing month: the year and month of the cycle's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month(i32, u32);

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.0, self.1)
    }
}

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
    pub plan: Option<PlanId>,
    pub fee_usd: Decimal,
    pub granted: u128,
    pub purchased: u128,
    pub purchase_usd: Decimal,
    pub used_extra: u128,
    pub used_subscription: u128,
    pub refunded_extra: u128,
    pub refunded_subscription: u128,
    pub expired: u128,
    /// Credits charged per provider (its index in [`Providers`]), net of
    /// refunds, sorted by index.
    pub by_provider: Vec<(u16, i128)>,
}

/// The buckets at the end of a day (or span of days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// The time of the last entry of the day.
    pub time: Instant,
    pub extra: u64,
    pub subscription: u64,
}

/// The first span of time points are merged into, in seconds.
const FIRST_SPAN: i64 = 60;

/// The bucket points of one account, at most [`MAX_POINTS`].
#[derive(Debug, Default)]
pub struct Points {
    /// Seconds per point: 0 (one point per entry) until the cap is
    /// reached, then a minute, doubled as often as needed.
    span: i64,
    points: Vec<Point>,
}

/// Appends `point`, or overwrites the last point when both fall in the
/// same span of `span` seconds (never when `span` is 0).
fn keep_last(points: &mut Vec<Point>, point: Point, span: i64) {
    let of = |time: Instant| time.timestamp().div_euclid(span);
    match points.last_mut() {
        Some(last) if span > 0 && of(last.time) == of(point.time) => *last = point,
        _ => points.push(point),
    }
}

impl Points {
    /// Follows one movement.
    fn push(&mut self, point: Point) {
        keep_last(&mut self.points, point, self.span);
        while self.points.len() > MAX_POINTS {
            self.span = if self.span == 0 {
                FIRST_SPAN
            } else {
                self.span.saturating_mul(2)
            };
            let mut merged: Vec<Point> = Vec::with_capacity(MAX_POINTS + 1);
            for &p in &self.points {
                keep_last(&mut merged, p, self.span);
            }
            self.points = merged;
        }
    }

    /// The points, oldest first.
    pub fn as_slice(&self) -> &[Point] {
        &self.points
    }

    /// Seconds per point: 0 while every entry has its point.
    pub fn span_seconds(&self) -> i64 {
        self.span
    }
}

/// Everything kept about one account.
#[derive(Debug, Default)]
pub struct AccountData {
    pub name: String,
    /// Credits charged, net of refunds.
    pub used: i128,
    pub rejections: u64,
    pub points: Points,
    /// Sorted by cycle start (entries come in time order, so a new cycle
    /// is nearly always the last).
    pub cycles: Vec<CycleRow>,
}

/// The providers of the rule book, sorted by name, and the provider of
/// each rule.
#[derive(Debug, Default)]
pub struct Providers {
    pub names: Vec<String>,
    of_rule: Vec<u16>,
}

impl Providers {
    fn new(rules: &RuleBook) -> Self {
        let mut names: Vec<String> = rules.by_position().map(|(p, _, _)| p.to_owned()).collect();
        names.sort();
        names.dedup();
        let of_rule = rules
            .by_position()
            .map(|(p, _, _)| {
                let i = names.binary_search_by(|n| n.as_str().cmp(p)).unwrap_or(0);
                u16::try_from(i).unwrap_or(u16::MAX)
            })
            .collect();
        Providers { names, of_rule }
    }

    /// The provider's name of index `i`.
    pub fn name(&self, i: u16) -> &str {
        self.names.get(usize::from(i)).map_or("", String::as_str)
    }
}

/// The report's data, fed by the replay.
#[derive(Debug, Default)]
pub struct Collected {
    pub months: BTreeMap<Month, MonthTotals>,
    pub rejections: BTreeMap<&'static str, u64>,
    pub accounts: Vec<AccountData>,
    pub providers: Providers,
    /// `accounts` index by the engine's account id (`u32::MAX`: none yet),
    /// so an entry needs no look-up by name.
    by_id: Vec<u32>,
    by_name: FxHashMap<String, usize>,
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
    /// Empty, with the providers of `rules`.
    pub fn new(rules: &RuleBook) -> Self {
        Collected {
            providers: Providers::new(rules),
            ..Collected::default()
        }
    }

    fn by_name(&mut self, name: &str) -> usize {
        match self.by_name.get(name) {
            Some(&i) => i,
            None => {
                let i = self.accounts.len();
                self.by_name.insert(name.to_owned(), i);
                self.accounts.push(AccountData {
                    name: name.to_owned(),
                    ..AccountData::default()
                });
                i
            }
        }
    }

    fn by_id(&mut self, id: AccountId, name: &str) -> usize {
        if let Some(&i) = self.by_id.get(id.index()) {
            if i != u32::MAX {
                return i as usize;
            }
        }
        let i = self.by_name(name);
        if self.by_id.len() <= id.index() {
            self.by_id.resize(id.index() + 1, u32::MAX);
        }
        self.by_id[id.index()] = u32::try_from(i).unwrap_or(u32::MAX);
        i
    }

    /// Counts a rejection of `account` (empty when the row named none).
    pub fn rejection(&mut self, account: &str, code: &'static str) {
        add(self.rejections.entry(code).or_default(), 1);
        if !account.is_empty() {
            let i = self.by_name(account);
            add(&mut self.accounts[i].rejections, 1);
        }
    }

    /// Follows one ledger entry.
    pub fn entry(&mut self, entry: &LedgerEntry, account: &str) {
        let start = entry.cycle.start;
        let month = Month(start.year(), start.month());
        self.months.entry(month).or_default().add(entry);
        let provider = entry
            .rule
            .and_then(|rule| self.providers.of_rule.get(rule.index()).copied());
        let i = self.by_id(entry.account, account);
        let data = &mut self.accounts[i];
        data.points.push(Point {
            time: entry.time,
            extra: entry.extra_balance,
            subscription: entry.subscription_balance,
        });
        let usage = data.cycle_of(entry).add(entry, provider);
        data.used = data.used.saturating_add(usage);
    }
}

/// The credits an entry moves, both buckets together.
fn moved(entry: &LedgerEntry) -> u128 {
    credits(entry.extra_delta).saturating_add(credits(entry.subscription_delta))
}

impl MonthTotals {
    /// Adds an entry of this billing month.
    fn add(&mut self, entry: &LedgerEntry) {
        let moved = moved(entry);
        match entry.kind {
            EntryKind::Fee => add(&mut self.fees_usd, entry.usd),
            EntryKind::Purchase => {
                add(&mut self.purchases_usd, entry.usd);
                add(&mut self.purchased, moved);
            }
            EntryKind::Grant => add(&mut self.granted, moved),
            EntryKind::Charge => add(&mut self.used, moved),
            EntryKind::Refund => add(&mut self.refunded, moved),
            EntryKind::Expire => add(&mut self.expired, moved),
        }
    }
}

impl AccountData {
    /// The row of the entry's cycle, made when it is the first entry of
    /// that cycle. Entries come in time order, so it is nearly always the
    /// last row; any other is found by its start.
    fn cycle_of(&mut self, entry: &LedgerEntry) -> &mut CycleRow {
        let start = entry.cycle.start;
        let at = match self.cycles.last() {
            Some(last) if last.start == start => self.cycles.len() - 1,
            _ => match self.cycles.binary_search_by_key(&start, |c| c.start) {
                Ok(at) => at,
                Err(at) => {
                    let row = CycleRow {
                        start,
                        end: entry.cycle.end,
                        ..CycleRow::default()
                    };
                    self.cycles.insert(at, row);
                    at
                }
            },
        };
        &mut self.cycles[at]
    }
}

impl CycleRow {
    /// Adds an entry of this cycle (`provider`: its rule's provider, if
    /// any); the credits it used, net (a refund's are negative).
    fn add(&mut self, entry: &LedgerEntry, provider: Option<u16>) -> i128 {
        if self.plan.is_none() {
            self.plan.clone_from(&entry.plan);
        }
        let (extra, subscription) = (
            credits(entry.extra_delta),
            credits(entry.subscription_delta),
        );
        let moved = moved(entry);
        let usage = match entry.kind {
            EntryKind::Charge | EntryKind::Refund => entry
                .extra_delta
                .saturating_add(entry.subscription_delta)
                .saturating_neg(),
            _ => 0,
        };
        match entry.kind {
            EntryKind::Fee => add(&mut self.fee_usd, entry.usd),
            EntryKind::Grant => add(&mut self.granted, moved),
            EntryKind::Purchase => {
                add(&mut self.purchased, moved);
                add(&mut self.purchase_usd, entry.usd);
            }
            EntryKind::Charge => {
                add(&mut self.used_extra, extra);
                add(&mut self.used_subscription, subscription);
            }
            EntryKind::Refund => {
                add(&mut self.refunded_extra, extra);
                add(&mut self.refunded_subscription, subscription);
            }
            EntryKind::Expire => add(&mut self.expired, moved),
        }
        if let Some(provider) = provider {
            match self
                .by_provider
                .binary_search_by_key(&provider, |&(p, _)| p)
            {
                Ok(at) => {
                    let net = &mut self.by_provider[at].1;
                    *net = net.saturating_add(usage);
                }
                Err(at) => self.by_provider.insert(at, (provider, usage)),
            }
        }
        usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(seconds: i64, extra: u64) -> Point {
        Point {
            time: chrono::DateTime::from_timestamp(seconds, 0).unwrap(),
            extra,
            subscription: 0,
        }
    }

    #[test]
    fn every_entry_has_a_point_up_to_the_cap() {
        let mut points = Points::default();
        for (time, extra) in [(10, 1), (10, 2), (20, 3)] {
            points.push(point(time, extra));
        }
        assert_eq!(
            points.as_slice(),
            [point(10, 1), point(10, 2), point(20, 3)]
        );
        assert_eq!(points.span_seconds(), 0);
    }

    #[test]
    fn past_the_cap_entries_merge_into_spans_keeping_the_last_values() {
        let mut points = Points::default();
        // An entry every 30 s: a minute holds two, so the first span
        // halves them, and again when they fill up.
        let entries = 3 * MAX_POINTS as i64;
        for n in 0..entries {
            points.push(point(n * 30, n as u64));
        }
        let kept = points.as_slice();
        assert!(kept.len() <= MAX_POINTS, "{} points", kept.len());
        assert_eq!(points.span_seconds(), 120);
        // Each span keeps its last entry; the last point is the last value.
        assert_eq!(kept[0], point(90, 3));
        assert_eq!(
            kept.last(),
            Some(&point((entries - 1) * 30, entries as u64 - 1))
        );
        assert!(kept.windows(2).all(|w| w[0].time < w[1].time));
    }
}
