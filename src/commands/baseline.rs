//! `netcensus baseline save SCAN -o FILE`.

use netcensus::baseline;
use netcensus::error::Error;

use crate::cli::BaselineCommand;

/// Run a baseline subcommand.
pub fn run(c: &BaselineCommand) -> Result<i32, Error> {
    match c {
        BaselineCommand::Save { scan, output } => {
            let s = netcensus::scanfile::load(scan)?;
            baseline::save(&s, output)?;
            Ok(0)
        }
    }
}
