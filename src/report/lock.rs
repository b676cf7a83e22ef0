//! One writer per folder: an exclusive OS lock (`flock` on Unix, `LockFileEx`
//! on Windows) on `DIR/.creditsim.lock`, held for the whole run.
//!
//! The kernel drops the lock when the process ends, however it ends, so a
//! crashed run never leaves a folder locked; the file itself stays (removing
//! a lock file while another process opens it would let two runs lock two
//! different files). A second run fails at once instead of waiting: a run
//! can lock two folders (`--out` and the `--journal` folder), and failing at
//! once can never deadlock two runs that lock them in opposite orders.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::Path;

/// The name of the lock file in a locked folder.
pub const LOCK_FILE: &str = ".creditsim.lock";

/// An exclusive lock on a folder, released when dropped.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

impl FolderLock {
    /// Locks `dir` or fails at once with `another creditsim run is writing
    /// here (pid N)`, N read from the lock file (`unknown` when the other run
    /// has not written it yet).
    pub fn acquire(dir: &Path) -> io::Result<Self> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(LOCK_FILE))?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                let pid = holder_pid(&mut file);
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!("another creditsim run is writing here (pid {pid})"),
                ));
            }
            Err(fs4::TryLockError::Error(e)) => return Err(e),
        }
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", std::process::id())?;
        Ok(FolderLock { _file: file })
    }
}

/// The pid the holder writes just after locking: waits up to a tenth of a
/// second for it, since the holder may have locked but not yet written.
fn holder_pid(file: &mut File) -> String {
    for _ in 0..20 {
        let mut holder = String::new();
        let read = file
            .rewind()
            .and_then(|()| file.read_to_string(&mut holder));
        if read.is_ok() && holder.ends_with('\n') {
            return holder.trim().to_owned();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    "unknown".to_owned()
}
