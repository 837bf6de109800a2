//! Judging health: a device's status and reasons from what was measured
//! and collected, against the scan profile's thresholds, and, where the
//! baseline has the same device, against what it was then. Reading the
//! metrics is `collect::health`'s job; this module only judges.
//!
//! What is worth a warning is what someone would act on: a port that is
//! down is a warning only when someone cares about it (it has a
//! description, it was up or had a neighbour in the baseline); interface
//! errors are graded as a rate since the baseline, never as a total since
//! boot.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, SystemTime};

use crate::collect::health::Readings;
use crate::model::{
    Device, Health, HealthCheck, HealthLevel, Icmp, Interface, Neighbor, Protocol, ScanFile,
};
use crate::pairing::{pair, Pairing};
use crate::profile::Thresholds;

/// The same device in the baseline, and the time between the two readings.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    pub device: &'a Device,
    pub elapsed: Duration,
}

/// Everything the status is judged on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    pub icmp: Option<&'a Icmp>,
    /// The sweep's echo was answered: the host is alive, and follow-up
    /// echoes all lost are loss, not a host gone.
    pub swept_alive: bool,
    pub uptime_ticks: Option<u32>,
    pub interfaces: Option<&'a [Interface]>,
    pub neighbors: Option<&'a [Neighbor]>,
    pub readings: Option<&'a Readings>,
    pub previous: Option<Previous<'a>>,
    /// Ports the expected topology has a link on (trimmed, lower-case).
    pub expected_ports: Option<&'a BTreeSet<String>>,
}

/// Judge a device: ok | warning | critical, with reasons.
pub fn assess(i: &Inputs, t: &Thresholds) -> Health {
    let mut v = Verdicts::default();
    echoes(&mut v, i, t);
    readings(&mut v, i, t);
    if let Some(up) = i.uptime_ticks {
        let secs = u64::from(up) / 100;
        if secs < t.reboot_warn.as_secs() {
            v.flag(
                HealthLevel::Warning,
                HealthCheck::Reboot,
                format!(
                    "rebooted {}s ago (uptime below {})",
                    secs,
                    humantime::format_duration(t.reboot_warn)
                ),
            );
        }
    }
    let mut unused = None;
    if let Some(ifs) = i.interfaces {
        // the baseline's interfaces, by name: what was up, and the counters
        let before: HashMap<String, &Interface> = i
            .previous
            .and_then(|p| p.device.interfaces.as_deref())
            .unwrap_or_default()
            .iter()
            .map(|x| (key(x), x))
            .collect();
        unused = Some(ports(&mut v, ifs, &before, i, t));
        errors(&mut v, ifs, &before, i.previous, t);
    }
    let r = i.readings;
    Health {
        status: v.status,
        reasons: v.reasons,
        checks: v.checks,
        cpu_pct: r.and_then(|r| r.cpu.as_ref().map(|x| x.0)),
        mem_pct: r.and_then(|r| r.mem.as_ref().map(|x| x.0)),
        temp_c: r.and_then(|r| r.temp.as_ref().map(|x| x.0)),
        unused_ports: unused,
    }
}

