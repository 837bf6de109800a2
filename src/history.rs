//! Scan history: every scan kept in a directory (`--history DIR`) under a
//! timestamped name, a stable `latest.json` beside them, retention by count
//! and age, and the timeline `netcensus history` reads back out of them.
//!
//! Files are written atomically (a reader never sees half a scan) and only
//! files this module named (`scan-<time>.json`) are ever removed, so a
//! history directory shared with other files loses nothing of theirs.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::diff::{diff, Kind, Rules};
use crate::error::Error;
use crate::model::{Device, ScanFile};
use crate::output::write_atomic_with;
use crate::pairing::{name_of, pair, Pairing};
use crate::scanfile::write_json;

/// The copy of the newest scan, under a name that never changes (a file,
/// not a symlink: it survives copying, rsync and web servers as it is).
pub const LATEST: &str = "latest.json";

const PREFIX: &str = "scan-";
const SUFFIX: &str = ".json";

/// How much history to keep; `None` for either: no limit of that kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// The newest this many scans.
    pub keep: Option<usize>,
    /// Scans started within this many days.
    pub days: Option<u32>,
}

/// What [`keep`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub file: PathBuf,
    pub removed: Vec<PathBuf>,
}

/// `started_at` (RFC 3339, UTC) as a file-name stamp: no colons, which
/// some file systems and every Windows share refuse; sorts by time.
fn stamp(started_at: &str) -> Option<String> {
    let t = humantime::parse_rfc3339_weak(started_at).ok()?;
    Some(
        humantime::format_rfc3339_millis(t)
            .to_string()
            .replace(':', ""),
    )
}

/// When the scan in a history file name started, if the name is ours.
fn started(name: &str) -> Option<SystemTime> {
    let s = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    // "2026-12-02T124830.123Z", maybe with "-2" after it
    let s = s.get(..22)?;
    let text = format!("{}:{}:{}", s.get(..13)?, s.get(13..15)?, s.get(15..)?);
    humantime::parse_rfc3339(&text).ok()
}

/// Check before a scan that `dir` can hold the history (it exists, or its
/// parent does and it will be created).
pub fn check_dir(dir: &Path) -> Result<(), Error> {
    let usable = dir.is_dir()
        || dir
            .parent()
            .is_some_and(|p| p.as_os_str().is_empty() || p.is_dir());
    if usable {
        Ok(())
    } else {
        Err(Error::Write {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "history directory (and its parent) does not exist",
            ),
        })
    }
}

/// Add `scan` to the history in `dir`, refresh `latest.json`, and remove
/// what `retention` no longer keeps (never the file just written).
pub fn keep(
    dir: &Path,
    scan: &ScanFile,
    retention: Retention,
    now: SystemTime,
) -> Result<Kept, Error> {
    let wrap = |source| Error::Write {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(wrap)?;
    let base = stamp(&scan.started_at).unwrap_or_else(|| {
        humantime::format_rfc3339_millis(now)
            .to_string()
            .replace(':', "")
    });
    let mut file = dir.join(format!("{PREFIX}{base}{SUFFIX}"));
    let mut n = 1u32;
    while file.exists() {
        n = n.saturating_add(1);
        file = dir.join(format!("{PREFIX}{base}-{n}{SUFFIX}"));
    }
    write_atomic_with(&file, &mut |w| write_json(scan, w))?;
    write_atomic_with(&dir.join(LATEST), &mut |w| write_json(scan, w))?;
    let mut removed = Vec::new();
    let files = list(dir)?;
    let cutoff = retention
        .days
        .and_then(|d| now.checked_sub(Duration::from_secs(u64::from(d).saturating_mul(86_400))));
    let newest_first = files.iter().rev().enumerate();
    for (i, f) in newest_first {
        if *f == file {
            continue;
        }
        let too_many = retention.keep.is_some_and(|k| i >= k);
        let too_old = match (
            cutoff,
            f.file_name().and_then(|n| n.to_str()).and_then(started),
        ) {
            (Some(c), Some(t)) => t < c,
            _ => false,
        };
        if too_many || too_old {
            std::fs::remove_file(f).map_err(|source| Error::Write {
                path: f.clone(),
                source,
            })?;
            removed.push(f.clone());
        }
    }
    Ok(Kept { file, removed })
}

/// The history files in `dir`, oldest first.
pub fn list(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Input {
        file: dir.display().to_string(),
        line: 0,
        message: format!("cannot read the history directory: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(started)
                .is_some()
        })
        .collect();
    files.sort();
    Ok(files)
}

/// One scan of the history, as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanEntry {
    pub file: String,
    pub started_at: String,
    pub devices: usize,
    pub interrupted: bool,
    /// Changes since the scan before it, per kind ("2 added, 1 changed").
    pub changes: String,
}

