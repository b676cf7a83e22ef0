//! The commercial terms an engine applies besides its plan and rule books:
//! the price of extra credits and the top-up (auto-recharge) policy.
//!
//! A replay uses the published terms ([`Terms::default`]: $0.08 per 10
//! extra credits, no top-up). A what-if scenario, or a gateway that sells
//! credit wallets with auto-recharge, sets its own with
//! [`Engine::with_terms`](super::Engine::with_terms).

use super::money::{EXTRA_CREDITS_PACK, EXTRA_PACK_PRICE_USD};
use rust_decimal::Decimal;

/// The highest price of one pack of [`EXTRA_CREDITS_PACK`] credits
/// ($1,000,000.00). With it the price of any purchase of up to `u64::MAX`
/// credits stays exact with two decimals, so pricing a purchase never
/// fails.
pub const MAX_EXTRA_PACK_PRICE_USD: Decimal = Decimal::from_parts(100_000_000, 0, 0, false, 2);

/// Why terms were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TermsError {
    /// A price with fractions of a cent, negative, or above
    /// [`MAX_EXTRA_PACK_PRICE_USD`].
    #[error("{0} is not a price of 10 extra credits: expected 0.00 to 1000000.00 with at most 2 decimal places")]
    ExtraPrice(Decimal),
    /// A top-up pack that is not a positive multiple of 10 credits.
    #[error("{0} is not a top-up pack: expected a positive multiple of 10 credits")]
    Pack(u64),
}

/// Automatic recharge: when a paid call would be rejected
/// `insufficient_credits` while the subscription is active, the account
/// first buys the fewest packs that cover the shortfall, at the terms'
/// price (a `purchase` entry right before the call's `charge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopUp {
    pack_credits: u64,
}

impl TopUp {
    /// Recharges in packs of `pack_credits`, a positive multiple of 10.
    ///
    /// # Errors
    ///
    /// [`TermsError`] when `pack_credits` is zero or not a multiple of 10.
    pub fn new(pack_credits: u64) -> Result<Self, TermsError> {
        if pack_credits == 0 || !pack_credits.is_multiple_of(EXTRA_CREDITS_PACK) {
            return Err(TermsError::Pack(pack_credits));
        }
        Ok(TopUp { pack_credits })
    }

    /// The pack size in credits.
    pub fn pack_credits(self) -> u64 {
        self.pack_credits
    }
}

impl Default for TopUp {
    /// Packs of 10 credits: the smallest purchase there is.
    fn default() -> Self {
        TopUp {
            pack_credits: EXTRA_CREDITS_PACK,
        }
    }
}

/// The price of extra credits and the top-up policy.
///
/// ```
/// use creditsim::core::{Terms, TopUp};
/// use creditsim::core::money::Usd;
///
/// let terms = Terms::new("0.10".parse()?)?.with_top_up(TopUp::new(100)?);
/// assert_eq!(Usd(terms.extra_credits_price_usd(250).unwrap()).to_string(), "2.50");
/// // A call of 10 credits with 3 left buys one pack of 100 first.
/// assert_eq!(terms.top_up_for(10, 3).map(|(credits, _)| credits), Some(100));
/// assert!(Terms::default().top_up_for(10, 3).is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    extra_pack_price_usd: Decimal,
    top_up: Option<TopUp>,
}

impl Default for Terms {
    /// The published terms: $0.08 per 10 extra credits, no top-up.
    fn default() -> Self {
        Terms {
            extra_pack_price_usd: EXTRA_PACK_PRICE_USD,
            top_up: None,
        }
    }
}

impl Terms {
    /// Terms selling 10 extra credits at `extra_pack_price_usd`, without
    /// top-up. The price has at most 2 decimal places and lies within
    /// 0.00 and [`MAX_EXTRA_PACK_PRICE_USD`].
    ///
    /// # Errors
    ///
    /// [`TermsError::ExtraPrice`] when the price is negative, has more than 2
    /// decimal places or is above [`MAX_EXTRA_PACK_PRICE_USD`].
    pub fn new(extra_pack_price_usd: Decimal) -> Result<Self, TermsError> {
        let price = extra_pack_price_usd;
        if price.scale() > 2
            || (price.is_sign_negative() && !price.is_zero())
            || price > MAX_EXTRA_PACK_PRICE_USD
        {
            return Err(TermsError::ExtraPrice(price));
        }
        Ok(Terms {
            extra_pack_price_usd: price,
            top_up: None,
        })
    }

    /// The same terms with automatic recharge on (see [`TopUp`]).
    pub fn with_top_up(mut self, top_up: TopUp) -> Self {
        self.top_up = Some(top_up);
        self
    }

    /// The price of 10 extra credits.
    pub fn extra_pack_price_usd(&self) -> Decimal {
        self.extra_pack_price_usd
    }

    /// The top-up policy, if on.
    pub fn top_up(&self) -> Option<TopUp> {
        self.top_up
    }

