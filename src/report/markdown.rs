//! Markdown for a CI job summary or a pull-request comment: a summary, the
//! device table, the drift and the check. Device strings are escaped (no
//! table breaking, no HTML, no links or emphasis) and cut to one line.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::View;
use crate::model::{Device, ScanFile};
use crate::topology::Verdict;

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

/// GitHub refuses a job summary over 1 MiB (1,048,576 bytes): stay under
/// it with room for what the job adds around it.
pub const MAX_BYTES: usize = 1_000_000;

/// Room kept for each table's "N more" line.
const MORE_LINE: usize = 120;

/// What matters most when not everything fits: failures first, then the
/// drift, then the rest of the check, the devices and their details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Priority {
    Failed,
    Drift,
    Passed,
    Device,
    Detail,
}

/// A table (or list) whose rows may be cut to fit [`MAX_BYTES`].
struct Rows {
    head: String,
    rows: Vec<(Priority, String)>,
    /// What a row is, for "N more …".
    what: &'static str,
}

/// Part of the document, in order.
enum Part {
    Text(String),
    Rows(Rows),
}

fn devices(s: &ScanFile) -> Rows {
    let head = "| IP | Name | Role | Vendor | Model | RTT ms | Loss | Health |\n\
                | --- | --- | --- | --- | --- | ---: | ---: | --- |\n"
        .to_string();
    let rows = s
        .devices
        .iter()
        .map(|d| {
            let rtt = d.icmp.as_ref().and_then(|i| i.rtt_ms.as_ref());
            let row = format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
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
            (Priority::Device, row)
        })
        .collect();
    Rows {
        head,
        rows,
        what: "devices",
    }
}

/// The details of each device that has something to say.
fn details(s: &ScanFile) -> Option<Rows> {
    let mut rows = Vec::new();
    for d in &s.devices {
        let x = super::Details::of(d, &cell);
        let mut parts = Vec::new();
        if let Some(status) = x.status {
            parts.push(format!("{status}: {}", x.reasons.join("; ")));
        }
        parts.extend(x.facts);
        if !parts.is_empty() {
            let name = d.snmp.as_ref().and_then(|s| s.sys_name.as_deref());
            rows.push((
                Priority::Detail,
                format!(
                    "- **{}** {}: {}\n",
                    cell(&d.ip.to_string()),
                    opt(name),
                    parts.join(" · ")
                ),
            ));
        }
    }
    (!rows.is_empty()).then(|| Rows {
        head: "### Details\n\n".into(),
        rows,
        what: "device details",
    })
}

/// The parts of the document for what the view holds.
fn parts(v: &View) -> Vec<Part> {
    let mut parts = vec![Part::Text("# netcensus\n\n".into())];
    if let Some(s) = v.scan {
        let mut o = String::new();
        let _ = writeln!(o, "## Scan of {}\n", cell(&s.targets.join(", ")));
        summary(&mut o, s);
        parts.push(Part::Text(o));
        parts.push(Part::Rows(devices(s)));
        parts.push(Part::Text("\n".into()));
        if let Some(d) = details(s) {
            parts.push(Part::Rows(d));
            parts.push(Part::Text("\n".into()));
        }
    }
    if let Some(d) = v.diff {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "## Drift since the baseline of {}\n",
            cell(&d.baseline.started_at)
        );
        if d.changes.is_empty() {
            o.push_str("No drift.\n\n");
            parts.push(Part::Text(o));
        } else {
            let _ = writeln!(o, "**{} change(s)**: {}\n", d.changes.len(), d.tally());
            parts.push(Part::Text(o));
            let rows = d
                .changes
                .iter()
                .map(|c| {
                    let row = format!(
                        "| {} | {} | {} |\n",
                        c.kind.name(),
                        cell(&c.ip),
                        cell(&c.text)
                    );
                    (Priority::Drift, row)
                })
                .collect();
            parts.push(Part::Rows(Rows {
                head: "| Kind | IP | Change |\n| --- | --- | --- |\n".into(),
                rows,
                what: "changes",
            }));
            parts.push(Part::Text("\n".into()));
        }
    }
    if let Some(c) = v.check {
        parts.push(Part::Text(format!(
            "## Topology check: {}\n\n**{} passed, {} failed**\n\n",
            cell(&c.topology),
            c.passed,
            c.failed
        )));
        let rows = c
            .results
            .iter()
            .map(|r| {
                let row = format!(
                    "| {} | {} | {} |\n",
                    match r.verdict() {
                        Verdict::Pass => "✅ pass",
                        Verdict::Warn => "⚠️ warn",
                        Verdict::Fail => "❌ fail",
                    },
                    cell(&r.expectation),
                    cell(&r.detail)
                );
                (
                    if r.pass && !r.warning {
                        Priority::Passed
                    } else {
                        Priority::Failed
                    },
                    row,
                )
            })
            .collect();
        parts.push(Part::Rows(Rows {
            head: "| Result | Expectation | Detail |\n| --- | --- | --- |\n".into(),
            rows,
            what: "expectations",
        }));
        parts.push(Part::Text("\n".into()));
    }
    parts
}

