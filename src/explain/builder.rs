//! Builds an [`Explanation`] from what the engine did to one account: its
//! ledger entries and the outcome of each of its events, in replay order.

use super::model::{
    Charge, CycleTerms, Explanation, Note, Now, Period, Purchase, Refund, RejectionNote,
    TaskAnswer, TaskLine, Usage,
};
use super::sentences::{rejection_sentence, unread_sentence};
use crate::core::time::{format_time, Instant};
use crate::core::{Action, Applied, Cycle, Effect, EntryKind, Event, LedgerEntry, Rejection};
use crate::report::rejections::RejectedRow;
use chrono::TimeDelta;
use std::collections::HashMap;

/// Collects one account's history. Fed by a replay as an
/// [`EntrySink`](crate::report::sink::EntrySink) (it ignores other
/// accounts), or directly with [`ExplainBuilder::entry`]
/// and [`ExplainBuilder::applied`] in the order the engine made them.
#[derive(Debug)]
pub struct ExplainBuilder {
    pub(super) account: String,
    task: Option<String>,
    task_window: TimeDelta,
    periods: Vec<Period>,
    unread: Vec<RejectionNote>,
    /// The call of each task's latest charge: a refund entry does not say
    /// which call it undoes.
    calls_by_task: HashMap<String, (String, String)>,
    /// The account's charge entry of the event being applied.
    charge: Option<LedgerEntry>,
    /// The kind of the account's previous entry of the event being
    /// applied: an expiry right after a refund is the refund's own.
    last_kind: Option<EntryKind>,
    task_lines: Vec<TaskLine>,
}

impl ExplainBuilder {
    /// A builder for `account`; with `task`, the explanation ends with
    /// every event naming that task.
    pub fn new(account: &str, task: Option<&str>, task_window: TimeDelta) -> Self {
        ExplainBuilder {
            account: account.to_owned(),
            task: task.map(str::to_owned),
            task_window,
            periods: Vec::new(),
            unread: Vec::new(),
            calls_by_task: HashMap::new(),
            charge: None,
            last_kind: None,
            task_lines: Vec::new(),
        }
    }

    /// One ledger entry of the account.
    pub fn entry(&mut self, entry: &LedgerEntry) {
        let credits = magnitude(entry.subscription_delta);
        match entry.kind {
            EntryKind::Fee => {
                let period = self.cycle_period(entry.cycle);
                if let Some(terms) = &mut period.terms {
                    terms.plan = entry.plan.as_deref().unwrap_or("").to_owned();
                    terms.fee_usd = entry.usd;
                }
            }
            EntryKind::Grant => {
                if let Some(terms) = &mut self.cycle_period(entry.cycle).terms {
                    terms.granted = credits;
                }
            }
            // The expiry of a late refund is counted with the refund.
            EntryKind::Expire if self.last_kind != Some(EntryKind::Refund) => {
                let period = self.cycle_period(entry.cycle);
                period.expired_at_end = period.expired_at_end.saturating_add(credits);
            }
            EntryKind::Charge => self.charge = Some(entry.clone()),
            EntryKind::Expire | EntryKind::Purchase | EntryKind::Refund => {}
        }
        self.last_kind = Some(entry.kind);
    }

    /// The outcome of one event of the account, after its entries; the
    /// row is at `file`:`line`.
    pub fn applied(&mut self, event: &Event<'_>, applied: &Applied, file: &str, line: u64) {
        let charge = self.charge.take();
        self.last_kind = None;
        let time = event.time;
        match (&applied.outcome, event.action) {
            (Ok(Effect::Subscribed { cycle }), Action::Subscribe { plan }) => {
                let plan = plan.to_owned();
                self.cycle_period(*cycle)
                    .notes
                    .push(Note::Subscribed { time, plan });
            }
            (Ok(Effect::Cancelled { ends_at }), _) => {
                let ends_at = *ends_at;
                self.period_for(applied.cycle)
                    .notes
                    .push(Note::Cancelled { time, ends_at });
            }
            (Ok(Effect::PlanChangeScheduled { plan, from }), _) => {
                let note = Note::PlanChange {
                    time,
                    plan: plan.to_string(),
                    from: *from,
                };
                self.period_for(applied.cycle).notes.push(note);
            }
            (Ok(Effect::Purchased { credits, price_usd }), _) => {
                let purchase = Purchase {
                    time,
                    credits: *credits,
                    price_usd: *price_usd,
                };
                self.period_for(applied.cycle).purchases.push(purchase);
            }
            (Ok(Effect::Called { .. }), Action::Call { .. }) => {
                self.called(event, applied, charge.as_ref());
            }
            (Ok(Effect::Refunded { .. }), Action::Refund { .. }) => self.refunded(event, applied),
            (Err(rejection), action) => {
                self.rejected(time, action, applied.cycle, rejection, file, line);
            }
            // The engine gives each action its own effect.
            (Ok(_), _) => {}
        }
    }

