//! History rewrites: the changes a what-if scenario makes to the usage
//! history before it reaches an engine (RULES.md section 10), as a layer
//! over the events rather than special cases inside the engine.
//!
//! - a plan mapping renames the plan of every `subscribe` and
//!   `change_plan` (`plan_map`), or names one plan for all of them
//!   (`all_on`);
//! - under the top-up policy the logged purchases are dropped (the engine's
//!   [`TopUp`](super::TopUp) buys instead).
//!
//! Every other event passes unchanged, so accounts stay independent and a
//! rewritten history is replayed by the same rules as any other.

use super::event::{Action, Event};
use super::plans::PlanId;
use std::collections::BTreeMap;

/// Which plans the rewritten `subscribe` and `change_plan` events name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PlanRewrite {
    /// The plans as logged.
    #[default]
    AsLogged,
    /// `old` becomes `new` for every pair; plans not listed are kept.
    Map(BTreeMap<PlanId, PlanId>),
    /// Every event names this plan.
    AllOn(PlanId),
}

/// What becomes of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewritten<'a> {
    /// Apply this event (perhaps with another plan).
    Apply(Event<'a>),
    /// A logged purchase dropped by the top-up policy: not applied, counted
    /// as skipped.
    DroppedPurchase,
}

/// The rewrite of a whole history, event by event.
///
/// ```
/// use creditsim::core::{HistoryRewrite, PlanRewrite, Rewritten};
/// use creditsim::core::{Action, Event};
/// use creditsim::core::time::parse_time;
///
/// let rewrite = HistoryRewrite {
///     plans: PlanRewrite::AllOn("pro".into()),
///     drop_purchases: true,
/// };
/// let time = parse_time("2025-07-01T00:00:00Z")?;
/// let subscribe = Event { time, account: "amy", action: Action::Subscribe { plan: "basic" } };
/// let Rewritten::Apply(event) = rewrite.apply(subscribe) else { unreachable!() };
/// assert_eq!(event.action, Action::Subscribe { plan: "pro" });
/// let purchase = Event { time, account: "amy", action: Action::Purchase { credits: 100 } };
/// assert_eq!(rewrite.apply(purchase), Rewritten::DroppedPurchase);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryRewrite {
    /// The plans named by `subscribe` and `change_plan`.
    pub plans: PlanRewrite,
    /// Drop the logged purchases (the top-up policy buys instead).
    pub drop_purchases: bool,
}

impl HistoryRewrite {
    /// Whether every event passes unchanged.
    pub fn is_identity(&self) -> bool {
        self.plans == PlanRewrite::AsLogged && !self.drop_purchases
    }

    /// The event as the scenario sees it. The rewritten event borrows the
    /// new plan id from `self`.
    pub fn apply<'a>(&'a self, event: Event<'a>) -> Rewritten<'a> {
        let action = match event.action {
            Action::Subscribe { plan } => Action::Subscribe {
                plan: self.plan(plan),
            },
            Action::ChangePlan { plan } => Action::ChangePlan {
                plan: self.plan(plan),
            },
            Action::Purchase { .. } if self.drop_purchases => return Rewritten::DroppedPurchase,
            other => other,
        };
        Rewritten::Apply(Event { action, ..event })
    }

    fn plan<'a>(&'a self, logged: &'a str) -> &'a str {
        match &self.plans {
            PlanRewrite::AsLogged => logged,
            PlanRewrite::Map(map) => map.get(logged).map_or(logged, |new| new),
            PlanRewrite::AllOn(plan) => plan,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::parse_time;

    fn event(action: Action<'_>) -> Event<'_> {
        Event {
            time: parse_time("2025-07-01T00:00:00Z").unwrap(),
            account: "amy",
            action,
        }
    }

    fn rewritten<'a>(rewrite: &'a HistoryRewrite, action: Action<'a>) -> Option<Action<'a>> {
        match rewrite.apply(event(action)) {
            Rewritten::Apply(e) => Some(e.action),
            Rewritten::DroppedPurchase => None,
        }
    }

    #[test]
    fn the_identity_changes_nothing() {
        let rewrite = HistoryRewrite::default();
        assert!(rewrite.is_identity());
        for action in [
            Action::Subscribe { plan: "basic" },
            Action::ChangePlan { plan: "pro" },
            Action::Purchase { credits: 10 },
            Action::Cancel,
            Action::Refund { task: "t" },
        ] {
            assert_eq!(rewritten(&rewrite, action), Some(action));
        }
    }

    #[test]
    fn a_map_renames_listed_plans_and_keeps_the_others() {
        let map = BTreeMap::from([("basic".into(), "basic2".into())]);
        let rewrite = HistoryRewrite {
            plans: PlanRewrite::Map(map),
            drop_purchases: false,
        };
        assert!(!rewrite.is_identity());
        let sub = rewritten(&rewrite, Action::Subscribe { plan: "basic" });
        assert_eq!(sub, Some(Action::Subscribe { plan: "basic2" }));
        let change = rewritten(&rewrite, Action::ChangePlan { plan: "pro" });
        assert_eq!(change, Some(Action::ChangePlan { plan: "pro" }));
        let bought = rewritten(&rewrite, Action::Purchase { credits: 10 });
        assert_eq!(bought, Some(Action::Purchase { credits: 10 }));
    }

    #[test]
    fn all_on_names_one_plan_and_top_up_drops_purchases() {
        let rewrite = HistoryRewrite {
            plans: PlanRewrite::AllOn("pro".into()),
            drop_purchases: true,
        };
        let sub = rewritten(&rewrite, Action::Subscribe { plan: "basic" });
        assert_eq!(sub, Some(Action::Subscribe { plan: "pro" }));
        let change = rewritten(&rewrite, Action::ChangePlan { plan: "max" });
        assert_eq!(change, Some(Action::ChangePlan { plan: "pro" }));
        assert_eq!(rewritten(&rewrite, Action::Purchase { credits: 10 }), None);
        assert_eq!(rewritten(&rewrite, Action::Cancel), Some(Action::Cancel));
    }
}
