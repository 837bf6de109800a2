//! The scan file as JSON (pretty, stable field order, trailing newline).

use crate::model::ScanFile;

/// Render the scan file.
pub fn render(scan: &ScanFile) -> String {
    // serializing plain data structs cannot fail
    let mut s = serde_json::to_string_pretty(scan).unwrap_or_default();
    s.push('\n');
    s
}
