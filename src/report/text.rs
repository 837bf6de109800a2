//! The one sanitiser every renderer passes device- and file-derived text
//! through before a terminal, a table cell or a page: control characters
//! (escape sequences, carriage returns) become spaces and long text is cut
//! with an ellipsis, so a hostile agent cannot redraw the terminal or break
//! a layout.

/// `text` with control characters as spaces, at most `max` characters.
pub fn visible(text: &str, max: usize) -> String {
    cut(
        &text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>(),
        max,
    )
}

/// [`visible`], and on one line: runs of whitespace become one space.
pub fn one_line(text: &str, max: usize) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cut(
        &spaced.split_whitespace().collect::<Vec<_>>().join(" "),
        max,
    )
}

/// Text of many lines, safe for a terminal: every control character but
/// the newline (escape sequences, carriage returns, backspaces) becomes a
/// space. For whole documents (explain, drift, check, errors) whose parts
/// come from devices and files.
pub fn terminal(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let kept: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{kept}…")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_and_long_text_are_neutralised() {
        assert_eq!(super::one_line("a\x1b[2Jb\r\nc", 20), "a [2Jb c");
        assert_eq!(super::one_line("abcdef", 4), "abc…");
        assert_eq!(super::one_line("  x  ", 4), "x");
        assert_eq!(super::visible("a\r\nb", 10), "a  b");
    }
}
