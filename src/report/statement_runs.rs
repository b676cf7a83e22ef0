//! `statements.csv` from sorted runs: statements of closed cycles leave
//! memory during the replay, sorted and written to run files in a scratch
//! folder, and the end of the run merges those runs with the statements
//! still held into the one file sorted by account, then cycle start
//! (RULES.md section 8).
//!
//! Without this a replay holds every cycle until the end (about 170 bytes
//! per account and month: 200 MB for a year of 100k accounts). With it,
//! memory holds the open cycles and one batch of closed ones.
//!
//! A run file is a sequence of records, each the sort key and the line's
//! final bytes: `name length (u32 LE), name, cycle start (i64 seconds LE,
//! u32 nanoseconds LE), line length (u32 LE), line`. Runs are merged
//! `FAN_IN` at a time as they pile up (as in a log-structured merge), so
//! that the final merge reads few files whatever the number of months.

use super::cells::CellPolicy;
use super::statements::StatementLines;
use crate::core::ledger::AccountId;
use crate::core::time::Instant;
use crate::core::Statement;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

/// Runs merged at once, during the replay and at its end.
const FAN_IN: usize = 16;

/// The buffer of each run file read or written.
const BUFFER_BYTES: usize = 1 << 16;

/// A row's place in `statements.csv`: account name, then cycle start
/// (seconds, then nanoseconds, which orders times as `Instant` does).
type Key = (Vec<u8>, (i64, u32));

/// The name lookup of a merge of run files alone (never called).
type NoNames = fn(AccountId) -> &'static str;

fn time_key(time: Instant) -> (i64, u32) {
    (time.timestamp(), time.timestamp_subsec_nanos())
}

/// The sorted runs of one replay's closed statements.
pub struct StatementRuns {
    dir: PathBuf,
    /// The runs in the order made, each with how many merges made it.
    runs: Vec<(PathBuf, u32)>,
    files_made: u64,
    lines: StatementLines,
}

impl StatementRuns {
    /// Runs written to `dir` (an existing folder of this run's own, such as
    /// [`super::ReportDir::scratch`]), lines with cells by `cells`.
    pub fn new(dir: PathBuf, cells: CellPolicy) -> Self {
        StatementRuns {
            dir,
            runs: Vec::new(),
            files_made: 0,
            lines: StatementLines::new(cells),
        }
    }

    /// Sorts closed statements (see `StatementBook::take_closed`) and
    /// writes them as a run.
    ///
    /// # Errors
    ///
    /// The I/O error of writing the run file.
    pub fn spill<'a>(
        &mut self,
        rows: Vec<Statement>,
        name: impl Fn(AccountId) -> &'a str,
    ) -> io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let order = sorted_order(&rows, &name);
        let path = self.next_path();
        let mut run = BufWriter::with_capacity(BUFFER_BYTES, File::create(&path)?);
        for s in order.iter().map(|&(_, i)| &rows[i as usize]) {
            let account = name(s.account);
            let line = self.lines.line(s, account);
            write_record(&mut run, account.as_bytes(), time_key(s.cycle.start), line)?;
        }
        run.flush()?;
        drop(run);
        self.runs.push((path, 0));
        self.merge_full_levels()
    }

    /// Merges the last `FAN_IN` runs into one while they were made by the
    /// same number of merges.
    fn merge_full_levels(&mut self) -> io::Result<()> {
        while self.runs.len() >= FAN_IN {
            let tail = self.runs.len() - FAN_IN;
            let level = self.runs[tail].1;
            if self.runs[tail..].iter().any(|(_, l)| *l != level) {
                break;
            }
            let merged = self.runs.split_off(tail);
            let path = self.next_path();
            let mut out = BufWriter::with_capacity(BUFFER_BYTES, File::create(&path)?);
            let sources = open_runs::<NoNames>(&merged)?;
            merge(sources, |key, line| {
                write_record(&mut out, &key.0, key.1, line)
            })?;
            out.flush()?;
            drop(out);
            remove_runs(&merged)?;
            self.runs.push((path, level + 1));
        }
        Ok(())
    }

    /// Writes `statements.csv` to `output`: the header, then the runs
    /// merged with `rest` (the statements still held, sorted by account
    /// name, then cycle start, as `StatementBook::into_sorted` gives them),
    /// and removes the run files.
    ///
    /// # Errors
    ///
    /// The I/O error of reading a run, writing to `output` or removing a run
    /// file.
    pub fn finish<'a, W: Write>(
        mut self,
        mut output: W,
        rest: &[Statement],
        name: impl Fn(AccountId) -> &'a str,
    ) -> io::Result<W> {
        output.write_all(self.lines.header())?;
        let mut sources = open_runs(&self.runs)?;
        sources.push(Source::Held {
            rows: rest.iter(),
            name: &name,
            lines: &mut self.lines,
        });
        merge(sources, |_, line| output.write_all(line))?;
        remove_runs(&self.runs)?;
        Ok(output)
    }

    fn next_path(&mut self) -> PathBuf {
        self.files_made += 1;
        self.dir.join(format!("statements-{}.run", self.files_made))
    }
}

