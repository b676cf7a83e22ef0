//! The plain-text statement of `creditsim explain`.

use super::model::{Charge, Explanation, Note, Period, Refund, RejectionNote, TaskLine, Usage};
use super::sentences::{charge_sentence, format_window};
use crate::core::money::Usd;
use crate::core::time::format_time;
use std::fmt::Write;

/// The statement as text, one line per fact, ending with a newline.
pub fn render_text(explanation: &Explanation) -> String {
    let mut out = String::new();
    let as_of = explanation
        .as_of
        .map_or_else(|| "no time".to_owned(), format_time);
    line(
        &mut out,
        0,
        &format!(
            "Account {}, as of {as_of} (task window {})",
            explanation.account,
            format_window(explanation.task_window)
        ),
    );
    if explanation.periods.is_empty() {
        out.push('\n');
        line(&mut out, 0, "No events up to the as-of time.");
    }
    for period in &explanation.periods {
        out.push('\n');
        render_period(&mut out, period, explanation);
    }
    if !explanation.unread.is_empty() {
        out.push('\n');
        line(&mut out, 0, "Rows that could not be read:");
        for note in &explanation.unread {
            rejection_line(&mut out, note);
        }
    }
    out.push('\n');
    let now = &explanation.now;
    let mut state = now.status.name().to_owned();
    if let Some(plan) = &now.plan {
        let _ = write!(state, ", plan {plan}");
    }
    if let Some(cycle) = now.cycle {
        let _ = write!(
            state,
            ", cycle {} to {}",
            format_time(cycle.start),
            format_time(cycle.end)
        );
    }
    line(
        &mut out,
        0,
        &format!(
            "Balance now: {{\"credits\":{},\"extra_credits\":{}}} ({state})",
            now.balance.credits, now.balance.extra_credits
        ),
    );
    if let Some(answer) = &explanation.task {
        out.push('\n');
        if answer.lines.is_empty() {
            line(
                &mut out,
                0,
                &format!("Task {}: no event of this account names it.", answer.task),
            );
        } else {
            line(&mut out, 0, &format!("Task {}:", answer.task));
        }
        for task_line in &answer.lines {
            line(&mut out, 1, &task_sentence(task_line));
        }
    }
    out
}

fn line(out: &mut String, indent: usize, text: &str) {
    for _ in 0..indent {
        out.push_str("  ");
    }
    out.push_str(text);
    out.push('\n');
}

fn render_period(out: &mut String, period: &Period, explanation: &Explanation) {
    let current = period_heading(out, period, explanation);
    period_lists(out, period);
    period_end(out, period, explanation, current);
}

/// The period's first line: its cycle and terms, or the time without a
/// subscription. Returns whether it is the current cycle.
fn period_heading(out: &mut String, period: &Period, explanation: &Explanation) -> bool {
    match &period.terms {
        Some(terms) => {
            let current = explanation.now.cycle == Some(terms.cycle);
            line(
                out,
                0,
                &format!(
                    "Cycle {} to {}{}: plan {}, fee ${}, {} credits granted",
                    format_time(terms.cycle.start),
                    format_time(terms.cycle.end),
                    if current { " (current)" } else { "" },
                    terms.plan,
                    Usd(terms.fee_usd),
                    terms.granted
                ),
            );
            current
        }
        None => {
            let since = period
                .since
                .map_or_else(String::new, |t| format!(" from {}", format_time(t)));
            let until = period
                .until
                .map_or_else(String::new, |t| format!(" to {}", format_time(t)));
            line(out, 0, &format!("No subscription{since}{until}"));
            false
        }
    }
}

/// What happened in the period: notes, purchases, usage, refunds and
/// rejections.
fn period_lists(out: &mut String, period: &Period) {
    for (i, note) in period.notes.iter().enumerate() {
        let mut text = note_sentence(note);
        let replaced = matches!(note, Note::PlanChange { .. })
            && period.notes[i + 1..]
                .iter()
                .any(|later| matches!(later, Note::PlanChange { .. }));
        if replaced {
            text.push_str(" (replaced by the later change)");
        }
        line(out, 1, &text);
    }
    if !period.purchases.is_empty() {
        line(out, 1, "Purchases:");
        for p in &period.purchases {
            line(
                out,
                2,
                &format!(
                    "{}  {} extra credits for ${}",
                    format_time(p.time),
                    p.credits,
                    Usd(p.price_usd)
                ),
            );
        }
    }
    if period.usage.is_empty() {
        line(out, 1, "No calls.");
    } else {
        line(out, 1, "Usage:");
        usage_table(out, &period.usage);
    }
    if !period.refunds.is_empty() {
        line(out, 1, "Refunds:");
        for refund in &period.refunds {
            line(out, 2, &refund_sentence(refund));
        }
    }
    if !period.rejections.is_empty() {
        line(out, 1, "Rejected:");
        for note in &period.rejections {
            rejection_line(out, note);
        }
    }
}

