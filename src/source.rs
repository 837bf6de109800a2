//! Input files: reading one safely (regular files only, size-capped), and
//! where in it something is (the one `file:line` helper that profiles,
//! rules, topologies and diff rules share).

use std::io::Read;
use std::path::Path;

/// Largest scan file or baseline read (a /16 with full inventory is tens
/// of MB; this leaves room for far bigger networks, not for a mistake).
pub const SCAN_FILE_MAX: u64 = 1 << 30;
/// Largest topology, rules or profile file read.
pub const INPUT_MAX: u64 = 64 << 20;

/// The text of the regular file `path`, at most `max` bytes: a FIFO, a
/// device or a directory is refused (it could block or never end), and so
/// is a file larger than `max`, before it is read into memory.
pub fn read_input(path: &Path, max: u64) -> std::io::Result<String> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    // O_NONBLOCK: opening a FIFO must not wait for a writer before we can
    // see it is one (no effect on regular files)
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(invalid("not a regular file".into()));
    }
    if meta.len() > max {
        return Err(invalid(format!(
            "{} bytes, more than the {max} this file may have",
            meta.len()
        )));
    }
    let mut text = String::new();
    file.take(max.saturating_add(1)).read_to_string(&mut text)?;
    if text.len() as u64 > max {
        return Err(invalid(format!(
            "more than the {max} bytes this file may have"
        )));
    }
    Ok(text)
}

/// Where each line of a text starts: line lookups in O(log n), for
/// parsers that ask for the line of every item (a topology of thousands of
/// devices would be quadratic with [`line_of`]).
pub struct Lines<'a> {
    pub text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// Line (1-based) of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The lines from line `from` (1-based) on, each with its number.
    pub fn from(&self, from: usize) -> impl Iterator<Item = (usize, &'a str)> + '_ {
        let first = from.max(1);
        let start = self
            .starts
            .get(first - 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..)
            .unwrap_or_default()
            .lines()
            .enumerate()
            .map(move |(i, l)| (first + i, l))
    }
}

/// Line (1-based) of a byte offset in `text`, for errors in input files.
/// An offset past the end, or inside a character, still gives a line.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_count_from_one_and_never_panic() {
        assert_eq!(super::line_of("a\nb\nc", 0), 1);
        assert_eq!(super::line_of("a\nb\nc", 2), 2);
        assert_eq!(super::line_of("a\nb", 99), 2);
        assert_eq!(super::line_of("é\nx", 1), 1, "inside a character");
    }

    #[test]
    fn the_line_index_agrees_with_line_of() {
        let text = "a\nbb\n\nccc\n";
        let lines = super::Lines::new(text);
        for offset in 0..text.len() + 3 {
            assert_eq!(lines.line(offset), super::line_of(text, offset), "{offset}");
        }
        let from: Vec<(usize, &str)> = lines.from(2).collect();
        assert_eq!(from, [(2, "bb"), (3, ""), (4, "ccc")]);
        assert_eq!(lines.from(99).count(), 0);
    }

    #[test]
    fn only_regular_files_within_their_cap_are_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.toml");
        std::fs::write(&p, "0123456789").unwrap();
        assert_eq!(super::read_input(&p, 10).unwrap(), "0123456789");
        assert!(super::read_input(&p, 9)
            .unwrap_err()
            .to_string()
            .contains("more than the 9"));
        assert!(super::read_input(d.path(), 99).is_err(), "a directory");
        assert!(super::read_input(std::path::Path::new("/dev/zero"), 99)
            .unwrap_err()
            .to_string()
            .contains("not a regular file"));
    }
}
