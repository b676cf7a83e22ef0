//! Arbitrary bytes, and mutations of valid CSVs, fed to the events reader
//! and the replay with `--keep-going`, through the library API. Whatever
//! the bytes: no panic; a header problem is a clean error; past the header
//! nothing stops a keep-going run but an overflowing total; every row is
//! accounted for (`rows = accepted + rejected + skipped`), and
//! `rejections.csv` holds one well-formed row per rejected row.

use creditsim::core::{Engine, RuleBook};
use creditsim::input::events::EventFile;
use creditsim::input::plans::load_plans;
use creditsim::input::rules::load_rules;
use creditsim::replay::{replay, ReplayError, ReplayOptions, ReplayOutput};
use creditsim::report::ledger::LedgerWriter;
use creditsim::report::rejections::RejectionWriter;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::io;

const PLANS: &str = "plan,price_usd,monthly_credits\n\
free,0.00,0\n\
basic,8.00,1000\n\
max,0.00,18446744073709551615\n";

/// A valid events file touching every event, quoting, CRLF and a BOM.
const VALID: &str = "\u{feff}time,account,event,plan,provider,operation,task,credits\r\n\
2025-07-01T00:00:00Z,alice,subscribe,basic,,,,\r\n\
2025-07-01T00:00:00Z,\"bob, inc.\",subscribe,basic,,,,\r\n\
2025-07-01T10:00:00+02:00,alice,purchase,,,,,100\r\n\
2025-07-02T00:00:00Z,alice,call,,suno,create,\"t,1\",\r\n\
2025-07-02T00:00:01Z,alice,call,,suno,create,\"t,1\",\r\n\
2025-07-02T00:00:02Z,\"bob, inc.\",call,,lyrics,make,\"say \"\"hi\"\"\",\r\n\
2025-07-02T00:00:03Z,alice,refund,,,,\"t,1\",\r\n\
2025-07-02T00:00:04Z,alice,refund,,,,t,1\r\n\
2025-07-03T00:00:00Z,alice,change_plan,free,,,,\r\n\
2025-08-02T00:00:00Z,alice,cancel,,,,,\r\n\
2025-09-02T00:00:00Z,alice,call,,nuro,get,,\r\n";

/// Replays `files` with `--keep-going`; checks the invariants.
fn check(files: &[&[u8]], as_of: bool) -> Result<(), TestCaseError> {
    let plans = load_plans("plans.csv", PLANS.as_bytes()).unwrap();
    let engine = Engine::new(plans, RuleBook::builtin());
    let mut opened = Vec::new();
    for (i, bytes) in files.iter().enumerate() {
        match EventFile::open(&format!("e{i}.csv"), *bytes) {
            Ok(file) => opened.push(file),
            Err(e) => {
                // Only the header can be wrong at open: line 1 or the line
                // of a header after empty lines.
                prop_assert!(!e.detail.is_empty());
                return Ok(());
            }
        }
    }
    let options = ReplayOptions {
        keep_going: true,
        as_of: as_of.then(|| creditsim::core::time::parse_time("2025-08-15T00:00:00Z").unwrap()),
        ..ReplayOptions::default()
    };
    let mut output = ReplayOutput {
        ledger: LedgerWriter::new(io::sink()).unwrap(),
        rejections: RejectionWriter::new(Vec::new()).unwrap(),
        entry_sink: None,
        closed_statements: None,
    };
    match replay(engine, opened, &options, &mut output, |_| {}) {
        Ok(replayed) => {
            let s = &replayed.summary;
            prop_assert_eq!(s.rows, s.accepted + s.rejected + s.skipped);
            let by_reason: u64 = s.rejections_by_reason().map(|(_, n)| n).sum();
            prop_assert_eq!(by_reason, s.rejected);
            let rejections = output.rejections.finish().unwrap();
            let mut reader = csv::Reader::from_reader(rejections.as_slice());
            let mut rows = 0;
            for record in reader.byte_records() {
                let record = record.unwrap();
                prop_assert_eq!(record.len(), 7);
                rows += 1;
            }
            prop_assert_eq!(rows, s.rejected);
        }
        Err(ReplayError::Input(e)) => {
            // With --keep-going only a sum past u64 (or past what money can
            // hold) stops the run.
            prop_assert!(e.detail.contains("overflow"), "stopped: {e}");
        }
        Err(ReplayError::Output(e)) => prop_assert!(false, "writing failed: {e}"),
    }
    Ok(())
}

