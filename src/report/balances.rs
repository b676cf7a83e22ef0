//! `balances.csv`: one row per account as of the as-of time.

use super::cells::CellPolicy;
use super::csv_writer;
use crate::core::time::format_time;
use crate::core::AccountView;
use std::io::{self, Write};

/// The header of `balances.csv`.
pub const HEADER: [&str; 7] = [
    "account",
    "status",
    "plan",
    "credits",
    "extra_credits",
    "cycle_start",
    "cycle_end",
];

/// Writes the balances of `accounts` (already sorted by name), account
/// and plan cells by `cells`.
pub fn write_balances<W: Write>(
    output: W,
    accounts: &[AccountView<'_>],
    cells: CellPolicy,
) -> io::Result<W> {
    let mut csv = csv_writer(output);
    csv.write_record(HEADER)?;
    for account in accounts {
        let (start, end) = account.cycle.map_or((String::new(), String::new()), |c| {
            (format_time(c.start), format_time(c.end))
        });
        csv.write_record([
            &cells.text(account.name),
            account.status.name(),
            &cells.text(account.plan.unwrap_or("")),
            &account.balance.credits.to_string(),
            &account.balance.extra_credits.to_string(),
            &start,
            &end,
        ])?;
    }
    csv.into_inner().map_err(|e| e.into_error())
}
