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
