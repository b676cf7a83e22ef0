//! Inputs shared by the benchmarks, built in-process so that no benchmark
//! depends on files outside the repository.
//!
//! `events_csv` is a small cousin of `examples/generate.rs`: a seeded,
//! time-sorted usage log whose rows are mostly calls over the built-in rule
//! book, with subscriptions, purchases, refunds and some rejections.

#![allow(dead_code)] // each benchmark uses part of this module

pub mod charges;

use creditsim::core::time::{parse_time, Instant};
use creditsim::core::{Plan, PlanBook};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::fmt::Write;

/// The plans of the generated inputs.
pub fn plans() -> PlanBook {
    let plan = |id: &str, cents: i64, credits: u64| Plan {
        id: id.into(),
        price_usd: Decimal::new(cents, 2),
        monthly_credits: credits,
    };
    PlanBook::new([
        plan("basic", 800, 1000),
        plan("pro", 3000, 5000),
        plan("huge", 9900, 1 << 40),
    ])
    .expect("valid plans")
}

/// The start of every generated input.
pub fn start() -> Instant {
    parse_time("2025-07-01T00:00:00Z").expect("valid time")
}

/// (provider, operation) pairs of the built-in rule book, charged and free.
const CALLS: &[(&str, &str)] = &[
    ("suno", "create"),
    ("suno", "get"),
    ("suno", "extend"),
    ("suno", "upload"),
    ("riffusion", "cover"),
    ("riffusion", "get"),
    ("nuro", "create_vocal"),
    ("nuro", "get"),
    ("lyrics", "make"),
    ("account", "get_credits"),
];

/// An events CSV of `rows` rows over `accounts` accounts, spread over
/// about `days` days.
pub fn events_csv(accounts: usize, rows: usize, days: i64, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = String::with_capacity(rows * 64);
    out.push_str("time,account,event,plan,provider,operation,task,credits\n");
    let step_ms = (days * 86_400_000 / rows.max(1) as i64).max(1);
    let mut time = start();
    let mut subscribed = vec![false; accounts];
    let mut last_task: Vec<Option<usize>> = vec![None; accounts];
    for row in 0..rows {
        time += chrono::TimeDelta::milliseconds(rng.gen_range(0..2 * step_ms));
        let stamp = time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        // Accounts join over the first tenth of the rows.
        let joined = (accounts * (row + 1) / (rows / 10).max(1)).clamp(1, accounts);
        let a = rng.gen_range(0..joined);
        let account = format!("acct-{a:06}");
        if !subscribed[a] {
            subscribed[a] = true;
            let plan = if rng.gen_bool(0.8) { "basic" } else { "pro" };
            let _ = writeln!(out, "{stamp},{account},subscribe,{plan},,,,");
            continue;
        }
        match rng.gen_range(0..100) {
            0 => {
                let _ = writeln!(out, "{stamp},{account},purchase,,,,,100");
            }
            1..=2 => {
                let task = last_task[a].map_or_else(|| "t-none".to_owned(), |t| format!("t-{t:x}"));
                let _ = writeln!(out, "{stamp},{account},refund,,,,{task},");
            }
            _ => {
                let (provider, operation) = CALLS[rng.gen_range(0..CALLS.len())];
                last_task[a] = Some(row);
                let _ = writeln!(
                    out,
                    "{stamp},{account},call,,{provider},{operation},t-{row:x},"
                );
            }
        }
    }
    out
}
