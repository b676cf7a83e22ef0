//! Loading the plans CSV: `plan,price_usd,monthly_credits`.

use super::csv_source::{not_utf8, parse_whole, TextRecord};
use super::table::load_table;
use super::LoadErrors;
use crate::core::money::parse_usd;
use crate::core::{Plan, PlanBook};
use std::io::Read;

const COLUMNS: [&str; 3] = ["plan", "price_usd", "monthly_credits"];

/// Reads a plans file, reporting every invalid row with its line.
///
/// ```
/// use creditsim::input::plans::load_plans;
/// let good = "plan,price_usd,monthly_credits\nbasic,8.00,1000\n";
/// assert_eq!(load_plans("plans.csv", good.as_bytes()).unwrap().len(), 1);
/// let bad = "plan,price_usd,monthly_credits\nbasic,8.001,1000\nbasic,8.00,-5\n";
/// let errors = load_plans("plans.csv", bad.as_bytes()).unwrap_err();
/// assert_eq!(errors.to_string(), "\
/// plans.csv:2: invalid price_usd 8.001: more than 2 decimal places
/// plans.csv:3: invalid monthly_credits -5: expected a whole number of credits");
/// ```
///
/// # Errors
///
/// [`LoadErrors`] with every invalid row, the header's problems, or the read
/// error.
pub fn load_plans(name: &str, input: impl Read) -> Result<PlanBook, LoadErrors> {
    let mut book = PlanBook::default();
    load_table(name, input, COLUMNS, |header, record, columns| {
        let plan = parse_plan(header, record, columns)?;
        book.insert(plan).map_err(|e| e.to_string())
    })?;
    Ok(book)
}

fn parse_plan(
    header: &[String],
    record: &TextRecord,
    columns: &[Option<usize>; 3],
) -> Result<Plan, String> {
    record.check_field_count(header.len())?;
    let text = |i: usize| record.field(columns[i]).map_err(|c| not_utf8(header, c));
    let id = text(0)?;
    if id.is_empty() {
        return Err("missing field plan".into());
    }
    let price_text = text(1)?;
    if price_text.is_empty() {
        return Err("missing field price_usd".into());
    }
    let price_usd = parse_usd(price_text).map_err(|e| {
        use crate::core::money::MoneyError;
        match e {
            MoneyError::TooPrecise(_) => {
                format!("invalid price_usd {price_text}: more than 2 decimal places")
            }
            MoneyError::Negative(_) => {
                format!("invalid price_usd {price_text}: must not be negative")
            }
            MoneyError::NotANumber(_) => {
                format!("invalid price_usd {price_text}: expected dollars like 8.00")
            }
            MoneyError::TooLarge(_) => format!(
                "invalid price_usd {price_text}: larger than the maximum {}",
                crate::core::money::MAX_USD
            ),
        }
    })?;
    let monthly_credits = parse_whole("monthly_credits", text(2)?, " of credits")?;
    Ok(Plan {
        id: id.into(),
        price_usd,
        monthly_credits,
    })
}
