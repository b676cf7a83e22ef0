//! Loading a rules CSV: `provider,operation,credits,songs,lyrics`. A rules
//! file replaces the built-in rule book entirely.

use super::csv_source::{not_utf8, parse_whole, TextRecord};
use super::table::load_table;
use super::LoadErrors;
use crate::core::{Rule, RuleBook};
use std::io::Read;

const COLUMNS: [&str; 5] = ["provider", "operation", "credits", "songs", "lyrics"];

/// Reads a rules file, reporting every invalid row with its line.
///
/// ```
/// use creditsim::input::rules::load_rules;
/// let text = "provider,operation,credits,songs,lyrics\nsuno,create,12,2,0\n";
/// let book = load_rules("rules.csv", text.as_bytes()).unwrap();
/// assert_eq!(book.get("suno", "create").unwrap().credits, 12);
/// assert!(book.get("nuro", "get").is_none());
/// ```
///
/// # Errors
///
/// [`LoadErrors`] with every invalid row, the header's problems, or the read
/// error.
pub fn load_rules(name: &str, input: impl Read) -> Result<RuleBook, LoadErrors> {
    let mut book = RuleBook::default();
    load_table(name, input, COLUMNS, |header, record, columns| {
        insert_rule(&mut book, header, record, columns)
    })?;
    Ok(book)
}

fn insert_rule(
    book: &mut RuleBook,
    header: &[String],
    record: &TextRecord,
    columns: &[Option<usize>; 5],
) -> Result<(), String> {
    record.check_field_count(header.len())?;
    let text = |i: usize| record.field(columns[i]).map_err(|c| not_utf8(header, c));
    let provider = text(0)?;
    let operation = text(1)?;
    for (name, value) in [("provider", provider), ("operation", operation)] {
        if value.is_empty() {
            return Err(format!("missing field {name}"));
        }
    }
    let rule = Rule {
        credits: parse_whole("credits", text(2)?, " of credits")?,
        songs: parse_whole("songs", text(3)?, "")?,
        lyrics: parse_whole("lyrics", text(4)?, "")?,
    };
    book.insert(provider, operation, rule)
        .map_err(|e| e.to_string())
}
