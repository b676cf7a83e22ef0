//! Loading a rules CSV: `provider,operation,credits,songs,lyrics`. A rules
//! file replaces the built-in rule book entirely.

use super::csv_source::{check_field_count, field, not_utf8, parse_whole, CsvSource};
use super::{LineError, LoadErrors};
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
pub fn load_rules(name: &str, input: impl Read) -> Result<RuleBook, LoadErrors> {
    let mut source = CsvSource::open(name, input).map_err(|e| LoadErrors(vec![e]))?;
    let columns = source
        .columns(COLUMNS, COLUMNS.len())
        .map_err(|e| LoadErrors(vec![e]))?;
    let mut book = RuleBook::default();
    let mut errors = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = match source.next_row(&mut record) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                errors.push(e);
                break;
            }
        };
        if let Err(detail) = insert_rule(&mut book, &source.header, &record, &columns) {
            errors.push(LineError {
                file: name.to_owned(),
                line,
                detail,
            });
        }
    }
    if errors.is_empty() {
        Ok(book)
    } else {
        Err(LoadErrors(errors))
    }
}

fn insert_rule(
    book: &mut RuleBook,
    header: &[String],
    record: &csv::ByteRecord,
    columns: &[Option<usize>; 5],
) -> Result<(), String> {
    check_field_count(record, header.len())?;
    let text = |i: usize| field(record, columns[i]).map_err(|c| not_utf8(header, c));
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
