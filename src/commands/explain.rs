//! `netcensus explain SCAN IP`.

use std::net::IpAddr;

use netcensus::Error;
use netcensus::Profiles;

use crate::cli::ExplainArgs;

/// Print the evidence behind one device's classification.
pub fn run(a: &ExplainArgs, profiles: &Profiles) -> Result<i32, Error> {
    let scan = netcensus::load_scan_file(&a.scan)?;
    let want: IpAddr =
        a.ip.parse()
            .map_err(|_| Error::Usage(format!("'{}' is not an IP address", a.ip)))?;
    let device =
        scan.devices.iter().find(|d| d.ip == want).ok_or_else(|| {
            Error::Usage(format!("{want} is not a device of {}", a.scan.display()))
        })?;
    crate::print_stdout(&netcensus::render_explain(device, profiles));
    Ok(0)
}
