//! The `--task-window` duration: a whole number with `s`, `m`, `h` or `d`.

use chrono::TimeDelta;

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {0}: expected a whole number with s, m, h or d, like 24h or 90m")]
pub struct DurationError(pub String);

/// Parses `90s`, `15m`, `24h`, `7d`.
///
/// ```
/// use creditsim::input::duration::parse_duration;
/// assert_eq!(parse_duration("24h").unwrap(), chrono::TimeDelta::hours(24));
/// assert_eq!(parse_duration("0s").unwrap(), chrono::TimeDelta::zero());
/// assert!(parse_duration("1.5h").is_err());
/// assert!(parse_duration("24").is_err());
/// ```
///
/// # Errors
///
/// [`DurationError`] when `text` is not a whole number followed by `s`, `m`,
/// `h` or `d`, or is too long to represent.
pub fn parse_duration(text: &str) -> Result<TimeDelta, DurationError> {
    let refuse = || DurationError(text.to_owned());
    let unit_at = text.len().checked_sub(1).ok_or_else(refuse)?;
    let (digits, unit) = text.split_at(unit_at);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse());
    }
    let count: i64 = digits.parse().map_err(|_| refuse())?;
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(refuse()),
    };
    count
        .checked_mul(seconds_per_unit)
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(refuse)
}
