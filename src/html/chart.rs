//! SVG charts drawn with plotters' SVG backend. Labels are SVG `<text>`
//! elements (plotters sizes them with its built-in estimate, no font
//! file), so a chart needs nothing but the page it sits in.

use plotters::prelude::*;

/// One line of a chart: its name, colour and points `(x, y)`.
pub struct Series {
    /// Shown in the legend.
    pub name: String,
    /// Stroke colour.
    pub colour: RGBColor,
    /// In drawing order.
    pub points: Vec<(f64, f64)>,
}

const WIDTH: u32 = 720;
const HEIGHT: u32 = 320;

/// Colours of the series, in order.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// A line chart as an SVG document, titled `title` (its `<title>`, for
/// screen readers and tooltips). `x_label` turns an x value into an axis
/// label. Each series is one `<polyline>` with one point per entry of
/// `points`.
pub fn line_chart(title: &str, series: &[Series], x_label: &dyn Fn(f64) -> String) -> String {
    let points = || series.iter().flat_map(|s| s.points.iter().copied());
    let (mut x0, mut x1, mut y1) = (f64::MAX, f64::MIN, 0f64);
    for (x, y) in points() {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        (x0, x1) = (0.0, 1.0);
    }
    if x0 == x1 {
        x1 = x0 + 1.0;
    }
    if y1 <= 0.0 {
        y1 = 1.0;
    }
    svg_document(title, |root| {
        draw(root, series, (x0, x1, y1 * 1.05), x_label)
    })
}

/// What `draw` draws on, as an SVG document titled `title`. Drawing into
/// a string cannot fail; an error would only lose the chart, never the
/// page, so it is ignored.
fn svg_document(
    title: &str,
    draw: impl FnOnce(
        &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    ) -> Result<(), DrawingAreaErrorKind<std::io::Error>>,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = draw(&root);
        let _ = root.present();
    }
    with_title(&svg, title)
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    series: &[Series],
    (x0, x1, y1): (f64, f64, f64),
    x_label: &dyn Fn(f64) -> String,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, 0f64..y1)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|x| x_label(*x))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for s in series {
        let colour = s.colour;
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(s.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        // A line of one point draws nothing: its points are marked too.
        if s.points.len() < 3 {
            chart.draw_series(
                s.points
                    .iter()
                    .map(|&point| Circle::new(point, 4, colour.filled())),
            )?;
        }
    }
    if series.len() > 1 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    Ok(())
}

/// Puts `<title>` first inside the `<svg>` element, and marks the chart
/// as an image named by it.
fn with_title(svg: &str, title: &str) -> String {
    let escaped = maud::html! { (title) }.into_string();
    match svg.find("<svg") {
        Some(start) => match svg[start..].find('>') {
            Some(end) => {
                let at = start + end;
                format!(
                    "{} role=\"img\"><title>{escaped}</title>{}",
                    &svg[..at],
                    &svg[at + 1..]
                )
            }
            None => svg.to_owned(),
        },
        None => svg.to_owned(),
    }
}

/// The points of a step line through `(x, y)`: the value holds until the
/// next x, then jumps.
pub fn steps(points: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (x, y) in points {
        if let Some(&(_, previous)) = out.last() {
            out.push((x, previous));
        }
        out.push((x, y));
    }
    out
}

/// One bar: from `x0` to `x1`, `height` high.
pub struct Bar {
    /// Left edge.
    pub x0: f64,
    /// Right edge.
    pub x1: f64,
    /// Height, from 0.
    pub height: f64,
}

/// The fill of every bar (a `<rect>` of this colour per bar, even of
/// height 0, so a reader can count them).
pub const BAR_COLOUR: RGBColor = PALETTE[0];

/// A bar chart as an SVG document, titled `title`, over `x0..x1`.
pub fn bar_chart(
    title: &str,
    bars: &[Bar],
    (x0, x1): (f64, f64),
    x_label: &dyn Fn(f64) -> String,
) -> String {
    let top = bars.iter().map(|b| b.height).fold(0f64, f64::max);
    let top = if top <= 0.0 { 1.0 } else { top * 1.05 };
    svg_document(title, |root| draw_bars(root, bars, (x0, x1, top), x_label))
}

fn draw_bars(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    bars: &[Bar],
    (x0, x1, top): (f64, f64, f64),
    x_label: &dyn Fn(f64) -> String,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(12)
        .y_labels(6)
        .x_label_formatter(&|x| x_label(*x))
        // Counts and dollars: only whole values are labelled, so that
        // small ranges do not repeat a rounded label.
        .y_label_formatter(&|y| {
            if (y - y.round()).abs() < 1e-9 {
                format!("{y:.0}")
            } else {
                String::new()
            }
        })
        .draw()?;
    chart.draw_series(
        bars.iter()
            .map(|b| Rectangle::new([(b.x0, 0.0), (b.x1, b.height)], BAR_COLOUR.filled())),
    )?;
    Ok(())
}
