//! `netcensus report SCAN [--diff BASELINE] [--check TOPOLOGY]`.

use netcensus::{check_writable, write_atomic};
use netcensus::{Error, EXIT_FAILED};
use netcensus::{Primary, View};

use crate::cli::{ReportArgs, StdoutFormat};

/// Render a scan file, with its drift and a check if asked; 1 when
/// `--fail-on` drift is found or the check fails.
pub fn run(a: &ReportArgs, quiet: bool) -> Result<i32, Error> {
    let files = super::outputs(&a.out.output, "-o", a.out.format)?;
    super::check_formats(&files, a.diff.is_some() || a.check.is_some())?;
    if let Some(p) = &a.interfaces_csv {
        check_writable(p)?;
    }
    let rules = super::drift::rules(&a.drift)?;
    let fail = super::drift::fail_on(&a.drift)?;
    if fail.is_some() && a.diff.is_none() {
        return Err(Error::Usage("--fail-on needs --diff BASELINE".into()));
    }
    let scan = netcensus::load_scan_file(&a.scan)?;
    let d = match &a.diff {
        Some(b) => Some(netcensus::diff(
            &netcensus::load_scan_file(b)?,
            &scan,
            &rules,
        )),
        None => None,
    };
    let c = match &a.check {
        Some(t) => {
            let topo = netcensus::load_topology(t)?;
            Some(netcensus::check_topology(
                &topo,
                &t.display().to_string(),
                &scan,
            ))
        }
        None => None,
    };
    let view = View {
        primary: Primary::Scan,
        scan: Some(&scan),
        diff: d.as_ref(),
        check: c.as_ref(),
        color: super::color(),
    };
    if let Some(p) = &a.interfaces_csv {
        write_atomic(p, netcensus::interfaces_csv(&scan).as_bytes())?;
    }
    let stdout = a.out.format.unwrap_or(StdoutFormat::Table);
    super::emit(&view, &files, (!quiet).then_some(stdout))?;
    let drift_fails = d
        .as_ref()
        .is_some_and(|d| super::drift::verdict(d, fail.as_ref()) != 0);
    let check_fails = c.as_ref().is_some_and(|c| c.failed > 0);
    Ok(if drift_fails || check_fails {
        EXIT_FAILED
    } else {
        0
    })
}
