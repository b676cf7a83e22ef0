//! The pure core: rules, plans, billing cycles and the engine.
//!
//! Nothing in this module reads a clock, a file or the environment, or
//! prints. Every function takes the time it needs as an argument; every
//! outcome is returned as data.

pub(crate) mod account;
pub(crate) mod engine;
pub(crate) mod event;
pub(crate) mod history;
pub(crate) mod ledger;
pub mod money;
pub(crate) mod plans;
pub(crate) mod rejection;
pub(crate) mod rules;
pub(crate) mod seq_index;
pub(crate) mod short_key;
pub mod snapshot;
pub(crate) mod statements;
pub(crate) mod summary;
pub(crate) mod tasks;
pub(crate) mod terms;
pub mod time;
pub(crate) mod totals;

pub use account::{Balance, Status};
pub use engine::{AccountView, Applied, Effect, Engine, EngineError, Outcome, DEFAULT_TASK_WINDOW};
pub use event::{Action, ActionOf, Event, EVENT_NAMES};
pub use history::{HistoryRewrite, PlanRewrite, Rewritten};
pub use ledger::{AccountId, Cycle, EntryKind, LedgerEntry, TaskId};
pub use plans::{Plan, PlanBook, PlanError, PlanId};
pub use rejection::{Reason, Rejection};
pub use rules::{Rule, RuleBook, RuleError, RuleGuess, RuleRef};
pub use snapshot::{Snapshot, SnapshotError, SNAPSHOT_FORMAT};
pub use statements::{Statement, StatementBook};
pub use summary::Summary;
pub use terms::{extra_credits_price_usd, Terms, TermsError, TopUp, MAX_EXTRA_PACK_PRICE_USD};
pub use totals::{CreditTotals, TotalOverflow};
