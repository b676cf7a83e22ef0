//! The state of one account: its subscription, its two buckets, and the
//! task charges it remembers.

use super::ledger::Cycle;
use super::plans::PlanRef;
use super::time::Instant;

/// An account name: stored inline when short (up to 23 bytes), so the
/// account table and the name lookup need no pointer chase.
pub(crate) type AccountName = smol_str::SmolStr;

/// Where an account's subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Subscribed; renews at the end of the cycle.
    Active,
    /// Subscribed until the end of the current cycle, then ends.
    Cancelling,
    /// No subscription: extra credits are kept but cannot be used.
    Inactive,
}

impl Status {
    /// The name written in `balances.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Cancelling => "cancelling",
            Status::Inactive => "inactive",
        }
    }
}

/// The balance as the API's get-credits reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Balance {
    /// Subscription credits left in the current cycle.
    pub credits: u64,
    /// Extra credits: never expire, spent first.
    pub extra_credits: u64,
}

/// A subscription in force (active or cancelling).
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    /// Plan of the current cycle, in the engine's plan book.
    pub plan: PlanRef,
    /// Start of cycle 0; every boundary is computed from it.
    pub anchor: Instant,
    /// Index k of the current cycle.
    pub cycle_index: u32,
    /// The current cycle.
    pub cycle: Cycle,
    /// Ends at `cycle.end` instead of renewing.
    pub cancelling: bool,
    /// Plan that takes over at the next boundary.
    pub pending_plan: Option<PlanRef>,
}

/// What the engine keeps with a charge remembered for the task window
/// (its key and time are kept by the task memory): what a refund returns,
/// and where.
#[derive(Debug, Clone)]
pub(crate) struct TaskCharge {
    /// Cycle and plan in force when charged: a refund returns credits there.
    pub cycle: Cycle,
    pub plan: PlanRef,
    pub extra: u64,
    pub subscription: u64,
    pub songs: u64,
    pub lyrics: u64,
    pub refunded_at: Option<Instant>,
}

/// One account inside the engine.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub name: AccountName,
    pub subscription: Option<Subscription>,
    pub subscription_credits: u64,
    pub extra_credits: u64,
}

impl Account {
    pub fn new(name: AccountName) -> Self {
        Account {
            name,
            subscription: None,
            subscription_credits: 0,
            extra_credits: 0,
        }
    }

    pub fn status(&self) -> Status {
        match &self.subscription {
            None => Status::Inactive,
            Some(s) if s.cancelling => Status::Cancelling,
            Some(_) => Status::Active,
        }
    }

    pub fn balance(&self) -> Balance {
        Balance {
            credits: self.subscription_credits,
            extra_credits: self.extra_credits,
        }
    }
}
