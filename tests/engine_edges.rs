//! One focused test per edge of the credit rules (RULES.md sections 1-6),
//! asserting the exact ledger entries, balances and rejection reasons.
//!
//! Ledger entries are compared as `ledger.csv`-like lines:
//! `time,account,entry,plan,task,extra,subscription,usd,extra_balance,subscription_balance`.

use chrono::{Months, TimeDelta};
use creditsim::core::money::Usd;
use creditsim::core::time::{format_time, parse_time, Instant};
use creditsim::core::{
    Applied, Balance, Cycle, Effect, Engine, EngineError, EntryKind, LedgerEntry, Plan, PlanBook,
    Reason, Rejection, RuleBook, StatementBook, Status,
};
use rust_decimal::Decimal;

fn t(text: &str) -> Instant {
    parse_time(text).unwrap_or_else(|e| panic!("bad test time {text}: {e}"))
}

fn plan(id: &str, cents: i64, credits: u64) -> Plan {
    Plan {
        id: id.into(),
        price_usd: Decimal::new(cents, 2),
        monthly_credits: credits,
    }
}

/// free: $0, 0 credits; pico: $0.50, 1 credit; four: $0.40, 4 credits; tiny: $1, 15 credits;
/// basic: $8, 100 credits; pro: $30, 1000 credits; max: $0, u64::MAX credits.
fn plans() -> PlanBook {
    PlanBook::new([
        plan("free", 0, 0),
        plan("pico", 50, 1),
        plan("four", 40, 4),
        plan("tiny", 100, 15),
        plan("basic", 800, 100),
        plan("pro", 3000, 1000),
        plan("max", 0, u64::MAX),
    ])
    .expect("valid plan book")
}

fn line(engine: &Engine, entry: &LedgerEntry) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{},{}",
        format_time(entry.time),
        engine.account_name(entry.account),
        entry.kind.name(),
        entry.plan.as_deref().unwrap_or(""),
        entry.task.as_deref().unwrap_or(""),
        entry.extra_delta,
        entry.subscription_delta,
        Usd(entry.usd),
        entry.extra_balance,
        entry.subscription_balance,
    )
}

/// An engine that keeps every ledger line it produced, in order.
struct Sim {
    engine: Engine,
    log: Vec<String>,
    statements: StatementBook,
}

type Outcome = Result<Effect, Rejection>;

impl Sim {
    fn new() -> Self {
        Sim::with_window(TimeDelta::hours(24))
    }

    fn with_window(window: TimeDelta) -> Self {
        Sim {
            engine: Engine::new(plans(), RuleBook::builtin()).with_task_window(window),
            log: Vec::new(),
            statements: StatementBook::default(),
        }
    }

    fn record(&mut self, applied: Option<&Applied>) {
        for entry in self.engine.entries() {
            self.log.push(line(&self.engine, entry));
            self.statements.record_entry(entry).unwrap();
        }
        if let Some(applied) = applied {
            self.statements.record_applied(applied).unwrap();
        }
    }

    fn done(&mut self, result: Result<Applied, EngineError>) -> Applied {
        let applied = result.unwrap_or_else(|e| panic!("engine error: {e}"));
        self.record(Some(&applied));
        applied
    }

    /// The entries of the last call only.
    fn last(&self) -> Vec<String> {
        self.engine
            .entries()
            .iter()
            .map(|e| line(&self.engine, e))
            .collect()
    }

    fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    fn subscribe(&mut self, at: &str, account: &str, plan: &str) -> Outcome {
        let r = self.engine.subscribe(t(at), account, plan);
        self.done(r).outcome
    }

    fn cancel(&mut self, at: &str, account: &str) -> Outcome {
        let r = self.engine.cancel(t(at), account);
        self.done(r).outcome
    }

    fn change_plan(&mut self, at: &str, account: &str, plan: &str) -> Outcome {
        let r = self.engine.change_plan(t(at), account, plan);
        self.done(r).outcome
    }

    fn purchase(&mut self, at: &str, account: &str, credits: u64) -> Outcome {
        let r = self.engine.purchase(t(at), account, credits);
        self.done(r).outcome
    }

    fn call(&mut self, at: &str, account: &str, op: (&str, &str), task: Option<&str>) -> Applied {
        let r = self.engine.charge(t(at), account, op.0, op.1, task);
        self.done(r)
    }

    /// A paid call with a task id.
    fn charge(&mut self, at: &str, account: &str, op: (&str, &str), task: &str) -> Outcome {
        self.call(at, account, op, Some(task)).outcome
    }

    fn refund(&mut self, at: &str, account: &str, task: &str) -> Outcome {
        let r = self.engine.refund(t(at), account, task);
        self.done(r).outcome
    }

    fn advance(&mut self, to: &str) {
        self.engine
            .advance_to(t(to))
            .unwrap_or_else(|e| panic!("engine error: {e}"));
        self.record(None);
    }

    fn balance(&self, account: &str) -> (u64, u64) {
        let b = self.engine.balance(account);
        (b.credits, b.extra_credits)
    }

    fn status(&self, account: &str) -> Status {
        let id = self.engine.account_id(account).expect("known account");
        self.engine.account(id).unwrap().status
    }

    fn plan_of(&self, account: &str) -> Option<String> {
        let id = self.engine.account_id(account).expect("known account");
        self.engine.account(id).unwrap().plan.map(str::to_owned)
    }

    /// Times of the `kind` entries in the whole log.
    fn times_of(&self, kind: &str) -> Vec<String> {
        self.log
            .iter()
            .filter(|l| l.split(',').nth(2) == Some(kind))
            .map(|l| l.split(',').next().unwrap().to_owned())
            .collect()
    }
}

const CREATE: (&str, &str) = ("suno", "create"); // 10 credits, 2 songs
const UPLOAD: (&str, &str) = ("suno", "upload"); // 2 credits
const LYRICS: (&str, &str) = ("lyrics", "make"); // 2 credits, 2 lyrics
const GET: (&str, &str) = ("suno", "get"); // free

fn code(outcome: &Outcome) -> &'static str {
    match outcome {
        Ok(_) => "accepted",
        Err(rejection) => rejection.reason().code(),
    }
}

fn cycle(start: &str, end: &str) -> Cycle {
    Cycle {
        start: t(start),
        end: t(end),
    }
}

/// The grant times of a `basic` subscription anchored at `anchor`, up to `until`.
fn grant_times(anchor: &str, until: &str) -> Vec<String> {
    let mut sim = Sim::new();
    sim.subscribe(anchor, "bob", "basic").unwrap();
    sim.advance(until);
    let grants = sim.times_of("grant");
    assert_eq!(grants, sim.times_of("fee"), "a fee comes with every grant");
    grants
}

// ---------------------------------------------------------------------------
// Billing-cycle boundaries: anchors on the 29th, 30th and 31st through
// February of a leap year (2024) and a non-leap year (2023).
// ---------------------------------------------------------------------------

#[test]
fn anchor_on_31st_in_leap_year_full_ledger() {
    let mut sim = Sim::new();
    sim.subscribe("2024-01-31T10:00:00Z", "bob", "basic")
        .unwrap();
    sim.charge("2024-02-01T00:00:00Z", "bob", CREATE, "t1")
        .unwrap();
    sim.advance("2024-02-29T09:59:59Z");
    assert!(sim.last().is_empty(), "no roll-over before the boundary");
    sim.advance("2024-03-31T10:00:00Z");
    assert_eq!(
        sim.take_log(),
        [
            "2024-01-31T10:00:00Z,bob,fee,basic,,0,0,8.00,0,0",
            "2024-01-31T10:00:00Z,bob,grant,basic,,0,100,0.00,0,100",
            "2024-02-01T00:00:00Z,bob,charge,,t1,0,-10,0.00,0,90",
            "2024-02-29T10:00:00Z,bob,expire,basic,,0,-90,0.00,0,0",
            "2024-02-29T10:00:00Z,bob,fee,basic,,0,0,8.00,0,0",
            "2024-02-29T10:00:00Z,bob,grant,basic,,0,100,0.00,0,100",
            "2024-03-31T10:00:00Z,bob,expire,basic,,0,-100,0.00,0,0",
            "2024-03-31T10:00:00Z,bob,fee,basic,,0,0,8.00,0,0",
            "2024-03-31T10:00:00Z,bob,grant,basic,,0,100,0.00,0,100",
        ]
    );
    let id = sim.engine.account_id("bob").unwrap();
    assert_eq!(
        sim.engine.account(id).unwrap().cycle,
        Some(cycle("2024-03-31T10:00:00Z", "2024-04-30T10:00:00Z"))
    );
}

