//! The `--html` pages in a real browser: headless Chromium loads the
//! overview, an account page and the page of `simulate --html`
//! (`--dump-dom`, `--screenshot`); the rendered DOM must hold the charts
//! with their points (or bars), and the console must stay silent. Runs only with `CREDITSIM_BROWSER=1` (`.ci/run` sets
//! it and installs Debian's `chromium`); otherwise it says it is skipped.
//!
//! Console messages reach stderr with `--enable-logging=stderr --v=0` as
//! `...:CONSOLE:...` lines (errors and uncaught exceptions included, at
//! level INFO), so the check is: no line with `CONSOLE` or `Uncaught`. The
//! pages have no script, so any console line is a fault. A page that does
//! log is loaded first to show that the check sees it.

mod common;
mod html_pages;

use common::{creditsim, fixtures};
use html_pages::{bar_counts, chart_points, simulate_with_html};
use std::path::Path;
use std::process::Command;

fn browser() -> Option<String> {
    if std::env::var("CREDITSIM_BROWSER").as_deref() != Ok("1") {
        eprintln!("html_browser: skipped (set CREDITSIM_BROWSER=1 to run it with chromium)");
        return None;
    }
    Some(std::env::var("CREDITSIM_CHROMIUM").unwrap_or_else(|_| "chromium".into()))
}

/// The DOM after load, and the console lines of the run.
fn load(chromium: &str, page: &Path, screenshot: &Path) -> (String, Vec<String>) {
    let url = format!("file://{}", page.display());
    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,2400",
    ];
    let dump = Command::new(chromium)
        .args(base)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(dump.status.success(), "chromium --dump-dom {url}");
    let shot = Command::new(chromium)
        .args(base)
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(shot.status.success(), "chromium --screenshot {url}");
    let png = std::fs::read(screenshot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG"),
        "{} is a PNG",
        screenshot.display()
    );
    let console = [&dump.stderr, &shot.stderr]
        .iter()
        .flat_map(|err| {
            String::from_utf8_lossy(err)
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|line| line.contains("CONSOLE") || line.contains("Uncaught"))
        .collect();
    (String::from_utf8_lossy(&dump.stdout).into_owned(), console)
}

#[test]
fn overview_and_account_page_render_without_console_errors() {
    let Some(chromium) = browser() else { return };
    let tmp = tempfile::tempdir().expect("temp dir");

    let bad = tmp.path().join("bad.html");
    std::fs::write(&bad, "<html><body><script>nosuch();</script></body></html>").expect("write");
    let (_, console) = load(&chromium, &bad, &tmp.path().join("bad.png"));
    assert!(
        !console.is_empty(),
        "the console check sees an uncaught error"
    );

    let dir = fixtures().join("seed_rules");
    let html = tmp.path().join("html");
    let out = tmp.path().join("out");
    let run = creditsim(
        &dir,
        &[
            "replay",
            "--plans",
            "../plans.example.csv",
            "--out",
            out.to_str().expect("utf-8 path"),
            "--html",
            html.to_str().expect("utf-8 path"),
            "events.csv",
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let (dom, console) = load(
        &chromium,
        &html.join("index.html"),
        &tmp.path().join("index.png"),
    );
    assert_eq!(
        console,
        Vec::<String>::new(),
        "no console message on index.html"
    );
    let months = dom.matches("<tr><td class=\"t\">20").count();
    let charts = chart_points(&dom);
    assert_eq!(charts.len(), 2, "revenue and credits charts rendered");
    // Each month is one point of each line; the two tables list the months.
    assert_eq!(charts[0], vec![months / 2; 2], "revenue lines");
    assert_eq!(charts[1], vec![months / 2; 3], "credits lines");
    assert!(dom.contains("<title>Revenue per billing month"));

    let page = html.join("account-00001.html");
    let (dom, console) = load(&chromium, &page, &tmp.path().join("account.png"));
    assert_eq!(
        console,
        Vec::<String>::new(),
        "no console message on the account page"
    );
    let account = dom
        .split("<h1>Account ")
        .nth(1)
        .and_then(|rest| rest.split("</h1>").next())
        .expect("account heading")
        .to_owned();
    let ledger = std::fs::read_to_string(out.join("ledger.csv")).expect("ledger.csv");
    let entries = ledger
        .lines()
        .filter(|l| l.split(',').nth(1) == Some(account.as_str()))
        .count();
    let charts = chart_points(&dom);
    assert_eq!(charts.len(), 2, "bucket and usage charts rendered");
    assert_eq!(
        charts[0],
        vec![2 * entries - 1; 2],
        "a step per entry of {account}"
    );
}

#[test]
fn simulate_page_renders_without_console_errors() {
    let Some(chromium) = browser() else { return };
    let tmp = tempfile::tempdir().expect("temp dir");
    let (out, html) = simulate_with_html(tmp.path());
    let page = html.join("index.html");
    let (dom, console) = load(&chromium, &page, &tmp.path().join("simulate.png"));
    assert_eq!(
        console,
        Vec::<String>::new(),
        "no console message on the simulate page"
    );
    let scenarios = std::fs::read_to_string(out.join("scenarios.csv")).expect("scenarios.csv");
    let runs = scenarios.lines().count() - 1;
    let bars = bar_counts(&dom);
    // The revenue chart, then a histogram per scenario, as written.
    assert_eq!(
        bars.len(),
        runs,
        "revenue and {} histograms rendered",
        runs - 1
    );
    assert_eq!(bars[0], runs, "a bar per run");
    let written = std::fs::read_to_string(&page).expect("page");
    assert_eq!(bars, bar_counts(&written), "every bar rendered");
    assert!(dom.contains("<title>Revenue by scenario"));
}
