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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::parse_time;

    fn at(text: &str) -> crate::core::time::Instant {
        parse_time(text).unwrap()
    }

    const CALL: Action<'static> = Action::Call {
        provider: "suno",
        operation: "create",
        task: Some("t1"),
    };

    /// One rejection of every business code, the event it refused, and
    /// the sentence the customer reads.
    fn examples() -> Vec<(Action<'static>, Rejection, &'static str)> {
        vec![
            (
                Action::ChangePlan { plan: "xl" },
                Rejection::UnknownPlan { plan: "xl".into() },
                "there is no plan named xl.",
            ),
            (
                CALL,
                Rejection::UnknownOperation {
                    provider: "suno".into(),
                    operation: "remix".into(),
                },
                "suno remix is not an operation of the API, so nothing was charged.",
            ),
            (
                Action::Subscribe { plan: "basic" },
                Rejection::AlreadySubscribed {
                    plan: "basic".into(),
                },
                "the account already has a subscription (plan basic); a new one can start only after it has ended.",
            ),
            (
                CALL,
                Rejection::NoActiveSubscription,
                "the call needs an active subscription, and the account had none at that time.",
            ),
            (
                Action::Cancel,
                Rejection::AlreadyCancelled {
                    ends_at: at("2025-02-15T12:00:00Z"),
                },
                "the subscription was already cancelled; it ends at 2025-02-15T12:00:00Z.",
            ),
            (
                Action::ChangePlan { plan: "pro" },
                Rejection::CancellationPending {
                    ends_at: at("2025-02-15T12:00:00Z"),
                },
                "the subscription is cancelled and ends at 2025-02-15T12:00:00Z, so its plan can no longer change.",
            ),
            (
                Action::Purchase { credits: 15 },
                Rejection::InvalidCredits { credits: 15 },
                "extra credits are sold in packs of 10, and 15 is not a positive multiple of 10.",
            ),
            (
                CALL,
                Rejection::DuplicateTask {
                    task: "t1".into(),
                    charged_at: at("2025-07-01T10:00:00Z"),
                },
                "task t1 was already charged at 2025-07-01T10:00:00Z; a task is charged once within 24h of its charge.",
            ),
            (
                CALL,
                Rejection::InsufficientCredits {
                    needed: 10,
                    extra: 4,
                    subscription: 0,
                },
                "the call needed 10 credits; 4 were left (4 extra, 0 subscription).",
            ),
            (
                Action::Refund { task: "nope" },
                Rejection::UnknownTask {
                    task: "nope".into(),
                },
                "there is no charge of task nope within the last 24h to refund.",
            ),
            (
                Action::Refund { task: "g1" },
                Rejection::AlreadyRefunded {
                    task: "g1".into(),
                    refunded_at: at("2025-05-10T11:00:00Z"),
                },
                "task g1 was already refunded at 2025-05-10T11:00:00Z; a charge is refunded once.",
            ),
        ]
    }

    #[test]
    fn every_business_code_has_its_sentence() {
        let examples = examples();
        for (action, rejection, sentence) in &examples {
            let window = TimeDelta::hours(24);
            assert_eq!(rejection_sentence(action, rejection, window), *sentence);
        }
        let mut covered: Vec<Reason> = examples.iter().map(|(_, r, _)| r.reason()).collect();
        covered.extend([Reason::Malformed, Reason::OutOfOrder]);
        covered.sort();
        assert_eq!(covered, Reason::ALL, "a code without an example");
    }

    #[test]
    fn rows_that_never_reached_the_engine() {
        assert_eq!(
            unread_sentence(Reason::Malformed, "expected 8 fields, found 5"),
            "this row of the usage log could not be read (expected 8 fields, found 5), so it was not applied."
        );
        assert_eq!(
            unread_sentence(Reason::OutOfOrder, "time T is earlier than U on line 9"),
            "this row is out of time order in the usage log (time T is earlier than U on line 9), so it was not applied."
        );
    }

    #[test]
    fn no_subscription_says_what_needed_one() {
        let sentence = |action| {
            rejection_sentence(&action, &Rejection::NoActiveSubscription, TimeDelta::zero())
        };
        assert_eq!(
            sentence(Action::Purchase { credits: 10 }),
            "extra credits can be bought only with an active subscription, and the account had none at that time."
        );
        assert_eq!(
            sentence(Action::Cancel),
            "there was no active subscription to cancel."
        );
        assert_eq!(
            sentence(Action::ChangePlan { plan: "pro" }),
            "there was no active subscription whose plan could change."
        );
    }

    #[test]
    fn buckets_both_left_are_added_without_overflow() {
        let short = Rejection::InsufficientCredits {
            needed: 10,
            extra: u64::MAX,
            subscription: u64::MAX,
        };
        let sentence = rejection_sentence(&CALL, &short, TimeDelta::hours(1));
        assert!(
            sentence.contains("; 36893488147419103230 were left"),
            "{sentence}"
        );
    }

    fn charge(extra_before: u64, extra: u64, subscription: u64) -> Charge {
        Charge {
            time: at("2025-07-01T00:00:00Z"),
            provider: "suno".into(),
            operation: "create".into(),
            cycle: None,
            credits: extra + subscription,
            extra_before,
            extra,
            subscription,
            refund: None,
        }
    }

    #[test]
    fn where_the_credits_of_a_charge_came_from() {
        assert_eq!(
            charge_sentence(&charge(12, 10, 0)),
            "all 10 from extra credits, which are spent first (12 before the call)"
        );
        assert_eq!(
            charge_sentence(&charge(0, 0, 10)),
            "all 10 from subscription credits, as there were no extra credits"
        );
        assert_eq!(
            charge_sentence(&charge(8, 8, 2)),
            "8 from extra credits (all there were; they are spent first) and 2 from subscription credits"
        );
    }

    #[test]
    fn windows_in_the_units_of_the_option() {
        let cases = [
            (TimeDelta::hours(24), "24h"),
            (TimeDelta::hours(48), "48h"),
            (TimeDelta::days(7), "7d"),
            (TimeDelta::days(90), "90d"),
            (TimeDelta::minutes(90), "90m"),
            (TimeDelta::seconds(45), "45s"),
            (TimeDelta::zero(), "0s"),
        ];
        for (window, text) in cases {
            assert_eq!(format_window(window), text);
        }
    }
}
