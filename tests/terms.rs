//! The engine's terms (RULES.md section 10): the price of extra credits and
//! the top-up policy, with the exact ledger entries they produce.
//!
//! Entries are compared as `ledger.csv`-like lines:
//! `time,account,entry,plan,task,extra,subscription,usd,extra_balance,subscription_balance`.

use creditsim::core::money::Usd;
use creditsim::core::time::{format_time, parse_time, Instant};
use creditsim::core::{Engine, Plan, PlanBook, Reason, Rule, RuleBook, Terms, TopUp};
use rust_decimal::Decimal;

fn t(text: &str) -> Instant {
    parse_time(text).unwrap()
}

/// tiny: $1.00, 15 credits a cycle.
fn engine(terms: Terms) -> Engine {
    let plans = PlanBook::new([Plan {
        id: "tiny".into(),
        price_usd: Decimal::new(100, 2),
        monthly_credits: 15,
    }])
    .unwrap();
    Engine::new(plans, RuleBook::builtin()).with_terms(terms)
}

fn lines(engine: &Engine) -> Vec<String> {
    engine
        .entries()
        .iter()
        .map(|e| {
            format!(
                "{},{},{},{},{},{},{},{},{},{}",
                format_time(e.time),
                engine.account_name(e.account),
                e.kind.name(),
                e.plan.as_deref().unwrap_or(""),
                e.task.as_deref().unwrap_or(""),
                e.extra_delta,
                e.subscription_delta,
                Usd(e.usd),
                e.extra_balance,
                e.subscription_balance,
            )
        })
        .collect()
}

fn price(text: &str) -> Terms {
    Terms::new(text.parse().unwrap()).unwrap()
}

const T0: &str = "2025-03-01T00:00:00Z";

#[test]
fn a_purchase_costs_the_terms_price() {
    let mut engine = engine(price("0.10"));
    engine.subscribe(t(T0), "amy", "tiny").unwrap();
    engine.purchase(t(T0), "amy", 250).unwrap().outcome.unwrap();
    assert_eq!(
        lines(&engine),
        ["2025-03-01T00:00:00Z,amy,purchase,,,250,0,2.50,250,15"]
    );
}

#[test]
fn a_free_price_still_writes_the_purchase() {
    let mut engine = engine(price("0.00"));
    engine.subscribe(t(T0), "amy", "tiny").unwrap();
    engine.purchase(t(T0), "amy", 10).unwrap().outcome.unwrap();
    assert_eq!(
        lines(&engine),
        ["2025-03-01T00:00:00Z,amy,purchase,,,10,0,0.00,10,15"]
    );
}

#[test]
fn a_short_call_buys_the_fewest_packs_right_before_its_charge() {
    let mut engine = engine(price("0.10").with_top_up(TopUp::new(20).unwrap()));
    engine.subscribe(t(T0), "amy", "tiny").unwrap();
    let at = t("2025-03-02T00:00:00Z");
    engine
        .charge(at, "amy", "suno", "create", Some("a"))
        .unwrap()
        .outcome
        .unwrap();
    // 5 left, a call of 10: one pack of 20 for $0.20, then the call takes
    // 10 from the extra credits (spent first).
    engine
        .charge(at, "amy", "suno", "create", Some("b"))
        .unwrap()
        .outcome
        .unwrap();
    assert_eq!(
        lines(&engine),
        [
            "2025-03-02T00:00:00Z,amy,purchase,,,20,0,0.20,20,5",
            "2025-03-02T00:00:00Z,amy,charge,,b,-10,0,0.00,10,5",
        ]
    );
}

#[test]
fn a_top_up_covers_a_shortfall_of_several_packs() {
    let mut rules = RuleBook::default();
    let album = Rule {
        credits: 100,
        songs: 20,
        lyrics: 0,
    };
    rules.insert("suno", "album", album).unwrap();
    let plans = engine(Terms::default()).plans().clone();
    let top_up = Terms::default().with_top_up(TopUp::default());
    let mut engine = Engine::new(plans, rules).with_terms(top_up);
    engine.subscribe(t(T0), "amy", "tiny").unwrap();
    engine
        .charge(t(T0), "amy", "suno", "album", Some("a"))
        .unwrap()
        .outcome
        .unwrap();
    // 15 held, 100 needed: 85 short, 9 packs of 10 ($0.72).
    assert_eq!(
        lines(&engine),
        [
            "2025-03-01T00:00:00Z,amy,purchase,,,90,0,0.72,90,15",
            "2025-03-01T00:00:00Z,amy,charge,,a,-90,-10,0.00,0,5",
        ]
    );
}

#[test]
fn no_top_up_for_any_other_rejection() {
    let mut engine = engine(Terms::default().with_top_up(TopUp::default()));
    let at = t(T0);
    let reason = |engine: &mut Engine, task: &str| {
        let applied = engine.charge(at, "amy", "suno", "create", Some(task));
        applied.unwrap().outcome.unwrap_err().reason()
    };
    assert_eq!(reason(&mut engine, "a"), Reason::NoActiveSubscription);
    assert!(engine.entries().is_empty());
    engine.subscribe(at, "amy", "tiny").unwrap();
    engine
        .charge(at, "amy", "suno", "create", Some("a"))
        .unwrap()
        .outcome
        .unwrap();
    assert_eq!(reason(&mut engine, "a"), Reason::DuplicateTask);
    assert!(engine.entries().is_empty());
    let unknown = engine
        .charge(at, "amy", "suno", "remix", Some("c"))
        .unwrap();
    assert_eq!(
        unknown.outcome.unwrap_err().reason(),
        Reason::UnknownOperation
    );
    assert!(engine.entries().is_empty());
    assert_eq!(engine.balance("amy").extra_credits, 0);
}

#[test]
fn without_top_up_a_short_call_is_rejected() {
    let mut engine = engine(price("0.10"));
    engine.subscribe(t(T0), "amy", "tiny").unwrap();
    engine
        .charge(t(T0), "amy", "suno", "create", Some("a"))
        .unwrap();
    let short = engine
        .charge(t(T0), "amy", "suno", "create", Some("b"))
        .unwrap();
    assert_eq!(
        short.outcome.unwrap_err().reason(),
        Reason::InsufficientCredits
    );
    assert!(engine.entries().is_empty());
}
