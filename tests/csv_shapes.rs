//! Real-world CSV shapes that must simply work (RULES.md section 7): a
//! UTF-8 byte-order mark, CRLF line ends, quoted fields with commas and
//! quotes, trailing empty lines, columns in any order, extra unknown
//! columns and whitespace around fields. Each shape of the same rows is
//! replayed with the real binary and must give exactly the reports of the
//! plain version.

mod common;

use common::REPORTS;
use creditsim::input::events::EVENT_COLUMNS;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PLANS: &str = "plan,price_usd,monthly_credits\nbasic,8.00,1000\npro,30.00,5000\n";

/// The rows, one value per column of [`EVENT_COLUMNS`]. Task ids and accounts
/// hold commas and quotes, so the plain version quotes them too; there are
/// accepted rows, business rejections and a refund.
const ROWS: &[[&str; 8]] = &[
    [
        "2025-07-01T00:00:00Z",
        "alice",
        "subscribe",
        "basic",
        "",
        "",
        "",
        "",
    ],
    [
        "2025-07-01T00:00:00Z",
        "bob, inc.",
        "subscribe",
        "pro",
        "",
        "",
        "",
        "",
    ],
    [
        "2025-07-01T10:00:00+02:00",
        "alice",
        "purchase",
        "",
        "",
        "",
        "",
        "100",
    ],
    [
        "2025-07-02T00:00:00Z",
        "alice",
        "call",
        "",
        "suno",
        "create",
        "t,1",
        "",
    ],
    [
        "2025-07-02T00:00:01Z",
        "alice",
        "call",
        "",
        "suno",
        "create",
        "t,1",
        "",
    ],
    [
        "2025-07-02T00:00:02Z",
        "bob, inc.",
        "call",
        "",
        "lyrics",
        "make",
        "say \"hi\"",
        "",
    ],
    [
        "2025-07-02T00:00:03Z",
        "bob, inc.",
        "call",
        "",
        "nuro",
        "get",
        "",
        "",
    ],
    [
        "2025-07-02T00:00:04Z",
        "alice",
        "refund",
        "",
        "",
        "",
        "t,1",
        "",
    ],
    [
        "2025-07-03T00:00:00Z",
        "carol",
        "cancel",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "2025-07-04T00:00:00Z",
        "bob, inc.",
        "change_plan",
        "gold",
        "",
        "",
        "",
        "",
    ],
    [
        "2025-07-05T00:00:00Z",
        "alice",
        "purchase",
        "",
        "",
        "",
        "",
        "15",
    ],
    [
        "2025-08-02T00:00:00Z",
        "alice",
        "call",
        "",
        "riffusion",
        "cover",
        "t2",
        "",
    ],
];

/// How a file is written.
#[derive(Clone, Copy, Default)]
struct Shape {
    bom: bool,
    crlf: bool,
    quote_all: bool,
    trailing_empty_lines: bool,
    /// Columns in this order (indexes into [`EVENT_COLUMNS`]).
    reversed_columns: bool,
    extra_columns: bool,
    whitespace: bool,
}

