//! Subscribing, cancelling and changing plan.

use super::Effect;
use super::{Engine, EngineError, Outcome, NOT_WHOLE_DAYS};
use crate::core::account::{whole_days, Subscription};
use crate::core::ledger::{AccountId, Cycle};
use crate::core::rejection::Rejection;
use crate::core::time::{add_months, Instant};

impl Engine {
    pub(super) fn subscribe_at(
        &mut self,
        id: AccountId,
        now: Instant,
        plan: &str,
    ) -> Result<Outcome, EngineError> {
        let account = &self.accounts[id.index()];
        if let Some(current) = &account.subscription {
            return Ok(Err(Rejection::AlreadySubscribed {
                plan: self.plans.at(current.plan).id.clone(),
            }));
        }
        let Some(plan) = self.plans.find(plan) else {
            return Ok(Err(Rejection::UnknownPlan { plan: plan.into() }));
        };
        let end = add_months(now, 1).ok_or_else(|| EngineError::TimeOutOfRange {
            account: account.name.to_string(),
            anchor: now,
        })?;
        let cycle = Cycle { start: now, end };
        let cycle_days = whole_days(cycle).ok_or(NOT_WHOLE_DAYS)?;
        let subscription = Subscription {
            plan,
            anchor: now,
            cycle_index: 0,
            cycle,
            cycle_days,
            cancelling: false,
            pending_plan: None,
        };
        self.start_cycle(id, subscription);
        Ok(Ok(Effect::Subscribed { cycle }))
    }

    pub(super) fn cancel_at(&mut self, id: AccountId) -> Result<Effect, Rejection> {
        let Some(subscription) = self.accounts[id.index()].subscription.as_mut() else {
            return Err(Rejection::NoActiveSubscription);
        };
        let ends_at = subscription.cycle.end;
        if subscription.cancelling {
            return Err(Rejection::AlreadyCancelled { ends_at });
        }
        subscription.cancelling = true;
        // A cancellation wins over a plan change scheduled before it.
        subscription.pending_plan = None;
        Ok(Effect::Cancelled { ends_at })
    }

    pub(super) fn change_plan_at(
        &mut self,
        id: AccountId,
        plan: &str,
    ) -> Result<Effect, Rejection> {
        let Some(subscription) = self.accounts[id.index()].subscription.as_mut() else {
            return Err(Rejection::NoActiveSubscription);
        };
        if subscription.cancelling {
            return Err(Rejection::CancellationPending {
                ends_at: subscription.cycle.end,
            });
        }
        let Some(plan) = self.plans.find(plan) else {
            return Err(Rejection::UnknownPlan { plan: plan.into() });
        };
        subscription.pending_plan = Some(plan);
        Ok(Effect::PlanChangeScheduled {
            plan: self.plans.at(plan).id.clone(),
            from: subscription.cycle.end,
        })
    }
}
