//! Instants: strict RFC 3339 parsing, the output form, and calendar month
//! arithmetic for billing cycles.
//!
//! # Month arithmetic
//!
//! Cycle `k` of a subscription anchored at `A` starts at `A + k months`.
//! "Plus n months" moves the calendar month and keeps the day and the time
//! of day; when the target month is too short the day is clamped to its
//! last day. It is always computed from the anchor, never chained from the
//! previous boundary, so a clamp never sticks:
//!
//! | anchor | +1 | +2 | +3 | +4 |
//! |---|---|---|---|---|
//! | 2024-01-31 10:00 | 2024-02-29 10:00 | 2024-03-31 10:00 | 2024-04-30 10:00 | 2024-05-31 10:00 |
//! | 2023-01-31 10:00 | 2023-02-28 10:00 | 2023-03-31 10:00 | 2023-04-30 10:00 | 2023-05-31 10:00 |
//! | 2024-01-29 00:00 | 2024-02-29 00:00 | 2024-03-29 00:00 | 2024-04-29 00:00 | 2024-05-29 00:00 |
//!
//! ```
//! use creditsim::core::time::{add_months, parse_time, format_time};
//! let anchor = parse_time("2024-01-31T10:00:00Z").unwrap();
//! let feb = add_months(anchor, 1).unwrap();
//! let mar = add_months(anchor, 2).unwrap();
//! assert_eq!(format_time(feb), "2024-02-29T10:00:00Z");
//! assert_eq!(format_time(mar), "2024-03-31T10:00:00Z");
//! ```

use chrono::{
    DateTime, Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Timelike, Utc,
};

/// An instant, always in UTC.
pub type Instant = DateTime<Utc>;

/// Why a time field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time {text}: {problem}")]
pub struct TimeError {
    /// The text as read.
    pub text: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

const NOT_RFC_3339: &str = "expected RFC 3339 with an offset, like 2025-07-01T09:30:00Z";

/// The most fraction digits a time may carry (nanoseconds).
const MAX_FRACTION_DIGITS: usize = 9;

/// Parses an RFC 3339 time with an offset and normalises it to UTC.
///
/// A time without an offset is refused (it names no instant), and so is a
/// fraction finer than nanoseconds (it would be silently truncated).
///
/// ```
/// use creditsim::core::time::{parse_time, format_time};
/// let t = parse_time("2025-07-01T11:30:00.5+02:00").unwrap();
/// assert_eq!(format_time(t), "2025-07-01T09:30:00.500Z");
/// assert!(parse_time("2025-07-01T09:30:00").is_err());
/// assert!(parse_time("2025-02-30T00:00:00Z").is_err());
/// ```
///
/// # Errors
///
/// [`TimeError`] when `text` is not RFC 3339, has no offset, has a fraction
/// finer than nanoseconds, or is out of range.
pub fn parse_time(text: &str) -> Result<Instant, TimeError> {
    match parse_canonical(text) {
        Some(t) => Ok(t),
        None => parse_general(text),
    }
}

/// Parses an as-of time: RFC 3339 as [`parse_time`], or a date alone
/// (`YYYY-MM-DD`) as its midnight UTC, since the end of a billing month is
/// usually said as a date.
///
/// ```
/// use creditsim::core::time::{parse_as_of, parse_time};
/// assert_eq!(parse_as_of("2025-08-01"), parse_time("2025-08-01T00:00:00Z"));
/// assert!(parse_as_of("2025-02-30").is_err());
/// ```
///
/// # Errors
///
/// [`TimeError`] when `text` is neither a date (`YYYY-MM-DD`) that exists
/// nor a time [`parse_time`] accepts.
pub fn parse_as_of(text: &str) -> Result<Instant, TimeError> {
    let date_only = text.len() == 10 && text.as_bytes().get(4) == Some(&b'-');
    if date_only {
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(date.and_time(NaiveTime::MIN).and_utc());
        }
    }
    parse_time(text)
}

