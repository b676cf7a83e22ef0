//! Running many engines over one history: the history comes in chunks,
//! and worker threads apply each chunk to every run, a free worker taking
//! the run furthest behind. A run sees the rows in the same order whatever
//! the number of threads, so its output is the same; when runs fail, the
//! failure reported is the earliest in the history (ties: the first run),
//! so the message does not depend on the threads either.

use super::run::{Finished, Run, RunError};
use super::SimulateError;
use crate::input::LineError;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// Chunks held for the runs (the slowest run at most this many behind the
/// feeder): enough to smooth out the pace of the reader and the workers,
/// few enough to bound memory.
const CHUNKS_IN_FLIGHT: usize = 8;

/// A failure at a position of the history (rows before it), `u64::MAX`
/// for the roll-overs up to the as-of time.
pub(crate) type Failure = (u64, RunError);

/// How the history reaches the workers: `feed` runs on the calling thread
/// and hands every chunk, in order, to [`Hand::send`], returning an input
/// error found after the rows it sent (with their count); `apply` applies
/// one chunk to one run, `start` tells a chunk's first row.
pub(crate) struct Feed<F, A, S> {
    pub feed: F,
    pub apply: A,
    pub start: S,
}

/// Applies the whole history to every run on up to `threads` threads and
/// finishes them, in the order given.
///
/// The runs are not tied to a thread: a free worker takes the run that is
/// furthest behind and applies the next chunk to it. With runs of equal
/// cost, five runs on two threads then take two and a half runs' time, not
/// three (a run tied to a thread, three on one of them); each run still
/// sees every chunk in order, on one thread at a time.
pub(crate) fn run_all<W, C, F, A, S>(
    runs: Vec<Run<W>>,
    threads: usize,
    feed: Feed<F, A, S>,
) -> Result<Vec<Finished<W>>, SimulateError>
where
    W: Write + Send,
    C: Send + Sync,
    F: FnOnce(&Hand<'_, W, C>) -> Result<(), (u64, LineError)>,
    A: Fn(&mut Run<W>, &C) -> Result<(), Failure> + Sync,
    S: Fn(&C) -> u64 + Sync,
{
    let count = runs.len();
    let threads = threads.clamp(1, count.max(1));
    let names: Vec<String> = runs.iter().map(|run| run.name().to_owned()).collect();
    let board = Board::new(runs);
    let Feed { feed, apply, start } = feed;
    let input_error = std::thread::scope(|scope| {
        let (board, apply, start) = (&board, &apply, &start);
        let workers: Vec<_> = (0..threads)
            .map(|_| scope.spawn(move || work(board, apply, start)))
            .collect();
        let input_error = feed(&Hand(board)).err();
        board.close(input_error.as_ref().map(|(position, _)| *position));
        for worker in workers {
            worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        input_error
    });
    let mut finished = Vec::with_capacity(count);
    let mut first: Option<(u64, usize, SimulateError)> =
        input_error.map(|(position, e)| (position, 0, SimulateError::Input(e)));
    for (index, (outcome, name)) in board.outcomes().into_iter().zip(names).enumerate() {
        match outcome {
            Some(Ok(done)) => finished.push(done),
            Some(Err((position, error)))
                if first
                    .as_ref()
                    .is_none_or(|(p, i, _)| (position, index) < (*p, *i)) =>
            {
                first = Some((position, index, SimulateError::of_run(index, name, error)));
            }
            // A later failure; or no outcome, which only a panicked worker
            // leaves, and its panic was resumed above.
            _ => {}
        }
    }
    if let Some((_, _, error)) = first {
        return Err(error);
    }
    debug_assert_eq!(finished.len(), count, "a run without an outcome");
    Ok(finished)
}

/// The feeding side of a [`Board`]: hands chunks to the workers.
pub(crate) struct Hand<'b, W: Write, C>(&'b Board<W, C>);

impl<W: Write, C> Hand<'_, W, C> {
    /// Queues `chunk` for every run, waiting while the slowest run is
    /// [`CHUNKS_IN_FLIGHT`] chunks behind (so memory stays bounded).
    pub(crate) fn send(&self, chunk: C) {
        let board = self.0;
        let mut state = board.lock();
        while state.chunks.len() >= CHUNKS_IN_FLIGHT && !state.all_done() {
            state = board.wait(state);
        }
        // Every run failed, or a worker panicked (joining it says so): the
        // rows matter no more.
        if state.all_done() {
            return;
        }
        state.chunks.push_back(Arc::new(chunk));
        drop(state);
        board.changed.notify_all();
    }
}

/// The chunks not yet applied to every run, and the runs.
struct Board<W: Write, C> {
    state: Mutex<State<W, C>>,
    changed: Condvar,
}

struct State<W: Write, C> {
    /// `chunks[0]` is chunk number `first` of the history.
    chunks: VecDeque<Arc<C>>,
    first: usize,
    /// The feeder has sent its last chunk.
    fed: bool,
    /// A worker panicked: everyone stops.
    broken: bool,
    /// The position of the earliest failure found so far.
    earliest: u64,
    runs: Vec<Slot<W>>,
}