#[test]
fn anchor_on_31st_leap_year_clamps_to_feb_29_then_recovers() {
    assert_eq!(
        grant_times("2024-01-31T10:00:00Z", "2024-05-31T10:00:00Z"),
        [
            "2024-01-31T10:00:00Z",
            "2024-02-29T10:00:00Z",
            "2024-03-31T10:00:00Z",
            "2024-04-30T10:00:00Z",
            "2024-05-31T10:00:00Z",
        ]
    );
}

#[test]
fn anchor_on_31st_non_leap_year_clamps_to_feb_28_then_recovers() {
    assert_eq!(
        grant_times("2023-01-31T10:00:00Z", "2023-04-30T10:00:00Z"),
        [
            "2023-01-31T10:00:00Z",
            "2023-02-28T10:00:00Z",
            "2023-03-31T10:00:00Z",
            "2023-04-30T10:00:00Z",
        ]
    );
}

#[test]
fn anchor_on_30th_leap_year() {
    assert_eq!(
        grant_times("2024-01-30T00:00:00Z", "2024-03-30T00:00:00Z"),
        [
            "2024-01-30T00:00:00Z",
            "2024-02-29T00:00:00Z",
            "2024-03-30T00:00:00Z",
        ]
    );
}

#[test]
fn anchor_on_30th_non_leap_year() {
    assert_eq!(
        grant_times("2023-01-30T00:00:00Z", "2023-03-30T00:00:00Z"),
        [
            "2023-01-30T00:00:00Z",
            "2023-02-28T00:00:00Z",
            "2023-03-30T00:00:00Z",
        ]
    );
}

#[test]
fn anchor_on_29th_leap_year_needs_no_clamp() {
    assert_eq!(
        grant_times("2024-01-29T23:59:59Z", "2024-03-29T23:59:59Z"),
        [
            "2024-01-29T23:59:59Z",
            "2024-02-29T23:59:59Z",
            "2024-03-29T23:59:59Z",
        ]
    );
}

#[test]
fn anchor_on_29th_non_leap_year() {
    assert_eq!(
        grant_times("2023-01-29T00:00:00Z", "2023-03-29T00:00:00Z"),
        [
            "2023-01-29T00:00:00Z",
            "2023-02-28T00:00:00Z",
            "2023-03-29T00:00:00Z",
        ]
    );
}

#[test]
fn anchor_on_feb_29_keeps_the_29th_and_clamps_in_the_next_february() {
    let grants = grant_times("2024-02-29T12:00:00Z", "2025-03-29T12:00:00Z");
    assert_eq!(grants.len(), 14);
    assert_eq!(grants[1], "2024-03-29T12:00:00Z");
    assert_eq!(grants[11], "2025-01-29T12:00:00Z");
    assert_eq!(grants[12], "2025-02-28T12:00:00Z");
    assert_eq!(grants[13], "2025-03-29T12:00:00Z");
}

#[test]
fn anchor_on_dec_31_crosses_the_year_into_a_leap_february() {
    assert_eq!(
        grant_times("2023-12-31T23:00:00Z", "2024-03-31T23:00:00Z"),
        [
            "2023-12-31T23:00:00Z",
            "2024-01-31T23:00:00Z",
            "2024-02-29T23:00:00Z",
            "2024-03-31T23:00:00Z",
        ]
    );
}

#[test]
fn fractional_anchor_keeps_its_fraction() {
    assert_eq!(
        grant_times("2024-01-31T10:00:00.5Z", "2024-02-29T10:00:00.5Z"),
        ["2024-01-31T10:00:00.500Z", "2024-02-29T10:00:00.500Z"]
    );
}

// ---------------------------------------------------------------------------
// Events at a boundary, idle accounts.
// ---------------------------------------------------------------------------

#[test]
fn event_exactly_at_boundary_uses_the_new_cycles_credits() {
    let mut sim = Sim::new();
    sim.subscribe("2023-01-31T00:00:00Z", "amy", "tiny")
        .unwrap();
    let first = sim.call("2023-01-31T00:00:00Z", "amy", CREATE, Some("t1"));
    assert_eq!(
        first.cycle,
        Some(cycle("2023-01-31T00:00:00Z", "2023-02-28T00:00:00Z"))
    );
    let short = sim.charge("2023-02-27T23:59:59Z", "amy", CREATE, "t2");
    assert_eq!(code(&short), "insufficient_credits");
    let at_boundary = sim.call("2023-02-28T00:00:00Z", "amy", CREATE, Some("t3"));
    assert_eq!(
        at_boundary.cycle,
        Some(cycle("2023-02-28T00:00:00Z", "2023-03-31T00:00:00Z")),
        "the event sees the cycle that starts at its time"
    );
    assert!(at_boundary.outcome.is_ok());
    assert_eq!(
        sim.last(),
        [
            "2023-02-28T00:00:00Z,amy,expire,tiny,,0,-5,0.00,0,0",
            "2023-02-28T00:00:00Z,amy,fee,tiny,,0,0,1.00,0,0",
            "2023-02-28T00:00:00Z,amy,grant,tiny,,0,15,0.00,0,15",
            "2023-02-28T00:00:00Z,amy,charge,,t3,0,-10,0.00,0,5",
        ]
    );
    assert_eq!(sim.balance("amy"), (5, 0));
}

#[test]
fn cancel_exactly_at_boundary_applies_to_the_new_cycle() {
    let mut sim = Sim::new();
    sim.subscribe("2024-01-15T12:00:00Z", "amy", "basic")
        .unwrap();
    let cancelled = sim.cancel("2024-02-15T12:00:00Z", "amy");
    assert_eq!(
        cancelled,
        Ok(Effect::Cancelled {
            ends_at: t("2024-03-15T12:00:00Z")
        })
    );
    assert_eq!(sim.last().len(), 3, "expire, fee, grant at the boundary");
    assert_eq!(sim.status("amy"), Status::Cancelling);
}

#[test]
fn idle_account_crosses_several_boundaries_in_one_advance() {
    let mut sim = Sim::new();
    sim.subscribe("2024-01-31T10:00:00Z", "bob", "basic")
        .unwrap();
    sim.charge("2024-01-31T10:00:00Z", "bob", CREATE, "t1")
        .unwrap();
    sim.advance("2024-04-30T10:00:00Z");
    assert_eq!(
        sim.last(),
        [
            "2024-02-29T10:00:00Z,bob,expire,basic,,0,-90,0.00,0,0",
            "2024-02-29T10:00:00Z,bob,fee,basic,,0,0,8.00,0,0",
            "2024-02-29T10:00:00Z,bob,grant,basic,,0,100,0.00,0,100",
            "2024-03-31T10:00:00Z,bob,expire,basic,,0,-100,0.00,0,0",
            "2024-03-31T10:00:00Z,bob,fee,basic,,0,0,8.00,0,0",
            "2024-03-31T10:00:00Z,bob,grant,basic,,0,100,0.00,0,100",
            "2024-04-30T10:00:00Z,bob,expire,basic,,0,-100,0.00,0,0",
            "2024-04-30T10:00:00Z,bob,fee,basic,,0,0,8.00,0,0",
            "2024-04-30T10:00:00Z,bob,grant,basic,,0,100,0.00,0,100",
        ]
    );
}

#[test]
fn idle_account_with_nothing_left_writes_no_expire() {
    let mut sim = Sim::new();
    sim.subscribe("2024-01-31T10:00:00Z", "bob", "free")
        .unwrap();
    sim.advance("2024-03-31T10:00:00Z");
    assert_eq!(
        sim.last(),
        [
            "2024-02-29T10:00:00Z,bob,fee,free,,0,0,0.00,0,0",
            "2024-02-29T10:00:00Z,bob,grant,free,,0,0,0.00,0,0",
            "2024-03-31T10:00:00Z,bob,fee,free,,0,0,0.00,0,0",
            "2024-03-31T10:00:00Z,bob,grant,free,,0,0,0.00,0,0",
        ]
    );
}

