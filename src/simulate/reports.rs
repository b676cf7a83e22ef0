//! The reports of a simulation: `scenarios.csv`, `accounts.csv` and
//! `best_plans.csv` (RULES.md section 10).

use super::totals::{AccountResult, ScenarioResult};
use super::{BestPlan, Comparison};
use crate::core::money::MAX_USD;
use crate::core::Reason;
use crate::report::cells::CellPolicy;
use crate::report::csv_writer;
use crate::report::text::push_usd;
use rust_decimal::Decimal;
use std::io::{self, Write};

/// The header of `scenarios.csv`.
pub const SCENARIOS_HEADER: [&str; 16] = [
    "scenario",
    "accounts",
    "fees_usd",
    "purchases_usd",
    "revenue_usd",
    "revenue_delta_usd",
    "calls_accepted",
    "calls_rejected",
    "insufficient_credits",
    "skipped_purchases",
    "credits_granted",
    "credits_purchased",
    "credits_used",
    "credits_expired",
    "songs",
    "lyrics",
];

/// The header of `accounts.csv`.
pub const ACCOUNTS_HEADER: [&str; 9] = [
    "account",
    "scenario",
    "plan",
    "fees_usd",
    "purchases_usd",
    "revenue_usd",
    "revenue_delta_usd",
    "calls_rejected",
    "credits_expired",
];

/// The header of `best_plans.csv`.
pub const BEST_PLANS_HEADER: [&str; 6] = [
    "account",
    "current_plan",
    "current_cost_usd",
    "best_plan",
    "best_cost_usd",
    "saving_usd",
];

fn overflow(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the {what} total would overflow"),
    )
}

/// A dollar amount with 2 decimals, refused past what can be written
/// exactly ([`MAX_USD`], either sign).
/// Written as `Usd` writes it, by the reports' whole-cent fast path
/// (`Decimal`'s `Display` was half of writing `accounts.csv`).
fn usd(amount: Option<Decimal>, what: &str) -> io::Result<Vec<u8>> {
    let amount = amount
        .filter(|a| a.abs() <= MAX_USD)
        .ok_or_else(|| overflow(what))?;
    let mut text = Vec::with_capacity(16);
    push_usd(&mut text, amount);
    Ok(text)
}

fn difference(a: Option<Decimal>, b: Option<Decimal>) -> Option<Decimal> {
    a?.checked_sub(b?)
}

/// Writes `scenarios.csv`: the baseline, then the scenarios in order.
///
/// # Errors
///
/// The I/O error of writing to `output`.
pub fn write_scenarios<W: Write>(output: W, comparison: &Comparison) -> io::Result<W> {
    let mut csv = csv_writer(output);
    csv.write_record(SCENARIOS_HEADER)?;
    let baseline_revenue = comparison.baseline.totals.summary.revenue_usd();
    let insufficient = Reason::ALL
        .iter()
        .position(|r| *r == Reason::InsufficientCredits);
    for run in std::iter::once(&comparison.baseline).chain(&comparison.scenarios) {
        let totals = &run.totals;
        let summary = &totals.summary;
        let credits = &summary.credits;
        let revenue = summary.revenue_usd();
        let used = credits
            .used_extra
            .checked_add(credits.used_subscription)
            .and_then(|u| u.checked_sub(credits.refunded_extra))
            .and_then(|u| u.checked_sub(credits.refunded_subscription))
            .ok_or_else(|| overflow("credits used"))?;
        let counts = [
            totals.calls_accepted,
            totals.calls_rejected,
            insufficient.map_or(0, |i| summary.rejections[i]),
            totals.skipped_purchases,
            credits.granted,
            credits.purchased,
            used,
            credits.expired,
            summary.songs,
            summary.lyrics,
        ];
        csv.write_field(&run.name)?;
        csv.write_field(run.accounts_seen.to_string())?;
        csv.write_field(usd(Some(summary.fees_usd), "fees")?)?;
        csv.write_field(usd(Some(summary.purchases_usd), "purchases")?)?;
        csv.write_field(usd(revenue, "revenue")?)?;
        csv.write_field(usd(difference(revenue, baseline_revenue), "revenue delta")?)?;
        for count in counts {
            csv.write_field(count.to_string())?;
        }
        csv.write_record(None::<&[u8]>)?;
    }
    csv.into_inner().map_err(|e| e.into_error())
}

/// Writes `accounts.csv`: for every account of the baseline, by name, a
/// line for the baseline and one per scenario (zeros and no plan where
/// the scenario never saw the account). Account and plan cells by `cells`.
///
/// # Errors
///
/// The I/O error of writing to `output`.
pub fn write_accounts<W: Write>(
    output: W,
    comparison: &Comparison,
    cells: CellPolicy,
) -> io::Result<W> {
    let mut csv = csv_writer(output);
    csv.write_record(ACCOUNTS_HEADER)?;
    let runs: Vec<&ScenarioResult> = std::iter::once(&comparison.baseline)
        .chain(&comparison.scenarios)
        .collect();
    // Each scenario's accounts are sorted like the baseline's: walk them
    // side by side instead of searching.
    let mut next = vec![0usize; runs.len()];
    for account in &comparison.baseline.accounts {
        let name = account.account.as_str();
        let baseline_revenue = account.totals.revenue_usd();
        for (run, next) in runs.iter().zip(&mut next) {
            let rows = &run.accounts;
            while rows.get(*next).is_some_and(|a| a.account.as_str() < name) {
                *next += 1;
            }
            let unseen;
            let row = match rows.get(*next).filter(|a| a.account == name) {
                Some(row) => row,
                None => {
                    unseen = AccountResult {
                        account: name.to_owned(),
                        plan: None,
                        totals: Default::default(),
                    };
                    &unseen
                }
            };
            let totals = &row.totals;
            let revenue = totals.revenue_usd();
            csv.write_field(cells.text(name).as_bytes())?;
            csv.write_field(&run.name)?;
            csv.write_field(cells.text(row.plan.as_deref().unwrap_or("")).as_bytes())?;
            csv.write_field(usd(Some(totals.fees_usd), "fees")?)?;
            csv.write_field(usd(Some(totals.purchases_usd), "purchases")?)?;
            csv.write_field(usd(revenue, "revenue")?)?;
            csv.write_field(usd(difference(revenue, baseline_revenue), "revenue delta")?)?;
            let mut number = itoa::Buffer::new();
            csv.write_field(number.format(totals.calls_rejected))?;
            csv.write_field(number.format(totals.credits_expired))?;
            csv.write_record(None::<&[u8]>)?;
        }
    }
    csv.into_inner().map_err(|e| e.into_error())
}

/// Writes `best_plans.csv`, sorted by account.
///
/// # Errors
///
/// The I/O error of writing to `output`.
pub fn write_best_plans<W: Write>(
    output: W,
    best_plans: &[BestPlan],
    cells: CellPolicy,
) -> io::Result<W> {
    let mut csv = csv_writer(output);
    csv.write_record(BEST_PLANS_HEADER)?;
    for best in best_plans {
        csv.write_field(cells.text(&best.account).as_bytes())?;
        csv.write_field(cells.text(&best.current_plan).as_bytes())?;
        csv.write_field(usd(Some(best.current_cost_usd), "current cost")?)?;
        csv.write_field(cells.text(&best.best_plan).as_bytes())?;
        csv.write_field(usd(Some(best.best_cost_usd), "best cost")?)?;
        csv.write_field(usd(Some(best.saving_usd()), "saving")?)?;
        csv.write_record(None::<&[u8]>)?;
    }
    csv.into_inner().map_err(|e| e.into_error())
}
