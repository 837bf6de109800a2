//! Prometheus text exposition (format 0.0.4) for node_exporter's textfile
//! collector: `-o /var/lib/node_exporter/textfile/netcensus.prom`.
//!
//! Names and units follow Prometheus' conventions (`netcensus_` prefix,
//! `_seconds`, base units, `_total` only for counters — there are none: a
//! scan is a snapshot, so everything is a gauge). Cardinality is bounded:
//! one series per device for `up` and health, none per interface, and
//! every other family has a fixed label set (roles, levels, drift kinds).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::SystemTime;

use crate::diff::{Diff, Kind, KINDS};
use crate::model::{Device, ScanFile};
use crate::pairing::name_of;
use crate::topology::Check;
use crate::vocab::{HealthLevel, Role};

/// The family that carries the last successful scan's time across
/// interrupted runs.
const LAST_SUCCESS: &str = "netcensus_last_success_timestamp_seconds";

/// Seconds since the Unix epoch of an RFC 3339 time.
fn unix(t: &str) -> Option<f64> {
    let t = humantime::parse_rfc3339_weak(t).ok()?;
    t.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs_f64())
}

/// A label value as the exposition format needs it: backslash, quote and
/// newline escaped (device text is data, and may hold any of them).
fn label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The last success time a previous `.prom` file recorded, so an
/// interrupted run does not reset it (alerts on "no success in a day"
/// then stay right).
pub fn previous_success(text: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(LAST_SUCCESS)?.trim().parse().ok())
}

struct Families {
    out: String,
}

impl Families {
    fn family(&mut self, name: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} gauge");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            let l: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
                .collect();
            let _ = write!(self.out, "{{{}}}", l.join(","));
        }
        let _ = writeln!(self.out, " {value}");
    }

    fn one(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, help);
        self.sample(name, &[], value);
    }
}

/// The level as a number alerts can compare: 0 ok, 1 warning, 2 critical,
/// 3 unreachable.
fn severity(l: HealthLevel) -> f64 {
    match l {
        HealthLevel::Ok => 0.0,
        HealthLevel::Warning => 1.0,
        HealthLevel::Critical => 2.0,
        HealthLevel::Unreachable => 3.0,
    }
}

/// One series of `name` for device `d`, labelled by address, name, role.
fn device_sample(f: &mut Families, name: &str, d: &Device, value: f64) {
    let (ip, sys_name) = (d.ip.to_string(), name_of(d).unwrap_or_default());
    let role = d.role.unwrap_or_default().name();
    f.sample(
        name,
        &[("ip", &ip), ("name", &sys_name), ("role", role)],
        value,
    );
}

/// The scan (and its drift and check, when there are) as metrics;
/// `previous_success` is the last success time of the file this replaces.
pub fn render(
    scan: Option<&ScanFile>,
    diff: Option<&Diff>,
    check: Option<&Check>,
    previous_success: Option<f64>,
) -> String {
    let mut f = Families { out: String::new() };
    if let Some(scan) = scan {
        scan_families(&mut f, scan, diff, previous_success);
    }
    if let Some(d) = diff {
        f.family(
            "netcensus_drift_changes",
            "Changes since the baseline, by kind.",
        );
        for k in KINDS {
            let n = d.counts.get(&k).copied().unwrap_or(0);
            f.sample("netcensus_drift_changes", &[("kind", k.name())], n as f64);
        }
    }
    if let Some(c) = check {
        f.one(
            "netcensus_check_failures",
            "Expectations of the topology that failed.",
            c.failed as f64,
        );
        f.one(
            "netcensus_check_passed",
            "Expectations of the topology that held.",
            c.passed as f64,
        );
    }
    f.out
}

