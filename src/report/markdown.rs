//! Markdown for a CI job summary or a pull-request comment: a summary, the
//! device table, the drift and the check. Device strings are escaped (no
//! table breaking, no HTML, no links or emphasis) and cut to one line.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::View;
use crate::model::{Device, ScanFile};

/// Longest text in a cell.
const CELL_MAX: usize = 80;

/// One line of device text, inert in Markdown.
pub fn cell(s: &str) -> String {
    let cut = super::table::cell(s, CELL_MAX);
    let mut out = String::with_capacity(cut.len());
    for c in cut.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    // autolinks (`scheme://`, `www.`) would make device text clickable:
    // break them with an entity that renders the same character
    out.replace("://", "&#58;//").replace("www.", "www&#46;")
}

fn opt(v: Option<&str>) -> String {
    v.map(cell).unwrap_or_else(|| "–".into())
}

fn summary(o: &mut String, s: &ScanFile) {
    let st = &s.stats;
    let _ = writeln!(
        o,
        "**{}** devices in {} addresses ({} answer ping, {} answer SNMP) · scanned {} in {:.1} s{}\n",
        st.devices,
        st.addresses,
        st.icmp_alive,
        st.snmp_responding,
        cell(&s.started_at),
        s.duration_ms as f64 / 1000.0,
        if s.interrupted { " · **interrupted: partial results**" } else { "" }
    );
    let count = |f: &dyn Fn(&Device) -> Option<&str>| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for d in &s.devices {
            *m.entry(f(d).unwrap_or("unknown").to_string()).or_default() += 1;
        }
        m.iter()
            .map(|(k, n)| format!("{n} {}", cell(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        o,
        "- by role: {}",
        count(&|d| d.role.map(crate::vocab::Role::name))
    );
    let _ = writeln!(
        o,
        "- by health: {}\n",
        count(&|d| d.health.as_ref().map(|h| h.status.name()))
    );
}

fn devices(o: &mut String, s: &ScanFile) {
    let _ = writeln!(
        o,
        "| IP | Name | Role | Vendor | Model | RTT ms | Loss | Health |"
    );
    let _ = writeln!(o, "| --- | --- | --- | --- | --- | ---: | ---: | --- |");
    for d in &s.devices {
        let rtt = d.icmp.as_ref().and_then(|i| i.rtt_ms.as_ref());
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&d.ip.to_string()),
            opt(d.snmp.as_ref().and_then(|s| s.sys_name.as_deref())),
            opt(d.role.map(crate::vocab::Role::name)),
            opt(d.vendor.as_deref()),
            opt(d.model.as_deref()),
            rtt.map_or("–".into(), |r| format!("{:.2}", r.avg)),
            d.icmp
                .as_ref()
                .map_or("–".into(), |i| format!("{:.0}%", i.loss_pct)),
            opt(d.health.as_ref().map(|h| h.status.name())),
        );
    }
    o.push('\n');
    details(o, s);
}

/// The details of each device that has something to say.
fn details(o: &mut String, s: &ScanFile) {
    let mut lines = Vec::new();
    for d in &s.devices {
        let x = super::Details::of(d, &cell);
        let mut parts = Vec::new();
        if let Some(status) = x.status {
            parts.push(format!("{status}: {}", x.reasons.join("; ")));
        }
        parts.extend(x.facts);
        if !parts.is_empty() {
            let name = d.snmp.as_ref().and_then(|s| s.sys_name.as_deref());
            lines.push(format!(
                "- **{}** {}: {}",
                cell(&d.ip.to_string()),
                opt(name),
                parts.join(" · ")
            ));
        }
    }
    if !lines.is_empty() {
        let _ = writeln!(o, "### Details\n\n{}\n", lines.join("\n"));
    }
}

/// Render what the view holds.
pub fn render(v: &View) -> String {
    let mut o = String::from("# netcensus\n\n");
    if let Some(s) = v.scan {
        let _ = writeln!(o, "## Scan of {}\n", cell(&s.targets.join(", ")));
        summary(&mut o, s);
        devices(&mut o, s);
    }
    if let Some(d) = v.diff {
        let _ = writeln!(
            o,
            "## Drift since the baseline of {}\n",
            cell(&d.baseline.started_at)
        );
        if d.changes.is_empty() {
            o.push_str("No drift.\n\n");
        } else {
            let _ = writeln!(o, "**{} change(s)**: {}\n", d.changes.len(), d.tally());
            let _ = writeln!(o, "| Kind | IP | Change |");
            let _ = writeln!(o, "| --- | --- | --- |");
            for c in &d.changes {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    c.kind.name(),
                    cell(&c.ip),
                    cell(&c.text)
                );
            }
            o.push('\n');
        }
    }
    if let Some(c) = v.check {
        let _ = writeln!(
            o,
            "## Topology check: {}\n\n**{} passed, {} failed**\n",
            cell(&c.topology),
            c.passed,
            c.failed
        );
        let _ = writeln!(o, "| Result | Expectation | Detail |");
        let _ = writeln!(o, "| --- | --- | --- |");
        for r in &c.results {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                if r.pass { "✅ pass" } else { "❌ fail" },
                cell(&r.expectation),
                cell(&r.detail)
            );
        }
        o.push('\n');
    }
    o
}
