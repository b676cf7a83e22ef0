//! The JSON statement of `creditsim explain --format json`, for a support
//! tool. The shape is documented in the module docs of [`super`].

use super::model::{Charge, Explanation, Note, Period, Refund, RejectionNote, TaskLine, Usage};
use super::sentences::{charge_sentence, format_window};
use crate::core::money::Usd;
use crate::core::time::{format_time, Instant};
use crate::core::Cycle;
use serde_json::{json, Value};

/// The statement as pretty-printed JSON, ending with a newline.
pub fn render_json(explanation: &Explanation) -> String {
    // `{:#}` is serde_json's pretty printer (two spaces), which cannot fail
    // on a `Value`.
    format!("{:#}\n", to_value(explanation))
}

/// The statement as a JSON value.
pub fn to_value(explanation: &Explanation) -> Value {
    let now = &explanation.now;
    json!({
        "account": explanation.account,
        "as_of": explanation.as_of.map(format_time),
        "task_window": format_window(explanation.task_window),
        "periods": explanation.periods.iter().map(|p| period(p, explanation)).collect::<Vec<_>>(),
        "unread": explanation.unread.iter().map(rejection).collect::<Vec<_>>(),
        "now": {
            "status": now.status.name(),
            "plan": now.plan,
            "cycle_start": now.cycle.map(|c| format_time(c.start)),
            "cycle_end": now.cycle.map(|c| format_time(c.end)),
            "balance": {
                "credits": now.balance.credits,
                "extra_credits": now.balance.extra_credits,
            },
        },
        "task": explanation.task.as_ref().map(|answer| json!({
            "task": answer.task,
            "lines": answer.lines.iter().map(task_line).collect::<Vec<_>>(),
        })),
    })
}

fn time(t: Instant) -> String {
    format_time(t)
}

fn period(period: &Period, explanation: &Explanation) -> Value {
    let mut value = match &period.terms {
        Some(terms) => {
            let current = explanation.now.cycle == Some(terms.cycle);
            json!({
                "kind": "cycle",
                "cycle_start": time(terms.cycle.start),
                "cycle_end": time(terms.cycle.end),
                "state": if current { "current" } else { "ended" },
                "plan": terms.plan,
                "fee_usd": Usd(terms.fee_usd).to_string(),
                "granted": terms.granted,
            })
        }
        None => json!({
            "kind": "no_subscription",
            "since": period.since.map(time),
            "until": period.until.map(time),
        }),
    };
    let notes: Vec<Value> = period.notes.iter().map(note).collect();
    let purchases: Vec<Value> = period
        .purchases
        .iter()
        .map(|p| {
            json!({
                "time": time(p.time),
                "credits": p.credits,
                "price_usd": Usd(p.price_usd).to_string(),
            })
        })
        .collect();
    let fields = [
        ("notes", Value::from(notes)),
        ("purchases", Value::from(purchases)),
        (
            "usage",
            Value::from(period.usage.iter().map(usage).collect::<Vec<_>>()),
        ),
        (
            "refunds",
            Value::from(period.refunds.iter().map(refund).collect::<Vec<_>>()),
        ),
        (
            "rejections",
            Value::from(period.rejections.iter().map(rejection).collect::<Vec<_>>()),
        ),
        ("expired_at_end", Value::from(period.expired_at_end)),
    ];
    if let Value::Object(map) = &mut value {
        for (key, field) in fields {
            map.insert(key.to_owned(), field);
        }
    }
    value
}

fn note(note: &Note) -> Value {
    match note {
        Note::Subscribed { time: t, plan } => {
            json!({"kind": "subscribed", "time": time(*t), "plan": plan})
        }
        Note::Cancelled { time: t, ends_at } => {
            json!({"kind": "cancelled", "time": time(*t), "ends_at": time(*ends_at)})
        }
        Note::PlanChange {
            time: t,
            plan,
            from,
        } => {
            json!({"kind": "plan_change", "time": time(*t), "plan": plan, "from": time(*from)})
        }
    }
}

fn usage(u: &Usage) -> Value {
    json!({
        "provider": u.provider,
        "operation": u.operation,
        "calls": u.calls,
        "credits_extra": u.credits_extra,
        "credits_subscription": u.credits_subscription,
        "songs": u.songs,
        "lyrics": u.lyrics,
    })
}

fn refund(r: &Refund) -> Value {
    json!({
        "time": time(r.time),
        "task": r.task,
        "provider": r.call.as_ref().map(|c| c.0.clone()),
        "operation": r.call.as_ref().map(|c| c.1.clone()),
        "extra": r.extra,
        "subscription": r.subscription,
        "expired_at_once": r.expired_at_once,
    })
}

fn rejection(note: &RejectionNote) -> Value {
    json!({
        "time": note.time,
        "file": note.file,
        "line": note.line,
        "event": note.event,
        "reason": note.reason.code(),
        "detail": note.detail,
        "sentence": note.sentence,
    })
}

fn cycle_fields(cycle: Option<&(Cycle, String)>) -> (Value, Value, Value) {
    match cycle {
        Some((c, plan)) => (
            Value::from(time(c.start)),
            Value::from(time(c.end)),
            Value::from(plan.as_str()),
        ),
        None => (Value::Null, Value::Null, Value::Null),
    }
}

fn task_line(line: &TaskLine) -> Value {
    match line {
        TaskLine::Charge(charge) => charge_value(charge),
        TaskLine::Free {
            time: t,
            provider,
            operation,
        } => json!({
            "kind": "free",
            "time": time(*t),
            "provider": provider,
            "operation": operation,
        }),
        TaskLine::Rejected(note) => {
            let mut value = json!({"kind": "rejected"});
            if let (Value::Object(map), Value::Object(fields)) = (&mut value, rejection(note)) {
                map.extend(fields);
            }
            value
        }
    }
}

fn charge_value(charge: &Charge) -> Value {
    let (start, end, plan) = cycle_fields(charge.cycle.as_ref());
    json!({
        "kind": "charge",
        "time": time(charge.time),
        "provider": charge.provider,
        "operation": charge.operation,
        "cycle_start": start,
        "cycle_end": end,
        "plan": plan,
        "credits": charge.credits,
        "extra_before": charge.extra_before,
        "extra": charge.extra,
        "subscription": charge.subscription,
        "why": charge_sentence(charge),
        "refund": charge.refund.as_ref().map(refund),
    })
}
