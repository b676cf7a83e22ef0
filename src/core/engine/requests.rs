//! One method per action, for a caller that has no [`Event`] at hand (a
//! gateway answering a request): each builds the event and applies it.

use super::{Applied, Engine, EngineError};
use crate::core::event::{Action, Event};
use crate::core::time::Instant;

impl Engine {
    /// Starts a subscription (see [`Engine::apply`]).
    ///
    /// ```
    /// # use creditsim::core::{Engine, PlanBook, Plan, RuleBook};
    /// # use creditsim::core::time::parse_time;
    /// # let plans = PlanBook::new([Plan { id: "basic".into(), price_usd: 8.into(), monthly_credits: 1000 }])?;
    /// let mut engine = Engine::new(plans, RuleBook::builtin());
    /// let t = parse_time("2025-01-31T10:00:00Z")?;
    /// engine.subscribe(t, "bob", "basic")?.outcome.unwrap();
    /// let kinds: Vec<_> = engine.entries().iter().map(|e| e.kind.name()).collect();
    /// assert_eq!(kinds, ["fee", "grant"]);
    /// let rejected = engine.subscribe(t, "bob", "basic")?.outcome.unwrap_err();
    /// assert_eq!(rejected.reason().code(), "already_subscribed");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Engine::apply`], when the event cannot be applied at all;
    /// an unknown plan or an active subscription is a
    /// rejection in the `Ok` outcome.
    pub fn subscribe(
        &mut self,
        now: Instant,
        account: &str,
        plan: &str,
    ) -> Result<Applied, EngineError> {
        self.apply(&Event {
            time: now,
            account,
            action: Action::Subscribe { plan },
        })
    }

    /// Cancels at the end of the current cycle (see [`Engine::apply`]).
    ///
    /// ```
    /// # use creditsim::core::{Engine, PlanBook, Plan, RuleBook, Status};
    /// # use creditsim::core::time::parse_time;
    /// # let plans = PlanBook::new([Plan { id: "basic".into(), price_usd: 8.into(), monthly_credits: 1000 }])?;
    /// let mut engine = Engine::new(plans, RuleBook::builtin());
    /// engine.subscribe(parse_time("2025-01-31T10:00:00Z")?, "bob", "basic")?;
    /// engine.cancel(parse_time("2025-02-10T00:00:00Z")?, "bob")?.outcome.unwrap();
    /// engine.advance_to(parse_time("2025-02-28T10:00:00Z")?)?;
    /// let id = engine.account_id("bob").unwrap();
    /// assert_eq!(engine.account(id).unwrap().status, Status::Inactive);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Engine::apply`], when the event cannot be applied at all;
    /// cancelling without a subscription is a rejection in the
    /// `Ok` outcome.
    pub fn cancel(&mut self, now: Instant, account: &str) -> Result<Applied, EngineError> {
        self.apply(&Event {
            time: now,
            account,
            action: Action::Cancel,
        })
    }

    /// Switches plan from the next boundary (see [`Engine::apply`]).
    ///
    /// ```
    /// # use creditsim::core::{Engine, PlanBook, Plan, RuleBook};
    /// # use creditsim::core::time::parse_time;
    /// # let plans = PlanBook::new([
    /// #     Plan { id: "basic".into(), price_usd: 8.into(), monthly_credits: 1000 },
    /// #     Plan { id: "pro".into(), price_usd: 30.into(), monthly_credits: 5000 },
    /// # ])?;
    /// let mut engine = Engine::new(plans, RuleBook::builtin());
    /// engine.subscribe(parse_time("2025-03-01T00:00:00Z")?, "bob", "basic")?;
    /// engine.change_plan(parse_time("2025-03-15T00:00:00Z")?, "bob", "pro")?.outcome.unwrap();
    /// assert_eq!(engine.balance("bob").credits, 1000);
    /// engine.advance_to(parse_time("2025-04-01T00:00:00Z")?)?;
    /// assert_eq!(engine.balance("bob").credits, 5000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Engine::apply`], when the event cannot be applied at all;
    /// an unknown plan is a rejection in the `Ok` outcome.
    pub fn change_plan(
        &mut self,
        now: Instant,
        account: &str,
        plan: &str,
    ) -> Result<Applied, EngineError> {
        self.apply(&Event {
            time: now,
            account,
            action: Action::ChangePlan { plan },
        })
    }

