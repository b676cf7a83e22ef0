//! Finding the end of an unquoted CSV line and the commas in it, eight
//! bytes at a time: the fast half of [`super::rows`], for the rows that
//! hold no `"` (almost all of them).
//!
//! Each 8-byte word is tested for the four bytes that matter (`,`, `"`,
//! `\r`, `\n`) with the exact form of the "has a zero byte" bit trick,
//! which marks only the bytes that match, so the marks can be read off
//! with `trailing_zeros`.
//!
//! Measured gain (with [`super::rows`], round 5 of benches/README.md):
//! splitting the 10M rows took 0.81 s of CPU against csv_core's 1.23 s.

use std::ops::Range;

/// The search, in a row's bytes read so far, for the end of its line, a
/// quote, and the commas between its fields.
#[derive(Default)]
pub(crate) struct LineScan {
    /// Bytes looked at.
    scanned: usize,
    /// Where the field being read starts.
    field_start: usize,
}

pub(crate) enum LineEnd {
    /// A line break at this index ends the line.
    At(usize),
    /// The row holds a quote: csv_core must read it.
    Quote,
    /// Neither a line break nor a quote in the bytes read so far.
    NotYet,
}

impl LineScan {
    /// Where the field being read starts: the line's last field, once its
    /// end is known.
    pub fn field_start(&self) -> usize {
        self.field_start
    }

    /// Looks at the bytes of `row` not looked at yet, adding the fields
    /// that end at a comma to `fields`. Rows are short, so this looks at
    /// eight bytes at a time for the four bytes that matter: memchr does
    /// one search per comma, and each search costs more to start than
    /// this costs per byte.
    pub fn run(&mut self, row: &[u8], fields: &mut Vec<Range<usize>>) -> LineEnd {
        // The row only grows between calls (more of it is read).
        debug_assert!(self.scanned <= row.len());
        let mut words = row[self.scanned..].chunks_exact(8);
        for word in words.by_ref() {
            let Ok(word) = <[u8; 8]>::try_from(word) else {
                break;
            };
            let word = u64::from_le_bytes(word);
            let mut commas = bytes_equal(word, b',');
            let stops =
                bytes_equal(word, b'"') | bytes_equal(word, b'\r') | bytes_equal(word, b'\n');
            if stops != 0 {
                // Only the commas before the first stop belong to the line.
                commas &= stops ^ (stops - 1);
            }
            while commas != 0 {
                let at = self.scanned + (commas.trailing_zeros() / 8) as usize;
                commas &= commas - 1;
                fields.push(self.field_start..at);
                self.field_start = at + 1;
            }
            if stops != 0 {
                let at = self.scanned + (stops.trailing_zeros() / 8) as usize;
                return stop_at(row, at);
            }
            self.scanned += 8;
        }
        let tail = words.remainder();
        for (i, byte) in tail.iter().enumerate() {
            let at = self.scanned + i;
            match byte {
                b',' => {
                    fields.push(self.field_start..at);
                    self.field_start = at + 1;
                }
                b'"' | b'\r' | b'\n' => return stop_at(row, at),
                _ => {}
            }
        }
        self.scanned += tail.len();
        LineEnd::NotYet
    }
}

/// What a quote or line break at `at` means for the line.
fn stop_at(row: &[u8], at: usize) -> LineEnd {
    if row.get(at) == Some(&b'"') {
        LineEnd::Quote
    } else {
        LineEnd::At(at)
    }
}

/// The high bit of each byte of `word` equal to `byte`.
fn bytes_equal(word: u64, byte: u8) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const LOW_BITS: u64 = u64::from_ne_bytes([0x7F; 8]);
    let x = word ^ (ONES * u64::from(byte));
    // Per byte: the high bit is set unless the byte is 0 (no carry
    // crosses into the next byte).
    !(((x & LOW_BITS) + LOW_BITS) | x | LOW_BITS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `LineScan` should find, one byte at a time: the fields cut at
    /// commas before the first stop, and the stop.
    fn naive(row: &[u8]) -> (Vec<Range<usize>>, Option<(usize, bool)>) {
        let mut fields = Vec::new();
        let mut start = 0;
        for (at, &byte) in row.iter().enumerate() {
            match byte {
                b',' => {
                    fields.push(start..at);
                    start = at + 1;
                }
                b'"' => return (fields, Some((at, true))),
                b'\r' | b'\n' => return (fields, Some((at, false))),
                _ => {}
            }
        }
        (fields, None)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Only and exactly the bytes equal to `byte` are marked.
        #[test]
        fn bytes_equal_marks_exactly_the_equal_bytes(word in any::<[u8; 8]>(), byte in any::<u8>()) {
            let marks = bytes_equal(u64::from_le_bytes(word), byte);
            for (i, &b) in word.iter().enumerate() {
                prop_assert_eq!(marks >> (8 * i + 7) & 1 == 1, b == byte, "byte {}", i);
            }
            prop_assert_eq!(marks & !u64::from_ne_bytes([0x80; 8]), 0);
        }

        /// Scanned as its bytes arrive in pieces, a row gives what a scan
        /// of one byte at a time gives.
        #[test]
        fn a_row_scanned_in_pieces_gives_the_naive_answer(
            // Bytes with the high bit set besides `,` and `\r`, the bytes the
            // bit trick must not mistake for them.
            row in prop::collection::vec(prop::sample::select(b"ab,,\"\r\n\xac\x8d".to_vec()), 0..40),
            cuts in prop::collection::vec(0usize..40, 0..4),
        ) {
            let (expected_fields, expected_stop) = naive(&row);
            let mut ends: Vec<usize> = cuts.into_iter().filter(|&c| c < row.len()).collect();
            ends.sort_unstable();
            ends.push(row.len());
            let mut scan = LineScan::default();
            let mut fields = Vec::new();
            let mut stop = None;
            for end in ends {
                match scan.run(&row[..end], &mut fields) {
                    LineEnd::At(at) => stop = Some((at, false)),
                    LineEnd::Quote => stop = Some((fields.len(), true)),
                    LineEnd::NotYet => continue,
                }
                break;
            }
            match (stop, expected_stop) {
                (Some((_, true)), Some((_, true))) | (None, None) => {}
                (got, expected) => prop_assert_eq!(got, expected),
            }
            prop_assert_eq!(fields, expected_fields);
        }
    }
}
