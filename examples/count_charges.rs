//! The `engine/charge` workload once, for counting instructions rather
//! than timing them: on a noisy machine, callgrind's count of the same
//! binary on the same input is the same every run.
//!
//! ```text
//! cargo build --release --example count_charges
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect='count_charges::charge_by_id' \
//!     target/release/examples/count_charges
//! ```
//!
//! callgrind prints `Collected : N`, the instructions of the 100 000
//! charges alone: N / 100 000 per charge. `charge_by_name` counts the same
//! charges looked up by account name (the `engine/charge` benchmark);
//! `charge_by_id` with the account's id known (`charge_known_account`);
//! `charge_without_window` by name with `--task-window 0s`
//! (`charge_no_task_window`).
//! Without valgrind the program only runs them.

#[path = "../benches/common/mod.rs"]
mod common;

use chrono::TimeDelta;
use common::charges::{charges, names, warm_engine, Charge, CHARGES};
use creditsim::core::{AccountId, Engine, DEFAULT_TASK_WINDOW};
use std::hint::black_box;

/// The measured charges, with the account's id known.
#[inline(never)]
fn charge_by_id(engine: &mut Engine, measured: &[Charge], ids: &[Option<AccountId>]) {
    for (charge, &id) in measured.iter().zip(ids) {
        let applied = engine.apply_hinted(&charge.event(), id);
        black_box(applied.expect("applies"));
    }
}

/// The same charges, each account looked up by name.
#[inline(never)]
fn charge_by_name(engine: &mut Engine, measured: &[Charge]) {
    for charge in measured {
        black_box(engine.apply(&charge.event()).expect("applies"));
    }
}

/// The same charges by name, on an engine that remembers no task id: the
/// loop of `charge_by_name` in a function of its own, for callgrind to
/// count apart.
#[inline(never)]
fn charge_without_window(engine: &mut Engine, measured: &[Charge]) {
    for charge in measured {
        black_box(engine.apply(&charge.event()).expect("applies"));
    }
}

fn main() {
    let names = names();
    let warmup = charges(common::start(), "w");
    let measured = charges(common::start() + TimeDelta::seconds(CHARGES as i64), "t");
    let mut by_id = warm_engine(&names, &warmup, DEFAULT_TASK_WINDOW);
    let mut no_window = warm_engine(&names, &warmup, TimeDelta::zero());
    let mut by_name = by_id.clone();
    let ids: Vec<_> = measured
        .iter()
        .map(|charge| by_id.account_id(&charge.account))
        .collect();
    charge_by_id(&mut by_id, &measured, &ids);
    charge_by_name(&mut by_name, &measured);
    charge_without_window(&mut no_window, &measured);
    println!("{} charges each way", measured.len());
}