    /// An accepted call: its usage, the provider and operation of its task
    /// for a later refund, and its line when it names the asked task.
    fn called(&mut self, event: &Event<'_>, applied: &Applied, charge: Option<&LedgerEntry>) {
        let (
            Ok(Effect::Called {
                credits,
                extra,
                subscription,
                songs,
                lyrics,
            }),
            Action::Call {
                provider,
                operation,
                task,
            },
        ) = (&applied.outcome, event.action)
        else {
            return;
        };
        let time = event.time;
        let usage = usage_of(self.period_for(applied.cycle), provider, operation);
        usage.calls = usage.calls.saturating_add(1);
        usage.credits_extra = usage.credits_extra.saturating_add(*extra);
        usage.credits_subscription = usage.credits_subscription.saturating_add(*subscription);
        usage.songs = usage.songs.saturating_add(*songs);
        usage.lyrics = usage.lyrics.saturating_add(*lyrics);
        if *credits > 0 {
            if let Some(task) = task {
                self.calls_by_task
                    .insert(task.to_owned(), (provider.to_owned(), operation.to_owned()));
            }
        }
        if task.is_none() || task != self.task.as_deref() {
            return;
        }
        let line = if *credits == 0 {
            TaskLine::Free {
                time,
                provider: provider.to_owned(),
                operation: operation.to_owned(),
            }
        } else {
            let cycle = applied.cycle.map(|c| (c, self.plan_of(c)));
            TaskLine::Charge(Charge {
                time,
                provider: provider.to_owned(),
                operation: operation.to_owned(),
                cycle,
                credits: *credits,
                extra_before: charge.map_or(*extra, |c| {
                    c.extra_balance.saturating_add(magnitude(c.extra_delta))
                }),
                extra: *extra,
                subscription: *subscription,
                refund: None,
            })
        };
        self.task_lines.push(line);
    }

    /// An accepted refund, counted in the cycle of the charge it undoes.
    fn refunded(&mut self, event: &Event<'_>, applied: &Applied) {
        let (
            Ok(Effect::Refunded {
                charge_cycle,
                extra,
                subscription,
                expired,
                songs,
                lyrics,
            }),
            Action::Refund { task },
        ) = (&applied.outcome, event.action)
        else {
            return;
        };
        let call = self.calls_by_task.get(task).cloned();
        let refund = Refund {
            time: event.time,
            task: task.to_owned(),
            call: call.clone(),
            extra: *extra,
            subscription: *subscription,
            expired_at_once: *expired,
        };
        let period = self.cycle_period(*charge_cycle);
        if let Some((provider, operation)) = &call {
            let usage = usage_of(period, provider, operation);
            usage.songs = usage.songs.saturating_sub(*songs);
            usage.lyrics = usage.lyrics.saturating_sub(*lyrics);
        }
        period.refunds.push(refund.clone());
        if Some(task) == self.task.as_deref() {
            let latest = self.task_lines.iter_mut().rev().find_map(|l| match l {
                TaskLine::Charge(c) => Some(c),
                _ => None,
            });
            if let Some(charge) = latest {
                charge.refund = Some(refund);
            }
        }
    }

    /// A rejected event, with the sentence that explains it to a customer.
    fn rejected(
        &mut self,
        time: Instant,
        action: Action<'_>,
        cycle: Option<Cycle>,
        rejection: &Rejection,
        file: &str,
        line: u64,
    ) {
        let note = RejectionNote {
            time: format_time(time),
            file: file.to_owned(),
            line,
            event: action.name().to_owned(),
            reason: rejection.reason(),
            detail: rejection.to_string(),
            sentence: rejection_sentence(&action, rejection, self.task_window),
        };
        let named = match action {
            Action::Call { task, .. } => task,
            Action::Refund { task } => Some(task),
            _ => None,
        };
        if named.is_some() && named == self.task.as_deref() {
            self.task_lines.push(TaskLine::Rejected(note.clone()));
        }
        self.period_for(cycle).rejections.push(note);
    }

