//! `netcensus check TOPOLOGY SCAN`.

use netcensus::baseline;
use netcensus::error::Error;
use netcensus::output::write_atomic;
use netcensus::report::{self, Format};
use netcensus::topology;

use crate::cli::{CheckArgs, StdoutFormat};

/// Check a scan against a topology; 1 when an expectation fails.
pub fn run(a: &CheckArgs) -> Result<i32, Error> {
    let files = super::diff::outputs(&a.output, "-o")?;
    let mut topo = topology::load(&a.topology)?;
    topo.allow_unknown |= a.allow_unknown;
    let scan = baseline::load(&a.scan)?;
    let c = topology::check(&topo, &a.topology.display().to_string(), &scan);
    for (path, format) in &files {
        let text = match format {
            Format::Json => report::check::json(&c),
            Format::Table => report::check::render(&c),
        };
        write_atomic(path, text.as_bytes())?;
    }
    crate::print_stdout(&match a.format {
        StdoutFormat::Json => report::check::json(&c),
        StdoutFormat::Table => report::check::render(&c),
    });
    Ok(if c.failed > 0 {
        super::diff::EXIT_FAILED
    } else {
        0
    })
}
