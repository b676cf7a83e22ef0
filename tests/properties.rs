//! Property tests: random event sequences over 3-5 accounts and 1-3 years,
//! checked after every step against the invariants of RULES.md.
//!
//! Invariants (each assertion message starts with its tag):
//! - `inv1 conservation`: per account, granted + purchased + refunded =
//!   used + expired + current balance (summed from the entries, in u128).
//! - `inv2 balances`: every entry's balances are the running sums of the
//!   deltas (so never negative) and equal the engine's balance; a rejected
//!   event changes nothing beyond the roll-overs due at its time.
//! - `inv3 extra first`: a charge takes subscription credits only when the
//!   extra credits cannot cover it.
//! - `inv4 no carry-over`: a grant fills an empty bucket with exactly the
//!   plan's monthly credits.
//! - `inv5 extra never expires`: only purchase, charge and refund entries
//!   move extra credits.
//! - `inv6 purchase price`: credits / 10 x the terms' price ($0.08) exactly.
//! - `inv11 top-up`: under the top-up policy no paid call is rejected
//!   `insufficient_credits` while subscribed; a top-up buys the fewest packs.
//! - `inv7 boundaries`: cycle k is [anchor + k months, anchor + k+1 months),
//!   28-31 days long, strictly increasing.
//! - `inv8 independence`, `inv9 determinism`, `inv10 dedup`, `inv12
//!   snapshot`: see their tests.
//! - `statement identity` (RULES.md section 8), `summary rows`, `ledger
//!   order`, `roll-overs first`, and `model`: agreement with a small
//!   reference model of the rules.

use chrono::{Months, TimeDelta};
use creditsim::core::time::{parse_time, Instant};
use creditsim::core::{
    Action, Applied, Balance, Cycle, Effect, Engine, EngineError, EntryKind, Event, LedgerEntry,
    Plan, PlanBook, Reason, RuleBook, Snapshot, StatementBook, Status, Summary, Terms, TopUp,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

// ---------------------------------------------------------------------------
// The world: plans, accounts, operations and task ids the generator draws.
// ---------------------------------------------------------------------------

const DAY: i64 = 86_400;

fn base() -> Instant {
    parse_time("2023-01-01T00:00:00Z").unwrap()
}

/// (id, price in cents, monthly credits): a 0-credit plan and a tiny one
/// so that insufficient_credits happens.
const PLANS: [(&str, i64, u64); 4] = [
    ("free", 0, 0),
    ("tiny", 100, 15),
    ("basic", 800, 100),
    ("pro", 3000, 1000),
];

/// Plans named by events: the four above and one unknown.
const EVENT_PLANS: [&str; 5] = ["free", "tiny", "basic", "pro", "gold"];

const ACCOUNTS: [&str; 5] = ["amy", "bob", "cat", "dan", "eve"];

const TASKS: [&str; 6] = ["t0", "t1", "t2", "t3", "t4", "t5"];

/// (provider, operation, cost in the built-in rule book; None = unknown).
const CALLS: [(&str, &str, Option<u64>); 9] = [
    ("suno", "create", Some(10)),
    ("riffusion", "swap_vocals", Some(10)),
    ("nuro", "create_vocal", Some(10)),
    ("suno", "upload", Some(2)),
    ("lyrics", "make", Some(2)),
    ("suno", "get", Some(0)),
    ("account", "get_credits", Some(0)),
    ("suno", "remix", None),
    ("Suno", "create", None),
];

const PURCHASES: [u64; 7] = [0, 5, 10, 15, 20, 100, 1000];

fn plan_book() -> PlanBook {
    PlanBook::new(PLANS.iter().map(|&(id, cents, credits)| Plan {
        id: id.into(),
        price_usd: Decimal::new(cents, 2),
        monthly_credits: credits,
    }))
    .unwrap()
}

fn plan_terms(id: &str) -> Option<(Decimal, u64)> {
    PLANS
        .iter()
        .find(|p| p.0 == id)
        .map(|&(_, cents, credits)| (Decimal::new(cents, 2), credits))
}

fn new_engine(window: TimeDelta) -> Engine {
    Engine::new(plan_book(), RuleBook::builtin()).with_task_window(window)
}

// ---------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------

/// One action, with indexes into the tables above.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Act {
    Subscribe(usize),
    Cancel,
    ChangePlan(usize),
    Purchase(u64),
    Call(usize, Option<usize>),
    Refund(usize),
}

/// One event: seconds after `base()`, account index, action.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    at: i64,
    account: usize,
    act: Act,
}

impl Step {
    fn time(&self) -> Instant {
        base() + TimeDelta::seconds(self.at)
    }

    fn name(&self) -> &'static str {
        ACCOUNTS[self.account]
    }

    fn event(&self) -> Event<'static> {
        let action = match self.act {
            Act::Subscribe(p) => Action::Subscribe {
                plan: EVENT_PLANS[p],
            },
            Act::Cancel => Action::Cancel,
            Act::ChangePlan(p) => Action::ChangePlan {
                plan: EVENT_PLANS[p],
            },
            Act::Purchase(credits) => Action::Purchase { credits },
            Act::Call(op, task) => Action::Call {
                provider: CALLS[op].0,
                operation: CALLS[op].1,
                // Index TASKS.len() is the "dup" task of the dedup test.
                task: task.map(|i| TASKS.get(i).copied().unwrap_or("dup")),
            },
            Act::Refund(task) => Action::Refund { task: TASKS[task] },
        };
        Event {
            time: self.time(),
            account: self.name(),
            action,
        }
    }
}

#[derive(Debug, Clone)]
struct Scenario {
    window: TimeDelta,
    steps: Vec<Step>,
}

