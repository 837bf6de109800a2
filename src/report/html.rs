//! One self-contained HTML file (maud: every string escaped by the
//! template): summary cards, inline SVG charts, a device table that sorts
//! and filters (a little inline script), per-device details, the drift and
//! the check. Nothing is fetched: a Content-Security-Policy forbids it.

use std::collections::BTreeMap;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::View;
use crate::diff::Diff;
use crate::model::{Device, ScanFile};
use crate::topology::{Check, Verdict};

const CSS: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f4f6f9}
header{background:#1d2330;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px}
main{padding:16px 24px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}
.card{background:#fff;border-radius:6px;padding:10px 16px;box-shadow:0 1px 2px #0002;min-width:110px}
.card b{display:block;font-size:24px}
.charts{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px;align-items:flex-start}
.chart{background:#fff;border-radius:6px;padding:8px 12px;box-shadow:0 1px 2px #0002}
.chart h3{margin:0 0 6px;font-size:13px}
section{background:#fff;border-radius:6px;padding:8px 16px 16px;margin-bottom:16px;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top;overflow-wrap:anywhere}
.mono,.ok,.warning,.critical,.unreachable{white-space:nowrap}
th{cursor:pointer;user-select:none;background:#eef1f5}
th.asc::after{content:" ▲"}th.desc::after{content:" ▼"}
input[type=search]{padding:5px 8px;width:320px;margin:6px 0}
.ok{color:#1a7f37}.warning{color:#9a6700}.critical,.unreachable,.fail{color:#cf222e;font-weight:600}.pass{color:#1a7f37}
details{margin:4px 0}summary{cursor:pointer}
.mono{font-family:ui-monospace,monospace;font-size:12px}
"#;

/// Sort on header click, filter on input; marks the page ready (a headless
/// browser test reads `data-ready` and `data-error`).
const JS: &str = r#"
window.addEventListener('error',function(e){document.body.setAttribute('data-error',String(e.message))});
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var asc=!th.classList.contains('asc');
      t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc')});
      th.classList.add(asc?'asc':'desc');
      var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){
        var x=a.cells[i].getAttribute('data-v')||a.cells[i].textContent,
            y=b.cells[i].getAttribute('data-v')||b.cells[i].textContent,
            nx=parseFloat(x),ny=parseFloat(y),
            c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
        return asc?c:-c});
      rows.forEach(function(r){body.appendChild(r)})})})});
var f=document.getElementById('filter');
if(f){f.addEventListener('input',function(){
  var q=f.value.toLowerCase(),shown=0;
  document.querySelectorAll('#devices tbody tr').forEach(function(r){
    var on=r.textContent.toLowerCase().indexOf(q)>=0;r.style.display=on?'':'none';if(on)shown++});
  document.getElementById('shown').textContent=shown})}
document.body.setAttribute('data-ready','1');
"#;

/// A horizontal bar chart, as inline SVG.
fn bars(title: &str, items: &[(String, usize)]) -> Markup {
    let max = items.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let (label_w, bar_w, row) = (130.0, 200.0, 18.0);
    let height = row * items.len().max(1) as f64 + 4.0;
    html! {
        div.chart {
            h3 { (title) }
            svg xmlns="http://www.w3.org/2000/svg" width=(label_w + bar_w + 50.0) height=(height) role="img" aria-label=(title) {
                @for (i, (label, n)) in items.iter().enumerate() {
                    @let y = row * i as f64 + 2.0;
                    @let w = bar_w * *n as f64 / max as f64;
                    text x=(label_w - 6.0) y=(y + 12.0) text-anchor="end" font-size="11" { (short(label, 20)) }
                    rect x=(label_w) y=(y) width=(w.max(1.0)) height=(row - 4.0) fill="#4f7cc9" {}
                    text x=(label_w + w + 4.0) y=(y + 12.0) font-size="11" { (n) }
                }
                @if items.is_empty() {
                    text x="4" y="14" font-size="11" { "none" }
                }
            }
        }
    }
}

fn short(s: &str, n: usize) -> String {
    super::text::visible(s, n)
}

fn tally<'a>(it: impl Iterator<Item = Option<&'a str>>, top: usize) -> Vec<(String, usize)> {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for v in it {
        *m.entry(v.unwrap_or("unknown").to_string()).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if v.len() > top {
        let rest: usize = v[top..].iter().map(|(_, n)| n).sum();
        v.truncate(top);
        v.push(("other".into(), rest));
    }
    v
}

/// RTT buckets (ms, upper bounds) for the distribution chart.
const RTT_BUCKETS: [(f64, &str); 6] = [
    (0.5, "< 0.5 ms"),
    (1.0, "0.5–1 ms"),
    (5.0, "1–5 ms"),
    (20.0, "5–20 ms"),
    (100.0, "20–100 ms"),
    (f64::INFINITY, "≥ 100 ms"),
];

fn rtt_histogram(s: &ScanFile) -> Vec<(String, usize)> {
    let mut counts = [0usize; RTT_BUCKETS.len()];
    for d in &s.devices {
        if let Some(r) = d.icmp.as_ref().and_then(|i| i.rtt_ms.as_ref()) {
            let i = RTT_BUCKETS
                .iter()
                .position(|(hi, _)| r.avg < *hi)
                .unwrap_or(RTT_BUCKETS.len() - 1);
            counts[i] += 1;
        }
    }
    RTT_BUCKETS
        .iter()
        .zip(counts)
        .map(|((_, l), n)| (l.to_string(), n))
        .collect()
}

fn name(d: &Device) -> Option<&str> {
    d.snmp.as_ref().and_then(|s| s.sys_name.as_deref())
}

fn status_class(s: Option<&str>) -> &'static str {
    match s {
        Some("ok") => "ok",
        Some("warning") => "warning",
        Some("critical") => "critical",
        Some("unreachable") => "unreachable",
        _ => "",
    }
}

