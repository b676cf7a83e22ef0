//! The pages, as maud templates: the overview and one page per account.

use super::chart::{line_chart, steps, Series, PALETTE};
use super::collect::{AccountData, Collected, CycleRow, Detail, Providers};
use crate::core::money::Usd;
use crate::core::time::{format_time, Instant};
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The style of every page, inline so that a page needs no other file.
const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}\
th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}\
th{background:#eee}td.t,th.t{text-align:left}\
.figure{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}\
.figure svg{max-width:100%;height:auto}";

/// How many accounts each top list of the overview shows.
const TOP: usize = 20;

pub(super) fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

pub(super) fn figure(chart: String, table: Markup) -> Markup {
    html! {
        div.figure {
            div.chart { (PreEscaped(chart)) }
            (table)
        }
    }
}

pub(super) fn month_labels(months: &[String]) -> impl Fn(f64) -> String + '_ {
    move |x: f64| {
        let i = x.round();
        if (x - i).abs() > 0.01 || i < 0.0 {
            return String::new();
        }
        months.get(i as usize).cloned().unwrap_or_default()
    }
}

fn day_label(x: f64) -> String {
    chrono::DateTime::from_timestamp(x as i64, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn seconds(t: Instant) -> f64 {
    t.timestamp() as f64
}

/// The file of the account ranked `rank` (from 0) by usage.
pub fn account_file(rank: usize) -> String {
    format!("account-{:05}.html", rank + 1)
}

/// The overview: revenue and credits per billing month, rejections by
/// reason, the top accounts. `pages[i]` is the page of `accounts[i]`, if
/// it has one.
pub fn overview(data: &Collected, by_usage: &[usize], pages: usize) -> String {
    let (revenue, credits) = month_charts(data);
    let by_rejections = by_rejections(data);
    let rank_of: rustc_hash::FxHashMap<usize, usize> = by_usage
        .iter()
        .take(pages)
        .enumerate()
        .map(|(rank, &i)| (i, rank))
        .collect();
    let account_cell = |i: usize| -> Markup {
        let name = &data.accounts[i].name;
        html! {
            @if let Some(&rank) = rank_of.get(&i) {
                a href=(account_file(rank)) { (name) }
            } @else {
                (name)
            }
        }
    };
    let body = html! {
        h1 { "creditsim report" }
        p { (data.accounts.len()) " accounts; " (pages) " account pages." }
        h2 { "Revenue per billing month" }
        p { "A billing month is the month its cycle starts in." }
        (figure(revenue, revenue_table(data)))
        h2 { "Credits per billing month" }
        (figure(credits, credits_table(data)))
        h2 { "Rejections by reason" }
        table #rejections {
            caption { "Rejections by reason" }
            tr { th.t { "reason" } th { "rows" } }
            @for (reason, count) in &data.rejections {
                tr { td.t { (reason) } td { (count) } }
            }
        }
        h2 { "Accounts with the most usage" }
        table #top-usage {
            caption { "Top accounts by credits used (net of refunds)" }
            tr { th { "rank" } th.t { "account" } th { "used" } th { "rejections" } }
            @for (rank, &i) in by_usage.iter().take(TOP).enumerate() {
                tr {
                    td { (rank + 1) } td.t { (account_cell(i)) }
                    td { (data.accounts[i].used) } td { (data.accounts[i].rejections) }
                }
            }
        }
        h2 { "Accounts with the most rejections" }
        table #top-rejections {
            caption { "Top accounts by rejected rows" }
            tr { th { "rank" } th.t { "account" } th { "rejections" } th { "used" } }
            @for (rank, &i) in by_rejections.iter().take(TOP).enumerate() {
                tr {
                    td { (rank + 1) } td.t { (account_cell(i)) }
                    td { (data.accounts[i].rejections) } td { (data.accounts[i].used) }
                }
            }
        }
    };
    page("creditsim report", body)
}

