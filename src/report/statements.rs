//! `statements.csv`: one row per account and billing cycle.

use super::cells::CellPolicy;
use super::csv_writer;
use crate::core::money::Usd;
use crate::core::time::format_time;
use crate::core::Statement;
use std::io::{self, Write};

/// The header of `statements.csv`.
pub const HEADER: [&str; 17] = [
    "account",
    "cycle_start",
    "cycle_end",
    "plan",
    "fee_usd",
    "granted",
    "purchased",
    "purchase_usd",
    "used_extra",
    "used_subscription",
    "refunded_extra",
    "refunded_subscription",
    "expired",
    "calls",
    "songs",
    "lyrics",
    "rejected",
];

/// Writes `statements` (already sorted) with the account names, account
/// and plan cells by `cells`.
pub fn write_statements<'a, W: Write>(
    output: W,
    statements: &[Statement],
    name: impl Fn(&Statement) -> &'a str,
    cells: CellPolicy,
) -> io::Result<W> {
    let mut csv = csv_writer(output);
    csv.write_record(HEADER)?;
    for s in statements {
        let c = &s.credits;
        let counts = [
            c.granted,
            c.purchased,
            c.used_extra,
            c.used_subscription,
            c.refunded_extra,
            c.refunded_subscription,
            c.expired,
            s.calls,
            s.songs,
            s.lyrics,
            s.rejected,
        ]
        .map(|n| n.to_string());
        let [granted, purchased, counts @ ..] = counts;
        csv.write_record(
            [
                cells.text(name(s)).into_owned(),
                format_time(s.cycle.start),
                format_time(s.cycle.end),
                cells.text(&s.plan).into_owned(),
                Usd(s.fee_usd).to_string(),
                granted,
                purchased,
                Usd(s.purchase_usd).to_string(),
            ]
            .iter()
            .chain(counts.iter()),
        )?;
    }
    csv.into_inner().map_err(|e| e.into_error())
}
