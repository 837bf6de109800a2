//! `netcensus explain SCAN IP`.

use std::net::IpAddr;

use netcensus::error::Error;
use netcensus::model::ScanFile;
use netcensus::profile::Profiles;
use netcensus::report;

use crate::cli::ExplainArgs;

/// Print the evidence behind one device's classification.
pub fn run(a: &ExplainArgs, profiles: &Profiles) -> Result<i32, Error> {
    let bad = |reason: String| Error::ScanFile {
        path: a.scan.clone(),
        reason,
    };
    let text = std::fs::read_to_string(&a.scan).map_err(|e| bad(e.to_string()))?;
    let scan: ScanFile = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let want: IpAddr =
        a.ip.parse()
            .map_err(|_| Error::Usage(format!("'{}' is not an IP address", a.ip)))?;
    let device = scan
        .devices
        .iter()
        .find(|d| d.ip.parse::<IpAddr>().ok() == Some(want))
        .ok_or_else(|| Error::Usage(format!("{want} is not a device of {}", a.scan.display())))?;
    crate::print_stdout(&report::explain::render(device, profiles));
    Ok(0)
}
