//! Subscription plans: what a billing cycle costs and what it grants.

use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// A plan id, shared between the plan book and the ledger entries that
/// name it.
pub type PlanId = Arc<str>;

/// One subscription plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Non-empty, unique id.
    pub id: PlanId,
    /// Charged at the start of every billing cycle (>= 0, whole cents).
    pub price_usd: Decimal,
    /// Granted to the subscription bucket at the start of every cycle.
    pub monthly_credits: u64,
}

/// Why a plan book could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The id is empty.
    #[error("empty plan id")]
    EmptyId,
    /// Two plans share one id.
    #[error("duplicate plan {0}")]
    Duplicate(String),
    /// A negative price or one finer than a cent.
    #[error("invalid price {price} for plan {plan}: must be >= 0 with at most 2 decimals, at most 792281625142643375935439503.35")]
    InvalidPrice {
        /// The plan id.
        plan: String,
        /// The refused price.
        price: Decimal,
    },
}

/// The known plans, looked up by id.
///
/// ```
/// use creditsim::core::{Plan, PlanBook};
/// use rust_decimal::Decimal;
/// let book = PlanBook::new([Plan {
///     id: "basic".into(),
///     price_usd: Decimal::new(800, 2),
///     monthly_credits: 1000,
/// }])
/// .unwrap();
/// assert_eq!(book.get("basic").unwrap().monthly_credits, 1000);
/// assert!(book.get("gold").is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct PlanBook {
    /// In the order inserted; a [`PlanRef`] is a position here.
    plans: Vec<Plan>,
    by_id: HashMap<PlanId, PlanRef>,
}

/// A plan of one [`PlanBook`], by position: the engine keeps these in
/// accounts and remembered charges instead of a [`PlanId`], so charging a
/// call copies a number rather than touching the id's shared count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlanRef(pub(super) usize);

impl PlanBook {
    /// Builds a plan book, refusing empty ids, duplicates and invalid prices.
    ///
    /// # Errors
    ///
    /// [`PlanError`] for the first plan with an empty id, an id given twice or
    /// an invalid price.
    pub fn new(plans: impl IntoIterator<Item = Plan>) -> Result<Self, PlanError> {
        let mut book = PlanBook::default();
        for plan in plans {
            book.insert(plan)?;
        }
        Ok(book)
    }

    /// Adds one plan, refusing an empty id, a duplicate or an invalid price.
    ///
    /// # Errors
    ///
    /// [`PlanError`] when the id is empty or already in the book, or the price
    /// is invalid; the book is then unchanged.
    pub fn insert(&mut self, plan: Plan) -> Result<(), PlanError> {
        if plan.id.is_empty() {
            return Err(PlanError::EmptyId);
        }
        if plan.price_usd.is_sign_negative() && !plan.price_usd.is_zero()
            || plan.price_usd.scale() > 2
            || plan.price_usd > super::money::MAX_USD
        {
            return Err(PlanError::InvalidPrice {
                plan: plan.id.to_string(),
                price: plan.price_usd,
            });
        }
        if self.by_id.contains_key(&plan.id) {
            return Err(PlanError::Duplicate(plan.id.to_string()));
        }
        self.by_id
            .insert(plan.id.clone(), PlanRef(self.plans.len()));
        self.plans.push(plan);
        Ok(())
    }

    /// The plan with this id, if any.
    pub fn get(&self, id: &str) -> Option<&Plan> {
        self.find(id).map(|plan| self.at(plan))
    }

    /// The position of the plan with this id, if any.
    pub(crate) fn find(&self, id: &str) -> Option<PlanRef> {
        self.by_id.get(id).copied()
    }

    /// The plan at a position this book gave out. Plans are never removed,
    /// and an engine only holds positions from its own book.
    pub(crate) fn at(&self, plan: PlanRef) -> &Plan {
        &self.plans[plan.0]
    }

    /// The number of plans.
    pub fn len(&self) -> usize {
        self.plans.len()
    }

    /// True when there is no plan.
    pub fn is_empty(&self) -> bool {
        self.plans.is_empty()
    }

    /// The plans, in the order they were inserted.
    pub fn iter(&self) -> impl Iterator<Item = &Plan> {
        self.plans.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(id: &str, cents: i64, credits: u64) -> Plan {
        Plan {
            id: id.into(),
            price_usd: Decimal::new(cents, 2),
            monthly_credits: credits,
        }
    }

    #[test]
    fn refuses_duplicates_empty_ids_and_bad_prices() {
        assert_eq!(
            PlanBook::new([plan("a", 100, 1), plan("a", 200, 2)]).unwrap_err(),
            PlanError::Duplicate("a".into())
        );
        assert_eq!(
            PlanBook::new([plan("", 0, 0)]).unwrap_err(),
            PlanError::EmptyId
        );
        assert!(PlanBook::new([plan("neg", -1, 0)]).is_err());
        let too_fine = Plan {
            price_usd: Decimal::new(1, 3),
            ..plan("fine", 0, 0)
        };
        assert!(PlanBook::new([too_fine]).is_err());
    }

    #[test]
    fn free_and_huge_plans_are_valid() {
        let book = PlanBook::new([plan("free", 0, 0), plan("max", 0, u64::MAX)]).unwrap();
        assert_eq!(book.len(), 2);
        assert_eq!(book.get("max").unwrap().monthly_credits, u64::MAX);
    }
}