impl Scenario {
    fn end(&self) -> Instant {
        self.steps.last().map_or(base(), Step::time) + TimeDelta::days(100)
    }
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (0..EVENT_PLANS.len()).prop_map(Act::Subscribe),
        1 => Just(Act::Cancel),
        1 => (0..EVENT_PLANS.len()).prop_map(Act::ChangePlan),
        2 => prop::sample::select(PURCHASES.to_vec()).prop_map(Act::Purchase),
        8 => (call_op(), prop::option::weighted(0.97, 0..TASKS.len()))
            .prop_map(|(op, task)| Act::Call(op, task)),
        2 => (0..TASKS.len()).prop_map(Act::Refund),
    ]
}

/// Mostly paid operations, some free ones, a few unknown ones.
fn call_op() -> impl Strategy<Value = usize> {
    prop_oneof![12 => 0..5usize, 2 => 5..7usize, 1 => 7..CALLS.len()]
}

fn window() -> impl Strategy<Value = TimeDelta> {
    prop_oneof![
        Just(TimeDelta::zero()),
        Just(TimeDelta::hours(1)),
        Just(TimeDelta::hours(24)),
        Just(TimeDelta::days(40)),
    ]
}

/// Where an event falls relative to its "hot day": often exactly 0-2
/// months later (so events land on cycle boundaries), plus a jitter that
/// straddles the 1 h and 24 h windows or spreads over 40 days.
fn when() -> impl Strategy<Value = (Index, u32, i64)> {
    let months = prop_oneof![3 => Just(0u32), 2 => 1u32..=2];
    let jitter = prop_oneof![
        3 => Just(0i64),
        6 => 0..3_600i64,
        1 => Just(3_599),
        1 => Just(3_600),
        1 => Just(DAY - 1),
        1 => Just(DAY),
        2 => 0..DAY,
        2 => 0..40 * DAY,
    ];
    (any::<Index>(), months, jitter)
}

/// A follow-up of a call with a task id: the same call again, or a refund
/// of its task, after a delay that straddles the task windows (and, at 35
/// days, usually a cycle boundary).
#[derive(Debug, Clone, Copy)]
enum FollowUp {
    Repeat,
    Refund,
}

fn follow_up() -> impl Strategy<Value = Option<(FollowUp, i64)>> {
    let kind = prop_oneof![Just(FollowUp::Repeat), Just(FollowUp::Refund)];
    let delay = prop::sample::select(vec![
        0,
        1,
        3_599,
        3_600,
        7_200,
        DAY - 1,
        DAY,
        3 * DAY,
        35 * DAY,
    ]);
    prop::option::weighted(0.3, (kind, delay))
}

prop_compose! {
    /// 3-5 accounts, 10-120 events (plus follow-ups) over 1-3 years, sorted
    /// by time (ties keep the generated order). Events cluster on 4-16 "hot
    /// days" so that duplicates, refunds and boundary hits are frequent.
    fn scenario()(accounts in 3usize..=5, span_days in 365i64..=1095)(
        hot_days in prop::collection::vec(0..span_days, 4..16),
        raw in prop::collection::vec((when(), 0..accounts, act(), follow_up()), 10..120),
        window in window(),
    ) -> Scenario {
        let mut steps = Vec::new();
        for ((day, months, jitter), account, act, follow) in raw {
            let day = base() + TimeDelta::days(*day.get(&hot_days));
            let time = day.checked_add_months(Months::new(months)).unwrap()
                + TimeDelta::seconds(jitter);
            let at = (time - base()).num_seconds();
            let again = match (&act, follow) {
                (Act::Call(_, Some(task)), Some((FollowUp::Refund, delay))) => {
                    Some(Step { at: at + delay, account, act: Act::Refund(*task) })
                }
                (Act::Call(..), Some((FollowUp::Repeat, delay))) => {
                    Some(Step { at: at + delay, account, act: act.clone() })
                }
                _ => None,
            };
            steps.push(Step { at, account, act });
            steps.extend(again);
        }
        // Stable: a follow-up with no delay comes after its call.
        steps.sort_by_key(|s| s.at);
        Scenario { window, steps }
    }
}

// ---------------------------------------------------------------------------
// Helpers: entries with account names, account snapshots.
// ---------------------------------------------------------------------------

/// A ledger entry with its account's name (ids differ between engines).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    time: Instant,
    account: String,
    kind: EntryKind,
    cycle: Cycle,
    plan: Option<String>,
    task: Option<String>,
    extra: i128,
    subscription: i128,
    usd: Decimal,
    extra_balance: u64,
    subscription_balance: u64,
}

fn line(engine: &Engine, e: &LedgerEntry) -> Line {
    Line {
        time: e.time,
        account: engine.account_name(e.account).to_owned(),
        kind: e.kind,
        cycle: e.cycle,
        plan: e.plan.as_deref().map(str::to_owned),
        task: e.task.as_deref().map(str::to_owned),
        extra: e.extra_delta,
        subscription: e.subscription_delta,
        usd: e.usd,
        extra_balance: e.extra_balance,
        subscription_balance: e.subscription_balance,
    }
}

fn lines(engine: &Engine) -> Vec<Line> {
    engine.entries().iter().map(|e| line(engine, e)).collect()
}

/// What `balances.csv` shows of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
struct View {
    status: Status,
    plan: Option<String>,
    cycle: Option<Cycle>,
    balance: Balance,
}

impl View {
    fn unseen() -> Self {
        View {
            status: Status::Inactive,
            plan: None,
            cycle: None,
            balance: Balance::default(),
        }
    }
}