/// A run and how far it has got.
struct Slot<W: Write> {
    /// `None` while a worker holds it, and once it has its outcome.
    run: Option<Run<W>>,
    /// The number of the next chunk to apply to it.
    next: usize,
    outcome: Option<Result<Finished<W>, Failure>>,
}

/// What a worker does next, with the lock released.
enum Task<W: Write, C> {
    Apply(usize, Run<W>, Arc<C>),
    Finish(usize, Run<W>),
}

impl<W: Write, C> Board<W, C> {
    fn new(runs: Vec<Run<W>>) -> Self {
        let runs = runs
            .into_iter()
            .map(|run| Slot {
                run: Some(run),
                next: 0,
                outcome: None,
            })
            .collect();
        Board {
            state: Mutex::new(State {
                chunks: VecDeque::new(),
                first: 0,
                fed: false,
                broken: false,
                earliest: u64::MAX,
                runs,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<W, C>> {
        // The lock is never held across a run's work, so a poisoned state
        // is still whole; `broken` tells the workers to stop.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'g>(&self, guard: MutexGuard<'g, State<W, C>>) -> MutexGuard<'g, State<W, C>> {
        self.changed
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The feeder is done; `failed_at`: where its input error is.
    fn close(&self, failed_at: Option<u64>) {
        let mut state = self.lock();
        state.fed = true;
        if let Some(position) = failed_at {
            state.earliest = state.earliest.min(position);
        }
        drop(state);
        self.changed.notify_all();
    }

    /// Every run's outcome, in the order given.
    fn outcomes(self) -> Vec<Option<Result<Finished<W>, Failure>>> {
        let state = self
            .state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        state.runs.into_iter().map(|slot| slot.outcome).collect()
    }
}

impl<W: Write, C> State<W, C> {
    /// The next task: the next chunk of the run furthest behind, else the
    /// end of a run that has seen every chunk of a closed feed.
    fn take_task(&mut self) -> Option<Task<W, C>> {
        let end = self.first + self.chunks.len();
        let behind = (0..self.runs.len())
            .filter(|&i| self.runs[i].run.is_some() && self.runs[i].next < end)
            .min_by_key(|&i| self.runs[i].next);
        if let Some(i) = behind {
            let slot = &mut self.runs[i];
            let chunk = Arc::clone(&self.chunks[slot.next - self.first]);
            return slot.run.take().map(|run| Task::Apply(i, run, chunk));
        }
        if !self.fed {
            return None;
        }
        let done = self.runs.iter().position(|slot| slot.run.is_some())?;
        self.runs[done]
            .run
            .take()
            .map(|run| Task::Finish(done, run))
    }

    /// Every run has its outcome (or a worker panicked).
    fn all_done(&self) -> bool {
        self.broken || self.runs.iter().all(|slot| slot.outcome.is_some())
    }

    /// Drops the chunks every run has passed.
    fn drop_passed_chunks(&mut self) {
        // The next chunk of the run furthest behind; a run with its
        // outcome needs none.
        let needed = self
            .runs
            .iter()
            .filter(|slot| slot.outcome.is_none())
            .map(|slot| slot.next)
            .min()
            .unwrap_or(usize::MAX);
        while self.first < needed && self.chunks.pop_front().is_some() {
            self.first += 1;
        }
    }
}

/// Marks the board broken when its worker unwinds, so that no one waits
/// for a run it held.
struct Leaving<'b, W: Write, C>(&'b Board<W, C>);

impl<W: Write, C> Drop for Leaving<'_, W, C> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().broken = true;
            self.0.changed.notify_all();
        }
    }
}

/// One worker: tasks until every run has its outcome.
fn work<W: Write, C>(
    board: &Board<W, C>,
    apply: &(impl Fn(&mut Run<W>, &C) -> Result<(), Failure> + Sync),
    start: &(impl Fn(&C) -> u64 + Sync),
) {
    let _leaving = Leaving(board);
    loop {
        let mut state = board.lock();
        let (task, earliest) = loop {
            if state.all_done() {
                return;
            }
            if let Some(task) = state.take_task() {
                break (task, state.earliest);
            }
            state = board.wait(state);
        };
        drop(state);
        match task {
            Task::Apply(i, mut run, chunk) => {
                // Past a failure found already, rows matter no more: no
                // failure after it can be the one reported.
                let result = if start(&chunk) > earliest {
                    Ok(())
                } else {
                    apply(&mut run, &chunk)
                };
                let mut state = board.lock();
                let slot = &mut state.runs[i];
                slot.next += 1;
                match result {
                    Ok(()) => slot.run = Some(run),
                    Err(failure) => {
                        let position = failure.0;
                        slot.outcome = Some(Err(failure));
                        state.earliest = state.earliest.min(position);
                    }
                }
                state.drop_passed_chunks();
            }
            Task::Finish(i, run) => {
                // Another run failed: this one's end is not needed.
                let outcome = if earliest == u64::MAX {
                    run.finish().map_err(|e| (u64::MAX, e))
                } else {
                    Err((u64::MAX, RunError::Skipped))
                };
                let mut state = board.lock();
                state.runs[i].outcome = Some(outcome);
                state.drop_passed_chunks();
            }
        }
        board.changed.notify_all();
    }
}
