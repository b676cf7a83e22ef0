//! Sentences for the customer: why a row was refused, and where the
//! credits of a charge came from.

use super::model::Charge;
use crate::core::money::EXTRA_CREDITS_PACK;
use crate::core::time::format_time;
use crate::core::{Action, Reason, Rejection};
use chrono::TimeDelta;

/// Why an event was refused, in words for the customer. `event` is the
/// refused event's action (the no-subscription sentence depends on it) and
/// `task_window` the replay's.
///
/// ```
/// use creditsim::core::{Action, Rejection};
/// use creditsim::explain::sentences::rejection_sentence;
///
/// let call = Action::Call { provider: "suno", operation: "extend", task: Some("t10") };
/// let short = Rejection::InsufficientCredits { needed: 10, extra: 4, subscription: 0 };
/// let sentence = rejection_sentence(&call, &short, chrono::TimeDelta::hours(24));
/// assert_eq!(sentence, "the call needed 10 credits; 4 were left (4 extra, 0 subscription).");
/// ```
pub fn rejection_sentence(
    event: &Action<'_>,
    rejection: &Rejection,
    task_window: TimeDelta,
) -> String {
    let window = format_window(task_window);
    match rejection {
        Rejection::UnknownPlan { plan } => format!("there is no plan named {plan}."),
        Rejection::UnknownOperation {
            provider,
            operation,
        } => format!(
            "{provider} {operation} is not an operation of the API, so nothing was charged."
        ),
        Rejection::AlreadySubscribed { plan } => format!(
            "the account already has a subscription (plan {plan}); a new one can start only after it has ended."
        ),
        Rejection::NoActiveSubscription => match event {
            Action::Call { .. } => {
                "the call needs an active subscription, and the account had none at that time."
            }
            Action::Purchase { .. } => {
                "extra credits can be bought only with an active subscription, and the account had none at that time."
            }
            Action::Cancel => "there was no active subscription to cancel.",
            Action::ChangePlan { .. } => "there was no active subscription whose plan could change.",
            Action::Subscribe { .. } | Action::Refund { .. } => {
                "the account had no active subscription at that time."
            }
        }
        .to_owned(),
        Rejection::AlreadyCancelled { ends_at } => format!(
            "the subscription was already cancelled; it ends at {}.",
            format_time(*ends_at)
        ),
        Rejection::CancellationPending { ends_at } => format!(
            "the subscription is cancelled and ends at {}, so its plan can no longer change.",
            format_time(*ends_at)
        ),
        Rejection::InvalidCredits { credits } => format!(
            "extra credits are sold in packs of {EXTRA_CREDITS_PACK}, and {credits} is not a positive multiple of {EXTRA_CREDITS_PACK}."
        ),
        Rejection::DuplicateTask { task, charged_at } => format!(
            "task {task} was already charged at {}; a task is charged once within {window} of its charge.",
            format_time(*charged_at)
        ),
        Rejection::InsufficientCredits {
            needed,
            extra,
            subscription,
        } => {
            // u128: the two buckets together may exceed u64.
            let left = u128::from(*extra) + u128::from(*subscription);
            format!(
                "the call needed {needed} credits; {left} were left ({extra} extra, {subscription} subscription)."
            )
        }
        Rejection::UnknownTask { task } => format!(
            "there is no charge of task {task} within the last {window} to refund."
        ),
        Rejection::AlreadyRefunded { task, refunded_at } => format!(
            "task {task} was already refunded at {}; a charge is refunded once.",
            format_time(*refunded_at)
        ),
    }
}

/// Why a row that never reached the engine changed nothing; `detail` is
/// the reader's message (as in `rejections.csv`).
pub fn unread_sentence(reason: Reason, detail: &str) -> String {
    match reason {
        Reason::OutOfOrder => format!(
            "this row is out of time order in the usage log ({detail}), so it was not applied."
        ),
        _ => format!(
            "this row of the usage log could not be read ({detail}), so it was not applied."
        ),
    }
}

/// Where the credits of a charge came from, and why: extra credits are
/// spent first, the subscription covers the rest.
pub fn charge_sentence(charge: &Charge) -> String {
    let Charge {
        credits,
        extra,
        subscription,
        extra_before,
        ..
    } = charge;
    if *subscription == 0 {
        format!("all {credits} from extra credits, which are spent first ({extra_before} before the call)")
    } else if *extra == 0 {
        format!("all {credits} from subscription credits, as there were no extra credits")
    } else {
        format!(
            "{extra} from extra credits (all there were; they are spent first) and {subscription} from subscription credits"
        )
    }
}

/// A task window as `--task-window` takes it: whole days from a week on
/// (`7d`, `90d`), else the largest of hours, minutes and seconds that is
/// whole (`24h`, `48h`, `90m`, `45s`).
pub fn format_window(window: TimeDelta) -> String {
    let seconds = window.num_seconds();
    if seconds != 0 && seconds % 86_400 == 0 && seconds >= 7 * 86_400 {
        format!("{}d", seconds / 86_400)
    } else if seconds != 0 && seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else if seconds != 0 && seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}
