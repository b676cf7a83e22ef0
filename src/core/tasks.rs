//! The task charges remembered for the task window.
//!
//! Charges are kept in charge order, which is also the order they leave the
//! window in, so forgetting them is a pop from the front. A small hash
//! index maps (account, task id) to a charge's sequence number. Keeping the
//! records out of the hash table matters at scale: the table's slots are
//! 8 bytes instead of a whole record, so probing it, and the in-place
//! rehashes that the steady insert-and-remove churn of a sliding window
//! causes, touch little memory.

use super::account::TaskCharge;
use super::ledger::AccountId;
use super::time::Instant;
use chrono::TimeDelta;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::collections::VecDeque;
use std::hash::BuildHasher;

/// Remembered task charges, by account and task id.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskMemory {
    /// Charges in charge order.
    charges: VecDeque<TaskCharge>,
    /// Sequence number of `charges[0]`.
    first: u64,
    /// Sequence numbers of the remembered charges, hashed by key.
    index: HashTable<u64>,
}

fn hash(account: AccountId, task: &str) -> u64 {
    FxBuildHasher.hash_one((account.0, task))
}

impl TaskMemory {
    fn charge(&self, seq: u64) -> Option<&TaskCharge> {
        let at = usize::try_from(seq.checked_sub(self.first)?).ok()?;
        self.charges.get(at)
    }

    fn find(&self, account: AccountId, task: &str) -> Option<u64> {
        self.index
            .find(hash(account, task), |&seq| {
                self.charge(seq)
                    .is_some_and(|c| c.account == account && c.task == task)
            })
            .copied()
    }

    /// The latest charge of `task` by `account`, if still held.
    pub fn get(&self, account: AccountId, task: &str) -> Option<&TaskCharge> {
        self.charge(self.find(account, task)?)
    }

    /// The same, to mark it refunded.
    pub fn get_mut(&mut self, account: AccountId, task: &str) -> Option<&mut TaskCharge> {
        let seq = self.find(account, task)?;
        let at = usize::try_from(seq.checked_sub(self.first)?).ok()?;
        self.charges.get_mut(at)
    }

    /// Remembers a charge, in place of any earlier one of the same key
    /// (that one then only waits for its turn to leave the window).
    pub fn remember(&mut self, charge: TaskCharge) {
        let key_hash = hash(charge.account, &charge.task);
        let seq = self.first + self.charges.len() as u64;
        let (charges, first) = (&self.charges, &self.first);
        let position = |s: u64| {
            s.checked_sub(*first)
                .and_then(|at| usize::try_from(at).ok())
                .and_then(|at| charges.get(at))
        };
        let same_key = |&s: &u64| {
            position(s).is_some_and(|c| c.account == charge.account && c.task == charge.task)
        };
        match self.index.find_mut(key_hash, same_key) {
            Some(slot) => *slot = seq,
            None => {
                let rehash =
                    |&s: &u64| position(s).map_or(0, |c: &TaskCharge| hash(c.account, &c.task));
                self.index.insert_unique(key_hash, seq, rehash);
            }
        }
        self.charges.push_back(charge);
    }

    /// Forgets every charge whose window has ended by `to`: a charge at
    /// `c` is remembered while `t < c + window`. Charges are in time order,
    /// and so are their window ends, so this stops at the first one still
    /// remembered (or remembered for ever: a window end past the calendar).
    pub fn forget_until(&mut self, to: Instant, window: TimeDelta) {
        while let Some(front) = self.charges.front() {
            let ended = front
                .charged_at
                .checked_add_signed(window)
                .is_some_and(|end| end <= to);
            if !ended {
                break;
            }
            let seq = self.first;
            // Only the index entry of this very charge: a later charge of the
            // same key has replaced it already, and keeps its own.
            if let Ok(entry) = self
                .index
                .find_entry(hash(front.account, &front.task), |&s| s == seq)
            {
                entry.remove();
            }
            self.charges.pop_front();
            self.first += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ledger::Cycle;
    use crate::core::time::parse_time;

    fn charge(account: u32, task: &str, at: &str) -> TaskCharge {
        let at = parse_time(at).unwrap();
        TaskCharge {
            account: AccountId(account),
            task: task.into(),
            charged_at: at,
            cycle: Cycle { start: at, end: at },
            plan: "basic".into(),
            extra: 0,
            subscription: 10,
            songs: 2,
            lyrics: 0,
            refunded_at: None,
        }
    }

    #[test]
    fn keys_are_per_account_and_charges_leave_in_order() {
        let hour = TimeDelta::hours(1);
        let mut memory = TaskMemory::default();
        memory.remember(charge(0, "t", "2025-07-01T00:00:00Z"));
        memory.remember(charge(1, "t", "2025-07-01T00:30:00Z"));
        assert!(memory.get(AccountId(0), "t").is_some());
        assert!(memory.get(AccountId(2), "t").is_none());
        memory.forget_until(parse_time("2025-07-01T01:00:00Z").unwrap(), hour);
        assert!(memory.get(AccountId(0), "t").is_none());
        assert!(memory.get(AccountId(1), "t").is_some());
    }

    #[test]
    fn a_later_charge_of_the_same_key_outlives_the_earlier_one() {
        let hour = TimeDelta::hours(1);
        let mut memory = TaskMemory::default();
        memory.remember(charge(0, "t", "2025-07-01T00:00:00Z"));
        memory.remember(charge(0, "t", "2025-07-01T00:40:00Z"));
        memory.forget_until(parse_time("2025-07-01T01:00:00Z").unwrap(), hour);
        let kept = memory.get(AccountId(0), "t").map(|c| c.charged_at);
        assert_eq!(kept, Some(parse_time("2025-07-01T00:40:00Z").unwrap()));
        memory.get_mut(AccountId(0), "t").unwrap().refunded_at = kept;
        memory.forget_until(parse_time("2025-07-01T01:40:00Z").unwrap(), hour);
        assert!(memory.get(AccountId(0), "t").is_none());
        assert!(memory.charges.is_empty() && memory.index.is_empty());
    }
}
