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
//! A refund entry carries the rule of the charge it undoes, as a charge
//! entry does; the writer names the `usage:` account from the rule book,
//! so it keeps no memory of tasks.

mod names;
mod postings;

use super::text::{self, write_usd};
use crate::core::rules::RuleRef;
use crate::core::time::{format_time, Instant};
use crate::core::{EntryKind, Event, LedgerEntry, RuleBook};
use names::push_escaped;
pub use names::{escape, escape_into};
use postings::{
    counter_posting, customer_posting, Counter, Declared, EXTRA, RECEIVABLE, SUBSCRIPTION,
};
use rustc_hash::FxHashMap;
use std::io::{self, Write};

/// The commodity of credits.
pub const CREDITS: &str = "CR";
/// The commodity of money.
pub const DOLLARS: &str = "USD";

/// The counters that exist in every journal, by their index in
/// `JournalWriter::counters`; `usage:` and `expired:` ones follow them.
const GRANTS: usize = 0;
const PURCHASES: usize = 1;
const FEES: usize = 2;
const EXTRA_SALES: usize = 3;
const FIXED_COUNTERS: [&str; 4] = [
    "issued:grants",
    "issued:purchases",
    "revenue:fees",
    "revenue:extra_credits",
];

/// Writes the journal, one transaction per ledger entry.
///
/// This runs once per ledger entry on the replay's applying thread, so it
/// allocates nothing per entry: transactions are put together in a reused
/// buffer, numbers go through `itoa`, the time and date are written by
/// hand once per distinct time, and counter account names are built once
/// and then found by index or by one FxHash probe.
pub struct JournalWriter<W: Write> {
    out: W,
    /// The engine's rule book, which names the call of a charge or refund.
    rules: RuleBook,
    /// Accounts declared so far (counters keep their own flag).
    declared: Declared,
    /// Counter accounts: [`FIXED_COUNTERS`], then the others by first use.
    counters: Vec<Counter>,
    /// Indices of the `usage:` counters, by the position of their rule.
    usage: Vec<Option<usize>>,
    /// Indices of the `expired:` counters, by plan.
    expired: FxHashMap<Box<str>, usize>,
    /// The time of the last entry, and its text and date as written.
    time: Option<Instant>,
    time_text: Vec<u8>,
    date_text: Vec<u8>,
    /// The current entry's account id, escaped.
    customer: Vec<u8>,
    /// The current entry's dollar amount, as written.
    usd: Vec<u8>,
    /// Transactions not yet handed to `out`.
    buffer: Vec<u8>,
}

