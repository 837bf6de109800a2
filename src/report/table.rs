//! Terminal table: one row per device, then a summary line.

use comfy_table::{presets::NOTHING, Cell, Color, ContentArrangement, Table};

use crate::model::{Device, ScanFile};

/// Widest the table gets: fits a 100-column terminal.
const WIDTH: u16 = 100;

pub use super::text::one_line as cell;

fn rtt(d: &Device) -> String {
    match d.icmp.as_ref().and_then(|i| i.rtt_ms.as_ref()) {
        Some(r) => format!("{:.2}", r.avg),
        None => "-".into(),
    }
}

fn loss(d: &Device) -> String {
    match &d.icmp {
        Some(i) => format!("{:.0}%", i.loss_pct),
        None => "-".into(),
    }
}

/// The health cell, coloured when `color` (a terminal without NO_COLOR).
fn health_cell(status: Option<&str>, color: bool) -> Cell {
    let c = Cell::new(cell(status.unwrap_or("-"), 11));
    if !color {
        return c;
    }
    match status {
        Some("ok") => c.fg(Color::Green),
        Some("warning") => c.fg(Color::Yellow),
        Some("critical" | "unreachable") => c.fg(Color::Red),
        _ => c,
    }
}

/// Longest device text in a detail line.
const DETAIL_MAX: usize = 400;

/// Under the table, each device that has something to say: why it is not
/// ok, its addresses, members and unused ports, a line each.
fn details(scan: &ScanFile) -> String {
    let clean = |s: &str| cell(s, DETAIL_MAX);
    let mut out = String::new();
    for d in &scan.devices {
        let x = super::Details::of(d, &clean);
        if x.is_empty() {
            continue;
        }
        let name = d.snmp.as_ref().and_then(|s| s.sys_name.as_deref());
        out.push_str(&format!(
            "\n{}{}\n",
            d.ip,
            name.map(|n| format!(" {}", clean(n))).unwrap_or_default()
        ));
        for r in &x.reasons {
            out.push_str(&format!("  {}: {r}\n", x.status.unwrap_or("?")));
        }
        for f in &x.facts {
            out.push_str(&format!("  {f}\n"));
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Render the devices (one line each, fitting 100 columns) and a summary
/// line; `color` adds ANSI colours to the health column.
pub fn render(scan: &ScanFile, color: bool) -> String {
    let ip_w = scan
        .devices
        .iter()
        .map(|d| d.ip.to_string().len())
        .max()
        .unwrap_or(2);
    // IP, ROLE, VENDOR, MODEL, RTT, LOSS, HEALTH; the name takes the rest
    let fixed = ip_w + 12 + 12 + 16 + 6 + 4 + 7;
    let name_w = usize::from(WIDTH).saturating_sub(fixed + 8 * 2).max(10);
    let mut t = Table::new();
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t.load_preset(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header([
            "IP", "ROLE", "VENDOR", "MODEL", "NAME", "RTT ms", "LOSS", "HEALTH",
        ]);
    for d in &scan.devices {
        let opt = |v: Option<&str>, w: usize| cell(v.unwrap_or("-"), w);
        let name = d.snmp.as_ref().and_then(|s| s.sys_name.as_deref());
        t.add_row([
            Cell::new(d.ip),
            Cell::new(opt(d.role.map(crate::vocab::Role::name), 12)),
            Cell::new(opt(d.vendor.as_deref(), 12)),
            Cell::new(opt(d.model.as_deref(), 16)),
            Cell::new(opt(name, name_w)),
            Cell::new(rtt(d)),
            Cell::new(loss(d)),
            health_cell(d.health.as_ref().map(|h| h.status.name()), color),
        ]);
    }
    let st = &scan.stats;
    let mut out = if scan.devices.is_empty() {
        String::new()
    } else {
        format!("{t}\n")
    };
    out.push_str(&details(scan));
    let mut roles: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for d in &scan.devices {
        *roles
            .entry(d.role.map(crate::vocab::Role::name).unwrap_or("unknown"))
            .or_default() += 1;
    }
    let by_role: Vec<String> = roles.iter().map(|(r, n)| format!("{n} {r}")).collect();
    out.push_str(&format!(
        "{} addresses swept, {} device(s): {} answer ping, {} answer SNMP, {} answer TCP; {:.1} s{}\n",
        st.addresses,
        st.devices,
        st.icmp_alive,
        st.snmp_responding,
        st.tcp_alive,
        scan.duration_ms as f64 / 1000.0,
        if scan.interrupted { " (INTERRUPTED: partial results)" } else { "" },
    ));
    if !by_role.is_empty() {
        out.push_str(&format!("by role: {}\n", by_role.join(", ")));
    }
    let mut health: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for h in scan.devices.iter().filter_map(|d| d.health.as_ref()) {
        *health.entry(h.status.name()).or_default() += 1;
    }
    if !health.is_empty() {
        let parts: Vec<String> = ["ok", "warning", "critical", "unreachable"]
            .iter()
            .filter_map(|k| health.get(k).map(|n| format!("{n} {k}")))
            .collect();
        out.push_str(&format!("health: {}\n", parts.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_list_addresses_members_unused_ports_and_each_reason() {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/scan.json"
        ));
        let mut scan = crate::scanfile::parse(text).expect("fixture");
        scan.devices.truncate(1);
        let d = &mut scan.devices[0];
        d.addresses = ["10.77.0.10", "fd77::10"]
            .iter()
            .map(|ip| crate::model::Address {
                ip: ip.parse().expect("ip"),
                found_by: vec![],
                icmp: None,
                snmp: None,
            })
            .collect();
        d.members = ["A1", "A2\x1b[2J"]
            .iter()
            .map(|serial| crate::model::Chassis {
                model: Some("S5800".into()),
                serial: Some(serial.to_string()),
                ..Default::default()
            })
            .collect();
        let h = d.health.as_mut().expect("health");
        h.status = crate::model::HealthLevel::Warning;
        h.reasons = vec!["first".into(), "second".into()];
        h.unused_ports = Some(7);
        let t = render(&scan, false);
        let details: Vec<&str> = t
            .lines()
            .skip_while(|l| !l.starts_with("10.77.0.10"))
            .take_while(|l| !l.is_empty())
            .collect();
        assert_eq!(
            details,
            [
                "10.77.0.10",
                "  warning: first",
                "  warning: second",
                "  addresses 10.77.0.10, fd77::10",
                "  members S5800 A1, S5800 A2 [2J",
                "  7 unused port(s)",
            ]
        );
    }

    #[test]
    fn hostile_text_is_neutralised_and_cut() {
        assert_eq!(cell("a\x1b[2Jb\r\nc", 40), "a [2Jb c");
        let long = "x".repeat(500);
        assert_eq!(cell(&long, 10).chars().count(), 10);
    }
}
