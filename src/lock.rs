//! One run at a time: an exclusive lock on a file, held for the whole run,
//! so a cron scan that overruns its interval is not joined by the next one
//! (which exits 75 instead of racing it to the baseline).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// A held lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// The lock file that guards a baseline.
pub fn path_for(baseline: &Path) -> PathBuf {
    let mut p = baseline.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// Take the lock on `path` (created if missing), or fail at once with
/// [`Error::Locked`] if another run holds it. Safe as root in a shared
/// directory: a symlink is refused (`O_NOFOLLOW`: its target is never
/// touched), so is anything but a regular file (a FIFO would block, a
/// device would be written), and a file the run did not create is never
/// truncated or written (the holder's pid goes only into a new file).
pub fn acquire(path: &Path) -> Result<Lock, Error> {
    use std::os::unix::fs::OpenOptionsExt;
    let refuse = |why: &str| Error::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("lock file {why}")),
    };
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    // a FIFO or device must not block or be opened for writing at all
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Err(refuse("is a symlink: refused")),
        Ok(m) if !m.is_file() => return Err(refuse("is not a regular file: refused")),
        _ => {}
    }
    let open = |create_new: bool| {
        OpenOptions::new()
            .write(true)
            .create_new(create_new)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
    };
    let (mut file, created) = match open(true) {
        Ok(f) => (f, true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => (
            open(false).map_err(|e| {
                if e.raw_os_error() == Some(libc::ELOOP) {
                    refuse("is a symlink: refused")
                } else {
                    wrap(e)
                }
            })?,
            false,
        ),
        Err(e) => return Err(wrap(e)),
    };
    // the file opened is the one checked (no swap between check and open)
    if !file.metadata().map_err(wrap)?.is_file() {
        return Err(refuse("is not a regular file: refused"));
    }
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(Error::Locked {
                path: path.to_path_buf(),
            })
        }
        Err(TryLockError::Error(e)) => return Err(wrap(e)),
    }
    // who holds it, for a person looking at the file: only in a file this
    // run created (an existing file's content is not ours to change)
    if created {
        let _ = writeln!(file, "{}", std::process::id());
    }
    Ok(Lock { _file: file })
}

/// A lock path that is also one of the run's inputs or outputs is refused
/// (locking would clobber or be clobbered by it). Paths compare by their
/// canonical directory and file name, so `./a/../x.json` is `x.json`.
pub fn check_distinct(lock: &Path, others: &[&Path]) -> Result<(), Error> {
    let key = |p: &Path| -> Option<PathBuf> {
        let name = p.file_name()?;
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Some(std::fs::canonicalize(dir).ok()?.join(name))
    };
    let mine = key(lock);
    for o in others {
        if key(o).is_some_and(|k| Some(&k) == mine.as_ref()) || *o == lock {
            return Err(Error::Usage(format!(
                "--lock '{}' is also an input or output of the run: use a file of its own",
                lock.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let d = tempfile::tempdir().unwrap();
        let p = path_for(&d.path().join("base.json"));
        assert!(p.ends_with("base.json.lock"));
        let first = acquire(&p).unwrap();
        assert!(matches!(acquire(&p), Err(Error::Locked { .. })));
        drop(first);
        assert!(acquire(&p).is_ok());
    }

    #[test]
    fn a_symlink_or_a_special_file_is_refused_and_left_alone() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("precious");
        std::fs::write(&target, "keep me\n").unwrap();
        let link = d.path().join("run.lock");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = acquire(&link).unwrap_err().to_string();
        assert!(e.contains("is a symlink"), "{e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
        // a dangling symlink is not followed to create its target
        let dangling = d.path().join("dangling.lock");
        std::os::unix::fs::symlink(d.path().join("nowhere"), &dangling).unwrap();
        assert!(acquire(&dangling).is_err());
        assert!(!d.path().join("nowhere").exists());
        // a directory, a FIFO: refused at once (a FIFO would block)
        assert!(acquire(d.path())
            .unwrap_err()
            .to_string()
            .contains("not a regular file"));
        let fifo = d.path().join("fifo.lock");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        assert!(acquire(&fifo)
            .unwrap_err()
            .to_string()
            .contains("not a regular file"));
    }

    #[test]
    fn an_existing_file_is_locked_but_never_truncated() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("shared.lock");
        std::fs::write(&p, "someone else's content\n").unwrap();
        let held = acquire(&p).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "someone else's content\n"
        );
        drop(held);
        // a file the run created gets the holder's pid
        let fresh = d.path().join("fresh.lock");
        let _held = acquire(&fresh).unwrap();
        assert_eq!(
            std::fs::read_to_string(&fresh).unwrap().trim(),
            std::process::id().to_string()
        );
    }

    #[test]
    fn a_lock_path_that_is_an_input_or_output_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("scan.json");
        let same = d.path().join("sub/../scan.json");
        std::fs::create_dir(d.path().join("sub")).unwrap();
        assert!(check_distinct(&same, &[&out]).is_err());
        assert!(check_distinct(&out, &[&out]).is_err());
        assert!(check_distinct(&d.path().join("run.lock"), &[&out]).is_ok());
    }
}
