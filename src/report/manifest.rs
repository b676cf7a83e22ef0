//! `manifest.json`: which run a report folder holds, written last.
//!
//! ```json
//! {
//!   "creditsim_version": "0.1.0",
//!   "arguments": ["replay", "--plans", "plans.csv", "--out", "cc", "july.csv"],
//!   "inputs": [{"path": "plans.csv", "size": 52, "xxh3_64": "6f1d0d8b2a3c4e5f"}],
//!   "counts": {"rows": 3, "accepted": 3, "rejected": 0, "skipped": 0, "accounts": 1},
//!   "files": [{"path": "balances.csv", "size": 61, "lines": 2, "xxh3_64": "..."}]
//! }
//! ```
//!
//! `xxh3_64` is the 64-bit XXH3 hash (seed 0) of the file's bytes as 16
//! lowercase hex digits: fast (several GB/s), for telling files apart, not
//! against tampering. `lines` counts LF bytes. An input read from standard
//! input has path `-` and no size or hash. `files` lists every file of the
//! run: paths inside the folder are relative to it, others (a `--journal`
//! or `--html` pages elsewhere) absolute. The manifest holds no time or
//! process id, so the same run gives the same bytes.

use serde::Serialize;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use xxhash_rust::xxh3::Xxh3;

/// The manifest's file name in a report folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What a run records about itself.
#[derive(Debug, Serialize)]
pub struct Manifest {
    creditsim_version: &'static str,
    /// The command-line arguments after the program name.
    pub arguments: Vec<String>,
    inputs: Vec<InputFile>,
    counts: serde_json::Map<String, serde_json::Value>,
    files: Vec<FileRecord>,
}

#[derive(Debug, Serialize)]
struct InputFile {
    path: String,
    size: Option<u64>,
    xxh3_64: Option<String>,
}

/// One written file: its size, line count and hash.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct FileRecord {
    /// Relative to the report folder, or absolute when outside it.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// LF bytes.
    pub lines: u64,
    /// XXH3-64 as 16 lowercase hex digits.
    pub xxh3_64: String,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            creditsim_version: env!("CARGO_PKG_VERSION"),
            arguments: Vec::new(),
            inputs: Vec::new(),
            counts: serde_json::Map::new(),
            files: Vec::new(),
        }
    }
}

impl Manifest {
    /// Records an input file (`-` for standard input); it is read again
    /// for its size and hash when the run commits, beside the reports.
    pub fn add_input(&mut self, path: &str) {
        self.inputs.push(InputFile {
            path: path.to_owned(),
            size: None,
            xxh3_64: None,
        });
    }

    /// Records a count, such as `rows`, in the order given.
    pub fn add_count(&mut self, name: &str, value: u64) {
        self.counts.insert(name.to_owned(), value.into());
    }

    /// Hashes the inputs and the run's `files` (staged path, recorded
    /// name), on up to two threads: at 1M rows reading some 120 MB again
    /// one file after another added 7 % to the run.
    pub(crate) fn hash_inputs_and_files(&mut self, files: &[(&Path, &str)]) -> io::Result<()> {
        let inputs: Vec<(&Path, &str)> = self
            .inputs
            .iter()
            .filter(|input| input.path != "-")
            .map(|input| (Path::new(&input.path), input.path.as_str()))
            .collect();
        let jobs: Vec<(&Path, &str)> = inputs.iter().chain(files).copied().collect();
        let mut records = hash_in_parallel(&jobs)?.into_iter();
        let hashed_inputs: Vec<FileRecord> = records.by_ref().take(inputs.len()).collect();
        let mut hashed_inputs = hashed_inputs.into_iter();
        for input in self.inputs.iter_mut().filter(|input| input.path != "-") {
            if let Some(record) = hashed_inputs.next() {
                input.size = Some(record.size);
                input.xxh3_64 = Some(record.xxh3_64);
            }
        }
        self.files = records.collect();
        Ok(())
    }

    /// The manifest as pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// Reads `path` once for its size, line count and XXH3-64; `name` is the
/// path recorded.
///
/// # Errors
///
/// The I/O error of opening or reading `path`.
pub fn hash_file(path: &Path, name: &str) -> io::Result<FileRecord> {
    let mut file = File::open(path)?;
    let mut hasher = Xxh3::new();
    let mut buffer = vec![0u8; 1 << 16];
    let (mut size, mut lines) = (0u64, 0u64);
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buffer[..read];
        hasher.update(chunk);
        size += read as u64;
        lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
    }
    Ok(FileRecord {
        path: name.to_owned(),
        size,
        lines,
        xxh3_64: format!("{:016x}", hasher.digest()),
    })
}

/// [`hash_file`] of every `(path, name)`, in the order given, the largest
/// files first across two workers so that neither waits long on the other.
fn hash_in_parallel(jobs: &[(&Path, &str)]) -> io::Result<Vec<FileRecord>> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    let size = |i: &usize| std::fs::metadata(jobs[*i].0).map_or(0, |m| m.len());
    order.sort_by_key(|i| std::cmp::Reverse(size(i)));
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            done.push((i, hash_file(jobs[i].0, jobs[i].1)));
        }
        done
    };
    let mut results: Vec<Option<io::Result<FileRecord>>> = (0..jobs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let other = scope.spawn(work);
        let mine = work();
        let theirs = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        for (i, result) in mine.into_iter().chain(theirs) {
            results[i] = Some(result);
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(io::Error::other("file not hashed"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_the_xxh3_reference_values() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        // XXH3-64 of no bytes, seed 0, from the reference implementation.
        assert_eq!(
            hash_file(&empty, "empty").unwrap(),
            FileRecord {
                path: "empty".into(),
                size: 0,
                lines: 0,
                xxh3_64: "2d06800538d394c2".into()
            }
        );
        let two = dir.path().join("two");
        std::fs::write(&two, b"a\nb\n").unwrap();
        let record = hash_file(&two, "two").unwrap();
        assert_eq!((record.size, record.lines), (4, 2));
    }
}
