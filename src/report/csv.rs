//! CSV (RFC 4180, via the csv crate): devices, interfaces, drift changes
//! or check results, one row each, with a header row, every cell quoted.
//! Cells that a spreadsheet would run as a formula (starting, after any
//! leading whitespace, with `=`, `+`, `-`, `@`, their full-width forms,
//! tab or carriage return) get a leading `'`, and so does every part after
//! a `;` (the field separator of many locales), so a device naming itself
//! `=HYPERLINK(...)` or ` ;=cmd|...` stays text.

use crate::diff::Diff;
use crate::model::{Device, ScanFile};
use crate::topology::Check;

/// Does a spreadsheet read `part` as a formula?
fn formula(part: &str) -> bool {
    let first = part.trim_start_matches(|c: char| c.is_whitespace() && c != '\t' && c != '\r');
    matches!(
        first.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '＝' | '＋' | '－' | '＠')
    )
}

/// Neutralise formula injection: a `'` before the cell, and after each
/// `;`, whose text a spreadsheet would run.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for (i, part) in s.split(';').enumerate() {
        if i > 0 {
            out.push(';');
        }
        if formula(part) {
            out.push('\'');
        }
        out.push_str(part);
    }
    out
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| cell(&v.to_string())).unwrap_or_default()
}

fn write(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    // writing into memory cannot fail
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Columns of the devices CSV.
pub const DEVICE_COLUMNS: [&str; 23] = [
    "ip",
    "id",
    "name",
    "role",
    "vendor",
    "model",
    "os",
    "os_version",
    "serial",
    "location",
    "contact",
    "sys_object_id",
    "sys_descr",
    "found_by",
    "snmp_version",
    "uptime_s",
    "rtt_avg_ms",
    "loss_pct",
    "health",
    "health_reasons",
    "interfaces",
    "neighbors",
    "errors",
];

fn device_row(d: &Device) -> Vec<String> {
    let s = d.snmp.as_ref();
    let h = d.health.as_ref();
    vec![
        cell(&d.ip.to_string()),
        cell(&d.id),
        opt(s.and_then(|s| s.sys_name.as_deref())),
        opt(d.role.map(crate::vocab::Role::name)),
        opt(d.vendor.as_deref()),
        opt(d.model.as_deref()),
        opt(d.os.as_deref()),
        opt(d.os_version.as_deref()),
        opt(d.serial.as_deref()),
        opt(s.and_then(|s| s.sys_location.as_deref())),
        opt(s.and_then(|s| s.sys_contact.as_deref())),
        opt(s.and_then(|s| s.sys_object_id.as_deref())),
        opt(s.and_then(|s| s.sys_descr.as_deref())),
        cell(
            &d.found_by
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        opt(s.map(|s| s.version.name())),
        opt(s.and_then(|s| s.sys_uptime_ticks).map(|t| t / 100)),
        opt(d
            .icmp
            .as_ref()
            .and_then(|i| i.rtt_ms.as_ref())
            .map(|r| r.avg)),
        opt(d.icmp.as_ref().map(|i| i.loss_pct)),
        opt(h.map(|h| h.status.name())),
        cell(&h.map(|h| h.reasons.join("; ")).unwrap_or_default()),
        opt(d.interfaces.as_ref().map(Vec::len)),
        opt(d.neighbors.as_ref().map(Vec::len)),
        cell(&d.errors.join("; ")),
    ]
}

/// One row per device.
pub fn devices(scan: &ScanFile) -> String {
    write(&DEVICE_COLUMNS, scan.devices.iter().map(device_row))
}

/// One row per interface of every device (`--interfaces-csv`).
pub fn interfaces(scan: &ScanFile) -> String {
    let header = [
        "device_ip",
        "device_name",
        "index",
        "name",
        "alias",
        "type",
        "admin_up",
        "oper_up",
        "speed_mbps",
        "mac",
        "in_errors",
        "out_errors",
        "in_discards",
        "out_discards",
        "last_change_ticks",
    ];
    let rows = scan.devices.iter().flat_map(|d| {
        let name = d.snmp.as_ref().and_then(|s| s.sys_name.clone());
        d.interfaces.iter().flatten().map(move |i| {
            vec![
                cell(&d.ip.to_string()),
                opt(name.as_deref()),
                i.index.to_string(),
                opt(i.name.as_deref()),
                opt(i.alias.as_deref()),
                opt(i.if_type),
                opt(i.admin_up),
                opt(i.oper_up),
                opt(i.speed_mbps),
                opt(i.mac.as_deref()),
                opt(i.in_errors),
                opt(i.out_errors),
                opt(i.in_discards),
                opt(i.out_discards),
                opt(i.last_change_ticks),
            ]
        })
    });
    write(&header, rows)
}

/// One row per change.
pub fn changes(d: &Diff) -> String {
    let header = [
        "kind", "ip", "old_ip", "id", "name", "field", "from", "to", "text",
    ];
    let rows = d.changes.iter().map(|c| {
        vec![
            c.kind.name().to_string(),
            cell(&c.ip),
            opt(c.old_ip.as_deref()),
            cell(&c.id),
            opt(c.name.as_deref()),
            opt(c.field.as_deref()),
            opt(c.from.as_deref()),
            opt(c.to.as_deref()),
            cell(&c.text),
        ]
    });
    write(&header, rows)
}

/// One row per expectation.
pub fn results(c: &Check) -> String {
    let header = ["result", "expectation", "detail", "origin"];
    let rows = c.results.iter().map(|r| {
        vec![
            r.verdict().name().to_string(),
            cell(&r.expectation),
            cell(&r.detail),
            opt(r.origin.as_deref()),
        ]
    });
    write(&header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_text_wherever_a_spreadsheet_would_start_one() {
        for (given, want) in [
            ("=1+1", "'=1+1"),
            ("  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0"),
            ("a;=cmd", "a;'=cmd"),
            ("a; @SUM(1)", "a;' @SUM(1)"),
            ("＝HYPERLINK(\"x\")", "'＝HYPERLINK(\"x\")"),
            ("\u{3000}+1", "'\u{3000}+1"),
            ("-5 dBm", "'-5 dBm"),
            ("core-rtr-1", "core-rtr-1"),
            ("a;b", "a;b"),
        ] {
            assert_eq!(cell(given), want, "{given:?}");
        }
        // every cell quoted: no separator inside a value splits it
        let text = write(&["a"], std::iter::once(vec![cell("x,y;z")]));
        assert_eq!(text, "\"a\"\r\n\"x,y;z\"\r\n");
    }
}