/// Judge every device of a scan: each against its own record in the
/// baseline (paired as the diff pairs them), if it has one, and with the
/// ports the expected topology has links on (`expected`, by device).
pub fn judge_all(
    devices: &mut [Device],
    readings: &[Option<Readings>],
    baseline: Option<&ScanFile>,
    expected: &[BTreeSet<String>],
    started: SystemTime,
    t: &Thresholds,
) {
    let old: Vec<&Device> = baseline
        .map(|b| b.devices.iter().collect())
        .unwrap_or_default();
    let wall = baseline
        .and_then(|b| humantime::parse_rfc3339(&b.started_at).ok())
        .and_then(|then| started.duration_since(then).ok());
    let mut previous: Vec<Option<usize>> = vec![None; devices.len()];
    {
        let new: Vec<&Device> = devices.iter().collect();
        for (bi, si, how) in pair(&old, &new) {
            if how == Pairing::Same {
                if let Some(p) = previous.get_mut(si) {
                    *p = Some(bi);
                }
            }
        }
    }
    for (i, d) in devices.iter_mut().enumerate() {
        let before = previous
            .get(i)
            .copied()
            .flatten()
            .and_then(|bi| old.get(bi).copied());
        let health = assess(
            &Inputs {
                icmp: d.icmp.as_ref(),
                swept_alive: d.found_by.contains(&Protocol::Icmp),
                uptime_ticks: d.snmp.as_ref().and_then(|s| s.sys_uptime_ticks),
                interfaces: d.interfaces.as_deref(),
                neighbors: d.neighbors.as_deref(),
                readings: readings.get(i).and_then(Option::as_ref),
                previous: before.map(|b| Previous {
                    device: b,
                    elapsed: elapsed(d, b, wall),
                }),
                expected_ports: expected.get(i),
            },
            t,
        );
        d.health = Some(health);
    }
}

/// Time between the baseline's reading of a device and this one: by its
/// sysUpTime when both have it (zero when it rebooted in between: its
/// counters restarted), else by the scans' start times.
fn elapsed(now: &Device, then: &Device, wall: Option<Duration>) -> Duration {
    let ticks = |d: &Device| d.snmp.as_ref().and_then(|s| s.sys_uptime_ticks);
    match (ticks(now), ticks(then)) {
        (Some(n), Some(p)) if n >= p => Duration::from_millis(u64::from(n - p) * 10),
        (Some(_), Some(_)) => Duration::ZERO,
        _ => wall.unwrap_or(Duration::ZERO),
    }
}

/// The findings so far: worst level, reasons in order, worst level a check.
#[derive(Default)]
struct Verdicts {
    status: HealthLevel,
    reasons: Vec<String>,
    checks: BTreeMap<HealthCheck, HealthLevel>,
}

impl Verdicts {
    fn flag(&mut self, level: HealthLevel, check: HealthCheck, reason: String) {
        self.status = self.status.max(level);
        self.reasons.push(reason);
        let worst = self.checks.entry(check).or_insert(level);
        *worst = (*worst).max(level);
    }

    /// A value against its warning and critical thresholds; the reason
    /// names the value, the level and the threshold crossed.
    fn grade(
        &mut self,
        check: HealthCheck,
        value: f64,
        warn: f64,
        crit: f64,
        reason: impl Fn(f64, &str, f64) -> String,
    ) {
        if value >= crit {
            self.flag(
                HealthLevel::Critical,
                check,
                reason(value, "critical", crit),
            );
        } else if value >= warn {
            self.flag(HealthLevel::Warning, check, reason(value, "warning", warn));
        }
    }
}

/// Loss and RTT of the follow-up echoes. A host that answered none of
/// them is graded on its loss only when the sweep's echo was answered
/// (else it filters ICMP, and was found by SNMP or TCP).
fn echoes(v: &mut Verdicts, i: &Inputs, t: &Thresholds) {
    let Some(p) = i.icmp.filter(|p| p.sent > 0) else {
        return;
    };
    if p.received == 0 {
        if i.swept_alive {
            let sent = p.sent;
            v.grade(
                HealthCheck::Loss,
                p.loss_pct,
                t.loss_warn,
                t.loss_crit,
                |x, lvl, th| {
                    format!(
                        "packet loss {x:.0}% ({lvl} ≥ {th}%): none of {sent} echoes answered after the sweep's was"
                    )
                },
            );
        }
        return;
    }
    v.grade(
        HealthCheck::Loss,
        p.loss_pct,
        t.loss_warn,
        t.loss_crit,
        |x, lvl, th| format!("packet loss {x:.0}% ({lvl} ≥ {th}%)"),
    );
    if let Some(r) = &p.rtt_ms {
        v.grade(
            HealthCheck::Rtt,
            r.avg,
            t.rtt_warn_ms,
            t.rtt_crit_ms,
            |x, lvl, th| format!("RTT {x:.1} ms ({lvl} ≥ {th} ms)"),
        );
    }
}

