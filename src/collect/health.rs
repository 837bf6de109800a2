//! Health: CPU, memory and temperature from the metrics of
//! profiles/health.toml, and the device's status from thresholds.

use std::collections::{BTreeMap, BTreeSet};

use super::walk::{walk, Rows, WalkOptions};
use crate::model::{Health, HealthCheck, HealthLevel, Icmp, Interface};
use crate::oid::oid_string;
use crate::probe::agent::{Agent, Val};
use crate::profile::{HealthMetric, MetricKind, Thresholds};

/// CPU %, memory % and temperature °C, each with the metric that gave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readings {
    pub cpu: Option<(f64, String)>,
    pub mem: Option<(f64, String)>,
    pub temp: Option<(f64, String)>,
}

/// Every column the metrics name, once.
pub fn columns(metrics: &[HealthMetric]) -> Vec<Vec<u64>> {
    let mut set = BTreeSet::new();
    for m in metrics {
        set.insert(m.value.clone());
        set.extend(m.total.iter().cloned());
        set.extend(m.free.iter().cloned());
        set.extend(m.precision.iter().cloned());
        set.extend(m.filter.iter().map(|(c, _)| c.clone()));
    }
    set.into_iter().collect()
}

/// One metric's value from the walked rows (`cols` names their columns).
pub fn compute(m: &HealthMetric, cols: &[Vec<u64>], rows: &Rows) -> Option<f64> {
    let idx = |o: &Vec<u64>| cols.iter().position(|c| c == o);
    let vi = idx(&m.value)?;
    let mut vals = Vec::new();
    for row in rows.values() {
        if let Some((fc, want)) = &m.filter {
            let got = idx(fc).and_then(|i| row.get(&i)).and_then(Val::as_text);
            if got.as_deref() != Some(want.as_str()) {
                continue;
            }
        }
        let Some(mut v) = row.get(&vi).and_then(Val::as_i64).map(|v| v as f64) else {
            continue;
        };
        if let Some(p) = &m.precision {
            // -8..9 per ENTITY-SENSOR-MIB; anything else is not a precision
            match idx(p).and_then(|i| row.get(&i)).and_then(Val::as_i64) {
                Some(p @ -8..=9) => v /= 10f64.powi(p as i32),
                Some(_) => continue,
                None => {}
            }
        }
        let v = if let Some(t) = &m.total {
            let t = idx(t).and_then(|i| row.get(&i)).and_then(Val::as_i64)? as f64;
            if t <= 0.0 {
                continue;
            }
            100.0 * v / t
        } else if let Some(f) = &m.free {
            let f = idx(f).and_then(|i| row.get(&i)).and_then(Val::as_i64)? as f64;
            if v + f <= 0.0 {
                continue;
            }
            100.0 * v / (v + f)
        } else {
            v
        };
        if m.nonzero && v == 0.0 {
            continue;
        }
        // sentinels (65535 "not supported", -1) and nonsense are not readings
        let plausible = match m.kind {
            MetricKind::Cpu | MetricKind::Mem => (0.0..=100.0).contains(&v),
            MetricKind::Temp => (-60.0..=200.0).contains(&v),
        };
        if !plausible {
            continue;
        }
        vals.push(v);
    }
    if vals.is_empty() {
        return None;
    }
    let out = if m.average {
        vals.iter().sum::<f64>() / vals.len() as f64
    } else {
        vals.iter().copied().fold(f64::MIN, f64::max)
    };
    Some((out * 10.0).round() / 10.0)
}

/// Read the health metrics in one walk.
/// `present`: the columns the agent is known to have (from the facts'
/// presence probe), else `None` and every column is walked.
pub async fn read(
    agent: &mut Agent,
    metrics: &[HealthMetric],
    present: Option<&[String]>,
    opts: &WalkOptions,
) -> (Readings, Option<String>) {
    let cols = columns(metrics);
    let wanted: Vec<Vec<u64>> = cols
        .iter()
        .filter(|c| present.is_none_or(|p| p.contains(&oid_string(c))))
        .cloned()
        .collect();
    let mut w = walk(agent, &wanted, opts).await;
    // back to the indices of `cols`
    w.rows = w
        .rows
        .into_iter()
        .map(|(index, row)| {
            let row = row
                .into_iter()
                .filter_map(|(i, v)| Some((cols.iter().position(|c| Some(c) == wanted.get(i))?, v)))
                .collect();
            (index, row)
        })
        .collect();
    let mut r = Readings::default();
    for m in metrics {
        let slot = match m.kind {
            MetricKind::Cpu => &mut r.cpu,
            MetricKind::Mem => &mut r.mem,
            MetricKind::Temp => &mut r.temp,
        };
        if slot.is_none() {
            if let Some(v) = compute(m, &cols, &w.rows) {
                *slot = Some((v, m.id.clone()));
            }
        }
    }
    (r, w.stopped)
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
    pub readings: Option<&'a Readings>,
}

