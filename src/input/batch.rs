//! Batches of classified rows, in merge order: what the reading thread of a
//! replay hands to the applying thread.
//!
//! A batch owns one text arena holding the strings of its rows (account,
//! plan, provider, operation, task) and a compact record per row with the
//! parsed time, action and field spans. Batches are cleared and sent back
//! for reuse, so in steady state reading allocates nothing per row.

use crate::core::tasks::TaskKey;
use crate::core::time::Instant;
use crate::core::{AccountId, ActionOf, Event, Reason};
use rustc_hash::FxHashMap;
use smol_str::SmolStr;

/// A batch is handed over when it holds this many rows...
const FULL_ROWS: usize = 4096;
/// ... or this much text. Rows are at most `MAX_ROW_BYTES` (1 MiB) long,
/// so the arena stays far below `u32::MAX` and spans fit in `u32`.
const FULL_TEXT: usize = 1 << 18;

/// Where a string lies in the batch's text.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// The string it names in `text` (the batch's text).
    fn of(self, text: &str) -> &str {
        // Spans are made from this text, at field boundaries.
        &text[self.start as usize..self.end as usize]
    }
}

/// One row of a batch.
#[derive(Debug)]
pub struct BatchRow {
    /// Index of its file among the replay's files.
    pub file: u32,
    /// Its physical line.
    pub line: u64,
    /// Bytes read over all files when this row was handed out; only filled
    /// on rows that report progress, else 0.
    pub bytes: u64,
    /// Its classification and content.
    kind: RowKind,
}

impl BatchRow {
    /// The guessed engine id of a well-formed row's account.
    pub fn hint(&self) -> Option<AccountId> {
        match self.kind {
            RowKind::Good { hint, .. } => hint,
            RowKind::Bad(_) => None,
        }
    }

    /// The task key of a call or refund with a task id, under the guessed
    /// account id: enough to find the task index slot it will probe
    /// (`Engine::warm_task`).
    pub(crate) fn task_key(&self) -> Option<TaskKey> {
        match self.kind {
            RowKind::Good {
                task_key: Some(key),
                ..
            } => Some(key),
            _ => None,
        }
    }
}

/// A row's classification and content.
#[derive(Debug)]
enum RowKind {
    /// Well formed and in order: its event is rebuilt from the spans.
    Good {
        time: Instant,
        /// The action, its strings as places in the batch's text.
        action: ActionOf<Span>,
        account: Span,
        /// The engine id the account is expected to have (see
        /// `Engine::apply_hinted`).
        hint: Option<AccountId>,
        /// See [`BatchRow::task_key`].
        task_key: Option<TaskKey>,
    },
    /// `malformed` or `out_of_order`: rare, so boxed and owned.
    Bad(Box<BadRow>),
}

/// A row that could not be applied, with what `rejections.csv` shows.
#[derive(Debug)]
pub struct BadRow {
    /// `Malformed` or `OutOfOrder`.
    pub reason: Reason,
    /// What is wrong.
    pub detail: String,
    /// Time (normalised when it parses), account and event name as read.
    pub described: (String, String, String),
}