/// Render what the view holds, in at most `max` bytes: when it does not
/// all fit, rows are left out by [`Priority`] and each table says how
/// many it lacks.
pub fn render_within(v: &View, max: usize) -> String {
    let parts = parts(v);
    let fixed: usize = parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => t.len(),
            Part::Rows(r) => r.head.len() + MORE_LINE,
        })
        .sum();
    let mut budget = max.saturating_sub(fixed);
    // (priority, part, row): the order rows are admitted in
    let mut order: Vec<(Priority, usize, usize)> = Vec::new();
    for (p, part) in parts.iter().enumerate() {
        if let Part::Rows(r) = part {
            order.extend(
                r.rows
                    .iter()
                    .enumerate()
                    .map(|(i, (prio, _))| (*prio, p, i)),
            );
        }
    }
    order.sort_unstable();
    let mut admitted = std::collections::BTreeSet::new();
    for (_, p, i) in order {
        let Some(Part::Rows(r)) = parts.get(p) else {
            continue;
        };
        let len = r.rows.get(i).map_or(0, |x| x.1.len());
        if len > budget {
            // nothing after it in this order may skip ahead of it
            break;
        }
        budget -= len;
        admitted.insert((p, i));
    }
    let mut o = String::new();
    for (p, part) in parts.iter().enumerate() {
        match part {
            Part::Text(t) => o.push_str(t),
            Part::Rows(r) => {
                o.push_str(&r.head);
                for (i, (_, row)) in r.rows.iter().enumerate() {
                    if admitted.contains(&(p, i)) {
                        o.push_str(row);
                    }
                }
                let left = r.rows.len()
                    - r.rows
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| admitted.contains(&(p, *i)))
                        .count();
                if left > 0 {
                    let _ = writeln!(
                        o,
                        "\n_… and {left} more {} (left out to stay under {} KiB: the JSON and HTML reports have them all)_",
                        r.what,
                        max / 1024
                    );
                }
            }
        }
    }
    o
}

/// Render what the view holds, within [`MAX_BYTES`].
pub fn render(v: &View) -> String {
    render_within(v, MAX_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Primary;

    #[test]
    fn a_big_scan_stays_under_the_limit_and_says_what_it_left_out() {
        let devices: Vec<Device> = (0..20_000u32)
            .map(|n| {
                let ip = format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255);
                crate::diff::tests::dev(&ip, Some(&format!("switch-{n}")))
            })
            .collect();
        let scan = crate::diff::tests::scan("2026-11-25T10:00:00.000Z", devices);
        let mut removed = scan.clone();
        removed.devices.truncate(19_990);
        let d = crate::diff::diff(&scan, &removed, &crate::diff::Rules::default());
        let v = View {
            primary: Primary::Scan,
            scan: Some(&removed),
            diff: Some(&d),
            check: None,
            color: false,
        };
        let full = render_within(&v, usize::MAX);
        assert!(
            full.len() > MAX_BYTES,
            "the test needs a big one: {}",
            full.len()
        );
        let cut = render(&v);
        assert!(cut.len() <= MAX_BYTES, "{}", cut.len());
        // the drift is kept whole; devices are cut, and it says how many
        assert_eq!(cut.matches("| removed |").count(), 10);
        assert!(
            cut.contains(" more devices (left out to stay under 976 KiB"),
            "{}",
            &cut[cut.len() - 500..]
        );
        assert!(full.starts_with(&cut[..1000]));
    }
}
