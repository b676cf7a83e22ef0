//! Charging: extra credits bought, and calls charged by the rule book
//! (extra credits first, then the subscription's; a top-up first when
//! the terms have one).

use super::{overflow, Effect, Engine, EngineError, Outcome};
use crate::core::account::{Account, TaskCharge};
use crate::core::ledger::{AccountId, Cycle, LedgerEntry, TaskId};
use crate::core::rejection::Rejection;
use crate::core::rules::{Rule, RuleRef};
use crate::core::tasks::{Remembered, TaskKey};
use crate::core::time::Instant;
use chrono::TimeDelta;
use rust_decimal::Decimal;

impl Engine {
    pub(super) fn purchase_at(
        &mut self,
        id: AccountId,
        now: Instant,
        credits: u64,
    ) -> Result<Outcome, EngineError> {
        let account = &mut self.accounts[id.index()];
        let Some(subscription) = &account.subscription else {
            return Ok(Err(Rejection::NoActiveSubscription));
        };
        let Some(price_usd) = self.terms.extra_credits_price_usd(credits) else {
            return Ok(Err(Rejection::InvalidCredits { credits }));
        };
        let cycle = subscription.cycle;
        let bought = (credits, price_usd);
        add_extra_credits(&mut self.entries, account, id, now, cycle, bought)?;
        Ok(Ok(Effect::Purchased { credits, price_usd }))
    }

    pub(super) fn call_at(
        &mut self,
        id: AccountId,
        now: Instant,
        rule: Option<(RuleRef, Rule)>,
        provider: &str,
        operation: &str,
        task: Option<&str>,
    ) -> Result<Outcome, EngineError> {
        let Some((rule_ref, rule)) = rule else {
            return Ok(Err(Rejection::UnknownOperation {
                provider: provider.into(),
                operation: operation.into(),
            }));
        };
        let free_call = Effect::Called {
            credits: 0,
            extra: 0,
            subscription: 0,
            songs: rule.songs,
            lyrics: rule.lyrics,
        };
        let (cost, Some(task)) = (rule.credits, task) else {
            // `apply` has refused a paid call without a task already.
            return Ok(Ok(free_call));
        };
        if cost == 0 {
            return Ok(Ok(free_call));
        }
        let account = &mut self.accounts[id.index()];
        let Some(subscription) = &account.subscription else {
            return Ok(Err(Rejection::NoActiveSubscription));
        };
        let (cycle, cycle_days, plan) = (
            subscription.cycle,
            subscription.cycle_days,
            subscription.plan,
        );
        // One probe of the task memory serves the duplicate check and the
        // remembering below.
        let task_key = TaskKey::of(id, task);
        let slot = self.tasks.slot(task_key, id, task);
        if let Some(charge) = slot.charge(now, self.task_window) {
            return Ok(Err(Rejection::DuplicateTask {
                task: task.into(),
                charged_at: charge.charged_at,
            }));
        }
        let available =
            u128::from(account.extra_credits) + u128::from(account.subscription_credits);
        if available < u128::from(cost) {
            let Some(bought) = self.terms.top_up_for(cost, available) else {
                return Ok(Err(Rejection::InsufficientCredits {
                    needed: cost,
                    extra: account.extra_credits,
                    subscription: account.subscription_credits,
                }));
            };
            add_extra_credits(&mut self.entries, account, id, now, cycle, bought)?;
        }
        let from_extra = account.extra_credits.min(cost);
        let from_subscription = cost - from_extra;
        let charge = TaskCharge::new(cycle, cycle_days, plan, rule_ref, from_extra);
        account.extra_credits -= from_extra;
        account.subscription_credits -= from_subscription;
        let task = TaskId::new(task);
        // A zero window remembers nothing; any other remembers the charge
        // at least until the next event's time moves past it.
        if self.task_window > TimeDelta::zero() {
            slot.remember(Remembered {
                key: task_key,
                account: id,
                task: task.clone(),
                charged_at: now,
                data: charge,
            });
        }
        self.entries.push(LedgerEntry::charge(
            now,
            id,
            cycle,
            task,
            rule_ref,
            (from_extra, from_subscription),
            (account.extra_credits, account.subscription_credits),
        ));
        Ok(Ok(Effect::Called {
            credits: cost,
            extra: from_extra,
            subscription: from_subscription,
            songs: rule.songs,
            lyrics: rule.lyrics,
        }))
    }
}

/// Adds `bought` (credits and their price) to the account's extra credits,
/// with its `purchase` entry: a purchase event's, or a top-up's before the
/// call that needs it.
fn add_extra_credits(
    entries: &mut Vec<LedgerEntry>,
    account: &mut Account,
    id: AccountId,
    now: Instant,
    cycle: Cycle,
    (credits, price_usd): (u64, Decimal),
) -> Result<(), EngineError> {
    account.extra_credits = account
        .extra_credits
        .checked_add(credits)
        .ok_or_else(|| overflow(account, "extra credits"))?;
    let balances = (account.extra_credits, account.subscription_credits);
    entries.push(LedgerEntry::purchase(
        now, id, cycle, credits, price_usd, balances,
    ));
    Ok(())
}
