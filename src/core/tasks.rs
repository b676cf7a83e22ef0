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
//! often: 25-26 ms against 18-20 ms per 100k charges. The index is a
//! table of its own (`seq_index`) rather than a `hashbrown::HashTable`
//! because there the first slot a key probes is known from the hash alone,
//! so the replay can load it ahead (`benches/README.md` has the figures).

use super::ledger::{AccountId, TaskId};
use super::seq_index::{Probe, SeqIndex};
use super::time::{DaySeconds, Instant};
use chrono::TimeDelta;
use rustc_hash::FxBuildHasher;
use std::collections::VecDeque;
use std::hash::BuildHasher;

/// A remembered charge: its key, its time, and what the memory's owner
/// keeps with it.
#[derive(Debug, Clone)]
pub(crate) struct Remembered<T> {
    /// The [`TaskKey`] of its key, kept so that forgetting the charge
    /// never hashes the task id again.
    pub key: TaskKey,
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
    /// The second (since 1970) from which `forget_at` may find the oldest
    /// charge to forget; before it, it has nothing to do.
    forget_from_second: i64,
    /// Seconds of the times `forget_at` is given, and of the charges it
    /// checks: each mostly on the same day as the one before.
    now_seconds: DaySeconds,
    charge_seconds: DaySeconds,
}

impl<T> Default for TaskMemory<T> {
    fn default() -> Self {
        TaskMemory {
            charges: VecDeque::new(),
            first: 0,
            index: SeqIndex::default(),
            forget_from_second: i64::MIN,
            now_seconds: DaySeconds::default(),
            charge_seconds: DaySeconds::default(),
        }
    }
}

/// How many whole seconds past its window a charge may be held (see
/// [`TaskMemory::forget_at`]).
const FORGET_MARGIN_SECONDS: i64 = 2;

/// The hash of a task key (account and task id) as the task index uses
/// it: computed once per event, kept in its charge, and computed ahead by
/// the reading side to load the slot a row will probe. The one place the
/// hash is made and cut to the index's 32 bits (the index reads 31 of
/// them, `seq_index::tag_of`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TaskKey(u32);

impl TaskKey {
    /// The key of `task` charged to `account`.
    pub(crate) fn of(account: AccountId, task: &str) -> Self {
        TaskKey(FxBuildHasher.hash_one((account.0, task)) as u32)
    }

    /// The hash as the index takes it.
    fn hash(self) -> u64 {
        u64::from(self.0)
    }
}