/// The period's last line: the credits left now, or those expired at its
/// end.
fn period_end(out: &mut String, period: &Period, explanation: &Explanation, current: bool) {
    if let Some(terms) = &period.terms {
        if current {
            line(
                out,
                1,
                &format!(
                    "Subscription credits left: {}",
                    explanation.now.balance.credits
                ),
            );
        } else {
            let cancelled = period
                .notes
                .iter()
                .any(|n| matches!(n, Note::Cancelled { .. }));
            line(
                out,
                1,
                &format!(
                    "Expired at the end of the cycle, {}: {} subscription credits{}",
                    format_time(terms.cycle.end),
                    period.expired_at_end,
                    if cancelled {
                        "; the subscription ended there, as cancelled"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
}

fn usage_table(out: &mut String, usage: &[Usage]) {
    let header = [
        "provider",
        "operation",
        "calls",
        "from extra",
        "from subscription",
        "songs",
        "lyrics",
    ];
    let rows: Vec<[String; 7]> = usage
        .iter()
        .map(|u| {
            [
                u.provider.clone(),
                u.operation.clone(),
                u.calls.to_string(),
                u.credits_extra.to_string(),
                u.credits_subscription.to_string(),
                u.songs.to_string(),
                u.lyrics.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header = header.map(str::to_owned);
    for row in std::iter::once(&header).chain(&rows) {
        let mut text = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            let pad = " ".repeat(width.saturating_sub(cell.chars().count()));
            // Names to the left, numbers to the right.
            if i < 2 {
                let _ = write!(text, "{cell}{pad}  ");
            } else {
                let _ = write!(text, "{pad}{cell}  ");
            }
        }
        line(out, 2, text.trim_end());
    }
}

fn note_sentence(note: &Note) -> String {
    match note {
        Note::Subscribed { time, plan } => {
            format!("{}  subscribed to {plan}", format_time(*time))
        }
        Note::Cancelled { time, ends_at } => format!(
            "{}  cancelled: the subscription ends at {}",
            format_time(*time),
            format_time(*ends_at)
        ),
        Note::PlanChange { time, plan, from } => format!(
            "{}  plan change to {plan} asked, from {}",
            format_time(*time),
            format_time(*from)
        ),
    }
}

fn refund_sentence(refund: &Refund) -> String {
    let call = refund
        .call
        .as_ref()
        .map_or_else(String::new, |(p, o)| format!(" ({p} {o})"));
    let mut text = format!(
        "{}  task {}{call}: {} extra and {} subscription credits returned",
        format_time(refund.time),
        refund.task,
        refund.extra,
        refund.subscription
    );
    if refund.expired_at_once > 0 {
        let _ = write!(
            text,
            "; the {} subscription credits expired at once, as their cycle had ended",
            refund.expired_at_once
        );
    }
    text
}

fn rejection_line(out: &mut String, note: &RejectionNote) {
    line(
        out,
        2,
        &format!(
            "{}  {} ({}:{})  {}: {}",
            note.time, note.event, note.file, note.line, note.reason, note.sentence
        ),
    );
}

/// One line of the `--task` answer.
pub fn task_sentence(task_line: &TaskLine) -> String {
    match task_line {
        TaskLine::Charge(charge) => charge_line(charge),
        TaskLine::Free {
            time,
            provider,
            operation,
        } => format!(
            "{}  {provider} {operation} costs nothing: no credits were charged",
            format_time(*time)
        ),
        TaskLine::Rejected(note) => format!(
            "{}  {} rejected ({}:{}), {}: {}",
            note.time, note.event, note.file, note.line, note.reason, note.sentence
        ),
    }
}

fn charge_line(charge: &Charge) -> String {
    let cycle = charge.cycle.as_ref().map_or_else(String::new, |(c, plan)| {
        format!(
            " in the cycle {} to {} ({plan})",
            format_time(c.start),
            format_time(c.end)
        )
    });
    let mut text = format!(
        "{}  {} {}: {} credits charged{cycle}: {}",
        format_time(charge.time),
        charge.provider,
        charge.operation,
        charge.credits,
        charge_sentence(charge)
    );
    if let Some(refund) = &charge.refund {
        let _ = write!(
            text,
            "; refunded at {}: {} extra and {} subscription credits returned",
            format_time(refund.time),
            refund.extra,
            refund.subscription
        );
        if refund.expired_at_once > 0 {
            let _ = write!(
                text,
                ", and the {} subscription credits expired at once, as the cycle had ended",
                refund.expired_at_once
            );
        }
    }
    text.push('.');
    text
}
