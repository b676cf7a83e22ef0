//! The scenarios file (TOML, RULES.md section 10): one `[[scenario]]`
//! table per what-if, each with a `name` and any of `plans`, `rules`,
//! `extra_price_usd`, `task_window`, `plan_map`, `all_on`, `purchases`,
//! `top_up_pack`.
//!
//! Every error names the file, the scenario and the key:
//! `scenarios.toml: scenario cheaper_extra: extra_price_usd: "0.085" has
//! more than 2 decimal places`.

use super::Scenario;
use crate::core::history::PlanRewrite;
use crate::core::money::{parse_usd, MoneyError};
use crate::core::{PlanId, Terms, TopUp};
use crate::input::duration::parse_duration;
use crate::input::plans::load_plans;
use crate::input::rules::load_rules;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use toml::{Table, Value};

/// The keys a scenario may have, in the order the docs list them.
pub const KEYS: [&str; 9] = [
    "name",
    "plans",
    "rules",
    "extra_price_usd",
    "task_window",
    "plan_map",
    "all_on",
    "purchases",
    "top_up_pack",
];

/// Names a scenario may not take: the baseline's, the path components `.`
/// and `..`, and the files of a simulation's report folder (with
/// `--reports` a scenario's reports go to a folder of its name). Names
/// starting with [`RESERVED_PREFIX`] are refused too.
const RESERVED_NAMES: [&str; 7] = [
    "baseline",
    ".",
    "..",
    "scenarios.csv",
    "accounts.csv",
    "best_plans.csv",
    "manifest.json",
];

/// The start of the names the report folder keeps for itself (its lock
/// file `.creditsim.lock` and the staging folders `.creditsim-run-*`): a
/// scenario's `--reports` folder of such a name would clash with them.
const RESERVED_PREFIX: &str = ".creditsim";

/// A problem of the scenarios file: the whole message, starting with the
/// file's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScenarioError(pub String);

/// Reads the scenarios file at `path`. Plans and rules files are read
/// relative to its folder.
///
/// # Errors
///
/// [`ScenarioError`] when the file cannot be read, or for its first invalid key
/// (naming the file, the scenario and the key), or for a plans or rules file it
/// names that cannot be loaded.
pub fn load_scenarios(path: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError(format!("{file}: cannot read: {e}")))?;
    let folder = path.parent().unwrap_or(Path::new(""));
    parse_scenarios(&file, &text, folder)
}

/// Parses the text of a scenarios file named `file` (for messages); plans
/// and rules files are read relative to `folder`.
///
/// # Errors
///
/// [`ScenarioError`] for the first invalid key (naming the file, the scenario
/// and the key), or for a plans or rules file it names that cannot be loaded.
pub fn parse_scenarios(
    file: &str,
    text: &str,
    folder: &Path,
) -> Result<Vec<Scenario>, ScenarioError> {
    let table: Table = text.parse().map_err(|e: toml::de::Error| {
        let at = e.span().map_or(String::new(), |span| {
            let before = text.get(..span.start).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: ")
        });
        ScenarioError(format!("{file}: {at}not valid TOML: {}", e.message()))
    })?;
    if let Some(key) = table.keys().find(|k| *k != "scenario") {
        return Err(ScenarioError(format!(
            "{file}: {key}: unknown key (a scenarios file holds [[scenario]] tables only)"
        )));
    }
    let tables = match table.get("scenario") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ScenarioError(format!(
                "{file}: scenario: expected [[scenario]] tables"
            )))
        }
    };
    let mut scenarios: Vec<Scenario> = Vec::with_capacity(tables.len());
    for (index, item) in tables.iter().enumerate() {
        let Value::Table(table) = item else {
            return Err(ScenarioError(format!(
                "{file}: scenario: expected [[scenario]] tables"
            )));
        };
        let scenario = parse_scenario(file, folder, index, table)?;
        if let Some(first) = scenarios.iter().position(|s| s.name == scenario.name) {
            return Err(ScenarioError(format!(
                "{file}: scenario {}: name: also the name of scenario {} (names must be unique)",
                scenario.name,
                first + 1
            )));
        }
        scenarios.push(scenario);
    }
    Ok(scenarios)
}

