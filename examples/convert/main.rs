//! Converts an events CSV to JSON Lines or Parquet, for trying the other
//! input formats and for measuring them (benches/README.md):
//!
//! ```text
//! cargo run --release --example convert -- --to jsonl events.csv events.jsonl
//! cargo run --release --example convert -- --to parquet --typed events.csv events.parquet
//! ```
//!
//! Every row keeps its physical line in JSON Lines (blank lines stand for
//! the header and the lines of multi-line rows), so `rejections.csv`
//! lines agree with the CSV's; in Parquet a row's position is its row
//! number.

mod convert;

use clap::Parser;
use convert::Target;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;

/// Converts an events CSV to JSON Lines or Parquet.
#[derive(Parser)]
struct Args {
    /// jsonl or parquet.
    #[arg(long)]
    to: String,
    /// Parquet: `time` as a UTC timestamp (nanoseconds) and `credits` as
    /// UInt64; every time must then parse. Default: every column strings.
    #[arg(long)]
    typed: bool,
    /// Parquet: rows per row group.
    #[arg(long, default_value_t = 1 << 20)]
    group_rows: usize,
    /// The events CSV.
    input: PathBuf,
    /// The file to write.
    output: PathBuf,
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let target = match args.to.as_str() {
        "jsonl" => Target::JsonLines,
        "parquet" => Target::Parquet {
            typed: args.typed,
            group_rows: args.group_rows,
        },
        other => return Err(format!("--to {other}: expected jsonl or parquet")),
    };
    let shown = |path: &PathBuf, e: std::io::Error| format!("{}: {e}", path.display());
    let input = File::open(&args.input).map_err(|e| shown(&args.input, e))?;
    let output = File::create(&args.output).map_err(|e| shown(&args.output, e))?;
    let converted = convert::convert(BufReader::new(input), target, BufWriter::new(output))?;
    if !converted.odd_lines.is_empty() {
        let odd = &converted.odd_lines;
        eprintln!("rows whose field count differs from the header's: lines {odd:?}");
    }
    Ok(())
}
