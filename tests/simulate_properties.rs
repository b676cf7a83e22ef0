//! Property tests of `creditsim simulate` (RULES.md section 10): random
//! histories of 3 accounts over up to 4 months, each simulated by the real
//! binary under six scenarios with `--best-plan --reports`, and the library
//! entry point under several thread counts. proptest prints the failing
//! case and its seed and keeps it in `proptest-regressions/`, as the other
//! property tests do.
//!
//! Properties (each assertion message starts with its tag):
//! - `empty`: a scenario with no keys gives exactly the baseline.
//! - `all_on`: `all_on = P` gives the baseline of the history where every
//!   `subscribe` and `change_plan` names P.
//! - `top_up`: under top-up no call is rejected `insufficient_credits`
//!   (only a call while subscribed gets as far as that check).
//! - `best`: `best_cost_usd <= current_cost_usd` (the current plan is always
//!   in the book here, as every accepted plan is).
//! - `sections 5-8` inside every scenario's `--reports` folder: ledger in
//!   time order, balances the running sums of the deltas (never negative)
//!   and equal to balances.csv, no carry-over (a grant fills an empty bucket
//!   with the plan's credits), extra credits never expire, purchases priced
//!   at the scenario's price, the statement identity, every row accounted
//!   for, and scenarios.csv and accounts.csv agreeing with summary.json.
//! - `threads`: the library's comparison, and the binary's files, do not
//!   depend on the thread count.

mod common;

use chrono::TimeDelta;
use common::{creditsim, REPORTS};
use creditsim::core::time::{format_time, parse_time, Instant};
use creditsim::core::{Action, Event, Plan, PlanBook, RuleBook, Terms, TopUp};
use creditsim::simulate::{simulate, History, Options, Scenario, Settings};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// (id, price, monthly credits); events also name the unknown `gold`.
const PLANS: [(&str, &str, u64); 4] = [
    ("free", "0.00", 0),
    ("tiny", "1.00", 15),
    ("basic", "8.00", 100),
    ("pro", "30.00", 1000),
];
const EVENT_PLANS: [&str; 5] = ["free", "tiny", "basic", "pro", "gold"];
const ACCOUNTS: [&str; 3] = ["amy", "bob", "cat"];
const TASKS: [&str; 5] = ["t0", "t1", "t2", "t3", "t4"];
/// (provider, operation, cost): paid calls always carry a task.
const CALLS: [(&str, &str, u64); 4] = [
    ("suno", "create", 10),
    ("lyrics", "make", 2),
    ("suno", "upload", 2),
    ("suno", "get", 0),
];
const PURCHASES: [u64; 5] = [5, 10, 20, 100, 300];

fn plans_csv() -> String {
    let mut text = String::from("plan,price_usd,monthly_credits\n");
    for (id, price, credits) in PLANS {
        text.push_str(&format!("{id},{price},{credits}\n"));
    }
    text
}

fn monthly_credits(plan: &str) -> Option<u64> {
    PLANS.iter().find(|p| p.0 == plan).map(|p| p.2)
}

#[derive(Debug, Clone, Copy)]
enum Act {
    Subscribe(usize),
    Cancel,
    ChangePlan(usize),
    Purchase(usize),
    Call(usize, usize),
    Refund(usize),
}

/// Seconds after 2025-01-01, account, action.
#[derive(Debug, Clone, Copy)]
struct Step {
    at: i64,
    account: usize,
    act: Act,
}

fn base() -> Instant {
    parse_time("2025-01-01T00:00:00Z").unwrap()
}

