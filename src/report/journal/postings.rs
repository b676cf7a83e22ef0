//! The postings of a transaction: one line per account, each account
//! declared (`account NAME`) before the transaction that first uses it.

use crate::core::AccountId;

/// The customer accounts, as bits of `Declared::customers`.
pub(super) const EXTRA: u8 = 1;
pub(super) const SUBSCRIPTION: u8 = 2;
pub(super) const RECEIVABLE: u8 = 4;

/// An account on the other side of the customer's postings.
pub(super) struct Counter {
    /// Its name, escaped (`issued:grants`, `usage:suno:create`).
    pub(super) name: Box<str>,
    /// For a `usage:` account, the call as descriptions show it
    /// (`suno create`).
    pub(super) call: Option<Box<str>>,
    /// Whether its `account` directive is written.
    pub(super) declared: bool,
}

/// Appends `  <amount> <commodity>` and ends the posting's line.
fn push_amount(text: &mut Vec<u8>, amount: &[u8], commodity: &str) {
    text.extend_from_slice(b"  ");
    text.extend_from_slice(amount);
    text.push(b' ');
    text.extend_from_slice(commodity.as_bytes());
    text.push(b'\n');
}

/// The accounts declared so far.
#[derive(Default)]
pub(super) struct Declared {
    /// Bits of the customer accounts declared, by account index.
    pub(super) customers: Vec<u8>,
    /// The declarations of the current transaction.
    pub(super) text: Vec<u8>,
}

/// Posts `amount` to one account of the customer, declaring it on first
/// use.
pub(super) fn customer_posting(
    text: &mut Vec<u8>,
    declared: &mut Declared,
    id: AccountId,
    customer: &[u8],
    bucket: u8,
    amount: &[u8],
    commodity: &str,
) {
    let name: &[u8] = match bucket {
        EXTRA => b"extra",
        SUBSCRIPTION => b"subscription",
        _ => b"receivable",
    };
    let index = id.index();
    if declared.customers.len() <= index {
        declared.customers.resize(index + 1, 0);
    }
    if declared.customers[index] & bucket == 0 {
        declared.customers[index] |= bucket;
        let declarations = &mut declared.text;
        declarations.extend_from_slice(b"account customers:");
        declarations.extend_from_slice(customer);
        declarations.push(b':');
        declarations.extend_from_slice(name);
        declarations.push(b'\n');
    }
    text.extend_from_slice(b"    customers:");
    text.extend_from_slice(customer);
    text.push(b':');
    text.extend_from_slice(name);
    push_amount(text, amount, commodity);
}

/// Posts `amount` to a counter account, declaring it on first use.
pub(super) fn counter_posting(
    text: &mut Vec<u8>,
    declared: &mut Declared,
    counter: &mut Counter,
    amount: &[u8],
    commodity: &str,
) {
    if !counter.declared {
        counter.declared = true;
        declared.text.extend_from_slice(b"account ");
        declared.text.extend_from_slice(counter.name.as_bytes());
        declared.text.push(b'\n');
    }
    text.extend_from_slice(b"    ");
    text.extend_from_slice(counter.name.as_bytes());
    push_amount(text, amount, commodity);
}
