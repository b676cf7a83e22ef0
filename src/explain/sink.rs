//! The builder as a replay's sink: it keeps what concerns its account and
//! drops the rest, so a replay explains one account without reporting the
//! others.

use super::builder::ExplainBuilder;
use crate::core::{Applied, Event, LedgerEntry};
use crate::report::rejections::RejectedRow;
use crate::report::sink::EntrySink;
use std::io;

impl EntrySink for ExplainBuilder {
    fn entry(
        &mut self,
        entry: &LedgerEntry,
        account: &str,
        _event: Option<&Event<'_>>,
    ) -> io::Result<()> {
        if account == self.account {
            ExplainBuilder::entry(self, entry);
        }
        Ok(())
    }

    fn applied(
        &mut self,
        event: &Event<'_>,
        applied: &Applied,
        file: &str,
        line: u64,
    ) -> io::Result<()> {
        if event.account == self.account {
            ExplainBuilder::applied(self, event, applied, file, line);
        }
        Ok(())
    }

    fn unread(&mut self, row: &RejectedRow<'_>) -> io::Result<()> {
        if row.account == self.account {
            ExplainBuilder::unread(self, row);
        }
        Ok(())
    }
}