impl Step {
    fn event(&self, all_on: Option<&'static str>) -> Event<'static> {
        let plan = |p: usize| all_on.unwrap_or(EVENT_PLANS[p]);
        let action = match self.act {
            Act::Subscribe(p) => Action::Subscribe { plan: plan(p) },
            Act::Cancel => Action::Cancel,
            Act::ChangePlan(p) => Action::ChangePlan { plan: plan(p) },
            Act::Purchase(i) => Action::Purchase {
                credits: PURCHASES[i],
            },
            Act::Call(op, task) => Action::Call {
                provider: CALLS[op].0,
                operation: CALLS[op].1,
                task: (CALLS[op].2 > 0).then_some(TASKS[task]),
            },
            Act::Refund(task) => Action::Refund { task: TASKS[task] },
        };
        Event {
            time: base() + TimeDelta::seconds(self.at),
            account: ACCOUNTS[self.account],
            action,
        }
    }

    fn csv_row(&self, all_on: Option<&'static str>) -> String {
        let event = self.event(all_on);
        let time = format_time(event.time);
        let account = event.account;
        match event.action {
            Action::Subscribe { plan } => format!("{time},{account},subscribe,{plan},,,,"),
            Action::Cancel => format!("{time},{account},cancel,,,,,"),
            Action::ChangePlan { plan } => format!("{time},{account},change_plan,{plan},,,,"),
            Action::Purchase { credits } => format!("{time},{account},purchase,,,,,{credits}"),
            Action::Call {
                provider,
                operation,
                task,
            } => format!(
                "{time},{account},call,,{provider},{operation},{},",
                task.unwrap_or("")
            ),
            Action::Refund { task } => format!("{time},{account},refund,,,,{task},"),
        }
    }
}

fn events_csv(steps: &[Step], all_on: Option<&'static str>) -> String {
    let mut text = String::from("time,account,event,plan,provider,operation,task,credits\n");
    for step in steps {
        text.push_str(&step.csv_row(all_on));
        text.push('\n');
    }
    text
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        2 => (0..EVENT_PLANS.len()).prop_map(Act::Subscribe),
        1 => Just(Act::Cancel),
        1 => (0..EVENT_PLANS.len()).prop_map(Act::ChangePlan),
        2 => (0..PURCHASES.len()).prop_map(Act::Purchase),
        8 => (0..CALLS.len(), 0..TASKS.len()).prop_map(|(op, task)| Act::Call(op, task)),
        1 => (0..TASKS.len()).prop_map(Act::Refund),
    ]
}

/// 1-40 steps, each 0 to 5 days after the one before (so up to ~6
/// months), often at the same second.
fn history() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec((0i64..5 * 86_400, 0..ACCOUNTS.len(), act()), 1..40).prop_map(|raw| {
        let mut at = 0;
        raw.into_iter()
            .map(|(gap, account, act)| {
                at += if gap % 3 == 0 { 0 } else { gap };
                Step { at, account, act }
            })
            .collect()
    })
}

/// The scenario parameters drawn per case.
#[derive(Debug, Clone)]
struct Knobs {
    price_cents: i64,
    all_on: usize,
    pack_tens: u64,
    window: &'static str,
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        0i64..=20,
        0..PLANS.len(),
        1u64..=5,
        prop::sample::select(vec!["0s", "1h", "48h"]),
    )
        .prop_map(|(price_cents, all_on, pack_tens, window)| Knobs {
            price_cents,
            all_on,
            pack_tens,
            window,
        })
}

fn scenarios_toml(k: &Knobs) -> String {
    format!(
        "[[scenario]]\nname = \"same\"\n\n\
         [[scenario]]\nname = \"price\"\nextra_price_usd = \"{}\"\n\n\
         [[scenario]]\nname = \"mapped\"\nplan_map = {{ basic = \"pro\", tiny = \"gold\" }}\n\n\
         [[scenario]]\nname = \"all_on\"\nall_on = \"{}\"\n\n\
         [[scenario]]\nname = \"top_up\"\npurchases = \"top_up\"\ntop_up_pack = {}\n\n\
         [[scenario]]\nname = \"window\"\ntask_window = \"{}\"\n",
        Decimal::new(k.price_cents, 2),
        PLANS[k.all_on].0,
        k.pack_tens * 10,
        k.window,
    )
}

const NAMES: [&str; 7] = [
    "baseline", "same", "price", "mapped", "all_on", "top_up", "window",
];

type Rows = Vec<Vec<String>>;