/// One change of one device, and when it was seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub at: String,
    pub kind: Kind,
    pub text: String,
}

/// One device across the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Track {
    pub id: String,
    pub name: Option<String>,
    /// Its address when last seen.
    pub ip: IpAddr,
    pub first_seen: String,
    pub last_seen: String,
    /// In how many of the scans it answered.
    pub seen: usize,
    /// Found by the newest scan.
    pub present: bool,
    pub changes: Vec<Event>,
    #[serde(skip)]
    last: Option<Box<Device>>,
}

impl Track {
    /// Does `who` (an id, a sysName, or one of its last addresses) name it?
    pub fn is(&self, who: &str) -> bool {
        let by_ip = who.parse::<IpAddr>().ok().is_some_and(|ip| {
            self.ip == ip
                || self
                    .last
                    .as_ref()
                    .is_some_and(|d| d.all_ips().contains(&ip))
        });
        by_ip
            || self.id == who
            || self
                .name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(who))
    }
}

/// What a history directory holds: its scans, and its devices with when
/// each was first and last seen and what changed between scans.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    pub schema: String,
    pub dir: String,
    pub scans: Vec<ScanEntry>,
    pub devices: Vec<Track>,
}

/// Schema identifier of `netcensus history --format json`.
pub const HISTORY_SCHEMA: &str = "netcensus/history/v1";

/// Read the history in `dir` (one scan in memory at a time, beside the
/// last state of each device) and follow every device through it: paired
/// with its own last state, wherever and whenever it was last seen, so a
/// device missing for a night is one device again when it returns.
pub fn timeline(dir: &Path, rules: &Rules) -> Result<Timeline, Error> {
    let mut scans = Vec::new();
    let mut tracks: Vec<Track> = Vec::new();
    let mut previous: Option<ScanFile> = None;
    for path in list(dir)? {
        let scan = crate::scanfile::load(&path)?;
        let changes = previous.as_ref().map(|p| diff(p, &scan, rules));
        let at = scan.started_at.clone();
        let devices: Vec<&Device> = scan.devices.iter().collect();
        let (index, lasts): (Vec<usize>, Vec<&Device>) = tracks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.last.as_deref().map(|d| (i, d)))
            .unzip();
        let mut of_device: Vec<Option<usize>> = vec![None; devices.len()];
        for (t, d, how) in pair(&lasts, &devices) {
            if how == Pairing::Same {
                of_device[d] = index.get(t).copied();
            }
        }
        for t in &mut tracks {
            t.present = false;
        }
        for (i, d) in devices.iter().enumerate() {
            let t = match of_device[i] {
                Some(t) => t,
                None => {
                    tracks.push(Track {
                        id: d.id.clone(),
                        name: None,
                        ip: d.ip,
                        first_seen: at.clone(),
                        last_seen: at.clone(),
                        seen: 0,
                        present: false,
                        changes: Vec::new(),
                        last: None,
                    });
                    tracks.len() - 1
                }
            };
            let track = &mut tracks[t];
            track.id.clone_from(&d.id);
            track.name = name_of(d);
            track.ip = d.ip;
            track.last_seen.clone_from(&at);
            track.seen = track.seen.saturating_add(1);
            track.present = true;
            track.last = Some(Box::new((*d).clone()));
        }
        if let Some(d) = &changes {
            attach(&mut tracks, d, &at);
        }
        scans.push(ScanEntry {
            file: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            started_at: at,
            devices: scan.devices.len(),
            interrupted: scan.interrupted,
            changes: changes.map(|d| d.tally()).unwrap_or_default(),
        });
        previous = Some(scan);
    }
    tracks.sort_by(|a, b| (a.ip, &a.id).cmp(&(b.ip, &b.id)));
    Ok(Timeline {
        schema: HISTORY_SCHEMA.to_string(),
        dir: dir.display().to_string(),
        scans,
        devices: tracks,
    })
}