/// The scenario at `index` (0-based) of the file.
fn parse_scenario(
    file: &str,
    folder: &Path,
    index: usize,
    table: &Table,
) -> Result<Scenario, ScenarioError> {
    let name = scenario_name(file, index, table)?;
    let keys = ScenarioKeys {
        file,
        folder,
        name: &name,
        table,
    };
    if let Some(key) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(keys.fail(
            key,
            format!("unknown key (expected one of {})", KEYS.join(", ")),
        ));
    }
    let plans = match keys.path("plans")? {
        None => None,
        Some((shown, input)) => {
            Some(load_plans(&shown, input).map_err(|e| keys.fail("plans", e.to_string()))?)
        }
    };
    let rules = match keys.path("rules")? {
        None => None,
        Some((shown, input)) => {
            Some(load_rules(&shown, input).map_err(|e| keys.fail("rules", e.to_string()))?)
        }
    };
    let mut terms = keys.terms()?;
    let task_window = keys.task_window()?;
    let plan_rewrite = keys.plan_rewrite()?;
    let top_up = keys.top_up()?;
    if let Some(pack) = top_up {
        terms = terms.with_top_up(pack);
    }
    Ok(Scenario {
        name: name.clone(),
        plans,
        rules,
        terms,
        task_window,
        rewrite: crate::core::history::HistoryRewrite {
            plans: plan_rewrite,
            drop_purchases: top_up.is_some(),
        },
    })
}

/// The `name` of the scenario at `index` (0-based), checked: the other keys'
/// messages name the scenario by it.
fn scenario_name(file: &str, index: usize, table: &Table) -> Result<String, ScenarioError> {
    let unnamed = index + 1;
    let name = match table.get("name") {
        None => {
            return Err(ScenarioError(format!(
                "{file}: scenario {unnamed}: name: missing (every scenario needs a name)"
            )))
        }
        Some(Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(ScenarioError(format!(
                "{file}: scenario {unnamed}: name: expected a string, got {}",
                describe(other)
            )))
        }
    };
    let fail = |detail: String| ScenarioError(format!("{file}: scenario {name}: name: {detail}"));
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !valid_name {
        return Err(fail(format!(
            "{name:?} may hold only letters A-Z a-z, digits, _, . and -"
        )));
    }
    if RESERVED_NAMES.contains(&name.as_str()) || name.starts_with(RESERVED_PREFIX) {
        return Err(fail(format!("{name:?} is reserved")));
    }
    Ok(name)
}

/// The keys of one named scenario, each read with a message that names the
/// file, the scenario and the key.
struct ScenarioKeys<'a> {
    file: &'a str,
    /// Where the `plans` and `rules` paths are relative to.
    folder: &'a Path,
    name: &'a str,
    table: &'a Table,
}

