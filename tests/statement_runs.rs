//! `statements.csv` written from sorted runs of closed cycles is the same
//! bytes as `statements.csv` written from every statement held to the end.
//!
//! A seeded workload (many months, late refunds across cycle ends, cancels
//! and new subscriptions, names that need quoting) goes through one engine;
//! its entries and outcomes feed two statement books: one that keeps every
//! row, and one that hands out closed rows in small batches, spilled as
//! runs (dozens, so the runs are also merged during the replay). Task
//! windows of 0s, 1h, 24h and 40 days (longer than a cycle).

mod common;

use chrono::TimeDelta;
use creditsim::core::time::{parse_time, Instant};
use creditsim::core::{
    Action, Applied, Engine, Event, Plan, PlanBook, RuleBook, StatementBook, TotalOverflow,
};
use creditsim::report::cells::CellPolicy;
use creditsim::report::statement_runs::StatementRuns;
use creditsim::report::statements::write_statements;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

fn plans() -> PlanBook {
    let plan = |id: &str, cents, credits| Plan {
        id: id.into(),
        price_usd: Decimal::new(cents, 2),
        monthly_credits: credits,
    };
    PlanBook::new([
        plan("tiny", 100, 20),
        plan("basic", 800, 1000),
        plan("pro", 3000, 5000),
    ])
    .expect("valid plan book")
}

/// Account names, a few of which need quotes or a spreadsheet-safe prefix.
fn account_name(i: usize) -> String {
    match i % 11 {
        3 => format!("acct,{i}"),
        5 => format!("=acct\"{i}\""),
        _ => format!("acct-{i:04}"),
    }
}

/// Both books, fed the same entries and outcomes.
struct Books {
    all: StatementBook,
    spilling: StatementBook,
}

impl Books {
    fn record(&mut self, engine: &Engine, applied: Option<&Applied>) -> Result<(), TotalOverflow> {
        for book in [&mut self.all, &mut self.spilling] {
            for entry in engine.entries() {
                book.record_entry(entry)?;
            }
            if let Some(applied) = applied {
                book.record_applied(applied)?;
            }
        }
        Ok(())
    }
}

