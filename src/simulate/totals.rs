//! What a scenario's reports show: totals over the run and per account,
//! counted from the engine's entries and outcomes.

use crate::core::totals::{add, add_usd};
use crate::core::{EntryKind, LedgerEntry, PlanId, Summary, TotalOverflow};
use rust_decimal::Decimal;

/// Totals of one run (a line of `scenarios.csv`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScenarioTotals {
    /// The replay's totals (`summary.json`): dropped purchases count as
    /// skipped rows.
    pub summary: Summary,
    /// Calls accepted, free ones included.
    pub calls_accepted: u64,
    /// Calls rejected by a business check.
    pub calls_rejected: u64,
    /// Logged purchases not applied under the top-up policy.
    pub skipped_purchases: u64,
}

/// One account's totals in one run (a line of `accounts.csv`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountTotals {
    /// Fees charged.
    pub fees_usd: Decimal,
    /// Extra credits bought (logged purchases and top-ups).
    pub purchases_usd: Decimal,
    /// Calls rejected by a business check.
    pub calls_rejected: u64,
    /// Subscription credits expired.
    pub credits_expired: u64,
    /// The plan of the account's latest cycle, kept after the subscription
    /// ends (`best_plans.csv`'s `current_plan` of an inactive account).
    pub last_plan: Option<PlanId>,
}

impl AccountTotals {
    /// Counts one ledger entry of the account.
    pub(crate) fn record_entry(&mut self, entry: &LedgerEntry) -> Result<(), TotalOverflow> {
        match entry.kind {
            EntryKind::Fee => {
                self.last_plan.clone_from(&entry.plan);
                add_usd(&mut self.fees_usd, entry.usd, "fees")
            }
            EntryKind::Purchase => add_usd(&mut self.purchases_usd, entry.usd, "purchases"),
            EntryKind::Expire => {
                let expired = u64::try_from(entry.subscription_delta.unsigned_abs())
                    .map_err(|_| TotalOverflow("expired"))?;
                add(&mut self.credits_expired, expired, "expired")
            }
            _ => Ok(()),
        }
    }

    /// Counts a rejected call.
    pub(crate) fn record_rejected_call(&mut self) -> Result<(), TotalOverflow> {
        add(&mut self.calls_rejected, 1, "calls rejected")
    }

    /// Fees plus purchases. Both are at most `MAX_USD` (checked as they
    /// are counted); their sum is checked again when written.
    pub fn revenue_usd(&self) -> Option<Decimal> {
        self.fees_usd.checked_add(self.purchases_usd)
    }
}

/// One account at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountResult {
    /// The account's name.
    pub account: String,
    /// Its plan at the as-of time, `None` when inactive.
    pub plan: Option<PlanId>,
    /// Its totals.
    pub totals: AccountTotals,
}

/// One run's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioResult {
    /// `baseline`, or the scenario's name.
    pub name: String,
    /// Accounts with a processed row (the rows of its `balances.csv`).
    pub accounts_seen: u64,
    /// Totals over every account.
    pub totals: ScenarioTotals,
    /// Every account with a processed row, sorted by name.
    pub accounts: Vec<AccountResult>,
}

impl ScenarioResult {
    /// The name, accounts seen and totals, without the accounts.
    pub fn clone_totals(&self) -> Self {
        ScenarioResult {
            name: self.name.clone(),
            accounts_seen: self.accounts_seen,
            totals: self.totals.clone(),
            accounts: Vec::new(),
        }
    }

    /// The named account's result, if it had a processed row.
    pub fn account(&self, name: &str) -> Option<&AccountResult> {
        self.accounts
            .binary_search_by(|a| a.account.as_str().cmp(name))
            .ok()
            .and_then(|i| self.accounts.get(i))
    }
}
