//! `netcensus locate SCAN HOST`.

use netcensus::{Error, LocateQuery, EXIT_FAILED};

use crate::cli::LocateArgs;

/// Say where the host is; exit 1 when the scan does not know it.
pub fn run(a: &LocateArgs) -> Result<i32, Error> {
    let query: LocateQuery = a.host.parse().map_err(Error::Usage)?;
    let scan = netcensus::load_scan_file(&a.scan)?;
    let lines = netcensus::render_locate(&scan, query);
    if lines.is_empty() {
        crate::logging::failure(&format!(
            "{}: not in {} (no device, endpoint or ARP entry has it)",
            netcensus::terminal_text(&a.host),
            a.scan.display()
        ));
        return Ok(EXIT_FAILED);
    }
    crate::print_stdout(&(lines.join("\n") + "\n"));
    Ok(0)
}