#[test]
fn roll_overs_at_equal_times_are_ordered_by_account_name() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "zed", "tiny")
        .unwrap();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "pico")
        .unwrap();
    sim.advance("2024-04-01T00:00:00Z");
    assert_eq!(
        sim.last(),
        [
            "2024-04-01T00:00:00Z,amy,expire,pico,,0,-1,0.00,0,0",
            "2024-04-01T00:00:00Z,amy,fee,pico,,0,0,0.50,0,0",
            "2024-04-01T00:00:00Z,amy,grant,pico,,0,1,0.00,0,1",
            "2024-04-01T00:00:00Z,zed,expire,tiny,,0,-15,0.00,0,0",
            "2024-04-01T00:00:00Z,zed,fee,tiny,,0,0,1.00,0,0",
            "2024-04-01T00:00:00Z,zed,grant,tiny,,0,15,0.00,0,15",
        ]
    );
}

#[test]
fn an_event_of_one_account_rolls_over_every_account_first() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "zed", "tiny")
        .unwrap();
    sim.subscribe("2024-03-10T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.charge("2024-04-02T00:00:00Z", "amy", UPLOAD, "u1")
        .unwrap();
    assert_eq!(
        sim.last(),
        [
            "2024-04-01T00:00:00Z,zed,expire,tiny,,0,-15,0.00,0,0",
            "2024-04-01T00:00:00Z,zed,fee,tiny,,0,0,1.00,0,0",
            "2024-04-01T00:00:00Z,zed,grant,tiny,,0,15,0.00,0,15",
            "2024-04-02T00:00:00Z,amy,charge,,u1,0,-2,0.00,0,98",
        ]
    );
}

// ---------------------------------------------------------------------------
// Extra credits first, insufficient credits.
// ---------------------------------------------------------------------------

#[test]
fn extra_first_split_when_extra_is_less_than_the_cost() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.purchase("2024-03-01T00:00:00Z", "amy", 10).unwrap();
    sim.charge("2024-03-02T00:00:00Z", "amy", LYRICS, "t1")
        .unwrap();
    let split = sim.charge("2024-03-03T00:00:00Z", "amy", CREATE, "t2");
    assert_eq!(
        split,
        Ok(Effect::Called {
            credits: 10,
            extra: 8,
            subscription: 2,
            songs: 2,
            lyrics: 0
        })
    );
    assert_eq!(
        sim.take_log()[2..],
        [
            "2024-03-01T00:00:00Z,amy,purchase,,,10,0,0.08,10,100",
            "2024-03-02T00:00:00Z,amy,charge,,t1,-2,0,0.00,8,100",
            "2024-03-03T00:00:00Z,amy,charge,,t2,-8,-2,0.00,0,98",
        ]
    );
}

#[test]
fn insufficient_credits_leaves_both_buckets_untouched_and_writes_nothing() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "pico")
        .unwrap();
    sim.purchase("2024-03-01T00:00:00Z", "amy", 10).unwrap();
    sim.charge("2024-03-01T00:00:00Z", "amy", LYRICS, "t1")
        .unwrap();
    assert_eq!(sim.balance("amy"), (1, 8));
    let short = sim.charge("2024-03-02T00:00:00Z", "amy", CREATE, "t2");
    assert_eq!(
        short,
        Err(Rejection::InsufficientCredits {
            needed: 10,
            extra: 8,
            subscription: 1
        })
    );
    assert_eq!(
        short.unwrap_err().to_string(),
        "needs 10 credits, has 8 extra and 1 subscription"
    );
    assert!(sim.last().is_empty());
    assert_eq!(sim.balance("amy"), (1, 8));
    // A rejected charge does not use up its task id.
    sim.purchase("2024-03-02T00:00:00Z", "amy", 10).unwrap();
    let retried = sim.charge("2024-03-02T00:00:01Z", "amy", CREATE, "t2");
    assert!(retried.is_ok(), "{retried:?}");
    assert_eq!(sim.balance("amy"), (1, 8));
}

#[test]
fn exactly_enough_credits_empties_both_buckets() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "four")
        .unwrap();
    sim.purchase("2024-03-01T00:00:00Z", "amy", 10).unwrap();
    sim.charge("2024-03-01T00:00:01Z", "amy", UPLOAD, "t1")
        .unwrap();
    sim.charge("2024-03-01T00:00:02Z", "amy", UPLOAD, "t2")
        .unwrap();
    assert_eq!(sim.balance("amy"), (4, 6));
    sim.charge("2024-03-01T00:00:03Z", "amy", CREATE, "t3")
        .unwrap();
    assert_eq!(
        sim.last(),
        ["2024-03-01T00:00:03Z,amy,charge,,t3,-6,-4,0.00,0,0"]
    );
    let short = sim.charge("2024-03-01T00:00:04Z", "amy", UPLOAD, "t4");
    assert_eq!(
        short.unwrap_err().to_string(),
        "needs 2 credits, has 0 extra and 0 subscription"
    );
    assert!(sim.last().is_empty());
    assert_eq!(sim.balance("amy"), (0, 0));
}

// ---------------------------------------------------------------------------
// Cancel, change plan, resubscribe, purchase.
// ---------------------------------------------------------------------------

