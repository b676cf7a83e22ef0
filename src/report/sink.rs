//! What a report that follows the ledger implements: the replay hands each
//! entry, with the event it came from, to every such sink, and tells it
//! what became of every row.

use super::rejections::RejectedRow;
use crate::core::{Applied, Event, LedgerEntry};
use std::io;

/// Receives every ledger entry as it is written to `ledger.csv`, and the
/// outcome of every row.
pub trait EntrySink {
    /// One entry of the named account. `event` is the event being applied
    /// when the engine made the entry (roll-overs of other accounts at its
    /// time included), `None` for the roll-overs up to the as-of time.
    ///
    /// # Errors
    ///
    /// The sink's I/O error, which stops the replay.
    fn entry(
        &mut self,
        entry: &LedgerEntry,
        account: &str,
        event: Option<&Event<'_>>,
    ) -> io::Result<()>;

    /// An event the engine applied (accepted, or rejected by a business
    /// check), after its entries; the row is at `file`:`line`. Rows later
    /// than the as-of time never come here. Most sinks need only the
    /// entries, so by default this does nothing.
    ///
    /// # Errors
    ///
    /// The sink's I/O error, which stops the replay.
    fn applied(
        &mut self,
        _event: &Event<'_>,
        _applied: &Applied,
        _file: &str,
        _line: u64,
    ) -> io::Result<()> {
        Ok(())
    }

    /// A row that never reached the engine: `malformed` or `out_of_order`,
    /// with `--keep-going`. By default this does nothing.
    ///
    /// # Errors
    ///
    /// The sink's I/O error, which stops the replay.
    fn unread(&mut self, _row: &RejectedRow<'_>) -> io::Result<()> {
        Ok(())
    }
}

/// Hands everything to each of several sinks, in order (the `--journal`
/// writer and the `--html` report of one replay).
pub struct Fanout<'a>(pub Vec<&'a mut dyn EntrySink>);

impl EntrySink for Fanout<'_> {
    fn entry(
        &mut self,
        entry: &LedgerEntry,
        account: &str,
        event: Option<&Event<'_>>,
    ) -> io::Result<()> {
        self.0
            .iter_mut()
            .try_for_each(|sink| sink.entry(entry, account, event))
    }

    fn applied(
        &mut self,
        event: &Event<'_>,
        applied: &Applied,
        file: &str,
        line: u64,
    ) -> io::Result<()> {
        self.0
            .iter_mut()
            .try_for_each(|sink| sink.applied(event, applied, file, line))
    }

    fn unread(&mut self, row: &RejectedRow<'_>) -> io::Result<()> {
        self.0.iter_mut().try_for_each(|sink| sink.unread(row))
    }
}
