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
//!
//! A folder of many files (the `--html` report) is staged whole instead
//! ([`ReportDir::open_folder`]), in the staging folder of its parent, and
//! published by renaming the old folder aside and the new one into place,
//! with the files, before the manifest: so it too holds one run's pages,
//! never a mix of two runs or a half-written set.

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
    /// `path` canonicalized, to compare folders.
    real: PathBuf,
    staging: PathBuf,
    _lock: FolderLock,
}

impl Folder {
    fn open(path: &Path) -> io::Result<Self> {
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
struct Staged {
    staged: PathBuf,
    published: PathBuf,
    /// Its path in the manifest.
    name: String,
    /// Whether it lives under the report folder (else under another
    /// locked folder, such as the journal's).
    inside: bool,
}

/// A folder staged whole (such as `--html`) and where it is published.
#[derive(Debug)]
struct StagedFolder {
    staged: PathBuf,
    /// Its canonical parent joined with its name.
    published: PathBuf,
    /// Where the folder it replaces is moved first: in the same staging
    /// folder, so removed with it.
    aside: PathBuf,
    /// The start of its files' paths in the manifest.
    name: String,
    /// The names of the files an existing folder may hold to be replaced.
    replaceable: fn(&str) -> bool,
}

/// The output folder of one run: open files by name, then commit them all
/// at once; dropping it without committing publishes nothing.
#[derive(Debug)]
pub struct ReportDir {
    out: Folder,
    others: Vec<Folder>,
    staged: Vec<Staged>,
    folders: Vec<StagedFolder>,
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
            folders: Vec::new(),
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
        if parent_real == self.out.real {
            let name = file_name.to_str().ok_or_else(not_a_file)?.to_owned();
            return self.open(&name);
        }
        let staged = self
            .folder_of(parent, &parent_real)?
            .staging
            .join(file_name);
        self.stage(staged, absolute, name, false)
    }

    /// The locked folder `parent` (canonically `real`): the report folder,
    /// one locked before, or a newly locked one.
    fn folder_of(&mut self, parent: &Path, real: &Path) -> io::Result<&Folder> {
        if real == self.out.real {
            return Ok(&self.out);
        }
        let index = match self.others.iter().position(|f| f.real == real) {
            Some(index) => index,
            None => {
                self.others.push(Folder::open(parent)?);
                self.others.len() - 1
            }
        };
        Ok(&self.others[index])
    }

    /// Stages the folder `path`, published whole when the run commits
    /// (such as the `--html` report), and returns where to write its
    /// files. At commit the folder at `path`, if any, is moved aside and
    /// the staged one renamed into its place: `path` holds the old set or
    /// the new one, never a mix (and, for a crash between those two
    /// renames, none). An existing folder is replaced only if it holds
    /// nothing but files whose names `replaceable` accepts (such as pages
    /// of an earlier run), so that a mistyped path cannot delete other
    /// files; it must not hold any other folder or file of the run. Its
    /// parent is created if missing and locked too. Its files are listed
    /// in the manifest: relative to the report folder when inside it,
    /// absolute otherwise.
    ///
    /// # Errors
    ///
    /// Errors of the arguments (a folder holding other files, or the
    /// report folder itself) have kind [`io::ErrorKind::InvalidInput`];
    /// the others are the I/O errors of creating, locking or cleaning the
    /// folders.
    pub fn open_folder(
        &mut self,
        path: &Path,
        replaceable: fn(&str) -> bool,
    ) -> io::Result<PathBuf> {
        let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
        let Some(Component::Normal(file_name)) = path.components().next_back() else {
            return Err(invalid("not a folder name".into()));
        };
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        fs::create_dir_all(parent)?;
        let parent_real = parent.canonicalize()?;
        let published = parent_real.join(file_name);
        let inside = |p: &Path| p.starts_with(&published);
        let holds_run = inside(&self.out.real)
            || self.others.iter().any(|f| inside(&f.real))
            || self.staged.iter().any(|s| inside(&self.real_of(s)))
            || self
                .folders
                .iter()
                .any(|f| inside(&f.published) || f.published.starts_with(&published));
        if holds_run {
            return Err(invalid(
                "would hold another folder or file of this run; give a folder of its own".into(),
            ));
        }
        check_replaceable(&published, replaceable)?;
        let name = match published.strip_prefix(&self.out.real) {
            Ok(relative) => relative.to_string_lossy().replace('\\', "/"),
            Err(_) => published.display().to_string(),
        };
        let staging = self.folder_of(parent, &parent_real)?.staging.clone();
        let staged = staging.join(".folders").join(file_name);
        fs::create_dir_all(&staged)?;
        self.folders.push(StagedFolder {
            staged: staged.clone(),
            published,
            aside: staging.join(".replaced").join(file_name),
            name,
            replaceable,
        });
        Ok(staged)
    }

    /// Where a staged file is published, canonically.
    fn real_of(&self, staged: &Staged) -> PathBuf {
        if staged.inside {
            self.out.real.join(&staged.name)
        } else {
            staged.published.clone()
        }
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
        let real = if inside {
            self.out.real.join(&name)
        } else {
            published.clone()
        };
        if self.folders.iter().any(|f| real.starts_with(&f.published)) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name}: inside a folder published whole"),
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
        let mut folder_files = Vec::new();
        for folder in &self.folders {
            files_under(&folder.staged, &folder.name, &mut folder_files)?;
        }
        let files: Vec<(&Path, &str)> = self
            .staged
            .iter()
            .map(|s| (s.staged.as_path(), s.name.as_str()))
            .chain(folder_files.iter().map(|(p, n)| (p.as_path(), n.as_str())))
            .collect();
        self.manifest.hash_inputs_and_files(&files)?;
        for folder in &self.folders {
            check_replaceable(&folder.published, folder.replaceable)?;
        }
        let kept: std::collections::BTreeSet<&str> = self
            .staged
            .iter()
            .filter(|s| s.inside)
            .map(|s| s.name.as_str())
            .chain(folder_files.iter().map(|(_, n)| n.as_str()))
            .collect();
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
        for folder in &self.folders {
            if fs::symlink_metadata(&folder.published).is_ok() {
                if let Some(parent) = folder.aside.parent() {
                    fs::create_dir_all(parent)?;
                }
                fs::rename(&folder.published, &folder.aside)?;
            }
            fs::rename(&folder.staged, &folder.published)?;
        }
        for old in old_files {
            if !kept.contains(old.as_str()) {
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

/// Fails unless `folder` is missing or holds only files whose names
/// `replaceable` accepts.
fn check_replaceable(folder: &Path, replaceable: fn(&str) -> bool) -> io::Result<()> {
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    match fs::symlink_metadata(folder) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
        Ok(meta) if !meta.is_dir() => return Err(invalid("is a file, not a folder".into())),
        Ok(_) => {}
    }
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name();
        if !(entry.file_type()?.is_file() && name.to_str().is_some_and(replaceable)) {
            return Err(invalid(format!(
                "holds {}, which this report does not write; give a new or empty folder",
                name.to_string_lossy()
            )));
        }
    }
    Ok(())
}

/// Every file under `root`, sorted by path, as `(path, NAME/relative path)`.
fn files_under(root: &Path, name: &str, out: &mut Vec<(PathBuf, String)>) -> io::Result<()> {
    let mut entries = fs::read_dir(root)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let child = format!("{name}/{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            files_under(&entry.path(), &child, out)?;
        } else {
            out.push((entry.path(), child));
        }
    }
    Ok(())
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