/// Give each change of `d` to the device it is about: the one at its
/// address with its id (the newer side's, the older's for `removed`).
fn attach(tracks: &mut [Track], d: &crate::diff::Diff, at: &str) {
    let mut by_key: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, t) in tracks.iter().enumerate() {
        by_key.insert((t.id.clone(), t.ip.to_string()), i);
    }
    for c in &d.changes {
        let key = (c.id.clone(), c.ip.clone());
        let found = by_key.get(&key).copied().or_else(|| {
            // removed: the track kept its last address and id
            tracks
                .iter()
                .position(|t| !t.present && t.id == c.id && t.ip.to_string() == c.ip)
        });
        if let Some(i) = found {
            tracks[i].changes.push(Event {
                at: at.to_string(),
                kind: c.kind,
                text: c.text.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Devices whose uptime runs on with the clock (no reboots).
    fn scan(at: &str, devices: &[(&str, &str)]) -> ScanFile {
        let ticks = time_of(at)
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| (d.as_secs() % 40_000_000) as u32 * 100);
        let devices = devices
            .iter()
            .map(|(ip, name)| {
                let mut d = crate::diff::tests::dev(ip, Some(name));
                if let Some(s) = d.snmp.as_mut() {
                    s.sys_uptime_ticks = Some(ticks);
                }
                d
            })
            .collect();
        crate::diff::tests::scan(at, devices)
    }

    fn time_of(at: &str) -> SystemTime {
        humantime::parse_rfc3339(at).expect("time")
    }

    fn at(day: u32) -> String {
        format!("2026-11-{day:02}T02:17:00.000Z")
    }

    fn time(day: u32) -> SystemTime {
        humantime::parse_rfc3339(&at(day)).expect("time")
    }

    #[test]
    fn names_sort_by_time_and_read_back() {
        let s = stamp("2026-12-02T12:48:30.123Z").expect("stamp");
        assert_eq!(s, "2026-12-02T124830.123Z");
        let name = format!("{PREFIX}{s}{SUFFIX}");
        assert_eq!(
            started(&name),
            humantime::parse_rfc3339("2026-12-02T12:48:30.123Z").ok()
        );
        assert!(started(&format!("{PREFIX}{s}-2{SUFFIX}")).is_some());
        assert_eq!(started("latest.json"), None);
        assert_eq!(started("scan-notes.json"), None);
    }

    #[test]
    fn retention_keeps_the_newest_and_the_recent_and_nothing_else_is_touched() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");
        for day in 1..=6 {
            let r = Retention {
                keep: Some(4),
                days: None,
            };
            keep(
                dir.path(),
                &scan(&at(day), &[("192.0.2.1", "a")]),
                r,
                time(day),
            )
            .expect("keep");
        }
        let names = |d: &Path| list(d).expect("list").len();
        assert_eq!(names(dir.path()), 4, "the newest 4 of 6");
        // by age: only scans of the last 2 days stay (and the new one)
        let r = Retention {
            keep: None,
            days: Some(2),
        };
        let kept =
            keep(dir.path(), &scan(&at(7), &[("192.0.2.1", "a")]), r, time(7)).expect("keep");
        assert_eq!(kept.removed.len(), 2, "days 3 and 4 removed: {kept:?}");
        assert_eq!(names(dir.path()), 3);
        assert!(dir.path().join("notes.txt").exists());
        let latest = crate::scanfile::load(&dir.path().join(LATEST)).expect("latest");
        assert_eq!(latest.started_at, at(7));
        // the same start twice: a second file, not an overwrite
        let again = keep(
            dir.path(),
            &scan(&at(7), &[]),
            Retention::default(),
            time(7),
        )
        .expect("keep");
        assert!(
            again.file.to_string_lossy().ends_with("-2.json"),
            "{again:?}"
        );
    }

    #[test]
    fn a_device_is_followed_through_gaps_and_its_changes_are_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = Retention::default();
        let a = ("192.0.2.1", "core");
        let b = ("192.0.2.2", "edge");
        keep(dir.path(), &scan(&at(1), &[a, b]), r, time(1)).expect("keep");
        keep(dir.path(), &scan(&at(2), &[a]), r, time(2)).expect("keep");
        keep(dir.path(), &scan(&at(3), &[a, b]), r, time(3)).expect("keep");
        keep(
            dir.path(),
            &scan(&at(4), &[("192.0.2.9", "core"), b]),
            r,
            time(4),
        )
        .expect("keep");
        let t = timeline(dir.path(), &Rules::default()).expect("timeline");
        assert_eq!(t.scans.len(), 4);
        assert_eq!(t.devices.len(), 2, "{:#?}", t.devices);
        let edge = t.devices.iter().find(|d| d.is("edge")).expect("edge");
        assert_eq!((edge.seen, edge.first_seen.as_str()), (3, at(1).as_str()));
        let kinds: Vec<Kind> = edge.changes.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [Kind::Removed, Kind::Added]);
        let core = t
            .devices
            .iter()
            .find(|d| d.is("192.0.2.9"))
            .expect("core moved");
        assert_eq!(core.seen, 4);
        assert!(core.is("192.0.2.9") && core.is("CORE"));
        assert_eq!(
            core.changes.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [Kind::Moved]
        );
        assert_eq!(t.scans[1].changes, "1 removed");
    }
}