/// Bytes that look like CSV: mostly the characters that matter.
fn csv_ish() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b",\"\r\n 0123456789-:TZ.+".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..400)
}

/// An edit of a byte string: replace, insert or delete at a position.
#[derive(Debug, Clone)]
enum Edit {
    Replace(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Delete(prop::sample::Index),
    /// Insert one of the strings that break CSVs and parsers.
    Splice(prop::sample::Index, &'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    let nasty = prop::sample::select(vec![
        "\"",
        "\"\"",
        ",",
        "\r",
        "\n",
        "\r\n",
        "\u{feff}",
        "\u{fffd}",
        "\0",
        "\t",
        "18446744073709551615",
        "18446744073709551616",
        "-1",
        "1.5",
        "1e3",
        "9999-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z",
        "2025-02-30T00:00:00Z",
        "2025-07-01T00:00:00",
        "subscribe",
        "refund",
        "max",
        "cancel",
    ]);
    prop_oneof![
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<prop::sample::Index>().prop_map(Edit::Delete),
        (any::<prop::sample::Index>(), nasty).prop_map(|(i, s)| Edit::Splice(i, s)),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    match edit {
        Edit::Replace(i, b) if !bytes.is_empty() => {
            let at = i.index(bytes.len());
            bytes[at] = *b;
        }
        Edit::Insert(i, b) => {
            let at = i.index(bytes.len() + 1);
            bytes.insert(at, *b);
        }
        Edit::Delete(i) if !bytes.is_empty() => {
            let at = i.index(bytes.len());
            bytes.remove(at);
        }
        Edit::Splice(i, s) => {
            let at = i.index(bytes.len() + 1);
            bytes.splice(at..at, s.bytes());
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), as_of: bool) {
        check(&[&bytes], as_of)?;
    }

    #[test]
    fn arbitrary_rows_after_a_valid_header(body in csv_ish(), as_of: bool) {
        let mut bytes = b"time,account,event,plan,provider,operation,task,credits\n".to_vec();
        bytes.extend_from_slice(&body);
        check(&[&bytes], as_of)?;
    }

    #[test]
    fn mutated_valid_csv(edits in prop::collection::vec(edit(), 1..12), as_of: bool) {
        let mut bytes = VALID.as_bytes().to_vec();
        for e in &edits {
            apply(&mut bytes, e);
        }
        check(&[&bytes], as_of)?;
    }

    #[test]
    fn two_mutated_files_merge(a in prop::collection::vec(edit(), 0..6), b in prop::collection::vec(edit(), 0..6)) {
        let (mut x, mut y) = (VALID.as_bytes().to_vec(), VALID.as_bytes().to_vec());
        a.iter().for_each(|e| apply(&mut x, e));
        b.iter().for_each(|e| apply(&mut y, e));
        check(&[&x, &y], false)?;
    }

    #[test]
    fn plans_and_rules_loaders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), edits in prop::collection::vec(edit(), 0..8)) {
        let _ = load_plans("plans.csv", bytes.as_slice());
        let _ = load_rules("rules.csv", bytes.as_slice());
        let mut plans = PLANS.as_bytes().to_vec();
        edits.iter().for_each(|e| apply(&mut plans, e));
        if let Ok(book) = load_plans("plans.csv", plans.as_slice()) {
            for plan in book.iter() {
                prop_assert!(plan.price_usd.scale() <= 2);
                prop_assert!(!plan.price_usd.is_sign_negative() || plan.price_usd.is_zero());
            }
        }
    }
}

#[test]
fn the_valid_file_is_valid() {
    let plans = load_plans("plans.csv", PLANS.as_bytes()).unwrap();
    let engine = Engine::new(plans, RuleBook::builtin());
    let file = EventFile::open("e.csv", VALID.as_bytes()).unwrap();
    let mut output = ReplayOutput {
        ledger: LedgerWriter::new(io::sink()).unwrap(),
        rejections: RejectionWriter::new(io::sink()).unwrap(),
        entry_sink: None,
        closed_statements: None,
    };
    // Without --keep-going: no malformed row stops it.
    let replayed = replay(
        engine,
        vec![file],
        &ReplayOptions::default(),
        &mut output,
        |_| {},
    )
    .unwrap();
    assert_eq!(replayed.summary.rows, 11);
    assert_eq!(
        replayed.summary.rejected, 2,
        "the duplicate call and the second refund"
    );
}