/// The buffer is handed to the output when it holds this many bytes.
const FLUSH_AT: usize = 1 << 16;

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
    /// Starts the journal with its directives. `rules` must be the
    /// engine's rule book, which names the calls of its entries.
    ///
    /// # Errors
    ///
    /// The I/O error of writing to `out`.
    pub fn new(out: W, rules: RuleBook) -> io::Result<Self> {
        let mut buffer = Vec::with_capacity(FLUSH_AT + 4096);
        buffer.extend_from_slice(PREAMBLE.as_bytes());
        let counters = FIXED_COUNTERS
            .iter()
            .map(|&name| Counter {
                name: name.into(),
                call: None,
                declared: false,
            })
            .collect();
        Ok(JournalWriter {
            out,
            usage: vec![None; rules.len()],
            rules,
            declared: Declared::default(),
            counters,
            expired: FxHashMap::default(),
            time: None,
            time_text: Vec::new(),
            date_text: Vec::new(),
            customer: Vec::new(),
            usd: Vec::new(),
            buffer,
        })
    }

    /// Writes one entry of the named account as a transaction.
    ///
    /// # Errors
    ///
    /// The I/O error of writing to the output.
    pub fn write(&mut self, entry: &LedgerEntry, account: &str) -> io::Result<()> {
        // The counter first: its errors must come before any output.
        let counter = self.counter_of(entry, account)?;
        if self.time != Some(entry.time) {
            self.time = Some(entry.time);
            write_time(&mut self.time_text, &mut self.date_text, entry.time);
        }
        self.customer.clear();
        push_escaped(&mut self.customer, account);

        let JournalWriter {
            declared,
            counters,
            time_text,
            date_text,
            customer,
            usd,
            buffer: text,
            ..
        } = self;
        let start = text.len();
        declared.text.clear();
        let heading = Heading {
            date_text,
            time_text,
            customer,
            call: counters[counter].call.as_deref(),
        };
        push_heading(text, entry, &heading);
        push_credit_postings(text, declared, &mut counters[counter], entry, customer);
        push_money_postings(text, declared, counters, usd, entry, customer);
        // Accounts are declared just before their first use. That is rare
        // (once per account), so the declarations are slipped in before
        // the transaction after the fact.
        if !declared.text.is_empty() {
            let blank_line = std::iter::once(b'\n');
            text.splice(
                start..start,
                blank_line.chain(declared.text.iter().copied()),
            );
        }
        if text.len() >= FLUSH_AT {
            self.out.write_all(&self.buffer)?;
            self.buffer.clear();
        }
        Ok(())
    }

    /// The counter account of the entry's transaction.
    fn counter_of(&mut self, entry: &LedgerEntry, account: &str) -> io::Result<usize> {
        Ok(match entry.kind {
            EntryKind::Fee | EntryKind::Grant => GRANTS,
            EntryKind::Purchase => PURCHASES,
            EntryKind::Expire => self.expired_account(entry.plan.as_deref().unwrap_or("")),
            EntryKind::Charge | EntryKind::Refund => {
                let Some(usage) = entry.rule.and_then(|rule| self.usage_account(rule)) else {
                    return Err(invalid(format!(
                        "{} entry of {account} at {} without a call of the rule book",
                        entry.kind.name(),
                        format_time(entry.time)
                    )));
                };
                usage
            }
        })
    }

    /// Flushes and returns the output.
    ///
    /// # Errors
    ///
    /// The I/O error of flushing the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&self.buffer)?;
        self.buffer.clear();
        self.out.flush()?;
        Ok(self.out)
    }

    /// Adds a counter account; returns its index.
    fn add_counter(&mut self, name: String, call: Option<String>) -> usize {
        self.counters.push(Counter {
            name: name.into(),
            call: call.map(String::into_boxed_str),
            declared: false,
        });
        self.counters.len() - 1
    }

    /// The `expired:<plan>` counter.
    fn expired_account(&mut self, plan: &str) -> usize {
        if let Some(&counter) = self.expired.get(plan) {
            return counter;
        }
        let mut name = String::from("expired:");
        escape_into(&mut name, plan);
        let counter = self.add_counter(name, None);
        self.expired.insert(plan.into(), counter);
        counter
    }

    /// The `usage:<provider>:<operation>` counter of a rule, `None` when
    /// the rule book has no such rule.
    fn usage_account(&mut self, rule: RuleRef) -> Option<usize> {
        if let Some(&Some(counter)) = self.usage.get(rule.index()) {
            return Some(counter);
        }
        let (provider, operation) = self.rules.call(rule)?;
        // The description shows `provider operation`: no `:` survives
        // escaping, so the two are told apart.
        let mut call = String::new();
        escape_into(&mut call, provider);
        call.push(' ');
        escape_into(&mut call, operation);
        let name = format!("usage:{}", call.replacen(' ', ":", 1));
        let counter = self.add_counter(name, Some(call));
        *self.usage.get_mut(rule.index())? = Some(counter);
        Some(counter)
    }
}

/// Writes `t` into `time` as [`format_time`] does, and its date
/// (`%Y-%m-%d`) into `date`.
fn write_time(time: &mut Vec<u8>, date: &mut Vec<u8>, t: Instant) {
    date.clear();
    if text::write_time(time, t) {
        // The fast path writes `YYYY-MM-DDTHH:MM:SSZ`.
        date.extend_from_slice(&time[..10]);
    } else {
        date.extend_from_slice(t.format("%Y-%m-%d").to_string().as_bytes());
    }
}

