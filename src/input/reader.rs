//! The reading side of a replay: merges the event files, classifies each
//! row and hands the rows over in batches, in merge order, on a bounded
//! channel. It runs on its own thread while the engine applies the rows
//! on another, so CSV and time parsing cost no time on the engine's side.

use super::batch::{AccountIds, Batch};
use super::events::EventFile;
use super::merge::Merge;
use super::LineError;
use crate::core::time::Instant;
use crate::core::RuleBook;
use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender};

/// What the reading side sends: a batch of rows, or the input error that
/// stopped it (after the rows read before it).
pub type Message = Result<Batch, LineError>;

/// How often a row carries the bytes read, for the progress display.
pub const PROGRESS_EVERY_ROWS: u64 = 1 << 16;

/// Reads every row of `files` into batches sent on `full`, reusing the
/// batches that come back on `empty`. Stops quietly when the applying
/// side hangs up (it stopped on an error of its own). Account ids are
/// guessed from `first_id` (the engine's account count), rows later than
/// `as_of` getting none.
pub fn read_batches<R: Read>(
    files: Vec<EventFile<R>>,
    rules: &RuleBook,
    full: &SyncSender<Message>,
    empty: &Receiver<Batch>,
    ids_from: (usize, Option<Instant>),
) {
    let mut batch = Batch::default();
    let mut ids = AccountIds::new(ids_from.0, ids_from.1);
    let error = fill(files, rules, full, empty, &mut batch, &mut ids).err();
    batch.guess_ids(&mut ids);
    // The rows read before an error come first, as in a one-thread run.
    if !batch.is_empty() && full.send(Ok(batch)).is_err() {
        return;
    }
    if let Some(error) = error {
        let _ = full.send(Err(error));
    }
}

fn fill<R: Read>(
    files: Vec<EventFile<R>>,
    rules: &RuleBook,
    full: &SyncSender<Message>,
    empty: &Receiver<Batch>,
    batch: &mut Batch,
    ids: &mut AccountIds,
) -> Result<(), LineError> {
    let mut merge = Merge::new(files, rules)?;
    let mut rows: u64 = 0;
    while let Some(index) = merge.next_index(rules)? {
        let Some(file) = merge.file(index) else {
            continue;
        };
        if file.row().is_none() {
            continue;
        }
        rows += 1;
        let bytes = if rows.is_multiple_of(PROGRESS_EVERY_ROWS) {
            merge.bytes_read()
        } else {
            0
        };
        // Fewer than 2^32 files: they were all opened at once.
        file.push_to(index as u32, bytes, batch);
        if batch.is_full() {
            batch.guess_ids(ids);
            let next = empty.try_recv().unwrap_or_default();
            let done = std::mem::replace(batch, next);
            if full.send(Ok(done)).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}
