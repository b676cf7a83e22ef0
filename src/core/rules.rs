//! The rule book: what one API call costs in credits and what it yields.

use super::short_key::ShortKey;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// Cost and yield of one API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rule {
    /// Credits charged per call; 0 means the call is free.
    pub credits: u64,
    /// Songs generated per call.
    pub songs: u64,
    /// Lyrics versions generated per call.
    pub lyrics: u64,
}

/// Why a rule book could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// Provider or operation is empty.
    #[error("empty provider or operation")]
    EmptyName,
    /// The same provider and operation twice.
    #[error("duplicate rule for provider {provider} operation {operation}")]
    Duplicate {
        /// The provider.
        provider: String,
        /// The operation.
        operation: String,
    },
    /// More rules than a book numbers (`u32::MAX`).
    #[error("more than {max} rules")]
    TooMany {
        /// The most rules a book holds.
        max: u32,
    },
}

/// Rules by provider, then operation. Names are case-sensitive.
///
/// ```
/// use creditsim::core::RuleBook;
/// let book = RuleBook::builtin();
/// let create = book.get("suno", "create").unwrap();
/// assert_eq!((create.credits, create.songs), (10, 2));
/// assert_eq!(book.get("lyrics", "make").unwrap().lyrics, 2);
/// assert!(book.get("Suno", "create").is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    /// Rules keyed by (provider, operation), hashed together so that a
    /// lookup (once per call) is one probe. The key is the names'
    /// [`ShortKey`]s, which for names of up to 16 bytes are the names
    /// themselves: making, hashing and comparing them takes no loop over
    /// the bytes (`short_key.rs` has the measurement). FxHash rather than
    /// SipHash; nothing iterates the table in an order that reaches output
    /// (`sorted` sorts). FxHash mixes a key's last bytes poorly (names
    /// that differ only there can share a bucket, see `benches/README.md`),
    /// which costs a few comparisons in a book of dozens of
    /// rules and nothing else.
    rules: HashTable<KeyedRule>,
    /// The rules in the order inserted, with their provider and operation:
    /// a [`RuleRef`] is a position here.
    by_position: Vec<PositionedRule>,
    /// Which contents the book has, so that a position found in one book
    /// can be trusted in a clone of it (see [`RuleGuess`]).
    stamp: BookStamp,
}

/// The identity of a rule book's contents: a clone keeps its book's
/// stamp, a new book or a changed one gets a stamp never given before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BookStamp(u64);

impl Default for BookStamp {
    fn default() -> Self {
        // Only uniqueness matters, not the order between threads; 2^64
        // stamps are never used up.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        BookStamp(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A rule found once by name ([`RuleBook::guess`]), to be used by every
/// engine whose book is that book or a clone of it: what-if runs sharing
/// the baseline's book resolve each call's rule once for all of them
/// instead of once per run. An engine given a guess from another book
/// looks the rule up by name, so a guess never changes an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleGuess {
    stamp: BookStamp,
    position: RuleRef,
}

/// A rule as kept by position, with the names that report writers need.
#[derive(Debug, Clone)]
struct PositionedRule {
    rule: Rule,
    provider: Box<str>,
    operation: Box<str>,
}

/// A rule of one [`RuleBook`], by position. A remembered charge keeps
/// this (4 bytes) instead of the rule's songs, lyrics and credits (24),
/// to find them again if the call is refunded; charge and refund entries
/// carry it so that a report can name the call
/// ([`RuleBook::call`]) without the event that made them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct RuleRef(u32);

impl RuleRef {
    /// The rule at `position`, as a snapshot names it.
    pub(crate) fn at(position: u32) -> Self {
        RuleRef(position)
    }