/// CPU, memory and temperature, each naming the metric that gave it.
fn readings(v: &mut Verdicts, i: &Inputs, t: &Thresholds) {
    let Some(r) = i.readings else {
        return;
    };
    for (check, what, unit, reading, warn, crit) in [
        (HealthCheck::Cpu, "CPU", "%", &r.cpu, t.cpu_warn, t.cpu_crit),
        (
            HealthCheck::Mem,
            "memory",
            "%",
            &r.mem,
            t.mem_warn,
            t.mem_crit,
        ),
        (
            HealthCheck::Temp,
            "temperature",
            "°C",
            &r.temp,
            t.temp_warn,
            t.temp_crit,
        ),
    ] {
        if let Some((x, by)) = reading {
            v.grade(check, *x, warn, crit, |x, lvl, th| {
                format!("{what} {x}{unit} ({lvl} ≥ {th}{unit}; {by})")
            });
        }
    }
}

/// At most this many interface names in a reason.
const NAMES_SHOWN: usize = 5;

/// An interface's key across scans: its name (ifIndex renumbers on reboot).
fn key(x: &Interface) -> String {
    x.name.clone().unwrap_or_else(|| x.index.to_string())
}

/// IANAifType numbers of physical Ethernet ports, the ones counted unused.
const PORT_TYPES: [i64; 5] = [6, 7, 62, 69, 117];

/// Why someone cares that a port is down, if anyone does: it has a
/// description, the topology expects a link on it, or it was up or had a
/// neighbour in the baseline.
fn cared(
    x: &Interface,
    before: &HashMap<String, &Interface>,
    linked_before: &HashSet<&str>,
    expected: Option<&BTreeSet<String>>,
) -> Option<String> {
    let k = key(x);
    if let Some(alias) = x.alias.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        return Some(format!("{k} \"{alias}\""));
    }
    if expected.is_some_and(|set| set.contains(&k.trim().to_lowercase())) {
        return Some(format!("{k} (the topology expects a link on it)"));
    }
    if before.get(&k).is_some_and(|b| b.oper_up == Some(true)) {
        return Some(format!("{k} (up in the baseline)"));
    }
    if linked_before.contains(k.as_str()) {
        return Some(format!("{k} (had a neighbour in the baseline)"));
    }
    None
}

/// Admin-up but oper-down ports someone cares about are a warning; the
/// other down ports are counted (returned) as unused, and raise nothing.
fn ports(
    v: &mut Verdicts,
    ifs: &[Interface],
    before: &HashMap<String, &Interface>,
    i: &Inputs,
    t: &Thresholds,
) -> u64 {
    let linked_before: HashSet<&str> = i
        .previous
        .map(|p| p.device)
        .and_then(|d| d.neighbors.as_deref())
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.local_port.as_deref())
        .collect();
    let linked_now: HashSet<&str> = i
        .neighbors
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.local_port.as_deref())
        .collect();
    let mut down = Vec::new();
    let mut unused = 0u64;
    for x in ifs.iter().filter(|x| x.oper_up == Some(false)) {
        match cared(x, before, &linked_before, i.expected_ports) {
            Some(why) if x.admin_up == Some(true) => down.push(why),
            Some(_) => {}
            None => {
                let port = x.if_type.is_none_or(|t| PORT_TYPES.contains(&t));
                if port && !linked_now.contains(key(x).as_str()) {
                    unused += 1;
                }
            }
        }
    }
    if t.oper_down_warn && !down.is_empty() {
        let more = match down.len().checked_sub(NAMES_SHOWN) {
            Some(n) if n > 0 => format!(" and {n} more"),
            _ => String::new(),
        };
        let shown: Vec<&str> = down.iter().take(NAMES_SHOWN).map(String::as_str).collect();
        v.flag(
            HealthLevel::Warning,
            HealthCheck::OperDown,
            format!(
                "{} port(s) in use are down (admin-up, oper-down): {}{more}",
                down.len(),
                shown.join(", ")
            ),
        );
    }
    unused
}