    /// A row of the account that never reached the engine.
    pub fn unread(&mut self, row: &RejectedRow<'_>) {
        self.unread.push(RejectionNote {
            time: row.time.to_owned(),
            file: row.file.to_owned(),
            line: row.line,
            event: row.event.to_owned(),
            reason: row.reason,
            detail: row.detail.to_owned(),
            sentence: unread_sentence(row.reason, row.detail),
        });
    }

    /// The explanation, with the account as it is at `as_of`.
    pub fn finish(mut self, as_of: Option<Instant>, now: Now) -> Explanation {
        let ends: Vec<Option<Instant>> = self
            .periods
            .iter()
            .map(|p| p.terms.as_ref().map(|t| t.cycle.end))
            .collect();
        let starts: Vec<Option<Instant>> = self
            .periods
            .iter()
            .map(|p| p.terms.as_ref().map(|t| t.cycle.start))
            .collect();
        for (i, period) in self.periods.iter_mut().enumerate() {
            period
                .usage
                .sort_by(|a, b| (&a.provider, &a.operation).cmp(&(&b.provider, &b.operation)));
            if period.terms.is_none() {
                period.since = i.checked_sub(1).and_then(|j| ends[j]);
                period.until = starts.get(i + 1).copied().flatten();
            }
        }
        Explanation {
            account: self.account,
            as_of,
            task_window: self.task_window,
            periods: self.periods,
            unread: self.unread,
            now,
            task: self.task.map(|task| TaskAnswer {
                task,
                lines: self.task_lines,
            }),
        }
    }

    /// The plan of a cycle seen.
    fn plan_of(&self, cycle: Cycle) -> String {
        self.periods
            .iter()
            .rev()
            .find_map(|p| p.terms.as_ref().filter(|t| t.cycle == cycle))
            .map_or_else(String::new, |t| t.plan.clone())
    }

    /// The period of a cycle, made when it is new (its fee entry comes
    /// first, so a new cycle is the latest period).
    fn cycle_period(&mut self, cycle: Cycle) -> &mut Period {
        let found = self
            .periods
            .iter()
            .rposition(|p| p.terms.as_ref().is_some_and(|t| t.cycle == cycle));
        let index = match found {
            Some(index) => index,
            None => {
                self.periods.push(Period::new(Some(CycleTerms {
                    cycle,
                    plan: String::new(),
                    fee_usd: Default::default(),
                    granted: 0,
                })));
                self.periods.len() - 1
            }
        };
        &mut self.periods[index]
    }

    /// The period of an event: its cycle, or the stretch without a
    /// subscription it falls in.
    fn period_for(&mut self, cycle: Option<Cycle>) -> &mut Period {
        if let Some(cycle) = cycle {
            return self.cycle_period(cycle);
        }
        if self.periods.last().is_none_or(|p| p.terms.is_some()) {
            self.periods.push(Period::new(None));
        }
        let last = self.periods.len() - 1;
        &mut self.periods[last]
    }
}

impl Period {
    fn new(terms: Option<CycleTerms>) -> Self {
        Period {
            terms,
            since: None,
            until: None,
            notes: Vec::new(),
            purchases: Vec::new(),
            usage: Vec::new(),
            refunds: Vec::new(),
            rejections: Vec::new(),
            expired_at_end: 0,
        }
    }
}

/// The usage line of a provider and operation in a period, made when new.
fn usage_of<'p>(period: &'p mut Period, provider: &str, operation: &str) -> &'p mut Usage {
    let found = period
        .usage
        .iter()
        .position(|u| u.provider == provider && u.operation == operation);
    let index = match found {
        Some(index) => index,
        None => {
            period.usage.push(Usage {
                provider: provider.to_owned(),
                operation: operation.to_owned(),
                calls: 0,
                credits_extra: 0,
                credits_subscription: 0,
                songs: 0,
                lyrics: 0,
            });
            period.usage.len() - 1
        }
    };
    &mut period.usage[index]
}

