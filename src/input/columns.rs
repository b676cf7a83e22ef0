//! The columns of an events file, shared by every source (CSV, JSON Lines,
//! Arrow) and by the parser of their rows.

/// Column names of an events file; the first three are required.
pub const EVENT_COLUMNS: [&str; 8] = [
    "time",
    "account",
    "event",
    "plan",
    "provider",
    "operation",
    "task",
    "credits",
];

/// A row read from a source: its position (line or row number), and what
/// made it malformed before its fields could be checked (a line that is
/// not JSON, a value of the wrong JSON type), if anything.
pub(crate) type SourceRow = (u64, Option<String>);

/// The column names of a source whose rows come as
/// [`EVENT_COLUMNS`], in that order.
pub(crate) fn event_header() -> Vec<String> {
    EVENT_COLUMNS.iter().map(|&c| c.to_owned()).collect()
}

/// Each of the 8 event columns at its own index.
pub(crate) const IN_ORDER: [Option<usize>; 8] = [
    Some(0),
    Some(1),
    Some(2),
    Some(3),
    Some(4),
    Some(5),
    Some(6),
    Some(7),
];
