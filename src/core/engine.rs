//! The engine: a sans-I/O state machine over many accounts.
//!
//! It is handed events with their times and answers with an [`Applied`]
//! (the effect, or a [`Rejection`] with its stable code) plus the
//! [`LedgerEntry`]s the call produced. It never reads a clock: time moves
//! only when an event or [`Engine::advance_to`] says so, and then every
//! billing-cycle boundary up to that time rolls over, for every account,
//! idle ones included, in time order and, at equal times, by account name.

use super::account::{whole_days, Account, AccountName, Balance, Status, Subscription, TaskCharge};
use super::event::{Action, Event};
use super::ledger::{AccountId, Cycle, EntryKind, LedgerEntry, TaskId};
use super::plans::{PlanBook, PlanId};
use super::rejection::Rejection;
use super::rules::{Rule, RuleBook, RuleRef};
use super::tasks::key_hash;
use super::tasks::{Remembered, TaskMemory};
use super::terms::Terms;
use super::time::{add_months, format_time, Instant};
use chrono::TimeDelta;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The default task window: task ids are remembered for 24 hours after
/// their charge, like the de-duplication window of metered billing APIs.
pub const DEFAULT_TASK_WINDOW: TimeDelta = TimeDelta::hours(24);

/// What the engine refuses to do. Unlike a [`Rejection`], an error means
/// the input cannot be applied at all; a replay stops on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Events must come in non-decreasing time order.
    #[error("time {} is earlier than the engine's time {}", format_time(*.event), format_time(*.now))]
    TimeWentBackwards {
        /// The engine's current time.
        now: Instant,
        /// The event's time.
        event: Instant,
    },
    /// A call that costs credits needs a task id (to refund and de-duplicate it).
    #[error("missing field task for a call that costs {credits} credits")]
    TaskRequired {
        /// The cost of the call.
        credits: u64,
    },
    /// A balance would exceed `u64::MAX` credits.
    #[error("account {account}: {what} would overflow the credit counter (u64)")]
    Overflow {
        /// The account.
        account: String,
        /// Which balance.
        what: &'static str,
    },
    /// A billing cycle would end after year 9999, which RFC 3339 (and so
    /// every report) cannot write.
    #[error("account {account}: the subscription anchored at {} would have a billing cycle ending after year 9999", format_time(*.anchor))]
    TimeOutOfRange {
        /// The account.
        account: String,
        /// The subscription's anchor.
        anchor: Instant,
    },
    /// More accounts than the engine can index.
    #[error("more than {} accounts", u32::MAX)]
    TooManyAccounts,
    /// A rule the engine relies on was broken: a bug in the engine, not
    /// in the input. Nothing changed; the engine refuses the event rather
    /// than apply it wrongly.
    #[error("internal error: {0} (a bug in creditsim; please report it with the input)")]
    Invariant(&'static str),
}

/// Every billing cycle is a whole number of days (`whole_days`).
const NOT_WHOLE_DAYS: EngineError =
    EngineError::Invariant("a billing cycle is not a whole number of days");

/// What an event did to its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A subscription started; its first cycle was charged and granted.
    Subscribed {
        /// Cycle 0.
        cycle: Cycle,
    },
    /// The subscription will end at the end of the current cycle.
    Cancelled {
        /// When it ends.
        ends_at: Instant,
    },
    /// A plan change will take effect at the next boundary.
    PlanChangeScheduled {
        /// The new plan.
        plan: PlanId,
        /// When it takes effect.
        from: Instant,
    },
    /// Extra credits were bought.
    Purchased {
        /// Credits bought.
        credits: u64,
        /// What they cost.
        price_usd: Decimal,
    },
    /// A call was accepted (and charged, when it costs credits).
    Called {
        /// Credits charged in all.
        credits: u64,
        /// Of which from the extra bucket.
        extra: u64,
        /// Of which from the subscription bucket.
        subscription: u64,
        /// Songs it yields.
        songs: u64,
        /// Lyrics it yields.
        lyrics: u64,
    },
    /// A charge was refunded.
    Refunded {
        /// The cycle of the charge.
        charge_cycle: Cycle,
        /// Credits returned to the extra bucket.
        extra: u64,
        /// Credits returned to the subscription bucket.
        subscription: u64,
        /// Of those, expired at once because the charge's cycle has ended.
        expired: u64,
        /// Songs the refunded call no longer yields.
        songs: u64,
        /// Lyrics the refunded call no longer yields.
        lyrics: u64,
    },
}

