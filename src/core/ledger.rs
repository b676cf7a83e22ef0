//! Ledger entries: every balance movement the engine makes.

use super::plans::PlanId;
use super::time::Instant;
use rust_decimal::Decimal;

/// A task id. Short ids (up to 23 bytes) are stored inline, so charging
/// a task allocates nothing; it derefs to `str`.
pub type TaskId = smol_str::SmolStr;

/// Index of an account inside one engine; see `Engine::account_name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub(crate) u32);

impl AccountId {
    /// The index as a `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A billing cycle: the half-open interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cycle {
    /// First instant of the cycle (anchor + k months).
    pub start: Instant,
    /// First instant after the cycle (anchor + k+1 months).
    pub end: Instant,
}

/// The kinds of balance movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// When it happened: the event's time, or the boundary's for roll-overs.
    pub time: Instant,
    /// The account moved.
    pub account: AccountId,
    /// What kind of movement.
    pub kind: EntryKind,
    /// The cycle the movement belongs to: for a refund and the expiry that
    /// may follow it, the cycle of the charge it undoes; for the expiry at
    /// a boundary, the cycle that ends there.
    pub cycle: Cycle,
    /// The plan, on fee, grant and expire entries.
    pub plan: Option<PlanId>,
    /// The task, on charge and refund entries.
    pub task: Option<TaskId>,
    /// Signed change of the extra bucket.
    pub extra_delta: i128,
    /// Signed change of the subscription bucket.
    pub subscription_delta: i128,
    /// Money charged by a fee or purchase, else zero.
    pub usd: Decimal,
    /// Extra bucket after the movement.
    pub extra_balance: u64,
    /// Subscription bucket after the movement.
    pub subscription_balance: u64,
}
