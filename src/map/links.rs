//! Physical links from the neighbour tables (LLDP, CDP) of both ends: each
//! neighbour entry matched to a device record (by chassis id, management
//! address, then name), its port to the peer's interface, and the entries
//! of one link merged, whichever end and protocol saw it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use crate::model::{Device, Interface, Link, Neighbor};

/// Which device each piece of identity names.
pub struct Index {
    by_chassis: HashMap<String, usize>,
    by_addr: HashMap<IpAddr, usize>,
    by_name: HashMap<String, usize>,
}

/// A neighbour's or a device's name compared: lower case, without a
/// domain or a CDP serial suffix (`sw1.example.net`, `sw1(FOC1234X)`).
fn name_key(name: &str) -> String {
    let name = name.split('(').next().unwrap_or(name).trim();
    let short = match name.parse::<IpAddr>() {
        Ok(_) => name,
        Err(_) => name.split('.').next().unwrap_or(name),
    };
    short.to_ascii_lowercase()
}

impl Index {
    pub fn new(devices: &[Device]) -> Index {
        let mut ix = Index {
            by_chassis: HashMap::new(),
            by_addr: HashMap::new(),
            by_name: HashMap::new(),
        };
        for (i, d) in devices.iter().enumerate() {
            let facts = d.facts.as_ref();
            let chassis = facts
                .and_then(|f| f.lldp_chassis_id.clone())
                .into_iter()
                .chain(facts.and_then(|f| f.base_mac.clone()))
                .chain(d.interfaces.iter().flatten().filter_map(|i| i.mac.clone()));
            for c in chassis {
                ix.by_chassis.entry(c.to_ascii_lowercase()).or_insert(i);
            }
            let addrs = std::iter::once(d.ip)
                .chain(d.addresses.iter().map(|a| a.ip))
                .chain(facts.into_iter().flat_map(|f| f.addresses.iter().copied()));
            for a in addrs {
                ix.by_addr.entry(a).or_insert(i);
            }
            if let Some(n) = d.snmp.as_ref().and_then(|s| s.sys_name.as_deref()) {
                ix.by_name.entry(name_key(n)).or_insert(i);
            }
        }
        ix
    }

    /// The device a neighbour entry describes, if it is one of the scan's.
    pub fn find(&self, n: &Neighbor) -> Option<usize> {
        let chassis = n
            .remote_chassis_id
            .as_deref()
            .and_then(|c| self.by_chassis.get(&c.to_ascii_lowercase()));
        let addr = || {
            n.remote_mgmt_addr
                .iter()
                .chain(&n.remote_mgmt_addrs)
                .filter_map(|a| a.parse::<IpAddr>().ok())
                .find_map(|a| self.by_addr.get(&a))
        };
        let name = || {
            n.remote_name
                .as_deref()
                .and_then(|r| self.by_name.get(&name_key(r)))
        };
        chassis.or_else(addr).or_else(name).copied()
    }

    /// The device that has this address, if any.
    pub fn by_address(&self, ip: IpAddr) -> Option<usize> {
        self.by_addr.get(&ip).copied()
    }

    /// The device whose interface or chassis has this MAC, if any.
    pub fn by_mac(&self, mac: &str) -> Option<usize> {
        self.by_chassis.get(&mac.to_ascii_lowercase()).copied()
    }
}

/// Two names of one port: equal but for case, or one the other's
/// abbreviation (`Gi1/0/3` and `GigabitEthernet1/0/3`: the letters a
/// prefix of the other's, the rest equal).
pub fn same_port(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    let split = |s: &str| {
        let at = s
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(s.len());
        (s[..at].to_ascii_lowercase(), s[at..].to_string())
    };
    let ((pa, ra), (pb, rb)) = (split(a), split(b));
    !ra.is_empty()
        && ra == rb
        && !pa.is_empty()
        && !pb.is_empty()
        && (pa.starts_with(&pb) || pb.starts_with(&pa))
}

