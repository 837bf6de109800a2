//! Renderers: each a pure function from the model to text.

pub mod check;
pub mod diff;
pub mod explain;
pub mod json;
pub mod table;

use std::path::Path;

/// Output formats, chosen by `--format` or a file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

impl Format {
    /// The format a file's extension asks for, if this version writes it.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "txt" => Some(Format::Table),
            _ => None,
        }
    }
}
