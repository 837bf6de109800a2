//! Drift between a baseline and a scan: a pure function from two scan files
//! (and the ignore/tolerance rules) to a list of changes, each of one kind.
//!
//! Devices are paired before anything is compared, strongest evidence
//! first: serial number, then shared interface MACs, then sysName (with a
//! compatible sysObjectID), then the IP address. So a device that changed
//! its IP is one `moved` change, never a `removed` plus an `added`, and a
//! renamed device at the same IP is a `changed` sysName, not a replacement.

pub mod rules;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::model::{Device, Interface, Neighbor, ScanFile};
use crate::vocab::{DeviceField, HealthCheck, HealthLevel, Role};
pub use rules::{parse_kinds, Kind, Rules, KINDS};

/// Schema identifier of the diff file.
pub const DIFF_SCHEMA: &str = "netcensus/diff/v1";

/// One change between the baseline and the scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub kind: Kind,
    /// The device's address in the scan (in the baseline for `removed`).
    pub ip: String,
    /// Its address in the baseline, where it differs (`moved`).
    pub old_ip: Option<String>,
    /// Stable identity (scan side, else baseline side).
    pub id: String,
    /// sysName, where known.
    pub name: Option<String>,
    /// What changed: a device field (`sys_name`), `interface NAME`, `link`,
    /// `health`, `rtt_ms`, `uptime`; null for whole-device changes.
    pub field: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The change in one line, for people.
    pub text: String,
}

/// Which two scans were compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub started_at: String,
    pub targets: Vec<String>,
    pub devices: usize,
}

/// The diff file (`netcensus/diff/v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    pub schema: String,
    pub baseline: Side,
    pub scan: Side,
    /// Changes per kind (every kind listed, zero included).
    pub counts: BTreeMap<Kind, usize>,
    pub changes: Vec<Change>,
}

