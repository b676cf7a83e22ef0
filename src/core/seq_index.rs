//! A hash index from keys to sequence numbers, for the task window.
//!
//! Open addressing with linear probing in one flat array of 8-byte slots.
//! A slot holds a sequence number and the low 31 bits of its key's hash
//! (the *tag*), from which its home slot is computed, so that:
//! - a lookup compares tags and reads a record only on a tag match;
//! - removing an entry (backward-shift deletion, no tombstones) and growing
//!   the array never read a record or hash a key again;
//! - the slot a key will probe is known from its hash alone, so the
//!   replay can load it ahead with one plain read ([`SeqIndex::warm`]):
//!   with 175k charges in the window the array is larger than a core's
//!   cache, and a lookup otherwise waits on a miss.
//!
//! Measured gain: the 10M replay 6-12 % faster than with `hashbrown`,
//! from the loads ahead; `engine/charge` alone, one event at a time, is
//! about 6 % slower (round 6 of benches/README.md).
//!
//! The index does not know the keys: callers pass the hash and a closure
//! that tells whether a sequence number's record has the key looked up.

/// A free slot. Occupied slots have bit 63 set (see [`tag_of`]).
const EMPTY: u64 = 0;

/// The most slots: tags keep 31 bits of the hash, so homes (tag & mask)
/// are spread over at most 2^31 slots. 16 GiB of slots, for 1.6 billion
/// remembered charges, far past what memory would hold.
const MAX_SLOTS: usize = 1 << 31;

/// Slots of a new index.
const MIN_SLOTS: usize = 16;

/// The tag of a hash: its low 31 bits, with bit 31 set to mark the slot
/// occupied.
fn tag_of(hash: u64) -> u32 {
    (hash as u32) | 0x8000_0000
}

fn slot_of(tag: u32, seq: u32) -> u64 {
    (u64::from(tag) << 32) | u64::from(seq)
}

fn tag_in(slot: u64) -> u32 {
    (slot >> 32) as u32
}

fn seq_in(slot: u64) -> u32 {
    slot as u32
}

/// Where a probe ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    /// The slot of the key, holding this sequence number.
    Found { slot: usize, seq: u32 },
    /// The free slot where the key would go.
    Vacant { slot: usize, tag: u32 },
}

/// Sequence numbers by key hash.
#[derive(Debug, Clone, Default)]
pub(crate) struct SeqIndex {
    /// A power of two of slots (or none), at most three quarters full.
    slots: Vec<u64>,
    /// Occupied slots.
    len: usize,
}

