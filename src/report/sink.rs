//! What a report that follows the ledger implements: the replay hands each
//! entry, with the event it came from, to every such sink.

use crate::core::{Event, LedgerEntry};
use std::io;

/// Receives every ledger entry as it is written to `ledger.csv`.
pub trait EntrySink {
    /// One entry of the named account. `event` is the event being applied
    /// when the engine made the entry (roll-overs of other accounts at its
    /// time included), `None` for the roll-overs up to the as-of time.
    fn entry(
        &mut self,
        entry: &LedgerEntry,
        account: &str,
        event: Option<&Event<'_>>,
    ) -> io::Result<()>;
}
