//! The page of `simulate --html DIR`: revenue by scenario against the
//! baseline, and for each scenario the distribution of the per-account
//! revenue deltas (the `revenue_delta_usd` of `accounts.csv`), each chart
//! beside its table.
//!
//! The histogram's bins are half-open `[from, to)` dollar ranges of one
//! width, 1, 2 or 5 times a power of ten (from a cent up), the smallest
//! that covers the deltas in at most [`MAX_BINS`] bins; they start at a
//! multiple of the width. All in exact decimals, so the same comparison
//! always gives the same bins.

use super::chart::{bar_chart, Bar};
use super::pages::{figure, month_labels, page};
use crate::core::money::Usd;
use crate::simulate::{Comparison, ScenarioResult};
use maud::{html, Markup};
use rust_decimal::Decimal;
use std::io;
use std::path::Path;

/// The most bins of a histogram.
pub const MAX_BINS: i64 = 12;

/// One bin: `[from, to)` and its accounts.
struct Bin {
    from: Decimal,
    to: Decimal,
    accounts: u64,
}

/// Each baseline account's revenue delta in `run`, as `accounts.csv`
/// gives it (an account the run never saw has no revenue there). `None`
/// where a sum would overflow.
fn deltas(comparison: &Comparison, run: &ScenarioResult) -> Vec<Option<Decimal>> {
    comparison
        .baseline
        .accounts
        .iter()
        .map(|account| {
            let baseline = account.totals.revenue_usd()?;
            let revenue = match run.account(&account.account) {
                Some(found) => found.totals.revenue_usd()?,
                None => Decimal::ZERO,
            };
            revenue.checked_sub(baseline)
        })
        .collect()
}

/// The smallest width among 1, 2 and 5 times a power of ten (from 0.01)
/// that puts `low..=high` into at most [`MAX_BINS`] bins.
fn bin_width(low: Decimal, high: Decimal) -> Decimal {
    let mut power = Decimal::new(1, 2);
    loop {
        for step in [1, 2, 5] {
            let width = power * Decimal::from(step);
            let first = (low / width).floor();
            let last = (high / width).floor();
            if last - first < Decimal::from(MAX_BINS) {
                return width;
            }
        }
        match power.checked_mul(Decimal::TEN) {
            Some(next) => power = next,
            None => return power,
        }
    }
}

fn histogram(deltas: &[Decimal]) -> Vec<Bin> {
    let (Some(&low), Some(&high)) = (deltas.iter().min(), deltas.iter().max()) else {
        return Vec::new();
    };
    let width = bin_width(low, high);
    let first = (low / width).floor() * width;
    let count = ((high - first) / width).floor();
    let count = u64::try_from(count).unwrap_or(0) + 1;
    let mut bins: Vec<Bin> = (0..count)
        .map(|i| {
            let from = first + width * Decimal::from(i);
            Bin {
                from,
                to: from + width,
                accounts: 0,
            }
        })
        .collect();
    for &delta in deltas {
        let i = ((delta - first) / width).floor();
        if let Some(bin) = usize::try_from(i).ok().and_then(|i| bins.get_mut(i)) {
            bin.accounts += 1;
        }
    }
    bins
}

fn usd(amount: Option<Decimal>) -> String {
    amount.map_or_else(|| "overflow".to_owned(), |a| Usd(a).to_string())
}

fn float(amount: Option<Decimal>) -> f64 {
    amount
        .and_then(|a| a.to_string().parse().ok())
        .unwrap_or(0.0)
}

fn revenue_section(comparison: &Comparison) -> Markup {
    let runs: Vec<&ScenarioResult> = std::iter::once(&comparison.baseline)
        .chain(&comparison.scenarios)
        .collect();
    let names: Vec<String> = runs.iter().map(|r| r.name.clone()).collect();
    let baseline = comparison.baseline.totals.summary.revenue_usd();
    let bars: Vec<Bar> = runs
        .iter()
        .enumerate()
        .map(|(i, run)| Bar {
            x0: i as f64 - 0.4,
            x1: i as f64 + 0.4,
            height: float(run.totals.summary.revenue_usd()),
        })
        .collect();
    let chart = bar_chart(
        "Revenue by scenario (USD), the baseline first",
        &bars,
        (-0.5, runs.len() as f64 - 0.5),
        &month_labels(&names),
    );
    figure(
        chart,
        html! {
            table #scenarios {
                caption { "Revenue by scenario against the baseline (USD)" }
                tr {
                    th.t { "scenario" } th { "accounts" } th { "fees_usd" } th { "purchases_usd" }
                    th { "revenue_usd" } th { "revenue_delta_usd" }
                }
                @for run in &runs {
                    @let summary = &run.totals.summary;
                    @let revenue = summary.revenue_usd();
                    tr {
                        td.t { (run.name) } td { (run.accounts_seen) }
                        td { (Usd(summary.fees_usd)) } td { (Usd(summary.purchases_usd)) }
                        td { (usd(revenue)) }
                        td { (usd(revenue.zip(baseline).and_then(|(r, b)| r.checked_sub(b)))) }
                    }
                }
            }
        },
    )
}