/// The overview's two charts: revenue, and credits, per billing month.
fn month_charts(data: &Collected) -> (String, String) {
    let months: Vec<String> = data.months.keys().map(ToString::to_string).collect();
    let totals: Vec<_> = data.months.values().collect();
    let index = |values: &dyn Fn(usize) -> f64| -> Vec<(f64, f64)> {
        (0..totals.len()).map(|i| (i as f64, values(i))).collect()
    };
    let usd = |d: rust_decimal::Decimal| d.to_string().parse::<f64>().unwrap_or(0.0);
    let revenue = line_chart(
        "Revenue per billing month (USD): fees and extra credits",
        &[
            Series {
                name: "fees".into(),
                colour: PALETTE[0],
                points: index(&|i| usd(totals[i].fees_usd)),
            },
            Series {
                name: "extra credits".into(),
                colour: PALETTE[1],
                points: index(&|i| usd(totals[i].purchases_usd)),
            },
        ],
        &month_labels(&months),
    );
    let credits = line_chart(
        "Credits per billing month: granted, used and expired",
        &[
            Series {
                name: "granted".into(),
                colour: PALETTE[0],
                points: index(&|i| totals[i].granted as f64),
            },
            Series {
                name: "used".into(),
                colour: PALETTE[1],
                points: index(&|i| totals[i].used as f64),
            },
            Series {
                name: "expired".into(),
                colour: PALETTE[2],
                points: index(&|i| totals[i].expired as f64),
            },
        ],
        &month_labels(&months),
    );
    (revenue, credits)
}

/// The accounts with rejections, the most first (then by name).
fn by_rejections(data: &Collected) -> Vec<usize> {
    let mut by_rejections: Vec<usize> = (0..data.accounts.len())
        .filter(|&i| data.accounts[i].rejections > 0)
        .collect();
    by_rejections.sort_by(|&a, &b| {
        let (a, b) = (&data.accounts[a], &data.accounts[b]);
        b.rejections
            .cmp(&a.rejections)
            .then_with(|| a.name.cmp(&b.name))
    });
    by_rejections
}

/// One account's page: its statement per cycle, its buckets over time and
/// its usage per cycle by provider.
pub fn account(data: &AccountData, detail: &Detail<'_>, providers: &Providers) -> String {
    let (points, span) = (detail.points, detail.span);
    let buckets = line_chart(
        &format!("Buckets of {} over time (credits)", data.name),
        &[
            Series {
                name: "extra".into(),
                colour: PALETTE[1],
                points: steps(points.iter().map(|p| (seconds(p.time), p.extra as f64))),
            },
            Series {
                name: "subscription".into(),
                colour: PALETTE[0],
                points: steps(
                    points
                        .iter()
                        .map(|p| (seconds(p.time), p.subscription as f64)),
                ),
            },
        ],
        &day_label,
    );
    let cycles: Vec<_> = detail.cycles.iter().collect();
    let usage = usage_chart(data, &cycles, providers);
    let body = html! {
        p { a href="index.html" { "← overview" } }
        h1 { "Account " (data.name) }
        p { "Credits used (net of refunds): " (data.used) "; rejected rows: " (data.rejections) "." }
        h2 { "Statement per cycle" }
        (statement_table(&cycles))
        h2 { "Buckets over time" }
        (figure(buckets, html! {
            details {
                summary {
                    @if span == 0 {
                        "The buckets after each of the " (points.len()) " ledger entries"
                    } @else {
                        "The buckets after the last entry of each of the " (points.len())
                        " spans of " (span / 60) " minutes with entries (the account has more than "
                        (super::points::MAX_POINTS) ")"
                    }
                }
                table #buckets {
                    caption { "Buckets after each ledger entry (or span of entries)" }
                    tr { th.t { "time" } th { "extra" } th { "subscription" } }
                    @for p in points {
                        tr { td.t { (format_time(p.time)) } td { (p.extra) } td { (p.subscription) } }
                    }
                }
            }
        }))
        h2 { "Usage per cycle by provider" }
        (figure(usage, html! {
            table #usage {
                caption { "Credits used per cycle by provider (net of refunds)" }
                tr { th.t { "cycle_start" } th.t { "provider" } th { "credits" } }
                @for c in &cycles {
                    @for &(provider, credits) in &c.by_provider {
                        tr {
                            td.t { (format_time(c.start)) } td.t { (providers.name(provider)) }
                            td { (credits) }
                        }
                    }
                }
            }
        }))
    };
    page(&format!("creditsim: account {}", data.name), body)
}

