//! Writing result files: atomically (temp file in the same directory, then
//! rename), so a crash or a failed run never leaves a truncated file or
//! clobbers the previous one.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::Error;

/// Write `contents` to `path` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), Error> {
    write_atomic_with(path, &mut |w| w.write_all(contents))
}

/// Write what `fill` writes to `path` atomically, streamed through a
/// buffer (a big scan file is never held in memory whole a second time).
pub fn write_atomic_with(
    path: &Path,
    fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".netcensus-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(wrap)?;
    // the file gets the mode it had, or what the umask gives a new file
    // (a temporary file is 0600: a report for the team would stay root's)
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode_for(path)))
        .map_err(wrap)?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        fill(&mut w).map_err(wrap)?;
        w.flush().map_err(wrap)?;
    }
    tmp.as_file().sync_all().map_err(wrap)?;
    tmp.persist(path).map_err(|e| wrap(e.error))?;
    // the rename itself survives a power cut only once the directory is
    // on disk too
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(wrap)?;
    Ok(())
}

/// The mode for a file written at `path`: the existing file's, else
/// 0666 less the process's umask.
fn mode_for(path: &Path) -> u32 {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.is_file() {
            return meta.permissions().mode() & 0o7777;
        }
    }
    0o666 & !umask()
}

/// The process's umask, read without changing it (`umask(2)` can only be
/// read by setting it, which would race other threads creating files).
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Check before a scan that `path` can be written (its directory exists),
/// so a typo fails in a second, not after the sweep.
pub fn check_writable(path: &Path) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if dir.is_dir() {
        Ok(())
    } else {
        Err(Error::Write {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "directory does not exist"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("scan.json");
        write_atomic(&p, b"first version, long").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        assert!(check_writable(&d.path().join("nope/x.json")).is_err());
        // an existing file keeps its mode; a new one gets the umask's
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"third").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o640);
        let q = d.path().join("new.json");
        write_atomic(&q, b"new").unwrap();
        assert_eq!(mode(&q), 0o666 & !umask());
        assert!(write_atomic(&d.path().join("nope/x.json"), b"x").is_err());
    }
}