/// What a row of a batch is, as the applying side sees it.
pub enum RowView<'a> {
    /// A well-formed, in-order row, with the guess of its account's id.
    Good(Event<'a>, Option<AccountId>),
    /// A `malformed` or `out_of_order` row.
    Bad(&'a BadRow),
}

/// Rows in merge order with the text they point into.
#[derive(Debug, Default)]
pub struct Batch {
    rows: Vec<BatchRow>,
    text: String,
}

impl Batch {
    /// Whether the batch should be handed over now.
    pub fn is_full(&self) -> bool {
        self.rows.len() >= FULL_ROWS || self.text.len() >= FULL_TEXT
    }

    /// Whether it holds no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Empties the batch, keeping its capacity for reuse.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.text.clear();
    }

    /// The rows, in merge order.
    pub fn rows(&self) -> &[BatchRow] {
        &self.rows
    }

    fn span(&mut self, text: &str) -> Span {
        // Bounded by `FULL_TEXT` plus one row (see there).
        let start = self.text.len() as u32;
        self.text.push_str(text);
        Span {
            start,
            end: self.text.len() as u32,
        }
    }

    fn text(&self, span: Span) -> &str {
        span.of(&self.text)
    }

    /// Adds a well-formed row's event.
    pub(crate) fn push_good(&mut self, file: u32, line: u64, bytes: u64, event: Event<'_>) {
        let account = self.span(event.account);
        let action = event.action.map(|text| self.span(text));
        self.rows.push(BatchRow {
            file,
            line,
            bytes,
            kind: RowKind::Good {
                time: event.time,
                action,
                account,
                // Filled in by `guess_ids` before the batch is handed over.
                hint: None,
                task_key: None,
            },
        });
    }

    /// Guesses the account id of every good row, in row order. Done for
    /// the whole batch in one tight loop rather than as each row is read:
    /// the name table is large, each probe is a cache miss, and probes of
    /// different rows only overlap when little work lies between them.
    pub(crate) fn guess_ids(&mut self, ids: &mut AccountIds) {
        let text = &self.text;
        for row in &mut self.rows {
            if let RowKind::Good {
                time,
                action,
                account,
                hint,
                task_key,
            } = &mut row.kind
            {
                *hint = ids.guess(account.of(text), *time);
                let task = action.task().map(|span| span.of(text));
                *task_key = match (*hint, task) {
                    (Some(id), Some(task)) if !task.is_empty() => Some(TaskKey::of(id, task)),
                    _ => None,
                };
            }
        }
    }

    /// Adds a `malformed` or `out_of_order` row.
    pub(crate) fn push_bad(&mut self, file: u32, line: u64, bytes: u64, bad: BadRow) {
        self.rows.push(BatchRow {
            file,
            line,
            bytes,
            kind: RowKind::Bad(Box::new(bad)),
        });
    }

    /// The provider and operation of a well-formed call row: all that
    /// finding its rule needs, without viewing the whole row.
    pub(crate) fn call(&self, row: &BatchRow) -> Option<(&str, &str)> {
        match &row.kind {
            RowKind::Good {
                action:
                    ActionOf::Call {
                        provider,
                        operation,
                        ..
                    },
                ..
            } => Some((self.text(*provider), self.text(*operation))),
            _ => None,
        }
    }

    /// A row's event, or its problem.
    pub fn view<'a>(&'a self, row: &'a BatchRow) -> RowView<'a> {
        match &row.kind {
            RowKind::Bad(bad) => RowView::Bad(bad),
            RowKind::Good {
                time,
                action,
                account,
                hint,
                ..
            } => {
                let event = Event {
                    time: *time,
                    account: self.text(*account),
                    action: action.map(|span| self.text(span)),
                };
                RowView::Good(event, *hint)
            }
        }
    }
}

/// The reading side's guess of the engine's account ids: the engine numbers
/// accounts in the order of their first applied event, and the rows reach
/// it in merge order, so the same numbering can be kept here, off the
/// engine's thread.
#[derive(Debug)]
pub struct AccountIds {
    ids: FxHashMap<SmolStr, u32>,
    next: Option<u32>,
    as_of: Option<Instant>,
}

impl AccountIds {
    /// Numbering from `first` (the accounts the engine holds already);
    /// rows later than `as_of` are not applied, so they get no number.
    pub fn new(first: usize, as_of: Option<Instant>) -> Self {
        AccountIds {
            ids: FxHashMap::default(),
            next: u32::try_from(first).ok(),
            as_of,
        }
    }