#[test]
fn cancel_then_call_after_the_period_end_is_no_active_subscription() {
    let mut sim = Sim::new();
    sim.subscribe("2024-01-15T12:00:00Z", "amy", "basic")
        .unwrap();
    sim.purchase("2024-01-15T12:00:00Z", "amy", 100).unwrap();
    let cancelled = sim.cancel("2024-01-20T00:00:00Z", "amy");
    assert_eq!(
        cancelled,
        Ok(Effect::Cancelled {
            ends_at: t("2024-02-15T12:00:00Z")
        })
    );
    assert_eq!(sim.status("amy"), Status::Cancelling);
    // Still usable while cancelling.
    sim.charge("2024-02-01T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    assert_eq!(sim.balance("amy"), (100, 90));

    let after = sim.call("2024-02-15T12:00:00Z", "amy", CREATE, Some("t2"));
    assert_eq!(after.outcome, Err(Rejection::NoActiveSubscription));
    assert_eq!(after.cycle, None);
    assert_eq!(
        sim.last(),
        ["2024-02-15T12:00:00Z,amy,expire,basic,,0,-100,0.00,90,0"],
        "the end writes an expire and no fee or grant"
    );
    assert_eq!(sim.balance("amy"), (0, 90), "extra credits are kept");
    assert_eq!(sim.status("amy"), Status::Inactive);
    assert_eq!(sim.plan_of("amy"), None);
    let id = sim.engine.account_id("amy").unwrap();
    assert_eq!(sim.engine.account(id).unwrap().cycle, None);

    for outcome in [
        sim.cancel("2024-03-01T00:00:00Z", "amy"),
        sim.purchase("2024-03-01T00:00:00Z", "amy", 10),
        sim.change_plan("2024-03-01T00:00:00Z", "amy", "pro"),
        sim.charge("2024-03-01T00:00:00Z", "amy", UPLOAD, "t3"),
    ] {
        assert_eq!(outcome, Err(Rejection::NoActiveSubscription));
    }
    sim.advance("2025-03-01T00:00:00Z");
    assert!(sim.last().is_empty(), "an ended subscription rolls nothing");
    assert_eq!(sim.balance("amy"), (0, 90));
}

#[test]
fn change_plan_replaced_by_a_later_one_only_the_last_applies() {
    let mut sim = Sim::new();
    sim.subscribe("2024-01-10T00:00:00Z", "amy", "basic")
        .unwrap();
    let first = sim.change_plan("2024-01-11T00:00:00Z", "amy", "pro");
    assert_eq!(
        first,
        Ok(Effect::PlanChangeScheduled {
            plan: "pro".into(),
            from: t("2024-02-10T00:00:00Z")
        })
    );
    sim.change_plan("2024-01-12T00:00:00Z", "amy", "tiny")
        .unwrap();
    sim.advance("2024-02-09T23:59:59Z");
    assert_eq!(sim.plan_of("amy").as_deref(), Some("basic"));
    assert_eq!(sim.balance("amy"), (100, 0));
    sim.advance("2024-02-10T00:00:00Z");
    assert_eq!(
        sim.last(),
        [
            "2024-02-10T00:00:00Z,amy,expire,basic,,0,-100,0.00,0,0",
            "2024-02-10T00:00:00Z,amy,fee,tiny,,0,0,1.00,0,0",
            "2024-02-10T00:00:00Z,amy,grant,tiny,,0,15,0.00,0,15",
        ]
    );
    assert_eq!(sim.plan_of("amy").as_deref(), Some("tiny"));
    // The change is not sticky-pending: the next cycle renews tiny.
    sim.advance("2024-03-10T00:00:00Z");
    assert_eq!(
        sim.last()[1],
        "2024-03-10T00:00:00Z,amy,fee,tiny,,0,0,1.00,0,0"
    );
}

#[test]
fn cancel_wins_over_an_earlier_plan_change() {
    let mut sim = Sim::new();
    sim.subscribe("2024-01-10T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.change_plan("2024-01-11T00:00:00Z", "amy", "pro")
        .unwrap();
    sim.cancel("2024-01-12T00:00:00Z", "amy").unwrap();
    sim.advance("2024-02-10T00:00:00Z");
    assert_eq!(
        sim.last(),
        ["2024-02-10T00:00:00Z,amy,expire,basic,,0,-100,0.00,0,0"]
    );
    assert_eq!(sim.status("amy"), Status::Inactive);
}

#[test]
fn resubscribe_after_the_end_gets_a_new_anchor() {
    let mut sim = Sim::new();
    sim.subscribe("2024-01-31T10:00:00Z", "amy", "basic")
        .unwrap();
    sim.purchase("2024-01-31T10:00:00Z", "amy", 20).unwrap();
    sim.cancel("2024-02-01T00:00:00Z", "amy").unwrap();
    let again = sim.subscribe("2024-03-10T08:00:00Z", "amy", "pro");
    assert_eq!(
        again,
        Ok(Effect::Subscribed {
            cycle: cycle("2024-03-10T08:00:00Z", "2024-04-10T08:00:00Z")
        })
    );
    // The extra credits bought under the old subscription are usable again.
    sim.charge("2024-03-10T08:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    assert_eq!(sim.balance("amy"), (1000, 10));
    sim.advance("2024-05-10T08:00:00Z");
    assert_eq!(
        sim.times_of("grant"),
        [
            "2024-01-31T10:00:00Z",
            "2024-03-10T08:00:00Z",
            "2024-04-10T08:00:00Z",
            "2024-05-10T08:00:00Z",
        ],
        "boundaries follow the new anchor, not the old one (no 03-31, 04-30)"
    );
    assert_eq!(
        sim.times_of("expire"),
        [
            "2024-02-29T10:00:00Z",
            "2024-04-10T08:00:00Z",
            "2024-05-10T08:00:00Z"
        ]
    );
}

#[test]
fn resubscribe_at_the_exact_end_time_is_accepted() {
    let mut sim = Sim::new();
    sim.subscribe("2024-01-31T10:00:00Z", "amy", "basic")
        .unwrap();
    sim.cancel("2024-02-01T00:00:00Z", "amy").unwrap();
    let again = sim.subscribe("2024-02-29T10:00:00Z", "amy", "tiny");
    assert!(again.is_ok(), "{again:?}");
    assert_eq!(
        sim.last(),
        [
            "2024-02-29T10:00:00Z,amy,expire,basic,,0,-100,0.00,0,0",
            "2024-02-29T10:00:00Z,amy,fee,tiny,,0,0,1.00,0,0",
            "2024-02-29T10:00:00Z,amy,grant,tiny,,0,15,0.00,0,15",
        ]
    );
    // New anchor Feb 29: next boundary Mar 29, not Mar 31.
    sim.advance("2024-03-29T10:00:00Z");
    assert_eq!(sim.last().len(), 3);
}

#[test]
fn purchase_without_subscription_is_rejected_and_writes_nothing() {
    let mut sim = Sim::new();
    let applied = sim
        .engine
        .purchase(t("2024-03-01T00:00:00Z"), "nobody", 100)
        .unwrap();
    assert_eq!(applied.outcome, Err(Rejection::NoActiveSubscription));
    assert_eq!(applied.cycle, None);
    assert!(sim.last().is_empty());
    assert_eq!(sim.balance("nobody"), (0, 0));
    assert_eq!(sim.status("nobody"), Status::Inactive);
}

#[test]
fn purchase_needs_a_positive_multiple_of_ten_and_costs_eight_cents_per_ten() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "free")
        .unwrap();
    for bad in [0, 5, 15, 101] {
        let outcome = sim.purchase("2024-03-01T00:00:00Z", "amy", bad);
        assert_eq!(outcome, Err(Rejection::InvalidCredits { credits: bad }));
        assert!(sim.last().is_empty());
    }
    let bought = sim.purchase("2024-03-01T00:00:00Z", "amy", 1250);
    assert_eq!(
        bought,
        Ok(Effect::Purchased {
            credits: 1250,
            price_usd: Decimal::new(1000, 2)
        })
    );
    assert_eq!(
        sim.last(),
        ["2024-03-01T00:00:00Z,amy,purchase,,,1250,0,10.00,1250,0"]
    );
}

// ---------------------------------------------------------------------------
// Refunds.
// ---------------------------------------------------------------------------

#[test]
fn refund_in_cycle_returns_each_part_to_its_bucket() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.purchase("2024-03-01T00:00:00Z", "amy", 10).unwrap();
    sim.charge("2024-03-01T00:00:00Z", "amy", LYRICS, "t1")
        .unwrap();
    sim.charge("2024-03-01T01:00:00Z", "amy", CREATE, "t2")
        .unwrap();
    assert_eq!(sim.balance("amy"), (98, 0));
    let refunded = sim.refund("2024-03-01T02:00:00Z", "amy", "t2");
    let id = sim.engine.account_id("amy").unwrap();
    let current = sim.engine.account(id).unwrap().cycle.unwrap();
    assert_eq!(
        refunded,
        Ok(Effect::Refunded {
            charge_cycle: current,
            extra: 8,
            subscription: 2,
            expired: 0,
            songs: 2,
            lyrics: 0
        })
    );
    assert_eq!(
        sim.last(),
        ["2024-03-01T02:00:00Z,amy,refund,,t2,8,2,0.00,8,100"]
    );
    assert_eq!(sim.balance("amy"), (100, 8));
}

#[test]
fn refund_after_the_cycle_ended_returns_then_expires_with_the_charge_cycles_plan() {
    let mut sim = Sim::with_window(TimeDelta::days(40));
    sim.subscribe("2024-01-31T10:00:00Z", "amy", "basic")
        .unwrap();
    sim.purchase("2024-01-31T10:00:00Z", "amy", 10).unwrap();
    sim.charge("2024-02-20T00:00:00Z", "amy", LYRICS, "t0")
        .unwrap();
    sim.charge("2024-02-20T00:00:01Z", "amy", CREATE, "t1")
        .unwrap();
    sim.change_plan("2024-02-21T00:00:00Z", "amy", "pro")
        .unwrap();
    let late = sim.call("2024-03-05T00:00:00Z", "amy", ("x", "y"), Some("t9"));
    assert_eq!(code(&late.outcome), "unknown_operation");
    assert_eq!(
        sim.last(),
        [
            "2024-02-29T10:00:00Z,amy,expire,basic,,0,-98,0.00,0,0",
            "2024-02-29T10:00:00Z,amy,fee,pro,,0,0,30.00,0,0",
            "2024-02-29T10:00:00Z,amy,grant,pro,,0,1000,0.00,0,1000",
        ]
    );
    let refunded = sim.refund("2024-03-05T00:00:00Z", "amy", "t1");
    assert_eq!(
        refunded,
        Ok(Effect::Refunded {
            charge_cycle: cycle("2024-01-31T10:00:00Z", "2024-02-29T10:00:00Z"),
            extra: 8,
            subscription: 2,
            expired: 2,
            songs: 2,
            lyrics: 0
        })
    );
    assert_eq!(
        sim.last(),
        [
            "2024-03-05T00:00:00Z,amy,refund,,t1,8,2,0.00,8,1002",
            "2024-03-05T00:00:00Z,amy,expire,basic,,0,-2,0.00,8,1000",
        ]
    );
    for entry in sim.engine.entries() {
        assert_eq!(
            entry.cycle,
            cycle("2024-01-31T10:00:00Z", "2024-02-29T10:00:00Z"),
            "both entries belong to the charge's cycle"
        );
    }
    assert_eq!(sim.balance("amy"), (1000, 8));

    // The statement of the charge's cycle still balances.
    let Sim {
        engine, statements, ..
    } = sim;
    let rows = statements.into_sorted(|id| engine.account_name(id));
    let first = &rows[0];
    assert_eq!(first.plan.as_ref(), "basic");
    assert_eq!(
        (
            first.credits.granted,
            first.credits.used_subscription,
            first.credits.refunded_subscription,
            first.credits.expired
        ),
        (100, 2, 2, 100)
    );
    assert_eq!((first.songs, first.lyrics, first.calls), (0, 2, 2));
    assert_eq!(rows[1].rejected, 1, "the unknown_operation in cycle 1");
}

