//! A folder staged whole (the `--html` report): staged in its parent's
//! staging folder and published by renaming the old folder aside and the
//! new one into place.

use super::staging::Staged;
use super::ReportDir;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// A folder staged whole (such as `--html`) and where it is published.
#[derive(Debug)]
pub(super) struct StagedFolder {
    pub(super) staged: PathBuf,
    /// Its canonical parent joined with its name.
    pub(super) published: PathBuf,
    /// Where the folder it replaces is moved first: in the same staging
    /// folder, so removed with it.
    pub(super) aside: PathBuf,
    /// The start of its files' paths in the manifest.
    pub(super) name: String,
    /// The names of the files an existing folder may hold to be replaced.
    pub(super) replaceable: fn(&str) -> bool,
}

impl ReportDir {
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
        let (parent, parent_real) = super::parent_of(path)?;
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
}

/// Fails unless `folder` is missing or holds only files whose names
/// `replaceable` accepts.
pub(super) fn check_replaceable(folder: &Path, replaceable: fn(&str) -> bool) -> io::Result<()> {
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
pub(super) fn files_under(
    root: &Path,
    name: &str,
    out: &mut Vec<(PathBuf, String)>,
) -> io::Result<()> {
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
