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

/// The six things an account can do (RULES.md section 6), borrowing its
/// strings: what the engine is handed.
pub type Action<'a> = ActionOf<&'a str>;

/// The six things an account can do, with strings of type `S`.
///
/// [`Action`] (`S = &str`) is what the engine takes. The same record with
/// other strings is how an event is held where a borrow cannot be: owned
/// (`ActionOf<String>`, for a queue), or as places in a buffer (the
/// replay's batches keep `ActionOf<Span>`, the reading side the column of
/// each string). [`ActionOf::map`] is the one conversion between them.
///
/// ```
/// use creditsim::core::{Action, ActionOf};
/// let call = Action::Call { provider: "suno", operation: "create", task: Some("t1") };
/// let owned: ActionOf<String> = call.map(str::to_owned);
/// assert_eq!(owned.as_deref(), call);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "event", rename_all = "snake_case"))]
pub enum ActionOf<S> {
    /// Start a subscription anchored at the event's time.
    Subscribe {
        /// Plan id.
        plan: S,
    },
    /// End the subscription at the end of the current cycle.
    Cancel,
    /// Switch plan from the next boundary on.
    ChangePlan {
        /// Plan id.
        plan: S,
    },
    /// Buy extra credits (a positive multiple of 10).
    Purchase {
        /// Credits bought.
        credits: u64,
    },
    /// One API call, charged by the rule book.
    Call {
        /// Provider (`suno`, `riffusion`, `nuro`, `lyrics`, `account`).
        provider: S,
        /// Operation of that provider.
        operation: S,
        /// Task id; required when the call costs credits.
        task: Option<S>,
    },
    /// Give back the credits of a charged task.
    Refund {
        /// Task id of the charge.
        task: S,
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

impl<S> ActionOf<S> {
    /// The event name as it appears in input files (`change_plan`).
    pub fn name(&self) -> &'static str {
        match self {
            ActionOf::Subscribe { .. } => "subscribe",
            ActionOf::Cancel => "cancel",
            ActionOf::ChangePlan { .. } => "change_plan",
            ActionOf::Purchase { .. } => "purchase",
            ActionOf::Call { .. } => "call",
            ActionOf::Refund { .. } => "refund",
        }
    }

    /// The same action with every string passed through `f` (a call's in
    /// the order provider, operation, task).
    pub fn map<T>(self, mut f: impl FnMut(S) -> T) -> ActionOf<T> {
        match self {
            ActionOf::Subscribe { plan } => ActionOf::Subscribe { plan: f(plan) },
            ActionOf::Cancel => ActionOf::Cancel,
            ActionOf::ChangePlan { plan } => ActionOf::ChangePlan { plan: f(plan) },
            ActionOf::Purchase { credits } => ActionOf::Purchase { credits },
            ActionOf::Call {
                provider,
                operation,
                task,
            } => ActionOf::Call {
                provider: f(provider),
                operation: f(operation),
                task: task.map(f),
            },
            ActionOf::Refund { task } => ActionOf::Refund { task: f(task) },
        }
    }

    /// The task id of a call that has one, or of a refund.
    pub fn task(&self) -> Option<&S> {
        match self {
            ActionOf::Call { task, .. } => task.as_ref(),
            ActionOf::Refund { task } => Some(task),
            _ => None,
        }
    }

    /// The action borrowing strings from this one.
    pub fn as_ref(&self) -> ActionOf<&S> {
        match self {
            ActionOf::Subscribe { plan } => ActionOf::Subscribe { plan },
            ActionOf::Cancel => ActionOf::Cancel,
            ActionOf::ChangePlan { plan } => ActionOf::ChangePlan { plan },
            ActionOf::Purchase { credits } => ActionOf::Purchase { credits: *credits },
            ActionOf::Call {
                provider,
                operation,
                task,
            } => ActionOf::Call {
                provider,
                operation,
                task: task.as_ref(),
            },
            ActionOf::Refund { task } => ActionOf::Refund { task },
        }
    }
}

impl<S: AsRef<str>> ActionOf<S> {
    /// The action borrowing its strings as `&str`: an [`Action`] for the
    /// engine.
    pub fn as_deref(&self) -> Action<'_> {
        self.as_ref().map(|s| s.as_ref())
    }
}
