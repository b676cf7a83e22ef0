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
//!
//! Following an entry is the report's whole cost (issue 18): each entry
//! lands on one of many accounts at random, so what it touches is a cache
//! miss. Hence one record per account, indexed by the engine's id, with
//! the points and the current cycle inline: the misses of one entry fall
//! at fixed offsets of one record and overlap, instead of chaining from
//! an id table to the record to its vectors.

use super::points::{Point, Points};
use crate::core::time::Instant;
use crate::core::{AccountId, EntryKind, LedgerEntry, PlanId, RuleBook};
use chrono::Datelike;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::fmt;

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

/// What the overview shows of one account.
#[derive(Debug)]
pub struct AccountData {
    pub name: String,
    /// Credits charged, net of refunds: filled by [`Collected::settle`].
    pub used: i128,
    pub rejections: u64,
    /// Its [`Slot`] (the engine's account id), if it has entries.
    slot: Option<usize>,
}

/// What an account page shows besides its [`AccountData`].
#[derive(Debug, Default)]
pub struct Detail<'a> {
    pub points: &'a [Point],
    /// Seconds per point: 0 while every entry has its point.
    pub span: i64,
    /// Sorted by cycle start.
    pub cycles: Vec<CycleRow>,
}

/// How many providers (the first, by index) the current cycle of an
/// account counts inline; the others go to its row's `by_provider`.
const INLINE_PROVIDERS: usize = 8;

/// The latest cycle of an account, its providers' usage inline.
#[derive(Debug, Default, Clone)]
struct Current {
    /// Its `by_provider` holds only providers from [`INLINE_PROVIDERS`] up.
    row: CycleRow,
    inline: [i128; INLINE_PROVIDERS],
    /// Bit `p`: provider `p` has an entry (a net 0 still gets its row).
    touched: u8,
}

impl Current {
    fn new(entry: &LedgerEntry) -> Self {
        Current {
            row: CycleRow::new(entry),
            ..Current::default()
        }
    }

    /// Adds an entry of this cycle; the credits it used, net.
    fn add(&mut self, entry: &LedgerEntry, provider: Option<u16>) -> i128 {
        let usage = self.row.add_totals(entry);
        if let Some(provider) = provider {
            match self.inline.get_mut(usize::from(provider)) {
                Some(net) => {
                    *net = net.saturating_add(usage);
                    self.touched |= 1 << provider;
                }
                None => add_provider(&mut self.row.by_provider, provider, usage),
            }
        }
        usage
    }

    /// The row, every provider in `by_provider`, sorted by index.
    fn into_row(self) -> CycleRow {
        let mut row = self.row;
        let inline = (0u16..)
            .zip(self.inline)
            .filter(|&(p, _)| self.touched & (1 << p) != 0);
        row.by_provider.splice(0..0, inline);
        row
    }
}

/// Everything followed of one account, indexed by the engine's account
/// id. An entry touches only this record: its hot fields first, at fixed
/// offsets (`repr(C)`), so that their cache misses overlap instead of
/// following one another from pointer to pointer.
#[derive(Debug, Default)]
#[repr(C)]
struct Slot {
    /// Its index in [`Collected::accounts`], once it has an entry.
    account: Option<u32>,
    used: i128,
    current: Option<Current>,
    points: Points,
    /// The cycles before `current`, sorted by start.
    past: Vec<CycleRow>,
}

impl Slot {
    /// Follows one of its entries.
    fn add(&mut self, entry: &LedgerEntry, provider: Option<u16>) {
        self.points.push(Point {
            time: entry.time,
            extra: entry.extra_balance,
            subscription: entry.subscription_balance,
        });
        let usage = self.add_to_cycle(entry, provider);
        self.used = self.used.saturating_add(usage);
    }

    /// Adds the entry to its cycle's row: nearly always the current one
    /// (entries come in time order); a refund's may be an earlier one.
    fn add_to_cycle(&mut self, entry: &LedgerEntry, provider: Option<u16>) -> i128 {
        let start = entry.cycle.start;
        match &mut self.current {
            Some(current) if current.row.start == start => return current.add(entry, provider),
            Some(current) if current.row.start > start => {
                return past_row(&mut self.past, entry).add(entry, provider);
            }
            _ => {}
        }
        if let Some(old) = self.current.take() {
            self.past.push(old.into_row());
        }
        self.current
            .insert(Current::new(entry))
            .add(entry, provider)
    }