impl ScenarioKeys<'_> {
    fn fail(&self, key: &str, detail: String) -> ScenarioError {
        ScenarioError(format!(
            "{}: scenario {}: {key}: {detail}",
            self.file, self.name
        ))
    }

    /// The string at `key`, if the scenario has it.
    fn string(&self, key: &str) -> Result<Option<&str>, ScenarioError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => {
                Err(self.fail(key, format!("expected a string, got {}", describe(other))))
            }
        }
    }

    /// The file named at `key`, opened, with its path as messages show it.
    fn path(&self, key: &str) -> Result<Option<(String, File)>, ScenarioError> {
        let Some(relative) = self.string(key)? else {
            return Ok(None);
        };
        let path = self.folder.join(relative);
        let shown = path.display().to_string();
        let opened =
            File::open(&path).map_err(|e| self.fail(key, format!("{shown}: cannot read: {e}")))?;
        Ok(Some((shown, opened)))
    }

    fn task_window(&self) -> Result<Option<chrono::Duration>, ScenarioError> {
        let Some(text) = self.string("task_window")? else {
            return Ok(None);
        };
        parse_duration(text).map(Some).map_err(|_| {
            self.fail(
                "task_window",
                format!("{text:?} is not a duration: expected a whole number with s, m, h or d, like \"24h\""),
            )
        })
    }

    /// `plan_map` or `all_on` (not both).
    fn plan_rewrite(&self) -> Result<PlanRewrite, ScenarioError> {
        match (self.table.get("plan_map"), self.string("all_on")?) {
            (Some(_), Some(_)) => {
                Err(self.fail("all_on", "cannot be used together with plan_map".into()))
            }
            (None, None) => Ok(PlanRewrite::AsLogged),
            (None, Some("")) => Err(self.fail("all_on", "empty plan id".into())),
            (None, Some(plan)) => Ok(PlanRewrite::AllOn(plan.into())),
            (Some(Value::Table(map)), None) => self.plan_map(map).map(PlanRewrite::Map),
            (Some(other), None) => Err(self.fail(
                "plan_map",
                format!(
                    "expected a table of old = \"new\" plan ids, got {}",
                    describe(other)
                ),
            )),
        }
    }

    fn plan_map(&self, map: &Table) -> Result<BTreeMap<PlanId, PlanId>, ScenarioError> {
        let mut pairs: BTreeMap<PlanId, PlanId> = BTreeMap::new();
        for (old, new) in map {
            match new {
                Value::String(new) if !new.is_empty() && !old.is_empty() => {
                    pairs.insert(old.as_str().into(), new.as_str().into());
                }
                Value::String(_) => {
                    return Err(self.fail("plan_map", format!("{old:?}: empty plan id")))
                }
                other => {
                    return Err(self.fail(
                        "plan_map",
                        format!(
                            "{old:?}: expected a plan id string, got {}",
                            describe(other)
                        ),
                    ))
                }
            }
        }
        Ok(pairs)
    }

    /// The top-up pack when `purchases = "top_up"`, `None` when purchases
    /// stay as logged.
    fn top_up(&self) -> Result<Option<TopUp>, ScenarioError> {
        let top_up = match self.string("purchases")? {
            None | Some("as_logged") => false,
            Some("top_up") => true,
            Some(other) => {
                return Err(self.fail(
                    "purchases",
                    format!("{other:?}: expected \"as_logged\" or \"top_up\""),
                ))
            }
        };
        match self.table.get("top_up_pack") {
            None => Ok(top_up.then(TopUp::default)),
            Some(_) if !top_up => {
                Err(self.fail("top_up_pack", "needs purchases = \"top_up\"".into()))
            }
            Some(value @ Value::Integer(pack)) => {
                let pack = u64::try_from(*pack).ok().and_then(|p| TopUp::new(p).ok());
                pack.map(Some).ok_or_else(|| {
                    self.fail(
                        "top_up_pack",
                        format!(
                            "{}: expected a positive multiple of 10 credits",
                            describe(value)
                        ),
                    )
                })
            }
            Some(other) => Err(self.fail(
                "top_up_pack",
                format!(
                    "expected a whole number of credits, got {}",
                    describe(other)
                ),
            )),
        }
    }

    /// The engine's terms with `extra_price_usd`, or the default terms.
    fn terms(&self) -> Result<Terms, ScenarioError> {
        let Some(text) = self.string("extra_price_usd")? else {
            return Ok(Terms::default());
        };
        let fail = |error: &MoneyError| self.fail("extra_price_usd", price_problem(text, error));
        let price = parse_usd(text).map_err(|e| fail(&e))?;
        Terms::new(price).map_err(|_| fail(&MoneyError::TooLarge(text.into())))
    }
}