/// The answer to one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The account of the event.
    pub account: AccountId,
    /// The cycle in force for that account when the event came (after any
    /// roll-over at its time), `None` without a subscription.
    pub cycle: Option<Cycle>,
    /// The effect, or why the event was rejected (then nothing changed).
    pub outcome: Result<Effect, Rejection>,
}

/// A read-only view of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountView<'a> {
    /// The account's name.
    pub name: &'a str,
    /// Active, cancelling or inactive.
    pub status: Status,
    /// The plan of the current cycle, when subscribed.
    pub plan: Option<&'a str>,
    /// The current cycle, when subscribed.
    pub cycle: Option<Cycle>,
    /// The two buckets.
    pub balance: Balance,
}

/// The credit engine.
///
/// ```
/// use creditsim::core::{Engine, PlanBook, Plan, RuleBook, Effect};
/// use creditsim::core::time::parse_time;
/// use rust_decimal::Decimal;
///
/// let plans = PlanBook::new([Plan { id: "basic".into(), price_usd: Decimal::new(800, 2), monthly_credits: 1000 }])?;
/// let mut engine = Engine::new(plans, RuleBook::builtin());
/// let t = parse_time("2025-07-01T09:30:00Z")?;
///
/// engine.subscribe(t, "alice", "basic")?.outcome.unwrap();
/// engine.purchase(t, "alice", 20)?.outcome.unwrap();
/// let applied = engine.charge(t, "alice", "suno", "create", Some("task-1"))?;
/// assert!(matches!(applied.outcome, Ok(Effect::Called { extra: 10, subscription: 0, songs: 2, .. })));
///
/// let balance = engine.balance("alice");
/// assert_eq!((balance.credits, balance.extra_credits), (1000, 10));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    plans: PlanBook,
    rules: RuleBook,
    task_window: TimeDelta,
    terms: Terms,
    now: Option<Instant>,
    accounts: Vec<Account>,
    /// Account ids by name, probed once per event. FxHash rather than
    /// SipHash (nothing iterates this map, so its order never reaches a
    /// report), and inline keys so that comparing a key reads the table
    /// itself rather than a separate allocation.
    ids: FxHashMap<AccountName, AccountId>,
    /// Next boundary of every subscribed account, earliest first, then by
    /// account name (the order of roll-over entries at equal times).
    boundaries: BinaryHeap<Reverse<(Instant, AccountName, AccountId)>>,
    /// Task charges remembered for the task window, by account and task id,
    /// forgotten in charge order (up to 3 s after their window, checked in
    /// whole seconds; every lookup checks a charge's time itself): memory
    /// grows with the tasks inside the window only.
    tasks: TaskMemory<TaskCharge>,
    /// Entries produced by the last call.
    entries: Vec<LedgerEntry>,
}

impl Engine {
    /// A new engine with no account, at no time yet, with the default
    /// task window.
    pub fn new(plans: PlanBook, rules: RuleBook) -> Self {
        Engine {
            plans,
            rules,
            task_window: DEFAULT_TASK_WINDOW,
            terms: Terms::default(),
            now: None,
            accounts: Vec::new(),
            ids: FxHashMap::default(),
            boundaries: BinaryHeap::new(),
            tasks: TaskMemory::default(),
            entries: Vec::new(),
        }
    }

    /// Sets how long a task id is remembered after its charge. A zero
    /// window remembers nothing (no de-duplication, every refund is
    /// `unknown_task`). Negative windows count as zero.
    pub fn with_task_window(mut self, window: TimeDelta) -> Self {
        self.task_window = window.max(TimeDelta::zero());
        self
    }