/// The interface of `d` a neighbour's port id or description names: by
/// name (or abbreviation), by ifIndex, by MAC.
pub fn interface<'a>(d: &'a Device, port: &str) -> Option<&'a Interface> {
    let ifs = d.interfaces.as_deref().unwrap_or(&[]);
    ifs.iter()
        .find(|i| {
            i.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(port))
        })
        .or_else(|| {
            ifs.iter()
                .find(|i| i.name.as_deref().is_some_and(|n| same_port(n, port)))
        })
        .or_else(|| ifs.iter().find(|i| i.index.to_string() == port))
        .or_else(|| {
            ifs.iter().find(|i| {
                i.mac
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(port))
            })
        })
}

/// A port of `d` as the link names it: its interface's name when the
/// neighbour's id or description names one, else as advertised.
fn port_name(d: &Device, port: Option<&str>, descr: Option<&str>) -> Option<String> {
    let named = |p: Option<&str>| p.and_then(|p| interface(d, p)).and_then(|i| i.name.clone());
    named(port)
        .or_else(|| named(descr))
        .or_else(|| port.map(str::to_string))
}

/// One end of a link: a device (by its index) and its port, or a
/// neighbour no record is, as advertised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum End {
    Known(usize, Option<String>),
    Unknown(String, Option<String>),
}

/// What is being gathered of one link.
#[derive(Default)]
struct Seen {
    protocols: BTreeSet<String>,
    reporters: BTreeSet<usize>,
}

/// The links of the scan, and each device's link problems (speed, duplex
/// or MTU that differ across a link), by device index.
pub fn links(devices: &[Device]) -> (Vec<Link>, BTreeMap<usize, Vec<String>>) {
    let ix = Index::new(devices);
    let mut seen: BTreeMap<(End, End), Seen> = BTreeMap::new();
    for (i, d) in devices.iter().enumerate() {
        for n in d.neighbors.iter().flatten() {
            let here = End::Known(i, n.local_port.clone());
            let there = match ix.find(n).filter(|p| *p != i) {
                Some(p) => End::Known(
                    p,
                    port_name(
                        &devices[p],
                        n.remote_port.as_deref(),
                        n.remote_port_descr.as_deref(),
                    ),
                ),
                None => End::Unknown(
                    n.remote_name
                        .clone()
                        .or_else(|| n.remote_chassis_id.clone())
                        .or_else(|| n.remote_mgmt_addr.clone())
                        .unwrap_or_else(|| "unnamed neighbour".into()),
                    n.remote_port.clone(),
                ),
            };
            let key = if there < here {
                (there, here)
            } else {
                (here, there)
            };
            let s = seen.entry(key).or_default();
            s.protocols.insert(n.protocol.clone());
            s.reporters.insert(i);
        }
    }
    // a port of a device in more than one link with another device: the
    // ends disagree about where they are plugged in
    let mut uses: BTreeMap<(usize, Option<String>), usize> = BTreeMap::new();
    for (a, b) in seen.keys() {
        if let (End::Known(x, px), End::Known(y, py)) = (a, b) {
            *uses.entry((*x, px.clone())).or_default() += 1;
            *uses.entry((*y, py.clone())).or_default() += 1;
        }
    }
    let mut health: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let out = seen
        .into_iter()
        .filter_map(|((a, b), s)| {
            let End::Known(x, px) = a else { return None };
            Some(link(devices, (x, px), b, &s, &uses, &mut health))
        })
        .collect();
    (out, health)
}

/// Label of a device: its sysName, else its id.
pub fn label(d: &Device) -> &str {
    d.snmp
        .as_ref()
        .and_then(|s| s.sys_name.as_deref())
        .unwrap_or(&d.id)
}