/// A task charged at `charged_at` is remembered at `now` while
/// `now < charged_at + window`. [`TaskMemory::forget_at`] may hold a
/// charge a little longer, so every lookup checks this itself.
fn remembered(charged_at: Instant, window: TimeDelta, now: Instant) -> bool {
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
    /// The latest charge of the key, if `window` still remembers it at
    /// `now`.
    pub fn charge(&self, now: Instant, window: TimeDelta) -> Option<&Remembered<T>> {
        let Probe::Found { seq, .. } = self.probe else {
            return None;
        };
        held(&self.memory.charges, self.memory.first, seq)
            .filter(|charge| remembered(charge.charged_at, window, now))
    }

    /// Remembers a charge of the key, in place of any earlier one (that
    /// one then only waits for its turn to leave the window). `charge`
    /// must carry the key and [`TaskKey`] the slot was looked up with. (The
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
    /// The remembered charges, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Remembered<T>> {
        self.charges.iter()
    }

    fn find(&self, key: TaskKey, account: AccountId, task: &str) -> Option<u32> {
        let (charges, first) = (&self.charges, self.first);
        self.index.find(key.hash(), |seq| {
            has_key(charges, first, seq, account, task)
        })
    }

    /// The latest charge of `task` by `account`, if `window` still
    /// remembers it at `now`, to mark it refunded.
    pub fn get_mut(
        &mut self,
        account: AccountId,
        task: &str,
        now: Instant,
        window: TimeDelta,
    ) -> Option<&mut Remembered<T>> {
        let seq = self.find(TaskKey::of(account, task), account, task)?;
        self.charges
            .get_mut(seq.wrapping_sub(self.first) as usize)
            .filter(|charge| remembered(charge.charged_at, window, now))
    }

    /// The slot of `task` by `account`, whose [`TaskKey`] is `key`.
    pub fn slot(&mut self, key: TaskKey, account: AccountId, task: &str) -> TaskSlot<'_, T> {
        let (charges, first) = (&self.charges, self.first);
        let probe = self.index.probe(key.hash(), |seq| {
            has_key(charges, first, seq, account, task)
        });
        TaskSlot {
            probe,
            memory: self,
        }
    }

    /// Loads the index slot `key` probes first (see [`SeqIndex::warm`]).
    pub fn warm(&self, key: TaskKey) -> u64 {
        self.index.warm(key.hash())
    }

    /// Forgets the charges that a `window` no longer remembers at `now`
    /// (a charge at `c` is remembered while `now < c + window`), counting
    /// in whole seconds since 1970: a charge leaves once the second of
    /// `now` is [`FORGET_MARGIN_SECONDS`] past the second of `c` plus the
    /// window's whole seconds. The margin covers the fractions of `c` and
    /// of the window (less than a second each; chrono counts a leap
    /// second inside second 59), so no charge leaves early; one may stay
    /// up to 3 seconds late.
    ///
    /// A charge held past its window changes no outcome, because every
    /// lookup ([`TaskMemory::get`], [`TaskSlot::charge`]) checks its time.
    /// Forgetting only bounds memory, so whole seconds are enough, and
    /// they cost less than chrono's general time arithmetic: that was
    /// about 75 instructions of a charge's 1 076 (`engine/charge`,
    /// counted with callgrind).
    pub fn forget_at(&mut self, now: Instant, window: TimeDelta) {
        let now_second = self.now_seconds.second_of(now);
        if now_second < self.forget_from_second {
            return;
        }
        // Charges whose second plus `reach` has passed are forgotten.
        let reach = window.num_seconds().saturating_add(FORGET_MARGIN_SECONDS);
        while let Some(front) = self.charges.front() {
            let due_second = self
                .charge_seconds
                .second_of(front.charged_at)
                .saturating_add(reach);
            if due_second > now_second {
                self.forget_from_second = due_second;
                return;
            }
            // Only the index entry of this very charge: a later charge of the
            // same key has replaced it already, and keeps its own.
            self.index.remove(front.key.hash(), self.first);
            self.charges.pop_front();
            self.first = self.first.wrapping_add(1);
            // Load the slot of a charge that will be forgotten a little
            // later, so that its removal finds it in cache.
            if let Some(later) = self.charges.get(FORGET_AHEAD) {
                std::hint::black_box(self.index.warm(later.key.hash()));
            }
        }
        // Empty: a charge made from now on is due no earlier than this.
        self.forget_from_second = now_second.saturating_add(reach);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::parse_time;
    use chrono::TimeDelta;
    use proptest::strategy::Strategy;

    /// Remembered charges with, as data, the time of their refund.
    type Memory = TaskMemory<Option<Instant>>;

    /// Remembers a charge of `task` by `account` at `at`.
    fn remember(memory: &mut Memory, account: u32, task: &str, at: &str) {
        let account = AccountId(account);
        let key = TaskKey::of(account, task);
        memory.slot(key, account, task).remember(Remembered {
            key,
            account,
            task: task.into(),
            charged_at: parse_time(at).unwrap(),
            data: None,
        });
    }

    /// The latest charge of `task` by `account` that the memory holds,
    /// whatever its time: what forgetting has kept.
    fn still_held<'a>(
        memory: &'a Memory,
        account: u32,
        task: &str,
    ) -> Option<&'a Remembered<Option<Instant>>> {
        let account = AccountId(account);
        let seq = memory.find(TaskKey::of(account, task), account, task)?;
        held(&memory.charges, memory.first, seq)
    }

    /// Forgets what `window` no longer remembers at `to`, given the few
    /// seconds' margin `forget_at` takes.
    fn forget_until(memory: &mut Memory, to: &str, window: TimeDelta) {
        let margin = TimeDelta::seconds(FORGET_MARGIN_SECONDS + 1);
        memory.forget_at(parse_time(to).unwrap() + margin, window);
    }

    #[test]
    fn keys_are_per_account_and_charges_leave_in_order() {
        let hour = TimeDelta::hours(1);
        let mut memory = Memory::default();
        remember(&mut memory, 0, "t", "2025-07-01T00:00:00Z");
        remember(&mut memory, 1, "t", "2025-07-01T00:30:00Z");
        assert!(still_held(&memory, 0, "t").is_some());
        assert!(still_held(&memory, 2, "t").is_none());
        forget_until(&mut memory, "2025-07-01T01:00:00Z", hour);
        assert!(still_held(&memory, 0, "t").is_none());
        assert!(still_held(&memory, 1, "t").is_some());
    }

    #[test]
    fn a_later_charge_of_the_same_key_outlives_the_earlier_one() {
        let hour = TimeDelta::hours(1);
        let mut memory = Memory::default();
        remember(&mut memory, 0, "t", "2025-07-01T00:00:00Z");
        remember(&mut memory, 0, "t", "2025-07-01T00:40:00Z");
        forget_until(&mut memory, "2025-07-01T01:00:00Z", hour);
        let kept = still_held(&memory, 0, "t").map(|c| c.charged_at);
        assert_eq!(kept, Some(parse_time("2025-07-01T00:40:00Z").unwrap()));
        let at_one = parse_time("2025-07-01T01:00:00Z").unwrap();
        memory
            .get_mut(AccountId(0), "t", at_one, hour)
            .unwrap()
            .data = kept;
        forget_until(&mut memory, "2025-07-01T01:40:00Z", hour);
        assert!(still_held(&memory, 0, "t").is_none());
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
                still_held(&memory, 0, &task).map(|c| &*c.task),
                Some(&*task)
            );
        }
        forget_until(&mut memory, "2025-07-01T01:15:00Z", hour);
        assert_eq!(
            memory.first, 0,
            "two forgotten: u32::MAX - 1 wrapped past u32::MAX"
        );
        assert!(still_held(&memory, 0, "t1").is_none());
        assert!(still_held(&memory, 0, "t2").is_some());
        remember(&mut memory, 0, "t1", "2025-07-01T01:20:00Z");
        assert!(still_held(&memory, 0, "t1").is_some());
    }

    /// With an hour's window, a charge at `charged` is still held at
    /// `held_at` and gone at `gone_at`.
    fn leaves_between(charged: &str, held_at: &str, gone_at: &str) {
        let hour = TimeDelta::hours(1);
        let mut memory = Memory::default();
        remember(&mut memory, 0, "t", charged);
        let held_at = parse_time(held_at).unwrap();
        memory.forget_at(held_at, hour);
        let held = still_held(&memory, 0, "t").is_some();
        assert!(held, "{charged} gone at {held_at}");
        // Held past its window, it is no longer found.
        assert!(memory.get_mut(AccountId(0), "t", held_at, hour).is_none());
        memory.forget_at(parse_time(gone_at).unwrap(), hour);
        let held = still_held(&memory, 0, "t").is_some();
        assert!(!held, "{charged} held at {gone_at}");
    }

    #[test]
    fn charges_leave_in_whole_seconds_never_early() {
        // Its window ends at 01:00:00.5; the margin keeps it 2 s more.
        leaves_between(
            "2025-07-01T00:00:00.5Z",
            "2025-07-01T01:00:01.9Z",
            "2025-07-01T01:00:02Z",
        );
        // A leap second is counted in second 59: a charge in it stays
        // until two seconds after 00:59:59 plus the hour.
        leaves_between(
            "2016-12-31T23:59:60.5Z",
            "2017-01-01T01:00:00.9Z",
            "2017-01-01T01:00:01Z",
        );
    }

    proptest::proptest! {
        /// Whatever the times (fractions and leap seconds too) and the
        /// window: `forget_at` never forgets a charge its window still
        /// remembers, and holds none 3 seconds past its window.
        #[test]
        fn forgetting_is_never_early_and_at_most_3_seconds_late(
            // Gaps and windows of milliseconds to hours: short ones put
            // events near the second a charge leaves in.
            steps in proptest::collection::vec(
                (proptest::prop_oneof![0i64..7_200_000, 0i64..3_000], proptest::bool::ANY, proptest::bool::ANY),
                1..200,
            ),
            window_millis in proptest::prop_oneof![
                0i64..20_000_000,
                0i64..5_000,
                (0i64..5_000).prop_map(|s| s * 1_000),
            ],
        ) {
            let window = TimeDelta::milliseconds(window_millis);
            let late = TimeDelta::seconds(3);
            // From a second 59 with a leap second after it.
            let mut now = parse_time("2016-12-31T23:59:59Z").unwrap();
            let mut memory = Memory::default();
            let mut charged: Vec<(String, Instant)> = Vec::new();
            for (i, (gap_millis, leap, charge)) in steps.into_iter().enumerate() {
                now += TimeDelta::milliseconds(gap_millis);
                // Now and then the leap second after a second 59, if any.
                if leap && now.timestamp().rem_euclid(60) == 59 {
                    let nanos = 1_000_000_000 + now.timestamp_subsec_nanos() % 1_000_000_000;
                    now = chrono::DateTime::from_timestamp(now.timestamp(), nanos).unwrap();
                }
                memory.forget_at(now, window);
                for (task, at) in &charged {
                    let held = still_held(&memory, 0, task).is_some();
                    if remembered(*at, window, now) {
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
