//! The rule book: what one API call costs in credits and what it yields.

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// Cost and yield of one API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// Rules by provider, then operation. Names are case-sensitive.
///
/// ```
/// use creditsim::core::rules::RuleBook;
/// let book = RuleBook::builtin();
/// let create = book.get("suno", "create").unwrap();
/// assert_eq!((create.credits, create.songs), (10, 2));
/// assert_eq!(book.get("lyrics", "make").unwrap().lyrics, 2);
/// assert!(book.get("Suno", "create").is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    /// Rules keyed by (provider, operation), hashed together so that a
    /// lookup (once per call) is one probe. FxHash rather than SipHash;
    /// nothing iterates it in an order that reaches output (`sorted`
    /// sorts).
    rules: HashTable<KeyedRule>,
}

/// A rule with its key.
#[derive(Debug, Clone)]
struct KeyedRule {
    provider: Box<str>,
    operation: Box<str>,
    rule: Rule,
}

fn key_hash(provider: &str, operation: &str) -> u64 {
    FxBuildHasher.hash_one((provider, operation))
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

    /// Adds a rule, refusing empty names and duplicates.
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
        self.rules.insert_unique(
            key_hash(provider, operation),
            KeyedRule {
                provider: provider.into(),
                operation: operation.into(),
                rule,
            },
            |r| key_hash(&r.provider, &r.operation),
        );
        Ok(())
    }

    /// The rule for one provider and operation, if the book has one.
    pub fn get(&self, provider: &str, operation: &str) -> Option<Rule> {
        self.rules
            .find(key_hash(provider, operation), |r| {
                *r.provider == *provider && *r.operation == *operation
            })
            .map(|r| r.rule)
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
}