/// [`parse_time`] through chrono's RFC 3339 parser, for every shape.
fn parse_general(text: &str) -> Result<Instant, TimeError> {
    let refuse = |problem| TimeError {
        text: text.to_owned(),
        problem,
    };
    if fraction_digits(text) > MAX_FRACTION_DIGITS {
        return Err(refuse("more than 9 fraction digits"));
    }
    let year_digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let signed_year =
        text.starts_with(['-', '+']) && text[1..].starts_with(|c: char| c.is_ascii_digit());
    if signed_year || year_digits > 4 && text.as_bytes().get(year_digits) == Some(&b'-') {
        return Err(refuse(
            "year out of range: RFC 3339 years run from 0000 to 9999",
        ));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| match e.kind() {
            chrono::format::ParseErrorKind::OutOfRange => {
                refuse("no such date, time or offset (like February 30 or hour 25)")
            }
            _ => refuse(NOT_RFC_3339),
        })
}

/// The usual shape of a time, `YYYY-MM-DDTHH:MM:SSZ` with an optional
/// fraction of 1 to 9 digits, read by hand: chrono's general RFC 3339
/// parser was a fair share of the time spent reading a row. `None` for
/// any other shape and for dates or times that do not exist (leap seconds
/// included); [`parse_time`] then takes chrono's path, which gives the
/// same instants and says what is wrong.
fn parse_canonical(text: &str) -> Option<Instant> {
    let (&b'Z', body) = text.as_bytes().split_last()? else {
        return None;
    };
    let (datetime, fraction) = body.split_at_checked(19)?;
    let &[y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b'T', h0, h1, b':', mi0, mi1, b':', s0, s1] =
        datetime
    else {
        return None;
    };
    let nanos = match fraction {
        [] => 0,
        [b'.', digits @ ..] if (1..=MAX_FRACTION_DIGITS).contains(&digits.len()) => {
            let mut value = 0;
            for &d in digits {
                value = value * 10 + digit(d)?;
            }
            // At most 9 digits: below 10^9, and the scale at most 10^8.
            value * 10u32.pow((MAX_FRACTION_DIGITS - digits.len()) as u32)
        }
        _ => return None,
    };
    let year = two_digits(y0, y1)? * 100 + two_digits(y2, y3)?;
    let (hour, minute, second) = (
        two_digits(h0, h1)?,
        two_digits(mi0, mi1)?,
        two_digits(s0, s1)?,
    );
    // A leap second (`:60`) is left to chrono, which knows how to hold it.
    if hour >= 24 || minute >= 60 || second >= 60 {
        return None;
    }
    // Checks the month and the day in that month, leap years included.
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        two_digits(mo0, mo1)?,
        two_digits(d0, d1)?,
    )?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

/// The value of an ASCII digit.
fn digit(byte: u8) -> Option<u32> {
    byte.is_ascii_digit().then(|| u32::from(byte - b'0'))
}

/// The value of two ASCII digits.
fn two_digits(tens: u8, ones: u8) -> Option<u32> {
    Some(digit(tens)? * 10 + digit(ones)?)
}

