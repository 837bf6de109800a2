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
            if r.pass { "PASS" } else { "FAIL" },
            cell(&r.expectation, WIDTH),
            cell(&r.detail, WIDTH)
        ));
    }
    out.push_str(&format!(
        "{} passed, {} failed{}\n",
        c.passed,
        c.failed,
        if c.failed > 0 { ": CHECK FAILED" } else { "" }
    ));
    out
}
