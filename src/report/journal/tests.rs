use super::*;
use crate::core::time::parse_time;
use crate::core::{AccountId, Action, Engine, Plan, PlanBook};
use chrono::TimeDelta;
use rust_decimal::Decimal;

#[test]
fn escape_keeps_safe_bytes_and_encodes_the_rest() {
    assert_eq!(escape("Az09_.-"), "Az09_.-");
    assert_eq!(escape(""), "%");
    assert_eq!(
        escape(" a:b;c@d[e](f)\"g'h\ti  j%"),
        "%20a%3Ab%3Bc%40d%5Be%5D%28f%29%22g%27h%09i%20%20j%25"
    );
    assert_eq!(escape("ü"), "%C3%BC");
}

fn journal_of(events: &[(&str, &str, Action<'_>)]) -> String {
    let plans = PlanBook::new([Plan {
        id: "basic plan".into(),
        price_usd: Decimal::new(800, 2),
        monthly_credits: 1000,
    }])
    .unwrap();
    let mut engine = Engine::new(plans, RuleBook::builtin());
    let mut journal = JournalWriter::new(Vec::new(), RuleBook::builtin()).unwrap();
    for &(time, account, action) in events {
        let event = Event {
            time: parse_time(time).unwrap(),
            account,
            action,
        };
        engine.apply(&event).unwrap().outcome.unwrap();
        for entry in engine.entries() {
            journal
                .write(entry, engine.account_name(entry.account))
                .unwrap();
        }
    }
    String::from_utf8(journal.finish().unwrap()).unwrap()
}

#[test]
fn transactions_balance_and_ids_are_escaped() {
    let text = journal_of(&[
        (
            "2025-07-01T09:30:00Z",
            "al ice",
            Action::Subscribe { plan: "basic plan" },
        ),
        (
            "2025-07-01T10:00:00Z",
            "al ice",
            Action::Purchase { credits: 10 },
        ),
        (
            "2025-07-02T10:00:00Z",
            "al ice",
            Action::Call {
                provider: "suno",
                operation: "create",
                task: Some("t;1"),
            },
        ),
        (
            "2025-07-02T11:00:00Z",
            "al ice",
            Action::Refund { task: "t;1" },
        ),
    ]);
    let body = text.split_once("tag task\n").unwrap().1;
    let expected = "
account customers:al%20ice:receivable
account revenue:fees

2025-07-01 fee al%20ice basic%20plan
    ; time: 2025-07-01T09:30:00Z
    ; customer: al%20ice
    ; plan: basic%20plan
    customers:al%20ice:receivable  8.00 USD
    revenue:fees  -8.00 USD

account customers:al%20ice:subscription
account issued:grants

2025-07-01 grant al%20ice basic%20plan
    ; time: 2025-07-01T09:30:00Z
    ; customer: al%20ice
    ; plan: basic%20plan
    customers:al%20ice:subscription  1000 CR
    issued:grants  -1000 CR

account customers:al%20ice:extra
account issued:purchases
account revenue:extra_credits

2025-07-01 purchase al%20ice
    ; time: 2025-07-01T10:00:00Z
    ; customer: al%20ice
    customers:al%20ice:extra  10 CR
    issued:purchases  -10 CR
    customers:al%20ice:receivable  0.08 USD
    revenue:extra_credits  -0.08 USD

account usage:suno:create

2025-07-02 charge al%20ice suno create
    ; time: 2025-07-02T10:00:00Z
    ; customer: al%20ice
    ; task: t%3B1
    customers:al%20ice:extra  -10 CR
    usage:suno:create  10 CR

2025-07-02 refund al%20ice suno create
    ; time: 2025-07-02T11:00:00Z
    ; customer: al%20ice
    ; task: t%3B1
    customers:al%20ice:extra  10 CR
    usage:suno:create  -10 CR
";
    assert_eq!(body, expected);
}

#[test]
fn push_escaped_matches_escape() {
    for id in [
        "", "acct-42", "al ice:1", "é;@", "%", "a b", " lead", "trail ", "ü-x",
    ] {
        let mut bytes = Vec::new();
        push_escaped(&mut bytes, id);
        assert_eq!(bytes, escape(id).into_bytes(), "{id:?}");
    }
}

#[test]
fn write_time_matches_chrono() {
    let (mut time, mut date) = (Vec::new(), Vec::new());
    let mut check = |t: Instant| {
        write_time(&mut time, &mut date, t);
        assert_eq!(time, format_time(t).into_bytes());
        assert_eq!(date, t.format("%Y-%m-%d").to_string().into_bytes());
    };
    for input in [
        "2025-07-01T09:30:00Z",
        "2025-07-01T09:30:00.5Z",
        "2025-07-01T09:30:00.000123Z",
        "2025-07-01T09:30:00.000000007+02:00",
        "2025-07-01T00:30:00+02:00",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "2016-12-31T23:59:60Z",
    ] {
        check(parse_time(input).unwrap());
    }
    let far = crate::core::time::add_months(parse_time("9999-12-31T00:00:00Z").unwrap(), 1);
    if let Some(far) = far {
        check(far);
    }
    check(parse_time("9999-12-31T23:00:00Z").unwrap() + TimeDelta::hours(2));
}

/// A charge or refund entry of account 0 moving nothing, at `time`.
fn bare_entry(kind: EntryKind, time: &str, rule: Option<RuleRef>) -> LedgerEntry {
    let at = parse_time(time).unwrap();
    LedgerEntry {
        time: at,
        account: AccountId(0),
        kind,
        cycle: crate::core::Cycle { start: at, end: at },
        plan: None,
        task: Some("t".into()),
        rule,
        extra_delta: 0,
        subscription_delta: 0,
        usd: Decimal::ZERO,
        extra_balance: 0,
        subscription_balance: 0,
    }
}

/// A refund names its call from the rule its entry carries, however
/// long after the charge it comes: the writer remembers no task.
#[test]
fn a_refund_names_the_call_of_its_rule() {
    let rules = RuleBook::builtin();
    let extend = rules.find("suno", "extend").map(|(rule, _)| rule);
    let mut journal = JournalWriter::new(Vec::new(), rules).unwrap();
    let refund = bare_entry(EntryKind::Refund, "9999-12-31T00:00:00Z", extend);
    journal.write(&refund, "a").unwrap();
    let text = String::from_utf8(journal.finish().unwrap()).unwrap();
    assert!(
            text.ends_with("9999-12-31 refund a suno extend\n    ; time: 9999-12-31T00:00:00Z\n    ; customer: a\n    ; task: t\n"),
            "{text}"
        );
}

#[test]
fn calls_without_a_rule_of_the_book_are_refused() {
    let mut journal = JournalWriter::new(Vec::new(), RuleBook::default()).unwrap();
    let builtin = RuleBook::builtin()
        .find("suno", "create")
        .map(|(rule, _)| rule);
    let at = "2025-07-01T00:00:00Z";
    let refund = journal.write(&bare_entry(EntryKind::Refund, at, builtin), "a b");
    assert_eq!(
        refund.unwrap_err().to_string(),
        "refund entry of a b at 2025-07-01T00:00:00Z without a call of the rule book"
    );
    let charge = journal.write(&bare_entry(EntryKind::Charge, at, None), "a b");
    assert_eq!(
        charge.unwrap_err().to_string(),
        "charge entry of a b at 2025-07-01T00:00:00Z without a call of the rule book"
    );
    let preamble_only = journal.finish().unwrap();
    assert_eq!(preamble_only, PREAMBLE.as_bytes());
}