/// Judge a device: ok | warning | critical | unreachable, with reasons.
pub fn assess(i: &Inputs, t: &Thresholds) -> Health {
    let mut v = Verdicts::default();
    echoes(&mut v, i, t);
    if let Some(r) = i.readings {
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
    if let Some(up) = i.uptime_ticks {
        let secs = u64::from(up) / 100;
        if secs < t.reboot_warn.as_secs() {
            let ago = humantime::format_duration(std::time::Duration::from_secs(secs));
            v.flag(
                HealthLevel::Warning,
                HealthCheck::Reboot,
                format!("rebooted {ago} ago"),
            );
        }
    }
    if let Some(ifs) = i.interfaces {
        interfaces(&mut v, ifs, t);
    }
    let r = i.readings;
    Health {
        status: v.status,
        reasons: v.reasons,
        checks: v.checks,
        cpu_pct: r.and_then(|r| r.cpu.as_ref().map(|x| x.0)),
        mem_pct: r.and_then(|r| r.mem.as_ref().map(|x| x.0)),
        temp_c: r.and_then(|r| r.temp.as_ref().map(|x| x.0)),
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

/// At most this many interface names in a reason.
const NAMES_SHOWN: usize = 5;

/// Admin-up but oper-down ports, and error counters.
fn interfaces(v: &mut Verdicts, ifs: &[Interface], t: &Thresholds) {
    let name = |x: &Interface| x.name.clone().unwrap_or_else(|| x.index.to_string());
    let listed = |names: &[String]| {
        let shown: Vec<&str> = names.iter().take(NAMES_SHOWN).map(String::as_str).collect();
        shown.join(", ")
    };
    if t.oper_down_warn {
        let down: Vec<String> = ifs
            .iter()
            .filter(|x| x.admin_up == Some(true) && x.oper_up == Some(false))
            .map(name)
            .collect();
        if !down.is_empty() {
            let more = if down.len() > NAMES_SHOWN {
                format!(" and {} more", down.len() - NAMES_SHOWN)
            } else {
                String::new()
            };
            v.flag(
                HealthLevel::Warning,
                HealthCheck::OperDown,
                format!(
                    "{} interface(s) admin-up but oper-down: {}{more}",
                    down.len(),
                    listed(&down)
                ),
            );
        }
    }
    let errs: Vec<String> = ifs
        .iter()
        .filter(|x| x.in_errors.unwrap_or(0) + x.out_errors.unwrap_or(0) >= t.if_errors_warn)
        .map(name)
        .collect();
    if !errs.is_empty() {
        v.flag(
            HealthLevel::Warning,
            HealthCheck::IfErrors,
            format!(
                "{} interface(s) with ≥ {} errors since boot: {}",
                errs.len(),
                t.if_errors_warn,
                listed(&errs)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Rtt;
    use std::collections::BTreeMap;

    fn metric(kind: MetricKind, value: &[u64]) -> HealthMetric {
        HealthMetric {
            id: "m".into(),
            kind,
            value: value.to_vec(),
            total: None,
            free: None,
            filter: None,
            precision: None,
            average: false,
            nonzero: false,
        }
    }

    #[test]
    fn sensor_precision_scales_values() {
        // the Arista recording: 282 and 198 with precision 1 are 28.2 and 19.8 °C
        let cols = vec![vec![1, 4], vec![1, 3]];
        let mut rows: Rows = BTreeMap::new();
        rows.insert(
            vec![1],
            BTreeMap::from([(0, Val::Int(282)), (1, Val::Int(1))]),
        );
        rows.insert(
            vec![2],
            BTreeMap::from([(0, Val::Int(198)), (1, Val::Int(1))]),
        );
        let mut m = metric(MetricKind::Temp, &[1, 4]);
        // unscaled, 282 is no temperature and 198 a false one
        assert_eq!(compute(&m, &cols, &rows), Some(198.0));
        m.precision = Some(vec![1, 3]);
        assert_eq!(compute(&m, &cols, &rows), Some(28.2));
    }

    #[test]
    fn metrics_compute_max_avg_ratio_and_filter() {
        let cols = vec![vec![1, 1], vec![1, 2], vec![1, 3]];
        let mut rows: Rows = BTreeMap::new();
        rows.insert(
            vec![1],
            BTreeMap::from([(0, Val::Int(30)), (1, Val::Int(100)), (2, Val::Int(8))]),
        );
        rows.insert(
            vec![2],
            BTreeMap::from([(0, Val::Int(50)), (1, Val::Int(200)), (2, Val::Int(9))]),
        );
        let mut m = metric(MetricKind::Cpu, &[1, 1]);
        assert_eq!(compute(&m, &cols, &rows), Some(50.0));
        m.average = true;
        assert_eq!(compute(&m, &cols, &rows), Some(40.0));
        m.total = Some(vec![1, 2]);
        m.average = false;
        assert_eq!(compute(&m, &cols, &rows), Some(30.0));
        m.filter = Some((vec![1, 3], "8".into()));
        assert_eq!(compute(&m, &cols, &rows), Some(30.0));
        m.total = None;
        m.free = Some(vec![1, 2]);
        assert_eq!(compute(&m, &cols, &rows), Some(23.1));
        assert_eq!(
            compute(&metric(MetricKind::Temp, &[9, 9]), &cols, &rows),
            None
        );
    }

    #[test]
    fn status_takes_the_worst_reason() {
        let t = crate::profile::ScanProfile::builtin("standard")
            .unwrap()
            .unwrap()
            .thresholds;
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
            h.reasons
                .iter()
                .any(|x| x.contains("1 interface(s) admin-up but oper-down: Gi0/1")),
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
}
