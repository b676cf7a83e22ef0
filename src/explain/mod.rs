//! "Why was I charged this?": one account's history, cycle by cycle, for
//! support (`creditsim explain`).
//!
//! [`ExplainBuilder`] is fed what the engine did to one account (its
//! ledger entries and the outcome of each of its events, as a replay hands
//! them to an [`EntrySink`](crate::report::sink::EntrySink)) and builds an
//! [`Explanation`]; [`render_text`] and [`render_json`] write it. Nothing
//! here reads or writes a file.
//!
//! Where things go (the same rules as `statements.csv`, so the figures of
//! a cycle add up to that report's row):
//! - purchases, accepted calls and rejections go to the cycle in force at
//!   their time, or to a stretch "without a subscription" between cycles;
//! - a refund goes to the cycle of the charge it undoes, even when it comes
//!   after that cycle ended; its subscription part is then expired at once
//!   (`expired_at_once`), apart from the expiry at the cycle's end
//!   (`expired_at_end`);
//! - songs and lyrics do not count refunded calls; calls and credits count
//!   every accepted call, refunded or not, and refunds are listed apart;
//! - rows that never reached the engine (`malformed`, `out_of_order` with
//!   `--keep-going`) are listed at the end, in no period.
//!
//! # JSON shape (`--format json`)
//!
//! One object; times are RFC 3339 UTC, dollars strings with two decimals,
//! credits integers, keys always present (`null` when not applicable):
//!
//! ```text
//! {
//!   "account": "gus",
//!   "as_of": "2025-06-15T07:00:00Z",        // null when no row had a time
//!   "task_window": "24h",
//!   "periods": [                             // in time order
//!     { "kind": "cycle",
//!       "cycle_start": "...", "cycle_end": "...",
//!       "state": "ended" | "current",
//!       "plan": "basic", "fee_usd": "8.00", "granted": 1000,
//!       ...period fields },
//!     { "kind": "no_subscription",
//!       "since": "..." | null,                // the end of the one before
//!       "until": "..." | null,                // the start of the next one
//!       ...period fields }
//!   ],
//!   period fields:
//!     "notes": [ {"kind": "subscribed", "time", "plan"}
//!              | {"kind": "cancelled", "time", "ends_at"}
//!              | {"kind": "plan_change", "time", "plan", "from"} ],
//!     "purchases": [ {"time", "credits", "price_usd"} ],
//!     "usage": [ {"provider", "operation", "calls", "credits_extra",
//!                 "credits_subscription", "songs", "lyrics"} ],
//!                                             // by provider, operation
//!     "refunds": [ {"time", "task", "provider", "operation", "extra",
//!                   "subscription", "expired_at_once"} ],
//!     "rejections": [ rejection ],
//!     "expired_at_end": 988,                  // 0 while the cycle runs
//!   "unread": [ rejection ],                  // malformed, out_of_order
//!   "now": { "status": "active" | "cancelling" | "inactive",
//!            "plan": "basic" | null, "cycle_start": ... | null,
//!            "cycle_end": ... | null,
//!            "balance": {"credits": 1000, "extra_credits": 6} },
//!                                             // as `creditsim balance`
//!   "task": null | { "task": "g4", "lines": [   // only with --task
//!       {"kind": "charge", "time", "provider", "operation", "cycle_start",
//!        "cycle_end", "plan", "credits", "extra_before", "extra",
//!        "subscription", "why", "refund": refund | null}
//!     | {"kind": "free", "time", "provider", "operation"}
//!     | {"kind": "rejected", ...rejection} ] }
//! }
//! rejection: {"time", "file", "line", "event", "reason", "detail", "sentence"}
//!   reason is the stable code, detail the text of rejections.csv, sentence
//!   the explanation for the customer.
//! ```
//!
//! ```
//! use creditsim::core::time::parse_time;
//! use creditsim::core::{Action, Engine, Event, Plan, PlanBook, RuleBook};
//! use creditsim::explain::{render_text, ExplainBuilder, Now};
//!
//! let plans = PlanBook::new([Plan { id: "tiny".into(), price_usd: 1.into(), monthly_credits: 20 }])?;
//! let mut engine = Engine::new(plans, RuleBook::builtin());
//! let mut builder = ExplainBuilder::new("ann", Some("t1"), engine.task_window());
//! let events = [
//!     ("2025-07-01T00:00:00Z", Action::Subscribe { plan: "tiny" }),
//!     ("2025-07-02T00:00:00Z", Action::Call { provider: "suno", operation: "create", task: Some("t1") }),
//! ];
//! for (line, (time, action)) in (2..).zip(events) {
//!     let event = Event { time: parse_time(time)?, account: "ann", action };
//!     let applied = engine.apply(&event)?;
//!     for entry in engine.entries() {
//!         builder.entry(entry);
//!     }
//!     builder.applied(&event, &applied, "events.csv", line);
//! }
//! let view = engine.account(engine.account_id("ann").unwrap()).unwrap();
//! let now = Now { status: view.status, plan: view.plan.map(str::to_owned), cycle: view.cycle, balance: view.balance };
//! let text = render_text(&builder.finish(engine.now(), now));
//! assert!(text.contains("suno create: 10 credits charged in the cycle \
//!     2025-07-01T00:00:00Z to 2025-08-01T00:00:00Z (tiny): all 10 from subscription credits"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod builder;
pub mod json;
mod model;
pub mod sentences;
mod sink;
pub mod text;

pub use builder::ExplainBuilder;
pub use json::render_json;
pub use model::{
    Charge, CycleTerms, Explanation, Note, Now, Period, Purchase, Refund, RejectionNote,
    TaskAnswer, TaskLine, Usage,
};
pub use text::render_text;
