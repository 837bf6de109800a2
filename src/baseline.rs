//! Scan files in and baselines out. A baseline is a scan file (same schema)
//! without what only describes the run's cost (`snmp_stats`), so that
//! saving one after each scan gives diffs in git that are about the network.

use std::path::Path;

use crate::error::Error;
use crate::model::{ScanFile, SCAN_SCHEMA};
use crate::output::write_atomic;
use crate::report;

/// Read a scan file (or baseline); errors name the file and line.
pub fn load(path: &Path) -> Result<ScanFile, Error> {
    let bad = |reason: String| Error::ScanFile {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    parse(&text).map_err(bad)
}

/// Parse the text of a scan file.
pub fn parse(text: &str) -> Result<ScanFile, String> {
    let schema_error = |schema: Option<&str>| match schema {
        Some(other) => format!(
            "schema '{other}' is not {SCAN_SCHEMA} (not a netcensus scan file, or a newer one)"
        ),
        None => format!("no \"schema\": \"{SCAN_SCHEMA}\" field"),
    };
    match serde_json::from_str::<ScanFile>(text) {
        Ok(s) if s.schema == SCAN_SCHEMA => Ok(s),
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
                Some(schema) if schema != Some(SCAN_SCHEMA) => Err(schema_error(schema)),
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

/// The baseline form of a scan: devices sorted by address, run costs dropped.
pub fn normalise(scan: &ScanFile) -> ScanFile {
    let mut b = scan.clone();
    for d in &mut b.devices {
        d.snmp_stats = None;
    }
    b.devices.sort_by_key(|d| d.ip);
    b
}

/// Write `scan` as a baseline, atomically: the old file stays whole until
/// the new one is complete. An interrupted scan is refused: its missing
/// devices would all look removed next time.
pub fn save(scan: &ScanFile, path: &Path) -> Result<(), Error> {
    if scan.interrupted {
        return Err(Error::Usage(format!(
            "not saving an interrupted scan as baseline '{}'",
            path.display()
        )));
    }
    write_atomic(path, report::json::render(&normalise(scan)).as_bytes())
}
