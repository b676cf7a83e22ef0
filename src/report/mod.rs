//! Writing the five reports of a replay (RULES.md section 8), atomically:
//! every report is written to a temporary file in the output folder and
//! renamed into place only when the whole replay has succeeded, so a
//! failed run leaves no report file behind.

pub mod balances;
pub mod cells;
pub mod journal;
pub mod ledger;
pub mod rejections;
pub mod statements;
pub mod summary;
mod text;

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// The names of the report files, in the order they are listed to users.
pub const REPORT_FILES: [&str; 5] = [
    "balances.csv",
    "ledger.csv",
    "statements.csv",
    "rejections.csv",
    "summary.json",
];

/// A CSV writer with the reports' dialect: LF line ends, quotes only where
/// needed.
pub fn csv_writer<W: io::Write>(output: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(output)
}

/// The output folder of one run and the temporary files being written.
#[derive(Debug)]
pub struct ReportDir {
    dir: PathBuf,
    pending: Vec<(PathBuf, PathBuf)>,
}

impl ReportDir {
    /// Creates the folder if missing.
    pub fn create(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        Ok(ReportDir {
            dir: dir.to_owned(),
            pending: Vec::new(),
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Opens the temporary file of report `name`.
    pub fn open(&mut self, name: &str) -> io::Result<BufWriter<File>> {
        let final_path = self.dir.join(name);
        let temp_path = self.dir.join(format!(".{name}.creditsim-tmp"));
        let file = File::create(&temp_path)?;
        self.pending.push((temp_path, final_path));
        Ok(BufWriter::with_capacity(1 << 16, file))
    }

    /// Renames every temporary file into place.
    pub fn commit(mut self) -> io::Result<()> {
        for (temp, final_path) in std::mem::take(&mut self.pending) {
            fs::rename(&temp, &final_path)?;
        }
        Ok(())
    }
}

impl Drop for ReportDir {
    /// A run that did not commit removes its temporary files.
    fn drop(&mut self) {
        for (temp, _) in &self.pending {
            let _ = fs::remove_file(temp);
        }
    }
}