    /// The position as a `usize`: rules are numbered from 0 in the order
    /// they were inserted.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A rule with its key.
#[derive(Debug, Clone)]
struct KeyedRule {
    keys: (ShortKey, ShortKey),
    provider: Box<str>,
    operation: Box<str>,
    rule: Rule,
    position: RuleRef,
}

impl KeyedRule {
    /// Whether this is the rule of `provider` and `operation`, whose keys
    /// are `keys`. Only names longer than a key holds are compared whole.
    fn is_for(&self, keys: (ShortKey, ShortKey), provider: &str, operation: &str) -> bool {
        self.keys == keys
            && (keys.0.is_exact() || *self.provider == *provider)
            && (keys.1.is_exact() || *self.operation == *operation)
    }
}

fn keys_of(provider: &str, operation: &str) -> (ShortKey, ShortKey) {
    (ShortKey::of(provider), ShortKey::of(operation))
}

fn key_hash(keys: (ShortKey, ShortKey)) -> u64 {
    FxBuildHasher.hash_one(keys)
}

/// The guide's table (RULES.md section 3): provider, operations, credits,
/// songs, lyrics.
const BUILTIN: &[(&str, &[&str], u64, u64, u64)] = &[
    (
        "suno",
        &["create", "extend", "cover", "persona_music"],
        10,
        2,
        0,
    ),
    // Decision: concat joins clips into one song.
    ("suno", &["concat"], 10, 1, 0),
    // Decision: persona creates a persona, not a song.
    ("suno", &["persona"], 10, 0, 0),
    ("suno", &["upload"], 2, 0, 0),
    ("suno", &["get"], 0, 0, 0),
    (
        "riffusion",
        &[
            "create_lyrics",
            "create_description",
            "cover",
            "extend",
            "replace_section",
            "swap_sound",
            "swap_vocals",
        ],
        10,
        2,
        0,
    ),
    ("riffusion", &["upload"], 2, 0, 0),
    ("riffusion", &["get"], 0, 0, 0),
    ("nuro", &["create_vocal", "create_instrumental"], 10, 1, 0),
    ("nuro", &["get"], 0, 0, 0),
    ("lyrics", &["make"], 2, 0, 2),
    ("account", &["get_credits"], 0, 0, 0),
];

impl RuleBook {
    /// The built-in rule book: the Credits Usage Guide's table.
    pub fn builtin() -> Self {
        let mut book = RuleBook::default();
        for &(provider, operations, credits, songs, lyrics) in BUILTIN {
            for operation in operations {
                let rule = Rule {
                    credits,
                    songs,
                    lyrics,
                };
                // The table above has no duplicates; a test checks it.
                let _ = book.insert(provider, operation, rule);
            }
        }
        book
    }

    /// Adds a rule, refusing empty names and duplicates (and past
    /// `u32::MAX` rules, which no file that fits in memory holds).
    ///
    /// # Errors
    ///
    /// [`RuleError`] when a name is empty, the pair is already in the book, or
    /// the book is full; the book is then unchanged.
    pub fn insert(&mut self, provider: &str, operation: &str, rule: Rule) -> Result<(), RuleError> {
        if provider.is_empty() || operation.is_empty() {
            return Err(RuleError::EmptyName);
        }
        if self.get(provider, operation).is_some() {
            return Err(RuleError::Duplicate {
                provider: provider.to_owned(),
                operation: operation.to_owned(),
            });
        }
        let position = u32::try_from(self.by_position.len())
            .ok()
            .filter(|&position| position < u32::MAX)
            .ok_or(RuleError::TooMany { max: u32::MAX })?;
        self.by_position.push(PositionedRule {
            rule,
            provider: provider.into(),
            operation: operation.into(),
        });
        let keys = keys_of(provider, operation);
        // The contents changed: guesses made before must not match.
        self.stamp = BookStamp::default();
        self.rules.insert_unique(
            key_hash(keys),
            KeyedRule {
                keys,
                provider: provider.into(),
                operation: operation.into(),
                rule,
                position: RuleRef(position),
            },
            |r| key_hash(r.keys),
        );
        Ok(())
    }

    /// The rule for one provider and operation, if the book has one.
    pub fn get(&self, provider: &str, operation: &str) -> Option<Rule> {
        self.find(provider, operation).map(|(_, rule)| rule)
    }

    /// The rule for one provider and operation, with its position.
    pub(crate) fn find(&self, provider: &str, operation: &str) -> Option<(RuleRef, Rule)> {
        let keys = keys_of(provider, operation);
        self.rules
            .find(key_hash(keys), |r| r.is_for(keys, provider, operation))
            .map(|r| (r.position, r.rule))
    }

    /// The position of the rule for `provider` and `operation`, valid in
    /// this book and its clones; `None` when the book has no such rule.
    pub fn guess(&self, provider: &str, operation: &str) -> Option<RuleGuess> {
        self.find(provider, operation)
            .map(|(position, _)| RuleGuess {
                stamp: self.stamp,
                position,
            })
    }

    /// The rule of `guess` with its position, when `guess` was made by
    /// this book's contents.
    pub(crate) fn guessed(&self, guess: RuleGuess) -> Option<(RuleRef, Rule)> {
        if guess.stamp != self.stamp {
            return None;
        }
        self.at(guess.position).map(|rule| (guess.position, rule))
    }

    /// The rule at a position [`RuleBook::find`] gave.
    pub(crate) fn at(&self, position: RuleRef) -> Option<Rule> {
        self.by_position.get(position.index()).map(|r| r.rule)
    }

