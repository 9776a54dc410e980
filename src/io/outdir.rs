//! Output folders: claim a folder before writing into it.
//!
//! [`claim`] refuses a folder that already holds files (a previous run's results are
//! never written over by accident; `--force` allows it), and takes an exclusive lock so
//! that two feedsim processes never write into the same folder at once.
//!
//! The lock is `.feedsim.lock` in the folder, holding the owner's pid for messages. It is
//! an advisory OS lock (`flock` on Unix) on that file, not the file's existence: the OS
//! drops it when the owner exits in any way, even `kill -9`, so a lock left behind by a
//! crashed run is stale by construction and the next run simply takes it over. The file
//! is removed when the [`OutDir`] is dropped, and by [`release_all`] on a hard exit.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Name of the lock file inside a claimed folder.
pub const LOCK_FILE: &str = ".feedsim.lock";

/// Why a folder cannot be claimed. All but [`OutDirError::Io`] are the user's to fix.
#[derive(Debug, thiserror::Error)]
pub enum OutDirError {
    /// The folder holds files and `--force` was not given.
    #[error(
        "the output folder `{}` already holds {what}: add --force to write over it \
         (files of the same name are replaced, others are kept), or give another --out",
        dir.display()
    )]
    NotEmpty {
        /// The folder.
        dir: PathBuf,
        /// What it holds, for people: "a run of scenario `x`" or "files (a, b, ...)".
        what: String,
    },
    /// Another process holds the folder's lock.
    #[error(
        "another feedsim{} is writing into `{}` (lock file {}): wait for it to finish, or give another --out",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        dir.display(),
        LOCK_FILE
    )]
    Busy {
        /// The folder.
        dir: PathBuf,
        /// The owner's pid, when the lock file names one.
        pid: Option<u32>,
    },
    /// The path exists and is not a folder.
    #[error("the output path `{}` exists and is not a folder: give another --out", dir.display())]
    NotAFolder {
        /// The path.
        dir: PathBuf,
    },
    /// The folder or its lock file cannot be created or read. The message leaves the
    /// reason to `source` (printed by the error chain).
    #[error("cannot prepare the output folder `{}`", dir.display())]
    Io {
        /// The folder.
        dir: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl OutDirError {
    /// True when the user can fix it (exit code 2), false for I/O failures (exit 1).
    pub fn is_usage(&self) -> bool {
        !matches!(self, OutDirError::Io { .. })
    }
}

/// A claimed output folder: locked by this process until dropped.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    lock_path: PathBuf,
    lock: Option<File>,
    created: bool,
}

/// Lock files this process holds, for [`release_all`].
static HELD: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