/// The rows' positions in `statements.csv`'s order: account name, then
/// cycle start (no two rows share both). Sorting 32-byte keys instead of
/// the rows moves a fifth of the bytes, and the first 16 bytes of each
/// name, compared as one number, settle most comparisons without looking
/// the names up (a name shorter than 16 bytes is padded with zeros, so a
/// tie falls back to the names themselves).
fn sorted_order<'a>(rows: &[Statement], name: impl Fn(AccountId) -> &'a str) -> Vec<(u128, u32)> {
    let mut order: Vec<(u128, u32)> = rows
        .iter()
        .zip(0u32..)
        .map(|(s, i)| {
            let mut prefix = [0; 16];
            let bytes = name(s.account).as_bytes();
            let n = bytes.len().min(16);
            prefix[..n].copy_from_slice(&bytes[..n]);
            (u128::from_be_bytes(prefix), i)
        })
        .collect();
    order.sort_unstable_by(|(a_prefix, a), (b_prefix, b)| {
        a_prefix.cmp(b_prefix).then_with(|| {
            let (a, b) = (&rows[*a as usize], &rows[*b as usize]);
            name(a.account)
                .cmp(name(b.account))
                .then(a.cycle.start.cmp(&b.cycle.start))
        })
    });
    order
}

fn write_record(
    out: &mut impl Write,
    name: &[u8],
    start: (i64, u32),
    line: &[u8],
) -> io::Result<()> {
    out.write_all(&length(name)?.to_le_bytes())?;
    out.write_all(name)?;
    out.write_all(&start.0.to_le_bytes())?;
    out.write_all(&start.1.to_le_bytes())?;
    out.write_all(&length(line)?.to_le_bytes())?;
    out.write_all(line)
}

fn length(bytes: &[u8]) -> io::Result<u32> {
    u32::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "statement line over 4 GiB"))
}

/// Where merged rows come from: a run file or the statements still held.
enum Source<'s, 'n, N> {
    Run(BufReader<File>),
    Held {
        rows: std::slice::Iter<'s, Statement>,
        name: &'n N,
        lines: &'n mut StatementLines,
    },
}

impl<'a, N: Fn(AccountId) -> &'a str> Source<'_, '_, N> {
    /// Reads the next row's key and line into `key` and `line`; false at
    /// the end.
    fn next(&mut self, key: &mut Key, line: &mut Vec<u8>) -> io::Result<bool> {
        match self {
            Source::Run(run) => {
                if run.fill_buf()?.is_empty() {
                    return Ok(false);
                }
                read_bytes(run, &mut key.0)?;
                let mut seconds = [0; 8];
                run.read_exact(&mut seconds)?;
                let mut nanos = [0; 4];
                run.read_exact(&mut nanos)?;
                key.1 = (i64::from_le_bytes(seconds), u32::from_le_bytes(nanos));
                read_bytes(run, line)?;
                Ok(true)
            }
            Source::Held { rows, name, lines } => {
                let Some(s) = rows.next() else {
                    return Ok(false);
                };
                let account = name(s.account);
                key.0.clear();
                key.0.extend_from_slice(account.as_bytes());
                key.1 = time_key(s.cycle.start);
                line.clear();
                line.extend_from_slice(lines.line(s, account));
                Ok(true)
            }
        }
    }
}

/// Reads a length-prefixed byte string into `into`.
fn read_bytes(run: &mut impl Read, into: &mut Vec<u8>) -> io::Result<()> {
    let mut length = [0; 4];
    run.read_exact(&mut length)?;
    into.clear();
    into.resize(u32::from_le_bytes(length) as usize, 0);
    run.read_exact(into)
}

fn open_runs<'s, 'n, N>(runs: &[(PathBuf, u32)]) -> io::Result<Vec<Source<'s, 'n, N>>> {
    runs.iter()
        .map(|(path, _)| {
            Ok(Source::Run(BufReader::with_capacity(
                BUFFER_BYTES,
                File::open(path)?,
            )))
        })
        .collect()
}

fn remove_runs(runs: &[(PathBuf, u32)]) -> io::Result<()> {
    runs.iter().try_for_each(|(path, _)| fs::remove_file(path))
}

/// Hands every row of `sources` to `write` in key order. Keys are unique
/// (an account has one row per cycle start), so the order is total.
fn merge<'a, N: Fn(AccountId) -> &'a str>(
    mut sources: Vec<Source<'_, '_, N>>,
    mut write: impl FnMut(&Key, &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut lines = vec![Vec::new(); sources.len()];
    let mut heap = BinaryHeap::with_capacity(sources.len());
    for (i, source) in sources.iter_mut().enumerate() {
        let mut key = (Vec::new(), (0, 0));
        if source.next(&mut key, &mut lines[i])? {
            heap.push(Reverse((key, i)));
        }
    }
    while let Some(Reverse((mut key, i))) = heap.pop() {
        write(&key, &lines[i])?;
        // The key's buffer is reused for the source's next row.
        if sources[i].next(&mut key, &mut lines[i])? {
            heap.push(Reverse((key, i)));
        }
    }
    Ok(())
}
