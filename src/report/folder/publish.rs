//! Publishing a run: every staged file and folder renamed into place,
//! then `manifest.json`.

use super::staging::pause_point;
use super::whole_folder::{check_replaceable, files_under};
use super::ReportDir;
use crate::report::manifest::MANIFEST_FILE;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Component, Path};

impl ReportDir {
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