/// The chart of an account's usage per cycle, a line per provider.
fn usage_chart(data: &AccountData, cycles: &[&CycleRow], providers: &Providers) -> String {
    let used: std::collections::BTreeSet<u16> = cycles
        .iter()
        .flat_map(|c| c.by_provider.iter().map(|&(p, _)| p))
        .collect();
    let starts: Vec<String> = cycles
        .iter()
        .map(|c| c.start.format("%Y-%m-%d").to_string())
        .collect();
    let usage_series: Vec<Series> = used
        .iter()
        .enumerate()
        .map(|(n, &provider)| Series {
            name: providers.name(provider).to_owned(),
            colour: PALETTE[n % PALETTE.len()],
            points: cycles
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let credits = c
                        .by_provider
                        .iter()
                        .find(|&&(p, _)| p == provider)
                        .map_or(0, |&(_, credits)| credits);
                    (i as f64, credits as f64)
                })
                .collect(),
        })
        .collect();
    let labels = month_labels(&starts);
    line_chart(
        &format!("Credits used by {} per cycle, by provider", data.name),
        &usage_series,
        &labels,
    )
}

/// The table beside the revenue chart.
fn revenue_table(data: &Collected) -> Markup {
    html! {
        table #revenue {
            caption { "Revenue per billing month (USD)" }
            tr { th.t { "month" } th { "fees_usd" } th { "purchase_usd" } th { "total_usd" } }
            @for (month, t) in &data.months {
                tr {
                    td.t { (month) }
                    td { (Usd(t.fees_usd)) }
                    td { (Usd(t.purchases_usd)) }
                    td { (Usd(t.fees_usd.saturating_add(t.purchases_usd))) }
                }
            }
        }
    }
}

/// The table beside the credits chart.
fn credits_table(data: &Collected) -> Markup {
    html! {
        table #credits {
            caption { "Credits per billing month" }
            tr {
                th.t { "month" } th { "granted" } th { "purchased" } th { "used" }
                th { "refunded" } th { "expired" }
            }
            @for (month, t) in &data.months {
                tr {
                    td.t { (month) } td { (t.granted) } td { (t.purchased) } td { (t.used) }
                    td { (t.refunded) } td { (t.expired) }
                }
            }
        }
    }
}

/// An account's statement, a row per cycle.
fn statement_table(cycles: &[&CycleRow]) -> Markup {
    html! {
        table #statement {
            caption { "Statement per cycle" }
            tr {
                th.t { "cycle_start" } th.t { "cycle_end" } th.t { "plan" } th { "fee_usd" }
                th { "granted" } th { "purchased" } th { "purchase_usd" } th { "used_extra" }
                th { "used_subscription" } th { "refunded_extra" } th { "refunded_subscription" }
                th { "expired" }
            }
            @for c in cycles {
                tr {
                    td.t { (format_time(c.start)) } td.t { (format_time(c.end)) } td.t { (c.plan.as_deref().unwrap_or("")) }
                    td { (Usd(c.fee_usd)) } td { (c.granted) } td { (c.purchased) }
                    td { (Usd(c.purchase_usd)) } td { (c.used_extra) } td { (c.used_subscription) }
                    td { (c.refunded_extra) } td { (c.refunded_subscription) } td { (c.expired) }
                }
            }
        }
    }
}