/// Replays the workload of `seed`; returns statements.csv written both
/// ways, and how many runs were spilled.
fn both_ways(seed: u64, window: TimeDelta, cells: CellPolicy) -> (Vec<u8>, Vec<u8>, usize) {
    let scratch = tempfile::tempdir().expect("temporary folder");
    let mut runs = StatementRuns::new(scratch.path().to_owned(), cells);
    let mut engine = Engine::new(plans(), RuleBook::builtin()).with_task_window(window);
    let mut books = Books {
        all: StatementBook::default(),
        spilling: StatementBook::default().with_min_closed_batch(1),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let accounts: Vec<String> = (0..40).map(account_name).collect();
    // Each account's charged tasks, newest last.
    let mut tasks: Vec<Vec<String>> = vec![Vec::new(); accounts.len()];
    // Month ends, so that anchors are clamped (Jan 31 -> Feb 28).
    let mut now: Instant = parse_time("2025-01-31T12:00:00Z").expect("valid time");
    let mut spills = 0;
    for n in 0..30_000u32 {
        now += TimeDelta::seconds(rng.gen_range(0..2_400));
        let a = rng.gen_range(0..accounts.len());
        let task = format!("t{n}");
        let roll = rng.gen_range(0..100);
        let action = match roll {
            0..=7 => Action::Subscribe {
                plan: ["tiny", "basic", "pro"][rng.gen_range(0..3)],
            },
            8..=9 => Action::Cancel,
            10..=11 => Action::ChangePlan { plan: "pro" },
            12..=15 => Action::Purchase { credits: 50 },
            16..=35 if !tasks[a].is_empty() => {
                // Often a charge from before the cycle's end: a late refund.
                let back = rng.gen_range(0..tasks[a].len().min(4));
                let task = &tasks[a][tasks[a].len() - 1 - back];
                Action::Refund { task }
            }
            36..=45 => Action::Call {
                provider: "suno",
                operation: "get",
                task: None,
            },
            _ => Action::Call {
                provider: "suno",
                operation: "create",
                task: Some(&task),
            },
        };
        let event = Event {
            time: now,
            account: &accounts[a],
            action,
        };
        let charged = matches!(action, Action::Call { task: Some(_), .. });
        let applied = engine.apply(&event).expect("engine accepts the event");
        if charged && applied.outcome.is_ok() {
            tasks[a].push(task.clone());
        }
        books.record(&engine, Some(&applied)).expect("totals fit");
        let closed = books.spilling.take_closed(now, window);
        if !closed.is_empty() {
            spills += 1;
            runs.spill(closed, |id| engine.account_name(id))
                .expect("run written");
        }
    }
    engine
        .advance_to(now + TimeDelta::days(3))
        .expect("advance");
    books.record(&engine, None).expect("totals fit");

    let name = |id| engine.account_name(id);
    let all = books.all.into_sorted(name);
    let expected = write_statements(Vec::new(), &all, |s| engine.account_name(s.account), cells)
        .expect("written");
    let held = books.spilling.into_sorted(name);
    assert!(
        held.len() * 4 < all.len(),
        "seed {seed}: {} of {} statements still held",
        held.len(),
        all.len()
    );
    let merged = runs.finish(Vec::new(), &held, name).expect("merged");
    let left: Vec<_> = std::fs::read_dir(scratch.path())
        .expect("scratch readable")
        .collect();
    assert!(left.is_empty(), "run files left behind: {left:?}");
    (expected, merged, spills)
}

fn check(seed: u64, window: TimeDelta, cells: CellPolicy) {
    let (expected, merged, spills) = both_ways(seed, window, cells);
    assert!(
        spills > 32,
        "seed {seed}: only {spills} runs, too few to merge during the replay"
    );
    assert!(
        expected == merged,
        "seed {seed}, window {window}: statements.csv differs ({} and {} bytes)",
        expected.len(),
        merged.len()
    );
}

#[test]
fn runs_merge_into_the_same_bytes_with_a_day_window() {
    for seed in 1..=3 {
        check(seed, TimeDelta::hours(24), CellPolicy::Exact);
    }
}

#[test]
fn runs_merge_into_the_same_bytes_with_other_windows() {
    check(4, TimeDelta::zero(), CellPolicy::Exact);
    check(5, TimeDelta::hours(1), CellPolicy::Exact);
    check(6, TimeDelta::days(40), CellPolicy::Exact);
}

#[test]
fn runs_merge_into_the_same_bytes_with_spreadsheet_safe_cells() {
    check(7, TimeDelta::hours(24), CellPolicy::SpreadsheetSafe);
}

#[test]
fn without_closed_cycles_the_merge_is_the_plain_file() {
    let engine = Engine::new(plans(), RuleBook::builtin());
    let scratch = tempfile::tempdir().expect("temporary folder");
    let runs = StatementRuns::new(scratch.path().to_owned(), CellPolicy::Exact);
    let merged = runs
        .finish(Vec::new(), &[], |id| engine.account_name(id))
        .expect("merged");
    let plain = write_statements(Vec::new(), &[], |_| "", CellPolicy::Exact).expect("written");
    assert_eq!(merged, plain);
    assert!(merged.starts_with(b"account,cycle_start,cycle_end,plan,"));
}

/// Events of `accounts` subscriptions over the first days of 2025, then a
/// call a day for `days` days: every account rolls over every month, so
/// the replay closes (and spills) tens of thousands of statements.
fn idle_year(accounts: usize, days: i64) -> String {
    let start = parse_time("2025-01-01T00:00:00Z").expect("valid time");
    let mut csv = String::from("time,account,event,plan,provider,operation,task,credits\n");
    for i in 0..accounts {
        let time = start + TimeDelta::seconds(i as i64 * 240);
        let plan = ["tiny", "basic", "pro"][i % 3];
        let name = account_name(i).replace('"', "\"\"");
        csv.push_str(&format!(
            "{},\"{name}\",subscribe,{plan},,,,\n",
            creditsim::core::time::format_time(time)
        ));
    }
    for day in 10..days {
        let time = start + TimeDelta::days(day);
        let name = account_name(day as usize * 7 % accounts).replace('"', "\"\"");
        csv.push_str(&format!(
            "{},\"{name}\",call,,suno,create,t{day},\n",
            creditsim::core::time::format_time(time)
        ));
    }
    csv
}

#[test]
fn the_binary_spills_closed_cycles_and_writes_the_same_statements() {
    use creditsim::input::events::EventFile;
    use creditsim::replay::{replay, ReplayOptions, ReplayOutput};
    use creditsim::report::ledger::LedgerWriter;
    use creditsim::report::rejections::RejectionWriter;
    use std::io;

    let input = tempfile::tempdir().expect("temporary folder");
    let events = idle_year(3000, 420);
    let plans_csv =
        "plan,price_usd,monthly_credits\ntiny,1.00,20\nbasic,8.00,1000\npro,30.00,5000\n";
    std::fs::write(input.path().join("events.csv"), &events).expect("written");
    std::fs::write(input.path().join("plans.csv"), plans_csv).expect("written");
    let out = input.path().join("out");
    let run = common::creditsim(
        input.path(),
        &[
            "replay",
            "--plans",
            "plans.csv",
            "--out",
            "out",
            "events.csv",
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // The same replay in memory, every statement held to the end.
    let file = EventFile::open("events.csv", events.as_bytes()).expect("header");
    let mut output = ReplayOutput {
        ledger: LedgerWriter::new(io::sink()).expect("sink"),
        rejections: RejectionWriter::new(io::sink()).expect("sink"),
        entry_sink: None,
        closed_statements: None,
    };
    let replayed = replay(
        Engine::new(plans(), RuleBook::builtin()),
        vec![file],
        &ReplayOptions::default(),
        &mut output,
        |_| {},
    )
    .expect("replayed");
    let engine = &replayed.engine;
    let all = replayed
        .statements
        .into_sorted(|id| engine.account_name(id));
    // More than one batch of closed statements (32Ki) was spilled.
    assert!(all.len() > 36_000, "{} statements", all.len());
    let expected = write_statements(
        Vec::new(),
        &all,
        |s| engine.account_name(s.account),
        CellPolicy::Exact,
    )
    .expect("written");
    let written = std::fs::read(out.join("statements.csv")).expect("statements.csv");
    assert!(expected == written, "statements.csv differs");

    // Nothing but the reports and the manifest (and the lock) is left.
    let mut left = common::files_left(&out);
    left.sort();
    let mut expected_files: Vec<std::ffi::OsString> =
        common::REPORTS.iter().map(Into::into).collect();
    expected_files.push("manifest.json".into());
    expected_files.sort();
    assert_eq!(left, expected_files);
}
