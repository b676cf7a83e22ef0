//! `--journal FILE`: the replay's ledger as a plain-text double-entry
//! journal that [hledger](https://hledger.org) and
//! [ledger-cli](https://ledger-cli.org) read, so that every balance
//! creditsim reports can be checked with those tools.
//!
//! Every entry of `ledger.csv` becomes one transaction, in the same (time)
//! order. Every transaction balances in each commodity on its own, and no
//! amount needs a price: credits are in the commodity `CR`, dollars in
//! `USD` (`10 CR`, `8.00 USD`). Each account of the chart holds a single
//! commodity.
//!
//! # Chart of accounts
//!
//! Credits (`CR`) flow from an `issued:` account into a customer's bucket
//! and out of it into `usage:` or `expired:`. Buckets are written as the
//! credits the customer holds (positive), so `hledger bal` shows them with
//! the numbers of `balances.csv`; the sources are negative and the sinks
//! positive, and all credit accounts together sum to zero.
//!
//! | account | commodity | movement | balance means |
//! |---|---|---|---|
//! | `customers:<id>:subscription` | CR | grant +, charge -, refund +, expire - | subscription credits held: `credits` of `balances.csv` |
//! | `customers:<id>:extra` | CR | purchase +, charge -, refund + | extra credits held: `extra_credits` of `balances.csv` |
//! | `issued:grants` | CR | grant - | minus the credits granted by plans |
//! | `issued:purchases` | CR | purchase - | minus the extra credits sold |
//! | `usage:<provider>:<operation>` | CR | charge +, refund - | credits consumed by that call, net of refunds |
//! | `expired:<plan>` | CR | expire + | subscription credits expired, by the plan of the cycle |
//! | `customers:<id>:receivable` | USD | fee +, purchase + | dollars billed to the customer |
//! | `revenue:fees` | USD | fee - | minus the plan fees (`fees_usd` of `summary.json`) |
//! | `revenue:extra_credits` | USD | purchase - | minus the extra-credit sales (`purchases_usd`) |
//!
//! Revenue is negative, as income is in hledger's and ledger's convention
//! (`hledger bal revenue --invert` or `hledger is` shows it positive).
//! A purchase is one transaction with four postings: the credits
//! (`extra` against `issued:purchases`) and the money (`receivable`
//! against `revenue:extra_credits`). A charge posts only the buckets it
//! takes from (`extra`, then `subscription`) against the call's `usage:`
//! account; a refund reverses it onto the same `usage:` account. A late
//! refund (RULES.md section 6) is a `refund` then an `expire`, as in
//! `ledger.csv`. A fee of 0.00 and a grant of 0 credits are still written,
//! with zero amounts.
//!
//! # Transactions
//!
//! ```text
//! 2025-07-01 charge alice suno create
//!     ; time: 2025-07-01T09:30:00Z
//!     ; customer: alice
//!     ; task: t-1
//!     customers:alice:extra  -8 CR
//!     customers:alice:subscription  -2 CR
//!     usage:suno:create  10 CR
//! ```
//!
//! The date is the UTC date of the entry; the exact time is the `time`
//! tag. Tags: `time` (every transaction), `customer` (the account id),
//! `plan` (fee, grant and expire) and `task` (charge and refund). The
//! description is the entry kind, the customer, then the plan (fee, grant,
//! expire) or the provider and operation (charge, refund). Commodities,
//! tags and every account are declared (`commodity`, `tag`, `account`
//! directives, each account just before its first use), so
//! `hledger check --strict` and `ledger --pedantic` accept the file.
//!
//! # Escaping
//!
//! Account ids, task ids, plan ids, providers and operations come from the
//! input and may hold anything (spaces, `:`, `;`, `@`, brackets, quotes,
//! tabs, unicode). Each is written percent-encoded: every byte of its
//! UTF-8 form outside `A-Z a-z 0-9 _ . -` becomes `%` and two upper-case
//! hex digits (`al ice:1` is `al%20ice%3A1`, `é` is `%C3%A9`), the same
//! in account names, descriptions and tags. The mapping is one-to-one and
//! decodes with any URL decoder; ids that need no escaping are unchanged.
//! An empty id (possible only through the library API) is written `%`.
//!
//! # Refunds
//!
//! A refund entry carries the task, not the call; the writer remembers the
//! provider and operation of each charged task for the task window, as the
//! engine does, so its memory grows with tasks inside the window.

use crate::core::money::Usd;
use crate::core::time::{format_time, Instant};
use crate::core::{AccountId, Action, EntryKind, Event, LedgerEntry};
use chrono::TimeDelta;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;

/// The commodity of credits.
pub const CREDITS: &str = "CR";
/// The commodity of money.
pub const DOLLARS: &str = "USD";

