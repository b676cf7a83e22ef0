//! `replay --html DIR`: the pages of every fixture, read back and checked
//! against the CSV reports of the same run.

#[macro_use]
mod common;
mod html_pages;

use common::{creditsim, fixtures};
use html_pages::{chart_points, simulate_with_html};
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
        // The buckets after each entry (the fixtures stay below the cap
        // past which entries are merged).
        let buckets: Vec<Vec<String>> = ledger
            .iter()
            .filter(|l| l["account"] == account)
            .map(|l| {
                ["time", "extra_balance", "subscription_balance"]
                    .iter()
                    .map(|c| l[*c].clone())
                    .collect()
            })
            .collect();
        let entries = buckets.len();
        let charts = chart_points(&page);
        assert_eq!(charts.len(), 2, "{name}: two charts on {file}");
        let steps = (2 * entries).saturating_sub(1);
        assert_eq!(
            charts[0],
            if entries == 0 { vec![] } else { vec![steps; 2] },
            "{name}: bucket chart of {account}: {entries} entries"
        );
        assert_eq!(
            rows(&page, "buckets"),
            buckets,
            "{name}: buckets of {account} after each entry"
        );
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

/// Replays `seed_rules` in `work` (a copy of its events beside the plans)
/// with `--out out` and `--html HTML`, plus `extra`.
fn replay_seed(work: &Path, html: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "replay",
        "--plans",
        "plans.csv",
        "--out",
        "out",
        "--html",
        html,
    ];
    args.extend(extra);
    args.push("events.csv");
    creditsim(work, &args)
}

/// A folder with the seed fixture's plans and events.
fn seed_work() -> tempfile::TempDir {
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        fixtures().join("plans.example.csv"),
        work.path().join("plans.csv"),
    )
    .expect("plans");
    std::fs::copy(
        fixtures().join("seed_rules/events.csv"),
        work.path().join("events.csv"),
    )
    .expect("events");
    work
}

/// The names in `dir`, sorted, but the lock file.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = common::files_left(dir)
        .into_iter()
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `(path, size, xxh3_64)` of the manifest's files whose path contains
/// `part`.
fn manifest_files(out: &Path, part: &str) -> Vec<(String, u64, String)> {
    let text = std::fs::read_to_string(out.join("manifest.json")).expect("manifest.json");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                f["size"].as_u64().expect("size"),
                f["xxh3_64"].as_str().expect("hash").to_owned(),
            )
        })
        .filter(|(path, _, _)| path.contains(part))
        .collect()
}

