//! `netcensus diff BASELINE SCAN` (the drift flags it shares live in `drift`).

use netcensus::Error;
use netcensus::{Primary, View};

use super::drift::{fail_on, rules, verdict};
use crate::cli::{DiffArgs, StdoutFormat};

/// `netcensus diff`.
pub fn run(a: &DiffArgs, quiet: bool) -> Result<i32, Error> {
    let rules = rules(&a.drift)?;
    let fail = fail_on(&a.drift)?;
    let files = super::outputs(&a.out.output, "-o", a.out.format)?;
    let old = netcensus::load_scan_file(&a.baseline)?;
    let new = netcensus::load_scan_file(&a.scan)?;
    let d = netcensus::diff(&old, &new, &rules);
    let view = View {
        primary: Primary::Diff,
        scan: Some(&new),
        diff: Some(&d),
        check: None,
        color: super::color(),
    };
    let stdout = a.out.format.unwrap_or(StdoutFormat::Table);
    super::emit(&view, &files, (!quiet).then_some(stdout))?;
    Ok(verdict(&d, fail.as_ref()))
}