    /// How long a task id is remembered after its charge.
    pub fn task_window(&self) -> TimeDelta {
        self.task_window
    }

    /// Sets the price of extra credits and the top-up policy (default:
    /// the published $0.08 per 10 credits, no top-up).
    ///
    /// ```
    /// use creditsim::core::terms::{Terms, TopUp};
    /// # use creditsim::core::{Engine, PlanBook, Plan, RuleBook};
    /// # use creditsim::core::time::parse_time;
    /// # let plans = PlanBook::new([Plan { id: "tiny".into(), price_usd: 1.into(), monthly_credits: 15 }])?;
    /// let terms = Terms::new("0.10".parse()?)?.with_top_up(TopUp::new(50)?);
    /// let mut engine = Engine::new(plans, RuleBook::builtin()).with_terms(terms);
    /// let t = parse_time("2025-03-01T00:00:00Z")?;
    /// engine.subscribe(t, "bob", "tiny")?;
    /// engine.charge(t, "bob", "nuro", "create_vocal", Some("t1"))?.outcome.unwrap();
    /// // 5 credits left: the next call first buys 50 for $0.50.
    /// engine.charge(t, "bob", "nuro", "create_vocal", Some("t2"))?.outcome.unwrap();
    /// let kinds: Vec<_> = engine.entries().iter().map(|e| (e.kind.name(), e.usd.to_string())).collect();
    /// assert_eq!(kinds, [("purchase", "0.50".to_string()), ("charge", "0".to_string())]);
    /// assert_eq!(engine.balance("bob").extra_credits, 40);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_terms(mut self, terms: Terms) -> Self {
        self.terms = terms;
        self
    }

    /// The price of extra credits and the top-up policy.
    pub fn terms(&self) -> &Terms {
        &self.terms
    }

    /// The plan book.
    pub fn plans(&self) -> &PlanBook {
        &self.plans
    }

    /// The rule book.
    pub fn rules(&self) -> &RuleBook {
        &self.rules
    }

    /// The engine's current time: the latest event or `advance_to` time.
    pub fn now(&self) -> Option<Instant> {
        self.now
    }

    /// The ledger entries produced by the last call of [`Engine::apply`],
    /// [`Engine::advance_to`] or a convenience method, in ledger order.
    pub fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }

    /// The name of an account.
    pub fn account_name(&self, id: AccountId) -> &str {
        self.accounts.get(id.index()).map_or("", |a| &a.name)
    }

    /// The id of a named account, if the engine has seen it.
    pub fn account_id(&self, name: &str) -> Option<AccountId> {
        self.ids.get(name).copied()
    }

    /// Reads the parts of an account that applying an event to it reads,
    /// so that a replay can load several accounts' cache lines at once
    /// before applying their rows one by one (a plain load in place of the
    /// `_mm_prefetch` that `forbid(unsafe_code)` rules out). The result
    /// means nothing; pass it to `std::hint::black_box`.
    pub fn warm(&self, id: AccountId) -> u64 {
        self.accounts.get(id.index()).map_or(0, |a| {
            // Every field a call reads, so that every cache line the
            // account spans is loaded (the compiler chooses the layout).
            let subscription = a.subscription.as_ref().map_or(0, |s| {
                u64::from(s.cycle_index)
                    ^ u64::from(s.cycle.start.timestamp_subsec_nanos())
                    ^ u64::from(s.cycle.end.timestamp_subsec_nanos())
                    ^ u64::from(s.cancelling)
            });
            (a.name.len() as u64) ^ a.extra_credits ^ a.subscription_credits ^ subscription
        })
    }

    /// Loads the task index slot that a call or refund of a task will
    /// probe first, from the low 32 bits of its key's hash (as the reading
    /// side computes it for a row, see `BatchRow::task_hash`): as
    /// [`Engine::warm`], a load ahead whose value means nothing.
    pub(crate) fn warm_task(&self, task_hash: u32) -> u64 {
        self.tasks.warm(u64::from(task_hash))
    }

    /// The number of accounts seen.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// The balance as the API's get-credits reports it; zero for an
    /// account the engine has not seen.
    pub fn balance(&self, account: &str) -> Balance {
        self.account_id(account)
            .and_then(|id| self.accounts.get(id.index()))
            .map(Account::balance)
            .unwrap_or_default()
    }

    /// A view of one account.
    pub fn account(&self, id: AccountId) -> Option<AccountView<'_>> {
        let account = self.accounts.get(id.index())?;
        let subscription = account.subscription.as_ref();
        Some(AccountView {
            name: &account.name,
            status: account.status(),
            plan: subscription.map(|s| &*self.plans.at(s.plan).id),
            cycle: subscription.map(|s| s.cycle),
            balance: account.balance(),
        })
    }

    /// Every account, sorted by name.
    pub fn accounts_by_name(&self) -> Vec<AccountView<'_>> {
        let mut views: Vec<_> = (0..self.accounts.len())
            .filter_map(|i| self.account(AccountId(i as u32)))
            .collect();
        views.sort_unstable_by(|a, b| a.name.cmp(b.name));
        views
    }

    /// Moves time forward to `to`, rolling over every boundary at or
    /// before it. The entries it produced are in [`Engine::entries`].
    pub fn advance_to(&mut self, to: Instant) -> Result<(), EngineError> {
        self.entries.clear();
        self.advance(to)
    }

    /// Applies one event: first the roll-overs up to its time, then the
    /// event. The entries of both are in [`Engine::entries`].
    pub fn apply(&mut self, event: &Event<'_>) -> Result<Applied, EngineError> {
        self.apply_hinted(event, None)
    }

    /// Like [`Engine::apply`], with a guess of the account's id: the id it
    /// has, or `AccountId` number [`Engine::account_count`] for an account
    /// the engine has not seen. A right guess saves the lookup by name (a
    /// replay guesses on its reading thread); a wrong one costs only that
    /// lookup, so the outcome never depends on the guess.
    pub fn apply_hinted(
        &mut self,
        event: &Event<'_>,
        hint: Option<AccountId>,
    ) -> Result<Applied, EngineError> {
        self.entries.clear();
        // The rule of a call is looked up once, here, and handed on.
        let rule = match event.action {
            Action::Call {
                provider,
                operation,
                task,
            } => {
                let rule = self.rules.find(provider, operation);
                if let (Some((_, rule)), None) = (rule, task) {
                    if rule.credits > 0 {
                        return Err(EngineError::TaskRequired {
                            credits: rule.credits,
                        });
                    }
                }
                rule
            }
            _ => None,
        };
        self.advance(event.time)?;
        let id = match hint {
            Some(id)
                if self
                    .accounts
                    .get(id.index())
                    .is_some_and(|a| a.name == event.account) =>
            {
                id
            }
            _ => self.intern(event.account)?,
        };
        let cycle = self.accounts[id.index()]
            .subscription
            .as_ref()
            .map(|s| s.cycle);
        let now = event.time;
        let outcome = match event.action {
            Action::Subscribe { plan } => self.subscribe_at(id, now, plan)?,
            Action::Cancel => self.cancel_at(id),
            Action::ChangePlan { plan } => self.change_plan_at(id, plan),
            Action::Purchase { credits } => self.purchase_at(id, now, credits)?,
            Action::Call {
                provider,
                operation,
                task,
            } => self.call_at(id, now, rule, provider, operation, task)?,
            Action::Refund { task } => self.refund_at(id, now, task)?,
        };
        Ok(Applied {
            account: id,
            cycle,
            outcome,
        })
    }

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

    fn advance(&mut self, to: Instant) -> Result<(), EngineError> {
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
    fn roll_over(&mut self, id: AccountId, boundary: Instant) -> Result<(), EngineError> {
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
            self.entries.push(LedgerEntry {
                time: boundary,
                account: id,
                kind: EntryKind::Expire,
                cycle: ended_cycle,
                plan: Some(self.plans.at(subscription.plan).id.clone()),
                task: None,
                extra_delta: 0,
                subscription_delta: -i128::from(expired),
                usd: Decimal::ZERO,
                extra_balance: account.extra_credits,
                subscription_balance: 0,
            });
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
    fn start_cycle(&mut self, id: AccountId, subscription: Subscription) {
        let account = &mut self.accounts[id.index()];
        let plan = self.plans.at(subscription.plan);
        let (price_usd, credits) = (plan.price_usd, plan.monthly_credits);
        let cycle = subscription.cycle;
        // The bucket is empty here: the boundary expired it, or there was
        // no subscription before.
        debug_assert_eq!(account.subscription_credits, 0);
        account.subscription_credits = credits;
        let entry = |kind, usd, delta, balance| LedgerEntry {
            time: cycle.start,
            account: id,
            kind,
            cycle,
            plan: Some(plan.id.clone()),
            task: None,
            extra_delta: 0,
            subscription_delta: delta,
            usd,
            extra_balance: account.extra_credits,
            subscription_balance: balance,
        };
        self.entries.push(entry(EntryKind::Fee, price_usd, 0, 0));
        self.entries.push(entry(
            EntryKind::Grant,
            Decimal::ZERO,
            i128::from(credits),
            credits,
        ));
        self.boundaries
            .push(Reverse((cycle.end, account.name.clone(), id)));
        account.subscription = Some(subscription);
    }

    fn intern(&mut self, name: &str) -> Result<AccountId, EngineError> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(id);
        }
        let index = u32::try_from(self.accounts.len()).map_err(|_| EngineError::TooManyAccounts)?;
        let id = AccountId(index);
        let name = AccountName::new(name);
        self.accounts.push(Account::new(name.clone()));
        self.ids.insert(name, id);
        Ok(id)
    }

    fn subscribe_at(
        &mut self,
        id: AccountId,
        now: Instant,
        plan: &str,
    ) -> Result<Result<Effect, Rejection>, EngineError> {
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

    fn cancel_at(&mut self, id: AccountId) -> Result<Effect, Rejection> {
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

    fn change_plan_at(&mut self, id: AccountId, plan: &str) -> Result<Effect, Rejection> {
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

    fn purchase_at(
        &mut self,
        id: AccountId,
        now: Instant,
        credits: u64,
    ) -> Result<Result<Effect, Rejection>, EngineError> {
        let account = &mut self.accounts[id.index()];
        let Some(subscription) = &account.subscription else {
            return Ok(Err(Rejection::NoActiveSubscription));
        };
        let Some(price_usd) = self.terms.extra_credits_price_usd(credits) else {
            return Ok(Err(Rejection::InvalidCredits { credits }));
        };
        account.extra_credits = account
            .extra_credits
            .checked_add(credits)
            .ok_or_else(|| overflow(account, "extra credits"))?;
        let balances = (account.extra_credits, account.subscription_credits);
        self.entries.push(purchase_entry(
            id,
            now,
            subscription.cycle,
            credits,
            price_usd,
            balances,
        ));
        Ok(Ok(Effect::Purchased { credits, price_usd }))
    }

    fn call_at(
        &mut self,
        id: AccountId,
        now: Instant,
        rule: Option<(RuleRef, Rule)>,
        provider: &str,
        operation: &str,
        task: Option<&str>,
    ) -> Result<Result<Effect, Rejection>, EngineError> {
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
        // One probe of the task memory serves the duplicate check and the
        // remembering below.
        let task_hash = key_hash(id, task);
        let slot = self.tasks.slot(task_hash, id, task);
        if let Some(charge) = slot.charge(now, self.task_window) {
            return Ok(Err(Rejection::DuplicateTask {
                task: task.into(),
                charged_at: charge.charged_at,
            }));
        }
        let available =
            u128::from(account.extra_credits) + u128::from(account.subscription_credits);
        if available < u128::from(cost) {
            let Some((credits, price_usd)) = self.terms.top_up_for(cost, available) else {
                return Ok(Err(Rejection::InsufficientCredits {
                    needed: cost,
                    extra: account.extra_credits,
                    subscription: account.subscription_credits,
                }));
            };
            account.extra_credits = account
                .extra_credits
                .checked_add(credits)
                .ok_or_else(|| overflow(account, "extra credits"))?;
            let balances = (account.extra_credits, account.subscription_credits);
            self.entries.push(purchase_entry(
                id,
                now,
                subscription.cycle,
                credits,
                price_usd,
                balances,
            ));
        }
        let from_extra = account.extra_credits.min(cost);
        let from_subscription = cost - from_extra;
        let cycle = subscription.cycle;
        let charge = TaskCharge::new(
            cycle,
            subscription.cycle_days,
            subscription.plan,
            rule_ref,
            from_extra,
        );
        account.extra_credits -= from_extra;
        account.subscription_credits -= from_subscription;
        let task = task_id(task);
        // A zero window remembers nothing; any other remembers the charge
        // at least until the next event's time moves past it.
        if self.task_window > TimeDelta::zero() {
            slot.remember(Remembered {
                key_hash: task_hash as u32,
                account: id,
                task: task.clone(),
                charged_at: now,
                data: charge,
            });
        }
        self.entries.push(LedgerEntry {
            time: now,
            account: id,
            kind: EntryKind::Charge,
            cycle,
            plan: None,
            task: Some(task),
            extra_delta: -i128::from(from_extra),
            subscription_delta: -i128::from(from_subscription),
            usd: Decimal::ZERO,
            extra_balance: account.extra_credits,
            subscription_balance: account.subscription_credits,
        });
        Ok(Ok(Effect::Called {
            credits: cost,
            extra: from_extra,
            subscription: from_subscription,
            songs: rule.songs,
            lyrics: rule.lyrics,
        }))
    }

    fn refund_at(
        &mut self,
        id: AccountId,
        now: Instant,
        task: &str,
    ) -> Result<Result<Effect, Rejection>, EngineError> {
        let window = self.task_window;
        let account = &mut self.accounts[id.index()];
        let current_cycle = account.subscription.as_ref().map(|s| s.cycle);
        let task = task_id(task);
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
        self.entries.push(LedgerEntry {
            time: now,
            account: id,
            kind: EntryKind::Refund,
            cycle: charge_cycle,
            plan: None,
            task: Some(task),
            extra_delta: i128::from(charge.extra),
            subscription_delta: i128::from(from_subscription),
            usd: Decimal::ZERO,
            extra_balance: extra,
            subscription_balance: subscription,
        });
        let expired = if cycle_ended { from_subscription } else { 0 };
        if expired > 0 {
            self.entries.push(LedgerEntry {
                time: now,
                account: id,
                kind: EntryKind::Expire,
                cycle: charge_cycle,
                plan: Some(self.plans.at(charge.plan).id.clone()),
                task: None,
                extra_delta: 0,
                subscription_delta: -i128::from(expired),
                usd: Decimal::ZERO,
                extra_balance: extra,
                subscription_balance: account.subscription_credits,
            });
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

/// A task id as stored: inline, without allocating, when short. Inline
/// ids are copied byte by byte (`new_inline`), which for ids of a few
/// bytes costs less than the general constructor's `memcpy` call.
fn task_id(task: &str) -> TaskId {
    if task.len() <= 23 {
        TaskId::new_inline(task)
    } else {
        TaskId::new(task)
    }
}

/// The `purchase` entry of extra credits bought (or topped up) at `now`,
/// with the balances after it.
fn purchase_entry(
    id: AccountId,
    now: Instant,
    cycle: Cycle,
    credits: u64,
    price_usd: Decimal,
    balances: (u64, u64),
) -> LedgerEntry {
    let (extra_balance, subscription_balance) = balances;
    LedgerEntry {
        time: now,
        account: id,
        kind: EntryKind::Purchase,
        cycle,
        plan: None,
        task: None,
        extra_delta: i128::from(credits),
        subscription_delta: 0,
        usd: price_usd,
        extra_balance,
        subscription_balance,
    }
}

fn overflow(account: &Account, what: &'static str) -> EngineError {
    EngineError::Overflow {
        account: account.name.to_string(),
        what,
    }
}