/// The size of a ledger delta; a delta moves at most one bucket's worth.
fn magnitude(delta: i128) -> u64 {
    u64::try_from(delta.unsigned_abs()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::parse_time;
    use crate::core::{Engine, Plan, PlanBook, RuleBook};

    /// Applies `(time, action)` rows to a fresh engine and feeds the builder.
    fn build(rows: &[(&str, Action<'_>)], task: Option<&str>) -> Explanation {
        let plans = PlanBook::new([Plan {
            id: "tiny".into(),
            price_usd: 1.into(),
            monthly_credits: 20,
        }])
        .unwrap();
        let mut engine = Engine::new(plans, RuleBook::builtin());
        let mut builder = ExplainBuilder::new("ann", task, engine.task_window());
        for (line, (time, action)) in (2..).zip(rows) {
            let event = Event {
                time: parse_time(time).unwrap(),
                account: "ann",
                action: *action,
            };
            let applied = engine.apply(&event).unwrap();
            for entry in engine.entries() {
                builder.entry(entry);
            }
            builder.applied(&event, &applied, "events.csv", line);
        }
        let view = engine.account(engine.account_id("ann").unwrap()).unwrap();
        let now = Now {
            status: view.status,
            plan: view.plan.map(str::to_owned),
            cycle: view.cycle,
            balance: view.balance,
        };
        builder.finish(engine.now(), now)
    }

    const CALL: Action<'static> = Action::Call {
        provider: "suno",
        operation: "create",
        task: Some("t1"),
    };

    /// A refund at exactly the boundary: the roll-over's expiry (cycle end)
    /// comes first, then the refund and its own expiry.
    #[test]
    fn a_refund_at_the_boundary_keeps_the_two_expiries_apart() {
        let explanation = build(
            &[
                ("2025-07-01T00:00:00Z", Action::Subscribe { plan: "tiny" }),
                ("2025-07-31T23:00:00Z", CALL),
                ("2025-08-01T00:00:00Z", Action::Refund { task: "t1" }),
            ],
            Some("t1"),
        );
        let [july, august] = &explanation.periods[..] else {
            panic!("{:?}", explanation.periods)
        };
        assert_eq!(july.expired_at_end, 10);
        assert_eq!(july.refunds.len(), 1);
        assert_eq!(july.refunds[0].expired_at_once, 10);
        assert_eq!(july.usage[0].songs, 0, "a refunded call yields no songs");
        assert_eq!(july.usage[0].calls, 1);
        assert!(august.refunds.is_empty() && august.expired_at_end == 0);
        let Some(TaskAnswer { lines, .. }) = &explanation.task else {
            panic!("asked for t1")
        };
        let [TaskLine::Charge(charge)] = &lines[..] else {
            panic!("{lines:?}")
        };
        assert_eq!((charge.extra, charge.subscription), (0, 10));
        assert_eq!(charge.refund.as_ref().map(|r| r.expired_at_once), Some(10));
    }

    /// Rows while inactive go to a stretch without a subscription, bounded
    /// by the cycles around it.
    #[test]
    fn stretches_without_a_subscription() {
        let explanation = build(
            &[
                ("2025-06-01T00:00:00Z", CALL),
                ("2025-07-01T00:00:00Z", Action::Subscribe { plan: "tiny" }),
                ("2025-07-02T00:00:00Z", Action::Cancel),
                ("2025-08-02T00:00:00Z", Action::Purchase { credits: 10 }),
            ],
            None,
        );
        let kinds: Vec<bool> = explanation
            .periods
            .iter()
            .map(|p| p.terms.is_some())
            .collect();
        assert_eq!(kinds, [false, true, false]);
        let before = &explanation.periods[0];
        assert_eq!(before.since, None);
        assert_eq!(
            before.until,
            Some(parse_time("2025-07-01T00:00:00Z").unwrap())
        );
        assert_eq!(
            before.rejections[0].reason,
            crate::core::Reason::NoActiveSubscription
        );
        let after = &explanation.periods[2];
        assert_eq!(
            after.since,
            Some(parse_time("2025-08-01T00:00:00Z").unwrap())
        );
        assert_eq!(after.until, None);
        assert_eq!(explanation.periods[1].expired_at_end, 20);
    }
}
