//! The engine: a sans-I/O state machine over many accounts.
//!
//! It is handed events with their times and answers with an [`Applied`]
//! (the effect, or a [`Rejection`](crate::core::Rejection) with its stable code) plus the
//! [`LedgerEntry`]s the call produced. It never reads a clock: time moves
//! only when an event or [`Engine::advance_to`] says so, and then every
//! billing-cycle boundary up to that time rolls over, for every account,
//! idle ones included, in time order and, at equal times, by account name.

use super::account::{Account, AccountName, Balance, TaskCharge};
use super::event::{Action, Event};
use super::ledger::{AccountId, LedgerEntry};
use super::plans::PlanBook;
use super::rules::{RuleBook, RuleGuess};
use super::tasks::{Remembered, TaskKey, TaskMemory};
use super::terms::Terms;
use super::time::Instant;
use chrono::TimeDelta;
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The default task window: task ids are remembered for 24 hours after
/// their charge, like the de-duplication window of metered billing APIs.
pub const DEFAULT_TASK_WINDOW: TimeDelta = TimeDelta::hours(24);
mod charging;
mod cycles;
mod error;
mod outcome;
mod refunds;
mod requests;
mod subscription;

pub use error::EngineError;
pub(crate) use error::NOT_WHOLE_DAYS;
pub use outcome::{AccountView, Applied, Effect, Outcome};

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
    /// How late an event may come and still be applied (at `now`).
    late_tolerance: TimeDelta,
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
            late_tolerance: TimeDelta::zero(),
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

    /// Accepts events that come up to `tolerance` behind the engine's
    /// time, as a gateway's threads hand them over a little out of order:
    /// such an event is applied at the engine's time instead of its own
    /// (its entries carry the engine's time, so the ledger never goes
    /// back), and its [`Applied::applied_at`] says so. An event later than
    /// that is still [`EngineError::TimeWentBackwards`]. The default, zero,
    /// accepts no late event, as a replay of a log needs. Negative
    /// tolerances count as zero.
    ///
    /// A late event is applied as if it had come at the engine's time:
    /// when a billing cycle rolled over in between, it counts in the new
    /// cycle. Keep the tolerance far below a cycle (milliseconds to
    /// seconds) and this stays a rounding of the clock.
    ///
    /// ```
    /// # use creditsim::{Engine, Plan, PlanBook, RuleBook};
    /// # use creditsim::core::time::parse_time;
    /// use chrono::TimeDelta;
    /// # let plans = PlanBook::new([Plan { id: "basic".into(), price_usd: 8.into(), monthly_credits: 1000 }])?;
    /// let mut engine = Engine::new(plans, RuleBook::builtin())
    ///     .with_late_tolerance(TimeDelta::milliseconds(5));
    /// engine.subscribe(parse_time("2025-07-01T00:00:00.010Z")?, "alice", "basic")?;
    /// let late = engine.charge(parse_time("2025-07-01T00:00:00.007Z")?, "alice", "lyrics", "make", Some("t1"))?;
    /// assert_eq!(late.applied_at, Some(parse_time("2025-07-01T00:00:00.010Z")?));
    /// let too_late = engine.charge(parse_time("2025-07-01T00:00:00.004Z")?, "alice", "lyrics", "make", Some("t2"));
    /// assert!(too_late.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_late_tolerance(mut self, tolerance: TimeDelta) -> Self {
        self.late_tolerance = tolerance.max(TimeDelta::zero());
        self
    }

    /// How late an event may come and still be applied.
    pub fn late_tolerance(&self) -> TimeDelta {
        self.late_tolerance
    }

    /// Sets the price of extra credits and the top-up policy (default:
    /// the published $0.08 per 10 credits, no top-up).
    ///
    /// ```
    /// use creditsim::core::{Terms, TopUp};
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
    pub(crate) fn warm(&self, id: AccountId) -> u64 {
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
    /// probe first, from its key (as the reading side computes it for a
    /// row, see `BatchRow::task_key`): as [`Engine::warm`], a load ahead
    /// whose value means nothing.
    pub(crate) fn warm_task(&self, key: TaskKey) -> u64 {
        self.tasks.warm(key)
    }

    /// The number of accounts seen.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// The balance as the API's get-credits reports it; zero for an
    /// account the engine has not seen.
    pub fn balance(&self, account: &str) -> Balance {
        self.account_id(account)
            .map(|id| self.accounts[id.index()].balance())
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
    ///
    /// # Errors
    ///
    /// [`EngineError::TimeWentBackwards`] when `to` is earlier than the
    /// engine's time by more than the late tolerance, and
    /// [`EngineError::Overflow`] when a total would pass `u64::MAX`.
    pub fn advance_to(&mut self, to: Instant) -> Result<(), EngineError> {
        self.entries.clear();
        self.advance(to)
    }

    /// Applies one event: first the roll-overs up to its time, then the
    /// event. The entries of both are in [`Engine::entries`].
    ///
    /// # Errors
    ///
    /// An [`EngineError`] when the event cannot be applied at all; then
    /// nothing changed: [`EngineError::TimeWentBackwards`] for an event
    /// earlier than the engine's time (beyond the
    /// [late tolerance](Engine::with_late_tolerance)),
    /// [`EngineError::TaskRequired`] for a paid call without a task id,
    /// [`EngineError::Overflow`] when a bucket would pass `u64::MAX`,
    /// [`EngineError::TimeOutOfRange`] for a cycle ending after year 9999,
    /// [`EngineError::TooManyAccounts`] past `u32::MAX` accounts. A
    /// rejection by the rules is not an error: it is the `outcome`.
    pub fn apply(&mut self, event: &Event<'_>) -> Result<Applied, EngineError> {
        self.apply_hinted(event, None)
    }

    /// Like [`Engine::apply`], with a guess of the account's id: the id it
    /// has, or `AccountId` number [`Engine::account_count`] for an account
    /// the engine has not seen. A right guess saves the lookup by name (a
    /// replay guesses on its reading thread); a wrong one costs only that
    /// lookup, so the outcome never depends on the guess.
    ///
    /// Hidden from the docs: a speed hook for the replay and the
    /// `engine/charge_known_account` benchmark, not a promise to users.
    #[doc(hidden)]
    pub fn apply_hinted(
        &mut self,
        event: &Event<'_>,
        hint: Option<AccountId>,
    ) -> Result<Applied, EngineError> {
        self.apply_guessed(event, hint, None)
    }

    /// Like [`Engine::apply_hinted`], with a call's rule found already
    /// ([`RuleBook::guess`]): used when it was found in this engine's book
    /// (or one it was cloned from), else the rule is looked up by name, so
    /// the outcome never depends on the guess. What-if runs sharing a rule
    /// book find each call's rule once for all of them.
    ///
    /// Hidden from the docs like [`Engine::apply_hinted`].
    #[doc(hidden)]
    pub fn apply_guessed(
        &mut self,
        event: &Event<'_>,
        hint: Option<AccountId>,
        rule: Option<RuleGuess>,
    ) -> Result<Applied, EngineError> {
        self.entries.clear();
        // The rule of a call is looked up once, here, and handed on.
        let rule = match event.action {
            Action::Call {
                provider,
                operation,
                task,
            } => {
                let rule = rule
                    .and_then(|guess| self.rules.guessed(guess))
                    .or_else(|| self.rules.find(provider, operation));
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
        // A late event within the tolerance is applied at the engine's
        // time, so the ledger never goes back; the answer says so.
        let applied_at = self.advance_for_event(event.time)?;
        let now = applied_at.unwrap_or(event.time);
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
            applied_at,
        })
    }

    /// The accounts, by id, for a snapshot.
    pub(crate) fn accounts_raw(&self) -> &[Account] {
        &self.accounts
    }

    /// The remembered charges, oldest first, for a snapshot.
    pub(crate) fn tasks_raw(&self) -> impl Iterator<Item = &Remembered<TaskCharge>> {
        self.tasks.iter()
    }

    /// An engine from a restored state: the name index and the boundary
    /// queue are rebuilt from the accounts, and the charges remembered
    /// again in their order. Fails on a duplicate account name.
    pub(crate) fn from_parts(
        plans: PlanBook,
        rules: RuleBook,
        task_window: TimeDelta,
        terms: Terms,
        now: Option<Instant>,
        accounts: Vec<Account>,
        charges: Vec<Remembered<TaskCharge>>,
    ) -> Result<Engine, String> {
        let mut engine = Engine::new(plans, rules)
            .with_task_window(task_window)
            .with_terms(terms);
        engine.now = now;
        for (index, account) in accounts.into_iter().enumerate() {
            let id = AccountId(u32::try_from(index).map_err(|_| "too many accounts")?);
            if engine.ids.insert(account.name.clone(), id).is_some() {
                return Err(format!("account {} appears twice", account.name));
            }
            if let Some(s) = &account.subscription {
                engine
                    .boundaries
                    .push(Reverse((s.cycle.end, account.name.clone(), id)));
            }
            engine.accounts.push(account);
        }
        for charge in charges {
            let key = TaskKey::of(charge.account, &charge.task);
            let task = charge.task.clone();
            engine
                .tasks
                .slot(key, charge.account, &task)
                .remember(Remembered { key, ..charge });
        }
        Ok(engine)
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
}

fn overflow(account: &Account, what: &'static str) -> EngineError {
    EngineError::Overflow {
        account: account.name.to_string(),
        what,
    }
}
