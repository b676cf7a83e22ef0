//! The `--html DIR` report: a static, self-contained site (inline style,
//! inline SVG charts, no script, no font, no network) with an overview
//! page and a page for each of the busiest accounts. It follows the
//! replay as an [`EntrySink`] and writes its pages once the run is over;
//! the bytes depend only on the input (no time stamps, sorted lists).
//! `simulate --html DIR` writes one page from the comparison
//! ([`write_simulation`]).

mod chart;
mod collect;
mod pages;
mod points;
mod simulate;

use crate::core::{Applied, Event, LedgerEntry, RuleBook};
use crate::report::rejections::RejectedRow;
use crate::report::sink::EntrySink;
use collect::Collected;
pub use simulate::write_simulation;
use std::io;
use std::path::Path;

/// The default of `--html-accounts`.
pub const DEFAULT_ACCOUNT_PAGES: usize = 1000;

/// Whether `name` is a file the report writes (`index.html`,
/// `account-NNNNN.html`): a folder holding only such files may be replaced
/// by a new report.
pub fn is_page(name: &str) -> bool {
    name == "index.html"
        || name
            .strip_prefix("account-")
            .and_then(|rest| rest.strip_suffix(".html"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Gathers what the pages show as the replay goes.
pub struct HtmlReport {
    pages: usize,
    data: Collected,
}

impl HtmlReport {
    /// A report with a page for each of the `pages` accounts with the most
    /// usage. `rules` must be the engine's, to name the providers.
    pub fn new(rules: RuleBook, pages: usize) -> Self {
        HtmlReport {
            pages,
            data: Collected::new(&rules),
        }
    }

    /// Writes `index.html` and the account pages into `dir` (created if
    /// missing): the staging folder of the run, published whole.
    ///
    /// # Errors
    ///
    /// The I/O error of creating `dir` or writing a page.
    pub fn write(mut self, dir: &Path) -> io::Result<()> {
        self.data.settle();
        let data = &self.data;
        let mut by_usage: Vec<usize> = (0..data.accounts.len()).collect();
        by_usage.sort_by(|&a, &b| {
            let (a, b) = (&data.accounts[a], &data.accounts[b]);
            b.used.cmp(&a.used).then_with(|| a.name.cmp(&b.name))
        });
        let pages = self.pages.min(by_usage.len());
        std::fs::create_dir_all(dir)?;
        std::fs::write(
            dir.join("index.html"),
            pages::overview(data, &by_usage, pages),
        )?;
        let ranked: Vec<(usize, usize)> =
            by_usage.iter().copied().take(pages).enumerate().collect();
        // The pages cost about as much CPU as a second of replay: the
        // other core writes every second one (ranks interleaved, so both
        // get pages of similar sizes).
        std::thread::scope(|scope| {
            let odd = scope.spawn(|| write_accounts(dir, data, ranked.iter().skip(1).step_by(2)));
            let even = write_accounts(dir, data, ranked.iter().step_by(2));
            let odd = odd
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            even.and(odd)
        })
    }
}

/// Writes the pages of the `(rank, account index)` pairs into `dir`.
fn write_accounts<'a>(
    dir: &Path,
    data: &Collected,
    ranked: impl Iterator<Item = &'a (usize, usize)>,
) -> io::Result<()> {
    for &(rank, i) in ranked {
        std::fs::write(
            dir.join(pages::account_file(rank)),
            pages::account(&data.accounts[i], &data.detail(i), &data.providers),
        )?;
    }
    Ok(())
}

impl EntrySink for HtmlReport {
    fn entry(
        &mut self,
        entry: &LedgerEntry,
        account: &str,
        _event: Option<&Event<'_>>,
    ) -> io::Result<()> {
        self.data.entry(entry, account);
        Ok(())
    }

    fn applied(
        &mut self,
        event: &Event<'_>,
        applied: &Applied,
        _file: &str,
        _line: u64,
    ) -> io::Result<()> {
        if let Err(rejection) = &applied.outcome {
            self.data
                .rejection(event.account, rejection.reason().code());
        }
        Ok(())
    }

    fn unread(&mut self, row: &RejectedRow<'_>) -> io::Result<()> {
        self.data.rejection(row.account, row.reason.code());
        Ok(())
    }
}
