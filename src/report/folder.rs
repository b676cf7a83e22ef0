//! One run, one set: [`ReportDir`] writes every file of a run into staging
//! folders named for the run and publishes them together.
//!
//! A run locks its folder ([`FolderLock`]), removes what dead runs left
//! there (folders `.creditsim-run-*`, and files `.*.creditsim-tmp` of
//! creditsim 0.1), and writes each file into `DIR/.creditsim-run-<pid>-<n>/`.
//! Committing then, under the lock: hashes the staged files, removes the old
//! `manifest.json`, renames every staged file into place (and removes the
//! files of the old manifest that the new set lacks), and writes the new
//! `manifest.json` last. So a folder holding `manifest.json` holds exactly
//! the set it lists; a run that fails or dies before publishing leaves the
//! previous set and its manifest untouched; one that dies during the
//! renames (a few renames long) leaves no manifest. Files stay on one file
//! system, so every rename is atomic; a symlink swapped to a versioned
//! sub-folder would publish in one step but would change the paths the
//! reports are read at.

use super::lock::FolderLock;
use super::manifest::{Manifest, MANIFEST_FILE};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The start of every staging folder's name.
const STAGING_PREFIX: &str = ".creditsim-run-";

/// A locked folder and this run's staging folder in it.
#[derive(Debug)]
struct Folder {
    path: PathBuf,
    staging: PathBuf,
    _lock: FolderLock,
}

impl Folder {
    fn open(path: &Path) -> io::Result<Self> {
        fs::create_dir_all(path)?;
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
struct Staged {
    staged: PathBuf,
    published: PathBuf,
    /// Its path in the manifest.
    name: String,
    /// Whether it lives under the report folder (else under another
    /// locked folder, such as the journal's).
    inside: bool,
}

/// The output folder of one run: open files by name, then commit them all
/// at once; dropping it without committing publishes nothing.
#[derive(Debug)]
pub struct ReportDir {
    out: Folder,
    others: Vec<Folder>,
    staged: Vec<Staged>,
    manifest: Manifest,
}

impl ReportDir {
    /// Creates the folder if missing, locks it (failing at once if another
    /// run holds it) and removes what dead runs left in it.
    ///
    /// # Errors
    ///
    /// The I/O error of creating or locking the folder, or of removing a dead
    /// run's files; locking fails at once when another run holds the folder.
    pub fn create(dir: &Path) -> io::Result<Self> {
        Ok(ReportDir {
            out: Folder::open(dir)?,
            others: Vec::new(),
            staged: Vec::new(),
            manifest: Manifest::default(),
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.out.path
    }

    /// The manifest to be written, for the caller's arguments, inputs and
    /// counts.
    pub fn manifest_mut(&mut self) -> &mut Manifest {
        &mut self.manifest
    }

    /// Opens the staged file of report `name`, a relative path such as
    /// `ledger.csv` or `baseline/ledger.csv`.
    ///
    /// # Errors
    ///
    /// The I/O error of creating the staged file.
    pub fn open(&mut self, name: &str) -> io::Result<BufWriter<File>> {
        let relative = Path::new(name);
        let plain = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if !plain || name.is_empty() || name == MANIFEST_FILE || name.starts_with(STAGING_PREFIX) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name}: not a report name"),
            ));
        }
        let staged = self.out.staging.join(relative);
        let published = self.out.path.join(relative);
        self.stage(staged, published, name.to_owned(), true)
    }