fn scan_part(s: &ScanFile, diff: Option<&Diff>) -> Markup {
    let st = &s.stats;
    let health = |h: &str| {
        s.devices
            .iter()
            .filter(|d| d.health.as_ref().is_some_and(|x| x.status.name() == h))
            .count()
    };
    html! {
        div.cards {
            div.card { b { (st.devices) } "devices" }
            div.card { b { (st.addresses) } "addresses swept" }
            div.card { b { (st.icmp_alive) } "answer ping" }
            div.card { b { (st.snmp_responding) } "answer SNMP" }
            div.card { b.warning { (health("warning")) } "warning" }
            div.card { b.critical { (health("critical") + health("unreachable")) } "critical / unreachable" }
            @if let Some(d) = diff { div.card { b { (d.changes.len()) } "changes since the baseline" } }
            div.card { b { (format!("{:.1} s", s.duration_ms as f64 / 1000.0)) } "scan time" }
        }
        div.charts {
            (bars("Devices by role", &tally(s.devices.iter().map(|d| d.role.map(crate::vocab::Role::name)), 11)))
            (bars("Devices by vendor", &tally(s.devices.iter().map(|d| d.vendor.as_deref()), 10)))
            (bars("RTT (average)", &rtt_histogram(s)))
            (bars("Health", &tally(s.devices.iter().map(|d| d.health.as_ref().map(|h| h.status.name())), 5)))
            @if let Some(d) = diff {
                (bars("Changes since the baseline", &d.counts.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (k.name().to_string(), *n)).collect::<Vec<_>>()))
            }
        }
        section {
            h2 { "Devices" }
            input #filter type="search" placeholder="filter: address, name, vendor, role…" aria-label="filter devices";
            " " span #shown { (s.devices.len()) } " shown"
            table #devices .sortable {
                thead { tr { th { "IP" } th { "Name" } th { "Role" } th { "Vendor" } th { "Model" } th { "OS" } th { "RTT ms" } th { "Loss %" } th { "Health" } } }
                tbody {
                    @for d in &s.devices {
                        @let ip_key = match d.ip {
                            std::net::IpAddr::V4(v) => format!("{:012}", u32::from(v)),
                            std::net::IpAddr::V6(v) => format!("z{:040}", u128::from(v)),
                        };
                        @let rtt = d.icmp.as_ref().and_then(|i| i.rtt_ms.as_ref()).map(|r| r.avg);
                        @let status = d.health.as_ref().map(|h| h.status.name());
                        tr {
                            td.mono data-v=(ip_key) { a href=(format!("#d-{}", d.ip)) { (d.ip) } }
                            td { (short(name(d).unwrap_or(""), 60)) }
                            td { (d.role.map(crate::vocab::Role::name).unwrap_or("")) }
                            td { (short(d.vendor.as_deref().unwrap_or(""), 40)) }
                            td { (short(d.model.as_deref().unwrap_or(""), 40)) }
                            td { (short(&[d.os.as_deref(), d.os_version.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" "), 40)) }
                            td data-v=(rtt.map_or(-1.0, |r| r)) { (rtt.map(|r| format!("{r:.2}")).unwrap_or_default()) }
                            td { (d.icmp.as_ref().map(|i| format!("{:.0}", i.loss_pct)).unwrap_or_default()) }
                            td class=(status_class(status)) { (status.unwrap_or("")) }
                        }
                    }
                }
            }
        }
        section {
            h2 { "Device details" }
            @for d in &s.devices { (details(d)) }
        }
    }
}

