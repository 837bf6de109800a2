//! `netcensus diff BASELINE SCAN` (the drift flags it shares live in `drift`).

use netcensus::diff;
use netcensus::error::Error;
use netcensus::report::{Primary, View};

use super::drift::{fail_on, rules, verdict};
use crate::cli::{DiffArgs, StdoutFormat};

/// `netcensus diff`.
pub fn run(a: &DiffArgs, quiet: bool) -> Result<i32, Error> {
    let rules = rules(&a.drift)?;
    let fail = fail_on(&a.drift)?;
    let files = super::outputs(&a.out.output, "-o", a.out.format)?;
    let old = netcensus::scanfile::load(&a.baseline)?;
    let new = netcensus::scanfile::load(&a.scan)?;
    let d = diff::diff(&old, &new, &rules);
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
