//! Loading a small table file (plans, rules): every row checked, every
//! invalid row reported with its line, none of it kept unless all is valid.

use super::csv_source::{CsvSource, TextRecord};
use super::{LineError, LoadErrors};
use std::io::Read;

/// Reads `name` with the required `columns`, handing each row to `add`
/// with the header and the column indices. Returns every row's error, or
/// nothing when the whole file is valid.
pub fn load_table<const N: usize>(
    name: &str,
    input: impl Read,
    columns: [&str; N],
    mut add: impl FnMut(&[String], &TextRecord, &[Option<usize>; N]) -> Result<(), String>,
) -> Result<(), LoadErrors> {
    let mut source = CsvSource::open(name, input).map_err(|e| LoadErrors(vec![e]))?;
    let indices = source
        .columns(columns, N)
        .map_err(|e| LoadErrors(vec![e]))?;
    let mut errors = Vec::new();
    let mut record = TextRecord::default();
    loop {
        let line = match source.next_text_row(&mut record) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                // The stream itself failed: nothing after it can be read.
                errors.push(e);
                break;
            }
        };
        if let Err(detail) = add(&source.header, &record, &indices) {
            errors.push(LineError {
                file: name.to_owned(),
                line,
                detail,
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(LoadErrors(errors))
    }
}
