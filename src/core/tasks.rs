//! The task charges remembered for the task window: by the engine (with
//! each a `TaskCharge`, where its refund returns credits) and by the
//! journal writer (with each the usage counter of its call), both through
//! [`TaskMemory`], which keeps each charge's key and time itself.
//!
//! Charges are kept in charge order, which is also the order they leave the
//! window in, so forgetting them is a pop from the front. A hash index
//! ([`SeqIndex`]) maps (account, task id) to a charge's sequence number.
//! Keeping the records out of the hash table matters at scale: the table's
//! slots are 8 bytes instead of a whole record, so probing it touches
//! little memory. Each charge keeps its key's hash, so forgetting it never
//! hashes a task id again, and forgetting a charge first loads the index
//! slot of the one [`FORGET_AHEAD`] places behind it, whose removal then
//! finds it in cache.
//!
//! Tried and measured slower (`engine/charge`, alternated runs): leaving
//! forgotten charges' slots in the index and sweeping them out in one pass
//! once they reach a quarter of the live ones (16-byte slots holding the
//! hash, so the sweep reads no charge). It saves one probe per forgotten
//! charge, but the bigger table makes every lookup miss the cache more
//! often: 25-26 ms against 18-20 ms per 100k charges. The index was a
//! `hashbrown::HashTable<u32>` until round 6 of the benchmarks: a slot of
//! its own makes the first slot a key probes known from the hash alone, so
//! the replay can load it ahead (`benches/README.md`, round 6).

use super::ledger::{AccountId, TaskId};
use super::seq_index::{Probe, SeqIndex};
use super::time::Instant;
use chrono::TimeDelta;
use rustc_hash::FxBuildHasher;
use std::collections::VecDeque;
use std::hash::BuildHasher;

/// A remembered charge: its key, its time, and what the memory's owner
/// keeps with it.
#[derive(Debug, Clone)]
pub(crate) struct Remembered<T> {
    /// [`key_hash`] of its key, kept so that forgetting the charge never
    /// hashes the task id again.
    pub key_hash: u64,
    /// The key: account and task id.
    pub account: AccountId,
    pub task: TaskId,
    pub charged_at: Instant,
    pub data: T,
}

/// Remembered task charges, by account and task id.
#[derive(Debug, Clone)]
pub(crate) struct TaskMemory<T> {
    /// Charges in charge order.
    charges: VecDeque<Remembered<T>>,
    /// Sequence number of `charges[0]`, modulo 2^32.
    first: u32,
    /// Sequence numbers (modulo 2^32) of the remembered charges, by key.
    /// A number names the charge at `seq - first` (wrapping), which is
    /// unambiguous while fewer than 2^32 charges are held (hundreds of
    /// gigabytes of them).
    index: SeqIndex,
    /// Until this time `forget_at` has nothing to forget (see there).
    forget_from: Option<Instant>,
}

impl<T> Default for TaskMemory<T> {
    fn default() -> Self {
        TaskMemory {
            charges: VecDeque::new(),
            first: 0,
            index: SeqIndex::default(),
            forget_from: None,
        }
    }
}

/// Charges are forgotten in batches, up to this fraction of the window
/// late (see [`TaskMemory::forget_at`]).
const FORGET_LATE_DIVISOR: i32 = 64;

/// The hash of a key, computed once per event and kept in its charge.
pub(crate) fn key_hash(account: AccountId, task: &str) -> u64 {
    FxBuildHasher.hash_one((account.0, task))
}

/// A task charged at `charged_at` is remembered at `now` while
/// `now < charged_at + window`. Every user of a found charge checks this:
/// [`TaskMemory::forget_at`] may hold a charge a little longer.
pub(crate) fn remembered(charged_at: Instant, window: TimeDelta, now: Instant) -> bool {
    charged_at
        .checked_add_signed(window)
        .is_none_or(|end| now < end)
}

/// The charge with sequence number `seq`, if still held.
fn held<T>(charges: &VecDeque<Remembered<T>>, first: u32, seq: u32) -> Option<&Remembered<T>> {
    charges.get(seq.wrapping_sub(first) as usize)
}

