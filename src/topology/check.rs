//! Checking a scan against a topology: each expected device located (by
//! address, else by name) and compared, each expected link looked for in
//! the LLDP/CDP neighbours of either end, and, unless `allow_unknown`, every
//! scanned device the file does not list a failure.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::{Check, ExpectedDevice, ExpectedLink, Outcome, Presence, Topology, CHECK_SCHEMA};
use crate::model::{Device, ScanFile};
use crate::vocab::Role;

fn sys_name(d: &Device) -> Option<&str> {
    d.snmp.as_ref().and_then(|s| s.sys_name.as_deref())
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The device a name or an address points at.
fn locate(devices: &[Device], who: &str) -> Option<usize> {
    let ip: Option<IpAddr> = who.parse().ok();
    devices.iter().position(|d| match ip {
        Some(ip) => d.all_ips().contains(&ip),
        None => sys_name(d).is_some_and(|n| same(n, who)),
    })
}

/// Per device, the ports the topology expects a link on (names as written,
/// trimmed and lower-cased): health watches them like described ports.
pub fn expected_ports(topo: &Topology, devices: &[Device]) -> Vec<BTreeSet<String>> {
    let mut out = vec![BTreeSet::new(); devices.len()];
    for l in &topo.links {
        for (who, port) in [(&l.from, &l.from_port), (&l.to, &l.to_port)] {
            if let (Some(i), Some(p)) = (locate(devices, who), port) {
                if let Some(set) = out.get_mut(i) {
                    set.insert(p.trim().to_lowercase());
                }
            }
        }
    }
    out
}

fn describe(e: &ExpectedDevice) -> String {
    let mut parts = Vec::new();
    if let Some(n) = &e.name {
        parts.push(n.clone());
    }
    if let Some(ip) = &e.ip {
        parts.push(format!("at {ip}"));
    }
    let what: Vec<&str> = [&e.role, &e.vendor, &e.model]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !what.is_empty() {
        parts.push(format!("({})", what.join(", ")));
    }
    format!("device {}", parts.join(" "))
}

fn check_device(e: &ExpectedDevice, scan: &ScanFile) -> (Outcome, Option<usize>) {
    let found = scan.devices.iter().position(|d| match (&e.ip, &e.name) {
        (Some(ip), _) => {
            let mine = d.all_ips();
            mine.contains(ip) || e.also.iter().any(|a| mine.contains(a))
        }
        (None, Some(n)) => sys_name(d).is_some_and(|s| same(s, n)),
        (None, None) => false,
    });
    let mut expectation = describe(e);
    let origin = Some(e.origin.clone());
    let outcome = |expectation: String, pass: bool, warning: bool, detail: String| Outcome {
        expectation,
        pass,
        warning,
        detail,
        origin: origin.clone(),
    };
    let nothing = || match &e.ip {
        Some(ip) => format!("nothing answered at {ip}"),
        None => "no device has that sysName".into(),
    };
    match (e.presence, found) {
        (Presence::Expected, None) => return (outcome(expectation, false, false, nothing()), None),
        (Presence::Pending, None) => {
            let detail = format!("{} (planned or staged: not yet expected)", nothing());
            return (
                outcome(format!("{expectation}, planned"), true, true, detail),
                None,
            );
        }
        (Presence::Retired, None) => {
            let detail = format!("{}, as expected of a retired device", nothing());
            return (
                outcome(format!("{expectation} gone"), true, false, detail),
                None,
            );
        }
        (Presence::Retired, Some(i)) => {
            let detail = format!(
                "answers at {}, but the inventory says it is offline or decommissioned",
                scan.devices[i].ip
            );
            return (
                outcome(format!("{expectation} gone"), false, false, detail),
                Some(i),
            );
        }
        (Presence::Pending, Some(_)) => expectation.push_str(", planned"),
        (Presence::Expected, Some(_)) => {}
    }
    let Some(i) = found else {
        return (outcome(expectation, false, false, nothing()), None);
    };
    let d = &scan.devices[i];
    let mut wrong = Vec::new();
    let mut want = |what: &str,
                    expected: &Option<String>,
                    seen: Option<&str>,
                    ok: &dyn Fn(&str, &str) -> bool| {
        if let Some(x) = expected {
            match seen {
                Some(y) if ok(x, y) => {}
                other => wrong.push(format!(
                    "{what} is {:?}, not {x:?}",
                    other.unwrap_or("unknown")
                )),
            }
        }
    };
    want("name", &e.name, sys_name(d), &|x, y| same(x, y));
    want("role", &e.role, d.role.map(Role::name), &|x, y| x == y);
    want("vendor", &e.vendor, d.vendor.as_deref(), &|x, y| same(x, y));
    want("model", &e.model, d.model.as_deref(), &|x, y| {
        y.to_ascii_lowercase()
            .starts_with(&x.trim().to_ascii_lowercase())
    });
    want("serial", &e.serial, d.serial.as_deref(), &|x, y| same(x, y));
    let pass = wrong.is_empty();
    let pending = e.presence == Presence::Pending;
    let detail = match (pass, pending) {
        (true, false) => format!("found at {}", d.ip),
        (true, true) => format!(
            "found at {}: planned or staged, yet it answers (update the inventory)",
            d.ip
        ),
        (false, _) => format!("at {}: {}", d.ip, wrong.join("; ")),
    };
    (outcome(expectation, pass, pass && pending, detail), Some(i))
}

fn check_link(l: &ExpectedLink, scan: &ScanFile) -> Outcome {
    let ports = |p: &Option<String>| p.as_ref().map(|p| format!(" port {p}")).unwrap_or_default();
    let expectation = format!(
        "link {}{} ↔ {}{}",
        l.from,
        ports(&l.from_port),
        l.to,
        ports(&l.to_port)
    );
    let port_ok = |want: &Option<String>, seen: &[Option<&str>]| match want {
        None => true,
        Some(w) => seen.iter().flatten().any(|s| same(s, w)),
    };
    // a neighbour entry of `a` that names `b` (by sysName or address)
    let names = |a: &Device,
                 b: &str,
                 b_dev: Option<&Device>,
                 a_port: &Option<String>,
                 b_port: &Option<String>| {
        a.neighbors.iter().flatten().any(|n| {
            let named = n.remote_name.as_deref().is_some_and(|r| {
                same(r, b) || b_dev.and_then(sys_name).is_some_and(|s| same(r, s))
            }) || n.remote_mgmt_addr.as_deref().is_some_and(|m| {
                b_dev.is_some_and(|d| {
                    m.parse::<IpAddr>()
                        .ok()
                        .is_some_and(|ip| d.all_ips().contains(&ip))
                }) || m == b
            });
            named
                && port_ok(a_port, &[n.local_port.as_deref()])
                && port_ok(
                    b_port,
                    &[n.remote_port.as_deref(), n.remote_port_descr.as_deref()],
                )
        })
    };
    let at = |who: &str| locate(&scan.devices, who).and_then(|i| scan.devices.get(i));
    let (from, to) = (at(&l.from), at(&l.to));
    let origin = Some(l.origin.clone());
    let Some(from_dev) = from.or(to) else {
        return Outcome {
            expectation,
            pass: false,
            warning: false,
            detail: format!("neither {} nor {} is in the scan", l.from, l.to),
            origin,
        };
    };
    let seen = from.is_some_and(|a| names(a, &l.to, to, &l.from_port, &l.to_port))
        || to.is_some_and(|b| names(b, &l.from, from, &l.to_port, &l.from_port));
    let read = [from, to]
        .into_iter()
        .flatten()
        .any(|d| d.neighbors.is_some());
    let detail = if seen {
        "seen in the neighbour tables".to_string()
    } else if !read {
        format!(
            "no neighbour table was read from {} (scan with --inventory)",
            from_dev.ip
        )
    } else {
        "not in the neighbour tables (LLDP/CDP)".to_string()
    };
    Outcome {
        expectation,
        pass: seen,
        warning: false,
        detail,
        origin,
    }
}

/// Check `scan` against `topo`.
pub fn check(topo: &Topology, topology_name: &str, scan: &ScanFile) -> Check {
    let mut results = Vec::new();
    let mut matched = vec![false; scan.devices.len()];
    for e in &topo.devices {
        let (o, i) = check_device(e, scan);
        if let Some(i) = i {
            matched[i] = true;
        }
        results.push(o);
    }
    for l in &topo.links {
        results.push(check_link(l, scan));
    }
    if !topo.allow_unknown {
        for (d, _) in scan.devices.iter().zip(&matched).filter(|(_, m)| !**m) {
            let name = sys_name(d).map(|n| format!(" ({n})")).unwrap_or_default();
            results.push(Outcome {
                expectation: format!("no device beyond those listed: {}{name}", d.ip),
                pass: false,
                warning: false,
                detail: format!(
                    "unexpected {} answered",
                    d.role.map_or("device", Role::name)
                ),
                origin: None,
            });
        }
    }
    let failed = results.iter().filter(|r| !r.pass).count();
    let warnings = results.iter().filter(|r| r.pass && r.warning).count();
    Check {
        warnings,
        schema: CHECK_SCHEMA.to_string(),
        topology: topology_name.to_string(),
        scan_started_at: scan.started_at.clone(),
        passed: results.len() - failed,
        failed,
        results,
    }
}
