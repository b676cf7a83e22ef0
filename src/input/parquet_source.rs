//! Reading an events file in Apache Parquet: its row groups are decoded
//! in record batches of [`BATCH_ROWS`] rows, only the event columns, and
//! read as [`ArrowRows`] (the rules are there).

use super::arrow_rows::ArrowRows;
use super::columns::EVENT_COLUMNS;
use super::LineError;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use std::fs::File;

/// Rows per record batch: large enough that the per-batch work is small
/// against the rows', small enough to stay in cache.
pub const BATCH_ROWS: usize = 8192;

/// Opens the Parquet file `file`, named `name`. A file that is not Parquet
/// or whose columns do not fit is an error about the whole file.
pub fn open_parquet(name: &str, file: File) -> Result<ArrowRows, LineError> {
    let whole = |detail: String| LineError {
        file: name.to_owned(),
        line: 0,
        detail,
    };
    let bytes = file
        .metadata()
        .map_err(|e| whole(format!("cannot read: {e}")))?
        .len();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| whole(format!("cannot read as Parquet: {e}")))?;
    let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let schema = builder.schema().clone();
    let wanted = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| EVENT_COLUMNS.contains(&f.name().as_str()))
        .map(|(i, _)| i);
    let mask = ProjectionMask::roots(builder.parquet_schema(), wanted);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| whole(format!("cannot read as Parquet: {e}")))?;
    ArrowRows::new(name, &schema, Box::new(reader), Some((rows, bytes)))
}
