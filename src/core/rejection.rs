//! Rejections: the stable codes of RULES.md section 6 and their details.
//!
//! A rejection is an outcome, not an error: the event was well formed but
//! the rules refuse it, and it changes no balance.

use super::money::EXTRA_CREDITS_PACK;
use super::time::{format_time, Instant};
use std::fmt;
use std::sync::Arc;

/// The stable rejection codes, in the order RULES.md lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Reason {
    /// The row could not be read (bad time, missing field, ...).
    Malformed,
    /// The row is earlier than a previous row of its file.
    OutOfOrder,
    /// The plan is not in the plan book.
    UnknownPlan,
    /// The provider and operation are not in the rule book.
    UnknownOperation,
    /// Subscribe while a subscription is active or cancelling.
    AlreadySubscribed,
    /// The event needs an active subscription.
    NoActiveSubscription,
    /// Cancel while a cancellation is pending.
    AlreadyCancelled,
    /// Change plan while a cancellation is pending.
    CancellationPending,
    /// A purchase that is not a positive multiple of 10 credits.
    InvalidCredits,
    /// The task id was charged within the task window.
    DuplicateTask,
    /// Extra plus subscription credits do not cover the cost.
    InsufficientCredits,
    /// No charge of the task within the task window.
    UnknownTask,
    /// The task was refunded already.
    AlreadyRefunded,
}

impl Reason {
    /// Every code, in the order RULES.md lists them.
    pub const ALL: [Reason; 13] = [
        Reason::Malformed,
        Reason::OutOfOrder,
        Reason::UnknownPlan,
        Reason::UnknownOperation,
        Reason::AlreadySubscribed,
        Reason::NoActiveSubscription,
        Reason::AlreadyCancelled,
        Reason::CancellationPending,
        Reason::InvalidCredits,
        Reason::DuplicateTask,
        Reason::InsufficientCredits,
        Reason::UnknownTask,
        Reason::AlreadyRefunded,
    ];

    /// The code as written in reports (`insufficient_credits`).
    pub fn code(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::OutOfOrder => "out_of_order",
            Reason::UnknownPlan => "unknown_plan",
            Reason::UnknownOperation => "unknown_operation",
            Reason::AlreadySubscribed => "already_subscribed",
            Reason::NoActiveSubscription => "no_active_subscription",
            Reason::AlreadyCancelled => "already_cancelled",
            Reason::CancellationPending => "cancellation_pending",
            Reason::InvalidCredits => "invalid_credits",
            Reason::DuplicateTask => "duplicate_task",
            Reason::InsufficientCredits => "insufficient_credits",
            Reason::UnknownTask => "unknown_task",
            Reason::AlreadyRefunded => "already_refunded",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A business rejection with what explains it. `Display` gives the
/// human-readable detail written to `rejections.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "reason", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Rejection {
    /// See [`Reason::UnknownPlan`].
    UnknownPlan {
        /// The plan asked for.
        plan: Box<str>,
    },
    /// See [`Reason::UnknownOperation`].
    UnknownOperation {
        /// The provider asked for.
        provider: Box<str>,
        /// The operation asked for.
        operation: Box<str>,
    },
    /// See [`Reason::AlreadySubscribed`].
    AlreadySubscribed {
        /// The current plan.
        plan: Arc<str>,
    },
    /// See [`Reason::NoActiveSubscription`].
    NoActiveSubscription,
    /// See [`Reason::AlreadyCancelled`].
    AlreadyCancelled {
        /// When the subscription ends.
        ends_at: Instant,
    },
    /// See [`Reason::CancellationPending`].
    CancellationPending {
        /// When the subscription ends.
        ends_at: Instant,
    },
    /// See [`Reason::InvalidCredits`].
    InvalidCredits {
        /// The credits asked for.
        credits: u64,
    },
    /// See [`Reason::DuplicateTask`].
    DuplicateTask {
        /// The task id.
        task: Arc<str>,
        /// When it was charged.
        charged_at: Instant,
    },
    /// See [`Reason::InsufficientCredits`].
    InsufficientCredits {
        /// The cost of the call.
        needed: u64,
        /// Extra credits available.
        extra: u64,
        /// Subscription credits available.
        subscription: u64,
    },
    /// See [`Reason::UnknownTask`].
    UnknownTask {
        /// The task id.
        task: Box<str>,
    },
    /// See [`Reason::AlreadyRefunded`].
    AlreadyRefunded {
        /// The task id.
        task: Arc<str>,
        /// When it was refunded.
        refunded_at: Instant,
    },
}

impl Rejection {
    /// The stable code of this rejection.
    pub fn reason(&self) -> Reason {
        match self {
            Rejection::UnknownPlan { .. } => Reason::UnknownPlan,
            Rejection::UnknownOperation { .. } => Reason::UnknownOperation,
            Rejection::AlreadySubscribed { .. } => Reason::AlreadySubscribed,
            Rejection::NoActiveSubscription => Reason::NoActiveSubscription,
            Rejection::AlreadyCancelled { .. } => Reason::AlreadyCancelled,
            Rejection::CancellationPending { .. } => Reason::CancellationPending,
            Rejection::InvalidCredits { .. } => Reason::InvalidCredits,
            Rejection::DuplicateTask { .. } => Reason::DuplicateTask,
            Rejection::InsufficientCredits { .. } => Reason::InsufficientCredits,
            Rejection::UnknownTask { .. } => Reason::UnknownTask,
            Rejection::AlreadyRefunded { .. } => Reason::AlreadyRefunded,
        }
    }
}

/// A rejection is what a caller gets back instead of the effect it asked
/// for, so it can travel as an error (`?` into `Box<dyn Error>`).
impl std::error::Error for Rejection {}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::UnknownPlan { plan } => write!(f, "unknown plan {plan}"),
            Rejection::UnknownOperation {
                provider,
                operation,
            } => write!(f, "no rule for provider {provider} operation {operation}"),
            Rejection::AlreadySubscribed { plan } => write!(f, "already subscribed to plan {plan}"),
            Rejection::NoActiveSubscription => f.write_str("no active subscription"),
            Rejection::AlreadyCancelled { ends_at } => write!(
                f,
                "cancellation already pending, subscription ends at {}",
                format_time(*ends_at)
            ),
            Rejection::CancellationPending { ends_at } => write!(
                f,
                "cancellation pending, subscription ends at {}",
                format_time(*ends_at)
            ),
            Rejection::InvalidCredits { credits } => write!(
                f,
                "credits must be a positive multiple of {EXTRA_CREDITS_PACK}, got {credits}"
            ),
            Rejection::DuplicateTask { task, charged_at } => write!(
                f,
                "task {task} already charged at {}",
                format_time(*charged_at)
            ),
            Rejection::InsufficientCredits {
                needed,
                extra,
                subscription,
            } => write!(
                f,
                "needs {needed} credits, has {extra} extra and {subscription} subscription"
            ),
            Rejection::UnknownTask { task } => {
                write!(f, "no charge of task {task} within the task window")
            }
            Rejection::AlreadyRefunded { task, refunded_at } => write!(
                f,
                "task {task} already refunded at {}",
                format_time(*refunded_at)
            ),
        }
    }
}
