//! What the engine answers: the effect of an event, or its rejection.

use crate::core::account::{Balance, Status};
use crate::core::ledger::{AccountId, Cycle};
use crate::core::plans::PlanId;
use crate::core::rejection::Rejection;
use crate::core::time::Instant;
use rust_decimal::Decimal;

/// What an event did to its account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "effect", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Effect {
    /// A subscription started; its first cycle was charged and granted.
    Subscribed {
        /// Cycle 0.
        cycle: Cycle,
    },
    /// The subscription will end at the end of the current cycle.
    Cancelled {
        /// When it ends.
        ends_at: Instant,
    },
    /// A plan change will take effect at the next boundary.
    PlanChangeScheduled {
        /// The new plan.
        plan: PlanId,
        /// When it takes effect.
        from: Instant,
    },
    /// Extra credits were bought.
    Purchased {
        /// Credits bought.
        credits: u64,
        /// What they cost.
        price_usd: Decimal,
    },
    /// A call was accepted (and charged, when it costs credits).
    Called {
        /// Credits charged in all.
        credits: u64,
        /// Of which from the extra bucket.
        extra: u64,
        /// Of which from the subscription bucket.
        subscription: u64,
        /// Songs it yields.
        songs: u64,
        /// Lyrics it yields.
        lyrics: u64,
    },
    /// A charge was refunded.
    Refunded {
        /// The cycle of the charge.
        charge_cycle: Cycle,
        /// Credits returned to the extra bucket.
        extra: u64,
        /// Credits returned to the subscription bucket.
        subscription: u64,
        /// Of those, expired at once because the charge's cycle has ended.
        expired: u64,
        /// Songs the refunded call no longer yields.
        songs: u64,
        /// Lyrics the refunded call no longer yields.
        lyrics: u64,
    },
}

/// What an event did, or why it was rejected (then nothing changed).
pub type Outcome = Result<Effect, Rejection>;

/// The answer to one event.
///
/// With the `serde` feature the outcome is written
/// `"outcome": {"accepted": {"effect": ...}}` or
/// `"outcome": {"rejected": {"reason": ...}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Applied {
    /// The account of the event.
    pub account: AccountId,
    /// The cycle in force for that account when the event came (after any
    /// roll-over at its time), `None` without a subscription.
    pub cycle: Option<Cycle>,
    /// The effect, or why the event was rejected (then nothing changed).
    #[cfg_attr(feature = "serde", serde(with = "outcome_wire"))]
    pub outcome: Outcome,
    /// When the event came late (within the engine's
    /// [late tolerance](super::Engine::with_late_tolerance)) and was
    /// applied at the engine's time instead of its own: that time.
    /// `None` for an event applied at its own time.
    pub applied_at: Option<Instant>,
}

/// A read-only view of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountView<'a> {
    /// The account's name.
    pub name: &'a str,
    /// Active, cancelling or inactive.
    pub status: Status,
    /// The plan of the current cycle, when subscribed.
    pub plan: Option<&'a str>,
    /// The current cycle, when subscribed.
    pub cycle: Option<Cycle>,
    /// The two buckets.
    pub balance: Balance,
}

/// The wire form of an [`Outcome`]: `accepted` or `rejected`, the words
/// of `summary.json`, rather than serde's `Ok` and `Err`.
#[cfg(feature = "serde")]
mod outcome_wire {
    use super::{Effect, Outcome, Rejection};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Wire<'a> {
        Accepted(&'a Effect),
        Rejected(&'a Rejection),
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum OwnedWire {
        Accepted(Effect),
        Rejected(Rejection),
    }

    pub fn serialize<S: Serializer>(outcome: &Outcome, serializer: S) -> Result<S::Ok, S::Error> {
        match outcome {
            Ok(effect) => Wire::Accepted(effect),
            Err(rejection) => Wire::Rejected(rejection),
        }
        .serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Outcome, D::Error> {
        Ok(match OwnedWire::deserialize(deserializer)? {
            OwnedWire::Accepted(effect) => Ok(effect),
            OwnedWire::Rejected(rejection) => Err(rejection),
        })
    }
}
