//! Billing cycles: moving time forward, and the roll-over at each
//! boundary (expire, end or switch plan, fee and grant).

use super::{Engine, EngineError, NOT_WHOLE_DAYS};
use crate::core::account::{whole_days, Subscription};
use crate::core::ledger::{AccountId, Cycle, LedgerEntry};
use crate::core::time::{add_months, Instant};
use std::cmp::Reverse;

impl Engine {
    pub(super) fn advance(&mut self, to: Instant) -> Result<(), EngineError> {
        if let Some(now) = self.now {
            if to < now {
                return Err(EngineError::TimeWentBackwards { now, event: to });
            }
        }
        // Peek by reference: cloning the entry would touch the name's
        // reference count on every event.
        while let Some(&Reverse((boundary, _, id))) = self.boundaries.peek() {
            if boundary > to {
                break;
            }
            let Some(due) = self.boundaries.pop() else {
                break;
            };
            if let Err(error) = self.roll_over(id, boundary) {
                // roll_over fails before changing anything: keep the
                // boundary queued so the engine stays consistent.
                self.boundaries.push(due);
                return Err(error);
            }
        }
        self.tasks.forget_at(to, self.task_window);
        self.now = Some(to);
        Ok(())
    }

    /// The end of the cycle at `boundary` and the start of the next, in
    /// RULES.md order: expire, end or switch plan, fee and grant.
    pub(super) fn roll_over(
        &mut self,
        id: AccountId,
        boundary: Instant,
    ) -> Result<(), EngineError> {
        let account = &mut self.accounts[id.index()];
        // The next cycle first: if it is out of range, nothing changes.
        let next_cycle = match &account.subscription {
            None => return Ok(()),
            Some(s) if s.cancelling => None,
            Some(s) => {
                let end = s
                    .cycle_index
                    .checked_add(2)
                    .and_then(|months| add_months(s.anchor, months))
                    .ok_or_else(|| EngineError::TimeOutOfRange {
                        account: account.name.to_string(),
                        anchor: s.anchor,
                    })?;
                let cycle = Cycle {
                    start: boundary,
                    end,
                };
                Some((cycle, whole_days(cycle).ok_or(NOT_WHOLE_DAYS)?))
            }
        };
        let Some(mut subscription) = account.subscription.take() else {
            return Ok(());
        };
        debug_assert_eq!(
            subscription.cycle.end, boundary,
            "boundary queue out of step"
        );
        let ended_cycle = subscription.cycle;
        if account.subscription_credits > 0 {
            let expired = account.subscription_credits;
            account.subscription_credits = 0;
            self.entries.push(LedgerEntry::expire(
                boundary,
                id,
                ended_cycle,
                self.plans.at(subscription.plan).id.clone(),
                expired,
                (account.extra_credits, 0),
            ));
        }
        let Some((cycle, cycle_days)) = next_cycle else {
            // A pending cancellation ends the subscription here.
            return Ok(());
        };
        if let Some(plan) = subscription.pending_plan.take() {
            subscription.plan = plan;
        }
        subscription.cycle_index += 1;
        subscription.cycle = cycle;
        subscription.cycle_days = cycle_days;
        self.start_cycle(id, subscription);
        Ok(())
    }

    /// Charges the fee and grants the credits of a cycle that starts now,
    /// and queues its end.
    pub(super) fn start_cycle(&mut self, id: AccountId, subscription: Subscription) {
        let account = &mut self.accounts[id.index()];
        let plan = self.plans.at(subscription.plan);
        let (price_usd, credits) = (plan.price_usd, plan.monthly_credits);
        let cycle = subscription.cycle;
        // The bucket is empty here: the boundary expired it, or there was
        // no subscription before.
        debug_assert_eq!(account.subscription_credits, 0);
        account.subscription_credits = credits;
        let extra = account.extra_credits;
        self.entries.push(LedgerEntry::fee(
            id,
            cycle,
            plan.id.clone(),
            price_usd,
            (extra, 0),
        ));
        self.entries.push(LedgerEntry::grant(
            id,
            cycle,
            plan.id.clone(),
            credits,
            (extra, credits),
        ));
        self.boundaries
            .push(Reverse((cycle.end, account.name.clone(), id)));
        account.subscription = Some(subscription);
    }
}