/// Whether the charge numbered `seq` has the key `(account, task)`.
fn has_key<T>(
    charges: &VecDeque<Remembered<T>>,
    first: u32,
    seq: u32,
    account: AccountId,
    task: &str,
) -> bool {
    held(charges, first, seq).is_some_and(|charge| charge.account == account && charge.task == task)
}

/// One key looked up once, to read its latest charge and then maybe
/// remember a new one, without probing the index a second time.
pub(crate) struct TaskSlot<'a, T> {
    probe: Probe,
    memory: &'a mut TaskMemory<T>,
}

impl<T> TaskSlot<'_, T> {
    /// The latest charge of the key, if still held.
    pub fn charge(&self) -> Option<&Remembered<T>> {
        match self.probe {
            Probe::Found { seq, .. } => held(&self.memory.charges, self.memory.first, seq),
            Probe::Vacant { .. } => None,
        }
    }

    /// Remembers a charge of the key, in place of any earlier one (that
    /// one then only waits for its turn to leave the window). `charge`
    /// must carry the key and hash the slot was looked up with. (The
    /// caller builds it, in place: assembling it here from its parts cost
    /// an extra copy, 4-6 % of `engine/charge`.)
    pub fn remember(self, charge: Remembered<T>) {
        let TaskMemory {
            charges,
            first,
            index,
            ..
        } = self.memory;
        // Wraps as `first` does (see `TaskMemory::index`).
        debug_assert!(charges.len() < u32::MAX as usize, "numbers would alias");
        let seq = first.wrapping_add(charges.len() as u32);
        index.set(self.probe, seq);
        if charges.len() == charges.capacity() {
            // Grow by an eighth rather than double: the queue holds a whole
            // task window (175k charges at 10M rows a month), and doubling
            // would leave up to half of it allocated for nothing. Growth
            // happens while the window first fills; then the queue stays
            // the same size.
            let eighth = (charges.len() / 8).max(MIN_GROWTH_CHARGES);
            charges.reserve_exact(eighth);
        }
        charges.push_back(charge);
    }
}

/// The least the charge queue grows by.
const MIN_GROWTH_CHARGES: usize = 1024;

/// How far ahead of the oldest charge forgetting loads index slots.
const FORGET_AHEAD: usize = 16;

impl<T> TaskMemory<T> {
    fn find(&self, hash: u64, account: AccountId, task: &str) -> Option<u32> {
        let (charges, first) = (&self.charges, self.first);
        self.index
            .find(hash, |seq| has_key(charges, first, seq, account, task))
    }

    /// The latest charge of `task` by `account`, if still held.
    pub fn get(&self, account: AccountId, task: &str) -> Option<&Remembered<T>> {
        let seq = self.find(key_hash(account, task), account, task)?;
        held(&self.charges, self.first, seq)
    }

    /// The same, to mark it refunded.
    pub fn get_mut(&mut self, account: AccountId, task: &str) -> Option<&mut Remembered<T>> {
        let seq = self.find(key_hash(account, task), account, task)?;
        self.charges.get_mut(seq.wrapping_sub(self.first) as usize)
    }