    /// The id the engine will give the account of a good row at `time`;
    /// `None` for a new account in a row the replay will not apply (later
    /// than the as-of time), or past `u32::MAX` accounts.
    pub fn guess(&mut self, account: &str, time: Instant) -> Option<AccountId> {
        if let Some(&id) = self.ids.get(account) {
            return Some(AccountId(id));
        }
        if self.as_of.is_some_and(|as_of| time > as_of) {
            return None;
        }
        let id = self.next?;
        self.next = id.checked_add(1);
        self.ids.insert(SmolStr::new(account), id);
        Some(AccountId(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::plans::{Plan, PlanBook};
    use crate::core::time::parse_time;
    use crate::core::Action;
    use crate::core::{Engine, RuleBook};
    use rust_decimal::Decimal;

    fn push(batch: &mut Batch, account: &str, action: Action<'_>) {
        let time = parse_time("2025-07-01T00:00:00Z").unwrap();
        let event = Event {
            time,
            account,
            action,
        };
        batch.push_good(0, 2, 0, event);
    }

    fn call<'a>(operation: &'a str, task: Option<&'a str>) -> Action<'a> {
        Action::Call {
            provider: "suno",
            operation,
            task,
        }
    }

    #[test]
    fn calls_and_refunds_with_a_task_carry_its_key_under_the_guessed_id() {
        let mut batch = Batch::default();
        push(&mut batch, "a", Action::Subscribe { plan: "basic" });
        push(&mut batch, "b", call("create", Some("t1")));
        push(&mut batch, "a", call("lyrics", None));
        push(&mut batch, "a", Action::Refund { task: "t1" });
        batch.guess_ids(&mut AccountIds::new(0, None));
        let keys: Vec<_> = batch.rows().iter().map(BatchRow::task_key).collect();
        let hash = |id, task| Some(TaskKey::of(AccountId(id), task));
        assert_eq!(keys, [None, hash(1, "t1"), None, hash(0, "t1")]);
    }

    /// The reading side's key points the replay's load ahead at the slot
    /// the engine's lookup of the same task then probes.
    #[test]
    fn a_rows_task_key_names_the_slot_the_engine_probes() {
        let plans = PlanBook::new([Plan {
            id: "basic".into(),
            price_usd: Decimal::new(800, 2),
            monthly_credits: 1000,
        }])
        .unwrap();
        let mut engine = Engine::new(plans, RuleBook::builtin());
        let mut batch = Batch::default();
        push(&mut batch, "a", Action::Subscribe { plan: "basic" });
        push(&mut batch, "a", call("create", Some("t1")));
        batch.guess_ids(&mut AccountIds::new(0, None));
        let hash = batch.rows()[1].task_key().unwrap();
        for row in batch.rows() {
            let RowView::Good(event, id) = batch.view(row) else {
                panic!("good rows")
            };
            assert_eq!(engine.warm_task(hash), 0, "nothing remembered yet");
            engine.apply_hinted(&event, id).unwrap().outcome.unwrap();
        }
        assert_ne!(engine.warm_task(hash), 0, "the charge's slot");
    }

    proptest::proptest! {
        /// The contract `AccountIds` keeps with the engine: for any rows in
        /// time order, any mix of accepted and rejected events and any
        /// as-of cut, the guessed id of every applied row is the id the
        /// engine gives its account. (A wrong guess would cost only a
        /// lookup, but the replay's load-ahead counts on it.)
        #[test]
        fn guessed_ids_are_the_engines_ids(
            rows in proptest::collection::vec((0u8..6, 0u8..6, 0u32..3), 0..60),
            cut in proptest::option::of(0u32..120),
            known in 0usize..3,
        ) {
            let plans = PlanBook::new([Plan {
                id: "basic".into(),
                price_usd: Decimal::new(800, 2),
                monthly_credits: 20,
            }])
            .unwrap();
            let mut engine = Engine::new(plans, RuleBook::builtin());
            let start = parse_time("2025-07-01T00:00:00Z").unwrap();
            let at = |step: u32| start + chrono::TimeDelta::days(i64::from(step));
            // Accounts the engine holds already, as after a restore.
            for k in 0..known {
                engine.cancel(start, &format!("k{k}")).unwrap();
            }
            let names: Vec<String> = (0..6).map(|a| format!("acct{a}")).collect();
            let mut batch = Batch::default();
            let mut step = 0;
            for &(account, action, gap) in &rows {
                step += gap;
                let action = match action {
                    0 => Action::Subscribe { plan: "basic" },
                    1 => Action::Subscribe { plan: "gold" },
                    2 => Action::Cancel,
                    3 => Action::Purchase { credits: 10 },
                    4 => call("create", Some("t")),
                    _ => Action::Refund { task: "t" },
                };
                let event = Event { time: at(step), account: &names[usize::from(account)], action };
                batch.push_good(0, 2, 0, event);
            }
            let as_of = cut.map(at);
            batch.guess_ids(&mut AccountIds::new(engine.account_count(), as_of));
            for row in batch.rows() {
                let RowView::Good(event, guess) = batch.view(row) else {
                    panic!("only good rows were pushed")
                };
                if as_of.is_some_and(|as_of| event.time > as_of) {
                    continue;
                }
                let applied = engine.apply(&event).unwrap();
                proptest::prop_assert_eq!(Some(applied.account), guess);
            }
        }
    }
}
