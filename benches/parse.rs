//! CSV parsing alone: reading and classifying every row of an events file
//! and building its event, with no engine behind it.
//!
//! ```text
//! cargo bench --bench parse
//! ```

mod common;

use creditsim::core::RuleBook;
use creditsim::input::events::EventFile;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const ROWS: usize = 100_000;

fn bench_parse(c: &mut Criterion) {
    let csv = common::events_csv(10_000, ROWS, 31, 1);
    let rules = RuleBook::builtin();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(20);
    group.bench_function("events_100k_rows", |b| {
        b.iter(|| {
            let mut file = EventFile::open("bench.csv", csv.as_bytes()).expect("header");
            let mut rows = 0usize;
            while file.advance(&rules).expect("reads") {
                black_box(file.event(&rules).expect("well formed"));
                rows += 1;
            }
            assert_eq!(rows, ROWS);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