fn details(d: &Device) -> Markup {
    let s = d.snmp.as_ref();
    html! {
        details #(format!("d-{}", d.ip)) {
            summary { span.mono { (d.ip) } " " (short(name(d).unwrap_or(""), 60)) " — " (d.role.map(crate::vocab::Role::name).unwrap_or("unknown")) }
            table {
                tr { th { "sysDescr" } td { (short(s.and_then(|s| s.sys_descr.as_deref()).unwrap_or(""), 400)) } }
                tr { th { "location" } td { (short(s.and_then(|s| s.sys_location.as_deref()).unwrap_or(""), 200)) } }
                tr { th { "contact" } td { (short(s.and_then(|s| s.sys_contact.as_deref()).unwrap_or(""), 200)) } }
                tr { th { "sysObjectID" } td.mono { (s.and_then(|s| s.sys_object_id.as_deref()).unwrap_or("")) } }
                tr { th { "serial" } td { (d.serial.as_deref().unwrap_or("")) } }
                @if d.addresses.len() > 1 {
                    tr { th { "addresses" } td.mono { @for a in &d.addresses { (a.ip) " (" (a.found_by.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")) ")" br; } } }
                }
                @if !d.members.is_empty() {
                    tr { th { "members" } td { @for m in &d.members { (short(m.model.as_deref().unwrap_or("?"), 80)) " " (short(m.serial.as_deref().unwrap_or(""), 80)) br; } } }
                }
                @if let Some(n) = d.health.as_ref().and_then(|h| h.unused_ports) {
                    tr { th { "unused ports" } td { (n) } }
                }
                @if let Some(h) = &d.health {
                    tr { th { "health" } td class=(status_class(Some(h.status.name()))) { (h.status) @for r in &h.reasons { br; (short(r, 300)) } } }
                }
                @if !d.errors.is_empty() {
                    tr { th { "errors" } td { @for e in &d.errors { (short(e, 300)) br; } } }
                }
            }
            @if let Some(ifs) = &d.interfaces {
                details {
                    summary { (ifs.len()) " interfaces" }
                    table.sortable {
                        thead { tr { th { "ifIndex" } th { "Name" } th { "Alias" } th { "Admin" } th { "Oper" } th { "Mbit/s" } th { "MAC" } th { "In err" } th { "Out err" } } }
                        tbody {
                            @for i in ifs {
                                tr {
                                    td { (i.index) }
                                    td { (short(i.name.as_deref().unwrap_or(""), 60)) }
                                    td { (short(i.alias.as_deref().unwrap_or(""), 60)) }
                                    td { (updown(i.admin_up)) }
                                    td { (updown(i.oper_up)) }
                                    td { (i.speed_mbps.map(|v| v.to_string()).unwrap_or_default()) }
                                    td.mono { (i.mac.as_deref().unwrap_or("")) }
                                    td { (i.in_errors.map(|v| v.to_string()).unwrap_or_default()) }
                                    td { (i.out_errors.map(|v| v.to_string()).unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(ns) = &d.neighbors {
                details {
                    summary { (ns.len()) " neighbours" }
                    table {
                        tr { th { "Local port" } th { "Remote" } th { "Remote port" } th { "Address" } th { "Protocol" } }
                        @for n in ns {
                            tr {
                                td { (short(n.local_port.as_deref().unwrap_or(""), 60)) }
                                td { (short(n.remote_name.as_deref().or(n.remote_chassis_id.as_deref()).unwrap_or(""), 60)) }
                                td { (short(n.remote_port.as_deref().unwrap_or(""), 60)) }
                                td.mono { (n.remote_mgmt_addr.as_deref().unwrap_or("")) }
                                td { (n.protocol) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn updown(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "up",
        Some(false) => "down",
        None => "",
    }
}

fn diff_part(d: &Diff) -> Markup {
    html! {
        section #drift {
            h2 { "Drift since the baseline of " (d.baseline.started_at) }
            @if d.changes.is_empty() {
                p { "No drift." }
            } @else {
                table.sortable {
                    thead { tr { th { "Kind" } th { "IP" } th { "Change" } } }
                    tbody {
                        @for c in &d.changes {
                            tr { td { (c.kind.name()) } td.mono { (c.ip) } td { (short(&c.text, 300)) } }
                        }
                    }
                }
            }
        }
    }
}

fn check_part(c: &Check) -> Markup {
    html! {
        section #check {
            h2 { "Topology check: " (c.topology) }
            p {
                b.pass { (c.passed) " passed" }
                @if c.warnings > 0 { " (" b.warning { (c.warnings) " with a warning" } ")" }
                ", " b.fail { (c.failed) " failed" }
            }
            table.sortable {
                thead { tr { th { "Result" } th { "Expectation" } th { "Detail" } } }
                tbody {
                    @for r in &c.results {
                        tr {
                            td class=(match r.verdict() { Verdict::Warn => "warning", v => v.name() }) { (if r.pass { r.verdict().name() } else { "FAIL" }) }
                            td { (short(&r.expectation, 200)) }
                            td { (short(&r.detail, 300)) }
                        }
                    }
                }
            }
        }
    }
}

/// Render the whole page.
pub fn render(v: &View) -> String {
    let title = match v.scan {
        Some(s) => format!("netcensus: {}", s.targets.join(", ")),
        None => "netcensus".to_string(),
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (short(&title, 120)) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { (short(&title, 120)) }
                    @if let Some(s) = v.scan {
                        div { "scanned " (s.started_at) " · profile " (s.profile) " · netcensus " (s.tool.version)
                              @if s.interrupted { " · INTERRUPTED: partial results" } }
                    }
                }
                main {
                    @if let Some(s) = v.scan { (scan_part(s, v.diff)) }
                    @if let Some(d) = v.diff { (diff_part(d)) }
                    @if let Some(c) = v.check { (check_part(c)) }
                }
                script { (PreEscaped(JS)) }
            }
        }
    };
    page.into_string()
}