    /// The provider and operation of the rule at `position` (of a charge
    /// or refund entry), if this book has it.
    pub fn call(&self, position: RuleRef) -> Option<(&str, &str)> {
        self.by_position
            .get(position.index())
            .map(|r| (&*r.provider, &*r.operation))
    }

    /// Every rule with its provider and operation, in the order inserted
    /// (a [`RuleRef`]'s position).
    pub fn by_position(&self) -> impl Iterator<Item = (&str, &str, Rule)> {
        self.by_position
            .iter()
            .map(|r| (&*r.provider, &*r.operation, r.rule))
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when the book has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every rule as `(provider, operation, rule)`, sorted by provider then
    /// operation.
    pub fn sorted(&self) -> Vec<(&str, &str, Rule)> {
        let mut rules: Vec<_> = self
            .rules
            .iter()
            .map(|r| (&*r.provider, &*r.operation, r.rule))
            .collect();
        rules.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_book_has_the_guides_table() {
        let book = RuleBook::builtin();
        let expected_len: usize = BUILTIN.iter().map(|row| row.1.len()).sum();
        assert_eq!(
            book.len(),
            expected_len,
            "the built-in table has a duplicate"
        );
        assert_eq!(book.len(), 22);
        let rule = |p, o| book.get(p, o).unwrap();
        assert_eq!(rule("suno", "concat").songs, 1);
        assert_eq!(rule("suno", "persona").songs, 0);
        assert_eq!(rule("suno", "upload").credits, 2);
        assert_eq!(rule("riffusion", "swap_vocals").songs, 2);
        assert_eq!(rule("nuro", "create_vocal").songs, 1);
        assert_eq!(rule("account", "get_credits").credits, 0);
        assert!(book.get("nuro", "upload").is_none());
    }

    #[test]
    fn refuses_duplicates_and_empty_names() {
        let mut book = RuleBook::default();
        let rule = Rule {
            credits: 1,
            songs: 0,
            lyrics: 0,
        };
        book.insert("p", "o", rule).unwrap();
        assert!(matches!(
            book.insert("p", "o", rule),
            Err(RuleError::Duplicate { .. })
        ));
        assert_eq!(book.insert("", "o", rule), Err(RuleError::EmptyName));
    }

    #[test]
    fn positions_find_the_rules_again() {
        let book = RuleBook::builtin();
        for (provider, operation, rule) in book.sorted() {
            let (position, found) = book.find(provider, operation).unwrap();
            assert_eq!(found, rule);
            assert_eq!(book.at(position), Some(rule), "{provider} {operation}");
        }
        assert_eq!(RuleBook::default().at(RuleRef(0)), None);
    }

    #[test]
    fn guesses_hold_in_clones_only_until_a_change() {
        let book = RuleBook::builtin();
        let guess = book.guess("lyrics", "make").unwrap();
        assert_eq!(book.guessed(guess), book.find("lyrics", "make"));
        let mut clone = book.clone();
        assert_eq!(clone.guessed(guess), book.find("lyrics", "make"));
        let rule = Rule {
            credits: 1,
            songs: 0,
            lyrics: 0,
        };
        clone.insert("p", "o", rule).unwrap();
        assert_eq!(clone.guessed(guess), None, "a changed book");
        assert_eq!(RuleBook::builtin().guessed(guess), None, "another book");
        assert_eq!(book.guess("lyrics", "nothing"), None);
    }

    #[test]
    fn says_how_many_rules_a_book_holds_at_most() {
        // 4 billion rules do not fit in a test's memory: the message alone.
        let error = RuleError::TooMany { max: u32::MAX };
        assert_eq!(error.to_string(), "more than 4294967295 rules");
    }

    #[test]
    fn long_names_with_the_same_ends_are_told_apart() {
        // 17 bytes: the middle byte is in neither end a short key holds.
        let (x, y, z) = (
            "abcdefghX12345678",
            "abcdefghY12345678",
            "abcdefghZ12345678",
        );
        let rule = |credits| Rule {
            credits,
            songs: 0,
            lyrics: 0,
        };
        let mut book = RuleBook::default();
        book.insert("p", x, rule(1)).unwrap();
        book.insert("p", y, rule(2)).unwrap();
        book.insert(x, "o", rule(3)).unwrap();
        assert_eq!(book.get("p", x), Some(rule(1)));
        assert_eq!(book.get("p", y), Some(rule(2)));
        assert_eq!(book.get("p", z), None);
        assert_eq!(book.get(x, "o"), Some(rule(3)));
        assert_eq!(book.get(y, "o"), None);
    }
}
