//! `summary.json`: the replay's totals.

use crate::core::money::Usd;
use crate::core::{Summary, TotalOverflow};
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::{self, Write};

#[derive(Serialize)]
struct SummaryJson {
    rows: u64,
    accepted: u64,
    rejected: u64,
    skipped: u64,
    rejections: Map<String, Value>,
    accounts: u64,
    fees_usd: String,
    purchases_usd: String,
    revenue_usd: String,
    credits: CreditsJson,
    songs: u64,
    lyrics: u64,
}

#[derive(Serialize)]
struct CreditsJson {
    granted: u64,
    purchased: u64,
    used_extra: u64,
    used_subscription: u64,
    refunded_extra: u64,
    refunded_subscription: u64,
    expired: u64,
}

/// Writes the summary as pretty-printed JSON (two-space indent, keys in
/// RULES.md order, rejection reasons in code order) and a final newline.
///
/// # Errors
///
/// The I/O error of writing to `output`.
pub fn write_summary<W: Write>(mut output: W, summary: &Summary, accounts: u64) -> io::Result<W> {
    let revenue = summary
        .revenue_usd()
        .ok_or_else(|| io::Error::other(TotalOverflow("revenue")))?;
    let credits = summary.credits;
    let json = SummaryJson {
        rows: summary.rows,
        accepted: summary.accepted,
        rejected: summary.rejected,
        skipped: summary.skipped,
        rejections: summary
            .rejections_by_reason()
            .map(|(reason, count)| (reason.code().to_owned(), Value::from(count)))
            .collect(),
        accounts,
        fees_usd: Usd(summary.fees_usd).to_string(),
        purchases_usd: Usd(summary.purchases_usd).to_string(),
        revenue_usd: Usd(revenue).to_string(),
        credits: CreditsJson {
            granted: credits.granted,
            purchased: credits.purchased,
            used_extra: credits.used_extra,
            used_subscription: credits.used_subscription,
            refunded_extra: credits.refunded_extra,
            refunded_subscription: credits.refunded_subscription,
            expired: credits.expired,
        },
        songs: summary.songs,
        lyrics: summary.lyrics,
    };
    serde_json::to_writer_pretty(&mut output, &json)?;
    output.write_all(b"\n")?;
    Ok(output)
}
