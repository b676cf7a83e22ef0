//! Bytes as events CSV(s) through the whole replay with `--keep-going`,
//! every report written to `io::sink()`. A `\0\0` in the input splits it
//! into two event files, so the merge is fuzzed too. Checks: no panic, and
//! a finished replay accounts for every row.

#![no_main]

use creditsim::core::{Engine, RuleBook};
use creditsim::input::events::{EventFile, RowClass};
use creditsim::input::plans::load_plans;
use creditsim::replay::{replay, ReplayError, ReplayOptions, ReplayOutput};
use creditsim::report::balances::write_balances;
use creditsim::report::cells::CellPolicy;
use creditsim::report::ledger::LedgerWriter;
use creditsim::report::rejections::RejectionWriter;
use creditsim::report::statements::write_statements;
use creditsim::report::summary::write_summary;
use libfuzzer_sys::fuzz_target;
use std::io;

/// The example plans plus the extremes: u64::MAX credits, the largest price.
const PLANS: &str = "plan,price_usd,monthly_credits\n\
free,0.00,0\n\
tiny,1.00,20\n\
basic,8.00,1000\n\
pro,30.00,5000\n\
max,0.00,18446744073709551615\n\
rich,792281625142643375935439503.35,1\n";

fuzz_target!(|data: &[u8]| {
    let plans = load_plans("plans.csv", PLANS.as_bytes()).expect("the fixed plans load");
    // The first byte picks the task window, so `0s` and long windows are
    // both explored.
    let (window, data) = match data.split_first() {
        Some((b, rest)) => (chrono::TimeDelta::hours(i64::from(*b % 64)), rest),
        None => (chrono::TimeDelta::hours(24), data),
    };
    let engine = Engine::new(plans, RuleBook::builtin()).with_task_window(window);
    let parts: Vec<&[u8]> = match data.windows(2).position(|w| w == b"\0\0") {
        Some(at) => vec![&data[..at], &data[at + 2..]],
        None => vec![data],
    };
    // Inputs spanning more than a century are valid but cost a roll-over
    // per account and month (year 0 to 9999 is 120,000 cycles): skip them
    // so the fuzzer spends its time on new paths, not on long loops
    // (tests/errors/valid_extreme_times covers them).
    let rules = RuleBook::builtin();
    let mut span: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> = None;
    for part in &parts {
        let Ok(mut file) = EventFile::open("scan.csv", *part) else {
            return;
        };
        while let Ok(true) = file.advance(&rules) {
            if let Some(RowClass::Good { time }) = file.row().map(|r| &r.class) {
                let (lo, hi) = span.unwrap_or((*time, *time));
                span = Some((lo.min(*time), hi.max(*time)));
            }
        }
    }
    if let Some((lo, hi)) = span {
        let hi = hi.max(creditsim::core::time::parse_time("2026-01-31T00:00:00Z").unwrap());
        if hi - lo > chrono::TimeDelta::days(100 * 366) {
            return;
        }
    }
    let mut files = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        match EventFile::open(&format!("events{i}.csv"), part) {
            Ok(file) => files.push(file),
            // A header problem stops the run before any row: fine.
            Err(_) => return,
        }
    }
    // Half of the inputs replay up to a fixed --as-of, so skipped rows and
    // roll-overs past the last row are explored too.
    let as_of = (window.num_hours() % 2 == 1)
        .then(|| creditsim::core::time::parse_time("2026-01-31T00:00:00Z").unwrap());
    let options = ReplayOptions {
        keep_going: true,
        as_of,
        ..ReplayOptions::default()
    };
    let mut output = ReplayOutput {
        ledger: LedgerWriter::new(io::sink()).unwrap(),
        rejections: RejectionWriter::new(io::sink()).unwrap(),
        entry_sink: None,
        closed_statements: None,
    };
    let replayed = match replay(engine, files, &options, &mut output, |_| {}) {
        Ok(replayed) => replayed,
        // An overflowing total is a clean input error; writing to a sink
        // cannot fail.
        Err(ReplayError::Input(_)) => return,
        Err(ReplayError::Output(e)) => panic!("sink failed: {e}"),
    };
    let s = &replayed.summary;
    assert_eq!(s.rows, s.accepted + s.rejected + s.skipped);
    let engine = &replayed.engine;
    let accounts = engine.accounts_by_name();
    write_balances(io::sink(), &accounts, CellPolicy::Exact).unwrap();
    let statements = replayed
        .statements
        .clone()
        .into_sorted(|id| engine.account_name(id));
    write_statements(
        io::sink(),
        &statements,
        |st| engine.account_name(st.account),
        CellPolicy::Exact,
    )
    .unwrap();
    write_summary(io::sink(), s, accounts.len() as u64).unwrap();
});