#[test]
fn late_refund_of_an_extra_only_charge_writes_no_expire() {
    let mut sim = Sim::with_window(TimeDelta::days(40));
    sim.subscribe("2024-01-31T10:00:00Z", "amy", "basic")
        .unwrap();
    sim.purchase("2024-01-31T10:00:00Z", "amy", 10).unwrap();
    sim.charge("2024-02-20T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    sim.advance("2024-03-01T00:00:00Z");
    let refunded = sim.refund("2024-03-05T00:00:00Z", "amy", "t1");
    assert!(matches!(refunded, Ok(Effect::Refunded { expired: 0, .. })));
    assert_eq!(
        sim.last(),
        ["2024-03-05T00:00:00Z,amy,refund,,t1,10,0,0.00,10,100"]
    );
}

#[test]
fn refund_exactly_at_the_boundary_is_a_late_refund() {
    let mut sim = Sim::with_window(TimeDelta::days(40));
    sim.subscribe("2024-01-31T10:00:00Z", "amy", "basic")
        .unwrap();
    sim.charge("2024-02-29T09:59:59Z", "amy", UPLOAD, "t1")
        .unwrap();
    sim.refund("2024-02-29T10:00:00Z", "amy", "t1").unwrap();
    assert_eq!(
        sim.last(),
        [
            "2024-02-29T10:00:00Z,amy,expire,basic,,0,-98,0.00,0,0",
            "2024-02-29T10:00:00Z,amy,fee,basic,,0,0,8.00,0,0",
            "2024-02-29T10:00:00Z,amy,grant,basic,,0,100,0.00,0,100",
            "2024-02-29T10:00:00Z,amy,refund,,t1,0,2,0.00,0,102",
            "2024-02-29T10:00:00Z,amy,expire,basic,,0,-2,0.00,0,100",
        ]
    );
}

#[test]
fn refund_after_the_subscription_ended_needs_no_active_subscription() {
    let mut sim = Sim::with_window(TimeDelta::days(40));
    sim.subscribe("2024-01-31T10:00:00Z", "amy", "basic")
        .unwrap();
    sim.cancel("2024-01-31T11:00:00Z", "amy").unwrap();
    sim.charge("2024-01-31T12:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    let applied = sim.engine.refund(t("2024-03-01T00:00:00Z"), "amy", "t1");
    let applied = sim.done(applied);
    assert_eq!(applied.cycle, None);
    assert!(matches!(
        applied.outcome,
        Ok(Effect::Refunded {
            subscription: 10,
            expired: 10,
            ..
        })
    ));
    assert_eq!(
        sim.last(),
        [
            "2024-02-29T10:00:00Z,amy,expire,basic,,0,-90,0.00,0,0",
            "2024-03-01T00:00:00Z,amy,refund,,t1,0,10,0.00,0,10",
            "2024-03-01T00:00:00Z,amy,expire,basic,,0,-10,0.00,0,0",
        ]
    );
    assert_eq!(sim.status("amy"), Status::Inactive);
    assert_eq!(sim.balance("amy"), (0, 0));
}

#[test]
fn refund_of_an_unknown_task_or_another_accounts_task() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.subscribe("2024-03-01T00:00:00Z", "bob", "basic")
        .unwrap();
    sim.charge("2024-03-01T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    let unknown = sim.refund("2024-03-01T00:00:01Z", "amy", "nope");
    assert_eq!(
        unknown,
        Err(Rejection::UnknownTask {
            task: "nope".into()
        })
    );
    assert_eq!(
        unknown.unwrap_err().to_string(),
        "no charge of task nope within the task window"
    );
    let other = sim.refund("2024-03-01T00:00:01Z", "bob", "t1");
    assert_eq!(code(&other), "unknown_task", "task ids are per account");
    // An account the engine has never seen.
    let ghost = sim.refund("2024-03-01T00:00:01Z", "ghost", "t1");
    assert_eq!(code(&ghost), "unknown_task");
    assert!(sim.last().is_empty());
    assert_eq!(sim.balance("amy"), (90, 0));
}

#[test]
fn refund_twice_is_already_refunded() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.charge("2024-03-01T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    sim.refund("2024-03-01T00:30:00Z", "amy", "t1").unwrap();
    let twice = sim.refund("2024-03-01T01:00:00Z", "amy", "t1");
    assert_eq!(
        twice,
        Err(Rejection::AlreadyRefunded {
            task: "t1".into(),
            refunded_at: t("2024-03-01T00:30:00Z")
        })
    );
    assert_eq!(
        twice.unwrap_err().to_string(),
        "task t1 already refunded at 2024-03-01T00:30:00Z"
    );
    assert!(sim.last().is_empty());
    assert_eq!(sim.balance("amy"), (100, 0));
}

#[test]
fn refund_at_the_end_of_the_window_is_unknown_task() {
    let mut sim = Sim::new(); // 24 h
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.charge("2024-03-01T06:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    sim.charge("2024-03-01T06:00:00Z", "amy", CREATE, "t2")
        .unwrap();
    let inside = sim.refund("2024-03-02T05:59:59Z", "amy", "t1");
    assert!(inside.is_ok(), "{inside:?}");
    let at_end = sim.refund("2024-03-02T06:00:00Z", "amy", "t2");
    assert_eq!(code(&at_end), "unknown_task");
    // Forgotten refunded tasks are unknown too, not already_refunded.
    let refunded_then_forgotten = sim.refund("2024-03-02T06:00:00Z", "amy", "t1");
    assert_eq!(code(&refunded_then_forgotten), "unknown_task");
}

// ---------------------------------------------------------------------------
// Task window and duplicates.
// ---------------------------------------------------------------------------

#[test]
fn duplicate_task_inside_the_window_outside_it_is_a_new_charge() {
    let mut sim = Sim::new(); // 24 h
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.charge("2024-03-01T06:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    let dup = sim.charge("2024-03-02T05:59:59Z", "amy", CREATE, "t1");
    assert_eq!(
        dup,
        Err(Rejection::DuplicateTask {
            task: "t1".into(),
            charged_at: t("2024-03-01T06:00:00Z")
        })
    );
    assert_eq!(
        dup.unwrap_err().to_string(),
        "task t1 already charged at 2024-03-01T06:00:00Z"
    );
    assert!(sim.last().is_empty());
    // Another operation with the same task id is a duplicate too.
    let other_op = sim.charge("2024-03-02T05:59:59Z", "amy", UPLOAD, "t1");
    assert_eq!(code(&other_op), "duplicate_task");

    let fresh = sim.charge("2024-03-02T06:00:00Z", "amy", CREATE, "t1");
    assert!(fresh.is_ok(), "c + window is outside the window: {fresh:?}");
    // The new charge starts a new memory.
    let dup_again = sim.charge("2024-03-02T07:00:00Z", "amy", CREATE, "t1");
    assert_eq!(
        dup_again,
        Err(Rejection::DuplicateTask {
            task: "t1".into(),
            charged_at: t("2024-03-02T06:00:00Z")
        })
    );
    assert_eq!(sim.balance("amy"), (80, 0));
    // Task ids are per account.
    sim.subscribe("2024-03-02T07:00:00Z", "bob", "basic")
        .unwrap();
    let bobs = sim.charge("2024-03-02T07:00:00Z", "bob", CREATE, "t1");
    assert!(bobs.is_ok(), "{bobs:?}");
}

#[test]
fn window_zero_remembers_nothing() {
    let mut sim = Sim::with_window(TimeDelta::zero());
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.charge("2024-03-01T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    sim.charge("2024-03-01T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    assert_eq!(
        sim.take_log()[2..],
        [
            "2024-03-01T00:00:00Z,amy,charge,,t1,0,-10,0.00,0,90",
            "2024-03-01T00:00:00Z,amy,charge,,t1,0,-10,0.00,0,80",
        ]
    );
    let refund = sim.refund("2024-03-01T00:00:00Z", "amy", "t1");
    assert_eq!(code(&refund), "unknown_task");
    assert_eq!(sim.balance("amy"), (80, 0));
}

#[test]
fn negative_window_counts_as_zero() {
    let mut sim = Sim::with_window(TimeDelta::hours(-5));
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.charge("2024-03-01T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    let again = sim.charge("2024-03-01T00:00:00Z", "amy", CREATE, "t1");
    assert!(again.is_ok(), "{again:?}");
}

#[test]
fn a_refunded_task_charged_again_within_the_window_is_duplicate() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.charge("2024-03-01T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    sim.refund("2024-03-01T00:10:00Z", "amy", "t1").unwrap();
    let again = sim.charge("2024-03-01T00:20:00Z", "amy", CREATE, "t1");
    assert_eq!(
        again,
        Err(Rejection::DuplicateTask {
            task: "t1".into(),
            charged_at: t("2024-03-01T00:00:00Z")
        })
    );
    assert_eq!(sim.balance("amy"), (100, 0));
    // After the window the id can be charged and refunded again.
    sim.charge("2024-03-02T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    sim.refund("2024-03-02T00:00:01Z", "amy", "t1").unwrap();
    assert_eq!(sim.balance("amy"), (100, 0));
}

#[test]
fn duplicate_in_a_new_subscription_within_the_window() {
    let mut sim = Sim::with_window(TimeDelta::days(40));
    sim.subscribe("2024-01-31T10:00:00Z", "amy", "basic")
        .unwrap();
    sim.cancel("2024-01-31T10:00:00Z", "amy").unwrap();
    sim.charge("2024-02-20T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    let dup = sim.charge("2024-03-01T00:00:00Z", "amy", CREATE, "t1");
    assert_eq!(code(&dup), "duplicate_task", "task ids are per account");
}

// ---------------------------------------------------------------------------
// Free calls, unknown operations, missing task ids.
// ---------------------------------------------------------------------------

#[test]
fn free_calls_need_no_subscription_no_task_and_write_no_entry() {
    let mut sim = Sim::new();
    let applied = sim.call("2024-03-01T00:00:00Z", "ghost", GET, None);
    assert_eq!(
        applied.outcome,
        Ok(Effect::Called {
            credits: 0,
            extra: 0,
            subscription: 0,
            songs: 0,
            lyrics: 0
        })
    );
    assert_eq!(applied.cycle, None);
    assert!(sim.last().is_empty());
    for _ in 0..2 {
        let with_task = sim.call(
            "2024-03-01T00:00:00Z",
            "ghost",
            ("account", "get_credits"),
            Some("same"),
        );
        assert!(
            with_task.outcome.is_ok(),
            "free calls are not de-duplicated"
        );
        assert!(sim.last().is_empty());
    }
    assert_eq!(sim.status("ghost"), Status::Inactive);
    assert_eq!(sim.balance("ghost"), (0, 0));
    // With a subscription, still no entry.
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.call("2024-03-01T00:00:00Z", "amy", ("nuro", "get"), None)
        .outcome
        .unwrap();
    assert!(sim.last().is_empty());
    assert_eq!(sim.balance("amy"), (100, 0));
    // A free call's task id is not remembered: the paid call is accepted.
    sim.call("2024-03-01T00:00:00Z", "amy", GET, Some("t1"))
        .outcome
        .unwrap();
    sim.charge("2024-03-01T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
}

#[test]
fn unknown_operation_with_and_without_task() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    for (op, task) in [
        (("suno", "remix"), Some("t1")),
        (("suno", "remix"), None),
        (("Suno", "create"), None), // names are case-sensitive
        (("nuro", "upload"), Some("t2")),
    ] {
        let applied = sim.call("2024-03-01T00:00:00Z", "amy", op, task);
        assert_eq!(
            applied.outcome,
            Err(Rejection::UnknownOperation {
                provider: op.0.into(),
                operation: op.1.into()
            })
        );
        assert!(sim.last().is_empty());
    }
    let text = Rejection::UnknownOperation {
        provider: "suno".into(),
        operation: "remix".into(),
    }
    .to_string();
    assert_eq!(text, "no rule for provider suno operation remix");
    assert_eq!(sim.balance("amy"), (100, 0));
}

#[test]
fn a_paid_call_without_a_task_is_an_engine_error() {
    let mut engine = Engine::new(plans(), RuleBook::builtin());
    let now = t("2024-03-01T00:00:00Z");
    engine.subscribe(now, "amy", "basic").unwrap();
    let err = engine
        .charge(now, "amy", "suno", "create", None)
        .unwrap_err();
    assert_eq!(err, EngineError::TaskRequired { credits: 10 });
    assert_eq!(
        err.to_string(),
        "a call that costs 10 credits needs a task id"
    );
    assert!(engine.entries().is_empty());
    assert_eq!(engine.balance("amy").credits, 100);
    // Even without a subscription, and for 2-credit calls.
    let err = engine
        .charge(now, "nobody", "lyrics", "make", None)
        .unwrap_err();
    assert_eq!(err, EngineError::TaskRequired { credits: 2 });
    assert_eq!(engine.account_id("nobody"), None, "nothing was recorded");
}

// ---------------------------------------------------------------------------
// Precedence of each event's checks (RULES.md section 6).
// ---------------------------------------------------------------------------

#[test]
fn precedence_subscribe_already_subscribed_before_unknown_plan() {
    let mut sim = Sim::new();
    assert_eq!(
        code(&sim.subscribe("2024-03-01T00:00:00Z", "amy", "gold")),
        "unknown_plan"
    );
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    let both = sim.subscribe("2024-03-02T00:00:00Z", "amy", "gold");
    assert_eq!(
        both,
        Err(Rejection::AlreadySubscribed {
            plan: "basic".into()
        })
    );
    sim.cancel("2024-03-02T00:00:00Z", "amy").unwrap();
    let cancelling = sim.subscribe("2024-03-03T00:00:00Z", "amy", "pro");
    assert_eq!(
        code(&cancelling),
        "already_subscribed",
        "a cancelling subscription is still active"
    );
}

#[test]
fn precedence_cancel_no_active_subscription_then_already_cancelled() {
    let mut sim = Sim::new();
    assert_eq!(
        code(&sim.cancel("2024-03-01T00:00:00Z", "amy")),
        "no_active_subscription"
    );
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.cancel("2024-03-01T00:00:00Z", "amy").unwrap();
    assert_eq!(
        sim.cancel("2024-03-02T00:00:00Z", "amy"),
        Err(Rejection::AlreadyCancelled {
            ends_at: t("2024-04-01T00:00:00Z")
        })
    );
}

#[test]
fn precedence_change_plan_while_cancelling_with_unknown_plan_is_cancellation_pending() {
    let mut sim = Sim::new();
    assert_eq!(
        code(&sim.change_plan("2024-03-01T00:00:00Z", "amy", "gold")),
        "no_active_subscription",
        "no subscription beats unknown plan"
    );
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    assert_eq!(
        code(&sim.change_plan("2024-03-01T00:00:00Z", "amy", "gold")),
        "unknown_plan"
    );
    sim.cancel("2024-03-01T00:00:00Z", "amy").unwrap();
    assert_eq!(
        sim.change_plan("2024-03-02T00:00:00Z", "amy", "gold"),
        Err(Rejection::CancellationPending {
            ends_at: t("2024-04-01T00:00:00Z")
        })
    );
    assert_eq!(
        code(&sim.change_plan("2024-03-02T00:00:00Z", "amy", "pro")),
        "cancellation_pending"
    );
}

#[test]
fn precedence_purchase_no_active_subscription_before_invalid_credits() {
    let mut sim = Sim::new();
    assert_eq!(
        code(&sim.purchase("2024-03-01T00:00:00Z", "amy", 15)),
        "no_active_subscription"
    );
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    assert_eq!(
        code(&sim.purchase("2024-03-01T00:00:00Z", "amy", 15)),
        "invalid_credits"
    );
}

#[test]
fn precedence_call_unknown_operation_no_subscription_duplicate_insufficient() {
    let mut sim = Sim::new();
    // Unknown operation beats no subscription.
    let op = sim.charge("2024-03-01T00:00:00Z", "amy", ("suno", "remix"), "t1");
    assert_eq!(code(&op), "unknown_operation");
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "tiny")
        .unwrap();
    sim.cancel("2024-03-01T00:00:00Z", "amy").unwrap();
    sim.charge("2024-03-31T23:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    // 5 credits left: the duplicate is also insufficient; duplicate wins.
    let dup = sim.charge("2024-03-31T23:30:00Z", "amy", CREATE, "t1");
    assert_eq!(code(&dup), "duplicate_task");
    let short = sim.charge("2024-03-31T23:30:00Z", "amy", CREATE, "t2");
    assert_eq!(code(&short), "insufficient_credits");
    // After the end: remembered and short, but no subscription wins.
    let ended = sim.charge("2024-04-01T00:00:00Z", "amy", CREATE, "t1");
    assert_eq!(code(&ended), "no_active_subscription");
    // And unknown operation still beats it.
    let op = sim.charge("2024-04-01T00:00:00Z", "amy", ("suno", "remix"), "t1");
    assert_eq!(code(&op), "unknown_operation");
}

#[test]
fn precedence_refund_unknown_task_before_already_refunded() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "basic")
        .unwrap();
    sim.charge("2024-03-01T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    sim.refund("2024-03-01T00:00:00Z", "amy", "t1").unwrap();
    assert_eq!(
        code(&sim.refund("2024-03-01T23:59:59Z", "amy", "t1")),
        "already_refunded"
    );
    assert_eq!(
        code(&sim.refund("2024-03-02T00:00:00Z", "amy", "t1")),
        "unknown_task",
        "out of the window, the refunded task is unknown"
    );
}

// ---------------------------------------------------------------------------
// Overflow and long horizons.
// ---------------------------------------------------------------------------

#[test]
fn purchase_pushing_extra_past_u64_max_is_an_overflow_error() {
    let mut engine = Engine::new(plans(), RuleBook::builtin());
    let now = t("2024-03-01T00:00:00Z");
    engine.subscribe(now, "amy", "free").unwrap();
    let most = u64::MAX - u64::MAX % 10;
    assert_eq!(most, 18_446_744_073_709_551_610);
    engine.purchase(now, "amy", most).unwrap().outcome.unwrap();
    let err = engine.purchase(now, "amy", 10).unwrap_err();
    assert_eq!(
        err,
        EngineError::Overflow {
            account: "amy".into(),
            what: "extra credits"
        }
    );
    assert_eq!(
        err.to_string(),
        "account amy: extra credits would overflow the credit counter (u64)"
    );
    assert!(engine.entries().is_empty());
    assert_eq!(engine.balance("amy").extra_credits, most, "nothing changed");
    // The engine keeps working after the error.
    engine
        .charge(now, "amy", "suno", "create", Some("t1"))
        .unwrap()
        .outcome
        .unwrap();
    assert_eq!(engine.balance("amy").extra_credits, most - 10);
}

#[test]
fn a_plan_granting_u64_max_works() {
    let mut sim = Sim::new();
    sim.subscribe("2024-03-01T00:00:00Z", "amy", "max").unwrap();
    assert_eq!(sim.balance("amy"), (u64::MAX, 0));
    sim.charge("2024-03-02T00:00:00Z", "amy", CREATE, "t1")
        .unwrap();
    sim.purchase("2024-03-02T00:00:00Z", "amy", 10).unwrap();
    sim.charge("2024-03-02T00:00:00Z", "amy", UPLOAD, "t2")
        .unwrap();
    sim.refund("2024-03-02T00:00:00Z", "amy", "t1").unwrap();
    assert_eq!(sim.balance("amy"), (u64::MAX, 8));
    sim.advance("2024-04-01T00:00:00Z");
    assert_eq!(
        sim.take_log(),
        [
            "2024-03-01T00:00:00Z,amy,fee,max,,0,0,0.00,0,0",
            "2024-03-01T00:00:00Z,amy,grant,max,,0,18446744073709551615,0.00,0,18446744073709551615",
            "2024-03-02T00:00:00Z,amy,charge,,t1,0,-10,0.00,0,18446744073709551605",
            "2024-03-02T00:00:00Z,amy,purchase,,,10,0,0.08,10,18446744073709551605",
            "2024-03-02T00:00:00Z,amy,charge,,t2,-2,0,0.00,8,18446744073709551605",
            "2024-03-02T00:00:00Z,amy,refund,,t1,0,10,0.00,8,18446744073709551615",
            "2024-04-01T00:00:00Z,amy,expire,max,,0,-18446744073709551615,0.00,8,0",
            "2024-04-01T00:00:00Z,amy,fee,max,,0,0,0.00,8,0",
            "2024-04-01T00:00:00Z,amy,grant,max,,0,18446744073709551615,0.00,8,18446744073709551615",
        ]
    );
}

#[test]
fn thirty_years_of_idle_roll_overs_stay_exact() {
    let anchor = t("2024-01-31T10:00:00Z");
    let mut sim = Sim::new();
    sim.subscribe("2024-01-31T10:00:00Z", "amy", "basic")
        .unwrap();
    sim.advance("2054-01-31T10:00:00Z");
    let entries = sim.engine.entries().to_vec();
    assert_eq!(entries.len(), 360 * 3, "expire, fee, grant per boundary");
    let grants: Vec<&LedgerEntry> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Grant)
        .collect();
    assert_eq!(grants.len(), 360);
    for (k, grant) in (1u32..).zip(&grants) {
        let want = anchor.checked_add_months(Months::new(k)).unwrap();
        assert_eq!(grant.time, want, "boundary {k} is anchor + {k} months");
        assert_eq!(grant.cycle.start, want);
        assert_eq!(
            grant.cycle.end,
            anchor.checked_add_months(Months::new(k + 1)).unwrap()
        );
    }
    let times: Vec<String> = grants.iter().map(|g| format_time(g.time)).collect();
    for leap in ["2028", "2032", "2052"] {
        assert!(times.contains(&format!("{leap}-02-29T10:00:00Z")), "{leap}");
    }
    for common in ["2025", "2053"] {
        assert!(times.contains(&format!("{common}-02-28T10:00:00Z")));
    }
    assert_eq!(times.last().unwrap(), "2054-01-31T10:00:00Z");
    assert!(times.contains(&"2053-12-31T10:00:00Z".to_owned()));
    let fees: Decimal = sim
        .log
        .iter()
        .filter(|l| l.contains(",fee,"))
        .map(|l| l.split(',').nth(7).unwrap().parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(Usd(fees).to_string(), "2888.00", "361 fees of 8.00");
    assert_eq!(sim.balance("amy"), (100, 0));

    // Month-by-month advances give exactly the same entries.
    let mut stepped = Sim::new();
    stepped
        .subscribe("2024-01-31T10:00:00Z", "amy", "basic")
        .unwrap();
    let mut at = t("2024-02-01T00:00:00Z");
    while at <= t("2054-01-31T10:00:00Z") {
        stepped.advance(&format_time(at));
        at = at.checked_add_months(Months::new(1)).unwrap();
    }
    stepped.advance("2054-01-31T10:00:00Z");
    assert_eq!(stepped.log, sim.log);
}

// ---------------------------------------------------------------------------
// Errors and stable texts.
// ---------------------------------------------------------------------------

#[test]
fn events_going_backwards_are_time_went_backwards() {
    let mut engine = Engine::new(plans(), RuleBook::builtin());
    let now = t("2024-03-01T00:00:00Z");
    let before = t("2024-02-29T23:59:59Z");
    engine.subscribe(now, "amy", "basic").unwrap();
    let err = engine.cancel(before, "amy").unwrap_err();
    assert_eq!(err, EngineError::TimeWentBackwards { now, event: before });
    assert_eq!(
        err.to_string(),
        "time 2024-02-29T23:59:59Z is earlier than the engine's time 2024-03-01T00:00:00Z"
    );
    assert!(engine.entries().is_empty());
    assert_eq!(engine.advance_to(before), Err(err));
    let id = engine.account_id("amy").unwrap();
    assert_eq!(engine.account(id).unwrap().status, Status::Active);
    // The same time again is fine.
    engine.cancel(now, "amy").unwrap().outcome.unwrap();
    assert_eq!(engine.now(), Some(now));
}

#[test]
fn rejection_display_texts_and_codes_are_stable() {
    let at = t("2024-03-01T00:00:00Z");
    let cases: [(Rejection, &str, &str); 11] = [
        (
            Rejection::UnknownPlan {
                plan: "gold".into(),
            },
            "unknown_plan",
            "unknown plan gold",
        ),
        (
            Rejection::UnknownOperation {
                provider: "suno".into(),
                operation: "remix".into(),
            },
            "unknown_operation",
            "no rule for provider suno operation remix",
        ),
        (
            Rejection::AlreadySubscribed {
                plan: "basic".into(),
            },
            "already_subscribed",
            "already subscribed to plan basic",
        ),
        (
            Rejection::NoActiveSubscription,
            "no_active_subscription",
            "no active subscription",
        ),
        (
            Rejection::AlreadyCancelled { ends_at: at },
            "already_cancelled",
            "cancellation already pending, subscription ends at 2024-03-01T00:00:00Z",
        ),
        (
            Rejection::CancellationPending { ends_at: at },
            "cancellation_pending",
            "cancellation pending, subscription ends at 2024-03-01T00:00:00Z",
        ),
        (
            Rejection::InvalidCredits { credits: 15 },
            "invalid_credits",
            "credits must be a positive multiple of 10, got 15",
        ),
        (
            Rejection::DuplicateTask {
                task: "t1".into(),
                charged_at: at,
            },
            "duplicate_task",
            "task t1 already charged at 2024-03-01T00:00:00Z",
        ),
        (
            Rejection::InsufficientCredits {
                needed: 10,
                extra: 3,
                subscription: 4,
            },
            "insufficient_credits",
            "needs 10 credits, has 3 extra and 4 subscription",
        ),
        (
            Rejection::UnknownTask { task: "t9".into() },
            "unknown_task",
            "no charge of task t9 within the task window",
        ),
        (
            Rejection::AlreadyRefunded {
                task: "t1".into(),
                refunded_at: at,
            },
            "already_refunded",
            "task t1 already refunded at 2024-03-01T00:00:00Z",
        ),
    ];
    for (rejection, code, text) in cases {
        assert_eq!(rejection.reason().code(), code);
        assert_eq!(rejection.reason().to_string(), code);
        assert_eq!(rejection.to_string(), text);
    }
    let codes: Vec<&str> = Reason::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(
        codes,
        [
            "malformed",
            "out_of_order",
            "unknown_plan",
            "unknown_operation",
            "already_subscribed",
            "no_active_subscription",
            "already_cancelled",
            "cancellation_pending",
            "invalid_credits",
            "duplicate_task",
            "insufficient_credits",
            "unknown_task",
            "already_refunded",
        ]
    );
}

#[test]
fn balance_of_an_unseen_account_is_zero() {
    let engine = Engine::new(plans(), RuleBook::builtin());
    assert_eq!(engine.balance("nobody"), Balance::default());
    assert_eq!(engine.account_id("nobody"), None);
    assert!(engine.accounts_by_name().is_empty());
}

#[test]
fn boundary_past_the_calendar_is_an_error_that_changes_nothing() {
    use chrono::{NaiveDate, TimeZone, Utc};
    // Reported times must be RFC 3339, which ends with year 9999: the
    // second boundary of this subscription cannot be written.
    let Some(anchor) = NaiveDate::from_ymd_opt(9999, 11, 15)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|naive| Utc.from_utc_datetime(&naive))
    else {
        panic!("the anchor is inside chrono's range");
    };
    let mut engine = Engine::new(plans(), RuleBook::builtin());
    engine
        .subscribe(anchor, "far", "basic")
        .unwrap()
        .outcome
        .unwrap();
    let id = engine.account_id("far").unwrap();
    let before = engine.account(id).unwrap();
    let (status, cycle, balance) = (before.status, before.cycle, before.balance);
    let boundary = cycle.unwrap().end;
    let error = engine.advance_to(boundary).unwrap_err();
    assert!(
        matches!(error, EngineError::TimeOutOfRange { .. }),
        "{error}"
    );
    let after = engine.account(id).unwrap();
    assert_eq!(
        (after.status, after.cycle, after.balance),
        (status, cycle, balance)
    );
    // Still queued: asking again gives the same error, not a silent skip.
    assert!(engine.advance_to(boundary).is_err());
}

/// Errors no input can cause (a broken engine rule, or more than
/// `u32::MAX` accounts), by their messages alone.
#[test]
fn errors_no_input_reaches_say_what_they_are() {
    let broken = EngineError::Invariant("a billing cycle is not a whole number of days");
    assert_eq!(
        broken.to_string(),
        "internal error: a billing cycle is not a whole number of days (a bug in creditsim; please report it with the input)"
    );
    assert_eq!(
        EngineError::TooManyAccounts.to_string(),
        "more than 4294967295 accounts"
    );
}

/// A gateway's clocks a little behind: within the late tolerance an event
/// is applied at the engine's time and says so; beyond it, and with the
/// default tolerance of zero, it is still an error and changes nothing.
#[test]
fn late_events_within_the_tolerance_are_applied_at_the_engine_time() {
    let strict = Engine::new(plans(), RuleBook::builtin());
    assert_eq!(strict.late_tolerance(), TimeDelta::zero());
    let mut engine = strict.with_late_tolerance(TimeDelta::milliseconds(5));
    let now = t("2024-03-01T00:00:00.010Z");
    engine.subscribe(now, "amy", "basic").unwrap();
    let on_time = engine
        .charge(now, "amy", "lyrics", "make", Some("t0"))
        .unwrap();
    assert_eq!(on_time.applied_at, None);

    let late = engine
        .charge(
            t("2024-03-01T00:00:00.005Z"),
            "amy",
            "lyrics",
            "make",
            Some("t1"),
        )
        .unwrap();
    assert_eq!(late.applied_at, Some(now));
    assert!(late.outcome.is_ok());
    assert_eq!(
        engine.entries()[0].time,
        now,
        "the entry carries the engine's time"
    );
    assert_eq!(engine.now(), Some(now));

    let too_late = engine.charge(
        t("2024-03-01T00:00:00.004Z"),
        "amy",
        "lyrics",
        "make",
        Some("t2"),
    );
    assert_eq!(
        too_late,
        Err(EngineError::TimeWentBackwards {
            now,
            event: t("2024-03-01T00:00:00.004Z")
        })
    );
    assert_eq!(engine.balance("amy").credits, 100 - 4, "two calls charged");

    let mut strict = Engine::new(plans(), RuleBook::builtin());
    strict.subscribe(now, "amy", "basic").unwrap();
    let refused = strict.charge(
        t("2024-03-01T00:00:00.009Z"),
        "amy",
        "lyrics",
        "make",
        Some("t1"),
    );
    assert!(matches!(
        refused,
        Err(EngineError::TimeWentBackwards { .. })
    ));
}
