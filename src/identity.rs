//! One device, one record: the records of the addresses one device
//! answered on (IPv4 and IPv6, loopback and interface addresses, several
//! management VLANs) merged on evidence, strongest first: snmpEngineID,
//! chassis (or stack) serial, base MAC / LLDP chassis id, and the device's
//! own address table naming the other address. Never on sysName alone:
//! the same sysName, sysObjectID and sysDescr, and uptimes that agree, are
//! only what every pair must have on top (one agent answers the same on
//! all its addresses; two boxes cloned from one configuration do not share
//! an engine ID, a serial or a MAC).
//!
//! The merged record keeps the data of the address that told the most
//! (SNMP, then the most interfaces), under the canonical address: the one
//! the first target token named (ties: the lowest), with every address
//! and how it answered in `addresses`.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use crate::model::{Address, Device};

/// Uptimes of one agent read moments apart differ by less than this.
const UPTIME_SLACK_S: u64 = 300;

/// Could `a` and `b` be one agent answering on two addresses?
fn same_agent(a: &Device, b: &Device) -> bool {
    let (Some(x), Some(y)) = (&a.snmp, &b.snmp) else {
        return false;
    };
    let uptimes_agree = match (x.sys_uptime_ticks, y.sys_uptime_ticks) {
        (Some(p), Some(q)) => u64::from(p.abs_diff(q)) / 100 < UPTIME_SLACK_S,
        _ => true,
    };
    x.sys_name == y.sys_name
        && x.sys_object_id == y.sys_object_id
        && x.sys_descr == y.sys_descr
        && uptimes_agree
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        r = parent[r];
    }
    let mut j = i;
    while parent[j] != r {
        let next = parent[j];
        parent[j] = r;
        j = next;
    }
    r
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

/// The strong keys of a device, by kind.
fn keys(d: &Device) -> Vec<(u8, String)> {
    let f = d.facts.as_ref();
    let mut k = Vec::new();
    if let Some(e) = f.and_then(|f| f.engine_id.clone()) {
        k.push((0, e));
    }
    if let Some(s) = d.serial.clone().filter(|s| !s.trim().is_empty()) {
        k.push((1, s));
    }
    for m in [
        f.and_then(|f| f.base_mac.clone()),
        f.and_then(|f| f.lldp_chassis_id.clone()),
    ]
    .into_iter()
    .flatten()
    {
        k.push((2, m));
    }
    k
}

/// Which records are one device: groups of indices, each sorted.
pub fn groups(devices: &[Device]) -> Vec<Vec<usize>> {
    let n = devices.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut by_key: HashMap<(u8, String), Vec<usize>> = HashMap::new();
    for (i, d) in devices.iter().enumerate() {
        if d.snmp.is_none() {
            continue;
        }
        for k in keys(d) {
            by_key.entry(k).or_default().push(i);
        }
    }
    for members in by_key.values() {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                if same_agent(&devices[i], &devices[j]) {
                    union(&mut parent, i, j);
                }
            }
        }
    }
    // the device's own address table names another record's address
    let at: HashMap<IpAddr, usize> = devices.iter().enumerate().map(|(i, d)| (d.ip, i)).collect();
    for (i, d) in devices.iter().enumerate() {
        for a in d.facts.iter().flat_map(|f| &f.addresses) {
            if let Some(&j) = at.get(a) {
                if j != i && same_agent(d, &devices[j]) {
                    union(&mut parent, i, j);
                }
            }
        }
    }
    let mut out: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let r = find(&mut parent, i);
        out.entry(r).or_default().push(i);
    }
    let mut g: Vec<Vec<usize>> = out.into_values().collect();
    g.sort();
    g
}

/// How an address answered, from its own record.
fn address_of(d: &Device) -> Address {
    Address {
        ip: d.ip,
        found_by: d.found_by.clone(),
        icmp: d.icmp.clone(),
        snmp: d.snmp.as_ref().map(|s| s.version),
    }
}

