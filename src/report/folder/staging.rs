//! This run's staging folders, and what dead runs left.

use crate::report::lock::FolderLock;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The start of every staging folder's name.
pub(super) const STAGING_PREFIX: &str = ".creditsim-run-";

/// A locked folder and this run's staging folder in it.
#[derive(Debug)]
pub(super) struct Folder {
    pub(super) path: PathBuf,
    /// `path` canonicalized, to compare folders.
    pub(super) real: PathBuf,
    pub(super) staging: PathBuf,
    pub(super) _lock: FolderLock,
}

impl Folder {
    pub(super) fn open(path: &Path) -> io::Result<Self> {
        fs::create_dir_all(path)?;
        let real = path.canonicalize()?;
        let lock = FolderLock::acquire(path)?;
        remove_dead_runs(path)?;
        // Unique among this process's folders; other processes differ by
        // pid, and the lock keeps dead runs' names out of the way.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let staging = path.join(format!(
            "{STAGING_PREFIX}{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&staging)?;
        Ok(Folder {
            path: path.to_owned(),
            real,
            staging,
            _lock: lock,
        })
    }
}

/// Removes the staging folders and old-style temporary files of dead runs
/// (the caller holds the lock, so no live run owns them); nothing else.
fn remove_dead_runs(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let kind = entry.file_type()?;
        if kind.is_dir() && name.starts_with(STAGING_PREFIX) {
            fs::remove_dir_all(entry.path())?;
        } else if kind.is_file() && name.starts_with('.') && name.ends_with(".creditsim-tmp") {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// A staged file and where it is published.
#[derive(Debug)]
pub(super) struct Staged {
    pub(super) staged: PathBuf,
    pub(super) published: PathBuf,
    /// Its path in the manifest.
    pub(super) name: String,
    /// Whether it lives under the report folder (else under another
    /// locked folder, such as the journal's).
    pub(super) inside: bool,
}

/// For the crash tests only: with `CREDITSIM_TEST_PAUSE=POINT`, the run
/// says so on standard error and sleeps at POINT (`write`: a file staged;
/// `commit`: all written; `rename`: one published; `manifest`: all but the
/// manifest published) until killed.
pub(super) fn pause_point(point: &str) {
    if std::env::var_os("CREDITSIM_TEST_PAUSE").is_some_and(|p| p == point) {
        eprintln!("creditsim: paused before {point}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}
