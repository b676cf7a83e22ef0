//! `replay --html DIR`: the pages of every fixture, read back and checked
//! against the CSV reports of the same run.

#[macro_use]
mod common;
mod html_pages;

use common::{creditsim, fixtures};
use html_pages::chart_points;
use std::collections::BTreeMap;
use std::path::Path;

/// Cells between tags, without the tags.
fn text_cells(row: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in row.split("<td").skip(1) {
        let inner = &part[part.find('>').expect("tag ends") + 1..];
        let inner = &inner[..inner.find("</td>").expect("cell ends")];
        let mut text = String::new();
        let mut in_tag = false;
        for c in inner.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        out.push(text);
    }
    out
}

/// Data rows (with `<td>` cells) of `<table id="ID">`.
fn rows(html: &str, id: &str) -> Vec<Vec<String>> {
    let open = format!("<table id=\"{id}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("table {id} in page"));
    let rest = &html[start..];
    let body = &rest[..rest.find("</table>").expect("table ends")];
    body.split("<tr>")
        .map(text_cells)
        .filter(|cells| !cells.is_empty())
        .collect()
}

/// A CSV report as header-keyed rows.
fn csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("report reads");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn decimal(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap_or_else(|_| panic!("{s} is a decimal"))
}

/// Replays the fixture `name` with `--html`; the folder of the run.
fn run(name: &str, extra: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = fixtures().join(name);
    let args_text = std::fs::read_to_string(dir.join("args.txt")).expect("args.txt");
    let out = tmp.path().join("out");
    let html = tmp.path().join("html");
    let mut args: Vec<String> = vec!["replay".into()];
    args.extend(args_text.split_whitespace().map(str::to_owned));
    args.extend(["--out".into(), out.display().to_string()]);
    args.extend(["--html".into(), html.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let output = creditsim(&dir, &args);
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    tmp
}

fn check_fixture(name: &str) {
    let tmp = run(name, &[]);
    let out = tmp.path().join("out");
    let html = tmp.path().join("html");
    let index = std::fs::read_to_string(html.join("index.html")).expect("index.html");
    let statements = csv(&out.join("statements.csv"));
    let ledger = csv(&out.join("ledger.csv"));

    // Revenue per billing month equals statements.csv by cycle start month.
    let mut expected: BTreeMap<String, (rust_decimal::Decimal, rust_decimal::Decimal)> =
        BTreeMap::new();
    for s in &statements {
        let month = s["cycle_start"][..7].to_owned();
        let e = expected.entry(month).or_default();
        e.0 += decimal(&s["fee_usd"]);
        e.1 += decimal(&s["purchase_usd"]);
    }
    let revenue: BTreeMap<String, (rust_decimal::Decimal, rust_decimal::Decimal)> =
        rows(&index, "revenue")
            .iter()
            .map(|r| (r[0].clone(), (decimal(&r[1]), decimal(&r[2]))))
            .collect();
    assert_eq!(revenue, expected, "{name}: revenue per month");

    // Every account page: its statement rows are its statements.csv rows,
    // and its bucket chart has a step point pair per ledger entry.
    // statements.csv's columns from cycle_start to expired.
    let columns = &creditsim::report::statements::HEADER[1..13];
    let links: Vec<(String, String)> = rows(&index, "top-usage")
        .iter()
        .map(|r| (r[1].clone(), r[1].clone()))
        .collect();
    let mut pages = 0;
    for entry in std::fs::read_dir(&html).expect("html folder") {
        let path = entry.expect("entry").path();
        let file = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if !file.starts_with("account-") {
            continue;
        }
        pages += 1;
        let page = std::fs::read_to_string(&path).expect("page");
        let account = page
            .split("<h1>Account ")
            .nth(1)
            .and_then(|rest| rest.split("</h1>").next())
            .expect("account heading")
            .to_owned();
        assert!(
            index.contains(&format!("href=\"{file}\"")),
            "{name}: {file} linked from the overview"
        );
        assert!(
            links.iter().any(|(a, _)| *a == account),
            "{name}: {account} listed"
        );
        let want: Vec<Vec<String>> = statements
            .iter()
            .filter(|s| s["account"] == account)
            .map(|s| columns.iter().map(|c| s[*c].clone()).collect())
            .collect();
        let mut got = rows(&page, "statement");
        got.sort();
        let mut want_sorted = want.clone();
        want_sorted.sort();
        assert_eq!(got, want_sorted, "{name}: statement of {account}");
        let entries = ledger.iter().filter(|l| l["account"] == account).count();
        let charts = chart_points(&page);
        assert_eq!(charts.len(), 2, "{name}: two charts on {file}");
        let steps = (2 * entries).saturating_sub(1);
        assert_eq!(
            charts[0],
            if entries == 0 { vec![] } else { vec![steps; 2] },
            "{name}: bucket chart of {account}: {entries} entries"
        );
        assert_eq!(rows(&page, "buckets").len(), entries);
    }
    // An account named only by rejected rows has a page too: it shows
    // its rejections.
    let mut accounts: std::collections::BTreeSet<String> = csv(&out.join("balances.csv"))
        .into_iter()
        .map(|b| b["account"].clone())
        .collect();
    accounts.extend(
        csv(&out.join("rejections.csv"))
            .into_iter()
            .map(|r| r["account"].clone())
            .filter(|a| !a.is_empty()),
    );
    assert_eq!(
        pages,
        accounts.len().min(1000),
        "{name}: one page per account"
    );

    // The same input gives the same bytes.
    let again = run(name, &[]);
    for entry in std::fs::read_dir(&html).expect("html folder") {
        let path = entry.expect("entry").path();
        let twin = again
            .path()
            .join("html")
            .join(path.file_name().expect("name"));
        assert_eq!(
            std::fs::read(&path).expect("page"),
            std::fs::read(&twin).expect("twin page"),
            "{name}: {} is deterministic",
            path.display()
        );
    }
}

fixture_tests!(
    cancellation,
    duplicate_tasks,
    extra_first,
    keep_going,
    late_refund,
    leap_february,
    multi_file_merge,
    seed_rules,
);

#[test]
fn html_accounts_limits_the_pages() {
    let tmp = run("seed_rules", &["--html-accounts", "1"]);
    let pages: Vec<_> = std::fs::read_dir(tmp.path().join("html"))
        .expect("html folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(pages.len(), 2, "index.html and one account page: {pages:?}");
}

#[test]
fn rejections_by_reason_match_rejections_csv() {
    let tmp = run("keep_going", &[]);
    let index = std::fs::read_to_string(tmp.path().join("html/index.html")).expect("index");
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for r in csv(&tmp.path().join("out/rejections.csv")) {
        *expected.entry(r["reason"].clone()).or_default() += 1;
    }
    let got: BTreeMap<String, u64> = rows(&index, "rejections")
        .iter()
        .map(|r| (r[0].clone(), r[1].parse().expect("count")))
        .collect();
    assert_eq!(got, expected);
}
