//! The JSON documents (scan file, diff, check): pretty, stable field
//! order, trailing newline.

use serde::Serialize;

/// Render one document.
pub fn render<T: Serialize>(doc: &T) -> String {
    crate::scanfile::to_json(doc)
}
