//! # creditsim
//!
//! The credit accounting and billing engine of an AI music generation API
//! (Suno, Riffusion and Nuro models, lyrics generation, uploads).
//!
//! - [`core`] is a pure-logic engine: handed events with their times, it
//!   returns outcomes (accepted, or rejected with a stable code) and ledger
//!   entries. No I/O, no clock, no printing: link it into a gateway and
//!   call it per request.
//! - [`input`], [`report`] and [`replay`](mod@replay) sit around it: they read usage
//!   CSVs, drive the engine and write the reports of `creditsim replay`.
//! - [`simulate`] answers pricing what-ifs: [`simulate::simulate`] replays
//!   one usage history under other terms (plan books, the price of extra
//!   credits, plan mappings, auto-recharge) and finds each account's
//!   cheapest plan, as `creditsim simulate` does.
//!
//! The rules are those of the API's Credits Usage Guide as made exact by
//! docs/rules.md, which marks every decision taken where the guide is
//! silent.
//!
//! ```
//! use creditsim::core::time::parse_time;
//! use creditsim::{Decimal, Engine, Plan, PlanBook, RuleBook};
//!
//! let plans = PlanBook::new([Plan { id: "basic".into(), price_usd: Decimal::new(800, 2), monthly_credits: 1000 }])?;
//! let mut engine = Engine::new(plans, RuleBook::builtin());
//! engine.subscribe(parse_time("2025-07-01T00:00:00Z")?, "alice", "basic")?;
//! engine.charge(parse_time("2025-07-02T00:00:00Z")?, "alice", "lyrics", "make", Some("t1"))?;
//! let balance = engine.balance("alice");
//! assert_eq!((balance.credits, balance.extra_credits), (998, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Every fallible public function says when it fails (issue 19).
#![warn(clippy::missing_errors_doc)]

pub mod core;
pub mod explain;
pub mod html;
pub mod input;
pub mod replay;
pub mod report;
pub mod simulate;

// The library's surface: what a gateway that links the crate needs, at the
// crate's root. The modules above hold the rest, for the command line.
pub use crate::core::{
    AccountId, AccountView, Action, ActionOf, Applied, Balance, Cycle, Effect, Engine, EngineError,
    EntryKind, Event, LedgerEntry, Outcome, Plan, PlanBook, PlanError, Reason, Rejection, Rule,
    RuleBook, RuleError, RuleRef, Snapshot, SnapshotError, Status, Terms, TermsError, TopUp,
    DEFAULT_TASK_WINDOW,
};
pub use crate::replay::{replay, ReplayError, ReplayOptions, Replayed};
/// Dollar amounts are `rust_decimal::Decimal`s, re-exported so that a
/// caller needs no dependency of its own to name them.
pub use rust_decimal::Decimal;

/// The README's examples run as doctests, so they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
