//! Where in an input file something is: the one `file:line` helper that
//! profiles, rules, topologies and diff rules share.

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
}
