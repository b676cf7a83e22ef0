//! Merging several event files by time: ties go to the earlier file, then
//! the earlier line. Each file is read one row ahead, so memory does not
//! grow with the number of rows.

use super::events::EventFile;
use super::LineError;
use crate::core::time::Instant;
use crate::core::RuleBook;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Read;

/// The files being merged, each positioned on its next row.
pub struct Merge<R> {
    files: Vec<EventFile<R>>,
    /// Files that have a current row, by (merge time, file index).
    ready: BinaryHeap<Reverse<(Instant, usize)>>,
    /// The file whose row was handed out last; it is advanced on the next
    /// call, so the caller can still read that row.
    last: Option<usize>,
}

impl<R: Read> Merge<R> {
    /// Starts a merge, reading the first row of every file.
    pub fn new(mut files: Vec<EventFile<R>>, rules: &RuleBook) -> Result<Self, LineError> {
        let mut ready = BinaryHeap::with_capacity(files.len());
        for (index, file) in files.iter_mut().enumerate() {
            if file.advance(rules)? {
                if let Some(row) = file.row() {
                    ready.push(Reverse((row.merge_time, index)));
                }
            }
        }
        Ok(Merge {
            files,
            ready,
            last: None,
        })
    }

    /// The index of the file holding the next row in merge order (see
    /// [`Merge::file`]), positioned on it.
    pub fn next_index(&mut self, rules: &RuleBook) -> Result<Option<usize>, LineError> {
        if let Some(index) = self.last.take() {
            let file = &mut self.files[index];
            if file.advance(rules)? {
                if let Some(row) = file.row() {
                    let next = Reverse((row.merge_time, index));
                    // When the file just advanced still comes first (always,
                    // with one file), the heap would hand it straight back:
                    // the push and pop are skipped. Keys are unique (the
                    // index is), so the order is the same.
                    if self.ready.peek().is_none_or(|first| next > *first) {
                        self.last = Some(index);
                        return Ok(Some(index));
                    }
                    self.ready.push(next);
                }
            }
        }
        let Some(Reverse((_, index))) = self.ready.pop() else {
            return Ok(None);
        };
        self.last = Some(index);
        Ok(Some(index))
    }

    /// One of the files, by index.
    pub fn file(&self, index: usize) -> Option<&EventFile<R>> {
        self.files.get(index)
    }

    /// Bytes read so far over all files.
    pub fn bytes_read(&self) -> u64 {
        self.files.iter().map(EventFile::bytes_read).sum()
    }
}
