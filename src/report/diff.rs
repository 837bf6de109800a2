//! A diff for people: one line per change, grouped by device, then counts.

use crate::diff::{Diff, KINDS};
use crate::report::table::cell;

/// Widest a change line gets.
const TEXT_WIDTH: usize = 160;

/// Render the changes (or "no drift") and a count per kind.
pub fn render(d: &Diff) -> String {
    let mut out = format!(
        "drift: baseline {} ({} devices) → scan {} ({} devices)\n",
        d.baseline.started_at, d.baseline.devices, d.scan.started_at, d.scan.devices
    );
    if d.changes.is_empty() {
        out.push_str("no drift\n");
        return crate::report::text::terminal(&out);
    }
    let kind_w = KINDS.iter().map(|k| k.name().len()).max().unwrap_or(8);
    let ip_w = d.changes.iter().map(|c| c.ip.len()).max().unwrap_or(2);
    for c in &d.changes {
        out.push_str(&format!(
            "  {:<kind_w$}  {:<ip_w$}  {}\n",
            c.kind.name(),
            c.ip,
            // device strings are data: no control characters reach the terminal
            cell(&c.text, TEXT_WIDTH)
        ));
    }
    out.push_str(&format!("{} change(s): {}\n", d.changes.len(), d.tally()));
    // the header's times come from files: as safe as the device text
    crate::report::text::terminal(&out)
}
