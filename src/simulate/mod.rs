//! What-if simulation (RULES.md section 10): the usage history is the
//! demand, and each scenario replays the same history under other terms
//! (plan and rule books, the price of extra credits, the task window, a
//! plan mapping, top-up instead of the logged purchases), each with an
//! engine of its own. `--best-plan` tries every plan of the book for every
//! account.
//!
//! ```
//! use creditsim::core::{Action, Event, Plan, PlanBook, RuleBook, Terms};
//! use creditsim::core::time::parse_time;
//! use creditsim::simulate::{simulate, History, Options, Scenario, Settings};
//!
//! let plans = PlanBook::new([
//!     Plan { id: "basic".into(), price_usd: "8.00".parse()?, monthly_credits: 1000 },
//!     Plan { id: "pro".into(), price_usd: "30.00".parse()?, monthly_credits: 5000 },
//! ])?;
//! let at = |t: &str| parse_time(t);
//! let events = [
//!     Event { time: at("2025-07-01T00:00:00Z")?, account: "amy", action: Action::Subscribe { plan: "basic" } },
//!     Event { time: at("2025-07-02T00:00:00Z")?, account: "amy", action: Action::Purchase { credits: 500 } },
//! ];
//! let settings = Settings::new(plans, RuleBook::builtin());
//! let history = History { settings: &settings, events: &events };
//! // What if extra credits cost $0.10 per 10?
//! let mut dearer = Scenario::named("dearer_extra");
//! dearer.terms = Terms::new("0.10".parse()?)?;
//! let comparison = simulate(&history, &[dearer], &Options::default())?;
//! assert_eq!(comparison.baseline.totals.summary.revenue_usd(), Some("12.00".parse()?));
//! assert_eq!(comparison.scenarios[0].totals.summary.revenue_usd(), Some("13.00".parse()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod best;
mod drive;
pub mod reports;
mod run;
pub mod scenarios;
pub mod totals;

pub use best::BestPlan;
pub use run::{Finished, RunReports};
pub use totals::{AccountResult, AccountTotals, ScenarioResult, ScenarioTotals};

use crate::core::history::{HistoryRewrite, PlanRewrite};
use crate::core::time::Instant;
use crate::core::{
    Action, Engine, Event, PlanBook, PlanId, RuleBook, RuleGuess, Terms, TopUp, DEFAULT_TASK_WINDOW,
};
use crate::input::batch::{Batch, RowView};
use crate::input::events::EventFile;
use crate::input::reader::{read_batches, Message};
use crate::input::LineError;
use chrono::TimeDelta;
use drive::{run_all, Feed, Hand};
use run::{Origin, Row, Run, RunError};
use std::io::{self, Read, Write};
use std::sync::mpsc::{channel, sync_channel};

/// The name of the baseline in every report.
pub const BASELINE: &str = "baseline";

/// The terms of the baseline: those of a replay with the same arguments.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The plan book.
    pub plans: PlanBook,
    /// The rule book.
    pub rules: RuleBook,
    /// The task window.
    pub task_window: TimeDelta,
    /// Apply rows up to this time (default: the latest well-formed row's).
    pub as_of: Option<Instant>,
    /// Turn `malformed` and `out_of_order` rows into rejections instead of
    /// stopping.
    pub keep_going: bool,
}

impl Settings {
    /// The books, with the default task window, no as-of time, stopping at
    /// a malformed row.
    pub fn new(plans: PlanBook, rules: RuleBook) -> Self {
        Settings {
            plans,
            rules,
            task_window: DEFAULT_TASK_WINDOW,
            as_of: None,
            keep_going: false,
        }
    }
}

/// A usage history held in memory, with the baseline's settings.
#[derive(Debug, Clone, Copy)]
pub struct History<'e> {
    /// The baseline's books and options.
    pub settings: &'e Settings,
    /// The events, in time order.
    pub events: &'e [Event<'e>],
}

/// One what-if: what it changes against the baseline.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Unique, `[A-Za-z0-9_.-]+`, not `baseline`.
    pub name: String,
    /// A plan book in force instead of the baseline's.
    pub plans: Option<PlanBook>,
    /// A rule book in force instead of the baseline's.
    pub rules: Option<RuleBook>,
    /// The price of extra credits and the top-up policy.
    pub terms: Terms,
    /// A task window instead of the baseline's.
    pub task_window: Option<TimeDelta>,
    /// The changes to the history (plan mapping, dropped purchases).
    pub rewrite: HistoryRewrite,
}

impl Scenario {
    /// A scenario that changes nothing: it gives exactly the baseline.
    pub fn named(name: &str) -> Self {
        Scenario {
            name: name.to_owned(),
            plans: None,
            rules: None,
            terms: Terms::default(),
            task_window: None,
            rewrite: HistoryRewrite::default(),
        }
    }