    /// The slot of a key whose hash is `hash` (from [`key_hash`]).
    pub fn slot(&mut self, hash: u64, account: AccountId, task: &str) -> TaskSlot<'_, T> {
        let (charges, first) = (&self.charges, self.first);
        let probe = self
            .index
            .probe(hash, |seq| has_key(charges, first, seq, account, task));
        TaskSlot {
            probe,
            memory: self,
        }
    }

    /// Loads the index slot a key with this hash probes first (see
    /// [`SeqIndex::warm`]).
    pub fn warm(&self, hash: u64) -> u64 {
        self.index.warm(hash)
    }

    /// Forgets the charges that a `window` no longer remembers at `now`
    /// (a charge at `c` is remembered while `now < c + window`), in
    /// batches: a charge is gone once `now` reaches `c + window + late`,
    /// with `late` a 64th of the window.
    ///
    /// A charge held past its window changes no outcome, because every
    /// user of a found charge checks its time first. Forgetting only serves
    /// to bound memory, and in batches it needs one time subtraction per
    /// batch instead of one per event: chrono's arithmetic was about 75
    /// instructions of a charge's 1 076 (`engine/charge`, counted with
    /// callgrind). The memory holds at most a 64th of a window more.
    pub fn forget_at(&mut self, now: Instant, window: TimeDelta) {
        if self.forget_from.is_some_and(|from| now < from) {
            return;
        }
        // A window reaching back past the calendar's start has forgotten
        // nothing yet.
        if let Some(cutoff) = now.checked_sub_signed(window) {
            self.forget_through(cutoff);
        }
        // The oldest charge left, or any later one, leaves the window no
        // earlier than its time plus the window.
        let oldest = self.charges.front().map_or(now, |charge| charge.charged_at);
        self.forget_from = oldest
            .checked_add_signed(window)
            .and_then(|leaves| leaves.checked_add_signed(window / FORGET_LATE_DIVISOR));
    }

    /// Forgets every charge made at or before `cutoff`. Charges are in
    /// time order, so this stops at the first one still remembered.
    fn forget_through(&mut self, cutoff: Instant) {
        while let Some(front) = self.charges.front() {
            if front.charged_at > cutoff {
                break;
            }
            // Only the index entry of this very charge: a later charge of the
            // same key has replaced it already, and keeps its own.
            self.index.remove(front.key_hash, self.first);
            self.charges.pop_front();
            self.first = self.first.wrapping_add(1);
            // Load the slot of a charge that will be forgotten a little
            // later, so that its removal finds it in cache.
            if let Some(later) = self.charges.get(FORGET_AHEAD) {
                std::hint::black_box(self.index.warm(later.key_hash));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::parse_time;
    use chrono::TimeDelta;

    /// Remembered charges with, as data, the time of their refund.
    type Memory = TaskMemory<Option<Instant>>;

    /// Remembers a charge of `task` by `account` at `at`.
    fn remember(memory: &mut Memory, account: u32, task: &str, at: &str) {
        let account = AccountId(account);
        let key_hash = key_hash(account, task);
        memory.slot(key_hash, account, task).remember(Remembered {
            key_hash,
            account,
            task: task.into(),
            charged_at: parse_time(at).unwrap(),
            data: None,
        });
    }

    fn forget_until(memory: &mut Memory, to: &str, window: TimeDelta) {
        memory.forget_through(parse_time(to).unwrap() - window);
    }

    #[test]
    fn keys_are_per_account_and_charges_leave_in_order() {
        let hour = TimeDelta::hours(1);
        let mut memory = Memory::default();
        remember(&mut memory, 0, "t", "2025-07-01T00:00:00Z");
        remember(&mut memory, 1, "t", "2025-07-01T00:30:00Z");
        assert!(memory.get(AccountId(0), "t").is_some());
        assert!(memory.get(AccountId(2), "t").is_none());
        forget_until(&mut memory, "2025-07-01T01:00:00Z", hour);
        assert!(memory.get(AccountId(0), "t").is_none());
        assert!(memory.get(AccountId(1), "t").is_some());
    }

    #[test]
    fn a_later_charge_of_the_same_key_outlives_the_earlier_one() {
        let hour = TimeDelta::hours(1);
        let mut memory = Memory::default();
        remember(&mut memory, 0, "t", "2025-07-01T00:00:00Z");
        remember(&mut memory, 0, "t", "2025-07-01T00:40:00Z");
        forget_until(&mut memory, "2025-07-01T01:00:00Z", hour);
        let kept = memory.get(AccountId(0), "t").map(|c| c.charged_at);
        assert_eq!(kept, Some(parse_time("2025-07-01T00:40:00Z").unwrap()));
        memory.get_mut(AccountId(0), "t").unwrap().data = kept;
        forget_until(&mut memory, "2025-07-01T01:40:00Z", hour);
        assert!(memory.get(AccountId(0), "t").is_none());
        assert!(memory.charges.is_empty() && memory.index.len() == 0);
    }

    #[test]
    fn the_queue_grows_by_an_eighth_not_double() {
        let mut memory = Memory::default();
        let n = 100_000;
        for i in 0..n {
            remember(&mut memory, 0, &format!("t{i}"), "2025-07-01T00:00:00Z");
        }
        let capacity = memory.charges.capacity();
        assert!(
            capacity <= n + n / 8 + MIN_GROWTH_CHARGES,
            "{capacity} slots for {n} charges"
        );
    }

    #[test]
    fn sequence_numbers_wrap_around() {
        let hour = TimeDelta::hours(1);
        let mut memory = Memory {
            first: u32::MAX - 1,
            ..TaskMemory::default()
        };
        for (i, at) in ["00:00", "00:10", "00:20", "00:30"].iter().enumerate() {
            let at = format!("2025-07-01T{at}:00Z");
            remember(&mut memory, 0, &format!("t{i}"), &at);
        }
        for i in 0..4 {
            let task = format!("t{i}");
            assert_eq!(
                memory.get(AccountId(0), &task).map(|c| &*c.task),
                Some(&*task)
            );
        }
        forget_until(&mut memory, "2025-07-01T01:15:00Z", hour);
        assert_eq!(
            memory.first, 0,
            "two forgotten: u32::MAX - 1 wrapped past u32::MAX"
        );
        assert!(memory.get(AccountId(0), "t1").is_none());
        assert!(memory.get(AccountId(0), "t2").is_some());
        remember(&mut memory, 0, "t1", "2025-07-01T01:20:00Z");
        assert!(memory.get(AccountId(0), "t1").is_some());
    }

    #[test]
    fn charges_are_forgotten_in_batches_a_64th_of_the_window_late() {
        // A 64 h window: charges may stay an hour past it.
        let window = TimeDelta::hours(64);
        let at = |text: &str| parse_time(text).unwrap();
        let mut memory = Memory::default();
        remember(&mut memory, 0, "a", "2025-07-01T00:00:00Z");
        memory.forget_at(at("2025-07-01T00:00:00Z"), window);
        remember(&mut memory, 0, "b", "2025-07-01T00:30:00Z");
        // Past a's window (64 h) but not past its hour late: still held.
        memory.forget_at(at("2025-07-03T16:59:59Z"), window);
        assert!(memory.get(AccountId(0), "a").is_some());
        // 65 h after a: a goes, and b, whose window ended too.
        memory.forget_at(at("2025-07-03T17:00:00Z"), window);
        assert!(memory.get(AccountId(0), "a").is_none());
        assert!(memory.get(AccountId(0), "b").is_none());
    }

    proptest::proptest! {
        /// Whatever the times: `forget_at` never forgets a charge its window
        /// still remembers, and holds none a 64th of the window late.
        #[test]
        fn forgetting_is_never_early_and_at_most_a_64th_late(
            steps in proptest::collection::vec((0i64..7_200, proptest::bool::ANY), 1..200),
            window_seconds in 0i64..20_000,
        ) {
            let window = TimeDelta::seconds(window_seconds);
            let late = window / FORGET_LATE_DIVISOR;
            let mut now = parse_time("2025-07-01T00:00:00Z").unwrap();
            let mut memory = Memory::default();
            let mut charged: Vec<(String, Instant)> = Vec::new();
            for (i, (gap, charge)) in steps.into_iter().enumerate() {
                now += TimeDelta::seconds(gap);
                memory.forget_at(now, window);
                for (task, at) in &charged {
                    let held = memory.get(AccountId(0), task).is_some();
                    if *at + window > now {
                        proptest::prop_assert!(held, "{} forgotten early", task);
                    }
                    if *at + window + late <= now {
                        proptest::prop_assert!(!held, "{} held too long", task);
                    }
                }
                if charge {
                    let task = format!("t{i}");
                    remember(&mut memory, 0, &task, &crate::core::time::format_time(now));
                    charged.push((task, now));
                }
            }
        }
    }
}