fn quote(field: &str, always: bool) -> String {
    if always || field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn render(shape: Shape) -> Vec<u8> {
    let mut order: Vec<usize> = (0..EVENT_COLUMNS.len()).collect();
    if shape.reversed_columns {
        order.reverse();
    }
    let line_end = if shape.crlf { "\r\n" } else { "\n" };
    let cell = |text: &str| {
        let padded = if shape.whitespace && !text.is_empty() {
            format!(" \t{text}  ")
        } else {
            text.to_owned()
        };
        // Whitespace inside quotes is trimmed too (RULES.md: every field).
        quote(&padded, shape.quote_all)
    };
    let mut lines = Vec::new();
    let mut header: Vec<String> = order.iter().map(|&i| cell(EVENT_COLUMNS[i])).collect();
    if shape.extra_columns {
        header.insert(1, cell("note"));
        header.push(cell("source system"));
    }
    lines.push(header.join(","));
    for (n, row) in ROWS.iter().enumerate() {
        let mut fields: Vec<String> = order.iter().map(|&i| cell(row[i])).collect();
        if shape.extra_columns {
            fields.insert(1, cell(&format!("note {n}, with \"quotes\"")));
            fields.push(cell("export v2"));
        }
        lines.push(fields.join(","));
    }
    let mut text = lines.join(line_end);
    text.push_str(line_end);
    if shape.trailing_empty_lines {
        text.push_str(line_end);
        text.push_str(line_end);
    }
    let mut bytes = Vec::new();
    if shape.bom {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

fn run(dir: &Path, events: &[u8], extra_args: &[&str]) -> Output {
    fs::write(dir.join("plans.csv"), PLANS).unwrap();
    fs::write(dir.join("events.csv"), events).unwrap();
    Command::new(env!("CARGO_BIN_EXE_creditsim"))
        .current_dir(dir)
        .args(["replay", "--plans", "plans.csv", "--out", "out"])
        .args(extra_args)
        .arg("events.csv")
        .stdin(Stdio::null())
        .output()
        .expect("the creditsim binary runs")
}

fn reports(shape: Shape) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let output = run(
        dir.path(),
        &render(shape),
        &["--as-of", "2025-08-15T00:00:00Z"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    REPORTS
        .iter()
        .map(|r| {
            let text = fs::read_to_string(dir.path().join("out").join(r)).unwrap();
            (r.to_string(), text)
        })
        .collect()
}

fn assert_same_reports_as_plain(shape: Shape, what: &str) {
    let plain = reports(Shape::default());
    for ((report, expected), (_, actual)) in plain.iter().zip(reports(shape)) {
        assert_eq!(
            &actual, expected,
            "{what}: {report} differs from the plain input's"
        );
    }
}

#[test]
fn the_plain_input_is_what_the_shapes_are_compared_with() {
    let plain = reports(Shape::default());
    let text = |name: &str| &plain.iter().find(|(r, _)| r == name).unwrap().1;
    // Every row is accounted for, the business rejections included.
    assert!(
        text("summary.json").contains("\"rows\": 12,"),
        "{}",
        text("summary.json")
    );
    assert_eq!(text("rejections.csv"), "file,line,time,account,event,reason,detail\n\
         events.csv,6,2025-07-02T00:00:01Z,alice,call,duplicate_task,\"task t,1 already charged at 2025-07-02T00:00:00Z\"\n\
         events.csv,10,2025-07-03T00:00:00Z,carol,cancel,no_active_subscription,no active subscription\n\
         events.csv,11,2025-07-04T00:00:00Z,\"bob, inc.\",change_plan,unknown_plan,unknown plan gold\n\
         events.csv,12,2025-07-05T00:00:00Z,alice,purchase,invalid_credits,\"credits must be a positive multiple of 10, got 15\"\n");
    // Fields with commas and quotes come out intact (and quoted).
    assert!(
        text("ledger.csv").contains(",alice,charge,,\"t,1\","),
        "{}",
        text("ledger.csv")
    );
    assert!(text("ledger.csv").contains(",\"bob, inc.\",charge,,\"say \"\"hi\"\"\","));
}

#[test]
fn byte_order_mark() {
    assert_same_reports_as_plain(
        Shape {
            bom: true,
            ..Shape::default()
        },
        "BOM",
    );
}

#[test]
fn crlf_line_ends() {
    assert_same_reports_as_plain(
        Shape {
            crlf: true,
            ..Shape::default()
        },
        "CRLF",
    );
}

#[test]
fn every_field_quoted() {
    assert_same_reports_as_plain(
        Shape {
            quote_all: true,
            ..Shape::default()
        },
        "quoted",
    );
}

#[test]
fn trailing_empty_lines() {
    let shape = Shape {
        trailing_empty_lines: true,
        ..Shape::default()
    };
    assert_same_reports_as_plain(shape, "trailing empty lines");
    let shape = Shape {
        trailing_empty_lines: true,
        crlf: true,
        ..Shape::default()
    };
    assert_same_reports_as_plain(shape, "trailing empty CRLF lines");
}

#[test]
fn columns_in_any_order() {
    assert_same_reports_as_plain(
        Shape {
            reversed_columns: true,
            ..Shape::default()
        },
        "reversed columns",
    );
}

#[test]
fn extra_unknown_columns() {
    assert_same_reports_as_plain(
        Shape {
            extra_columns: true,
            ..Shape::default()
        },
        "extra columns",
    );
}

#[test]
fn whitespace_around_fields() {
    assert_same_reports_as_plain(
        Shape {
            whitespace: true,
            ..Shape::default()
        },
        "whitespace",
    );
    let shape = Shape {
        whitespace: true,
        quote_all: true,
        ..Shape::default()
    };
    assert_same_reports_as_plain(shape, "whitespace inside quotes");
}

#[test]
fn every_shape_at_once() {
    let shape = Shape {
        bom: true,
        crlf: true,
        quote_all: true,
        trailing_empty_lines: true,
        reversed_columns: true,
        extra_columns: true,
        whitespace: true,
    };
    assert_same_reports_as_plain(shape, "every shape");
}

#[test]
fn missing_optional_columns_read_as_empty() {
    // Only the columns the rows need: plan and credits, no call columns.
    let dir = tempfile::tempdir().unwrap();
    let narrow = "credits,event,account,time,plan\n,subscribe,alice,2025-07-01T00:00:00Z,basic\n100,purchase,alice,2025-07-02T00:00:00Z,\n";
    let wide = "time,account,event,plan,provider,operation,task,credits\n2025-07-01T00:00:00Z,alice,subscribe,basic,,,,\n2025-07-02T00:00:00Z,alice,purchase,,,,,100\n";
    let read = |events: &str| {
        let output = run(dir.path(), events.as_bytes(), &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        REPORTS.map(|r| fs::read_to_string(dir.path().join("out").join(r)).unwrap())
    };
    assert_eq!(read(narrow), read(wide));
}

#[test]
fn empty_lines_in_the_middle_are_not_rows_but_keep_line_numbers() {
    // The csv crate's own line count misses CRLF's `\n` and empty lines;
    // the reported line must be the physical one with LF and CRLF alike.
    for end in ["\n", "\r\n"] {
        let dir = tempfile::tempdir().unwrap();
        let events = [
            "time,account,event,plan",
            "",
            "2025-07-01T00:00:00Z,alice,subscribe,gold",
            "",
            "",
            "2025-07-01T00:00:00Z,bob,cancel,",
            "2025-07-01T00:00:00Z,\"carol",
            "and co\",cancel,",
            "2025-07-01T00:00:00Z,dave,cancel,",
            "",
        ]
        .join(end);
        let output = run(dir.path(), events.as_bytes(), &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let rejections = fs::read_to_string(dir.path().join("out/rejections.csv")).unwrap();
        let expected = format!(
            "file,line,time,account,event,reason,detail\n\
             events.csv,3,2025-07-01T00:00:00Z,alice,subscribe,unknown_plan,unknown plan gold\n\
             events.csv,6,2025-07-01T00:00:00Z,bob,cancel,no_active_subscription,no active subscription\n\
             events.csv,7,2025-07-01T00:00:00Z,\"carol{end}and co\",cancel,no_active_subscription,no active subscription\n\
             events.csv,9,2025-07-01T00:00:00Z,dave,cancel,no_active_subscription,no active subscription\n"
        );
        assert_eq!(rejections, expected, "line ends {end:?}");
        let summary = fs::read_to_string(dir.path().join("out/summary.json")).unwrap();
        assert!(summary.contains("\"rows\": 4,"), "{summary}");
    }
}

#[test]
fn header_only_events_file_is_an_empty_replay() {
    // RULES.md says nothing against it: no rows, no accounts, exit 0.
    for header in [
        "time,account,event\n",
        "\u{feff}time,account,event\r\n\r\n",
        "time,account,event",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = run(dir.path(), header.as_bytes(), &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary = fs::read_to_string(dir.path().join("out/summary.json")).unwrap();
        assert!(summary.contains("\"rows\": 0,"), "{summary}");
        let balances = fs::read_to_string(dir.path().join("out/balances.csv")).unwrap();
        assert_eq!(
            balances,
            "account,status,plan,credits,extra_credits,cycle_start,cycle_end\n"
        );
    }
}