/// One link, checked.
fn link(
    devices: &[Device],
    (x, px): (usize, Option<String>),
    b: End,
    s: &Seen,
    uses: &BTreeMap<(usize, Option<String>), usize>,
    health: &mut BTreeMap<usize, Vec<String>>,
) -> Link {
    let dx = &devices[x];
    let port = |p: &Option<String>| p.clone().unwrap_or_else(|| "?".into());
    let mut problems = Vec::new();
    let (b_name, b_port, b_known) = match &b {
        End::Known(y, py) => {
            let dy = &devices[*y];
            if s.reporters.len() == 1 {
                let (silent, other) = if s.reporters.contains(&x) {
                    (dy, dx)
                } else {
                    (dx, dy)
                };
                problems.push(if silent.neighbors.is_some() {
                    format!(
                        "one-sided: {} does not list {} as a neighbour",
                        label(silent),
                        label(other)
                    )
                } else {
                    format!(
                        "one-sided: the neighbour tables of {} were not read",
                        label(silent)
                    )
                });
            }
            for (d, p) in [(x, &px), (*y, py)] {
                if uses.get(&(d, p.clone())).is_some_and(|n| *n > 1) {
                    problems.push(format!(
                        "{} {} is an end of more than one link (the ends disagree)",
                        label(&devices[d]),
                        port(p)
                    ));
                }
            }
            let mismatches = mismatches((dx, px.as_deref()), (dy, py.as_deref()));
            for m in &mismatches {
                health.entry(x).or_default().push(m.clone());
                health.entry(*y).or_default().push(m.clone());
            }
            problems.extend(mismatches);
            (dy.id.clone(), py.clone(), true)
        }
        End::Unknown(name, p) => (name.clone(), p.clone(), false),
    };
    let mut seen_from: Vec<String> = s.reporters.iter().map(|r| devices[*r].id.clone()).collect();
    seen_from.dedup();
    Link {
        a: dx.id.clone(),
        a_port: px,
        b: b_name,
        b_port,
        b_known,
        protocol: s.protocols.iter().cloned().collect(),
        seen_from,
        problems,
    }
}

/// Speed, duplex and MTU that differ across a link, said once for both.
fn mismatches(a: (&Device, Option<&str>), b: (&Device, Option<&str>)) -> Vec<String> {
    fn end<'a>((d, p): (&'a Device, Option<&str>)) -> Option<&'a Interface> {
        p.and_then(|p| interface(d, p))
    }
    let (Some(ia), Some(ib)) = (end(a), end(b)) else {
        return Vec::new();
    };
    let at = |(d, p): (&Device, Option<&str>)| format!("{} {}", label(d), p.unwrap_or("?"));
    let mut out = Vec::new();
    let mut differ = |what: &str, va: Option<String>, vb: Option<String>| {
        if let (Some(va), Some(vb)) = (va, vb) {
            if va != vb {
                out.push(format!(
                    "{what} mismatch: {va} on {}, {vb} on {}",
                    at(a),
                    at(b)
                ));
            }
        }
    };
    differ(
        "speed",
        ia.speed_mbps.map(|s| format!("{s} Mb/s")),
        ib.speed_mbps.map(|s| format!("{s} Mb/s")),
    );
    let duplex = |i: &Interface| {
        i.duplex.map(|d| match d {
            crate::model::Duplex::Half => "half duplex".to_string(),
            crate::model::Duplex::Full => "full duplex".to_string(),
        })
    };
    differ("duplex", duplex(ia), duplex(ib));
    differ(
        "MTU",
        ia.mtu.map(|m| m.to_string()),
        ib.mtu.map(|m| m.to_string()),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names_and_their_abbreviations() {
        assert!(same_port("Gi1/0/3", "GigabitEthernet1/0/3"));
        assert!(same_port("te1/1/1", "TenGigabitEthernet1/1/1"));
        assert!(same_port("Eth1/1", "Ethernet1/1"));
        assert!(!same_port("Gi1/0/3", "GigabitEthernet1/0/30"));
        assert!(!same_port("Gi1/0/3", "Fa1/0/3"));
        assert!(!same_port("1/1/48", "2/1/48"));
        assert_eq!(name_key("Site-Dist-1.example.net"), "site-dist-1");
        assert_eq!(name_key("sw1(FOC1234X)"), "sw1");
        assert_eq!(name_key("10.77.60.2"), "10.77.60.2");
    }
}
