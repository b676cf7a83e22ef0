//! What a caller asks of the engine: one event of one account at one time.

use super::time::Instant;

/// One event, borrowing its strings from the caller (a CSV record, a
/// request) so that applying it allocates nothing it does not keep.
///
/// With the `serde` feature it serializes (only: it borrows its strings)
/// with the names of the events CSV: `{"time": ..., "account": ...,
/// "event": "call", "provider": ..., "operation": ..., "task": ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Event<'a> {
    /// When it happened; events must come in non-decreasing time order.
    pub time: Instant,
    /// The account it belongs to.
    pub account: &'a str,
    /// What the account does.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub action: Action<'a>,
}

/// The six things an account can do (RULES.md section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "event", rename_all = "snake_case"))]
pub enum Action<'a> {
    /// Start a subscription anchored at the event's time.
    Subscribe {
        /// Plan id.
        plan: &'a str,
    },
    /// End the subscription at the end of the current cycle.
    Cancel,
    /// Switch plan from the next boundary on.
    ChangePlan {
        /// Plan id.
        plan: &'a str,
    },
    /// Buy extra credits (a positive multiple of 10).
    Purchase {
        /// Credits bought.
        credits: u64,
    },
    /// One API call, charged by the rule book.
    Call {
        /// Provider (`suno`, `riffusion`, `nuro`, `lyrics`, `account`).
        provider: &'a str,
        /// Operation of that provider.
        operation: &'a str,
        /// Task id; required when the call costs credits.
        task: Option<&'a str>,
    },
    /// Give back the credits of a charged task.
    Refund {
        /// Task id of the charge.
        task: &'a str,
    },
}

/// The event names as they appear in input files.
pub const EVENT_NAMES: [&str; 6] = [
    "subscribe",
    "cancel",
    "change_plan",
    "purchase",
    "call",
    "refund",
];

impl Action<'_> {
    /// The event name as it appears in input files (`change_plan`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Subscribe { .. } => "subscribe",
            Action::Cancel => "cancel",
            Action::ChangePlan { .. } => "change_plan",
            Action::Purchase { .. } => "purchase",
            Action::Call { .. } => "call",
            Action::Refund { .. } => "refund",
        }
    }
}