#[test]
fn html_inside_out_is_published_with_the_reports_and_listed_in_the_manifest() {
    let work = seed_work();
    let out = work.path().join("out");
    let run = replay_seed(work.path(), "out/html", &[]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let pages = ["account-00001.html", "account-00002.html", "index.html"];
    assert_eq!(names(&out.join("html")), pages);
    // No staging folder is left, and every page is listed, relative to
    // --out, with its size and hash.
    assert!(names(&out)
        .iter()
        .all(|n| !n.starts_with(".creditsim-run-")));
    let listed = manifest_files(&out, "html/");
    let expected: Vec<(String, u64, String)> = pages
        .iter()
        .map(|page| {
            let path = out.join("html").join(page);
            let record = creditsim::report::manifest::hash_file(&path, "").expect("hash");
            (format!("html/{page}"), record.size, record.xxh3_64)
        })
        .collect();
    assert_eq!(listed, expected);

    // A second run replaces the folder whole: the page it no longer
    // writes is gone, from the folder and from the manifest.
    let run = replay_seed(work.path(), "out/html", &["--html-accounts", "1"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        names(&out.join("html")),
        ["account-00001.html", "index.html"]
    );
    assert_eq!(manifest_files(&out, "html/").len(), 2);
}

#[test]
fn html_outside_out_is_listed_with_absolute_paths() {
    let work = seed_work();
    let run = replay_seed(work.path(), "site", &[]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let site = work.path().canonicalize().expect("real path").join("site");
    let listed = manifest_files(&work.path().join("out"), "index.html");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, site.join("index.html").display().to_string());
    // The staging folder in the site's parent is gone.
    assert!(names(work.path())
        .iter()
        .all(|n| !n.starts_with(".creditsim-run-")));
}

#[test]
fn a_failed_run_leaves_no_html_folder_and_keeps_the_old_one() {
    let work = seed_work();
    let run = replay_seed(work.path(), "site", &[]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let before = std::fs::read(work.path().join("site/index.html")).expect("index");
    // A malformed row after some good ones stops the run (exit 2) once
    // pages had started to gather.
    let mut events = std::fs::read_to_string(work.path().join("events.csv")).expect("events");
    events.push_str("2025-13-01T00:00:00Z,pat,purchase,,,,,10\n");
    std::fs::write(work.path().join("events.csv"), events).expect("write");
    for html in ["site", "fresh"] {
        let run = replay_seed(work.path(), html, &[]);
        assert_eq!(
            run.status.code(),
            Some(2),
            "{html}: the bad row stops the run"
        );
    }
    assert!(!work.path().join("fresh").exists(), "no half folder");
    assert_eq!(
        names(&work.path().join("site")),
        ["account-00001.html", "account-00002.html", "index.html"]
    );
    assert_eq!(
        std::fs::read(work.path().join("site/index.html")).expect("index"),
        before
    );
    assert!(names(work.path())
        .iter()
        .all(|n| !n.starts_with(".creditsim-run-")));
}

#[test]
fn a_run_killed_while_publishing_leaves_the_old_pages_or_the_new_ones() {
    use std::io::BufRead;
    let work = seed_work();
    let run = replay_seed(work.path(), "out/html", &[]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = work.path().join("out/html");
    let old = names(&html);
    // Killed after the first report is renamed (before the folder is) and
    // after all but the manifest: the folder holds one run's pages.
    for (point, pages) in [
        ("rename", old.clone()),
        (
            "manifest",
            vec!["account-00001.html".into(), "index.html".into()],
        ),
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_creditsim"))
            .current_dir(work.path())
            .args([
                "replay",
                "--plans",
                "plans.csv",
                "--out",
                "out",
                "--html",
                "out/html",
                "--html-accounts",
                "1",
                "events.csv",
            ])
            .env("CREDITSIM_TEST_PAUSE", point)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("creditsim runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stderr.as_mut().expect("stderr"))
            .read_line(&mut line)
            .expect("line");
        assert_eq!(line, format!("creditsim: paused before {point}\n"));
        child.kill().expect("kill");
        child.wait().expect("wait");
        assert_eq!(names(&html), pages, "killed before {point}");
        // The next run cleans up and publishes.
        let run = replay_seed(work.path(), "out/html", &[]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(names(&html), old);
    }
}

#[test]
fn simulate_html_matches_scenarios_csv_and_accounts_csv() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (out, html) = simulate_with_html(tmp.path());
    assert_eq!(names(&html), ["index.html"]);
    let page = std::fs::read_to_string(html.join("index.html")).expect("index.html");
    assert_eq!(manifest_files(&out, "index.html").len(), 1, "listed");

    // Revenue by scenario: scenarios.csv's columns, row by row.
    let scenarios = csv(&out.join("scenarios.csv"));
    let columns = [
        "scenario",
        "accounts",
        "fees_usd",
        "purchases_usd",
        "revenue_usd",
        "revenue_delta_usd",
    ];
    let want: Vec<Vec<String>> = scenarios
        .iter()
        .map(|s| columns.iter().map(|c| s[*c].clone()).collect())
        .collect();
    assert_eq!(rows(&page, "scenarios"), want);

    // Each scenario's histogram counts accounts.csv's deltas: every
    // account in exactly one bin, each bin's count recounted.
    let accounts = csv(&out.join("accounts.csv"));
    let charts = html_pages::bar_counts(&page);
    assert_eq!(
        charts.len(),
        scenarios.len(),
        "a chart per scenario and one of revenue"
    );
    assert_eq!(charts[0], scenarios.len(), "a bar per run");
    for (n, s) in scenarios.iter().skip(1).enumerate() {
        let name = &s["scenario"];
        let deltas: Vec<rust_decimal::Decimal> = accounts
            .iter()
            .filter(|a| a["scenario"] == *name)
            .map(|a| decimal(&a["revenue_delta_usd"]))
            .collect();
        let bins = rows(&page, &format!("deltas-{name}"));
        assert!(!bins.is_empty(), "{name}: bins");
        assert_eq!(charts[n + 1], bins.len(), "{name}: a bar per bin");
        let mut total = 0;
        for bin in &bins {
            let (from, to) = (decimal(&bin[0]), decimal(&bin[1]));
            let count: usize = bin[2].parse().expect("count");
            let recount = deltas.iter().filter(|d| from <= **d && **d < to).count();
            assert_eq!(count, recount, "{name}: [{from}, {to})");
            total += count;
        }
        assert_eq!(total, deltas.len(), "{name}: every account counted");
    }
}
