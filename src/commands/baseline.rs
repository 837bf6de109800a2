//! `netcensus baseline save SCAN -o FILE`.

use netcensus::Error;

use crate::cli::BaselineCommand;

/// Run a baseline subcommand.
pub fn run(c: &BaselineCommand) -> Result<i32, Error> {
    match c {
        BaselineCommand::Save { scan, output } => {
            let s = netcensus::load_scan_file(scan)?;
            netcensus::save_baseline(&s, output)?;
            Ok(0)
        }
    }
}