/// Merge the records of one device each; `rank` orders addresses (the
/// position of the first target naming it). `extra` travels with each
/// record (the health readings of the one kept). Output sorted by address.
pub fn merge<T>(
    devices: Vec<Device>,
    extra: Vec<T>,
    rank: &dyn Fn(IpAddr) -> usize,
) -> (Vec<Device>, Vec<T>) {
    let groups = groups(&devices);
    let mut slots: Vec<Option<(Device, T)>> = devices.into_iter().zip(extra).map(Some).collect();
    let mut out: Vec<(Device, T)> = Vec::with_capacity(groups.len());
    for g in groups {
        // a record merged before, alone now: as it is
        if let [i] = g.as_slice() {
            if let Some((mut d, t)) = slots.get_mut(*i).and_then(Option::take) {
                if d.addresses.is_empty() {
                    d.addresses = vec![address_of(&d)];
                }
                out.push((d, t));
            }
            continue;
        }
        let mut members: Vec<(Device, T)> =
            g.iter().filter_map(|&i| slots.get_mut(i)?.take()).collect();
        members.sort_by_key(|(d, _)| (rank(d.ip), d.ip));
        // (records merged before keep their addresses)
        let mut addresses: Vec<Address> = Vec::new();
        for (d, _) in &members {
            let own = if d.addresses.is_empty() {
                vec![address_of(d)]
            } else {
                d.addresses.clone()
            };
            for a in own {
                if !addresses.iter().any(|x| x.ip == a.ip) {
                    addresses.push(a);
                }
            }
        }
        addresses.sort_by_key(|a| (rank(a.ip), a.ip));
        let canonical = addresses[0].ip;
        let icmp = members[0].0.icmp.clone();
        let found_by: BTreeSet<_> = members
            .iter()
            .flat_map(|(d, _)| d.found_by.clone())
            .collect();
        let mut errors: Vec<String> = Vec::new();
        for (d, _) in &members {
            for e in &d.errors {
                if !errors.contains(e) {
                    errors.push(e.clone());
                }
            }
        }
        // the record that told the most: SNMP, then interfaces, then facts
        let best = members
            .iter()
            .enumerate()
            .max_by_key(|(i, (d, _))| {
                (
                    d.snmp.is_some(),
                    d.interfaces.as_ref().map_or(0, Vec::len),
                    d.facts.is_some(),
                    std::cmp::Reverse(*i),
                )
            })
            .map_or(0, |(i, _)| i);
        let (mut d, t) = members.swap_remove(best);
        if d.ip != canonical && d.id == d.ip.to_string() {
            d.id = canonical.to_string();
        }
        d.ip = canonical;
        d.icmp = icmp;
        d.found_by = found_by.into_iter().collect();
        d.errors = errors;
        d.addresses = addresses;
        out.push((d, t));
    }
    out.sort_by_key(|(d, _)| d.ip);
    out.into_iter().unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Facts, Snmp};
    use crate::vocab::Protocol;

    fn dev(ip: &str, name: &str, serial: Option<&str>) -> Device {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/scan.json"
        ));
        let mut d = crate::scanfile::parse(text).expect("fixture").devices[0].clone();
        d.ip = ip.parse().expect("ip");
        d.id = ip.into();
        d.found_by = vec![Protocol::Icmp];
        d.serial = serial.map(str::to_string);
        d.snmp = Some(Snmp {
            sys_name: Some(name.into()),
            sys_object_id: Some("1.3.6.1.4.1.9.1.516".into()),
            sys_descr: Some("Cisco IOS".into()),
            sys_uptime_ticks: Some(100_000),
            ..Snmp::default()
        });
        d.facts = Some(Facts::default());
        d.interfaces = None;
        d
    }

    fn rank_v4_first(ip: IpAddr) -> usize {
        usize::from(ip.is_ipv6())
    }

    #[test]
    fn a_dual_stack_switch_is_one_device_under_the_first_targeted_address() {
        let mut v6 = dev("fd77::21", "access-sw-1", Some("FOC1234"));
        v6.found_by = vec![Protocol::Icmp, Protocol::Snmp];
        let mut v4 = dev("10.77.2.1", "access-sw-1", Some("FOC1234"));
        v4.interfaces = Some(vec![crate::model::Interface::default()]);
        let other = dev("10.77.2.2", "access-sw-2", Some("FOC9999"));
        let (ds, _) = merge(vec![v6, v4, other], vec![(), (), ()], &rank_v4_first);
        assert_eq!(ds.len(), 2);
        let sw = &ds[0];
        assert_eq!(sw.ip.to_string(), "10.77.2.1");
        let ips: Vec<String> = sw.addresses.iter().map(|a| a.ip.to_string()).collect();
        assert_eq!(ips, ["10.77.2.1", "fd77::21"]);
        assert_eq!(sw.found_by, [Protocol::Icmp, Protocol::Snmp]);
        assert!(sw.interfaces.is_some(), "the record that told the most");
    }

    #[test]
    fn a_shared_sysname_alone_never_merges() {
        // two boxes cloned from one configuration: same sysName, no shared
        // engine ID, serial or MAC
        let a = dev("10.0.0.1", "edge", Some("A1"));
        let b = dev("10.0.0.2", "edge", Some("B2"));
        let c = dev("10.0.0.3", "edge", None);
        let (ds, _) = merge(vec![a, b, c], vec![(), (), ()], &|_| 0);
        assert_eq!(ds.len(), 3);
    }

    #[test]
    fn evidence_that_disagrees_on_the_agent_does_not_merge() {
        // the same serial (a lab twin of one recording), another sysName
        let a = dev("10.0.0.1", "access-sw-1", Some("FOC1"));
        let b = dev("10.0.0.2", "garbled-sw", Some("FOC1"));
        assert_eq!(merge(vec![a, b], vec![(), ()], &|_| 0).0.len(), 2);
        // uptimes an hour apart: two agents
        let a = dev("10.0.0.1", "sw", Some("FOC1"));
        let mut b = dev("10.0.0.2", "sw", Some("FOC1"));
        b.snmp.as_mut().unwrap().sys_uptime_ticks = Some(100_000 + 360_000);
        assert_eq!(merge(vec![a, b], vec![(), ()], &|_| 0).0.len(), 2);
    }

    #[test]
    fn engine_id_mac_or_own_address_table_merge() {
        let mut a = dev("10.0.0.1", "r1", None);
        let mut b = dev("192.168.9.1", "r1", None);
        a.facts.as_mut().unwrap().engine_id = Some("800000090300aabbccddeeff".into());
        b.facts.as_mut().unwrap().engine_id = Some("800000090300aabbccddeeff".into());
        assert_eq!(merge(vec![a, b], vec![(), ()], &|_| 0).0.len(), 1);
        let mut a = dev("10.0.0.1", "r1", None);
        let mut b = dev("10.0.1.1", "r1", None);
        a.facts.as_mut().unwrap().base_mac = Some("00:11:22:33:44:55".into());
        b.facts.as_mut().unwrap().lldp_chassis_id = Some("00:11:22:33:44:55".into());
        assert_eq!(merge(vec![a, b], vec![(), ()], &|_| 0).0.len(), 1);
        let mut a = dev("10.0.0.1", "r1", None);
        let b = dev("172.16.0.1", "r1", None);
        a.facts.as_mut().unwrap().addresses = vec!["172.16.0.1".parse().unwrap()];
        let (ds, _) = merge(vec![a, b], vec![(), ()], &|_| 0);
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].ip.to_string(), "10.0.0.1", "ties: the lowest address");
    }
}