fn view(engine: &Engine, name: &str) -> View {
    match engine.account_id(name).and_then(|id| engine.account(id)) {
        Some(a) => View {
            status: a.status,
            plan: a.plan.map(str::to_owned),
            cycle: a.cycle,
            balance: a.balance,
        },
        None => View::unseen(),
    }
}

fn outcome_code(outcome: &Result<Applied, EngineError>) -> String {
    match outcome {
        Ok(Applied { outcome: Ok(_), .. }) => "accepted".into(),
        Ok(Applied {
            outcome: Err(r), ..
        }) => r.reason().code().into(),
        Err(e) => format!("error: {e}"),
    }
}

// ---------------------------------------------------------------------------
// The checker: applies a scenario step by step and checks invariants 1-7,
// the statement identity and the summary after every step.
// ---------------------------------------------------------------------------

/// What the checker knows of one account, from the entries alone.
#[derive(Debug, Default)]
struct Track {
    extra: i128,
    subscription: i128,
    granted: u128,
    purchased: u128,
    refunded: u128,
    used: u128,
    expired: u128,
    /// Anchor and index of the current cycle, from the accepted subscribe.
    anchor: Option<(Instant, u32)>,
    last_cycle_start: Option<Instant>,
}

struct Checker {
    engine: Engine,
    tracks: BTreeMap<String, Track>,
    statements: StatementBook,
    summary: Summary,
    applied: u64,
    last_entry_time: Option<Instant>,
}

impl Checker {
    fn new(window: TimeDelta) -> Self {
        Checker::with_engine(new_engine(window))
    }

    fn with_engine(engine: Engine) -> Self {
        Checker {
            engine,
            tracks: BTreeMap::new(),
            statements: StatementBook::default(),
            summary: Summary::default(),
            applied: 0,
            last_entry_time: None,
        }
    }

    fn step(&mut self, step: &Step) -> Result<(), TestCaseError> {
        let event = step.event();
        let before: Vec<View> = ACCOUNTS.iter().map(|n| view(&self.engine, n)).collect();
        // The state the event must leave if it is rejected: the roll-overs
        // due at its time and nothing else.
        let mut rolled = self.engine.clone();
        rolled
            .advance_to(event.time)
            .map_err(|e| TestCaseError::fail(format!("advance_to: {e}")))?;
        let rollover = lines(&rolled);

        let applied = match self.engine.apply(&event) {
            Ok(applied) => applied,
            Err(EngineError::TaskRequired { credits }) => {
                let paid_without_task = matches!(step.act, Act::Call(op, None)
                    if CALLS[op].2 == Some(credits) && credits > 0);
                prop_assert!(paid_without_task, "TaskRequired for {step:?}");
                let after: Vec<View> = ACCOUNTS.iter().map(|n| view(&self.engine, n)).collect();
                prop_assert!(
                    after == before && self.engine.entries().is_empty(),
                    "inv2 balances: TaskRequired changed state for {step:?}"
                );
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(format!("engine error {e} at {step:?}"))),
        };
        let entries = lines(&self.engine);
        prop_assert!(
            entries.len() >= rollover.len() && entries[..rollover.len()] == rollover[..],
            "roll-overs first: {step:?}\nentries {entries:#?}\nroll-overs {rollover:#?}"
        );
        for name in ACCOUNTS {
            if name != step.name() || applied.outcome.is_err() {
                prop_assert!(
                    view(&self.engine, name) == view(&rolled, name),
                    "inv2 balances: {name} changed beyond the roll-overs after {step:?} ({:?})",
                    applied.outcome
                );
            }
        }
        if applied.outcome.is_err() {
            prop_assert!(
                entries.len() == rollover.len(),
                "inv2 balances: rejected {step:?} wrote entries {:#?}",
                &entries[rollover.len()..]
            );
        }
        if let Ok(Effect::Called { credits, .. }) = applied.outcome {
            let own = &entries[rollover.len()..];
            // Under top-up a short paid call first buys: purchase, charge.
            let topped_up = self.engine.terms().top_up().is_some()
                && own.len() == 2
                && own[0].kind == EntryKind::Purchase;
            prop_assert!(
                own.len() == usize::from(credits > 0) + usize::from(topped_up),
                "free calls write no entry, paid calls one (two with a top-up): {step:?}"
            );
            if topped_up {
                let pack = self
                    .engine
                    .terms()
                    .top_up()
                    .map_or(10, |t| t.pack_credits());
                let before = u128::from(own[0].extra_balance)
                    + u128::from(own[0].subscription_balance)
                    - own[0].extra.unsigned_abs();
                let bought = own[0].extra.unsigned_abs();
                prop_assert!(
                    before < u128::from(credits)
                        && bought.is_multiple_of(u128::from(pack))
                        && before + bought >= u128::from(credits)
                        && before + bought - u128::from(pack) < u128::from(credits),
                    "top-up: the fewest packs of {pack} covering the shortfall: {own:?}"
                );
            }
        }

        let raw_entries = self.engine.entries().to_vec();
        for (i, (entry, raw)) in entries.iter().zip(&raw_entries).enumerate() {
            let own = i >= rollover.len();
            self.check_entry(entry, step, Some(&applied), own)?;
            self.statements.record_entry(raw).unwrap();
            self.summary.record_entry(raw).unwrap();
        }
        self.statements.record_applied(&applied).unwrap();
        self.summary.record_applied(&applied).unwrap();
        self.applied += 1;
        self.check_state()
    }

    /// Moves every account to `to` and checks the roll-over entries.
    fn finish(&mut self, to: Instant, last: &Step) -> Result<(), TestCaseError> {
        self.engine.advance_to(to).unwrap();
        let entries = lines(&self.engine);
        let raw_entries = self.engine.entries().to_vec();
        for (entry, raw) in entries.iter().zip(&raw_entries) {
            self.check_entry(entry, last, None, false)?;
            self.statements.record_entry(raw).unwrap();
            self.summary.record_entry(raw).unwrap();
        }
        self.check_state()
    }

