//! Drift flags shared by `scan --baseline`, `diff` and `report --diff`:
//! the comparison rules, `--fail-on`, and the exit code it gives.

use std::collections::BTreeSet;

use netcensus::{parse_kinds, Diff, DriftKind as Kind, DriftRules as Rules};
use netcensus::{Error, EXIT_FAILED};

use crate::cli::DriftArgs;

/// The rules of the flags, on top of the rules file.
pub fn rules(a: &DriftArgs) -> Result<Rules, Error> {
    let mut r = Rules::default();
    if let Some(f) = &a.rules {
        r.load(f)?;
    }
    let flag = |name: &str, res: Result<(), String>| {
        res.map_err(|m| Error::Usage(format!("--{name}: {m}")))
    };
    for f in &a.ignore_field {
        flag("ignore-field", r.ignore_field(f))?;
    }
    for p in &a.ignore_prefix {
        flag("ignore-prefix", r.ignore_prefix(p))?;
    }
    for i in &a.ignore_interface {
        flag("ignore-interface", r.ignore_interface(i))?;
    }
    r.devices.extend(a.ignore_device.iter().cloned());
    if let Some(ms) = a.rtt_tolerance {
        if !(ms >= 0.0 && ms.is_finite()) {
            return Err(Error::Usage("--rtt-tolerance: must be a number ≥ 0".into()));
        }
        r.rtt_ms = ms;
    }
    if let Some(n) = a.counter_tolerance {
        r.counters = Some(n);
    }
    Ok(r)
}

/// The `--fail-on` kinds, if any.
pub fn fail_on(a: &DriftArgs) -> Result<Option<BTreeSet<Kind>>, Error> {
    a.fail_on
        .as_deref()
        .map(|s| parse_kinds(s).map_err(|m| Error::Usage(format!("--fail-on: {m}"))))
        .transpose()
}

/// The exit code for a diff under `--fail-on`.
pub fn verdict(d: &Diff, fail: Option<&BTreeSet<Kind>>) -> i32 {
    match fail {
        Some(kinds) if d.has_any(kinds) => EXIT_FAILED,
        _ => 0,
    }
}
