//! The pure core: rules, plans, billing cycles and the engine.
//!
//! Nothing in this module reads a clock, a file or the environment, or
//! prints. Every function takes the time it needs as an argument; every
//! outcome is returned as data.

pub mod account;
pub mod engine;
pub mod event;
pub mod history;
pub mod ledger;
pub mod money;
pub mod plans;
pub mod rejection;
pub mod rules;
pub(crate) mod seq_index;
pub(crate) mod short_key;
pub mod snapshot;
pub mod statements;
pub mod summary;
pub(crate) mod tasks;
pub mod terms;
pub mod time;
pub mod totals;

pub use account::{Balance, Status};
pub use engine::{AccountView, Applied, Effect, Engine, EngineError, Outcome, DEFAULT_TASK_WINDOW};
pub use event::{Action, Event};
pub use ledger::{AccountId, Cycle, EntryKind, LedgerEntry, TaskId};
pub use plans::{Plan, PlanBook, PlanError, PlanId};
pub use rejection::{Reason, Rejection};
pub use rules::{Rule, RuleBook, RuleError, RuleRef};
pub use snapshot::{Snapshot, SnapshotError, SNAPSHOT_FORMAT};
pub use statements::{Statement, StatementBook};
pub use summary::Summary;
pub use terms::{Terms, TermsError, TopUp};
pub use totals::{CreditTotals, TotalOverflow};
