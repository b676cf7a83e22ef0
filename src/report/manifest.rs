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
//! elsewhere) absolute. The manifest holds no time or
//! process id, so the same run gives the same bytes.

use serde::Serialize;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
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
    /// Records an input file (`-` for standard input) by reading it again.
    pub fn add_input(&mut self, path: &str) -> io::Result<()> {
        let (size, xxh3_64) = if path == "-" {
            (None, None)
        } else {
            let record = hash_file(Path::new(path), path)?;
            (Some(record.size), Some(record.xxh3_64))
        };
        self.inputs.push(InputFile {
            path: path.to_owned(),
            size,
            xxh3_64,
        });
        Ok(())
    }

    /// Records a count, such as `rows`, in the order given.
    pub fn add_count(&mut self, name: &str, value: u64) {
        self.counts.insert(name.to_owned(), value.into());
    }

    pub(crate) fn set_files(&mut self, files: Vec<FileRecord>) {
        self.files = files;
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
