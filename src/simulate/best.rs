//! `--best-plan`: each account's cheapest plan for its own usage. Every
//! plan of the baseline's book is tried as `all_on` with top-up, and the
//! account's own plans with top-up give its current cost; the best plan
//! costs least, ties going to the plan id first in byte order. Staying put
//! is a candidate too: when no plan of the book beats the account's own
//! history (which can hold a plan the book lacks, or rejected events that
//! one plan for the whole history would have accepted), the best plan is
//! the current one at the current cost, so the saving is never negative.

use super::totals::ScenarioResult;
use crate::core::{PlanBook, PlanId};
use rust_decimal::Decimal;

/// One account's line of `best_plans.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BestPlan {
    /// The account.
    pub account: String,
    /// Its plan at the as-of time, or the last plan it held.
    pub current_plan: PlanId,
    /// What its history costs on its own plans, with top-up.
    pub current_cost_usd: Decimal,
    /// The cheapest plan of the book for it.
    pub best_plan: PlanId,
    /// What its history costs on that plan, with top-up.
    pub best_cost_usd: Decimal,
}

impl BestPlan {
    /// Current cost less best cost (at least 0.00 when the current plan is
    /// in the book).
    pub fn saving_usd(&self) -> Decimal {
        self.current_cost_usd - self.best_cost_usd
    }
}

/// The plan ids of the book in byte order: the order the plans are tried
/// in, so that the first of equal costs wins.
pub(crate) fn plan_ids(book: &PlanBook) -> Vec<PlanId> {
    let mut ids: Vec<PlanId> = book.iter().map(|p| p.id.clone()).collect();
    ids.sort();
    ids
}

/// An account's cost in a run: 0.00 when the run never saw it.
fn cost(run: &ScenarioResult, account: &str) -> Decimal {
    run.account(account)
        .and_then(|a| a.totals.revenue_usd())
        .unwrap_or(Decimal::ZERO)
}

/// The best plan of every account of the baseline that subscribed at least
/// once, from the run of its own plans and the run of each plan (`tried`,
/// in byte order of plan ids).
pub(crate) fn best_plans(
    baseline: &ScenarioResult,
    current: &ScenarioResult,
    tried: &[(PlanId, &ScenarioResult)],
) -> Vec<BestPlan> {
    baseline
        .accounts
        .iter()
        .filter_map(|account| {
            let current_plan = account.plan.clone().or(account.totals.last_plan.clone())?;
            let name = account.account.as_str();
            let mut best: Option<(&PlanId, Decimal)> = None;
            for (plan, run) in tried {
                let cost = cost(run, name);
                if best.is_none_or(|(_, least)| cost < least) {
                    best = Some((plan, cost));
                }
            }
            let current_cost_usd = cost(current, name);
            let (best_plan, best_cost_usd) = match best {
                Some((plan, cost)) if cost <= current_cost_usd => (plan.clone(), cost),
                _ => (current_plan.clone(), current_cost_usd),
            };
            Some(BestPlan {
                account: name.to_owned(),
                current_plan,
                current_cost_usd,
                best_plan,
                best_cost_usd,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::totals::{AccountResult, AccountTotals};

    fn run(name: &str, accounts: &[(&str, Option<&str>, &str)]) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            accounts_seen: accounts.len() as u64,
            totals: Default::default(),
            accounts: accounts
                .iter()
                .map(|(account, plan, fees)| AccountResult {
                    account: (*account).into(),
                    plan: plan.map(Into::into),
                    totals: AccountTotals {
                        fees_usd: fees.parse().unwrap(),
                        last_plan: Some("old".into()),
                        ..Default::default()
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn equal_costs_go_to_the_plan_first_in_byte_order() {
        let baseline = run(
            "baseline",
            &[("amy", None, "9.00"), ("bob", Some("pro"), "9.00")],
        );
        let current = run(
            "current",
            &[("amy", None, "9.00"), ("bob", Some("pro"), "9.00")],
        );
        let (a, b, c) = (
            run("B", &[("amy", None, "5.00"), ("bob", None, "4.00")]),
            run("a", &[("amy", None, "5.00"), ("bob", None, "4.00")]),
            run("b", &[("amy", None, "6.00"), ("bob", None, "3.00")]),
        );
        // Byte order: "B" < "a" < "b".
        let tried = [("B".into(), &a), ("a".into(), &b), ("b".into(), &c)];
        let best = best_plans(&baseline, &current, &tried);
        assert_eq!(best.len(), 2);
        assert_eq!(
            (best[0].best_plan.as_ref(), best[0].current_plan.as_ref()),
            ("B", "old")
        );
        assert_eq!(best[0].saving_usd().to_string(), "4.00");
        assert_eq!(
            (best[1].best_plan.as_ref(), best[1].current_plan.as_ref()),
            ("b", "pro")
        );
    }

    #[test]
    fn staying_put_wins_when_every_plan_costs_more() {
        let baseline = run("baseline", &[("amy", Some("free"), "0.00")]);
        let current = run("current", &[("amy", Some("free"), "0.00")]);
        let free = run("free", &[("amy", None, "0.08")]);
        let tried = [("free".into(), &free)];
        let best = best_plans(&baseline, &current, &tried);
        assert_eq!(best[0].best_plan.as_ref(), "free");
        assert_eq!(best[0].best_cost_usd, Decimal::ZERO);
        assert_eq!(best[0].saving_usd(), Decimal::ZERO);
    }
}