    /// Buys extra credits (see [`Engine::apply`]).
    ///
    /// ```
    /// # use creditsim::core::{Engine, PlanBook, Plan, RuleBook, Effect};
    /// # use creditsim::core::time::parse_time;
    /// # let plans = PlanBook::new([Plan { id: "basic".into(), price_usd: 8.into(), monthly_credits: 1000 }])?;
    /// let mut engine = Engine::new(plans, RuleBook::builtin());
    /// let t = parse_time("2025-03-01T00:00:00Z")?;
    /// let no_sub = engine.purchase(t, "bob", 100)?.outcome.unwrap_err();
    /// assert_eq!(no_sub.reason().code(), "no_active_subscription");
    /// engine.subscribe(t, "bob", "basic")?;
    /// let bought = engine.purchase(t, "bob", 100)?.outcome.unwrap();
    /// assert_eq!(bought, Effect::Purchased { credits: 100, price_usd: "0.80".parse()? });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Engine::apply`], when the event cannot be applied at all;
    /// an invalid amount or a missing subscription is a
    /// rejection in the `Ok` outcome.
    pub fn purchase(
        &mut self,
        now: Instant,
        account: &str,
        credits: u64,
    ) -> Result<Applied, EngineError> {
        self.apply(&Event {
            time: now,
            account,
            action: Action::Purchase { credits },
        })
    }

    /// Charges one API call by the rule book (see [`Engine::apply`]).
    ///
    /// ```
    /// # use creditsim::core::{Engine, PlanBook, Plan, RuleBook, Effect};
    /// # use creditsim::core::time::parse_time;
    /// # let plans = PlanBook::new([Plan { id: "tiny".into(), price_usd: 1.into(), monthly_credits: 15 }])?;
    /// let mut engine = Engine::new(plans, RuleBook::builtin());
    /// let t = parse_time("2025-03-01T00:00:00Z")?;
    /// engine.subscribe(t, "bob", "tiny")?;
    /// engine.charge(t, "bob", "nuro", "create_vocal", Some("t1"))?.outcome.unwrap();
    /// let short = engine.charge(t, "bob", "nuro", "create_vocal", Some("t2"))?.outcome.unwrap_err();
    /// assert_eq!(short.to_string(), "needs 10 credits, has 0 extra and 5 subscription");
    /// // Free calls need no task id and no subscription.
    /// engine.charge(t, "carol", "suno", "get", None)?.outcome.unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Engine::apply`], when the event cannot be applied at all;
    /// an unknown call or too few credits is a rejection
    /// in the `Ok` outcome.
    pub fn charge(
        &mut self,
        now: Instant,
        account: &str,
        provider: &str,
        operation: &str,
        task: Option<&str>,
    ) -> Result<Applied, EngineError> {
        self.apply(&Event {
            time: now,
            account,
            action: Action::Call {
                provider,
                operation,
                task,
            },
        })
    }

    /// Refunds a charged task (see [`Engine::apply`]).
    ///
    /// ```
    /// # use creditsim::core::{Engine, PlanBook, Plan, RuleBook};
    /// # use creditsim::core::time::parse_time;
    /// # let plans = PlanBook::new([Plan { id: "basic".into(), price_usd: 8.into(), monthly_credits: 1000 }])?;
    /// let mut engine = Engine::new(plans, RuleBook::builtin());
    /// let t = parse_time("2025-03-01T00:00:00Z")?;
    /// engine.subscribe(t, "bob", "basic")?;
    /// engine.charge(t, "bob", "suno", "create", Some("t1"))?;
    /// engine.refund(t, "bob", "t1")?.outcome.unwrap();
    /// assert_eq!(engine.balance("bob").credits, 1000);
    /// let twice = engine.refund(t, "bob", "t1")?.outcome.unwrap_err();
    /// assert_eq!(twice.reason().code(), "already_refunded");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Engine::apply`], when the event cannot be applied at all;
    /// an unknown or already refunded task is a rejection in
    /// the `Ok` outcome.
    pub fn refund(
        &mut self,
        now: Instant,
        account: &str,
        task: &str,
    ) -> Result<Applied, EngineError> {
        self.apply(&Event {
            time: now,
            account,
            action: Action::Refund { task },
        })
    }
}