    fn cycles(&self) -> Vec<CycleRow> {
        let mut cycles = self.past.clone();
        cycles.extend(self.current.clone().map(Current::into_row));
        cycles
    }
}

/// The row of the entry's cycle among `past` (sorted by start), made when
/// it is the first entry of that cycle.
fn past_row<'a>(past: &'a mut Vec<CycleRow>, entry: &LedgerEntry) -> &'a mut CycleRow {
    let start = entry.cycle.start;
    let at = match past.binary_search_by_key(&start, |c| c.start) {
        Ok(at) => at,
        Err(at) => {
            past.insert(at, CycleRow::new(entry));
            at
        }
    };
    &mut past[at]
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
    /// Every account named by an entry or a rejected row.
    pub accounts: Vec<AccountData>,
    pub providers: Providers,
    /// By the engine's account id: an entry needs no look-up by name.
    slots: Vec<Slot>,
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
                    used: 0,
                    rejections: 0,
                    slot: None,
                });
                i
            }
        }
    }

    /// The slot of account `id`, named `name`, made on its first entry.
    fn slot(&mut self, id: AccountId, name: &str) -> &mut Slot {
        let at = id.index();
        if self.slots.len() <= at {
            self.slots.resize_with(at + 1, Slot::default);
        }
        if self.slots[at].account.is_none() {
            let i = self.by_name(name);
            self.accounts[i].slot = Some(at);
            self.slots[at].account = u32::try_from(i).ok();
        }
        &mut self.slots[at]
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
        self.slot(entry.account, account).add(entry, provider);
    }

    /// Copies each account's usage from its slot, once the entries are
    /// over: the slot alone is touched while they come.
    pub fn settle(&mut self) {
        for data in &mut self.accounts {
            if let Some(slot) = data.slot.and_then(|at| self.slots.get(at)) {
                data.used = slot.used;
            }
        }
    }

    /// The points and cycles of account `i` (an index in `accounts`).
    pub fn detail(&self, i: usize) -> Detail<'_> {
        let slot = self
            .accounts
            .get(i)
            .and_then(|data| data.slot)
            .and_then(|at| self.slots.get(at));
        slot.map_or_else(Detail::default, |slot| Detail {
            points: slot.points.as_slice(),
            span: slot.points.span_seconds(),
            cycles: slot.cycles(),
        })
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

/// Adds `usage` to the provider's net in `by_provider` (sorted by index).
fn add_provider(by_provider: &mut Vec<(u16, i128)>, provider: u16, usage: i128) {
    match by_provider.binary_search_by_key(&provider, |&(p, _)| p) {
        Ok(at) => {
            let net = &mut by_provider[at].1;
            *net = net.saturating_add(usage);
        }
        Err(at) => by_provider.insert(at, (provider, usage)),
    }
}

impl CycleRow {
    /// The empty row of the entry's cycle.
    fn new(entry: &LedgerEntry) -> Self {
        CycleRow {
            start: entry.cycle.start,
            end: entry.cycle.end,
            ..CycleRow::default()
        }
    }

    /// Adds an entry of this cycle (`provider`: its rule's provider, if
    /// any); the credits it used, net (a refund's are negative).
    fn add(&mut self, entry: &LedgerEntry, provider: Option<u16>) -> i128 {
        let usage = self.add_totals(entry);
        if let Some(provider) = provider {
            add_provider(&mut self.by_provider, provider, usage);
        }
        usage
    }

    /// Adds an entry to the totals, not to `by_provider`; the credits it
    /// used, net.
    fn add_totals(&mut self, entry: &LedgerEntry) -> i128 {
        if self.plan.is_none() {
            self.plan.clone_from(&entry.plan);
        }
        let (extra, subscription) = (
            credits(entry.extra_delta),
            credits(entry.subscription_delta),
        );
        let moved = moved(entry);
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
        match entry.kind {
            EntryKind::Charge | EntryKind::Refund => entry
                .extra_delta
                .saturating_add(entry.subscription_delta)
                .saturating_neg(),
            _ => 0,
        }
    }
}
