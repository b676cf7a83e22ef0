//! Running many engines over one history: the runs are spread over worker
//! threads, each worker applying every chunk of the history to each of its
//! runs in turn. A run sees the rows in the same order whatever the number
//! of threads, so its output is the same; when runs fail, the failure
//! reported is the earliest in the history (ties: the first run), so the
//! message does not depend on the threads either.

use super::run::{Finished, Run, RunError};
use super::SimulateError;
use crate::input::LineError;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Chunks on their way to each worker: enough to smooth out the pace of
/// the reader and the workers, few enough to bound memory.
const CHUNKS_IN_FLIGHT: usize = 4;

/// A failure at a position of the history (rows before it), `u64::MAX`
/// for the roll-overs up to the as-of time.
pub(crate) type Failure = (u64, RunError);

/// How the history reaches the workers: `feed` runs on the calling thread
/// and sends every chunk to every worker, in order, returning an input
/// error found after the rows it sent (with their count); `apply` applies
/// one chunk to one run, `start` tells a chunk's first row.
pub(crate) struct Feed<F, A, S> {
    pub feed: F,
    pub apply: A,
    pub start: S,
}

/// Applies the whole history to every run on up to `threads` threads and
/// finishes them, in the order given.
pub(crate) fn run_all<W, C, F, A, S>(
    runs: Vec<Run<W>>,
    threads: usize,
    feed: Feed<F, A, S>,
) -> Result<Vec<Finished<W>>, SimulateError>
where
    W: Write + Send,
    C: Send,
    F: FnOnce(&[SyncSender<C>]) -> Result<(), (u64, LineError)>,
    A: Fn(&mut Run<W>, &C) -> Result<(), Failure> + Sync,
    S: Fn(&C) -> u64 + Sync,
{
    let count = runs.len();
    let threads = threads.clamp(1, count.max(1));
    let mut groups: Vec<Vec<(usize, Run<W>)>> = (0..threads).map(|_| Vec::new()).collect();
    for (index, run) in runs.into_iter().enumerate() {
        groups[index % threads].push((index, run));
    }
    let earliest = AtomicU64::new(u64::MAX);
    let Feed { feed, apply, start } = feed;
    let (input_error, outcomes) = std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(threads);
        let mut workers = Vec::with_capacity(threads);
        for group in groups {
            let (sender, chunks) = sync_channel::<C>(CHUNKS_IN_FLIGHT);
            senders.push(sender);
            let (apply, start, earliest) = (&apply, &start, &earliest);
            workers.push(scope.spawn(move || work(group, chunks, apply, start, earliest)));
        }
        let input_error = feed(&senders).err();
        if let Some((position, _)) = &input_error {
            earliest.fetch_min(*position, Ordering::Relaxed);
        }
        drop(senders);
        let outcomes: Vec<_> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        (input_error, outcomes)
    });
    let mut finished: Vec<Option<Finished<W>>> = (0..count).map(|_| None).collect();
    let mut first: Option<(u64, usize, SimulateError)> =
        input_error.map(|(position, e)| (position, 0, SimulateError::Input(e)));
    for (index, name, outcome) in outcomes {
        match outcome {
            Ok(done) => finished[index] = Some(done),
            Err((position, error)) => {
                if first
                    .as_ref()
                    .is_none_or(|(p, i, _)| (position, index) < (*p, *i))
                {
                    first = Some((position, index, SimulateError::of_run(index, name, error)));
                }
            }
        }
    }
    if let Some((_, _, error)) = first {
        return Err(error);
    }
    // Every run finished when none failed.
    Ok(finished.into_iter().flatten().collect())
}

type Outcome<W> = (usize, String, Result<Finished<W>, Failure>);

/// One worker: every chunk to each of its runs, then their ends.
fn work<W: Write, C>(
    group: Vec<(usize, Run<W>)>,
    chunks: Receiver<C>,
    apply: &(impl Fn(&mut Run<W>, &C) -> Result<(), Failure> + Sync),
    start: &(impl Fn(&C) -> u64 + Sync),
    earliest: &AtomicU64,
) -> Vec<Outcome<W>> {
    let mut runs: Vec<(usize, Result<Run<W>, Failure>)> =
        group.into_iter().map(|(i, run)| (i, Ok(run))).collect();
    let mut names: Vec<String> = runs
        .iter()
        .map(|(_, run)| run.as_ref().map_or(String::new(), |r| r.name().to_owned()))
        .collect();
    for chunk in chunks {
        // Past a failure found already, rows matter no more: no failure
        // after it can be the one reported.
        if start(&chunk) > earliest.load(Ordering::Relaxed) {
            continue;
        }
        for (_, slot) in &mut runs {
            let Ok(run) = slot else { continue };
            if let Err(failure) = apply(run, &chunk) {
                earliest.fetch_min(failure.0, Ordering::Relaxed);
                *slot = Err(failure);
            }
        }
    }
    let stopped = earliest.load(Ordering::Relaxed) != u64::MAX;
    runs.into_iter()
        .zip(names.iter_mut())
        .map(|((index, slot), name)| {
            let outcome = match slot {
                // Another run failed: this one's end is not needed.
                Ok(_) if stopped => Err((u64::MAX, RunError::Skipped)),
                Ok(run) => run.finish().map_err(|e| (u64::MAX, e)),
                Err(failure) => Err(failure),
            };
            (index, std::mem::take(name), outcome)
        })
        .collect()
}
