//! A fixed-size stand-in for a short string, to compare and hash names
//! without a byte loop or a `memcmp` call.
//!
//! The rule book is consulted once per API call with the provider and
//! operation names. Hashing two strings byte by byte and comparing them
//! with `memcmp` was about 170 instructions per call, a seventh of a
//! charge's (`engine/charge`, counted with callgrind). A [`ShortKey`] is
//! made from a few word-sized loads and is the string itself for strings
//! of up to [`EXACT_BYTES`] bytes, so comparing two keys compares the
//! strings.
//!
//! Measured gain: 6.4 % of `engine/charge`'s instructions (round 7 of
//! benches/README.md).

/// The longest string a key holds whole.
pub(crate) const EXACT_BYTES: usize = 16;

/// A string's length and its first and last bytes, up to 8 of each.
///
/// For strings of at most [`EXACT_BYTES`] bytes the key covers every
/// byte, so two keys are equal exactly when their strings are. Longer
/// strings with equal keys may still differ in the middle: callers compare
/// them whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ShortKey {
    len: usize,
    head: u64,
    tail: u64,
}

impl ShortKey {
    /// The key of `text`. Loads overlap on short strings: a 5-byte string
    /// is its first 4 and its last 4 bytes; 1 to 3 bytes are read one by
    /// one (positions 0, len / 2 and len - 1 cover them all).
    pub fn of(text: &str) -> Self {
        let bytes = text.as_bytes();
        let len = bytes.len();
        let (head, tail) = if let (Some(head), Some(tail)) =
            (bytes.first_chunk::<8>(), bytes.last_chunk::<8>())
        {
            (u64::from_le_bytes(*head), u64::from_le_bytes(*tail))
        } else if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>())
        {
            (
                u64::from(u32::from_le_bytes(*head)),
                u64::from(u32::from_le_bytes(*tail)),
            )
        } else {
            let byte = |at: usize| u64::from(bytes.get(at).copied().unwrap_or(0));
            let middle = len / 2;
            let last = len.saturating_sub(1);
            (byte(0) | byte(middle) << 8 | byte(last) << 16, 0)
        };
        ShortKey { len, head, tail }
    }

    /// Whether the key is its string whole (see [`EXACT_BYTES`]).
    pub fn is_exact(&self) -> bool {
        self.len <= EXACT_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_of_the_rule_books_names_differ() {
        let names = [
            "", "a", "ab", "ba", "abc", "acb", "suno", "nuro", "create", "extend",
        ];
        for a in names {
            for b in names {
                assert_eq!(ShortKey::of(a) == ShortKey::of(b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn long_strings_are_not_exact() {
        assert!(ShortKey::of(&"x".repeat(EXACT_BYTES)).is_exact());
        assert!(!ShortKey::of(&"x".repeat(EXACT_BYTES + 1)).is_exact());
        // Same first and last 8 bytes, different middles: equal keys.
        let a = "abcdefghX12345678";
        let b = "abcdefghY12345678";
        assert_eq!(ShortKey::of(a), ShortKey::of(b));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// Up to 16 bytes, equal keys mean equal strings, and the other
        /// way. A small alphabet makes near misses common.
        #[test]
        fn exact_keys_are_equal_only_for_equal_strings(
            a in "[ab\u{e9}]{0,8}",
            b in "[ab\u{e9}]{0,8}",
        ) {
            prop_assume!(a.len() <= EXACT_BYTES && b.len() <= EXACT_BYTES);
            prop_assert_eq!(ShortKey::of(&a) == ShortKey::of(&b), a == b);
        }

        /// Up to 16 bytes, changing any one byte changes the key.
        #[test]
        fn every_byte_of_a_short_string_counts(
            a in "[ab]{1,16}",
            at in any::<prop::sample::Index>(),
        ) {
            let at = at.index(a.len());
            let mut bytes = a.clone().into_bytes();
            bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
            let b = String::from_utf8(bytes).unwrap();
            prop_assert_ne!(ShortKey::of(&a), ShortKey::of(&b), "byte {}", at);
        }
    }
}
