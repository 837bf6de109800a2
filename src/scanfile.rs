//! The scan file on disk: read (any scan file or baseline, errors naming
//! the file and line) and written (pretty JSON, stable field order, a
//! trailing newline), for every command that loads or saves one.

use std::path::Path;

use serde::Serialize;

use crate::error::Error;
use crate::model::{ScanFile, READABLE_SCAN_SCHEMAS, SCAN_SCHEMA};

/// Read a scan file (or baseline); errors name the file and line.
pub fn load(path: &Path) -> Result<ScanFile, Error> {
    let bad = |reason: String| Error::ScanFile {
        path: path.to_path_buf(),
        reason,
    };
    let text = crate::source::read_input(path, crate::source::SCAN_FILE_MAX)
        .map_err(|e| bad(e.to_string()))?;
    parse(&text).map_err(bad)
}

/// Parse the text of a scan file.
pub fn parse(text: &str) -> Result<ScanFile, String> {
    let schema_error = |schema: Option<&str>| match schema {
        Some(other) => format!(
            "schema '{other}' is not {} (not a netcensus scan file, or a newer one)",
            READABLE_SCAN_SCHEMAS.join(" or ")
        ),
        None => format!("no \"schema\": \"{SCAN_SCHEMA}\" field"),
    };
    match serde_json::from_str::<ScanFile>(text) {
        Ok(s) if READABLE_SCAN_SCHEMAS.contains(&s.schema.as_str()) => Ok(s),
        Ok(s) => Err(schema_error(Some(&s.schema))),
        Err(e) => {
            // a file of another kind gets a clear message, not a complaint
            // about its first unexpected field (the text is read again only
            // on this error path)
            let head = serde_json::from_str::<serde_json::Value>(text).ok();
            match head
                .as_ref()
                .map(|h| h.get("schema").and_then(|s| s.as_str()))
            {
                Some(schema) if !schema.is_some_and(|s| READABLE_SCAN_SCHEMAS.contains(&s)) => {
                    Err(schema_error(schema))
                }
                _ => Err(format!("line {}: {}", e.line(), strip_position(&e))),
            }
        }
    }
}

/// serde_json's message without its trailing " at line L column C".
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// One JSON document as netcensus writes it, streamed to `w` (the same
/// bytes as [`to_json`], without holding them all in memory).
pub fn write_json<T: Serialize>(doc: &T, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, doc).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

/// One JSON document as netcensus writes it.
pub fn to_json<T: Serialize>(doc: &T) -> String {
    // serializing plain data structs cannot fail
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod stream_tests {
    #[test]
    fn the_streamed_document_is_the_rendered_one() {
        let scan = crate::diff::tests::scan(
            "2026-11-25T10:00:00.000Z",
            vec![crate::diff::tests::dev("192.0.2.1", Some("sw\"1\u{1b}"))],
        );
        let mut streamed = Vec::new();
        super::write_json(&scan, &mut streamed).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), super::to_json(&scan));
    }
}