impl<W: Write> super::sink::EntrySink for JournalWriter<W> {
    fn entry(
        &mut self,
        entry: &LedgerEntry,
        account: &str,
        _event: Option<&Event<'_>>,
    ) -> io::Result<()> {
        self.write(entry, account)
    }
}

/// The texts a transaction's description and tags are made of.
struct Heading<'a> {
    date_text: &'a [u8],
    time_text: &'a [u8],
    /// The customer's name, escaped.
    customer: &'a [u8],
    /// The call of a `usage:` counter (`suno create`).
    call: Option<&'a str>,
}

/// The transaction's description line and its tags.
fn push_heading(text: &mut Vec<u8>, entry: &LedgerEntry, heading: &Heading<'_>) {
    text.push(b'\n');
    text.extend_from_slice(heading.date_text);
    text.push(b' ');
    text.extend_from_slice(entry.kind.name().as_bytes());
    text.push(b' ');
    text.extend_from_slice(heading.customer);
    if let Some(call) = heading.call {
        text.push(b' ');
        text.extend_from_slice(call.as_bytes());
    }
    if let Some(plan) = entry.plan.as_deref() {
        text.push(b' ');
        push_escaped(text, plan);
    }
    text.extend_from_slice(b"\n    ; time: ");
    text.extend_from_slice(heading.time_text);
    text.extend_from_slice(b"\n    ; customer: ");
    text.extend_from_slice(heading.customer);
    text.push(b'\n');
    if let Some(plan) = entry.plan.as_deref() {
        text.extend_from_slice(b"    ; plan: ");
        push_escaped(text, plan);
        text.push(b'\n');
    }
    if let Some(task) = entry.task.as_deref() {
        text.extend_from_slice(b"    ; task: ");
        push_escaped(text, task);
        text.push(b'\n');
    }
}

/// Credits: the buckets that moved, against the counter account.
fn push_credit_postings(
    text: &mut Vec<u8>,
    declared: &mut Declared,
    counter: &mut Counter,
    entry: &LedgerEntry,
    customer: &[u8],
) {
    let mut number = itoa::Buffer::new();
    let credits_moved = entry.extra_delta != 0 || entry.subscription_delta != 0;
    if entry.extra_delta != 0 {
        let amount = number.format(entry.extra_delta).as_bytes();
        customer_posting(
            text,
            declared,
            entry.account,
            customer,
            EXTRA,
            amount,
            CREDITS,
        );
    }
    if entry.subscription_delta != 0 || entry.kind == EntryKind::Grant {
        let amount = number.format(entry.subscription_delta).as_bytes();
        customer_posting(
            text,
            declared,
            entry.account,
            customer,
            SUBSCRIPTION,
            amount,
            CREDITS,
        );
    }
    if credits_moved || entry.kind == EntryKind::Grant {
        let total = entry.extra_delta + entry.subscription_delta;
        let amount = number.format(-total).as_bytes();
        counter_posting(text, declared, counter, amount, CREDITS);
    }
}

/// Money: a fee or purchase billed to the customer against revenue.
fn push_money_postings(
    text: &mut Vec<u8>,
    declared: &mut Declared,
    counters: &mut [Counter],
    usd: &mut Vec<u8>,
    entry: &LedgerEntry,
    customer: &[u8],
) {
    let revenue = match entry.kind {
        EntryKind::Fee => FEES,
        EntryKind::Purchase => EXTRA_SALES,
        _ => return,
    };
    write_usd(usd, entry.usd);
    customer_posting(
        text,
        declared,
        entry.account,
        customer,
        RECEIVABLE,
        usd,
        DOLLARS,
    );
    // Zero stays `0.00` rather than `-0.00`.
    if !entry.usd.is_zero() {
        write_usd(usd, -entry.usd);
    }
    counter_posting(text, declared, &mut counters[revenue], usd, DOLLARS);
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests;