    /// The price of `credits` extra credits, always whole cents; `None`
    /// when `credits` is not a positive multiple of 10 (such a purchase is
    /// rejected as `invalid_credits`).
    pub fn extra_credits_price_usd(&self, credits: u64) -> Option<Decimal> {
        if credits == 0 || !credits.is_multiple_of(EXTRA_CREDITS_PACK) {
            return None;
        }
        // At most (u64::MAX / 10) x MAX_EXTRA_PACK_PRICE_USD: far below
        // Decimal's limit, so the multiplication cannot fail.
        Decimal::from(credits / EXTRA_CREDITS_PACK).checked_mul(self.extra_pack_price_usd)
    }

    /// What a top-up buys before a call costing `cost` credits when the
    /// account holds `available` (extra plus subscription): the credits,
    /// the fewest whole packs covering the shortfall, and their price.
    /// `None` when top-up is off, nothing is short, or the packs would
    /// exceed `u64::MAX` credits.
    pub fn top_up_for(&self, cost: u64, available: u128) -> Option<(u64, Decimal)> {
        let pack = u128::from(self.top_up?.pack_credits);
        let shortfall = u128::from(cost).checked_sub(available).filter(|s| *s > 0)?;
        let credits = u64::try_from(shortfall.div_ceil(pack) * pack).ok()?;
        Some((credits, self.extra_credits_price_usd(credits)?))
    }
}

/// The price of `credits` extra credits at the published price:
/// `credits / 10 x $0.08` (other prices: [`Terms`]).
///
/// Returns `None` when `credits` is not a positive multiple of 10 (such a
/// purchase is rejected as `invalid_credits`). The result is always whole
/// cents and cannot overflow: `u64::MAX / 10 x 8` cents fits a `Decimal`.
///
/// ```
/// use creditsim::core::money::Usd;
/// use creditsim::core::extra_credits_price_usd;
/// let price = extra_credits_price_usd(250).unwrap();
/// assert_eq!(Usd(price).to_string(), "2.00");
/// assert!(extra_credits_price_usd(15).is_none());
/// ```
pub fn extra_credits_price_usd(credits: u64) -> Option<Decimal> {
    Terms::default().extra_credits_price_usd(credits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn the_default_terms_are_the_published_price_without_top_up() {
        let terms = Terms::default();
        assert_eq!(terms.extra_pack_price_usd(), usd("0.08"));
        assert_eq!(terms.top_up(), None);
        assert_eq!(terms.extra_credits_price_usd(250), Some(usd("2.00")));
        assert_eq!(terms.extra_credits_price_usd(25), None);
        assert_eq!(terms.extra_credits_price_usd(0), None);
    }

    #[test]
    fn prices_are_checked() {
        assert_eq!(
            Terms::new(usd("0.00")).unwrap().extra_credits_price_usd(10),
            Some(Decimal::ZERO)
        );
        for bad in ["0.085", "-0.01", "1000000.01"] {
            assert_eq!(Terms::new(usd(bad)), Err(TermsError::ExtraPrice(usd(bad))));
        }
        let top = Terms::new(MAX_EXTRA_PACK_PRICE_USD).unwrap();
        let max_credits = u64::MAX - u64::MAX % 10;
        assert!(top.extra_credits_price_usd(max_credits).is_some());
    }

    #[test]
    fn packs_are_positive_multiples_of_ten() {
        assert_eq!(TopUp::new(0), Err(TermsError::Pack(0)));
        assert_eq!(TopUp::new(15), Err(TermsError::Pack(15)));
        assert_eq!(TopUp::new(30).unwrap().pack_credits(), 30);
        assert_eq!(TopUp::default().pack_credits(), 10);
    }

    #[test]
    fn a_top_up_buys_the_fewest_packs_that_cover_the_shortfall() {
        let terms = Terms::new(usd("0.10"))
            .unwrap()
            .with_top_up(TopUp::new(30).unwrap());
        assert_eq!(terms.top_up_for(10, 10), None, "nothing short");
        assert_eq!(terms.top_up_for(10, 12), None);
        assert_eq!(terms.top_up_for(10, 9), Some((30, usd("0.30"))));
        assert_eq!(terms.top_up_for(70, 9), Some((90, usd("0.90"))));
        assert_eq!(terms.top_up_for(61, 1), Some((60, usd("0.60"))));
        assert_eq!(Terms::default().top_up_for(10, 0), None, "top-up off");
        let huge = Terms::default().with_top_up(TopUp::default());
        assert_eq!(huge.top_up_for(u64::MAX, 0), None, "beyond u64 credits");
    }

    proptest! {
        /// The packs cover the shortfall, one pack fewer would not, and
        /// they cost packs x 10-credit price x pack / 10.
        #[test]
        fn top_ups_are_minimal_and_priced_by_volume(
            cost in 1u64..1_000_000,
            available in 0u64..1_000_000,
            pack_tens in 1u64..100,
            cents in 0i64..10_000,
        ) {
            let pack = pack_tens * 10;
            let price = Decimal::new(cents, 2);
            let terms = Terms::new(price).unwrap().with_top_up(TopUp::new(pack).unwrap());
            match terms.top_up_for(cost, u128::from(available)) {
                None => prop_assert!(available >= cost),
                Some((credits, price_usd)) => {
                    prop_assert!(available < cost);
                    prop_assert!(credits % pack == 0);
                    prop_assert!(available + credits >= cost);
                    prop_assert!(available + credits - pack < cost);
                    prop_assert_eq!(price_usd, Decimal::from(credits / 10) * price);
                }
            }
        }
    }
}
