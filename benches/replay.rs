//! End to end: a replay of 100k rows from CSV text to all five reports
//! (written to memory), the work of `creditsim replay` minus the disk.
//!
//! ```text
//! cargo bench --bench replay
//! ```

mod common;

use creditsim::core::{Engine, RuleBook};
use creditsim::input::events::EventFile;
use creditsim::replay::{replay, ReplayOptions, ReplayOutput};
use creditsim::report::balances::write_balances;
use creditsim::report::cells::CellPolicy;
use creditsim::report::ledger::LedgerWriter;
use creditsim::report::rejections::RejectionWriter;
use creditsim::report::statements::write_statements;
use creditsim::report::summary::write_summary;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ROWS: usize = 100_000;

/// Replays `csv` and writes every report; returns the bytes written.
fn replay_all(csv: &str) -> usize {
    let engine = Engine::new(common::plans(), RuleBook::builtin());
    let file = EventFile::open("bench.csv", csv.as_bytes()).expect("header");
    let mut output = ReplayOutput {
        ledger: LedgerWriter::new(Vec::with_capacity(8 << 20)).expect("in memory"),
        rejections: RejectionWriter::new(Vec::new()).expect("in memory"),
        entry_sink: None,
        closed_statements: None,
    };
    let replayed = replay(
        engine,
        vec![file],
        &ReplayOptions::default(),
        &mut output,
        |_| {},
    )
    .expect("replays");
    let engine = &replayed.engine;
    let accounts = engine.accounts_by_name();
    let balances = write_balances(Vec::new(), &accounts, CellPolicy::Exact).expect("in memory");
    let statements = replayed
        .statements
        .clone()
        .into_sorted(|id| engine.account_name(id));
    let statements = write_statements(
        Vec::new(),
        &statements,
        |s| engine.account_name(s.account),
        CellPolicy::Exact,
    )
    .expect("in memory");
    let summary =
        write_summary(Vec::new(), &replayed.summary, accounts.len() as u64).expect("in memory");
    let ledger = output.ledger.finish().expect("in memory");
    let rejections = output.rejections.finish().expect("in memory");
    [ledger, rejections, balances, statements, summary]
        .iter()
        .map(Vec::len)
        .sum()
}

fn bench_replay(c: &mut Criterion) {
    let csv = common::events_csv(10_000, ROWS, 31, 1);
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(20);
    group.bench_function("end_to_end_100k_rows", |b| b.iter(|| replay_all(&csv)));
    group.finish();
}

criterion_group!(benches, bench_replay);
criterion_main!(benches);