/// The scan's own families: its run, its devices by role and health.
fn scan_families(
    f: &mut Families,
    scan: &ScanFile,
    diff: Option<&Diff>,
    previous_success: Option<f64>,
) {
    let ok = !scan.interrupted;
    f.one(
        "netcensus_scan_duration_seconds",
        "How long the last scan took.",
        scan.duration_ms as f64 / 1000.0,
    );
    f.one(
        "netcensus_scan_timestamp_seconds",
        "When the last scan finished, Unix time.",
        unix(&scan.finished_at).unwrap_or(0.0),
    );
    f.one(
        "netcensus_scan_success",
        "1 if the last scan ran to the end, 0 if it was interrupted.",
        if ok { 1.0 } else { 0.0 },
    );
    let success = if ok {
        unix(&scan.finished_at)
    } else {
        previous_success
    };
    if let Some(t) = success {
        f.one(
            LAST_SUCCESS,
            "When a scan last ran to the end, Unix time.",
            t,
        );
    }
    f.one(
        "netcensus_scan_addresses",
        "Addresses in the last scan's targets.",
        scan.stats.addresses as f64,
    );
    let mut by_role: BTreeMap<Role, u64> = Role::ALL.iter().map(|r| (*r, 0)).collect();
    let mut by_health: BTreeMap<&str, u64> = HealthLevel::ALL
        .iter()
        .map(|l| (l.name(), 0))
        .chain([("unknown", 0)])
        .collect();
    for d in &scan.devices {
        *by_role.entry(d.role.unwrap_or_default()).or_default() += 1;
        let h = d.health.as_ref().map_or("unknown", |h| h.status.name());
        *by_health.entry(h).or_default() += 1;
    }
    f.family("netcensus_devices", "Devices found, by role.");
    for (r, n) in &by_role {
        f.sample("netcensus_devices", &[("role", r.name())], *n as f64);
    }
    f.family(
        "netcensus_devices_by_health",
        "Devices found, by health status.",
    );
    for (h, n) in &by_health {
        f.sample("netcensus_devices_by_health", &[("health", h)], *n as f64);
    }
    devices(f, scan, diff);
}

/// One `up` and one health series per device; devices of the baseline the
/// scan did not find are `up 0`, so an alert needs no absent().
fn devices(f: &mut Families, scan: &ScanFile, diff: Option<&Diff>) {
    f.family(
        "netcensus_device_up",
        "1 if the device answered the last scan, 0 if the baseline has it and the scan did not find it.",
    );
    for d in &scan.devices {
        device_sample(f, "netcensus_device_up", d, 1.0);
    }
    for c in diff
        .into_iter()
        .flat_map(|d| &d.changes)
        .filter(|c| c.kind == Kind::Removed)
    {
        let name = c.name.clone().unwrap_or_default();
        f.sample(
            "netcensus_device_up",
            &[("ip", &c.ip), ("name", &name), ("role", "")],
            0.0,
        );
    }
    f.family(
        "netcensus_device_health",
        "The device's health: 0 ok, 1 warning, 2 critical, 3 unreachable.",
    );
    for d in &scan.devices {
        let Some(h) = &d.health else { continue };
        device_sample(f, "netcensus_device_health", d, severity(h.status));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_success_carries_over() {
        assert_eq!(label("a\"b\\c\nd\u{1b}"), "a\\\"b\\\\c\\nd ");
        let mut s = crate::diff::tests::scan(
            "2026-11-25T10:00:00.000Z",
            vec![crate::diff::tests::dev("192.0.2.1", Some("sw\"1"))],
        );
        let first = render(Some(&s), None, None, None);
        assert!(
            first.contains(
                "netcensus_device_up{ip=\"192.0.2.1\",name=\"sw\\\"1\",role=\"switch\"} 1\n"
            ),
            "{first}"
        );
        let t = previous_success(&first).expect("success time");
        s.interrupted = true;
        s.finished_at = "2026-11-26T10:00:00.000Z".into();
        let second = render(Some(&s), None, None, previous_success(&first));
        assert!(second.contains("netcensus_scan_success 0\n"));
        assert_eq!(previous_success(&second), Some(t));
        assert!(second.contains("netcensus_devices{role=\"unknown\"} 0\n"));
    }
}