    fn check_entry(
        &mut self,
        e: &Line,
        step: &Step,
        applied: Option<&Applied>,
        own: bool,
    ) -> Result<(), TestCaseError> {
        prop_assert!(
            self.last_entry_time.is_none_or(|last| last <= e.time),
            "ledger order: {e:?} after an entry at {:?}",
            self.last_entry_time
        );
        self.last_entry_time = Some(e.time);
        let track = self.tracks.entry(e.account.clone()).or_default();
        let (extra_before, subscription_before) = (track.extra, track.subscription);
        track.extra += e.extra;
        track.subscription += e.subscription;
        prop_assert!(
            track.extra >= 0 && track.subscription >= 0,
            "inv2 balances: running sums went negative at {e:?}"
        );
        prop_assert!(
            i128::from(e.extra_balance) == track.extra
                && i128::from(e.subscription_balance) == track.subscription,
            "inv2 balances: entry balances are not the running sums ({}, {}) at {e:?}",
            track.extra,
            track.subscription
        );
        prop_assert!(
            e.plan.is_some()
                == matches!(
                    e.kind,
                    EntryKind::Fee | EntryKind::Grant | EntryKind::Expire
                )
                && e.task.is_some() == matches!(e.kind, EntryKind::Charge | EntryKind::Refund),
            "ledger columns: plan on fee/grant/expire, task on charge/refund: {e:?}"
        );
        prop_assert!(
            e.extra == 0
                || matches!(
                    e.kind,
                    EntryKind::Purchase | EntryKind::Charge | EntryKind::Refund
                ),
            "inv5 extra never expires: {:?} entry moved extra credits: {e:?}",
            e.kind
        );
        prop_assert!(
            e.usd.is_zero() || matches!(e.kind, EntryKind::Fee | EntryKind::Purchase),
            "usd only on fee and purchase: {e:?}"
        );
        let magnitude = |d: i128| d.unsigned_abs();
        match e.kind {
            EntryKind::Fee => {
                let (price, _) = plan_terms(e.plan.as_deref().unwrap_or("")).unwrap_or_default();
                prop_assert!(
                    e.usd == price && e.extra == 0 && e.subscription == 0,
                    "fee: {e:?}"
                );
            }
            EntryKind::Grant => {
                let credits = plan_terms(e.plan.as_deref().unwrap_or("")).map(|p| p.1);
                prop_assert!(
                    subscription_before == 0
                        && Some(e.subscription_balance) == credits
                        && e.subscription >= 0,
                    "inv4 no carry-over: grant into a bucket of {subscription_before}, \
                     plan credits {credits:?}: {e:?}"
                );
                track.granted += magnitude(e.subscription);
                // inv7: the boundaries follow the anchor.
                if own {
                    prop_assert!(
                        matches!(step.act, Act::Subscribe(_)) && e.time == step.time(),
                        "inv7 boundaries: a grant from a non-subscribe event {step:?}: {e:?}"
                    );
                    track.anchor = Some((e.time, 0));
                } else {
                    let Some((_, k)) = track.anchor.as_mut() else {
                        return Err(TestCaseError::fail(format!(
                            "inv7 boundaries: roll-over grant without a subscription: {e:?}"
                        )));
                    };
                    *k += 1;
                }
                let (anchor, k) = track.anchor.unwrap();
                let start = anchor.checked_add_months(Months::new(k)).unwrap();
                let end = anchor.checked_add_months(Months::new(k + 1)).unwrap();
                prop_assert!(
                    e.time == start && e.cycle == Cycle { start, end },
                    "inv7 boundaries: cycle {k} of anchor {anchor} should be [{start}, {end}): {e:?}"
                );
                let days = (end - start).num_days();
                prop_assert!(
                    (28..=31).contains(&days) && end - start == TimeDelta::days(days),
                    "inv7 boundaries: cycle of {days} days (or not whole days): {e:?}"
                );
                prop_assert!(
                    track.last_cycle_start.is_none_or(|s| s < start),
                    "inv7 boundaries: cycle start {start} not after {:?}",
                    track.last_cycle_start
                );
                track.last_cycle_start = Some(start);
            }
            EntryKind::Expire => {
                prop_assert!(
                    e.subscription < 0 && e.extra == 0,
                    "expire: only when > 0: {e:?}"
                );
                if own {
                    // A late refund's expiry: at the refund's time, for an
                    // ended cycle, cancelling the refunded part.
                    prop_assert!(
                        matches!(step.act, Act::Refund(_))
                            && e.time == step.time()
                            && e.cycle.end <= e.time,
                        "late refund expire: {step:?}: {e:?}"
                    );
                } else {
                    prop_assert!(
                        e.time == e.cycle.end && e.subscription_balance == 0,
                        "roll-over expire: at the cycle end, empties the bucket: {e:?}"
                    );
                }
                track.expired += magnitude(e.subscription);
            }
            EntryKind::Purchase => {
                let credits = magnitude(e.extra);
                let price =
                    Decimal::from(credits / 10) * self.engine.terms().extra_pack_price_usd();
                prop_assert!(
                    e.extra > 0 && credits % 10 == 0 && e.usd == price && e.subscription == 0,
                    "inv6 purchase price: {credits} credits cost {}, want {price}",
                    e.usd
                );
                prop_assert!(
                    (e.usd * Decimal::from(100)).fract().is_zero(),
                    "inv6 purchase price: not whole cents: {e:?}"
                );
                track.purchased += credits;
            }
            EntryKind::Charge => {
                prop_assert!(
                    e.extra <= 0 && e.subscription <= 0 && e.extra + e.subscription < 0,
                    "charge: {e:?}"
                );
                prop_assert!(
                    e.subscription == 0 || e.extra_balance == 0,
                    "inv3 extra first: took {} subscription credits with {} extra left: {e:?}",
                    -e.subscription,
                    e.extra_balance
                );
                prop_assert!(
                    -e.extra == extra_before.min(-(e.extra + e.subscription)),
                    "inv3 extra first: took {} extra of {extra_before}: {e:?}",
                    -e.extra
                );
                if let Some(Applied {
                    outcome:
                        Ok(Effect::Called {
                            credits,
                            extra,
                            subscription,
                            ..
                        }),
                    ..
                }) = applied
                {
                    prop_assert!(
                        u128::from(*credits) == magnitude(e.extra + e.subscription)
                            && u128::from(*extra) == magnitude(e.extra)
                            && u128::from(*subscription) == magnitude(e.subscription),
                        "charge entry and effect disagree: {e:?} {applied:?}"
                    );
                }
                track.used += magnitude(e.extra) + magnitude(e.subscription);
            }
            EntryKind::Refund => {
                prop_assert!(e.extra >= 0 && e.subscription >= 0, "refund: {e:?}");
                track.refunded += magnitude(e.extra) + magnitude(e.subscription);
            }
            kind => {
                return Err(TestCaseError::fail(format!(
                    "an entry kind this test does not know: {kind:?}"
                )))
            }
        }
        Ok(())
    }