/// Writes `s` percent-encoded (see the module docs) to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    if s.is_empty() {
        out.push('%');
        return;
    }
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// `s` percent-encoded (see the module docs): `al ice:1` gives
/// `al%20ice%3A1`.
///
/// ```
/// use creditsim::report::journal::escape;
/// assert_eq!(escape("acct-42"), "acct-42");
/// assert_eq!(escape("al ice:1"), "al%20ice%3A1");
/// assert_eq!(escape("é;@"), "%C3%A9%3B%40");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// The customer accounts, as bits of `JournalWriter::declared`.
const EXTRA: u8 = 1;
const SUBSCRIPTION: u8 = 2;
const RECEIVABLE: u8 = 4;

/// The call behind a charged task, remembered for refunds.
struct ChargedCall {
    charged_at: Instant,
    /// `usage:<provider>:<operation>`, escaped.
    usage: Arc<str>,
}

/// Writes the journal, one transaction per ledger entry.
pub struct JournalWriter<W: Write> {
    out: W,
    task_window: TimeDelta,
    /// Bits of the customer accounts declared so far, by account index.
    declared: Vec<u8>,
    /// Other accounts declared so far.
    declared_names: HashSet<Arc<str>>,
    /// `usage:<provider>:<operation>`, escaped, by provider and operation.
    usage: HashMap<Box<str>, HashMap<Box<str>, Arc<str>>>,
    /// Charged tasks inside the task window, by account.
    calls: HashMap<(AccountId, Arc<str>), ChargedCall>,
    /// When each remembered task is forgotten, in time order.
    expiries: VecDeque<(Instant, AccountId, Arc<str>)>,
    /// The transaction being built.
    text: String,
    /// Its account declarations.
    declarations: String,
}

/// The first lines of every journal.
const PREAMBLE: &str = "\
; creditsim replay journal: one balanced transaction per ledger.csv entry.
; Credits in CR, dollars in USD. Ids are percent-encoded: every byte
; outside A-Z a-z 0-9 _ . - is written %XX. Chart of accounts: customers:<id>:
; {subscription,extra} (CR held), customers:<id>:receivable (USD billed),
; issued:{grants,purchases}, usage:<provider>:<operation>, expired:<plan> (CR),
; revenue:{fees,extra_credits} (USD, negative as income).

commodity CR
commodity USD
tag time
tag customer
tag plan
tag task
";

impl<W: Write> JournalWriter<W> {
    /// Starts the journal with its directives. `task_window` must be the
    /// engine's, so that refunds find the call they undo.
    pub fn new(mut out: W, task_window: TimeDelta) -> io::Result<Self> {
        out.write_all(PREAMBLE.as_bytes())?;
        Ok(JournalWriter {
            out,
            task_window,
            declared: Vec::new(),
            declared_names: HashSet::new(),
            usage: HashMap::new(),
            calls: HashMap::new(),
            expiries: VecDeque::new(),
            text: String::new(),
            declarations: String::new(),
        })
    }

