//! Baselines out. A baseline is a scan file (same schema) without what only
//! describes the run's cost (`snmp_stats`), so that saving one after each
//! scan gives diffs in git that are about the network. Reading any scan
//! file, baselines included, is `scanfile`'s.

use std::path::Path;

use crate::error::Error;
use crate::model::ScanFile;
use crate::output::write_atomic_with;
use crate::scanfile::write_json;

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
    let b = normalise(scan);
    write_atomic_with(path, &mut |w| write_json(&b, w))
}

/// How many devices a new baseline may lose: a count, or a share of the
/// baseline it replaces (`10` or `10%`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Count(u64),
    Percent(f64),
}

impl std::str::FromStr for Limit {
    type Err = String;

    fn from_str(s: &str) -> Result<Limit, String> {
        let t = s.trim();
        let bad = || format!("'{s}' is not a device count or a percentage like 10%");
        match t.strip_suffix('%') {
            Some(p) => {
                let p: f64 = p.trim().parse().map_err(|_| bad())?;
                if (0.0..=100.0).contains(&p) {
                    Ok(Limit::Percent(p))
                } else {
                    Err(format!("'{s}': a percentage is between 0% and 100%"))
                }
            }
            None => t.parse().map(Limit::Count).map_err(|_| bad()),
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Count(n) => write!(f, "{n}"),
            Limit::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// What keeps one bad night (a partial outage, a firewall change, a
/// credential that expired) from becoming the baseline every later scan
/// is compared with.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Guard {
    /// Most devices of the old baseline the new one may lack.
    pub max_removed: Option<Limit>,
    /// Fewest devices the new baseline must hold.
    pub min_alive: Option<u64>,
}

impl Guard {
    /// Why `scan` must not replace `old` (`removed` of its devices are
    /// missing), if it must not.
    pub fn refuses(
        &self,
        old_devices: Option<usize>,
        removed: usize,
        scan: &ScanFile,
    ) -> Option<String> {
        let found = scan.devices.len();
        if let Some(min) = self.min_alive.filter(|m| (found as u64) < *m) {
            return Some(format!(
                "the scan found {found} device(s), fewer than --min-alive {min}"
            ));
        }
        let (limit, old) = (self.max_removed?, old_devices?);
        let over = match limit {
            Limit::Count(n) => removed as u64 > n,
            Limit::Percent(p) => old > 0 && removed as f64 * 100.0 > p * old as f64,
        };
        over.then(|| {
            format!("{removed} of the baseline's {old} device(s) are missing, more than --max-removed {limit}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_counts_and_shares() {
        let scan = crate::diff::tests::scan(
            "2026-11-25T10:00:00.000Z",
            vec![crate::diff::tests::dev("192.0.2.1", Some("a"))],
        );
        let g = |max: &str, min: Option<u64>| Guard {
            max_removed: Some(max.parse().expect("limit")),
            min_alive: min,
        };
        assert_eq!(g("10%", None).refuses(Some(10), 1, &scan), None);
        assert!(g("10%", None)
            .refuses(Some(10), 2, &scan)
            .is_some_and(|r| r.contains("2 of the baseline's 10")));
        assert_eq!(g("2", None).refuses(Some(100), 2, &scan), None);
        assert!(g("2", None).refuses(Some(100), 3, &scan).is_some());
        assert!(g("5", Some(2))
            .refuses(None, 0, &scan)
            .is_some_and(|r| r.contains("--min-alive 2")));
        assert_eq!(
            g("0", None).refuses(None, 7, &scan),
            None,
            "no old baseline: nothing to lose"
        );
        assert!("150%".parse::<Limit>().is_err());
        assert!("ten".parse::<Limit>().is_err());
    }
}