    /// Per-step checks over every account: conservation, balances, the
    /// statement identity and the summary.
    fn check_state(&self) -> Result<(), TestCaseError> {
        for (name, track) in &self.tracks {
            let balance = self.engine.balance(name);
            prop_assert!(
                i128::from(balance.extra_credits) == track.extra
                    && i128::from(balance.credits) == track.subscription,
                "inv2 balances: {name} has {balance:?}, the entries sum to ({}, {})",
                track.subscription,
                track.extra
            );
            let held = u128::from(balance.credits) + u128::from(balance.extra_credits);
            prop_assert!(
                track.granted + track.purchased + track.refunded
                    == track.used + track.expired + held,
                "inv1 conservation: {name}: granted {} + purchased {} + refunded {} != \
                 used {} + expired {} + balance {held}",
                track.granted,
                track.purchased,
                track.refunded,
                track.used,
                track.expired
            );
        }

        let now = self.engine.now().unwrap();
        let rows = self
            .statements
            .clone()
            .into_sorted(|id| self.engine.account_name(id));
        for row in &rows {
            let account = self.engine.account(row.account).unwrap();
            let current = account.cycle == Some(row.cycle);
            let rest = if current {
                account.balance.credits
            } else {
                prop_assert!(
                    row.cycle.end <= now,
                    "statement identity: {} cycle {:?} is neither current nor ended",
                    account.name,
                    row.cycle
                );
                row.credits.expired
            };
            prop_assert!(
                u128::from(row.credits.granted) + u128::from(row.credits.refunded_subscription)
                    == u128::from(row.credits.used_subscription) + u128::from(rest),
                "statement identity: {} cycle {:?} (current: {current}): granted {} != used {} \
                 - refunded {} + {}",
                account.name,
                row.cycle,
                row.credits.granted,
                row.credits.used_subscription,
                row.credits.refunded_subscription,
                rest
            );
        }
        let granted: u64 = rows.iter().map(|r| r.credits.granted).sum();
        prop_assert!(
            granted == self.summary.credits.granted,
            "statement identity: statements grant {granted}, the summary {}",
            self.summary.credits.granted
        );

        let s = &self.summary;
        prop_assert!(
            s.rows == s.accepted + s.rejected + s.skipped && s.rows == self.applied,
            "summary rows: {} != {} + {} + {} (applied {})",
            s.rows,
            s.accepted,
            s.rejected,
            s.skipped,
            self.applied
        );
        let c = &s.credits;
        let held: u128 = self
            .tracks
            .keys()
            .map(|n| {
                let b = self.engine.balance(n);
                u128::from(b.credits) + u128::from(b.extra_credits)
            })
            .sum();
        prop_assert!(
            u128::from(c.granted)
                + u128::from(c.purchased)
                + u128::from(c.refunded_extra)
                + u128::from(c.refunded_subscription)
                == u128::from(c.used_extra)
                    + u128::from(c.used_subscription)
                    + u128::from(c.expired)
                    + held,
            "inv1 conservation: summary totals {c:?} with {held} held"
        );
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// A reference model of the rules, written from RULES.md sections 4-6
// independently of the engine; compared per event.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct ModelSub {
    plan: &'static str,
    anchor: Instant,
    k: u32,
    start: Instant,
    end: Instant,
    cancelling: bool,
    pending: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct ModelCharge {
    at: Instant,
    cycle_start: Instant,
    extra: u64,
    subscription: u64,
    refunded: bool,
}

#[derive(Debug, Clone, Default)]
struct ModelAccount {
    sub: Option<ModelSub>,
    credits: u64,
    extra: u64,
    tasks: HashMap<&'static str, ModelCharge>,
}

fn credits_of(plan: &str) -> u64 {
    plan_terms(plan).unwrap().1
}

impl ModelAccount {
    fn roll(&mut self, t: Instant) {
        while let Some(sub) = self.sub.as_mut() {
            if sub.end > t {
                break;
            }
            self.credits = 0;
            if sub.cancelling {
                self.sub = None;
                break;
            }
            if let Some(plan) = sub.pending.take() {
                sub.plan = plan;
            }
            sub.k += 1;
            sub.start = sub.end;
            sub.end = sub
                .anchor
                .checked_add_months(Months::new(sub.k + 1))
                .unwrap();
            self.credits = credits_of(sub.plan);
        }
    }

    fn view(&self) -> View {
        View {
            status: match &self.sub {
                None => Status::Inactive,
                Some(s) if s.cancelling => Status::Cancelling,
                Some(_) => Status::Active,
            },
            plan: self.sub.as_ref().map(|s| s.plan.to_owned()),
            cycle: self.sub.as_ref().map(|s| Cycle {
                start: s.start,
                end: s.end,
            }),
            balance: Balance {
                credits: self.credits,
                extra_credits: self.extra,
            },
        }
    }

    /// The outcome code the rules give `act` at `t`.
    fn apply(&mut self, t: Instant, act: &Act, window: TimeDelta) -> &'static str {
        self.roll(t);
        let remembered = |c: &ModelCharge| t < c.at + window;
        match *act {
            Act::Subscribe(p) => {
                let plan = EVENT_PLANS[p];
                if self.sub.is_some() {
                    return "already_subscribed";
                }
                if plan_terms(plan).is_none() {
                    return "unknown_plan";
                }
                self.sub = Some(ModelSub {
                    plan,
                    anchor: t,
                    k: 0,
                    start: t,
                    end: t.checked_add_months(Months::new(1)).unwrap(),
                    cancelling: false,
                    pending: None,
                });
                self.credits = credits_of(plan);
            }
            Act::Cancel => match self.sub.as_mut() {
                None => return "no_active_subscription",
                Some(s) if s.cancelling => return "already_cancelled",
                Some(s) => {
                    s.cancelling = true;
                    s.pending = None;
                }
            },
            Act::ChangePlan(p) => match self.sub.as_mut() {
                None => return "no_active_subscription",
                Some(s) if s.cancelling => return "cancellation_pending",
                Some(_) if plan_terms(EVENT_PLANS[p]).is_none() => return "unknown_plan",
                Some(s) => s.pending = Some(EVENT_PLANS[p]),
            },
            Act::Purchase(credits) => {
                if self.sub.is_none() {
                    return "no_active_subscription";
                }
                if credits == 0 || credits % 10 != 0 {
                    return "invalid_credits";
                }
                self.extra += credits;
            }
            Act::Call(op, task) => {
                let Some(cost) = CALLS[op].2 else {
                    return "unknown_operation";
                };
                if cost == 0 {
                    return "accepted";
                }
                let Some(task) = task.map(|i| TASKS[i]) else {
                    return "task_required";
                };
                let Some(sub) = &self.sub else {
                    return "no_active_subscription";
                };
                if self.tasks.get(task).is_some_and(remembered) {
                    return "duplicate_task";
                }
                if self.extra + self.credits < cost {
                    return "insufficient_credits";
                }
                let extra = self.extra.min(cost);
                let subscription = cost - extra;
                self.extra -= extra;
                self.credits -= subscription;
                let charge = ModelCharge {
                    at: t,
                    cycle_start: sub.start,
                    extra,
                    subscription,
                    refunded: false,
                };
                if window > TimeDelta::zero() {
                    self.tasks.insert(task, charge);
                }
            }
            Act::Refund(task) => {
                let current = self.sub.as_ref().map(|s| s.start);
                let Some(charge) = self.tasks.get_mut(TASKS[task]).filter(|c| remembered(c)) else {
                    return "unknown_task";
                };
                if charge.refunded {
                    return "already_refunded";
                }
                charge.refunded = true;
                self.extra += charge.extra;
                if current == Some(charge.cycle_start) {
                    self.credits += charge.subscription;
                }
            }
        }
        "accepted"
    }
}

// ---------------------------------------------------------------------------
// Runs without per-step checks, for independence and determinism.
// ---------------------------------------------------------------------------

struct Run {
    lines: Vec<Line>,
    outcomes: Vec<(usize, Result<Applied, EngineError>)>,
    views: BTreeMap<&'static str, View>,
}

fn run<'a>(window: TimeDelta, steps: impl Iterator<Item = &'a Step>, end: Instant) -> Run {
    let mut engine = new_engine(window);
    let mut out = Run {
        lines: Vec::new(),
        outcomes: Vec::new(),
        views: BTreeMap::new(),
    };
    for (i, step) in steps.enumerate() {
        let outcome = engine.apply(&step.event());
        out.lines.extend(lines(&engine));
        out.outcomes.push((i, outcome));
    }
    engine.advance_to(end).unwrap();
    out.lines.extend(lines(&engine));
    for name in ACCOUNTS {
        out.views.insert(name, view(&engine, name));
    }
    out
}

