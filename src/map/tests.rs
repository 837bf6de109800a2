//! Links and endpoints from the tables of a small site built by hand: a
//! router, two switches, an access point, hosts, and the faults networks
//! have (one end silent, CDP beside LLDP, a duplex mismatch, a desk switch).

use super::*;
use crate::diff::tests::{dev, scan};
use crate::model::{
    ArpEntry, Device, Duplex, Facts, FdbEntry, Health, Interface, Learned, Neighbor,
};
use crate::vocab::Role;

fn port(index: u64, name: &str, mac: &str) -> Interface {
    Interface {
        index,
        name: Some(name.into()),
        speed_mbps: Some(1000),
        mac: Some(mac.into()),
        duplex: Some(Duplex::Full),
        mtu: Some(1500),
        ..Interface::default()
    }
}

fn lldp(local: &str, name: &str, chassis: &str, remote: &str, caps: &[&str]) -> Neighbor {
    Neighbor {
        local_port: Some(local.into()),
        remote_name: Some(name.into()),
        remote_chassis_id: Some(chassis.into()),
        remote_port: Some(remote.into()),
        remote_caps: Some(caps.iter().map(|c| c.to_string()).collect()),
        protocol: "lldp".into(),
        ..Neighbor::default()
    }
}

fn device(ip: &str, name: &str, role: Role, chassis: &str, ports: Vec<Interface>) -> Device {
    let mut d = dev(ip, Some(name));
    d.role = Some(role);
    d.facts = Some(Facts {
        lldp_chassis_id: Some(chassis.into()),
        ..Facts::default()
    });
    d.interfaces = Some(ports);
    d.neighbors = Some(Vec::new());
    d.health = Some(Health {
        status: crate::vocab::HealthLevel::Ok,
        reasons: Vec::new(),
        checks: Default::default(),
        cpu_pct: None,
        mem_pct: None,
        temp_c: None,
        unused_ports: None,
    });
    d
}

fn fdb(mac: &str, port: &str, vlan: u16) -> FdbEntry {
    FdbEntry {
        mac: mac.into(),
        port: port.into(),
        vlan: Some(vlan),
    }
}

const PC: &str = "00:1b:21:aa:00:01";
const SERVER: &str = "00:50:56:01:02:03";

/// rtr Gi0/1 — dist Te1/1/1 (LLDP both ends, CDP too); dist Gi1/0/48 —
/// acc 1/1/48 (LLDP from dist only; duplex half on acc); acc 1/1/10 — an
/// AP; the PC on acc 1/1/3, the server on dist Gi1/0/5, 10 MACs on acc 1/1/7.
fn site() -> ScanFile {
    let mut rtr = device(
        "10.0.0.1",
        "rtr",
        Role::Router,
        "00:00:0c:00:00:01",
        vec![
            port(1, "Gi0/1", "00:00:0c:00:00:11"),
            port(2, "Gi0/2", "00:00:0c:00:00:12"),
        ],
    );
    let mut dist = device(
        "10.0.0.2",
        "dist",
        Role::Switch,
        "00:00:0c:00:00:02",
        vec![
            port(1, "Te1/1/1", "00:00:0c:00:00:21"),
            port(48, "Gi1/0/48", "00:00:0c:00:00:22"),
            port(5, "Gi1/0/5", "00:00:0c:00:00:23"),
        ],
    );
    let mut ports = vec![
        port(48, "1/1/48", "94:18:82:00:00:48"),
        port(3, "1/1/3", "94:18:82:00:00:03"),
        port(7, "1/1/7", "94:18:82:00:00:07"),
        port(10, "1/1/10", "94:18:82:00:00:10"),
    ];
    ports[0].duplex = Some(Duplex::Half);
    let mut acc = device("10.0.0.3", "acc", Role::Switch, "94:18:82:00:00:00", ports);
    acc.neighbors = None; // its neighbour tables were not read
    rtr.neighbors = Some(vec![
        lldp(
            "Gi0/1",
            "dist.example.net",
            "00:00:0c:00:00:02",
            "Te1/1/1",
            &["bridge", "router"],
        ),
        Neighbor {
            local_port: Some("Gi0/1".into()),
            remote_name: Some("dist".into()),
            remote_port: Some("TenGigabitEthernet1/1/1".into()),
            remote_mgmt_addr: Some("10.0.0.2".into()),
            protocol: "cdp".into(),
            ..Neighbor::default()
        },
        lldp(
            "Gi0/2",
            "isp-pe-1",
            "aa:bb:cc:00:00:01",
            "xe-0/0/0",
            &["router"],
        ),
    ]);
    dist.neighbors = Some(vec![
        lldp("Te1/1/1", "rtr", "00:00:0c:00:00:01", "Gi0/1", &["router"]),
        lldp(
            "Gi1/0/48",
            "acc",
            "94:18:82:00:00:00",
            "1/1/48",
            &["bridge"],
        ),
    ]);
    acc.learned = Some(Learned {
        arp: Vec::new(),
        fdb: [fdb(PC, "1/1/3", 10), fdb(SERVER, "1/1/48", 20)]
            .into_iter()
            .chain((0..10).map(|n| fdb(&format!("00:00:aa:00:00:{n:02x}"), "1/1/7", 10)))
            .chain([fdb(PC, "1/1/7", 10)]) // seen behind the desk switch too
            .collect(),
    });
    // acc's 1/1/10: an AP neighbour (not read, but dist has no say there)
    dist.learned = Some(Learned {
        arp: Vec::new(),
        fdb: vec![fdb(PC, "Gi1/0/48", 10), fdb(SERVER, "Gi1/0/5", 20)],
    });
    rtr.learned = Some(router_arp());
    scan("2026-12-02T00:00:00Z", vec![rtr, dist, acc])
}

