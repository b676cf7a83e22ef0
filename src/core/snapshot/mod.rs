//! Saving and restoring an engine, so that a gateway that restarts loses
//! nothing: [`Engine::snapshot`] takes the whole state, and
//! [`Engine::restore`] builds an engine that goes on exactly as the
//! original would have (same outcomes, same entries, same balances).
//!
//! # The format
//!
//! A [`Snapshot`] is plain data with serde; [`Snapshot::to_json`] and
//! [`Snapshot::to_bytes`] (postcard, about a third of the JSON's size)
//! write it, [`Snapshot::from_json`] and [`Snapshot::from_bytes`] read it.
//! Its first field is `format`, the version of the layout
//! ([`SNAPSHOT_FORMAT`], now 1). Readers check it before anything else: a
//! snapshot from a newer version is refused with
//! [`SnapshotError::NewerFormat`], never misread.
//!
//! Format 1 holds, in this order: `format`; `plans` (id, price in dollars
//! as a string, monthly credits, in the plan book's order); `rules`
//! (provider, operation, credits, songs, lyrics, in the rule book's
//! order: a task's `rule` is a position in this list); `task_window` and
//! `late_tolerance` (`seconds`, `nanos`); `extra_pack_price_usd` (a string);
//! `top_up_pack_credits` (or null); `now` (RFC 3339, or null); `accounts`
//! (name, the two buckets, and the subscription in force: plan, anchor,
//! cycle index, cycle start and end, cancelling, pending plan), in the
//! order the engine first saw them; `tasks`, the charges the task window
//! still holds, oldest first (account as a position in `accounts`, task
//! id, charge time, the charge's cycle and plan, its rule, the credits it
//! took from the extra bucket, and when it was refunded).
//!
//! Restoring checks every reference (plans, rules, accounts) and every
//! cycle, so a snapshot edited by hand is refused rather than applied
//! wrongly.
//!
//! ```
//! use creditsim::core::time::parse_time;
//! use creditsim::core::snapshot::Snapshot;
//! use creditsim::{Engine, Plan, PlanBook, RuleBook};
//!
//! let plans = PlanBook::new([Plan { id: "basic".into(), price_usd: "8.00".parse()?, monthly_credits: 1000 }])?;
//! let mut engine = Engine::new(plans, RuleBook::builtin());
//! engine.subscribe(parse_time("2025-07-01T00:00:00Z")?, "alice", "basic")?;
//! engine.charge(parse_time("2025-07-02T00:00:00Z")?, "alice", "suno", "create", Some("t1"))?;
//!
//! // The gateway stops: it saves the engine ...
//! let saved = engine.snapshot().to_json();
//! // ... and starts again from it.
//! let mut restored = Engine::restore(Snapshot::from_json(&saved)?)?;
//! let refund = restored.refund(parse_time("2025-07-02T01:00:00Z")?, "alice", "t1")?;
//! assert!(refund.outcome.is_ok(), "the charge before the restart is remembered");
//! assert_eq!(restored.balance("alice").credits, 1000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::engine::Engine;
use super::plans::PlanRef;
use super::terms::TopUp;
use super::time::Instant;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// The version of the snapshot layout this build writes and reads.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// Why a snapshot could not be read or restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The snapshot was written by a newer creditsim.
    #[error("snapshot format {found} is newer than this creditsim reads (format {supported}); restore it with a newer creditsim")]
    NewerFormat {
        /// The snapshot's format.
        found: u32,
        /// The newest format this build reads.
        supported: u32,
    },
    /// The bytes or text are not a snapshot.
    #[error("not a creditsim snapshot: {0}")]
    Unreadable(String),
    /// The snapshot is readable but its state is not one an engine can
    /// be in (a reference out of range, a broken cycle, ...).
    #[error("inconsistent snapshot: {0}")]
    Inconsistent(String),
}