fn read_csv(path: &Path) -> Rows {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn usd(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn int(text: &str) -> i128 {
    text.parse().unwrap()
}

/// Runs `creditsim simulate` in `dir` (plans.csv, s.toml, events.csv).
fn run_simulate(dir: &Path, out: &str, threads: &str) -> Result<(), TestCaseError> {
    let output = creditsim(
        dir,
        &[
            "simulate",
            "--plans",
            "plans.csv",
            "--scenarios",
            "s.toml",
            "--best-plan",
            "--reports",
            "--threads",
            threads,
            "--out",
            out,
            "events.csv",
        ],
    );
    prop_assert!(
        output.status.success(),
        "simulate failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// The invariants of sections 5-8 in one scenario's `--reports` folder.
fn check_folder(folder: &Path, name: &str, price: Decimal, rows: u64) -> Result<(), TestCaseError> {
    let ledger = read_csv(&folder.join("ledger.csv"));
    let mut balances: BTreeMap<String, (i128, i128)> = BTreeMap::new();
    let mut last_time = String::new();
    for e in &ledger {
        let tag = format!("sections 5-8 [{name}] {e:?}");
        prop_assert!(e[0] >= last_time, "{tag}: ledger out of time order");
        last_time.clone_from(&e[0]);
        let (extra, subscription) = (int(&e[5]), int(&e[6]));
        let balance = balances.entry(e[1].clone()).or_default();
        balance.0 += extra;
        balance.1 += subscription;
        prop_assert_eq!(balance.0, int(&e[8]), "{}: extra balance", tag);
        prop_assert_eq!(balance.1, int(&e[9]), "{}: subscription balance", tag);
        prop_assert!(balance.0 >= 0 && balance.1 >= 0, "{tag}: negative");
        match e[2].as_str() {
            "grant" => {
                prop_assert_eq!(Some(subscription as u64), monthly_credits(&e[3]), "{}", tag);
                prop_assert_eq!(balance.1, subscription, "{}: carry-over", tag);
            }
            "expire" => prop_assert!(extra == 0 && subscription < 0, "{tag}: expire"),
            "purchase" => {
                prop_assert_eq!(
                    usd(&e[7]),
                    Decimal::from(extra / 10) * price,
                    "{}: price",
                    tag
                )
            }
            _ => {}
        }
    }
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    for b in read_csv(&folder.join("balances.csv")) {
        let ledger_balance = balances.get(&b[0]).copied().unwrap_or_default();
        prop_assert_eq!(
            (int(&b[4]), int(&b[3])),
            ledger_balance,
            "sections 5-8 [{}]: balances.csv of {}",
            name,
            &b[0]
        );
        if b[1] != "inactive" {
            current.insert(b[0].clone(), format!("{}|{}", b[5], b[3]));
        }
    }
    for s in read_csv(&folder.join("statements.csv")) {
        let remaining = match current.get(&s[0]).and_then(|c| c.split_once('|')) {
            Some((start, credits)) if start == s[1] => int(credits),
            _ => 0,
        };
        let (granted, used, refunded, expired) = (int(&s[5]), int(&s[9]), int(&s[11]), int(&s[12]));
        prop_assert_eq!(
            granted,
            used - refunded + expired + remaining,
            "sections 5-8 [{}]: statement identity of {:?}",
            name,
            s
        );
    }
    let summary: serde_json::Value =
        serde_json::from_str(&read(&folder.join("summary.json"))).unwrap();
    let count = |key: &str| summary[key].as_u64().unwrap();
    prop_assert_eq!(
        count("rows"),
        rows,
        "sections 5-8 [{}]: every row counted",
        name
    );
    prop_assert_eq!(
        count("rows"),
        count("accepted") + count("rejected") + count("skipped"),
        "sections 5-8 [{}]: rows",
        name
    );
    Ok(())
}

fn money(summary: &serde_json::Value, key: &str) -> Decimal {
    usd(summary[key].as_str().unwrap())
}

/// scenarios.csv and accounts.csv agree with each scenario's summary.json.
fn check_tables(out: &Path) -> Result<(), TestCaseError> {
    let scenarios = read_csv(&out.join("scenarios.csv"));
    let names: Vec<&str> = scenarios.iter().map(|s| s[0].as_str()).collect();
    prop_assert_eq!(names, NAMES.to_vec(), "tables: scenario order");
    let accounts = read_csv(&out.join("accounts.csv"));
    let baseline_revenue = usd(&scenarios[0][4]);
    for s in &scenarios {
        let summary: serde_json::Value =
            serde_json::from_str(&read(&out.join(&s[0]).join("summary.json"))).unwrap();
        prop_assert_eq!(
            usd(&s[2]),
            money(&summary, "fees_usd"),
            "tables: fees of {}",
            &s[0]
        );
        prop_assert_eq!(
            usd(&s[3]),
            money(&summary, "purchases_usd"),
            "tables: purchases"
        );
        prop_assert_eq!(usd(&s[4]), usd(&s[2]) + usd(&s[3]), "tables: revenue");
        prop_assert_eq!(usd(&s[5]), usd(&s[4]) - baseline_revenue, "tables: delta");
        let credits = &summary["credits"];
        let c = |key: &str| i128::from(credits[key].as_u64().unwrap());
        let used = c("used_extra") + c("used_subscription")
            - c("refunded_extra")
            - c("refunded_subscription");
        prop_assert_eq!(int(&s[12]), used, "tables: credits_used of {}", &s[0]);
        let fees: Decimal = accounts
            .iter()
            .filter(|a| a[1] == s[0])
            .map(|a| usd(&a[3]))
            .sum();
        prop_assert_eq!(fees, usd(&s[2]), "tables: accounts.csv fees of {}", &s[0]);
    }
    Ok(())
}

/// Every file of `dir` (recursively) but the manifest and the lock.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            if path.is_dir() {
                stack.push(path);
            } else if name != "manifest.json" && name != ".creditsim.lock" {
                files.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    files
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The binary over a random history: `empty`, `all_on`, `top_up`,
    /// `best`, `sections 5-8` and `threads` (1 against 3).
    // 32 cases, each 3 runs of the binary.
    #[test]
    fn every_scenario_is_a_replay_of_its_changed_history(steps in history(), k in knobs()) {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        fs::write(dir.join("plans.csv"), plans_csv()).unwrap();
        fs::write(dir.join("events.csv"), events_csv(&steps, None)).unwrap();
        fs::write(dir.join("s.toml"), scenarios_toml(&k)).unwrap();
        run_simulate(dir, "out", "1")?;
        let out = dir.join("out");

        for report in REPORTS {
            prop_assert_eq!(
                read(&out.join("same").join(report)),
                read(&out.join("baseline").join(report)),
                "empty: same/{} differs from baseline/{}", report, report
            );
        }
        let lines = read_csv(&out.join("scenarios.csv"));
        prop_assert_eq!(&lines[1][1..], &lines[0][1..], "empty: scenarios.csv line");

        let plan = PLANS[k.all_on].0;
        let rewritten = dir.join("rewritten");
        fs::create_dir(&rewritten).unwrap();
        fs::write(rewritten.join("plans.csv"), plans_csv()).unwrap();
        fs::write(rewritten.join("events.csv"), events_csv(&steps, Some(plan))).unwrap();
        fs::write(rewritten.join("s.toml"), "").unwrap();
        run_simulate(&rewritten, "out", "2")?;
        for report in REPORTS {
            prop_assert_eq!(
                read(&out.join("all_on").join(report)),
                read(&rewritten.join("out/baseline").join(report)),
                "all_on: all_on/{} differs from the rewritten history's", report
            );
        }

        let rejections = read(&out.join("top_up/rejections.csv"));
        prop_assert!(!rejections.contains(",insufficient_credits,"), "top_up: {}", rejections);

        for best in read_csv(&out.join("best_plans.csv")) {
            prop_assert!(usd(&best[4]) <= usd(&best[2]), "best: {:?}", best);
            prop_assert_eq!(usd(&best[5]), usd(&best[2]) - usd(&best[4]), "best: saving");
        }

        let price_of = |name: &str| match name {
            "price" => Decimal::new(k.price_cents, 2),
            _ => usd("0.08"),
        };
        for name in NAMES {
            check_folder(&out.join(name), name, price_of(name), steps.len() as u64)?;
        }
        check_tables(&out)?;

        run_simulate(dir, "out3", "3")?;
        prop_assert!(contents(&out) == contents(&dir.join("out3")), "threads: 1 and 3 differ");
    }
}

fn plan_book() -> PlanBook {
    PlanBook::new(PLANS.iter().map(|&(id, price, credits)| Plan {
        id: id.into(),
        price_usd: price.parse().unwrap(),
        monthly_credits: credits,
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// threads: the library's comparison (scenarios and best plans) is the
    /// same on 1, 2 and 5 threads, and a scenario with no keys equals the
    /// baseline.
    // 64 cases.
    #[test]
    fn the_library_result_does_not_depend_on_threads(steps in history(), k in knobs()) {
        let events: Vec<Event<'static>> = steps.iter().map(|s| s.event(None)).collect();
        let settings = Settings::new(plan_book(), RuleBook::builtin());
        let history = History { settings: &settings, events: &events };
        let mut price = Scenario::named("price");
        price.terms = Terms::new(Decimal::new(k.price_cents, 2)).unwrap();
        let mut top_up = Scenario::named("top_up");
        top_up.terms = Terms::default().with_top_up(TopUp::new(k.pack_tens * 10).unwrap());
        top_up.rewrite.drop_purchases = true;
        let scenarios = [Scenario::named("same"), price, top_up];
        let compare = |threads| {
            simulate(&history, &scenarios, &Options { best_plan: true, threads }).unwrap()
        };
        let one = compare(1);
        prop_assert_eq!(&one.scenarios[0].totals, &one.baseline.totals, "empty: totals");
        prop_assert_eq!(&one.scenarios[0].accounts, &one.baseline.accounts, "empty: accounts");
        for threads in [2, 5] {
            prop_assert_eq!(&compare(threads), &one, "threads: {} against 1", threads);
        }
    }
}