/// Errors + discards of an interface, when the agent has all four.
fn faults(x: &Interface) -> Option<u64> {
    x.in_errors?
        .checked_add(x.out_errors?)?
        .checked_add(x.in_discards?)?
        .checked_add(x.out_discards?)
}

fn packets(x: &Interface) -> Option<u64> {
    x.in_packets?.checked_add(x.out_packets?)
}

/// Errors and discards since the baseline, as a rate and a share of the
/// packets: warning or critical at the profile's shares, once at least
/// `if_errors_min` of them were counted. Without a baseline (or after a
/// counter reset) there is no rate, and nothing is graded: a total since
/// boot says nothing about now.
fn errors(
    v: &mut Verdicts,
    ifs: &[Interface],
    before: &HashMap<String, &Interface>,
    previous: Option<Previous>,
    t: &Thresholds,
) {
    let Some(p) = previous.filter(|p| !p.elapsed.is_zero()) else {
        return;
    };
    let mut worst: Vec<(HealthLevel, String)> = Vec::new();
    for x in ifs {
        let Some(b) = before.get(&key(x)) else {
            continue;
        };
        let Some(grown) = faults(x).zip(faults(b)).and_then(|(n, o)| n.checked_sub(o)) else {
            continue;
        };
        if grown < t.if_errors_min {
            continue;
        }
        let rate = grown as f64 / p.elapsed.as_secs_f64();
        let moved = packets(x)
            .zip(packets(b))
            .and_then(|(n, o)| n.checked_sub(o));
        let (level, share) = match moved {
            Some(m) => {
                let share = 100.0 * grown as f64 / (grown as f64 + m as f64);
                let level = if share >= t.if_errors_crit_pct {
                    HealthLevel::Critical
                } else if share >= t.if_errors_warn_pct {
                    HealthLevel::Warning
                } else {
                    continue;
                };
                (level, format!(", {share:.2}% of packets"))
            }
            // no packet counters (no ifXTable): the count alone
            None => (HealthLevel::Warning, String::new()),
        };
        worst.push((
            level,
            format!(
                "{}: {grown} errors+discards since the baseline ({rate:.2}/s{share})",
                key(x)
            ),
        ));
    }
    worst.sort_by_key(|w| std::cmp::Reverse(w.0));
    if let Some(level) = worst.first().map(|w| w.0) {
        let shown: Vec<&str> = worst
            .iter()
            .take(NAMES_SHOWN)
            .map(|w| w.1.as_str())
            .collect();
        let more = worst.len().saturating_sub(NAMES_SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        v.flag(
            level,
            HealthCheck::IfErrors,
            format!(
                "interface errors (warning ≥ {}%, critical ≥ {}% of packets): {}{more}",
                t.if_errors_warn_pct,
                t.if_errors_crit_pct,
                shown.join("; ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Rtt;

    fn thresholds() -> Thresholds {
        crate::profile::ScanProfile::builtin("standard")
            .unwrap()
            .unwrap()
            .thresholds
    }

    fn port(index: u64, name: &str, admin: bool, oper: bool) -> Interface {
        Interface {
            index,
            name: Some(name.into()),
            if_type: Some(6),
            admin_up: Some(admin),
            oper_up: Some(oper),
            ..Interface::default()
        }
    }

    fn device(ifs: Vec<Interface>, neighbors: Vec<Neighbor>) -> Device {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/scan.json"
        ));
        let mut d = crate::scanfile::parse(text).expect("fixture").devices[0].clone();
        d.interfaces = Some(ifs);
        d.neighbors = Some(neighbors);
        d
    }

    #[test]
    fn status_takes_the_worst_reason() {
        let t = thresholds();
        let ok = assess(
            &Inputs {
                ..Inputs::default()
            },
            &t,
        );
        assert_eq!((ok.status, ok.reasons.len()), (HealthLevel::Ok, 0));
        let ifs = vec![
            Interface {
                index: 1,
                name: Some("Gi0/1".into()),
                alias: Some("uplink to core".into()),
                admin_up: Some(true),
                oper_up: Some(false),
                ..Interface::default()
            },
            Interface {
                index: 2,
                name: Some("Gi0/2".into()),
                admin_up: Some(false),
                oper_up: Some(false),
                ..Interface::default()
            },
        ];
        let r = Readings {
            cpu: Some((97.0, "cpu".into())),
            ..Readings::default()
        };
        let h = assess(
            &Inputs {
                interfaces: Some(&ifs),
                readings: Some(&r),
                ..Inputs::default()
            },
            &t,
        );
        assert_eq!(h.status, HealthLevel::Critical);
        assert!(
            h.reasons.iter().any(|x| x.contains(
                "1 port(s) in use are down (admin-up, oper-down): Gi0/1 \"uplink to core\""
            )),
            "{:?}",
            h.reasons
        );
        assert_eq!(h.cpu_pct, Some(97.0));
        let lossy = Icmp {
            alive: true,
            sent: 10,
            received: 8,
            loss_pct: 20.0,
            rtt_ms: Some(Rtt {
                min: 1.0,
                avg: 1.0,
                max: 1.0,
                jitter: 0.0,
            }),
        };
        let h = assess(
            &Inputs {
                icmp: Some(&lossy),
                ..Inputs::default()
            },
            &t,
        );
        assert_eq!(h.status, HealthLevel::Warning);
        let dead = Icmp {
            alive: false,
            sent: 3,
            received: 0,
            loss_pct: 100.0,
            rtt_ms: None,
        };
        // found by the sweep's echo, then every follow-up lost: alive,
        // with its loss
        let h = assess(
            &Inputs {
                icmp: Some(&dead),
                swept_alive: true,
                ..Inputs::default()
            },
            &t,
        );
        assert_eq!(h.status, HealthLevel::Critical);
        assert_eq!(
            h.reasons,
            ["packet loss 100% (critical ≥ 50%): none of 3 echoes answered after the sweep's was"]
        );
        // found by SNMP or TCP only: a host filtering ICMP is not graded
        let h = assess(
            &Inputs {
                icmp: Some(&dead),
                ..Inputs::default()
            },
            &t,
        );
        assert_eq!(h.status, HealthLevel::Ok);
        let h = assess(
            &Inputs {
                uptime_ticks: Some(4200),
                ..Inputs::default()
            },
            &t,
        );
        assert!(
            h.status == HealthLevel::Warning && h.reasons[0].starts_with("rebooted 42s ago"),
            "{:?}",
            h.reasons
        );
    }

    #[test]
    fn a_down_port_warns_only_when_someone_cares() {
        let t = thresholds();
        // never cabled, no description: counted unused, nothing raised
        let ifs = vec![
            port(1, "Gi0/1", true, true),
            port(2, "Gi0/2", true, false),
            port(3, "Gi0/3", false, false),
            Interface {
                if_type: Some(136), // a VLAN interface is no port
                ..port(4, "Vlan9", true, false)
            },
        ];
        let h = assess(
            &Inputs {
                interfaces: Some(&ifs),
                ..Inputs::default()
            },
            &t,
        );
        assert_eq!(
            (h.status, h.unused_ports),
            (HealthLevel::Ok, Some(2)),
            "{:?}",
            h.reasons
        );
        // up in the baseline, or linked there: now down, a warning naming it
        let mut was = ifs.clone();
        was[1].oper_up = Some(true);
        let link = Neighbor {
            local_port: Some("Gi0/3".into()),
            protocol: "lldp".into(),
            ..Neighbor::default()
        };
        let mut now = ifs.clone();
        now[2].admin_up = Some(true);
        let before = device(was, vec![link]);
        let h = assess(
            &Inputs {
                interfaces: Some(&now),
                previous: Some(Previous {
                    device: &before,
                    elapsed: Duration::from_secs(60),
                }),
                ..Inputs::default()
            },
            &t,
        );
        assert_eq!(h.status, HealthLevel::Warning);
        assert_eq!(
            h.reasons,
            [
                "2 port(s) in use are down (admin-up, oper-down): Gi0/2 (up in the baseline), \
              Gi0/3 (had a neighbour in the baseline)"
            ]
        );
        assert_eq!(h.unused_ports, Some(0));
        // no baseline, but the topology expects a link on Gi0/2 (written
        // in another case): a warning naming it; the other port is unused
        let expected: BTreeSet<String> = ["gi0/2".to_string()].into();
        let h = assess(
            &Inputs {
                interfaces: Some(&ifs),
                expected_ports: Some(&expected),
                ..Inputs::default()
            },
            &t,
        );
        assert_eq!(
            h.reasons,
            ["1 port(s) in use are down (admin-up, oper-down): Gi0/2 (the topology expects a link on it)"]
        );
        assert_eq!(h.unused_ports, Some(1));
    }

    fn counted(errors: u64, packets: u64) -> Interface {
        Interface {
            in_errors: Some(errors),
            out_errors: Some(0),
            in_discards: Some(0),
            out_discards: Some(0),
            in_packets: Some(packets),
            out_packets: Some(0),
            ..port(1, "Gi0/1", true, true)
        }
    }

    #[test]
    fn errors_are_graded_as_a_share_since_the_baseline_never_since_boot() {
        let t = thresholds();
        let judge = |now: &Interface, before: Option<&Device>| {
            let ifs = [now.clone()];
            assess(
                &Inputs {
                    interfaces: Some(&ifs),
                    previous: before.map(|d| Previous {
                        device: d,
                        elapsed: Duration::from_secs(1000),
                    }),
                    ..Inputs::default()
                },
                &t,
            )
        };
        // months of errors since boot, no baseline: not graded
        let h = judge(&counted(5_000_000, 9_000_000_000), None);
        assert_eq!(h.status, HealthLevel::Ok, "{:?}", h.reasons);
        let base = device(vec![counted(1000, 1_000_000)], vec![]);
        // 2,000 more errors in 100,000 packets: 1.96 %, critical
        let h = judge(&counted(3000, 1_100_000), Some(&base));
        assert_eq!(h.status, HealthLevel::Critical, "{:?}", h.reasons);
        assert_eq!(
            h.reasons,
            [
                "interface errors (warning ≥ 0.1%, critical ≥ 1% of packets): \
              Gi0/1: 2000 errors+discards since the baseline (2.00/s, 1.96% of packets)"
            ]
        );
        // 200 in 100,000: 0.2 %, a warning
        let h = judge(&counted(1200, 1_100_000), Some(&base));
        assert_eq!(h.status, HealthLevel::Warning, "{:?}", h.reasons);
        // 500 in ten million: 0.005 %, nothing
        let h = judge(&counted(1500, 11_000_000), Some(&base));
        assert_eq!(h.status, HealthLevel::Ok, "{:?}", h.reasons);
        // fewer than if_errors_min new ones, or counters reset: nothing
        let h = judge(&counted(1050, 1_000_100), Some(&base));
        assert_eq!(h.status, HealthLevel::Ok, "{:?}", h.reasons);
        let h = judge(&counted(10, 100), Some(&base));
        assert_eq!(h.status, HealthLevel::Ok, "{:?}", h.reasons);
    }
}