    /// Opens the staged file of `path`, a file published with the set but
    /// possibly outside the folder (such as `--journal`); its folder is
    /// created if missing and locked too.
    ///
    /// # Errors
    ///
    /// The I/O error of creating the staged file or its folder, or of locking
    /// that folder.
    pub fn open_outside(&mut self, path: &Path) -> io::Result<BufWriter<File>> {
        let not_a_file = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: not a file name", path.display()),
            )
        };
        let file_name = path.file_name().ok_or_else(not_a_file)?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        fs::create_dir_all(parent)?;
        let parent_real = parent.canonicalize()?;
        let absolute = parent_real.join(file_name);
        let name = absolute.display().to_string();
        if parent_real == self.out.path.canonicalize()? {
            let name = file_name.to_str().ok_or_else(not_a_file)?.to_owned();
            return self.open(&name);
        }
        let index = match self
            .others
            .iter()
            .position(|f| f.path.canonicalize().ok().as_ref() == Some(&parent_real))
        {
            Some(index) => index,
            None => {
                self.others.push(Folder::open(parent)?);
                self.others.len() - 1
            }
        };
        let staged = self.others[index].staging.join(file_name);
        self.stage(staged, absolute, name, false)
    }

    fn stage(
        &mut self,
        staged: PathBuf,
        published: PathBuf,
        name: String,
        inside: bool,
    ) -> io::Result<BufWriter<File>> {
        if self.staged.iter().any(|s| s.published == published) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{name}: opened twice"),
            ));
        }
        if let Some(parent) = staged.parent() {
            fs::create_dir_all(parent)?;
        }
        let file = File::create(&staged)?;
        pause_point("write");
        self.staged.push(Staged {
            staged,
            published,
            name,
            inside,
        });
        Ok(BufWriter::with_capacity(1 << 16, file))
    }

    /// A folder for this run's temporary files (such as the sorted runs of
    /// `statements.csv`), created if missing: inside the staging folder, so
    /// on the output's file system, never published, and removed with the
    /// staging folder whether the run succeeds or not.
    ///
    /// # Errors
    ///
    /// The I/O error of creating the folder.
    pub fn scratch(&self) -> io::Result<PathBuf> {
        let scratch = self.out.staging.join("scratch");
        fs::create_dir_all(&scratch)?;
        Ok(scratch)
    }

    /// Publishes every opened file (which the caller has flushed and
    /// closed) and then `manifest.json`.
    ///
    /// # Errors
    ///
    /// The I/O error of hashing a file, writing `manifest.json` or renaming a
    /// file into place; files already renamed stay published and the manifest
    /// is not written.
    pub fn commit(mut self) -> io::Result<()> {
        pause_point("commit");
        let files: Vec<(&Path, &str)> = self
            .staged
            .iter()
            .map(|s| (s.staged.as_path(), s.name.as_str()))
            .collect();
        self.manifest.hash_inputs_and_files(&files)?;
        let old_files = old_manifest_files(&self.out.path);
        let manifest_staged = self.out.staging.join(MANIFEST_FILE);
        write_synced(&manifest_staged, &self.manifest.to_json())?;
        remove_if_present(&self.out.path.join(MANIFEST_FILE))?;
        sync_dir(&self.out.path)?;
        for (i, staged) in self.staged.iter().enumerate() {
            if let Some(parent) = staged.published.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(&staged.staged, &staged.published)?;
            if i == 0 {
                pause_point("rename");
            }
        }
        for old in old_files {
            if !self.staged.iter().any(|s| s.inside && s.name == old) {
                remove_if_present(&self.out.path.join(old))?;
            }
        }
        for folder in &self.others {
            sync_dir(&folder.path)?;
        }
        pause_point("manifest");
        fs::rename(&manifest_staged, self.out.path.join(MANIFEST_FILE))?;
        sync_dir(&self.out.path)?;
        Ok(())
    }
}

impl Drop for ReportDir {
    /// Removes the staging folders: after a commit they hold at most empty
    /// sub-folders, before one the whole unpublished set.
    fn drop(&mut self) {
        for folder in std::iter::once(&self.out).chain(&self.others) {
            let _ = fs::remove_dir_all(&folder.staging);
        }
    }
}

/// The report paths listed by the folder's current manifest, when it is
/// readable: only plain relative paths, so that a hand-edited manifest
/// cannot make a run remove files elsewhere.
fn old_manifest_files(dir: &Path) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Old {
        files: Vec<OldFile>,
    }
    #[derive(serde::Deserialize)]
    struct OldFile {
        path: String,
    }
    let Ok(bytes) = fs::read(dir.join(MANIFEST_FILE)) else {
        return Vec::new();
    };
    let Ok(old) = serde_json::from_slice::<Old>(&bytes) else {
        return Vec::new();
    };
    old.files
        .into_iter()
        .map(|f| f.path)
        .filter(|p| {
            Path::new(p)
                .components()
                .all(|c| matches!(c, Component::Normal(_)))
        })
        .collect()
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Makes the folder's renames durable (a no-op where folders cannot be
/// opened as files).
fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir) {
        Ok(handle) => handle.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

/// For the crash tests only: with `CREDITSIM_TEST_PAUSE=POINT`, the run
/// says so on standard error and sleeps at POINT (`write`: a file staged;
/// `commit`: all written; `rename`: one published; `manifest`: all but the
/// manifest published) until killed.
fn pause_point(point: &str) {
    if std::env::var_os("CREDITSIM_TEST_PAUSE").is_some_and(|p| p == point) {
        eprintln!("creditsim: paused before {point}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}