/// The number of digits after the seconds' decimal point, 0 if none.
fn fraction_digits(text: &str) -> usize {
    match text.find('.') {
        Some(dot) => text[dot + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count(),
        None => 0,
    }
}

/// Formats an instant as RFC 3339 UTC with `Z`; a fraction is written only
/// when it is not zero, with 3, 6 or 9 digits.
pub fn format_time(t: Instant) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The last year RFC 3339 can write (four digits). Billing cycles must end
/// by then, so that every reported time is valid RFC 3339.
pub const LAST_YEAR: i32 = 9999;

/// `anchor + months` calendar months, day clamped to the end of the target
/// month, time of day kept. `None` past the end of year [`LAST_YEAR`].
pub fn add_months(anchor: Instant, months: u32) -> Option<Instant> {
    anchor
        .checked_add_months(Months::new(months))
        .filter(|t| t.year() <= LAST_YEAR)
}

/// Seconds since 1970 of instants that mostly fall on the day of the one
/// before: the day's first second is kept, so that a conversion on the
/// same day skips the calendar arithmetic (about 40 instructions in
/// chrono's `timestamp`, a few here).
#[derive(Debug, Clone)]
pub(crate) struct DaySeconds {
    date: NaiveDate,
    first_second: i64,
}

impl Default for DaySeconds {
    fn default() -> Self {
        DaySeconds::on(NaiveDate::MIN)
    }
}

impl DaySeconds {
    fn on(date: NaiveDate) -> Self {
        DaySeconds {
            date,
            first_second: date.and_time(NaiveTime::MIN).and_utc().timestamp(),
        }
    }

    /// `at.timestamp()`: whole seconds since 1970, a leap second counted
    /// in second 59.
    pub fn second_of(&mut self, at: Instant) -> i64 {
        let naive = at.naive_utc();
        if naive.date() != self.date {
            *self = DaySeconds::on(naive.date());
        }
        // On the time, not the date-time: that one recomputes it from the
        // hour, minute and second.
        self.first_second + i64::from(naive.time().num_seconds_from_midnight())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Instant {
        parse_time(text).unwrap()
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        assert_eq!(
            format_time(t("2025-07-01T11:30:00+02:00")),
            "2025-07-01T09:30:00Z"
        );
        assert_eq!(
            format_time(t("2025-07-01T00:30:00-01:00")),
            "2025-07-01T01:30:00Z"
        );
    }

    #[test]
    fn fractions_are_written_with_3_6_or_9_digits() {
        assert_eq!(
            format_time(t("2025-07-01T09:30:00.000Z")),
            "2025-07-01T09:30:00Z"
        );
        assert_eq!(
            format_time(t("2025-07-01T09:30:00.1234Z")),
            "2025-07-01T09:30:00.123400Z"
        );
        assert_eq!(
            format_time(t("2025-07-01T09:30:00.123456789Z")),
            "2025-07-01T09:30:00.123456789Z"
        );
    }

    #[test]
    fn refuses_missing_offset_bad_dates_and_excess_precision() {
        for bad in [
            "2025-07-01T09:30:00",
            "2025-02-30T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "12025-01-01T00:00:00Z",
            "2025-07-01T09:30:00.1234567891Z",
            "yesterday",
            "",
        ] {
            assert!(parse_time(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn says_what_is_wrong_with_a_time() {
        let problem = |text: &str| parse_time(text).unwrap_err().problem;
        assert_eq!(problem("2025-07-01T09:30:00"), NOT_RFC_3339);
        assert_eq!(problem("2025-07-01"), NOT_RFC_3339);
        for no_such in [
            "2025-02-30T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-07-01T25:00:00Z",
        ] {
            assert!(problem(no_such).starts_with("no such date"), "{no_such}");
        }
        for out_of_range in ["10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z"] {
            assert!(problem(out_of_range).starts_with("year out of range"));
        }
        assert_eq!(
            problem("2025-07-01T09:30:00.1234567891Z"),
            "more than 9 fraction digits"
        );
    }

    /// The fast path's answer and chrono's, which must agree.
    fn both(text: &str) -> (Option<Instant>, Option<Instant>) {
        (parse_canonical(text), parse_general(text).ok())
    }

    #[test]
    fn fast_path_knows_february_29() {
        for leap in ["2024", "2000", "1600", "0000", "0400", "9996"] {
            let text = format!("{leap}-02-29T12:00:00Z");
            let (fast, general) = both(&text);
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, general, "{text}");
        }
        for common in ["2023", "1900", "2100", "0100", "9999", "0001"] {
            let text = format!("{common}-02-29T12:00:00Z");
            assert_eq!(both(&text), (None, None), "{text}");
            assert_eq!(
                parse_time(&text).unwrap_err().problem,
                "no such date, time or offset (like February 30 or hour 25)"
            );
        }
    }

    #[test]
    fn fast_path_covers_years_0000_to_9999() {
        for text in [
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59.999999999Z",
            "0000-01-01T00:00:00.1Z",
            "1970-01-01T00:00:00Z",
        ] {
            let (fast, general) = both(text);
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, general, "{text}");
        }
        assert_eq!(
            format_time(t("9999-12-31T23:59:59.999999999Z")),
            "9999-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            format_time(t("0000-01-01T00:00:00.1Z")),
            "0000-01-01T00:00:00.100Z"
        );
    }

    #[test]
    fn fast_path_leaves_other_shapes_to_chrono() {
        for text in [
            // A leap second: chrono holds it in the nanoseconds.
            "2016-12-31T23:59:60Z",
            "2025-07-01t09:30:00Z",
            "2025-07-01T09:30:00z",
            "2025-07-01 09:30:00Z",
            "2025-07-01T09:30:00+00:00",
            "2025-07-01T09:30:00.Z",
            "2025-07-01T09:30:00.1234567891Z",
            "2025-07-01T24:00:00Z",
            "2025-07-01T09:60:00Z",
            "2025-00-01T09:30:00Z",
            "2025-07-00T09:30:00Z",
            "2025-07-01T09:30Z",
            "Z",
            "",
        ] {
            assert_eq!(parse_canonical(text), None, "{text}");
            assert_eq!(parse_time(text), parse_general(text), "{text}");
        }
        assert!(parse_time("2016-12-31T23:59:60Z").is_ok());
    }

    proptest::proptest! {
        /// On every string of the canonical shape, valid date or not, the
        /// fast path gives what chrono gives (when it answers at all: a
        /// leap second is left to chrono).
        #[test]
        fn fast_path_agrees_with_chrono(
            text in "[0-9]{4}-(0[0-9]|1[0-4])-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{1,9})?Z"
        ) {
            let leap_second = text.get(17..18) == Some("6");
            let (fast, general) = both(&text);
            if leap_second {
                proptest::prop_assert_eq!(fast, None);
            } else {
                proptest::prop_assert_eq!(fast, general);
            }
            proptest::prop_assert_eq!(parse_time(&text), parse_general(&text));
        }

        /// Near the shape (wrong separators, lengths, signs), `parse_time`
        /// answers and refuses exactly as chrono's path does.
        #[test]
        fn near_misses_parse_as_before(text in "[0-9\\-T:.Zz+ t]{15,32}") {
            proptest::prop_assert_eq!(parse_time(&text), parse_general(&text));
        }
    }

    #[test]
    fn month_addition_clamps_from_the_anchor_without_drift() {
        let anchor = t("2024-01-31T10:00:00Z");
        let expected = [
            "2024-01-31T10:00:00Z",
            "2024-02-29T10:00:00Z",
            "2024-03-31T10:00:00Z",
            "2024-04-30T10:00:00Z",
            "2024-05-31T10:00:00Z",
            "2025-01-31T10:00:00Z",
        ];
        for (months, want) in [0, 1, 2, 3, 4, 12].into_iter().zip(expected) {
            assert_eq!(format_time(add_months(anchor, months).unwrap()), want);
        }
    }

    #[test]
    fn month_addition_in_a_non_leap_year() {
        let anchor = t("2023-01-29T00:00:00Z");
        assert_eq!(
            format_time(add_months(anchor, 1).unwrap()),
            "2023-02-28T00:00:00Z"
        );
        assert_eq!(
            format_time(add_months(anchor, 2).unwrap()),
            "2023-03-29T00:00:00Z"
        );
        let anchor = t("2023-01-30T00:00:00Z");
        assert_eq!(
            format_time(add_months(anchor, 1).unwrap()),
            "2023-02-28T00:00:00Z"
        );
        assert_eq!(
            format_time(add_months(anchor, 2).unwrap()),
            "2023-03-30T00:00:00Z"
        );
    }

    #[test]
    fn month_addition_stops_at_the_last_rfc_3339_year() {
        let december = t("9999-12-01T00:00:00Z");
        assert_eq!(add_months(december, 0), Some(december));
        assert_eq!(
            add_months(t("9999-11-30T00:00:00Z"), 1),
            Some(t("9999-12-30T00:00:00Z"))
        );
        assert_eq!(add_months(december, 1), None);
        assert_eq!(add_months(t("2025-01-01T00:00:00Z"), u32::MAX), None);
    }

    proptest::proptest! {
        /// Over any run of instants, near each other or far apart, leap
        /// seconds included: the seconds chrono's `timestamp` gives.
        #[test]
        fn day_seconds_are_timestamps(
            steps in proptest::collection::vec(
                (proptest::prop_oneof![-90_000i64..90_000, -10_000_000_000i64..10_000_000_000], 0u32..2_000_000_000),
                1..50,
            ),
        ) {
            let mut seconds = DaySeconds::default();
            let mut second = 0i64;
            for (step, nanos) in steps {
                second = second.saturating_add(step).clamp(
                    NaiveDateTime::MIN.and_utc().timestamp(),
                    NaiveDateTime::MAX.and_utc().timestamp(),
                );
                let nanos = if second.rem_euclid(60) == 59 { nanos } else { nanos % 1_000_000_000 };
                let at = DateTime::from_timestamp(second, nanos).unwrap();
                proptest::prop_assert_eq!(seconds.second_of(at), at.timestamp());
            }
        }
    }
}