/// What is wrong with an `extra_price_usd` text.
fn price_problem(text: &str, error: &MoneyError) -> String {
    match error {
        MoneyError::TooPrecise(_) => format!("{text:?} has more than 2 decimal places"),
        MoneyError::Negative(_) => format!("{text:?} is negative"),
        MoneyError::NotANumber(_) => {
            format!("{text:?} is not a price: expected dollars like \"0.10\"")
        }
        MoneyError::TooLarge(_) => {
            format!("{text:?} is larger than 1000000.00, the highest price of 10 extra credits")
        }
    }
}

/// A TOML value's type and text, for messages.
fn describe(value: &Value) -> String {
    let kind = match value {
        Value::String(_) => "string",
        Value::Integer(_) => "integer",
        Value::Float(_) => "float",
        Value::Boolean(_) => "boolean",
        Value::Datetime(_) => "datetime",
        Value::Array(_) => "array",
        Value::Table(_) => "table",
    };
    match value {
        Value::String(text) => format!("{kind} {text:?}"),
        Value::Integer(number) => format!("{kind} {number}"),
        Value::Float(number) => format!("{kind} {number}"),
        Value::Boolean(truth) => format!("{kind} {truth}"),
        Value::Datetime(time) => format!("{kind} {time}"),
        Value::Array(_) | Value::Table(_) => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Scenario>, String> {
        parse_scenarios("s.toml", text, Path::new(".")).map_err(|e| e.0)
    }

    #[test]
    fn a_scenario_with_every_inline_key() {
        let scenarios = parse(
            r#"
            [[scenario]]
            name = "cheap.top-up_1"
            extra_price_usd = "0.10"
            task_window = "48h"
            all_on = "pro"
            purchases = "top_up"
            top_up_pack = 50

            [[scenario]]
            name = "renamed"
            plan_map = { basic = "basic2" }
            "#,
        )
        .unwrap();
        assert_eq!(scenarios.len(), 2);
        let first = &scenarios[0];
        assert_eq!(first.terms.extra_pack_price_usd().to_string(), "0.10");
        assert_eq!(first.terms.top_up().map(|t| t.pack_credits()), Some(50));
        assert_eq!(first.task_window, Some(chrono::TimeDelta::hours(48)));
        assert_eq!(first.rewrite.plans, PlanRewrite::AllOn("pro".into()));
        assert!(first.rewrite.drop_purchases);
        let second = &scenarios[1];
        assert_eq!(second.terms, Terms::default());
        assert!(!second.rewrite.drop_purchases);
        assert!(matches!(&second.rewrite.plans, PlanRewrite::Map(m) if m.len() == 1));
    }

    #[test]
    fn names_of_the_report_folder_are_refused() {
        for name in [
            "baseline",
            ".",
            "..",
            "scenarios.csv",
            "manifest.json",
            ".creditsim.lock",
            ".creditsim-run-1-0",
        ] {
            let error = parse(&format!("[[scenario]]\nname = \"{name}\"\n")).unwrap_err();
            assert_eq!(
                error,
                format!("s.toml: scenario {name}: name: {name:?} is reserved")
            );
        }
        assert!(parse("[[scenario]]\nname = \".creditsim_not\"\n").is_err());
        assert!(parse("[[scenario]]\nname = \".hidden\"\n").is_ok());
    }

    #[test]
    fn an_empty_file_has_no_scenario() {
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn a_top_up_without_a_pack_buys_tens() {
        let scenarios = parse("[[scenario]]\nname = \"t\"\npurchases = \"top_up\"\n").unwrap();
        assert_eq!(scenarios[0].terms.top_up(), Some(TopUp::default()));
    }

    #[test]
    fn a_price_that_is_a_toml_number_is_refused() {
        let error = parse("[[scenario]]\nname = \"x\"\nextra_price_usd = 0.1\n").unwrap_err();
        assert_eq!(
            error,
            "s.toml: scenario x: extra_price_usd: expected a string, got float 0.1"
        );
    }
}