/// An engine's whole state, as plain data (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The layout version, [`SNAPSHOT_FORMAT`] when written by this build.
    pub format: u32,
    plans: Vec<PlanState>,
    rules: Vec<RuleState>,
    task_window: WindowState,
    late_tolerance: WindowState,
    extra_pack_price_usd: String,
    top_up_pack_credits: Option<u64>,
    now: Option<Instant>,
    accounts: Vec<AccountState>,
    tasks: Vec<TaskState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanState {
    id: String,
    price_usd: String,
    monthly_credits: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleState {
    provider: String,
    operation: String,
    credits: u64,
    songs: u64,
    lyrics: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowState {
    seconds: i64,
    nanos: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountState {
    name: String,
    extra_credits: u64,
    subscription_credits: u64,
    subscription: Option<SubscriptionState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionState {
    plan: String,
    anchor: Instant,
    cycle_index: u32,
    cycle_start: Instant,
    cycle_end: Instant,
    cancelling: bool,
    pending_plan: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskState {
    account: u32,
    task: String,
    charged_at: Instant,
    cycle_start: Instant,
    cycle_end: Instant,
    plan: String,
    rule: u32,
    extra: u64,
    refunded_at: Option<Instant>,
}

/// Only the version, read first so that a newer layout is never parsed
/// as this one.
#[derive(Deserialize)]
struct FormatOnly {
    format: u32,
}

impl Snapshot {
    /// The snapshot as JSON text.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serializing it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The snapshot as compact bytes (postcard): the format number as a
    /// varint, then the fields in order.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    /// Reads a snapshot written by [`Snapshot::to_json`].
    ///
    /// # Errors
    ///
    /// [`SnapshotError::NewerFormat`] for a snapshot of a newer layout,
    /// [`SnapshotError::Unreadable`] for text that is not a snapshot.
    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
        let unreadable = |e: serde_json::Error| SnapshotError::Unreadable(e.to_string());
        let FormatOnly { format } = serde_json::from_str(text).map_err(unreadable)?;
        check_format(format)?;
        serde_json::from_str(text).map_err(unreadable)
    }

    /// Reads a snapshot written by [`Snapshot::to_bytes`].
    ///
    /// # Errors
    ///
    /// As [`Snapshot::from_json`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        let unreadable = |e: postcard::Error| SnapshotError::Unreadable(e.to_string());
        let (format, _) = postcard::take_from_bytes::<u32>(bytes).map_err(unreadable)?;
        check_format(format)?;
        postcard::from_bytes(bytes).map_err(unreadable)
    }
}

fn check_format(format: u32) -> Result<(), SnapshotError> {
    if format > SNAPSHOT_FORMAT {
        return Err(SnapshotError::NewerFormat {
            found: format,
            supported: SNAPSHOT_FORMAT,
        });
    }
    if format != SNAPSHOT_FORMAT {
        return Err(SnapshotError::Unreadable(format!(
            "format {format} is not one this creditsim wrote (format {SNAPSHOT_FORMAT})"
        )));
    }
    Ok(())
}

fn inconsistent(what: impl Into<String>) -> SnapshotError {
    SnapshotError::Inconsistent(what.into())
}

impl Engine {
    /// The engine's whole state, to save and [`Engine::restore`] later.
    /// The entries of the last call are not part of it.
    pub fn snapshot(&self) -> Snapshot {
        let plans = self.plans();
        let plan_id = |plan: PlanRef| plans.at(plan).id.to_string();
        let window = self.task_window();
        let accounts = self
            .accounts_raw()
            .iter()
            .map(|a| AccountState {
                name: a.name.to_string(),
                extra_credits: a.extra_credits,
                subscription_credits: a.subscription_credits,
                subscription: a.subscription.as_ref().map(|s| SubscriptionState {
                    plan: plan_id(s.plan),
                    anchor: s.anchor,
                    cycle_index: s.cycle_index,
                    cycle_start: s.cycle.start,
                    cycle_end: s.cycle.end,
                    cancelling: s.cancelling,
                    pending_plan: s.pending_plan.map(plan_id),
                }),
            })
            .collect();
        let tasks = self
            .tasks_raw()
            .filter_map(|r| {
                let cycle = r.data.cycle()?;
                Some(TaskState {
                    account: r.account.0,
                    task: r.task.to_string(),
                    charged_at: r.charged_at,
                    cycle_start: cycle.start,
                    cycle_end: cycle.end,
                    plan: plan_id(r.data.plan),
                    rule: u32::try_from(r.data.rule.index()).ok()?,
                    extra: r.data.extra,
                    refunded_at: r.data.refunded_at,
                })
            })
            .collect();
        Snapshot {
            format: SNAPSHOT_FORMAT,
            plans: plans
                .iter()
                .map(|p| PlanState {
                    id: p.id.to_string(),
                    price_usd: p.price_usd.to_string(),
                    monthly_credits: p.monthly_credits,
                })
                .collect(),
            rules: self
                .rules()
                .by_position()
                .map(|(provider, operation, rule)| RuleState {
                    provider: provider.to_owned(),
                    operation: operation.to_owned(),
                    credits: rule.credits,
                    songs: rule.songs,
                    lyrics: rule.lyrics,
                })
                .collect(),
            task_window: WindowState::of(window),
            late_tolerance: WindowState::of(self.late_tolerance()),
            extra_pack_price_usd: self.terms().extra_pack_price_usd().to_string(),
            top_up_pack_credits: self.terms().top_up().map(TopUp::pack_credits),
            now: self.now(),
            accounts,
            tasks,
        }
    }
}

impl WindowState {
    fn of(delta: TimeDelta) -> Self {
        WindowState {
            seconds: delta.num_seconds(),
            nanos: delta.subsec_nanos().unsigned_abs(),
        }
    }
}

mod restore;
#[cfg(test)]
mod tests;
