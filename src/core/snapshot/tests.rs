use super::*;
use crate::core::plans::{Plan, PlanBook};
use crate::core::rules::RuleBook;
use crate::core::time::parse_time;
use rust_decimal::Decimal;

fn engine() -> Engine {
    let plans = PlanBook::new([Plan {
        id: "basic".into(),
        price_usd: Decimal::new(800, 2),
        monthly_credits: 1000,
    }])
    .unwrap();
    let mut engine = Engine::new(plans, RuleBook::builtin());
    let t = parse_time("2025-07-01T00:00:00Z").unwrap();
    engine.subscribe(t, "a", "basic").unwrap();
    engine.purchase(t, "a", 20).unwrap();
    engine.charge(t, "a", "suno", "create", Some("t1")).unwrap();
    engine
}

#[test]
fn json_and_bytes_give_back_the_same_snapshot() {
    let snapshot = engine().snapshot();
    assert_eq!(Snapshot::from_json(&snapshot.to_json()).unwrap(), snapshot);
    assert_eq!(
        Snapshot::from_bytes(&snapshot.to_bytes()).unwrap(),
        snapshot
    );
    assert!(snapshot.to_bytes().len() < snapshot.to_json().len());
}

#[test]
fn a_newer_format_is_refused_before_anything_else_is_read() {
    let newer = r#"{"format": 2, "a field of format 2": []}"#;
    let error = Snapshot::from_json(newer).unwrap_err();
    assert_eq!(
        error.to_string(),
        "snapshot format 2 is newer than this creditsim reads (format 1); restore it with a newer creditsim"
    );
    let mut bytes = engine().snapshot().to_bytes();
    bytes[0] = 2;
    assert!(matches!(
        Snapshot::from_bytes(&bytes),
        Err(SnapshotError::NewerFormat {
            found: 2,
            supported: 1
        })
    ));
    assert!(matches!(
        Snapshot::from_json("[1, 2]"),
        Err(SnapshotError::Unreadable(_))
    ));
}

#[test]
fn references_out_of_range_are_refused() {
    let json = engine().snapshot().to_json();
    let broken = json.replace(r#""rule":0"#, r#""rule":999"#);
    assert_ne!(broken, json, "the snapshot has a task of rule 0");
    let error = Engine::restore(Snapshot::from_json(&broken).unwrap()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "inconsistent snapshot: task t1: no rule 999"
    );
    let broken = json.replace(r#""plan":"basic","anchor""#, r#""plan":"gold","anchor""#);
    let error = Engine::restore(Snapshot::from_json(&broken).unwrap()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "inconsistent snapshot: plan gold is not in the plan book"
    );
}
