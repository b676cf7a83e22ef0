//! Exact US-dollar amounts: parsing with at most two decimal places, the
//! price of extra credits, and the two-decimal output form.

use rust_decimal::Decimal;
use std::fmt;

/// Extra credits are sold in packs of this many credits.
pub const EXTRA_CREDITS_PACK: u64 = 10;

/// Price in US dollars of one pack of [`EXTRA_CREDITS_PACK`] credits ($0.08).
pub const EXTRA_PACK_PRICE_USD: Decimal = Decimal::from_parts(8, 0, 0, false, 2);

/// The largest amount that can be written with two decimal places
/// (`792281625142643375935439503.35`): a price or a money total above it
/// is refused, never rounded.
pub const MAX_USD: Decimal = Decimal::from_parts(u32::MAX, u32::MAX, u32::MAX, false, 2);

/// Why a dollar amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a plain decimal number (`8`, `8.5`, `8.00`).
    #[error("invalid amount {0}: expected a decimal number of dollars like 8.00")]
    NotANumber(String),
    /// More than two digits after the point: cents are the smallest unit.
    #[error("invalid amount {0}: more than 2 decimal places")]
    TooPrecise(String),
    /// Prices are never negative.
    #[error("invalid amount {0}: must not be negative")]
    Negative(String),
    /// Above [`MAX_USD`]: it could not be kept exact with two decimals.
    #[error("invalid amount {0}: larger than the maximum 792281625142643375935439503.35")]
    TooLarge(String),
}

/// Parses a non-negative dollar amount with at most two decimal places.
///
/// The number of decimal places counts the digits as written, so `8.000`
/// is refused even though it equals `8.00`: an input that claims a
/// precision below one cent is more likely a unit mistake than a price.
///
/// ```
/// use creditsim::core::money::parse_usd;
/// assert_eq!(parse_usd("8").unwrap().to_string(), "8");
/// assert_eq!(parse_usd("0.08").unwrap().to_string(), "0.08");
/// assert!(parse_usd("0.085").is_err());
/// assert!(parse_usd("-1.00").is_err());
/// ```
///
/// # Errors
///
/// [`MoneyError`] when `text` is not a number, is negative, or has more than
/// two decimal places.
pub fn parse_usd(text: &str) -> Result<Decimal, MoneyError> {
    let is_plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
    if !is_plain {
        return Err(MoneyError::NotANumber(text.to_owned()));
    }
    let amount: Decimal = text.parse().map_err(|_| {
        // Digits with at most one point that still do not parse have more
        // digits than a Decimal holds.
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if digits.bytes().any(|b| b.is_ascii_digit())
            && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && digits.bytes().filter(|b| *b == b'.').count() <= 1
        {
            MoneyError::TooLarge(text.to_owned())
        } else {
            MoneyError::NotANumber(text.to_owned())
        }
    })?;
    if amount.scale() > 2 {
        return Err(MoneyError::TooPrecise(text.to_owned()));
    }
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(MoneyError::Negative(text.to_owned()));
    }
    // Past this the parse has rounded (more digits than a Decimal holds)
    // or the amount cannot be written with two decimals.
    if amount > MAX_USD {
        return Err(MoneyError::TooLarge(text.to_owned()));
    }
    Ok(amount)
}

/// Displays a dollar amount with exactly two decimal places (`8.00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usd(pub Decimal);

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut amount = self.0.round_dp(2);
        amount.rescale(2);
        write!(f, "{amount}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::terms::extra_credits_price_usd;

    #[test]
    fn parses_whole_and_two_decimal_amounts() {
        assert_eq!(parse_usd("30").unwrap(), Decimal::new(30, 0));
        assert_eq!(parse_usd("0.00").unwrap(), Decimal::ZERO);
        assert_eq!(parse_usd("1.5").unwrap(), Decimal::new(15, 1));
    }

    #[test]
    fn refuses_three_decimals_negative_and_garbage() {
        assert_eq!(
            parse_usd("8.000"),
            Err(MoneyError::TooPrecise("8.000".into()))
        );
        assert_eq!(
            parse_usd("-0.01"),
            Err(MoneyError::Negative("-0.01".into()))
        );
        assert_eq!(parse_usd("1e3"), Err(MoneyError::NotANumber("1e3".into())));
        assert_eq!(parse_usd(""), Err(MoneyError::NotANumber("".into())));
        assert_eq!(parse_usd("$8"), Err(MoneyError::NotANumber("$8".into())));
    }

    #[test]
    fn refuses_amounts_that_cannot_be_written_with_two_decimals() {
        assert_eq!(MAX_USD.to_string(), "792281625142643375935439503.35");
        assert_eq!(parse_usd("792281625142643375935439503.35"), Ok(MAX_USD));
        assert_eq!(Usd(MAX_USD).to_string(), "792281625142643375935439503.35");
        for too_large in [
            "792281625142643375935439503.36",
            "792281625142643375935439504",
            "79228162514264337593543950335",
            "79228162514264337593543950336",
            "-79228162514264337593543950336",
        ] {
            assert_eq!(
                parse_usd(too_large),
                Err(MoneyError::TooLarge(too_large.into()))
            );
        }
    }

    #[test]
    fn price_of_extra_credits_is_exact() {
        assert_eq!(extra_credits_price_usd(10), Some(Decimal::new(8, 2)));
        assert_eq!(extra_credits_price_usd(1000), Some(Decimal::new(800, 2)));
        assert_eq!(extra_credits_price_usd(0), None);
        assert_eq!(extra_credits_price_usd(25), None);
        let max_pack = u64::MAX - u64::MAX % 10;
        assert!(extra_credits_price_usd(max_pack).is_some());
    }

    #[test]
    fn usd_always_prints_two_decimals() {
        assert_eq!(Usd(Decimal::new(8, 0)).to_string(), "8.00");
        assert_eq!(Usd(Decimal::new(8, 2)).to_string(), "0.08");
        assert_eq!(Usd(Decimal::new(15, 1)).to_string(), "1.50");
        assert_eq!(Usd(Decimal::ZERO).to_string(), "0.00");
    }
}
