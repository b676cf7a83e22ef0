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

mod publish;
mod staging;
mod whole_folder;

use super::manifest::{Manifest, MANIFEST_FILE};
use staging::{pause_point, Folder, Staged, STAGING_PREFIX};
use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Component, Path, PathBuf};
use whole_folder::StagedFolder;

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
        let (parent, parent_real) = parent_of(path)?;
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

/// The folder `path` is in (`.` for a bare name), created if missing,
/// and its canonical path.
fn parent_of(path: &Path) -> io::Result<(&Path, PathBuf)> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent)?;
    let real = parent.canonicalize()?;
    Ok((parent, real))
}
