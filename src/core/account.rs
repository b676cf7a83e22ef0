//! The state of one account: its subscription, its two buckets, and the
//! task charges it remembers.

use super::ledger::Cycle;
use super::plans::PlanRef;
use super::rules::RuleRef;
use super::time::Instant;
use chrono::{Datelike, Days};

/// An account name: stored inline when short (up to 23 bytes), so the
/// account table and the name lookup need no pointer chase.
pub(crate) type AccountName = smol_str::SmolStr;

/// Where an account's subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Status {
    /// Subscribed; renews at the end of the cycle.
    Active,
    /// Subscribed until the end of the current cycle, then ends.
    Cancelling,
    /// No subscription: extra credits are kept but cannot be used.
    Inactive,
}

impl Status {
    /// The name written in `balances.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Cancelling => "cancelling",
            Status::Inactive => "inactive",
        }
    }
}

/// The balance as the API's get-credits reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Balance {
    /// Subscription credits left in the current cycle.
    pub credits: u64,
    /// Extra credits: never expire, spent first.
    pub extra_credits: u64,
}

/// A subscription in force (active or cancelling).
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    /// Plan of the current cycle, in the engine's plan book.
    pub plan: PlanRef,
    /// Start of cycle 0; every boundary is computed from it.
    pub anchor: Instant,
    /// Index k of the current cycle.
    pub cycle_index: u32,
    /// The current cycle.
    pub cycle: Cycle,
    /// Its length in days, for the charges made in it ([`whole_days`]).
    pub cycle_days: u8,
    /// Ends at `cycle.end` instead of renewing.
    pub cancelling: bool,
    /// Plan that takes over at the next boundary.
    pub pending_plan: Option<PlanRef>,
}

/// The days from a cycle's start to its end, if the end is at the start's
/// time of day (every billing cycle's is: `add_months` keeps it) within
/// the next year and at most 255 days later. Computed when a cycle
/// starts, from the days of the year (cheaper than a difference of two
/// dates, which counts days from year 1).
pub(crate) fn whole_days(cycle: Cycle) -> Option<u8> {
    let (start, end) = (cycle.start.naive_utc(), cycle.end.naive_utc());
    if start.time() != end.time() {
        return None;
    }
    let (from, to) = (start.date(), end.date());
    let days = if to.year() == from.year() {
        i64::from(to.ordinal()) - i64::from(from.ordinal())
    } else if Some(to.year()) == from.year().checked_add(1) {
        let year_days = if from.leap_year() { 366 } else { 365 };
        year_days - i64::from(from.ordinal()) + i64::from(to.ordinal())
    } else {
        return None;
    };
    u8::try_from(days).ok()
}

/// What the engine keeps with a charge remembered for the task window
/// (its key and time are kept by the task memory): what a refund returns,
/// and where.
///
/// 48 bytes, so that a remembered charge is 96: the window holds 175k of
/// them at 10M rows a month. The cycle is its start and
/// length in days (a cycle ends at its start's time of day, some whole
/// days later); the songs, lyrics and credits are the rule's, found again
/// by its position; the credits from the subscription are the rule's
/// credits less those from extra.
///
/// Measured gain: storing the cycle's end instead of its length in days
/// made the 10M replay 2.7 % slower in wall time and 7 % in CPU (medians
/// of 6 alternated pairs, benches/README.md, issue 15), though it runs
/// 0.6 % fewer instructions per charge.
#[derive(Debug, Clone)]
pub(crate) struct TaskCharge {
    /// Start of the cycle in force when charged.
    cycle_start: Instant,
    /// Days from `cycle_start` to the cycle's end.
    cycle_days: u8,
    /// Plan in force when charged: an expiry on refund names it.
    pub plan: PlanRef,
    /// The rule that priced the call.
    pub rule: RuleRef,
    /// Credits taken from the extra bucket.
    pub extra: u64,
    pub refunded_at: Option<Instant>,
}

impl TaskCharge {
    /// A charge in `cycle`, which lasts `cycle_days` days (see
    /// [`whole_days`]).
    pub fn new(cycle: Cycle, cycle_days: u8, plan: PlanRef, rule: RuleRef, extra: u64) -> Self {
        TaskCharge {
            cycle_start: cycle.start,
            cycle_days,
            plan,
            rule,
            extra,
            refunded_at: None,
        }
    }

    /// The cycle in force when charged.
    pub fn cycle(&self) -> Option<Cycle> {
        let end = self
            .cycle_start
            .checked_add_days(Days::new(u64::from(self.cycle_days)))?;
        Some(Cycle {
            start: self.cycle_start,
            end,
        })
    }
}

/// One account inside the engine.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub name: AccountName,
    pub subscription: Option<Subscription>,
    pub subscription_credits: u64,
    pub extra_credits: u64,
}

impl Account {
    pub fn new(name: AccountName) -> Self {
        Account {
            name,
            subscription: None,
            subscription_credits: 0,
            extra_credits: 0,
        }
    }

    pub fn status(&self) -> Status {
        match &self.subscription {
            None => Status::Inactive,
            Some(s) if s.cancelling => Status::Cancelling,
            Some(_) => Status::Active,
        }
    }

    pub fn balance(&self) -> Balance {
        Balance {
            credits: self.subscription_credits,
            extra_credits: self.extra_credits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::{add_months, parse_time};
    use crate::core::{PlanBook, RuleBook};

    fn refs() -> (PlanRef, RuleRef) {
        let plans = PlanBook::new([crate::core::Plan {
            id: "p".into(),
            price_usd: 1.into(),
            monthly_credits: 1,
        }])
        .unwrap();
        let (rule, _) = RuleBook::builtin().find("suno", "create").unwrap();
        (plans.find("p").unwrap(), rule)
    }

    #[test]
    fn a_charge_keeps_its_cycle_in_days() {
        let (plan, rule) = refs();
        let at = |text: &str| parse_time(text).unwrap();
        // A clamped month (Jan 31 -> Feb 29) and a leap second's time.
        for (start, end) in [
            ("2024-01-31T10:00:00Z", "2024-02-29T10:00:00Z"),
            ("2016-12-31T23:59:60.5Z", "2017-01-31T23:59:60.5Z"),
        ] {
            let cycle = Cycle {
                start: at(start),
                end: at(end),
            };
            let days = whole_days(cycle).unwrap();
            let charge = TaskCharge::new(cycle, days, plan, rule, 3);
            assert_eq!(charge.cycle(), Some(cycle));
        }
        // Not whole days: refused rather than kept wrong.
        let odd = Cycle {
            start: at("2025-01-01T10:00:00Z"),
            end: at("2025-02-01T10:00:01Z"),
        };
        assert_eq!(whole_days(odd), None);
    }

    proptest::proptest! {
        /// Every billing cycle of every anchor fits.
        #[test]
        fn every_billing_cycle_fits_a_charge(
            anchor_second in 0i64..250_000_000_000,
            nanos in 0u32..1_000_000_000,
            index in 0u32..1200,
        ) {
            let anchor = chrono::DateTime::from_timestamp(anchor_second, nanos).unwrap();
            let (Some(start), Some(end)) = (add_months(anchor, index), add_months(anchor, index + 1)) else {
                return Ok(());
            };
            let cycle = Cycle { start, end };
            let (plan, rule) = refs();
            let charge = whole_days(cycle).map(|days| TaskCharge::new(cycle, days, plan, rule, 0));
            proptest::prop_assert_eq!(charge.and_then(|c| c.cycle()), Some(cycle));
        }
    }
}
