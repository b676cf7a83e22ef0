//! What an explanation holds: one account's history, period by period, in
//! plain data that the text and JSON renderers both read.

use crate::core::time::Instant;
use crate::core::{Balance, Cycle, Reason, Status};
use chrono::TimeDelta;
use rust_decimal::Decimal;

/// One account's statement, cycle by cycle, and the balance at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The account explained.
    pub account: String,
    /// The time the replay ran up to (`None` when no row had a time).
    pub as_of: Option<Instant>,
    /// How long a task id is remembered after its charge.
    pub task_window: TimeDelta,
    /// Billing cycles and stretches without a subscription, in time order.
    pub periods: Vec<Period>,
    /// Rows of the account that could not be read (`malformed`,
    /// `out_of_order` with `--keep-going`), in merge order.
    pub unread: Vec<RejectionNote>,
    /// The account at the as-of time.
    pub now: Now,
    /// The answer for `--task`, when asked.
    pub task: Option<TaskAnswer>,
}

/// A billing cycle, or a stretch of time without a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The cycle and its terms; `None` while no subscription is active.
    pub terms: Option<CycleTerms>,
    /// Without a subscription: when the one before ended (`None` before
    /// the first subscription). Always `None` for a cycle.
    pub since: Option<Instant>,
    /// Without a subscription: when the next one started (`None` when none
    /// did up to the as-of time). Always `None` for a cycle.
    pub until: Option<Instant>,
    /// Subscribe, cancel and plan-change events accepted in the period.
    pub notes: Vec<Note>,
    /// Extra credits bought, in time order.
    pub purchases: Vec<Purchase>,
    /// Accepted calls by provider, then operation (byte order).
    pub usage: Vec<Usage>,
    /// Refunds of charges of this period, in time order (a refund may come
    /// after the period ended).
    pub refunds: Vec<Refund>,
    /// Events of the period refused by a business check, in time order.
    pub rejections: Vec<RejectionNote>,
    /// Subscription credits expired when the cycle ended (0 while it runs
    /// and without a subscription).
    pub expired_at_end: u64,
}

/// The cycle of a period and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleTerms {
    /// `[start, end)`.
    pub cycle: Cycle,
    /// The plan of the cycle.
    pub plan: String,
    /// The fee charged at its start.
    pub fee_usd: Decimal,
    /// Subscription credits granted at its start.
    pub granted: u64,
}

/// A change to the subscription that an accepted event made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A subscription started.
    Subscribed {
        /// When.
        time: Instant,
        /// The plan.
        plan: String,
    },
    /// The subscription was cancelled; it ends at `ends_at`.
    Cancelled {
        /// When.
        time: Instant,
        /// The end of the cycle, when it ends.
        ends_at: Instant,
    },
    /// A plan change was asked for; it takes effect at `from`.
    PlanChange {
        /// When.
        time: Instant,
        /// The new plan.
        plan: String,
        /// The next boundary.
        from: Instant,
    },
}

/// One purchase of extra credits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    /// When.
    pub time: Instant,
    /// Extra credits bought.
    pub credits: u64,
    /// What they cost.
    pub price_usd: Decimal,
}

/// Accepted calls of one provider and operation within a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// Provider.
    pub provider: String,
    /// Operation.
    pub operation: String,
    /// Calls accepted (free ones included).
    pub calls: u64,
    /// Credits taken from the extra bucket.
    pub credits_extra: u64,
    /// Credits taken from the subscription bucket.
    pub credits_subscription: u64,
    /// Songs, refunded calls not counted.
    pub songs: u64,
    /// Lyrics, refunded calls not counted.
    pub lyrics: u64,
}

/// One accepted refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// When.
    pub time: Instant,
    /// The task refunded.
    pub task: String,
    /// The call refunded, when its charge was seen.
    pub call: Option<(String, String)>,
    /// Credits returned to the extra bucket.
    pub extra: u64,
    /// Credits returned to the subscription bucket.
    pub subscription: u64,
    /// Of those, expired at once because the charge's cycle had ended.
    pub expired_at_once: u64,
}

/// One rejected row and what it means for the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectionNote {
    /// The row's time, normalised (as read when it does not parse).
    pub time: String,
    /// The event file as given.
    pub file: String,
    /// Its physical line.
    pub line: u64,
    /// The event name (as read for an unread row).
    pub event: String,
    /// The stable code.
    pub reason: Reason,
    /// The detail written in `rejections.csv`.
    pub detail: String,
    /// A sentence for the customer.
    pub sentence: String,
}

/// The account at the as-of time, as `balance` and `balances.csv` give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Now {
    /// Active, cancelling or inactive.
    pub status: Status,
    /// The plan, when subscribed.
    pub plan: Option<String>,
    /// The current cycle, when subscribed.
    pub cycle: Option<Cycle>,
    /// The two buckets (the API's get-credits).
    pub balance: Balance,
}

/// Every event of the account that names one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskAnswer {
    /// The task asked about.
    pub task: String,
    /// In time order; empty when no event names it.
    pub lines: Vec<TaskLine>,
}

/// One event naming the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskLine {
    /// A charged call, with its refund if any.
    Charge(Charge),
    /// A call that costs nothing (never charged, never de-duplicated).
    Free {
        /// When.
        time: Instant,
        /// Provider.
        provider: String,
        /// Operation.
        operation: String,
    },
    /// A call or refund naming the task that was refused.
    Rejected(RejectionNote),
}

/// One charge of a task: where its credits came from and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// When.
    pub time: Instant,
    /// Provider.
    pub provider: String,
    /// Operation.
    pub operation: String,
    /// The cycle charged and its plan.
    pub cycle: Option<(Cycle, String)>,
    /// Credits charged in all.
    pub credits: u64,
    /// Extra credits the account had before the call.
    pub extra_before: u64,
    /// Of the charge, from the extra bucket.
    pub extra: u64,
    /// Of the charge, from the subscription bucket.
    pub subscription: u64,
    /// The refund of this charge, if any.
    pub refund: Option<Refund>,
}
