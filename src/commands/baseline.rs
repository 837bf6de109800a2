//! `netcensus baseline save SCAN -o FILE`.

use netcensus::Error;

use crate::cli::BaselineCommand;

/// Run a baseline subcommand.
pub fn run(c: &BaselineCommand) -> Result<i32, Error> {
    match c {
        BaselineCommand::Save { scan, output } => {
            // the same lock a scan with --save-baseline takes: a manual
            // save never races a cron run to the file
            let _lock = netcensus::lock_baseline(&netcensus::baseline_lock_path(output))?;
            let s = netcensus::load_scan_file(scan)?;
            netcensus::save_baseline(&s, output)?;
            Ok(0)
        }
    }
}