impl Diff {
    /// The non-zero counts, as "1 added, 2 removed".
    pub fn tally(&self) -> String {
        self.counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{n} {}", k.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// True when a change of one of `kinds` is present.
    pub fn has_any(&self, kinds: &BTreeSet<Kind>) -> bool {
        self.changes.iter().any(|c| kinds.contains(&c.kind))
    }
}

/// A compared device field's value, as the scan file holds it.
fn field(d: &Device, f: DeviceField) -> Option<String> {
    let s = d.snmp.as_ref();
    match f {
        DeviceField::SysName => s.and_then(|s| s.sys_name.clone()),
        DeviceField::SysDescr => s.and_then(|s| s.sys_descr.clone()),
        DeviceField::SysObjectId => s.and_then(|s| s.sys_object_id.clone()),
        DeviceField::SysLocation => s.and_then(|s| s.sys_location.clone()),
        DeviceField::SysContact => s.and_then(|s| s.sys_contact.clone()),
        DeviceField::Role => d.role.map(|r| r.name().to_string()),
        DeviceField::Vendor => d.vendor.clone(),
        DeviceField::Model => d.model.clone(),
        DeviceField::Os => d.os.clone(),
        DeviceField::OsVersion => d.os_version.clone(),
        DeviceField::Serial => d.serial.clone(),
    }
}

/// Health checks a transition is not judged on by default: those another
/// kind reports (`reboot`: rebooted, `oper_down`: interfaces) and load
/// measurements that swing from one scan to the next (`loss`, `rtt`,
/// `cpu`, `mem`; RTT regressions have their own kind and tolerance). The
/// rules' `[compare] health_checks` brings them back.
pub const HEALTH_CHECKS_NOT_COMPARED: [HealthCheck; 6] = [
    HealthCheck::Loss,
    HealthCheck::Rtt,
    HealthCheck::Cpu,
    HealthCheck::Mem,
    HealthCheck::Reboot,
    HealthCheck::OperDown,
];

/// A device's health judged only on the checks the diff compares.
fn health_state(d: &Device, rules: &Rules) -> Option<HealthLevel> {
    let h = d.health.as_ref()?;
    Some(if h.checks.is_empty() && h.status != HealthLevel::Ok {
        // a scan file without per-check levels: the overall status
        h.status
    } else {
        h.checks
            .iter()
            .filter(|(check, _)| {
                !HEALTH_CHECKS_NOT_COMPARED.contains(check) || rules.health_checks.contains(check)
            })
            .map(|(_, l)| *l)
            .max()
            .unwrap_or_default()
    })
}

fn parse_time(t: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(t).ok()
}

/// Compare `scan` against `baseline`.
pub fn diff(baseline: &ScanFile, scan: &ScanFile, rules: &Rules) -> Diff {
    let keep = |d: &&Device| !rules.ignores_device(d);
    // one record a device on both sides: a v1 file holds one per address
    let one_each = |devices: &[Device]| {
        let n = devices.len();
        crate::identity::merge(devices.to_vec(), vec![(); n], &|_| 0).0
    };
    let (old, new) = (one_each(&baseline.devices), one_each(&scan.devices));
    let b: Vec<&Device> = old.iter().filter(keep).collect();
    let s: Vec<&Device> = new.iter().filter(keep).collect();
    let pairs = pair(&b, &s);
    let elapsed = match (
        parse_time(&baseline.started_at),
        parse_time(&scan.started_at),
    ) {
        (Some(x), Some(y)) => y.duration_since(x).ok(),
        _ => None,
    };
    // uptimes are read at some moment of each scan: allow both durations
    let slack_s = (baseline.duration_ms + scan.duration_ms) as f64 / 1000.0 + rules.uptime_slack_s;
    let mut out = Vec::new();
    let (mut seen_b, mut seen_s) = (vec![false; b.len()], vec![false; s.len()]);
    for &(bi, si, how) in &pairs {
        seen_b[bi] = true;
        seen_s[si] = true;
        let (old, new) = (b[bi], s[si]);
        if how == Pairing::Replaced {
            let who = |d: &Device| {
                format!(
                    "{} ({})",
                    name_of(d).unwrap_or_else(|| d.id.clone()),
                    [d.vendor.as_deref(), d.model.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            };
            out.push(Change {
                kind: Kind::Replaced,
                ip: new.ip.to_string(),
                old_ip: None,
                id: new.id.clone(),
                name: name_of(new),
                field: None,
                from: Some(old.id.clone()),
                to: Some(new.id.clone()),
                text: format!("{} replaced by {}", who(old), who(new)),
            });
            continue;
        }
        compare(old, new, elapsed, slack_s, rules, &mut out);
    }
    for (d, _) in b.iter().zip(&seen_b).filter(|(_, seen)| !**seen) {
        out.push(whole(Kind::Removed, d, "no longer answers"));
    }
    for (d, _) in s.iter().zip(&seen_s).filter(|(_, seen)| !**seen) {
        out.push(whole(Kind::Added, d, "new"));
    }
    out.retain(|c| !rules.ignored_kinds.contains(&c.kind));
    out.sort_by(|x, y| {
        let ip = |c: &Change| c.ip.parse::<IpAddr>().ok();
        ip(x)
            .cmp(&ip(y))
            .then(x.ip.cmp(&y.ip))
            .then(x.kind.cmp(&y.kind))
            .then(x.field.cmp(&y.field))
    });
    let mut counts: BTreeMap<Kind, usize> = KINDS.iter().map(|k| (*k, 0)).collect();
    for c in &out {
        *counts.entry(c.kind).or_default() += 1;
    }
    let side = |f: &ScanFile, n: usize| Side {
        started_at: f.started_at.clone(),
        targets: f.targets.clone(),
        devices: n,
    };
    Diff {
        schema: DIFF_SCHEMA.to_string(),
        baseline: side(baseline, b.len()),
        scan: side(scan, s.len()),
        counts,
        changes: out,
    }
}

fn describe(d: &Device) -> String {
    let mut parts = vec![name_of(d).unwrap_or_else(|| d.ip.to_string())];
    let what: Vec<&str> = [
        d.role.map(Role::name),
        d.vendor.as_deref(),
        d.model.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter(|x| *x != "unknown")
    .collect();
    if !what.is_empty() {
        parts.push(format!("({})", what.join(", ")));
    }
    parts.join(" ")
}

fn whole(kind: Kind, d: &Device, what: &str) -> Change {
    Change {
        kind,
        ip: d.ip.to_string(),
        old_ip: None,
        id: d.id.clone(),
        name: name_of(d),
        field: None,
        from: None,
        to: None,
        text: format!("{} {what}", describe(d)),
    }
}

/// Everything that differs between two records of one device.
fn compare(
    old: &Device,
    new: &Device,
    elapsed: Option<std::time::Duration>,
    slack_s: f64,
    rules: &Rules,
    out: &mut Vec<Change>,
) {
    let mut c = Changes {
        old,
        new,
        label: describe(new),
        out,
    };
    // moved: none of the old addresses is one of the new
    let now = new.all_ips();
    if !old.all_ips().iter().any(|ip| now.contains(ip)) {
        let text = format!("{} moved from {} to {}", c.label, old.ip, new.ip);
        let (from, to) = (old.ip.to_string(), new.ip.to_string());
        c.push(Kind::Moved, None, Some(from.clone()), Some(to), text);
        if let Some(last) = c.out.last_mut() {
            last.old_ip = Some(from);
        }
    }
    // fields: only where both scans read the device (SNMP silent now is a
    // health matter, not every field turning null)
    if old.snmp.is_some() && new.snmp.is_some() {
        field_changes(&mut c, rules);
    }
    let rebooted = reboot(old, new, elapsed, slack_s);
    if let Some((expected, now)) = &rebooted {
        let text = format!(
            "{} rebooted: uptime {now} (expected about {expected})",
            c.label
        );
        c.push(
            Kind::Rebooted,
            Some("uptime".into()),
            Some(expected.clone()),
            Some(now.clone()),
            text,
        );
    }
    if let (Some(a), Some(b)) = (&old.interfaces, &new.interfaces) {
        for (name, from, to, text) in interface_changes(a, b, rules, rebooted.is_some()) {
            let text = format!("{}: interface {name} {text}", c.label);
            c.push(
                Kind::Interfaces,
                Some(format!("interface {name}")),
                from,
                to,
                text,
            );
        }
    }
    link_changes(&mut c);
    health_change(&mut c, rules);
    rtt_change(&mut c, rules);
}

/// The changes of one device pair, as they are found.
struct Changes<'a> {
    old: &'a Device,
    new: &'a Device,
    /// How the device is named in a change's text.
    label: String,
    out: &'a mut Vec<Change>,
}

impl Changes<'_> {
    fn push(
        &mut self,
        kind: Kind,
        field: Option<String>,
        from: Option<String>,
        to: Option<String>,
        text: String,
    ) {
        self.out.push(Change {
            kind,
            ip: self.new.ip.to_string(),
            old_ip: None,
            id: self.new.id.clone(),
            name: name_of(self.new).or_else(|| name_of(self.old)),
            field,
            from,
            to,
            text,
        });
    }
}

/// The compared fields that differ (those the rules do not ignore).
fn field_changes(c: &mut Changes, rules: &Rules) {
    for f in DeviceField::ALL {
        if rules.fields.contains(&f) {
            continue;
        }
        let (x, y) = (field(c.old, f), field(c.new, f));
        if x != y {
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "null".into());
            let text = format!("{}: {f} {:?} → {:?}", c.label, show(&x), show(&y));
            c.push(Kind::Changed, Some(f.name().to_string()), x, y, text);
        }
    }
}

/// Neighbour links gone and new.
fn link_changes(c: &mut Changes) {
    let (Some(a), Some(b)) = (&c.old.neighbors, &c.new.neighbors) else {
        return;
    };
    let (ka, kb) = (link_keys(a), link_keys(b));
    for l in ka.difference(&kb) {
        let text = format!("{}: link gone: {l}", c.label);
        c.push(
            Kind::Links,
            Some("link".into()),
            Some(l.clone()),
            None,
            text,
        );
    }
    for l in kb.difference(&ka) {
        let text = format!("{}: new link: {l}", c.label);
        c.push(
            Kind::Links,
            Some("link".into()),
            None,
            Some(l.clone()),
            text,
        );
    }
}

/// A health transition, judged on the checks the diff compares.
fn health_change(c: &mut Changes, rules: &Rules) {
    let (Some(x), Some(y)) = (health_state(c.old, rules), health_state(c.new, rules)) else {
        return;
    };
    if x == y {
        return;
    }
    let why = c
        .new
        .health
        .as_ref()
        .map(|h| h.reasons.join("; "))
        .filter(|r| !r.is_empty())
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let text = format!("{}: health {x} → {y}{why}", c.label);
    c.push(
        Kind::Health,
        Some("health".into()),
        Some(x.to_string()),
        Some(y.to_string()),
        text,
    );
}

/// An RTT regression beyond the rules' factor and margin.
fn rtt_change(c: &mut Changes, rules: &Rules) {
    let avg = |d: &Device| {
        d.icmp
            .as_ref()
            .and_then(|i| i.rtt_ms.as_ref())
            .map(|r| r.avg)
    };
    if let (Some(x), Some(y)) = (avg(c.old), avg(c.new)) {
        if y > x * rules.rtt_factor && y - x > rules.rtt_ms {
            let text = format!("{}: RTT {x:.2} ms → {y:.2} ms", c.label);
            c.push(
                Kind::Rtt,
                Some("rtt_ms".into()),
                Some(format!("{x}")),
                Some(format!("{y}")),
                text,
            );
        }
    }
}

/// sysUpTime is hundredths of a second in 32 bits: it wraps after 497 days.
const WRAP: i64 = 1 << 32;

/// (expected uptime, seen uptime) when the device restarted between scans.
fn reboot(
    old: &Device,
    new: &Device,
    elapsed: Option<std::time::Duration>,
    slack_s: f64,
) -> Option<(String, String)> {
    let up = |d: &Device| d.snmp.as_ref().and_then(|s| s.sys_uptime_ticks);
    let (was, now, elapsed) = (i64::from(up(old)?), i64::from(up(new)?), elapsed?);
    let elapsed_ticks = (elapsed.as_secs_f64() * 100.0) as i64;
    // beyond half the wrap period, lower and higher cannot be told apart
    if elapsed_ticks >= WRAP / 2 {
        return None;
    }
    let expected = (was + elapsed_ticks).rem_euclid(WRAP);
    // how far behind the expected value the uptime is, modulo the wrap
    let mut behind = (expected - now).rem_euclid(WRAP);
    if behind > WRAP / 2 {
        behind -= WRAP;
    }
    let fmt = |t: i64| {
        humantime::format_duration(std::time::Duration::from_secs((t.max(0) / 100) as u64))
            .to_string()
    };
    (behind as f64 > slack_s * 100.0).then(|| (fmt(expected), fmt(now)))
}

/// Interface keys: the name (ifName, else ifDescr), which survives the
/// ifIndex renumbering of a reboot; a repeated name gets `#2`, `#3`, ….
fn by_name(list: &[Interface]) -> BTreeMap<String, &Interface> {
    let mut out = BTreeMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut sorted: Vec<&Interface> = list.iter().collect();
    sorted.sort_by_key(|i| i.index);
    for i in sorted {
        let base = i
            .name
            .clone()
            .unwrap_or_else(|| format!("ifIndex {}", i.index));
        let n = seen.entry(base.clone()).or_default();
        *n += 1;
        let key = if *n == 1 { base } else { format!("{base}#{n}") };
        out.insert(key, i);
    }
    out
}

fn status(i: &Interface) -> String {
    let s = |v: Option<bool>| match v {
        Some(true) => "up",
        Some(false) => "down",
        None => "?",
    };
    format!("admin {} oper {}", s(i.admin_up), s(i.oper_up))
}

type IfChange = (String, Option<String>, Option<String>, String);

fn interface_changes(
    old: &[Interface],
    new: &[Interface],
    rules: &Rules,
    rebooted: bool,
) -> Vec<IfChange> {
    let (a, b) = (by_name(old), by_name(new));
    let mut out = Vec::new();
    let ignored = |n: &str| rules.interfaces.iter().any(|r| r.is_match(n));
    for (name, i) in &a {
        if ignored(name) {
            continue;
        }
        match b.get(name) {
            None => out.push((name.clone(), Some(status(i)), None, "removed".into())),
            Some(j) => {
                let (x, y) = (status(i), status(j));
                if x != y {
                    out.push((
                        name.clone(),
                        Some(x.clone()),
                        Some(y.clone()),
                        format!("{x} → {y}"),
                    ));
                }
                // error counters only under a tolerance, and not across a
                // reboot (counters restart from zero)
                if let (Some(tol), false) = (rules.counters, rebooted) {
                    let sum = |k: &Interface| {
                        [k.in_errors, k.out_errors, k.in_discards, k.out_discards]
                            .iter()
                            .flatten()
                            .sum::<u64>()
                    };
                    let (p, q) = (sum(i), sum(j));
                    if q > p && q - p > tol {
                        out.push((
                            name.clone(),
                            Some(p.to_string()),
                            Some(q.to_string()),
                            format!("errors and discards +{} (tolerance {tol})", q - p),
                        ));
                    }
                }
            }
        }
    }
    for (name, j) in &b {
        if !a.contains_key(name) && !ignored(name) {
            out.push((name.clone(), None, Some(status(j)), "added".into()));
        }
    }
    out
}

/// A link as one comparable line: local port → remote (name, else chassis
/// id), remote port, protocol.
fn link_keys(list: &[Neighbor]) -> BTreeSet<String> {
    list.iter()
        .map(|n| {
            format!(
                "{} → {} {} ({})",
                n.local_port.as_deref().unwrap_or("?"),
                n.remote_name
                    .as_deref()
                    .or(n.remote_chassis_id.as_deref())
                    .unwrap_or("?"),
                n.remote_port.as_deref().unwrap_or("?"),
                n.protocol
            )
        })
        .collect()
}

use crate::pairing::{name_of, pair, Pairing};

#[cfg(test)]
pub(crate) mod tests;
