//! [`Engine::restore`]: a snapshot checked reference by reference, then
//! made an engine.

use super::{
    check_format, inconsistent, AccountState, PlanState, RuleState, Snapshot, SnapshotError,
    TaskState, WindowState,
};
use crate::core::account::{whole_days, Account, AccountName, Subscription, TaskCharge};
use crate::core::engine::Engine;
use crate::core::ledger::{AccountId, Cycle};
use crate::core::plans::{Plan, PlanBook, PlanRef};
use crate::core::rules::{Rule, RuleBook, RuleRef};
use crate::core::tasks::{Remembered, TaskKey};
use crate::core::terms::{Terms, TopUp};
use chrono::TimeDelta;
use rust_decimal::Decimal;

impl Engine {
    /// An engine in the state of `snapshot`, which goes on exactly as the
    /// engine that took it would have.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::NewerFormat`] for a snapshot of a newer layout;
    /// [`SnapshotError::Inconsistent`] when its state is not one an engine
    /// can be in (an unknown plan or rule, an account or task out of
    /// range, a duplicate account, a cycle that is not a billing cycle, a
    /// bad price).
    pub fn restore(snapshot: Snapshot) -> Result<Engine, SnapshotError> {
        check_format(snapshot.format)?;
        let plans = restore_plans(&snapshot.plans)?;
        let rules = restore_rules(&snapshot.rules)?;
        let window = snapshot.task_window.delta("task_window")?;
        let late_tolerance = snapshot.late_tolerance.delta("late_tolerance")?;
        let terms = restore_terms(&snapshot)?;
        let accounts = snapshot
            .accounts
            .iter()
            .map(|state| restore_account(state, &plans))
            .collect::<Result<Vec<_>, _>>()?;
        let tasks = snapshot
            .tasks
            .iter()
            .map(|state| restore_task(state, accounts.len(), &plans, &rules))
            .collect::<Result<Vec<_>, _>>()?;
        let engine = Engine::from_parts(plans, rules, window, terms, snapshot.now, accounts, tasks)
            .map_err(inconsistent)?;
        Ok(engine.with_late_tolerance(late_tolerance))
    }
}

/// The extra-credit price and the top-up policy.
fn restore_terms(snapshot: &Snapshot) -> Result<Terms, SnapshotError> {
    let price = parse_decimal(&snapshot.extra_pack_price_usd, "extra_pack_price_usd")?;
    let terms = Terms::new(price).map_err(|e| inconsistent(e.to_string()))?;
    let Some(pack) = snapshot.top_up_pack_credits else {
        return Ok(terms);
    };
    let top_up = TopUp::new(pack).map_err(|e| inconsistent(e.to_string()))?;
    Ok(terms.with_top_up(top_up))
}

fn find_plan(plans: &PlanBook, id: &str) -> Result<PlanRef, SnapshotError> {
    plans
        .find(id)
        .ok_or_else(|| inconsistent(format!("plan {id} is not in the plan book")))
}

/// One account, its subscription's plans and cycle checked.
fn restore_account(state: &AccountState, plans: &PlanBook) -> Result<Account, SnapshotError> {
    let mut account = Account::new(AccountName::new(&state.name));
    account.extra_credits = state.extra_credits;
    account.subscription_credits = state.subscription_credits;
    let Some(s) = &state.subscription else {
        if state.subscription_credits != 0 {
            return Err(inconsistent(format!(
                "account {}: subscription credits without a subscription",
                state.name
            )));
        }
        return Ok(account);
    };
    let cycle = Cycle {
        start: s.cycle_start,
        end: s.cycle_end,
    };
    let cycle_days = whole_days(cycle)
        .filter(|_| cycle.start < cycle.end)
        .ok_or_else(|| inconsistent(format!("account {}: not a billing cycle", state.name)))?;
    let pending_plan = s.pending_plan.as_deref();
    account.subscription = Some(Subscription {
        plan: find_plan(plans, &s.plan)?,
        anchor: s.anchor,
        cycle_index: s.cycle_index,
        cycle,
        cycle_days,
        cancelling: s.cancelling,
        pending_plan: pending_plan.map(|p| find_plan(plans, p)).transpose()?,
    });
    Ok(account)
}

/// One remembered charge, its account, rule, plan and cycle checked.
fn restore_task(
    t: &TaskState,
    accounts: usize,
    plans: &PlanBook,
    rules: &RuleBook,
) -> Result<Remembered<TaskCharge>, SnapshotError> {
    if t.account as usize >= accounts {
        return Err(inconsistent(format!(
            "task {}: no account {}",
            t.task, t.account
        )));
    }
    let rule = RuleRef::at(t.rule);
    let cost = rules
        .at(rule)
        .ok_or_else(|| inconsistent(format!("task {}: no rule {}", t.task, t.rule)))?
        .credits;
    if t.extra > cost {
        return Err(inconsistent(format!(
            "task {}: took more extra credits than its rule costs",
            t.task
        )));
    }
    let cycle = Cycle {
        start: t.cycle_start,
        end: t.cycle_end,
    };
    let days = whole_days(cycle)
        .ok_or_else(|| inconsistent(format!("task {}: not a billing cycle", t.task)))?;
    let mut charge = TaskCharge::new(cycle, days, find_plan(plans, &t.plan)?, rule, t.extra);
    charge.refunded_at = t.refunded_at;
    Ok(Remembered {
        key: TaskKey::default(),
        account: AccountId(t.account),
        task: t.task.as_str().into(),
        charged_at: t.charged_at,
        data: charge,
    })
}

impl WindowState {
    fn delta(self, what: &str) -> Result<TimeDelta, SnapshotError> {
        TimeDelta::new(self.seconds, self.nanos)
            .ok_or_else(|| inconsistent(format!("{what} out of range")))
    }
}

fn parse_decimal(text: &str, what: &str) -> Result<Decimal, SnapshotError> {
    text.parse()
        .map_err(|_| inconsistent(format!("{what}: {text:?} is not a decimal")))
}

fn restore_plans(states: &[PlanState]) -> Result<PlanBook, SnapshotError> {
    let mut plans = Vec::with_capacity(states.len());
    for p in states {
        plans.push(Plan {
            id: p.id.as_str().into(),
            price_usd: parse_decimal(&p.price_usd, "price_usd")?,
            monthly_credits: p.monthly_credits,
        });
    }
    PlanBook::new(plans).map_err(|e| inconsistent(e.to_string()))
}

fn restore_rules(states: &[RuleState]) -> Result<RuleBook, SnapshotError> {
    let mut rules = RuleBook::default();
    for r in states {
        let rule = Rule {
            credits: r.credits,
            songs: r.songs,
            lyrics: r.lyrics,
        };
        rules
            .insert(&r.provider, &r.operation, rule)
            .map_err(|e| inconsistent(e.to_string()))?;
    }
    Ok(rules)
}
