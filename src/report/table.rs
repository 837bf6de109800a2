//! Terminal table: one row per device, then a summary line.

use comfy_table::{presets::NOTHING, ContentArrangement, Table};

use crate::model::{Device, ScanFile};

/// Widest the table gets: fits a 100-column terminal.
const WIDTH: u16 = 100;

/// Device-supplied text is data: control characters become visible escapes
/// and long text is cut, so a hostile agent cannot redraw the terminal.
pub fn cell(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.chars().count() > max {
        let cut: String = clean.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        clean
    }
}

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

/// Render the devices (one line each, fitting 100 columns) and a summary line.
pub fn render(scan: &ScanFile) -> String {
    let ip_w = scan.devices.iter().map(|d| d.ip.len()).max().unwrap_or(2);
    // IP, ROLE, VENDOR, MODEL, RTT, LOSS, HEALTH; the name takes the rest
    let fixed = ip_w + 12 + 12 + 16 + 6 + 4 + 7;
    let name_w = usize::from(WIDTH).saturating_sub(fixed + 8 * 2).max(10);
    let mut t = Table::new();
    t.load_preset(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header([
            "IP", "ROLE", "VENDOR", "MODEL", "NAME", "RTT ms", "LOSS", "HEALTH",
        ]);
    for d in &scan.devices {
        let opt = |v: Option<&str>, w: usize| cell(v.unwrap_or("-"), w);
        let name = d.snmp.as_ref().and_then(|s| s.sys_name.as_deref());
        t.add_row([
            d.ip.clone(),
            opt(d.role.as_deref(), 12),
            opt(d.vendor.as_deref(), 12),
            opt(d.model.as_deref(), 16),
            opt(name, name_w),
            rtt(d),
            loss(d),
            opt(d.health.as_ref().map(|h| h.status.as_str()), 7),
        ]);
    }
    let st = &scan.stats;
    let mut out = if scan.devices.is_empty() {
        String::new()
    } else {
        format!("{t}\n")
    };
    let mut roles: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for d in &scan.devices {
        *roles
            .entry(d.role.as_deref().unwrap_or("unknown"))
            .or_default() += 1;
    }
    let by_role: Vec<String> = roles.iter().map(|(r, n)| format!("{n} {r}")).collect();
    out.push_str(&format!(
        "{} addresses swept, {} devices: {} answer ping, {} answer SNMP, {} answer TCP; {:.1} s{}\n",
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_neutralised_and_cut() {
        assert_eq!(cell("a\x1b[2Jb\r\nc", 40), "a [2Jb c");
        let long = "x".repeat(500);
        assert_eq!(cell(&long, 10).chars().count(), 10);
    }
}
