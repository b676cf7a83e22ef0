//! The engine alone, events already parsed: nanoseconds per charge and per
//! billing-cycle roll-over.
//!
//! ```text
//! cargo bench --bench engine
//! ```

mod common;

use chrono::TimeDelta;
use creditsim::core::{Engine, RuleBook, DEFAULT_TASK_WINDOW};
use criterion::{criterion_group, criterion_main, BatchSize, Bencher, Criterion, Throughput};
use std::hint::black_box;

use common::charges::{charges, names, warm_engine, Charge, ACCOUNTS, CHARGES};

fn bench_charge(c: &mut Criterion) {
    let names = names();
    let warmup = charges(common::start(), "w");
    let measured = charges(common::start() + TimeDelta::seconds(CHARGES as i64), "t");
    let engine = warm_engine(&names, &warmup, DEFAULT_TASK_WINDOW);
    let no_window = warm_engine(&names, &warmup, TimeDelta::zero());
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(CHARGES as u64));
    group.sample_size(20);
    group.bench_function("charge", |b| charge_by_name(b, &engine, &measured));
    // The same charges from a caller that keeps each account's id (as a
    // replay does, or a gateway that interned its customers): no lookup
    // by name.
    let ids: Vec<_> = measured
        .iter()
        .map(|charge| engine.account_id(&charge.account))
        .collect();
    group.bench_function("charge_known_account", |b| {
        b.iter_batched_ref(
            || engine.clone(),
            |engine| {
                for (charge, &id) in measured.iter().zip(&ids) {
                    let applied = engine.apply_hinted(&charge.event(), id);
                    black_box(applied.expect("applies"));
                }
            },
            BatchSize::LargeInput,
        )
    });
    // The same charges with `--task-window 0s`: no task id remembered, so
    // no duplicate check and no refund. What the 24 h window RULES.md
    // requires costs is the difference from `charge`.
    group.bench_function("charge_no_task_window", |b| {
        charge_by_name(b, &no_window, &measured)
    });
    group.finish();
}

/// Applies `measured` to a fresh clone of `engine` each time, each
/// account looked up by name.
fn charge_by_name(b: &mut Bencher<'_>, engine: &Engine, measured: &[Charge]) {
    b.iter_batched_ref(
        || engine.clone(),
        |engine| {
            for charge in measured {
                black_box(engine.apply(&charge.event()).expect("applies"));
            }
        },
        BatchSize::LargeInput,
    )
}

fn bench_roll_over(c: &mut Criterion) {
    let names = names();
    // Anchors one second apart; one month later every account rolls over.
    let mut engine = Engine::new(common::plans(), RuleBook::builtin());
    for (i, name) in names.iter().enumerate() {
        let at = common::start() + TimeDelta::seconds(i as i64);
        engine.subscribe(at, name, "basic").expect("subscribes");
        engine
            .charge(at, name, "suno", "create", Some("t"))
            .expect("charges");
    }
    let after_one_cycle = creditsim::core::time::add_months(common::start(), 1).expect("in range")
        + TimeDelta::seconds(ACCOUNTS as i64);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(ACCOUNTS as u64));
    group.sample_size(20);
    group.bench_function("roll_over", |b| {
        b.iter_batched_ref(
            || engine.clone(),
            |engine| {
                engine.advance_to(after_one_cycle).expect("rolls over");
                assert_eq!(engine.entries().len(), 3 * ACCOUNTS);
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_charge, bench_roll_over);
criterion_main!(benches);
