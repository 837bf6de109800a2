//! A topology check for people: PASS/FAIL per expectation, then the tally.

use crate::report::table::cell;
use crate::topology::Check;

/// Widest an expectation or detail gets.
const WIDTH: usize = 120;

/// Render the results.
pub fn render(c: &Check) -> String {
    let mut out = format!(
        "check: {} against the scan of {}\n",
        c.topology, c.scan_started_at
    );
    for r in &c.results {
        out.push_str(&format!(
            "  {}  {}: {}\n",
            r.verdict().name().to_ascii_uppercase(),
            cell(&r.expectation, WIDTH),
            cell(&r.detail, WIDTH)
        ));
    }
    out.push_str(&format!(
        "{} passed{}, {} failed{}\n",
        c.passed,
        if c.warnings > 0 {
            format!(" ({} with a warning)", c.warnings)
        } else {
            String::new()
        },
        c.failed,
        if c.failed > 0 { ": CHECK FAILED" } else { "" }
    ));
    // the topology's name and times come from files
    crate::report::text::terminal(&out)
}