// ---------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Invariants 1-7, the statement identity and the summary rows, after
    /// every step (and after a final advance 100 days past the last event).
    // 512 cases.
    #[test]
    fn ledger_invariants_hold_after_every_step(s in scenario()) {
        let mut checker = Checker::new(s.window);
        for step in &s.steps {
            checker.step(step)?;
        }
        checker.finish(s.end(), s.steps.last().unwrap())?;
    }

    /// Every outcome code and the account's state after every event agree
    /// with the reference model; after a final advance, every account does.
    // 512 cases.
    #[test]
    fn engine_agrees_with_the_reference_model(s in scenario()) {
        let mut engine = new_engine(s.window);
        let mut model: BTreeMap<&str, ModelAccount> = BTreeMap::new();
        for step in &s.steps {
            let outcome = engine.apply(&step.event());
            let account = model.entry(step.name()).or_default();
            let want = account.apply(step.time(), &step.act, s.window);
            let got = match &outcome {
                Err(EngineError::TaskRequired { .. }) => "task_required".to_owned(),
                other => outcome_code(other),
            };
            prop_assert_eq!(got.as_str(), want, "model: outcome of {:?}", step);
            if want != "task_required" {
                prop_assert_eq!(
                    view(&engine, step.name()),
                    account.view(),
                    "model: state of {} after {:?}",
                    step.name(),
                    step
                );
            }
        }
        let end = s.end();
        engine.advance_to(end).unwrap();
        for (name, account) in &mut model {
            account.roll(end);
            prop_assert_eq!(view(&engine, name), account.view(), "model: final state of {}", name);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// inv8: replaying only one account's events (same times) gives that
    /// account the same entries, outcomes and balances as the full run.
    // 256 cases.
    #[test]
    fn accounts_are_independent(s in scenario()) {
        let end = s.end();
        let full = run(s.window, s.steps.iter(), end);
        for (index, name) in ACCOUNTS.iter().enumerate() {
            let own: Vec<&Step> = s.steps.iter().filter(|st| st.account == index).collect();
            if own.is_empty() {
                continue;
            }
            let alone = run(s.window, own.iter().copied(), end);
            let full_lines: Vec<&Line> = full.lines.iter().filter(|l| l.account == *name).collect();
            let alone_lines: Vec<&Line> = alone.lines.iter().collect();
            prop_assert_eq!(full_lines, alone_lines, "inv8 independence: entries of {}", name);
            let full_codes: Vec<String> = full
                .outcomes
                .iter()
                .filter(|(i, _)| s.steps[*i].account == index)
                .map(|(_, o)| outcome_code(o))
                .collect();
            let alone_codes: Vec<String> = alone.outcomes.iter().map(|(_, o)| outcome_code(o)).collect();
            prop_assert_eq!(full_codes, alone_codes, "inv8 independence: outcomes of {}", name);
            prop_assert_eq!(&full.views[name], &alone.views[name], "inv8 independence: balance of {}", name);
        }
    }

    /// inv9: the same events give the same entries, outcomes and balances.
    // 256 cases.
    #[test]
    fn replay_is_deterministic(s in scenario()) {
        let end = s.end();
        let first = run(s.window, s.steps.iter(), end);
        let second = run(s.window, s.steps.iter(), end);
        prop_assert_eq!(&first.lines, &second.lines, "inv9 determinism: entries");
        prop_assert_eq!(&first.outcomes, &second.outcomes, "inv9 determinism: outcomes");
        prop_assert_eq!(&first.views, &second.views, "inv9 determinism: balances");
        // A clone mid-way continues exactly like the original.
        let mut engine = new_engine(s.window);
        let half = s.steps.len() / 2;
        for step in &s.steps[..half] {
            let _ = engine.apply(&step.event());
        }
        let mut twin = engine.clone();
        for step in &s.steps[half..] {
            let a = engine.apply(&step.event());
            let b = twin.apply(&step.event());
            prop_assert_eq!(a, b, "inv9 determinism: clone diverged at {:?}", step);
            prop_assert_eq!(lines(&engine), lines(&twin), "inv9 determinism: clone entries at {:?}", step);
        }
    }

    /// inv12 snapshot: for any cut point, snapshot + restore (through
    /// JSON or through bytes) + the rest of the events gives exactly the
    /// outcomes, entries and balances of the uninterrupted run.
    // 256 cases.
    #[test]
    fn snapshot_and_restore_continue_the_run(s in scenario(), cut in any::<Index>(), bytes in any::<bool>()) {
        let end = s.end();
        let cut = cut.index(s.steps.len() + 1);
        let mut engine = new_engine(s.window);
        for step in &s.steps[..cut] {
            let _ = engine.apply(&step.event());
        }
        let snapshot = engine.snapshot();
        let read = if bytes {
            Snapshot::from_bytes(&snapshot.to_bytes())
        } else {
            Snapshot::from_json(&snapshot.to_json())
        };
        prop_assert_eq!(read.as_ref(), Ok(&snapshot), "inv12 snapshot: written and read back");
        let mut restored = match Engine::restore(snapshot) {
            Ok(restored) => restored,
            Err(e) => return Err(TestCaseError::fail(format!("inv12 snapshot: restore: {e}"))),
        };
        prop_assert_eq!(restored.snapshot(), engine.snapshot(), "inv12 snapshot: restored state");
        for step in &s.steps[cut..] {
            let a = engine.apply(&step.event());
            let b = restored.apply(&step.event());
            prop_assert_eq!(&a, &b, "inv12 snapshot: outcome diverged at {:?}", step);
            prop_assert_eq!(lines(&engine), lines(&restored), "inv12 snapshot: entries at {:?}", step);
        }
        let a = engine.advance_to(end);
        let b = restored.advance_to(end);
        prop_assert_eq!(a, b, "inv12 snapshot: advance");
        prop_assert_eq!(lines(&engine), lines(&restored), "inv12 snapshot: roll-overs");
        for name in ACCOUNTS {
            prop_assert_eq!(view(&engine, name), view(&restored, name), "inv12 snapshot: balance of {}", name);
        }
    }

    /// inv10: two identical paid calls with the same new task id within
    /// the window (1 h, 24 h or 40 days) are charged once: the first is
    /// accepted and the second is duplicate_task.
    // 256 cases.
    #[test]
    fn duplicate_charge_inside_the_window_is_charged_once(
        s in scenario(),
        account in 0usize..3,
        position in any::<Index>(),
        op in 0usize..5,
        window in prop_oneof![
            Just(TimeDelta::hours(1)),
            Just(TimeDelta::hours(24)),
            Just(TimeDelta::days(40)),
        ],
        gap_fraction in 0.0f64..1.0,
    ) {
        let mut steps = s.steps.clone();
        let at = steps[position.index(steps.len())].at;
        let gap = ((window.num_seconds() as f64 * gap_fraction) as i64).min(window.num_seconds() - 1);
        let dup = Act::Call(op, Some(TASKS.len())); // the task "dup", never drawn
        // A subscription (or the one in force) and credits enough, then the
        // first call, before the other events at that time so that nothing
        // starves it; the second call after the events at its time.
        let first = steps.partition_point(|st| st.at < at);
        let injected = [Act::Subscribe(3), Act::Purchase(1000), dup.clone()];
        for (i, act) in injected.into_iter().enumerate() {
            steps.insert(first + i, Step { at, account, act });
        }
        let second = steps.partition_point(|st| st.at <= at + gap);
        steps.insert(second, Step { at: at + gap, account, act: dup.clone() });

        let mut engine = new_engine(window);
        let mut charges = 0;
        let mut codes = Vec::new();
        for step in &steps {
            let outcome = engine.apply(&step.event());
            if step.act == dup && step.account == account {
                codes.push(outcome_code(&outcome));
            }
            charges += engine
                .entries()
                .iter()
                .filter(|e| e.kind == EntryKind::Charge && e.task.as_deref() == Some("dup"))
                .count();
        }
        prop_assert_eq!(codes.len(), 2);
        prop_assert_eq!(codes[0].as_str(), "accepted", "inv10 dedup: the first call is charged");
        // Only a subscription that ended in between takes precedence.
        prop_assert!(
            codes[1] == "duplicate_task" || codes[1] == "no_active_subscription",
            "inv10 dedup: the second call inside the window was {}", codes[1]
        );
        prop_assert_eq!(charges, 1, "inv10 dedup: exactly one charge entry");
    }
}

/// Other terms: a price of 0-20 cents per 10 extra credits, top-up on or
/// off in packs of 10-50.
fn terms() -> impl Strategy<Value = Terms> {
    (0i64..=20, prop::option::of(1u64..=5)).prop_map(|(cents, pack)| {
        let terms = Terms::new(Decimal::new(cents, 2)).unwrap();
        match pack {
            Some(tens) => terms.with_top_up(TopUp::new(tens * 10).unwrap()),
            None => terms,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Invariants 1-7, the statement identity and the summary hold under
    /// any price of extra credits, with or without top-up.
    // 256 cases.
    #[test]
    fn ledger_invariants_hold_under_other_terms(s in scenario(), terms in terms()) {
        let mut checker = Checker::with_engine(new_engine(s.window).with_terms(terms));
        for step in &s.steps {
            checker.step(step)?;
        }
        checker.finish(s.end(), s.steps.last().unwrap())?;
    }

    /// inv11: under top-up no paid call is rejected `insufficient_credits`
    /// (the subscription check comes first, so every call that gets that
    /// far has one). The packs bought are checked by the checker above.
    // 256 cases.
    #[test]
    fn top_up_leaves_no_insufficient_credits_while_subscribed(s in scenario(), pack in 1u64..=5) {
        let top_up = Terms::default().with_top_up(TopUp::new(pack * 10).unwrap());
        let mut engine = new_engine(s.window).with_terms(top_up);
        for step in &s.steps {
            let Ok(applied) = engine.apply(&step.event()) else { continue };
            if let Err(rejection) = &applied.outcome {
                prop_assert!(
                    rejection.reason() != Reason::InsufficientCredits,
                    "inv11 top-up: {step:?} rejected {rejection}"
                );
            }
        }
    }
}

/// The generator is only useful if it reaches the interesting cases: over
/// 256 deterministic scenarios, every business outcome of every event, a
/// late refund, an event exactly at a boundary and a split charge occur.
#[test]
fn generator_reaches_every_business_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut count = |what: String| *seen.entry(what).or_default() += 1;
    for _ in 0..256 {
        let s = scenario().new_tree(&mut runner).unwrap().current();
        let mut engine = new_engine(s.window);
        for step in &s.steps {
            let outcome = engine.apply(&step.event());
            let code = match &outcome {
                Err(EngineError::TaskRequired { .. }) => "task_required".to_owned(),
                other => outcome_code(other),
            };
            count(format!("{} {code}", step.event().action.name()));
            for e in engine.entries() {
                let at_event = e.time == step.time();
                if e.kind == EntryKind::Expire && at_event && matches!(step.act, Act::Refund(_)) {
                    count("late refund expire".into());
                }
                if e.kind == EntryKind::Grant && at_event && !matches!(step.act, Act::Subscribe(_))
                {
                    count("event exactly at a boundary".into());
                }
                if e.kind == EntryKind::Charge && e.extra_delta < 0 && e.subscription_delta < 0 {
                    count("split charge".into());
                }
            }
        }
    }
    let expected = [
        "subscribe accepted",
        "subscribe already_subscribed",
        "subscribe unknown_plan",
        "cancel accepted",
        "cancel no_active_subscription",
        "cancel already_cancelled",
        "change_plan accepted",
        "change_plan no_active_subscription",
        "change_plan cancellation_pending",
        "change_plan unknown_plan",
        "purchase accepted",
        "purchase no_active_subscription",
        "purchase invalid_credits",
        "call accepted",
        "call unknown_operation",
        "call no_active_subscription",
        "call duplicate_task",
        "call insufficient_credits",
        "call task_required",
        "refund accepted",
        "refund unknown_task",
        "refund already_refunded",
        "late refund expire",
        "event exactly at a boundary",
        "split charge",
    ];
    for what in expected {
        assert!(
            seen.contains_key(what),
            "the generator never produced {what}: {seen:#?}"
        );
    }
}
