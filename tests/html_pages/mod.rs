//! Reading the HTML report's pages back, shared by `tests/html.rs` (the
//! written files) and `tests/html_browser.rs` (the browser's DOM).

/// Point counts of the data lines (stroke width 2) of each chart.
pub fn chart_points(html: &str) -> Vec<Vec<usize>> {
    html.split("<svg")
        .skip(1)
        .map(|svg| {
            svg.split("<polyline")
                .skip(1)
                .filter(|p| p.contains("stroke-width=\"2\""))
                .map(|p| {
                    let points = p.split("points=\"").nth(1).expect("points");
                    points[..points.find('"').expect("ends")]
                        .split_whitespace()
                        .count()
                })
                .collect()
        })
        .collect()
}

/// The number of bars (`<rect>` of the bar colour, #1F77B4) of each bar
/// chart, in page order; charts without bars are skipped.
pub fn bar_counts(html: &str) -> Vec<usize> {
    html.split("<svg")
        .skip(1)
        .map(|svg| {
            svg.split("<rect")
                .skip(1)
                .filter(|r| {
                    let tag = &r[..r.find('>').unwrap_or(r.len())];
                    tag.contains("fill=\"#1F77B4\"")
                })
                .count()
        })
        .filter(|&bars| bars > 0)
        .collect()
}

/// Runs `creditsim simulate --html` over the `simulate` fixture into
/// `tmp`, and returns the report folder and the HTML folder.
pub fn simulate_with_html(tmp: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (out, html) = (tmp.join("out"), tmp.join("html"));
    let run = crate::common::creditsim(
        &crate::common::fixtures().join("simulate"),
        &[
            "simulate",
            "--plans",
            "plans.csv",
            "--scenarios",
            "scenarios.toml",
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
    (out, html)
}
