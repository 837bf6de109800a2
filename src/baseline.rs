//! Baselines out. A baseline is a scan file (same schema) without what only
//! describes the run's cost (`snmp_stats`), so that saving one after each
//! scan gives diffs in git that are about the network. Reading any scan
//! file, baselines included, is `scanfile`'s.

use std::path::Path;

use crate::error::Error;
use crate::model::ScanFile;
use crate::output::write_atomic;
use crate::scanfile::to_json;

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
    write_atomic(path, to_json(&normalise(scan)).as_bytes())
}
