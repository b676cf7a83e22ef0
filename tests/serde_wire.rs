//! The `serde` feature's wire form: the names a gateway returns as JSON
//! are those of the reports (codes of rejections.csv, entries and columns
//! of ledger.csv, columns of balances.csv).
#![cfg(feature = "serde")]

use creditsim::core::time::parse_time;
use creditsim::{
    Applied, Balance, Engine, EntryKind, LedgerEntry, Plan, PlanBook, Reason, RuleBook,
};
use serde_json::{json, Value};

fn engine() -> Engine {
    let plans = PlanBook::new([Plan {
        id: "tiny".into(),
        price_usd: "1.00".parse().unwrap(),
        monthly_credits: 15,
    }])
    .unwrap();
    Engine::new(plans, RuleBook::builtin())
}

#[test]
fn reasons_are_written_with_their_codes() {
    for reason in Reason::ALL {
        let wire = serde_json::to_value(reason).unwrap();
        assert_eq!(wire, json!(reason.code()));
        assert_eq!(serde_json::from_value::<Reason>(wire).unwrap(), reason);
    }
}

#[test]
fn an_applied_call_and_a_rejection_read_as_the_reports_do() {
    let mut engine = engine();
    let t = parse_time("2025-03-01T00:00:00Z").unwrap();
    engine.subscribe(t, "bob", "tiny").unwrap();
    let accepted = engine
        .charge(t, "bob", "nuro", "create_vocal", Some("t1"))
        .unwrap();
    assert_eq!(
        serde_json::to_value(&accepted).unwrap(),
        json!({
            "account": 0,
            "cycle": {"start": "2025-03-01T00:00:00Z", "end": "2025-04-01T00:00:00Z"},
            "outcome": {"accepted": {"effect": "called", "credits": 10, "extra": 0, "subscription": 10, "songs": 1, "lyrics": 0}},
            "applied_at": null
        })
    );
    let rejected = engine
        .charge(t, "bob", "nuro", "create_vocal", Some("t2"))
        .unwrap();
    let wire = serde_json::to_value(&rejected).unwrap();
    assert_eq!(
        wire["outcome"],
        json!({"rejected": {"reason": "insufficient_credits", "needed": 10, "extra": 0, "subscription": 5}})
    );
    assert_eq!(serde_json::from_value::<Applied>(wire).unwrap(), rejected);
    let balance = serde_json::to_value(engine.balance("bob")).unwrap();
    assert_eq!(balance, json!({"credits": 5, "extra_credits": 0}));
    assert_eq!(
        serde_json::from_value::<Balance>(balance).unwrap(),
        engine.balance("bob")
    );
}

#[test]
fn ledger_entries_use_the_ledger_columns() {
    let mut engine = engine();
    let t = parse_time("2025-03-01T00:00:00Z").unwrap();
    engine.subscribe(t, "bob", "tiny").unwrap();
    engine
        .charge(t, "bob", "lyrics", "make", Some("t1"))
        .unwrap();
    let entry: &LedgerEntry = &engine.entries()[0];
    assert_eq!(entry.kind, EntryKind::Charge);
    let wire = serde_json::to_value(entry).unwrap();
    let Value::Object(fields) = &wire else {
        panic!("an object: {wire}")
    };
    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    // ledger.csv: time,account,entry,plan,task,extra,subscription,usd,extra_balance,subscription_balance
    assert_eq!(
        keys,
        [
            "time",
            "account_id",
            "entry",
            "cycle",
            "plan",
            "task",
            "rule",
            "extra",
            "subscription",
            "usd",
            "extra_balance",
            "subscription_balance"
        ]
    );
    assert_eq!(wire["entry"], json!("charge"));
    assert_eq!(wire["usd"], json!("0"));
    assert_eq!(serde_json::from_value::<LedgerEntry>(wire).unwrap(), *entry);
}

#[test]
fn events_serialize_with_the_events_csv_names() {
    let event = creditsim::Event {
        time: parse_time("2025-03-01T00:00:00Z").unwrap(),
        account: "bob",
        action: creditsim::Action::Call {
            provider: "suno",
            operation: "create",
            task: Some("t1"),
        },
    };
    assert_eq!(
        serde_json::to_value(event).unwrap(),
        json!({"time": "2025-03-01T00:00:00Z", "account": "bob", "event": "call", "provider": "suno", "operation": "create", "task": "t1"})
    );
}
