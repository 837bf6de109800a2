//! Health readings: CPU, memory and temperature from the metrics of
//! profiles/health.toml (judging them is `judge`'s job).

use std::collections::BTreeSet;

use super::walk::{walk, Rows, WalkOptions};
use crate::oid::oid_string;
use crate::probe::agent::{Agent, Val};
use crate::profile::{HealthMetric, MetricKind};

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

#[cfg(test)]
mod tests {
    use super::*;
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
}