    fn engine(&self, settings: &Settings) -> Engine {
        let plans = self.plans.as_ref().unwrap_or(&settings.plans).clone();
        let rules = self.rules.as_ref().unwrap_or(&settings.rules).clone();
        Engine::new(plans, rules)
            .with_task_window(self.task_window.unwrap_or(settings.task_window))
            .with_terms(self.terms)
    }
}

/// How a simulation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Also find each account's cheapest plan (`best_plans.csv`).
    pub best_plan: bool,
    /// Worker threads for the runs; the output is the same for any number.
    pub threads: usize,
}

impl Default for Options {
    /// No best plan; as many threads as cores.
    fn default() -> Self {
        Options {
            best_plan: false,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// The outcome of a simulation: the baseline, every scenario in order, and
/// with [`Options::best_plan`] each account's cheapest plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The replay of the history as it is.
    pub baseline: ScenarioResult,
    /// The scenarios, in the order given.
    pub scenarios: Vec<ScenarioResult>,
    /// Sorted by account, with [`Options::best_plan`].
    pub best_plans: Option<Vec<BestPlan>>,
}

/// Why a simulation stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// Bad input, found once for all runs (or the baseline's own error):
    /// the message a replay gives (exit code 2).
    #[error("{0}")]
    Input(LineError),
    /// A scenario cannot run this history: `FILE:LINE: scenario NAME: ...`
    /// (exit code 2).
    #[error("{}", LineError { detail: format!("scenario {scenario}: {}", error.detail), ..error.clone() })]
    Scenario {
        /// The scenario, or the `--best-plan` run.
        scenario: String,
        /// What went wrong where.
        error: LineError,
    },
    /// Writing a report failed (exit code 1).
    #[error("writing reports: {0}")]
    Output(#[from] io::Error),
}

impl SimulateError {
    fn of_run(index: usize, name: String, error: RunError) -> Self {
        match error {
            RunError::Stop(error) if index == 0 => SimulateError::Input(error),
            RunError::Stop(error) => SimulateError::Scenario {
                scenario: name,
                error,
            },
            RunError::Output(e) => SimulateError::Output(e),
            RunError::Skipped => SimulateError::Output(io::Error::other("run skipped")),
        }
    }
}

/// The runs of a simulation: the baseline, the scenarios, and with
/// `best_plan` the account's own plans with top-up and then each plan of
/// the book (in byte order of ids) with top-up.
fn runs<W: Write>(
    settings: &Settings,
    scenarios: &[Scenario],
    best_plan: bool,
    mut reports: impl FnMut(&str) -> io::Result<Option<RunReports<W>>>,
) -> io::Result<Vec<Run<W>>> {
    let mut list = vec![Scenario::named(BASELINE)];
    list.extend(scenarios.iter().cloned());
    if best_plan {
        let top_up = Terms::default().with_top_up(TopUp::default());
        let rewrite = |plans| HistoryRewrite {
            plans,
            drop_purchases: true,
        };
        let mut current = Scenario::named("--best-plan current");
        current.terms = top_up;
        current.rewrite = rewrite(PlanRewrite::AsLogged);
        list.push(current);
        for plan in best::plan_ids(&settings.plans) {
            let mut all_on = Scenario::named(&format!("--best-plan all_on={plan}"));
            all_on.terms = top_up;
            all_on.rewrite = rewrite(PlanRewrite::AllOn(plan));
            list.push(all_on);
        }
    }
    let scenario_runs = 1 + scenarios.len();
    list.into_iter()
        .enumerate()
        .map(|(index, scenario)| {
            let engine = scenario.engine(settings);
            let report = if index < scenario_runs {
                reports(&scenario.name)?
            } else {
                None
            };
            Ok(Run::new(
                scenario.name,
                engine,
                scenario.rewrite,
                (settings.as_of, settings.keep_going),
                report,
            ))
        })
        .collect()
}

impl Comparison {
    /// The comparison of finished runs (in the order of [`runs`]); `tried`
    /// are the plans of the `--best-plan` runs.
    ///
    /// The accounts of the baseline and the scenarios move into the
    /// comparison (the finished runs keep their names and totals, which the
    /// reports need); those of the `--best-plan` runs are read in place.
    fn of<W: Write>(
        finished: &mut [Finished<W>],
        scenarios: usize,
        tried: Option<&[PlanId]>,
    ) -> Self {
        let split = (1 + scenarios).min(finished.len());
        let (head, tail) = finished.split_at_mut(split);
        let mut head = head.iter_mut().map(|f| {
            let kept = f.result.clone_totals();
            std::mem::replace(&mut f.result, kept)
        });
        let baseline = head.next().unwrap_or_else(|| empty(BASELINE));
        let scenarios = head.collect();
        let best_plans = tried.map(|plans| match tail.split_first() {
            Some((current, runs)) => {
                let tried: Vec<(PlanId, &ScenarioResult)> = plans
                    .iter()
                    .cloned()
                    .zip(runs.iter().map(|f| &f.result))
                    .collect();
                best::best_plans(&baseline, &current.result, &tried)
            }
            None => Vec::new(),
        });
        Comparison {
            baseline,
            scenarios,
            best_plans,
        }
    }
}

fn empty(name: &str) -> ScenarioResult {
    ScenarioResult {
        name: name.to_owned(),
        accounts_seen: 0,
        totals: ScenarioTotals::default(),
        accounts: Vec::new(),
    }
}

/// Batches between the reading thread and the one handing them out.
const BATCHES_IN_FLIGHT: usize = 4;

/// Events of an in-memory history handed to the workers at a time, with
/// the position of the first and each call's rule in the baseline's book
/// (see [`RowChunk`]).
type Chunk<'e> = (u64, &'e [Event<'e>], Vec<Option<RuleGuess>>);

/// Rows of the in-memory history handed to the workers at a time.
const EVENTS_PER_CHUNK: usize = 4096;

/// The library's entry point: simulates `scenarios` over a history held in
/// memory and compares them with the baseline (the replay of the history
/// as it is). Every scenario gets an engine of its own; with
/// [`Options::best_plan`] every plan of the baseline's book is tried for
/// every account too. The result does not depend on
/// [`Options::threads`].
///
/// Errors name the event by its position: `history:N: ...` for the N-th
/// event (a total that would overflow, or a paid call without a task).
///
/// Which plan would serve each customer best, and what would moving every
/// `pro` customer to `basic` do to revenue?
///
/// ```
/// use creditsim::core::PlanRewrite;
/// use creditsim::core::time::parse_time;
/// use creditsim::core::{Action, Event, Plan, PlanBook, RuleBook};
/// use creditsim::simulate::{simulate, History, Options, Scenario, Settings};
///
/// let plan = |id: &str, price: &str, credits| -> Result<Plan, rust_decimal::Error> {
///     Ok(Plan { id: id.into(), price_usd: price.parse()?, monthly_credits: credits })
/// };
/// let plans = PlanBook::new([plan("basic", "8.00", 1000)?, plan("pro", "30.00", 5000)?])?;
/// let settings = Settings::new(plans, RuleBook::builtin());
/// let at = |t: &str| parse_time(t);
/// let call = |task| Action::Call { provider: "suno", operation: "create", task: Some(task) };
/// let events = [
///     Event { time: at("2025-07-01T00:00:00Z")?, account: "amy", action: Action::Subscribe { plan: "pro" } },
///     Event { time: at("2025-07-02T00:00:00Z")?, account: "amy", action: call("t1") },
///     Event { time: at("2025-07-03T00:00:00Z")?, account: "bob", action: Action::Subscribe { plan: "basic" } },
/// ];
/// let history = History { settings: &settings, events: &events };
///
/// let mut pro_to_basic = Scenario::named("pro_to_basic");
/// pro_to_basic.rewrite.plans = PlanRewrite::Map([("pro".into(), "basic".into())].into());
/// let options = Options { best_plan: true, threads: 2 };
/// let comparison = simulate(&history, &[pro_to_basic], &options)?;
///
/// let revenue = |run: &creditsim::simulate::ScenarioResult| run.totals.summary.revenue_usd();
/// assert_eq!(revenue(&comparison.baseline), Some("38.00".parse()?));
/// assert_eq!(revenue(&comparison.scenarios[0]), Some("16.00".parse()?));
/// // amy used 10 of pro's 5000 credits: basic, at $8.00, would do.
/// let best = comparison.best_plans.as_deref().unwrap_or_default();
/// assert_eq!((best[0].account.as_str(), best[0].best_plan.as_ref()), ("amy", "basic"));
/// assert_eq!(best[0].saving_usd(), "22.00".parse()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`SimulateError`] when a scenario's run meets an engine error (a time behind
/// the engine's, a count past `u64::MAX`); rejections are results, not errors.
pub fn simulate<'e>(
    history: &History<'e>,
    scenarios: &[Scenario],
    options: &Options,
) -> Result<Comparison, SimulateError> {
    let runs = runs::<io::Sink>(history.settings, scenarios, options.best_plan, |_| Ok(None))?;
    let (events, rules) = (history.events, &history.settings.rules);
    let feed = Feed {
        feed: |hand: &Hand<'_, io::Sink, Chunk<'e>>| {
            for (i, chunk) in events.chunks(EVENTS_PER_CHUNK).enumerate() {
                let rules = chunk.iter().map(|e| guess_rule(e, rules)).collect();
                hand.send(((i * EVENTS_PER_CHUNK) as u64, chunk, rules));
            }
            Ok(())
        },
        apply: |run: &mut Run<io::Sink>, (start, chunk, rules): &Chunk<'e>| {
            for (i, (event, rule)) in chunk.iter().zip(rules).enumerate() {
                let position = start + i as u64;
                let origin = Origin {
                    file: "history",
                    line: position + 1,
                };
                run.apply(Row::Good(event, None, *rule), origin)
                    .map_err(|e| (position, e))?;
            }
            Ok(())
        },
        start: |(start, _, _): &Chunk<'e>| *start,
    };
    let mut finished = run_all(runs, options.threads, feed)?;
    let tried = options
        .best_plan
        .then(|| best::plan_ids(&history.settings.plans));
    Ok(Comparison::of(
        &mut finished,
        scenarios.len(),
        tried.as_deref(),
    ))
}

/// Simulates `scenarios` over event files, read and parsed once on a
/// thread of their own while the runs apply them. `reports(name)` gives
/// the streamed reports of the baseline and of each scenario (or `None`).
/// The finished runs come back in order (baseline, scenarios, then the
/// `--best-plan` runs), for their end reports.
///
/// # Errors
///
/// [`SimulateError`] for a row that stops the run, an engine error of any run,
/// or an I/O error of the inputs or the reports.
pub fn simulate_files<R: Read + Send, W: Write + Send>(
    settings: &Settings,
    files: Vec<EventFile<R>>,
    scenarios: &[Scenario],
    options: &Options,
    reports: impl FnMut(&str) -> io::Result<Option<RunReports<W>>>,
) -> Result<(Comparison, Vec<Finished<W>>), SimulateError> {
    let runs = runs(settings, scenarios, options.best_plan, reports)?;
    let names: Vec<String> = files.iter().map(|f| f.name().to_owned()).collect();
    let rules = &settings.rules;
    let as_of = settings.as_of;
    let feed = Feed {
        feed: move |hand: &Hand<'_, W, RowChunk>| {
            let (full, batches) = sync_channel::<Message>(BATCHES_IN_FLIGHT);
            // Batches are not sent back for reuse: several workers share
            // each one.
            let (_recycle, empty) = channel::<Batch>();
            std::thread::scope(|scope| {
                scope.spawn(move || read_batches(files, rules, &full, &empty, (0, as_of)));
                let mut rows: u64 = 0;
                for message in batches {
                    match message {
                        Ok(batch) => {
                            let start = rows;
                            rows += batch.rows().len() as u64;
                            let rules = guess_rules(&batch, rules);
                            hand.send(RowChunk {
                                start,
                                batch,
                                rules,
                            });
                        }
                        Err(error) => return Err((rows, error)),
                    }
                }
                Ok(())
            })
        },
        apply: |run: &mut Run<W>, chunk: &RowChunk| {
            let RowChunk {
                start,
                batch,
                rules,
            } = chunk;
            for (i, batch_row) in batch.rows().iter().enumerate() {
                let file = names
                    .get(batch_row.file as usize)
                    .map_or("", String::as_str);
                let origin = Origin {
                    file,
                    line: batch_row.line,
                };
                let view = batch.view(batch_row);
                let row = match &view {
                    RowView::Good(event, hint) => {
                        Row::Good(event, *hint, rules.get(i).copied().flatten())
                    }
                    RowView::Bad(bad) => Row::Bad {
                        reason: bad.reason,
                        detail: &bad.detail,
                        described: (&bad.described.0, &bad.described.1, &bad.described.2),
                    },
                };
                run.apply(row, origin).map_err(|e| (start + i as u64, e))?;
            }
            Ok(())
        },
        start: |chunk: &RowChunk| chunk.start,
    };
    let mut finished = run_all(runs, options.threads, feed)?;
    let tried = options.best_plan.then(|| best::plan_ids(&settings.plans));
    let comparison = Comparison::of(&mut finished, scenarios.len(), tried.as_deref());
    Ok((comparison, finished))
}

/// A batch of rows handed to the workers, with the position of its first
/// row.
struct RowChunk {
    start: u64,
    batch: Batch,
    /// Each row's call rule, found in the baseline's book once for every
    /// run (most scenarios keep that book; the others look it up anew).
    rules: Vec<Option<RuleGuess>>,
}

/// The rule of every call of `batch` in `rules`, by row.
fn guess_rules(batch: &Batch, rules: &RuleBook) -> Vec<Option<RuleGuess>> {
    let guess = |row| {
        let (provider, operation) = batch.call(row)?;
        rules.guess(provider, operation)
    };
    batch.rows().iter().map(guess).collect()
}

/// The rule of `event` in `rules`, when it is a call.
fn guess_rule(event: &Event<'_>, rules: &RuleBook) -> Option<RuleGuess> {
    match event.action {
        Action::Call {
            provider,
            operation,
            ..
        } => rules.guess(provider, operation),
        _ => None,
    }
}
