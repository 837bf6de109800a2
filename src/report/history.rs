//! `netcensus history`: the devices of a history directory, when each was
//! first and last seen, and (for one device) what changed between scans.

use std::fmt::Write as _;

use comfy_table::{presets::NOTHING, ContentArrangement, Table};

use super::text::one_line as cell;
use crate::history::{Timeline, Track};

/// Longest change text shown on one line.
const TEXT_MAX: usize = 300;

/// Every device: a table, newest state first per column.
pub fn render(t: &Timeline) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary(t));
    if t.devices.is_empty() {
        return out;
    }
    let mut table = Table::new();
    table
        .load_preset(NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(120)
        .set_header([
            "ADDRESS",
            "NAME",
            "FIRST SEEN",
            "LAST SEEN",
            "SEEN",
            "CHANGES",
        ]);
    for d in &t.devices {
        table.add_row([
            d.ip.to_string(),
            cell(d.name.as_deref().unwrap_or("-"), 40),
            d.first_seen.clone(),
            format!("{}{}", d.last_seen, if d.present { "" } else { " (gone)" }),
            format!("{}/{}", d.seen, t.scans.len()),
            d.changes.len().to_string(),
        ]);
    }
    let _ = writeln!(out, "{table}");
    out
}

/// One device: when it was seen and each change, oldest first.
pub fn render_device(t: &Timeline, d: &Track) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}{}: first seen {}, last seen {}{}, in {} of {} scans",
        d.ip,
        d.name
            .as_deref()
            .map(|n| format!(" {}", cell(n, 60)))
            .unwrap_or_default(),
        d.first_seen,
        d.last_seen,
        if d.present {
            ""
        } else {
            " (not in the newest scan)"
        },
        d.seen,
        t.scans.len()
    );
    if d.changes.is_empty() {
        out.push_str("no changes\n");
    }
    for c in &d.changes {
        let _ = writeln!(
            out,
            "{}  {:<10} {}",
            c.at,
            c.kind.name(),
            cell(&c.text, TEXT_MAX)
        );
    }
    out
}

fn summary(t: &Timeline) -> String {
    match (t.scans.first(), t.scans.last()) {
        (Some(a), Some(b)) => format!(
            "{} scan(s) in {}, {} to {}; {} device(s)",
            t.scans.len(),
            cell(&t.dir, 200),
            a.started_at,
            b.started_at,
            t.devices.len()
        ),
        _ => format!("no scans in {}", cell(&t.dir, 200)),
    }
}
