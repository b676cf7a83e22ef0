//! Times and dollar amounts written into reused report buffers, byte for
//! byte as [`format_time`] and [`Usd`] write them but without their
//! allocation: the ledger and the journal write them per entry, where
//! `format_time` (or `write!` with widths) would cost more than the rest
//! of the row.

use crate::core::money::Usd;
use crate::core::time::{format_time, Instant};
use chrono::{Datelike, Timelike};
use rust_decimal::Decimal;
use std::io::Write as _;

/// Replaces the contents of `text` with `t` as [`format_time`] writes it.
/// Four-digit years without a leap second are written digit by digit;
/// anything else goes through `format_time` itself, so the text is always
/// the same. Returns whether the fast path was taken: then `text[..10]`
/// is the date (`%Y-%m-%d`).
pub(crate) fn write_time(text: &mut Vec<u8>, t: Instant) -> bool {
    text.clear();
    let nanos = t.nanosecond();
    if !(0..=9999).contains(&t.year()) || nanos >= 1_000_000_000 {
        text.extend_from_slice(format_time(t).as_bytes());
        return false;
    }
    // The ranges checked above keep every part to its width.
    let mut digits = *b"0000-00-00T00:00:00";
    for (at, value, width) in [
        (0, t.year().unsigned_abs(), 4),
        (5, t.month(), 2),
        (8, t.day(), 2),
        (11, t.hour(), 2),
        (14, t.minute(), 2),
        (17, t.second(), 2),
    ] {
        put_digits(&mut digits[at..at + width], value);
    }
    text.extend_from_slice(&digits);
    // SecondsFormat::AutoSi: no fraction when zero, else 3, 6 or 9 digits.
    if nanos != 0 {
        let (value, width) = match nanos {
            n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
            n if n % 1_000 == 0 => (n / 1_000, 6),
            n => (n, 9),
        };
        let mut fraction = *b".000000000";
        put_digits(&mut fraction[1..=width], value);
        text.extend_from_slice(&fraction[..=width]);
    }
    text.push(b'Z');
    true
}

/// Writes `value` into `digits`, zero-padded to its whole width.
fn put_digits(digits: &mut [u8], mut value: u32) {
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Replaces the contents of `text` with `usd` as [`Usd`] displays it.
pub(crate) fn write_usd(text: &mut Vec<u8>, usd: Decimal) {
    text.clear();
    push_usd(text, usd);
}

/// Appends `usd` to `text` as [`Usd`] displays it (two decimals).
pub(crate) fn push_usd(text: &mut Vec<u8>, usd: Decimal) {
    // Prices and fees are whole cents: their digits by hand, as
    // `Decimal`'s `Display` (with its `round_dp` and `rescale`) costs more
    // than the rest of a journal transaction or a statement row. Zero, the
    // purchases of most statement rows, is `0.00` at any scale; `-0` and
    // finer amounts go through `Usd` itself.
    if usd.is_zero() && usd.is_sign_positive() {
        text.extend_from_slice(b"0.00");
        return;
    }
    let mantissa = usd.mantissa();
    let cents = 2u32
        .checked_sub(usd.scale())
        .map(|shift| mantissa.unsigned_abs() * 10u128.pow(shift))
        // Past 96 bits `rescale` keeps fewer decimals.
        .filter(|&cents| cents != 0 && cents < 1 << 96);
    if let Some(cents) = cents {
        if mantissa < 0 {
            text.push(b'-');
        }
        // Real amounts fit 64 bits, whose division is far cheaper.
        let mut number = itoa::Buffer::new();
        let (dollars, fraction) = match u64::try_from(cents) {
            Ok(cents) => (number.format(cents / 100), (cents % 100) as u8),
            Err(_) => (number.format(cents / 100), (cents % 100) as u8),
        };
        text.extend_from_slice(dollars.as_bytes());
        text.extend_from_slice(&[b'.', b'0' + fraction / 10, b'0' + fraction % 10]);
        return;
    }
    // Writing to a `Vec` cannot fail.
    let _ = write!(text, "{}", Usd(usd));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::parse_time;

    #[test]
    fn matches_format_time() {
        let mut text = Vec::new();
        for input in [
            "2025-07-01T09:30:00Z",
            "2025-07-01T09:30:00.5Z",
            "2025-07-01T09:30:00.000123Z",
            "2025-07-01T09:30:00.000000007+02:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2016-12-31T23:59:60Z",
        ] {
            let t = parse_time(input).unwrap();
            let fast = write_time(&mut text, t);
            assert_eq!(text, format_time(t).as_bytes(), "{input}");
            if fast {
                assert_eq!(text[..10], *t.format("%Y-%m-%d").to_string().as_bytes());
            }
        }
        // Every few days of four-digit years, at times that change every
        // digit.
        let mut t = parse_time("0000-01-01T00:00:00Z").unwrap();
        while t.year() <= 9999 {
            assert!(write_time(&mut text, t));
            assert_eq!(text, format_time(t).as_bytes(), "{t:?}");
            t += chrono::TimeDelta::seconds(86_400 * 3 + 3_671);
        }
        // Past RFC 3339's range (only through the library): chrono's text.
        let far = crate::core::time::add_months(parse_time("9999-12-31T00:00:00Z").unwrap(), 1);
        if let Some(far) = far {
            assert!(!write_time(&mut text, far));
            assert_eq!(text, format_time(far).as_bytes());
        }
    }

    #[test]
    fn push_usd_matches_usd() {
        let mut text = Vec::new();
        let mut amounts = vec![Decimal::ZERO, -Decimal::ZERO, Decimal::MAX, Decimal::MIN];
        for scale in 0..=4 {
            for mantissa in [1, 5, 8, 10, 99, 100, 105, 800, 12345, 1_000_000_007] {
                amounts.push(Decimal::new(mantissa, scale));
                amounts.push(Decimal::new(-mantissa, scale));
            }
        }
        // Around the 96 bits of a rescaled mantissa.
        for mantissa in [(1 << 96) / 100 - 1, (1 << 96) / 100, (1 << 96) / 100 + 1] {
            amounts.push(Decimal::from_i128_with_scale(mantissa, 0));
            amounts.push(Decimal::from_i128_with_scale(mantissa * 10 + 9, 1));
        }
        amounts.push(Decimal::new(0, 2));
        amounts.push(Decimal::new(-0, 3));
        for usd in amounts {
            text.clear();
            push_usd(&mut text, usd);
            assert_eq!(text, Usd(usd).to_string().into_bytes(), "{usd:?}");
        }
    }
}