/// The router's ARP/ND table: the PC on both families, the server, a host
/// no switch knows, and the dist switch's own address.
fn router_arp() -> Learned {
    Learned {
        arp: vec![
            ArpEntry {
                ip: "10.0.10.11".parse().unwrap(),
                mac: PC.into(),
                interface: None,
            },
            ArpEntry {
                ip: "fd00::11".parse().unwrap(),
                mac: PC.into(),
                interface: None,
            },
            ArpEntry {
                ip: "10.0.20.5".parse().unwrap(),
                mac: SERVER.into(),
                interface: None,
            },
            ArpEntry {
                ip: "10.0.99.9".parse().unwrap(),
                mac: "3c:22:fb:00:00:09".into(),
                interface: None,
            },
            // the dist switch's own address: infrastructure, no endpoint
            ArpEntry {
                ip: "10.0.0.2".parse().unwrap(),
                mac: "00:00:0c:00:00:21".into(),
                interface: None,
            },
        ],
        fdb: Vec::new(),
    }
}

#[test]
fn every_link_once_whichever_end_and_protocol_saw_it() {
    let mut s = site();
    build(&mut s);
    let got: Vec<(String, String, String, String, Vec<String>, usize)> = s
        .links
        .iter()
        .map(|l| {
            (
                l.a.clone(),
                l.a_port.clone().unwrap_or_default(),
                l.b.clone(),
                l.b_port.clone().unwrap_or_default(),
                l.protocol.clone(),
                l.seen_from.len(),
            )
        })
        .collect();
    let s_ = |x: &str| x.to_string();
    assert_eq!(
        got,
        [
            (
                s_("rtr"),
                s_("Gi0/1"),
                s_("dist"),
                s_("Te1/1/1"),
                vec![s_("cdp"), s_("lldp")],
                2
            ),
            (
                s_("rtr"),
                s_("Gi0/2"),
                s_("isp-pe-1"),
                s_("xe-0/0/0"),
                vec![s_("lldp")],
                1
            ),
            (
                s_("dist"),
                s_("Gi1/0/48"),
                s_("acc"),
                s_("1/1/48"),
                vec![s_("lldp")],
                1
            ),
        ]
    );
    assert!(!s.links[1].b_known, "a neighbour no record is");
    let acc_link = &s.links[2];
    assert!(
        acc_link
            .problems
            .iter()
            .any(|p| p == "one-sided: the neighbour tables of acc were not read"),
        "{:?}",
        acc_link.problems
    );
    let duplex = "duplex mismatch: full duplex on dist Gi1/0/48, half duplex on acc 1/1/48";
    assert!(
        acc_link.problems.iter().any(|p| p == duplex),
        "{:?}",
        acc_link.problems
    );
    // both ends warn in their health
    for i in [1, 2] {
        let h = s.devices[i].health.as_ref().expect("health");
        assert_eq!(h.status, crate::vocab::HealthLevel::Warning);
        assert!(h.reasons.iter().any(|r| r == duplex));
    }
    assert!(s.links[0].problems.is_empty(), "{:?}", s.links[0].problems);
}

#[test]
fn hosts_are_placed_on_their_access_port_not_on_an_uplink() {
    let mut s = site();
    build(&mut s);
    let find = |mac: &str| s.endpoints.iter().find(|e| e.mac == mac).expect(mac);
    let pc = find(PC);
    assert_eq!(
        (pc.switch.as_deref(), pc.port.as_deref(), pc.vlan),
        (Some("acc"), Some("1/1/3"), Some(10))
    );
    assert_eq!(pc.ip, Some("10.0.10.11".parse().unwrap()));
    assert_eq!(pc.ips.len(), 2, "IPv4 first, then its IPv6 address");
    assert_eq!(pc.oui_vendor.as_deref(), Some("Intel Corporate"));
    // learned on acc's uplink 1/1/48 too: placed on dist's access port
    let server = find(SERVER);
    assert_eq!(
        (server.switch.as_deref(), server.port.as_deref()),
        (Some("dist"), Some("Gi1/0/5"))
    );
    assert_eq!(server.oui_vendor.as_deref(), Some("VMware, Inc."));
    // behind the desk switch: the only place they are learned
    let desk = find("00:00:aa:00:00:03");
    assert_eq!(desk.port.as_deref(), Some("1/1/7"));
    // known to the router's ARP table only
    let arp_only = find("3c:22:fb:00:00:09");
    assert_eq!(
        (arp_only.switch.as_deref(), arp_only.ip),
        (None, Some("10.0.99.9".parse().unwrap()))
    );
    assert!(
        s.endpoints.iter().all(|e| e.mac != "00:00:0c:00:00:21"),
        "infrastructure is no endpoint"
    );
    let line = crate::report::locate::render(&s, "10.0.10.11".parse().unwrap());
    assert_eq!(
        line,
        ["00:1b:21:aa:00:01 (Intel Corporate) 10.0.10.11, fd00::11 is on acc port 1/1/3, VLAN 10"]
    );
    let rtr = crate::report::locate::render(&s, "10.0.0.1".parse().unwrap());
    assert_eq!(rtr, ["10.0.0.1 is the device rtr (router, Cisco), linked Gi0/1 to dist Te1/1/1; Gi0/2 to isp-pe-1 xe-0/0/0"]);
    let unknown = crate::report::locate::render(&s, "0050.5601.0203".parse().unwrap());
    assert_eq!(unknown.len(), 1);
    assert!("banana".parse::<crate::report::locate::Query>().is_err());
}