impl OutDir {
    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        // Remove the file while still holding the lock, so no one locks a file that is
        // about to disappear (claimers re-check the path after locking anyway).
        if let Some(lock) = self.lock.take() {
            let _ = std::fs::remove_file(&self.lock_path);
            drop(lock);
        }
        if let Ok(mut held) = HELD.lock() {
            held.retain(|p| p != &self.lock_path);
        }
        if self.created {
            // Fails, as it should, when the run wrote anything.
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// Removes the lock files this process holds, and its temporary files in those folders
/// (`.NAME.PID.tmp`, an output or checkpoint being written): for an exit that skips
/// destructors (a second Ctrl-C). The OS releases the locks themselves at exit.
pub fn release_all() {
    let ours = format!(".{}.tmp", std::process::id());
    if let Ok(held) = HELD.lock() {
        for p in held.iter() {
            let _ = std::fs::remove_file(p);
            let Some(Ok(entries)) = p.parent().map(std::fs::read_dir) else { continue };
            for e in entries.flatten() {
                if e.file_name().to_str().is_some_and(|n| n.starts_with('.') && n.ends_with(&ours)) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

/// Claims `dir` for writing: creates it if missing, takes its lock, and refuses it if it
/// holds anything besides a lock file unless `force`. Nothing is created when it refuses
/// (except a folder that did not exist, which is removed again).
pub fn claim(dir: &Path, force: bool) -> Result<OutDir, OutDirError> {
    let io = |source| OutDirError::Io { dir: dir.to_path_buf(), source };
    if dir.exists() && !dir.is_dir() {
        return Err(OutDirError::NotAFolder { dir: dir.to_path_buf() });
    }
    // Refuse before creating anything when the folder is visibly in use or not empty.
    if dir.is_dir()
        && !force
        && let Some(what) = contents(dir).map_err(io)?
    {
        // A folder being written now is reported as busy, not as not empty.
        if let Some(pid) = live_owner(dir) {
            return Err(OutDirError::Busy { dir: dir.to_path_buf(), pid });
        }
        return Err(OutDirError::NotEmpty { dir: dir.to_path_buf(), what });
    }
    let created = !dir.exists();
    std::fs::create_dir_all(dir).map_err(io)?;
    let lock_path = dir.join(LOCK_FILE);
    let lock = lock(&lock_path).map_err(|e| {
        if created {
            let _ = std::fs::remove_dir(dir);
        }
        match e {
            LockError::Busy(pid) => OutDirError::Busy { dir: dir.to_path_buf(), pid },
            LockError::Io(source) => OutDirError::Io { dir: dir.to_path_buf(), source },
        }
    })?;
    let out = OutDir { dir: dir.to_path_buf(), lock_path, lock: Some(lock), created };
    if let Ok(mut held) = HELD.lock() {
        held.push(out.lock_path.clone());
    }
    // Check again under the lock: another run may have finished writing in between.
    if !force && let Some(what) = contents(dir).map_err(io)? {
        return Err(OutDirError::NotEmpty { dir: dir.to_path_buf(), what });
    }
    Ok(out)
}

enum LockError {
    Busy(Option<u32>),
    Io(std::io::Error),
}

/// Opens and locks the lock file, writes this pid into it. Retries when the file was
/// removed or replaced between opening and locking.
fn lock(path: &Path) -> Result<File, LockError> {
    for _ in 0..8 {
        let mut f =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(LockError::Io)?;
        match f.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(LockError::Busy(read_pid(&mut f))),
            Err(std::fs::TryLockError::Error(e)) => return Err(LockError::Io(e)),
        }
        // The owner removes the file before unlocking; if we locked a file that is no
        // longer at `path`, it belonged to a finished run: try again.
        if !same_file(&f, path) {
            continue;
        }
        f.set_len(0).map_err(LockError::Io)?;
        writeln!(f, "{}", std::process::id()).map_err(LockError::Io)?;
        f.flush().map_err(LockError::Io)?;
        return Ok(f);
    }
    Err(LockError::Io(std::io::Error::other("the lock file keeps changing")))
}

#[cfg(unix)]
fn same_file(f: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

fn read_pid(f: &mut File) -> Option<u32> {
    let mut s = String::new();
    f.read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

/// The pid of a live process holding `dir`'s lock (`Some(None)` when it names none).
fn live_owner(dir: &Path) -> Option<Option<u32>> {
    let mut f = OpenOptions::new().read(true).write(true).open(dir.join(LOCK_FILE)).ok()?;
    match f.try_lock() {
        // Nobody holds it: a stale file from a killed run. Dropping `f` unlocks.
        Ok(()) => None,
        Err(_) => Some(read_pid(&mut f)),
    }
}

/// What a folder holds besides a lock file, for a message; `None` when nothing.
fn contents(dir: &Path) -> std::io::Result<Option<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != LOCK_FILE)
        .collect();
    if names.is_empty() {
        return Ok(None);
    }
    names.sort();
    let previous = ["summary.json", "comparison.json", "sweep.json"].iter().find_map(|f| {
        let text = std::fs::read(dir.join(f)).ok()?;
        let v: serde_json::Value = serde_json::from_slice(&text).ok()?;
        let name = v.get("scenario")?.as_str()?.to_string();
        Some((*f, name, v.get("partial").and_then(|p| p.as_bool()).unwrap_or(false)))
    });
    let resume_run = format!(" (go on with `feedsim resume {}`)", dir.display());
    let resume_same = " (go on with the same command and --resume)";
    Ok(Some(match previous {
        Some(("summary.json", name, partial)) => {
            let hint = if dir.join(crate::io::checkpoint::FILE_NAME).exists() { resume_run.as_str() } else { "" };
            format!("{} run of scenario `{name}`{hint}", if partial { "an interrupted" } else { "a" })
        }
        Some(("sweep.json", name, partial)) => {
            format!(
                "{} sweep of scenario `{name}`{}",
                if partial { "an interrupted" } else { "a" },
                if partial { resume_same } else { "" }
            )
        }
        Some((_, name, _)) => format!("a comparison of scenario `{name}`"),
        None if dir.join("replicates").join("manifest.json").exists() => format!("an interrupted compare{resume_same}"),
        None if dir.join(crate::io::checkpoint::FILE_NAME).exists() => format!("a run's checkpoint{resume_run}"),
        None => {
            let more = names.len().saturating_sub(3);
            names.truncate(3);
            let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
            format!("files ({}{tail})", names.join(", "))
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_a_missing_folder_and_removes_it_if_nothing_was_written() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        let out = claim(&dir, false).unwrap();
        assert!(dir.join(LOCK_FILE).exists());
        drop(out);
        assert!(!dir.exists());
    }

    #[test]
    fn refuses_a_non_empty_folder_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("summary.json"), r#"{"scenario": "q", "partial": false}"#).unwrap();
        let err = claim(tmp.path(), false).unwrap_err();
        assert!(err.is_usage());
        let msg = err.to_string();
        assert!(msg.contains("a run of scenario `q`") && msg.contains("--force"), "{msg}");
        assert!(!tmp.path().join(LOCK_FILE).exists());
        let out = claim(tmp.path(), true).unwrap();
        drop(out);
        assert!(tmp.path().join("summary.json").exists(), "--force never deletes");
        assert!(!tmp.path().join(LOCK_FILE).exists());
    }

    #[test]
    fn a_held_folder_is_busy_and_a_stale_lock_file_is_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        let first = claim(tmp.path(), false).unwrap();
        match claim(tmp.path(), true) {
            Err(OutDirError::Busy { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected busy, got {other:?}"),
        }
        drop(first);
        // A lock file left by a killed run, unlocked: not busy, and not content either.
        std::fs::write(tmp.path().join(LOCK_FILE), "4000000\n").unwrap();
        let again = claim(tmp.path(), false).unwrap();
        drop(again);
        assert!(!tmp.path().join(LOCK_FILE).exists());
    }

    #[test]
    fn lists_foreign_files() {
        let tmp = tempfile::tempdir().unwrap();
        for n in ["a", "b", "c", "d"] {
            std::fs::write(tmp.path().join(n), "").unwrap();
        }
        let msg = claim(tmp.path(), false).unwrap_err().to_string();
        assert!(msg.contains("files (a, b, c and 1 more)"), "{msg}");
    }
}