impl SeqIndex {
    /// Number of entries.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    fn home(&self, tag: u32) -> usize {
        tag as usize & self.mask()
    }

    /// Reads the slot `hash` would probe first: a load ahead of the lookup,
    /// whose value means nothing. Only the hash's low 31 bits choose the
    /// slot, so the low 32 bits a batch row keeps are enough.
    pub fn warm(&self, hash: u64) -> u64 {
        self.slots
            .get(self.home(tag_of(hash)))
            .copied()
            .unwrap_or(0)
    }

    /// The sequence number of the key with this hash for which `is_key`
    /// holds.
    pub fn find(&self, hash: u64, is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        match self.look(hash, is_key) {
            Some(Probe::Found { seq, .. }) => Some(seq),
            _ => None,
        }
    }

    /// Looks a key up, making room first for inserting it: a
    /// [`Probe::Vacant`] can be filled by [`SeqIndex::set`] without probing
    /// again.
    ///
    /// Always inlined into the charge path (one call per charge): once the
    /// engine's call path grew, the compiler stopped inlining it, and out
    /// of line it cost about 50 instructions of a charge's 1 100
    /// (callgrind, `examples/count_charges.rs`).
    #[inline(always)]
    pub fn probe(&mut self, hash: u64, mut is_key: impl FnMut(u32) -> bool) -> Probe {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        loop {
            if let Some(probe) = self.look(hash, &mut is_key) {
                return probe;
            }
            // Only with no free slot, which the load limit above rules out.
            self.grow();
        }
    }

    /// Probes from the hash's home until the key or a free slot; `None`
    /// only for an index with no slots.
    fn look(&self, hash: u64, mut is_key: impl FnMut(u32) -> bool) -> Option<Probe> {
        let tag = tag_of(hash);
        let mask = self.mask();
        let mut slot = self.home(tag);
        // At most every slot once: the array is never full.
        for _ in 0..self.slots.len() {
            let held = self.slots[slot];
            if held == EMPTY {
                return Some(Probe::Vacant { slot, tag });
            }
            if tag_in(held) == tag && is_key(seq_in(held)) {
                return Some(Probe::Found {
                    slot,
                    seq: seq_in(held),
                });
            }
            slot = (slot + 1) & mask;
        }
        None
    }

    /// Points the probed key at `seq`: replaces the number of a found key,
    /// or inserts the key into its free slot. `probe` must come from
    /// [`SeqIndex::probe`] with no change to the index since.
    pub fn set(&mut self, probe: Probe, seq: u32) {
        match probe {
            Probe::Found { slot, .. } => {
                let tag = tag_in(self.slots[slot]);
                self.slots[slot] = slot_of(tag, seq);
            }
            Probe::Vacant { slot, tag } => {
                debug_assert_eq!(self.slots[slot], EMPTY);
                self.slots[slot] = slot_of(tag, seq);
                self.len += 1;
            }
        }
    }

    /// Removes the entry holding `seq` for a key with this hash, if any (a
    /// later number of the same key may have replaced it).
    pub fn remove(&mut self, hash: u64, seq: u32) {
        if let Some(Probe::Found { slot, .. }) = self.look(hash, |held| held == seq) {
            self.remove_at(slot);
        }
    }

    /// Empties `hole` and shifts back the entries after it that would
    /// otherwise no longer be found from their homes.
    fn remove_at(&mut self, mut hole: usize) {
        let mask = self.mask();
        let mut next = hole;
        loop {
            next = (next + 1) & mask;
            let held = self.slots[next];
            if held == EMPTY {
                break;
            }
            let home = self.home(tag_in(held));
            // It stays unless its home is outside the run (hole, next].
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(hole) & mask {
                self.slots[hole] = held;
                hole = next;
            }
        }
        self.slots[hole] = EMPTY;
        self.len -= 1;
    }

    /// Doubles the slots and places every entry again from its tag.
    fn grow(&mut self) {
        let count = (self.slots.len() * 2).clamp(MIN_SLOTS, MAX_SLOTS);
        debug_assert!(count > self.slots.len(), "past {MAX_SLOTS} slots");
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; count]);
        let mask = self.mask();
        for held in old.into_iter().filter(|&held| held != EMPTY) {
            let mut slot = self.home(tag_in(held));
            while self.slots[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            self.slots[slot] = held;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// A hash that sends keys to a few neighbouring homes near the end of
    /// a small array, so that runs are long, wrap around the end, and
    /// several keys share a tag.
    fn crowded_hash(key: u32) -> u64 {
        u64::from(key % 5 + 13)
    }

    /// The index, the key each sequence number was given for, and the
    /// next number.
    #[derive(Default)]
    struct Keyed {
        index: SeqIndex,
        keys: HashMap<u32, u32>,
        next: u32,
    }

    impl Keyed {
        fn find(&self, key: u32) -> Option<u32> {
            let keys = &self.keys;
            self.index
                .find(crowded_hash(key), |seq| keys.get(&seq) == Some(&key))
        }

        fn insert(&mut self, key: u32) -> u32 {
            let seq = self.next;
            self.next = self.next.wrapping_add(1);
            self.keys.insert(seq, key);
            let keys = &self.keys;
            let probe = self.index.probe(crowded_hash(key), |s| {
                s != seq && keys.get(&s) == Some(&key)
            });
            self.index.set(probe, seq);
            seq
        }

        fn remove(&mut self, key: u32, seq: u32) {
            self.index.remove(crowded_hash(key), seq);
        }
    }

    #[test]
    fn a_key_is_found_replaced_and_removed() {
        let mut keyed = Keyed::default();
        assert_eq!(keyed.find(1), None, "an empty index has no slots");
        let first = keyed.insert(1);
        let other = keyed.insert(6); // same home and tag as key 1
        assert_eq!((keyed.find(1), keyed.find(6)), (Some(first), Some(other)));
        let second = keyed.insert(1);
        assert_eq!(keyed.find(1), Some(second));
        assert_eq!(keyed.index.len(), 2, "replaced, not added");
        keyed.remove(1, first);
        assert_eq!(
            keyed.find(1),
            Some(second),
            "an older number removes nothing"
        );
        keyed.remove(1, second);
        assert_eq!((keyed.find(1), keyed.find(6)), (None, Some(other)));
        assert_eq!(keyed.index.len(), 1);
    }

    #[test]
    fn removal_shifts_back_a_run_that_wraps_around_the_end() {
        let mut keyed = Keyed::default();
        // Homes 13, 14 and 15 of 16 slots, then two more keys of home 13
        // that wrap around to slots 0 and 1.
        let seqs: Vec<(u32, u32)> = [0, 1, 2, 5, 10]
            .into_iter()
            .map(|key| (key, keyed.insert(key)))
            .collect();
        assert_eq!(keyed.index.slots.len(), MIN_SLOTS);
        assert_ne!(keyed.index.slots[1], EMPTY, "the run wrapped around");
        keyed.remove(0, seqs[0].1);
        for &(key, seq) in &seqs[1..] {
            assert_eq!(keyed.find(key), Some(seq), "key {key}");
        }
        assert_eq!(keyed.index.slots[1], EMPTY, "the run moved back by one");
    }

    #[test]
    fn growing_keeps_every_key_and_at_least_a_quarter_free() {
        let mut keyed = Keyed::default();
        let seqs: Vec<(u32, u32)> = (0..1000).map(|key| (key, keyed.insert(key))).collect();
        for &(key, seq) in &seqs {
            assert_eq!(keyed.find(key), Some(seq));
        }
        assert_eq!(keyed.index.len(), 1000);
        assert!(keyed.index.slots.len() * 3 >= 1000 * 4);
        assert!(keyed.index.slots.len().is_power_of_two());
    }

    #[test]
    fn the_first_slot_probed_is_known_from_the_hash() {
        let mut keyed = Keyed::default();
        let seq = keyed.insert(3);
        let slot = slot_of(tag_of(crowded_hash(3)), seq);
        assert_eq!(keyed.index.warm(crowded_hash(3)), slot);
        assert_eq!(SeqIndex::default().warm(crowded_hash(3)), 0);
    }

    /// One step of the property test below.
    #[derive(Debug, Clone)]
    enum Step {
        /// Remember a (new or existing) key.
        Insert(u32),
        /// Forget the latest number of the n-th held key.
        Remove(prop::sample::Index),
        /// Try to forget a number the key no longer holds.
        RemoveStale(u32),
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        let step = prop_oneof![
            3 => (0u32..40).prop_map(Step::Insert),
            2 => any::<prop::sample::Index>().prop_map(Step::Remove),
            1 => (0u32..40).prop_map(Step::RemoveStale),
        ];
        prop::collection::vec(step, 0..400)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// After any steps, the index answers as a map from key to its
        /// latest number: every held key is found with it, no other key
        /// is found, and the count matches.
        #[test]
        fn the_index_answers_as_a_map(steps in steps()) {
            let mut keyed = Keyed::default();
            let mut model: HashMap<u32, u32> = HashMap::new();
            for step in steps {
                match step {
                    Step::Insert(key) => {
                        let seq = keyed.insert(key);
                        model.insert(key, seq);
                    }
                    Step::Remove(n) => {
                        let mut held: Vec<_> = model.iter().map(|(&k, &s)| (k, s)).collect();
                        held.sort_unstable();
                        if !held.is_empty() {
                            let (key, seq) = held[n.index(held.len())];
                            keyed.remove(key, seq);
                            model.remove(&key);
                        }
                    }
                    Step::RemoveStale(key) => keyed.remove(key, keyed.next),
                }
                prop_assert_eq!(keyed.index.len(), model.len());
                for key in 0..40 {
                    prop_assert_eq!(keyed.find(key), model.get(&key).copied(), "key {}", key);
                }
            }
        }
    }
}