    /// Writes one entry of the named account as a transaction. `event` is
    /// the event being applied when the engine made the entry (`None` for
    /// roll-overs outside any event); it is needed for charge entries,
    /// whose provider and operation only the event knows.
    pub fn write(
        &mut self,
        entry: &LedgerEntry,
        account: &str,
        event: Option<&Event<'_>>,
    ) -> io::Result<()> {
        self.forget_until(entry.time);
        self.text.clear();
        self.declarations.clear();
        let time = format_time(entry.time);
        let date = entry.time.format("%Y-%m-%d");
        let customer = escape(account);
        let kind = entry.kind.name();
        let _ = write!(self.text, "\n{date} {kind} {customer}");
        let counter: Arc<str> = match entry.kind {
            EntryKind::Fee | EntryKind::Grant => "issued:grants".into(),
            EntryKind::Purchase => "issued:purchases".into(),
            EntryKind::Expire => {
                let mut name = String::from("expired:");
                escape_into(&mut name, entry.plan.as_deref().unwrap_or(""));
                name.into()
            }
            EntryKind::Charge => {
                let Some(Event {
                    action:
                        Action::Call {
                            provider,
                            operation,
                            ..
                        },
                    ..
                }) = event
                else {
                    return Err(invalid(format!(
                        "charge entry of {account} at {time} without its call"
                    )));
                };
                let usage = self.usage_account(provider, operation);
                if let Some(task) = entry.task.as_deref() {
                    self.remember(entry.account, task, entry.time, usage.clone());
                }
                usage
            }
            EntryKind::Refund => {
                let task: Arc<str> = entry.task.as_deref().unwrap_or("").into();
                let Some(call) = self.calls.get(&(entry.account, task)) else {
                    return Err(invalid(format!(
                        "refund entry of {account} at {time}: the journal saw no charge of its task"
                    )));
                };
                call.usage.clone()
            }
        };
        if let Some(call) = counter.strip_prefix("usage:") {
            // `provider:operation`, both escaped (no other `:`).
            let _ = write!(self.text, " {}", call.replacen(':', " ", 1));
        }
        if let Some(plan) = entry.plan.as_deref() {
            self.text.push(' ');
            escape_into(&mut self.text, plan);
        }
        let _ = write!(
            self.text,
            "\n    ; time: {time}\n    ; customer: {customer}\n"
        );
        if let Some(plan) = entry.plan.as_deref() {
            self.text.push_str("    ; plan: ");
            escape_into(&mut self.text, plan);
            self.text.push('\n');
        }
        if let Some(task) = entry.task.as_deref() {
            self.text.push_str("    ; task: ");
            escape_into(&mut self.text, task);
            self.text.push('\n');
        }
        // Credits: the buckets that moved against the counter account.
        let credits_moved = entry.extra_delta != 0 || entry.subscription_delta != 0;
        if entry.extra_delta != 0 {
            self.customer_posting(entry.account, &customer, EXTRA, entry.extra_delta);
        }
        if entry.subscription_delta != 0 || entry.kind == EntryKind::Grant {
            self.customer_posting(
                entry.account,
                &customer,
                SUBSCRIPTION,
                entry.subscription_delta,
            );
        }
        if credits_moved || entry.kind == EntryKind::Grant {
            let total = entry.extra_delta + entry.subscription_delta;
            self.posting(counter, &(-total).to_string(), CREDITS);
        }
        // Money: billed to the customer against revenue.
        let revenue = match entry.kind {
            EntryKind::Fee => Some("revenue:fees"),
            EntryKind::Purchase => Some("revenue:extra_credits"),
            _ => None,
        };
        if let Some(revenue) = revenue {
            let usd = Usd(entry.usd).to_string();
            self.customer_money(entry.account, &customer, &usd);
            let minus = if entry.usd.is_zero() {
                usd
            } else {
                negate(entry.usd)
            };
            self.posting(revenue.into(), &minus, DOLLARS);
        }
        if !self.declarations.is_empty() {
            self.out.write_all(b"\n")?;
            self.out.write_all(self.declarations.as_bytes())?;
        }
        self.out.write_all(self.text.as_bytes())
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn customer_posting(&mut self, id: AccountId, customer: &str, bucket: u8, delta: i128) {
        let name = if bucket == EXTRA {
            "extra"
        } else {
            "subscription"
        };
        self.declare_customer(id, customer, bucket, name);
        let _ = writeln!(
            self.text,
            "    customers:{customer}:{name}  {delta} {CREDITS}"
        );
    }

    fn customer_money(&mut self, id: AccountId, customer: &str, usd: &str) {
        self.declare_customer(id, customer, RECEIVABLE, "receivable");
        let _ = writeln!(
            self.text,
            "    customers:{customer}:receivable  {usd} {DOLLARS}"
        );
    }

    fn declare_customer(&mut self, id: AccountId, customer: &str, bit: u8, name: &str) {
        let index = id.index();
        if self.declared.len() <= index {
            self.declared.resize(index + 1, 0);
        }
        if self.declared[index] & bit == 0 {
            self.declared[index] |= bit;
            let _ = writeln!(self.declarations, "account customers:{customer}:{name}");
        }
    }

    fn posting(&mut self, account: Arc<str>, amount: &str, commodity: &str) {
        let _ = writeln!(self.text, "    {account}  {amount} {commodity}");
        if !self.declared_names.contains(&account) {
            let _ = writeln!(self.declarations, "account {account}");
            self.declared_names.insert(account);
        }
    }

    fn usage_account(&mut self, provider: &str, operation: &str) -> Arc<str> {
        if let Some(name) = self.usage.get(provider).and_then(|ops| ops.get(operation)) {
            return name.clone();
        }
        let mut name = String::from("usage:");
        escape_into(&mut name, provider);
        name.push(':');
        escape_into(&mut name, operation);
        let name: Arc<str> = name.into();
        self.usage
            .entry(provider.into())
            .or_default()
            .insert(operation.into(), name.clone());
        name
    }

    /// Remembers the call of a charged task for the task window.
    fn remember(&mut self, id: AccountId, task: &str, at: Instant, usage: Arc<str>) {
        let Some(expiry) = at.checked_add_signed(self.task_window) else {
            return;
        };
        if expiry <= at {
            return;
        }
        let task: Arc<str> = task.into();
        self.calls.insert(
            (id, task.clone()),
            ChargedCall {
                charged_at: at,
                usage,
            },
        );
        self.expiries.push_back((expiry, id, task));
    }

    /// Forgets the tasks whose window has ended at `now`, as the engine does.
    fn forget_until(&mut self, now: Instant) {
        while let Some((expiry, id, task)) = self.expiries.front() {
            if *expiry > now {
                break;
            }
            let key = (*id, task.clone());
            let window = self.task_window;
            let forgotten = self
                .calls
                .get(&key)
                .is_some_and(|call| call.charged_at.checked_add_signed(window) == Some(*expiry));
            if forgotten {
                self.calls.remove(&key);
            }
            self.expiries.pop_front();
        }
    }
}

impl<W: Write> crate::replay::EntrySink for JournalWriter<W> {
    fn entry(
        &mut self,
        entry: &LedgerEntry,
        account: &str,
        event: Option<&Event<'_>>,
    ) -> io::Result<()> {
        self.write(entry, account, event)
    }
}

/// `-x` with two decimals.
fn negate(usd: Decimal) -> String {
    Usd(-usd).to_string()
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::parse_time;
    use crate::core::{Engine, Plan, PlanBook, RuleBook};

    #[test]
    fn escape_keeps_safe_bytes_and_encodes_the_rest() {
        assert_eq!(escape("Az09_.-"), "Az09_.-");
        assert_eq!(escape(""), "%");
        assert_eq!(
            escape(" a:b;c@d[e](f)\"g'h\ti  j%"),
            "%20a%3Ab%3Bc%40d%5Be%5D%28f%29%22g%27h%09i%20%20j%25"
        );
        assert_eq!(escape("ü"), "%C3%BC");
    }

    fn journal_of(events: &[(&str, &str, Action<'_>)]) -> String {
        let plans = PlanBook::new([Plan {
            id: "basic plan".into(),
            price_usd: Decimal::new(800, 2),
            monthly_credits: 1000,
        }])
        .unwrap();
        let mut engine = Engine::new(plans, RuleBook::builtin());
        let mut journal = JournalWriter::new(Vec::new(), TimeDelta::hours(24)).unwrap();
        for &(time, account, action) in events {
            let event = Event {
                time: parse_time(time).unwrap(),
                account,
                action,
            };
            engine.apply(&event).unwrap().outcome.unwrap();
            for entry in engine.entries() {
                journal
                    .write(entry, engine.account_name(entry.account), Some(&event))
                    .unwrap();
            }
        }
        String::from_utf8(journal.finish().unwrap()).unwrap()
    }

    #[test]
    fn transactions_balance_and_ids_are_escaped() {
        let text = journal_of(&[
            (
                "2025-07-01T09:30:00Z",
                "al ice",
                Action::Subscribe { plan: "basic plan" },
            ),
            (
                "2025-07-01T10:00:00Z",
                "al ice",
                Action::Purchase { credits: 10 },
            ),
            (
                "2025-07-02T10:00:00Z",
                "al ice",
                Action::Call {
                    provider: "suno",
                    operation: "create",
                    task: Some("t;1"),
                },
            ),
            (
                "2025-07-02T11:00:00Z",
                "al ice",
                Action::Refund { task: "t;1" },
            ),
        ]);
        let body = text.split_once("tag task\n").unwrap().1;
        let expected = "
account customers:al%20ice:receivable
account revenue:fees

2025-07-01 fee al%20ice basic%20plan
    ; time: 2025-07-01T09:30:00Z
    ; customer: al%20ice
    ; plan: basic%20plan
    customers:al%20ice:receivable  8.00 USD
    revenue:fees  -8.00 USD

account customers:al%20ice:subscription
account issued:grants

2025-07-01 grant al%20ice basic%20plan
    ; time: 2025-07-01T09:30:00Z
    ; customer: al%20ice
    ; plan: basic%20plan
    customers:al%20ice:subscription  1000 CR
    issued:grants  -1000 CR

account customers:al%20ice:extra
account issued:purchases
account revenue:extra_credits

2025-07-01 purchase al%20ice
    ; time: 2025-07-01T10:00:00Z
    ; customer: al%20ice
    customers:al%20ice:extra  10 CR
    issued:purchases  -10 CR
    customers:al%20ice:receivable  0.08 USD
    revenue:extra_credits  -0.08 USD

account usage:suno:create

2025-07-02 charge al%20ice suno create
    ; time: 2025-07-02T10:00:00Z
    ; customer: al%20ice
    ; task: t%3B1
    customers:al%20ice:extra  -10 CR
    usage:suno:create  10 CR

2025-07-02 refund al%20ice suno create
    ; time: 2025-07-02T11:00:00Z
    ; customer: al%20ice
    ; task: t%3B1
    customers:al%20ice:extra  10 CR
    usage:suno:create  -10 CR
";
        assert_eq!(body, expected);
    }
}
