//! Ledger entries: every balance movement the engine makes.

use super::plans::PlanId;
use super::rules::RuleRef;
use super::time::Instant;
use rust_decimal::Decimal;

/// A task id. Short ids (up to 23 bytes) are stored inline, so charging
/// a task allocates nothing; it derefs to `str`.
pub type TaskId = smol_str::SmolStr;

/// Index of an account inside one engine; see `Engine::account_name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct AccountId(pub(crate) u32);

impl AccountId {
    /// The index as a `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A billing cycle: the half-open interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Cycle {
    /// First instant of the cycle (anchor + k months).
    pub start: Instant,
    /// First instant after the cycle (anchor + k+1 months).
    pub end: Instant,
}

/// The kinds of balance movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum EntryKind {
    /// The plan's price charged at the start of a cycle.
    Fee,
    /// The plan's credits granted at the start of a cycle.
    Grant,
    /// Subscription credits removed: at a cycle's end, or at once when a
    /// refund returns credits to a cycle that has ended.
    Expire,
    /// Extra credits bought.
    Purchase,
    /// Credits taken by a call.
    Charge,
    /// Credits returned by a refund.
    Refund,
}

impl EntryKind {
    /// The name written in `ledger.csv`.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Fee => "fee",
            EntryKind::Grant => "grant",
            EntryKind::Expire => "expire",
            EntryKind::Purchase => "purchase",
            EntryKind::Charge => "charge",
            EntryKind::Refund => "refund",
        }
    }
}

/// One balance movement of one account.
///
/// With the `serde` feature its wire names are those of `ledger.csv`
/// (`entry`, `extra`, `subscription`, ...), except `account_id`: the
/// entry holds the account's id, [`Engine::account_name`] its name.
///
/// [`Engine::account_name`]: super::Engine::account_name
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LedgerEntry {
    /// When it happened: the event's time, or the boundary's for roll-overs.
    pub time: Instant,
    /// The account moved.
    #[cfg_attr(feature = "serde", serde(rename = "account_id"))]
    pub account: AccountId,
    /// What kind of movement.
    #[cfg_attr(feature = "serde", serde(rename = "entry"))]
    pub kind: EntryKind,
    /// The cycle the movement belongs to: for a refund and the expiry that
    /// may follow it, the cycle of the charge it undoes; for the expiry at
    /// a boundary, the cycle that ends there.
    pub cycle: Cycle,
    /// The plan, on fee, grant and expire entries.
    pub plan: Option<PlanId>,
    /// The task, on charge and refund entries.
    pub task: Option<TaskId>,
    /// The rule of the call, on charge and refund entries (a refund's is
    /// its charge's): [`RuleBook::call`](super::RuleBook::call) names its
    /// provider and operation, so every report is a function of the
    /// entries alone.
    pub rule: Option<RuleRef>,
    /// Signed change of the extra bucket.
    #[cfg_attr(feature = "serde", serde(rename = "extra"))]
    pub extra_delta: i128,
    /// Signed change of the subscription bucket.
    #[cfg_attr(feature = "serde", serde(rename = "subscription"))]
    pub subscription_delta: i128,
    /// Money charged by a fee or purchase, else zero.
    pub usd: Decimal,
    /// Extra bucket after the movement.
    pub extra_balance: u64,
    /// Subscription bucket after the movement.
    pub subscription_balance: u64,
}

/// The two buckets after a movement: `(extra, subscription)`.
pub(crate) type BalancesAfter = (u64, u64);

/// One constructor per kind, so that each kind's fields are set in one
/// place: which of `plan`, `task` and `rule` it carries, and the sign of
/// its deltas.
impl LedgerEntry {
    fn new(
        time: Instant,
        account: AccountId,
        kind: EntryKind,
        cycle: Cycle,
        after: BalancesAfter,
    ) -> Self {
        LedgerEntry {
            time,
            account,
            kind,
            cycle,
            plan: None,
            task: None,
            rule: None,
            extra_delta: 0,
            subscription_delta: 0,
            usd: Decimal::ZERO,
            extra_balance: after.0,
            subscription_balance: after.1,
        }
    }

    /// The fee of a cycle that starts at `cycle.start`.
    pub(crate) fn fee(
        account: AccountId,
        cycle: Cycle,
        plan: PlanId,
        price_usd: Decimal,
        after: BalancesAfter,
    ) -> Self {
        LedgerEntry {
            plan: Some(plan),
            usd: price_usd,
            ..Self::new(cycle.start, account, EntryKind::Fee, cycle, after)
        }
    }

    /// The grant of a cycle that starts at `cycle.start`.
    pub(crate) fn grant(
        account: AccountId,
        cycle: Cycle,
        plan: PlanId,
        credits: u64,
        after: BalancesAfter,
    ) -> Self {
        LedgerEntry {
            plan: Some(plan),
            subscription_delta: i128::from(credits),
            ..Self::new(cycle.start, account, EntryKind::Grant, cycle, after)
        }
    }

    /// Subscription credits of `cycle` (under `plan`) expired at `time`.
    pub(crate) fn expire(
        time: Instant,
        account: AccountId,
        cycle: Cycle,
        plan: PlanId,
        credits: u64,
        after: BalancesAfter,
    ) -> Self {
        LedgerEntry {
            plan: Some(plan),
            subscription_delta: -i128::from(credits),
            ..Self::new(time, account, EntryKind::Expire, cycle, after)
        }
    }

    /// Extra credits bought (or topped up) at `time` for `price_usd`.
    pub(crate) fn purchase(
        time: Instant,
        account: AccountId,
        cycle: Cycle,
        credits: u64,
        price_usd: Decimal,
        after: BalancesAfter,
    ) -> Self {
        LedgerEntry {
            extra_delta: i128::from(credits),
            usd: price_usd,
            ..Self::new(time, account, EntryKind::Purchase, cycle, after)
        }
    }

    /// A call of `rule` charged to `task`: `taken` is `(extra,
    /// subscription)` credits taken from each bucket.
    pub(crate) fn charge(
        time: Instant,
        account: AccountId,
        cycle: Cycle,
        task: TaskId,
        rule: RuleRef,
        taken: (u64, u64),
        after: BalancesAfter,
    ) -> Self {
        LedgerEntry {
            task: Some(task),
            rule: Some(rule),
            extra_delta: -i128::from(taken.0),
            subscription_delta: -i128::from(taken.1),
            ..Self::new(time, account, EntryKind::Charge, cycle, after)
        }
    }

    /// The refund of the charge of `task` (in `cycle`, by `rule`):
    /// `returned` is `(extra, subscription)` credits given back.
    pub(crate) fn refund(
        time: Instant,
        account: AccountId,
        cycle: Cycle,
        task: TaskId,
        rule: RuleRef,
        returned: (u64, u64),
        after: BalancesAfter,
    ) -> Self {
        LedgerEntry {
            task: Some(task),
            rule: Some(rule),
            extra_delta: i128::from(returned.0),
            subscription_delta: i128::from(returned.1),
            ..Self::new(time, account, EntryKind::Refund, cycle, after)
        }
    }
}
