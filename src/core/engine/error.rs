//! What the engine refuses to apply at all: broken input, not rejections.

use crate::core::time::{format_time, Instant};

/// What the engine refuses to do. Unlike a [`Rejection`](crate::core::Rejection), an error means
/// the input cannot be applied at all; a replay stops on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// Events must come in non-decreasing time order.
    #[error("time {} is earlier than the engine's time {}", format_time(*.event), format_time(*.now))]
    TimeWentBackwards {
        /// The engine's current time.
        now: Instant,
        /// The event's time.
        event: Instant,
    },
    /// A call that costs credits needs a task id (to refund and de-duplicate it).
    #[error("a call that costs {credits} credits needs a task id")]
    TaskRequired {
        /// The cost of the call.
        credits: u64,
    },
    /// A balance would exceed `u64::MAX` credits.
    #[error("account {account}: {what} would overflow the credit counter (u64)")]
    Overflow {
        /// The account.
        account: String,
        /// Which balance.
        what: &'static str,
    },
    /// A billing cycle would end after year 9999, which RFC 3339 (and so
    /// every report) cannot write.
    #[error("account {account}: the subscription anchored at {} would have a billing cycle ending after year 9999", format_time(*.anchor))]
    TimeOutOfRange {
        /// The account.
        account: String,
        /// The subscription's anchor.
        anchor: Instant,
    },
    /// More accounts than the engine can index.
    #[error("more than {} accounts", u32::MAX)]
    TooManyAccounts,
    /// A rule the engine relies on was broken: a bug in the engine, not
    /// in the input. Nothing changed; the engine refuses the event rather
    /// than apply it wrongly.
    #[error("internal error: {0} (a bug in creditsim; please report it with the input)")]
    Invariant(&'static str),
}

/// Every billing cycle is a whole number of days (`whole_days`).
pub(crate) const NOT_WHOLE_DAYS: EngineError =
    EngineError::Invariant("a billing cycle is not a whole number of days");
