//! `netcensus locate`: where a host is, in one line per match, from a
//! scan's endpoints (its switch port, VLAN, address, organisation) and its
//! devices (a host that is one of them).

use std::net::IpAddr;

use crate::model::{Device, Endpoint, ScanFile};

/// What a query asks for: an address or a MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    Ip(IpAddr),
    Mac(u64),
}

impl std::str::FromStr for Query {
    type Err = String;

    fn from_str(s: &str) -> Result<Query, String> {
        let s = s.trim();
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Query::Ip(ip));
        }
        crate::oui::parse_mac(s).map(Query::Mac).ok_or_else(|| {
            format!(
                "'{}' is neither an IP address nor a MAC (aa:bb:cc:dd:ee:ff, aa-bb-…, aabb.ccdd.eeff)",
                super::text::one_line(s, 60)
            )
        })
    }
}

/// The name a report gives a device: its sysName, else its id.
fn name_of<'a>(scan: &'a ScanFile, id: &'a str) -> &'a str {
    scan.devices
        .iter()
        .find(|d| d.id == id)
        .and_then(|d| d.snmp.as_ref()?.sys_name.as_deref())
        .unwrap_or(id)
}

/// One endpoint, said in a line.
fn endpoint_line(scan: &ScanFile, e: &Endpoint) -> String {
    let mut s = e.mac.clone();
    if let Some(v) = &e.oui_vendor {
        s.push_str(&format!(" ({v})"));
    }
    let addrs: Vec<String> = if e.ips.is_empty() {
        e.ip.iter().map(ToString::to_string).collect()
    } else {
        e.ips.iter().map(ToString::to_string).collect()
    };
    if !addrs.is_empty() {
        s.push(' ');
        s.push_str(&addrs.join(", "));
    }
    match (&e.switch, &e.port) {
        (Some(sw), Some(port)) => {
            s.push_str(&format!(" is on {} port {port}", name_of(scan, sw)));
            if let Some(v) = e.vlan {
                s.push_str(&format!(", VLAN {v}"));
            }
        }
        _ => {
            let knowers: Vec<&str> = scan
                .devices
                .iter()
                .filter(|d| {
                    d.learned
                        .iter()
                        .flat_map(|l| &l.arp)
                        .any(|a| a.mac == e.mac)
                })
                .map(|d| name_of(scan, &d.id))
                .collect();
            s.push_str(&format!(
                " is in the ARP/ND table of {} (no switch port learned it)",
                knowers.join(", ")
            ));
        }
    }
    // a record of the scan's with a name of its own (a plain host's
    // record is only its address, said already)
    let named = e.device.as_deref().and_then(|id| {
        let d = scan.devices.iter().find(|d| d.id == id)?;
        d.snmp.as_ref()?.sys_name.as_deref()
    });
    if let Some(n) = named {
        s.push_str(&format!(" (the device {n})"));
    }
    s
}

/// A device that is the host asked for, said in a line.
fn device_line(scan: &ScanFile, d: &Device) -> String {
    let role = d.role.map_or("unknown", |r| r.name());
    let what = [d.vendor.as_deref(), d.model.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut s = format!("{} is the device {} ({role}", d.ip, name_of(scan, &d.id));
    if !what.is_empty() {
        s.push_str(&format!(", {what}"));
    }
    s.push(')');
    let links: Vec<String> = scan
        .links
        .iter()
        .filter(|l| l.a == d.id || l.b == d.id)
        .take(4)
        .map(|l| {
            let (mine, other, other_port) = if l.a == d.id {
                (&l.a_port, &l.b, &l.b_port)
            } else {
                (&l.b_port, &l.a, &l.a_port)
            };
            format!(
                "{} to {} {}",
                mine.as_deref().unwrap_or("?"),
                name_of(scan, other),
                other_port.as_deref().unwrap_or("?")
            )
        })
        .collect();
    if !links.is_empty() {
        s.push_str(&format!(", linked {}", links.join("; ")));
    }
    s
}

/// The lines that answer `query` (empty: the scan does not know it),
/// terminal-safe.
pub fn render(scan: &ScanFile, query: Query) -> Vec<String> {
    let mac_matches = |mac: &str| match query {
        Query::Mac(m) => crate::oui::parse_mac(mac) == Some(m),
        Query::Ip(_) => false,
    };
    let endpoints: Vec<String> = scan
        .endpoints
        .iter()
        .filter(|e| match query {
            Query::Ip(ip) => e.ip == Some(ip) || e.ips.contains(&ip),
            Query::Mac(_) => mac_matches(&e.mac),
        })
        .map(|e| endpoint_line(scan, e))
        .collect();
    let mut out: Vec<String> = scan
        .devices
        .iter()
        // a plain host's record says nothing its endpoint does not
        .filter(|d| d.snmp.is_some() || endpoints.is_empty())
        .filter(|d| match query {
            Query::Ip(ip) => d.ip == ip || d.addresses.iter().any(|a| a.ip == ip),
            Query::Mac(_) => d
                .interfaces
                .iter()
                .flatten()
                .any(|i| i.mac.as_deref().is_some_and(mac_matches)),
        })
        .map(|d| device_line(scan, d))
        .collect();
    out.extend(endpoints);
    out.iter().map(|l| super::text::terminal(l)).collect()
}
