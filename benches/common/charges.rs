//! The engine's charge workload, shared by `benches/engine.rs` (timed by
//! criterion) and `examples/count_charges.rs` (counted by callgrind):
//! `ACCOUNTS` accounts on a plan that never runs out, and charges one a
//! second, so that a day of them (the 24 h task window) is remembered and
//! each new one makes an old one leave, as in a long replay.

use chrono::TimeDelta;
use creditsim::core::time::Instant;
use creditsim::core::{Action, Engine, Event, RuleBook};

pub const ACCOUNTS: usize = 10_000;
pub const CHARGES: usize = 100_000;

/// A charge, owning the strings the borrowed [`Event`] points into.
pub struct Charge {
    pub time: Instant,
    pub account: String,
    pub task: String,
}

impl Charge {
    /// The call, a Suno generation that costs 10 credits.
    pub fn event(&self) -> Event<'_> {
        Event {
            time: self.time,
            account: &self.account,
            action: Action::Call {
                provider: "suno",
                operation: "create",
                task: Some(&self.task),
            },
        }
    }
}

pub fn names() -> Vec<String> {
    (0..ACCOUNTS).map(|i| format!("acct-{i:06}")).collect()
}

/// An engine with every account subscribed to a plan that never runs out,
/// already in steady state: a day of charges behind it, which the default
/// 24 h task window remembers. `task_window` zero (`--task-window 0s`)
/// remembers none: what the engine costs without the window.
pub fn warm_engine(names: &[String], charges: &[Charge], task_window: TimeDelta) -> Engine {
    let mut engine = Engine::new(super::plans(), RuleBook::builtin()).with_task_window(task_window);
    for name in names {
        engine
            .subscribe(super::start(), name, "huge")
            .expect("subscribes");
    }
    for charge in charges {
        engine
            .charge(
                charge.time,
                &charge.account,
                "suno",
                "create",
                Some(&charge.task),
            )
            .expect("charges");
    }
    engine
}

/// `CHARGES` charges, one a second (so tasks leave the 24 h window as new
/// ones come, as in a long replay), starting at `from`.
pub fn charges(from: Instant, prefix: &str) -> Vec<Charge> {
    (0..CHARGES)
        .map(|i| Charge {
            time: from + TimeDelta::seconds(i as i64),
            account: format!("acct-{:06}", (i * 7919) % ACCOUNTS),
            task: format!("{prefix}-{i:x}"),
        })
        .collect()
}
