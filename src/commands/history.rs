//! `netcensus history DIR [DEVICE]`.

use netcensus::{DriftRules, Error};

use crate::cli::{HistoryArgs, HistoryFormat};

/// Show the history kept by `scan --history DIR`.
pub fn run(a: &HistoryArgs) -> Result<i32, Error> {
    let timeline = netcensus::history_timeline(&a.dir, &DriftRules::default())?;
    let text = match (&a.device, a.format) {
        (None, HistoryFormat::Table) => netcensus::render_history(&timeline),
        (None, HistoryFormat::Json) => netcensus::to_json(&timeline),
        (Some(who), format) => {
            let track = timeline.devices.iter().find(|t| t.is(who)).ok_or_else(|| {
                Error::Usage(format!(
                    "{}: no device '{}' in its {} scan(s) (give an IP address, a sysName or an id)",
                    a.dir.display(),
                    netcensus::one_line(who, 100),
                    timeline.scans.len()
                ))
            })?;
            match format {
                HistoryFormat::Table => netcensus::render_history_device(&timeline, track),
                HistoryFormat::Json => netcensus::to_json(track),
            }
        }
    };
    crate::print_stdout(&text);
    Ok(0)
}
