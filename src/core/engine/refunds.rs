//! Refunds: a remembered charge given back to the buckets it came from;
//! subscription credits of an ended cycle expire again at once.

use super::{overflow, Effect, Engine, EngineError, Outcome};
use crate::core::ledger::{AccountId, LedgerEntry, TaskId};
use crate::core::rejection::Rejection;
use crate::core::time::Instant;

impl Engine {
    pub(super) fn refund_at(
        &mut self,
        id: AccountId,
        now: Instant,
        task: &str,
    ) -> Result<Outcome, EngineError> {
        let window = self.task_window;
        let account = &mut self.accounts[id.index()];
        let current_cycle = account.subscription.as_ref().map(|s| s.cycle);
        let task = TaskId::new(task);
        let Some(remembered_charge) = self.tasks.get_mut(id, &task, now, window) else {
            return Ok(Err(Rejection::UnknownTask {
                task: task.as_str().into(),
            }));
        };
        if let Some(refunded_at) = remembered_charge.data.refunded_at {
            return Ok(Err(Rejection::AlreadyRefunded {
                task: task.as_str().into(),
                refunded_at,
            }));
        }
        let charge = remembered_charge.data.clone();
        let broken = EngineError::Invariant("a remembered charge lost its rule or cycle");
        let (rule, charge_cycle) = self
            .rules
            .at(charge.rule)
            .zip(charge.cycle())
            .ok_or(broken)?;
        let from_subscription =
            rule.credits
                .checked_sub(charge.extra)
                .ok_or(EngineError::Invariant(
                    "a remembered charge took more extra credits than its rule costs",
                ))?;
        let extra = account
            .extra_credits
            .checked_add(charge.extra)
            .ok_or_else(|| overflow(account, "extra credits"))?;
        let subscription = account
            .subscription_credits
            .checked_add(from_subscription)
            .ok_or_else(|| overflow(account, "subscription credits"))?;
        let cycle_ended = current_cycle != Some(charge_cycle);
        account.extra_credits = extra;
        self.entries.push(LedgerEntry::refund(
            now,
            id,
            charge_cycle,
            task,
            charge.rule,
            (charge.extra, from_subscription),
            (extra, subscription),
        ));
        let expired = if cycle_ended { from_subscription } else { 0 };
        if expired > 0 {
            self.entries.push(LedgerEntry::expire(
                now,
                id,
                charge_cycle,
                self.plans.at(charge.plan).id.clone(),
                expired,
                (extra, account.subscription_credits),
            ));
        } else {
            account.subscription_credits = subscription;
        }
        remembered_charge.data.refunded_at = Some(now);
        Ok(Ok(Effect::Refunded {
            charge_cycle,
            extra: charge.extra,
            subscription: from_subscription,
            expired,
            songs: rule.songs,
            lyrics: rule.lyrics,
        }))
    }
}
