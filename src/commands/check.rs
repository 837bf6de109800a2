//! `netcensus check TOPOLOGY SCAN`.

use netcensus::{Error, EXIT_FAILED};
use netcensus::{Primary, View};

use crate::cli::{CheckArgs, StdoutFormat};

/// Check a scan against a topology; 1 when an expectation fails.
pub fn run(a: &CheckArgs, quiet: bool) -> Result<i32, Error> {
    let files = super::outputs(&a.out.output, "-o", a.out.format)?;
    let mut topo = netcensus::load_topology(&a.topology)?;
    topo.allow_unknown |= a.allow_unknown;
    let scan = netcensus::load_scan_file(&a.scan)?;
    let c = netcensus::check_topology(&topo, &a.topology.display().to_string(), &scan);
    let view = View {
        primary: Primary::Check,
        scan: None,
        diff: None,
        check: Some(&c),
        color: super::color(),
    };
    let stdout = a.out.format.unwrap_or(StdoutFormat::Table);
    super::emit(&view, &files, (!quiet).then_some(stdout))?;
    Ok(if c.failed > 0 { EXIT_FAILED } else { 0 })
}
