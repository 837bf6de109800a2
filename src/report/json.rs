//! The JSON documents (scan file, diff, check): pretty, stable field
//! order, trailing newline.

use serde::Serialize;

/// Render one document.
pub fn render<T: Serialize>(doc: &T) -> String {
    // serializing plain data structs cannot fail
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_default();
    s.push('\n');
    s
}
