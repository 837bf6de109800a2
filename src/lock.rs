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
/// [`Error::Locked`] if another run holds it.
pub fn acquire(path: &Path) -> Result<Lock, Error> {
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(wrap)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(Error::Locked {
                path: path.to_path_buf(),
            })
        }
        Err(TryLockError::Error(e)) => return Err(wrap(e)),
    }
    // who holds it, for a person looking at the file
    let _ = file
        .set_len(0)
        .and_then(|()| writeln!(file, "{}", std::process::id()));
    Ok(Lock { _file: file })
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
}
