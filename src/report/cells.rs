//! How text cells that come from the input (account, plan and task ids,
//! file names, event names) are written.
//!
//! A spreadsheet treats a cell starting with `=`, `+`, `-` or `@` (or a tab
//! or carriage return) as a formula: an account id like
//! `=HYPERLINK("http://evil","x")` in a usage log would run when finance
//! opens `balances.csv`. Off by default, so the reports stay exact;
//! `--spreadsheet-safe` prefixes such cells with `'`, which spreadsheets
//! display as text and do not evaluate (OWASP's CSV-injection advice).
//! Numbers and times written by creditsim itself are never touched.

use std::borrow::Cow;

/// Whether input-derived text cells are written as read or neutralised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CellPolicy {
    /// Every cell exactly as read (the default).
    #[default]
    Exact,
    /// Cells a spreadsheet would evaluate get a leading `'`.
    SpreadsheetSafe,
}

/// The first characters that make a spreadsheet evaluate a cell.
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

impl CellPolicy {
    /// The cell to write for an input-derived `text`.
    ///
    /// ```
    /// use creditsim::report::cells::CellPolicy;
    /// assert_eq!(CellPolicy::Exact.text("=1+2"), "=1+2");
    /// assert_eq!(CellPolicy::SpreadsheetSafe.text("=1+2"), "'=1+2");
    /// assert_eq!(CellPolicy::SpreadsheetSafe.text("acct-1"), "acct-1");
    /// ```
    #[inline]
    pub fn text(self, text: &str) -> Cow<'_, str> {
        match self {
            CellPolicy::SpreadsheetSafe if text.starts_with(FORMULA_TRIGGERS) => {
                Cow::Owned(format!("'{text}"))
            }
            _ => Cow::Borrowed(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_every_trigger_and_nothing_else() {
        let safe = CellPolicy::SpreadsheetSafe;
        for cell in ["=A1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(safe.text(cell), format!("'{cell}"));
        }
        for cell in ["a=b", "", "acct 1", "'quoted", "1-2"] {
            assert_eq!(safe.text(cell), cell);
        }
        assert_eq!(CellPolicy::default().text("-1"), "-1");
    }
}
