//! `balances.csv`: one row per account as of the as-of time.

use super::cells::CellPolicy;
use super::csv_writer;
use super::text::write_time;
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
/// and plan cells by `cells`. A row per account: its cells are put
/// together in reused buffers, as in `statements.csv`.
///
/// # Errors
///
/// The I/O error of writing to `output`.
pub fn write_balances<W: Write>(
    output: W,
    accounts: &[AccountView<'_>],
    cells: CellPolicy,
) -> io::Result<W> {
    let mut csv = csv_writer(output);
    csv.write_record(HEADER)?;
    let mut number = itoa::Buffer::new();
    let mut time = Vec::new();
    for account in accounts {
        csv.write_field(cells.text(account.name).as_bytes())?;
        csv.write_field(account.status.name())?;
        csv.write_field(cells.text(account.plan.unwrap_or("")).as_bytes())?;
        csv.write_field(number.format(account.balance.credits))?;
        csv.write_field(number.format(account.balance.extra_credits))?;
        match account.cycle {
            Some(cycle) => {
                for at in [cycle.start, cycle.end] {
                    write_time(&mut time, at);
                    csv.write_field(&time)?;
                }
            }
            None => {
                csv.write_field("")?;
                csv.write_field("")?;
            }
        }
        csv.write_record(None::<&[u8]>)?;
    }
    csv.into_inner().map_err(|e| e.into_error())
}
