//! Progress of a replay on standard error, only when it is a terminal:
//! rows read, rows per second and, when the input's size is known (files
//! rather than a pipe), the share read and the time left.

use creditsim::replay::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// The progress display of one run.
pub struct ProgressLine {
    bar: ProgressBar,
}

impl ProgressLine {
    /// A display for an input of `total_bytes` (unknown when any input is
    /// standard input). Hidden when standard error is not a terminal, so
    /// that logs and tests see nothing of it.
    pub fn new(total_bytes: Option<u64>) -> Self {
        // Redrawn at most once a second: the replay calls `update` far
        // more often than anyone reads it.
        let target = ProgressDrawTarget::stderr_with_hz(1);
        let bar = match total_bytes {
            Some(total) => {
                let bar = ProgressBar::with_draw_target(Some(total), target);
                bar.set_style(style(
                    "{percent:>3}% of {total_bytes}, {msg}, {eta} left [{wide_bar}]",
                ));
                bar
            }
            None => {
                let bar = ProgressBar::with_draw_target(None, target);
                bar.set_style(style("{bytes} read, {msg}, {elapsed}"));
                bar
            }
        };
        if !bar.is_hidden() {
            // Keeps the time left moving between updates.
            bar.enable_steady_tick(Duration::from_secs(1));
        }
        ProgressLine { bar }
    }

    /// Shows how far the run has got.
    pub fn update(&mut self, progress: Progress) {
        self.bar.set_position(progress.bytes);
        let seconds = self.bar.elapsed().as_secs_f64().max(1e-3);
        // A display, not a report: a float rate is exact enough.
        let rate = progress.rows as f64 / seconds;
        self.bar
            .set_message(format!("{} rows, {:.0} rows/s", progress.rows, rate));
    }

    /// Clears the display.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    // The templates above are fixed and valid; a bad one would only lose
    // the display, never the run.
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}