fn deltas_section(comparison: &Comparison, run: &ScenarioResult) -> Markup {
    let all = deltas(comparison, run);
    let overflowed = all.iter().filter(|d| d.is_none()).count();
    let known: Vec<Decimal> = all.into_iter().flatten().collect();
    let bins = histogram(&known);
    let edges: Vec<String> = bins
        .iter()
        .map(|b| Usd(b.from).to_string())
        .chain(bins.last().map(|b| Usd(b.to).to_string()))
        .collect();
    let bars: Vec<Bar> = bins
        .iter()
        .enumerate()
        .map(|(i, b)| Bar {
            x0: i as f64 + 0.05,
            x1: i as f64 + 0.95,
            height: b.accounts as f64,
        })
        .collect();
    let chart = bar_chart(
        &format!("Accounts by revenue delta (USD) in {}", run.name),
        &bars,
        (0.0, bins.len().max(1) as f64),
        &month_labels(&edges),
    );
    html! {
        h3 { (run.name) }
        @if overflowed > 0 {
            p { (overflowed) " accounts are left out: their revenue overflows." }
        }
        (figure(chart, html! {
            table id={ "deltas-" (run.name) } {
                caption { "Accounts by revenue delta in " (run.name) " (USD, from inclusive, to exclusive)" }
                tr { th { "from_usd" } th { "to_usd" } th { "accounts" } }
                @for b in &bins {
                    tr { td { (Usd(b.from)) } td { (Usd(b.to)) } td { (b.accounts) } }
                }
            }
        }))
    }
}

/// The page of a comparison.
fn simulation(comparison: &Comparison) -> String {
    let body = html! {
        h1 { "creditsim simulation" }
        p {
            (comparison.baseline.accounts.len()) " accounts in the baseline; "
            (comparison.scenarios.len()) " scenarios."
        }
        h2 { "Revenue by scenario" }
        p { "The delta is the scenario's revenue (fees and extra credits) less the baseline's." }
        (revenue_section(comparison))
        h2 { "Per-account revenue deltas" }
        p {
            "For each scenario, how many accounts of the baseline would pay how much more "
            "(or less, below zero) than they do: accounts.csv's revenue_delta_usd."
        }
        @for run in &comparison.scenarios {
            (deltas_section(comparison, run))
        }
    };
    page("creditsim simulation", body)
}

/// Writes the comparison's `index.html` into `dir` (created if missing).
///
/// # Errors
///
/// The I/O error of creating `dir` or writing the page.
pub fn write_simulation(comparison: &Comparison, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("index.html"), simulation(comparison))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn bins_are_round_and_cover_every_delta() {
        let deltas = [d("-3.50"), d("0"), d("0"), d("14.00"), d("22.00")];
        let bins = histogram(&deltas);
        assert_eq!(bin_width(d("-3.50"), d("22.00")), d("5"));
        let edges: Vec<(Decimal, Decimal, u64)> =
            bins.iter().map(|b| (b.from, b.to, b.accounts)).collect();
        assert_eq!(
            edges,
            [
                (d("-5"), d("0"), 1),
                (d("0"), d("5"), 2),
                (d("5"), d("10"), 0),
                (d("10"), d("15"), 1),
                (d("15"), d("20"), 0),
                (d("20"), d("25"), 1),
            ]
        );
        let same = histogram(&[d("0"), d("0")]);
        assert_eq!(same.len(), 1);
        assert_eq!(
            (same[0].from, same[0].to, same[0].accounts),
            (d("0"), d("0.01"), 2)
        );
    }
}
