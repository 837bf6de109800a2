use super::*;
use crate::model::{Health, Icmp, Snmp, Stats, Tool, SCAN_SCHEMA};

pub(crate) fn dev(ip: &str, name: Option<&str>) -> Device {
    Device {
        id: name.unwrap_or(ip).to_string(),
        ip: ip.parse().expect("test address"),
        addresses: Vec::new(),
        members: Vec::new(),
        found_by: vec![crate::vocab::Protocol::Icmp],
        icmp: Some(Icmp::from_samples(3, &[0.05, 0.06, 0.05])),
        snmp: name.map(|n| Snmp {
            version: crate::vocab::SnmpVersion::V2c,
            sys_name: Some(n.into()),
            sys_descr: Some("Cisco IOS Software".into()),
            sys_object_id: Some("1.3.6.1.4.1.9.1.516".into()),
            sys_uptime_ticks: Some(1_000_000),
            ..Snmp::default()
        }),
        tcp_port: None,
        role: Some(if name.is_some() {
            crate::vocab::Role::Switch
        } else {
            crate::vocab::Role::Unknown
        }),
        vendor: name.map(|_| "Cisco".into()),
        model: None,
        os: None,
        os_version: None,
        serial: None,
        classified_by: BTreeMap::new(),
        facts: None,
        errors: Vec::new(),
        interfaces: None,
        neighbors: None,
        health: None,
        snmp_stats: None,
        learned: None,
    }
}

fn iface(index: u64, name: &str, oper_up: bool, mac: Option<&str>) -> Interface {
    Interface {
        index,
        name: Some(name.into()),
        alias: None,
        if_type: Some(6),
        admin_up: Some(true),
        oper_up: Some(oper_up),
        speed_mbps: Some(1000),
        mac: mac.map(str::to_string),
        in_errors: Some(0),
        out_errors: Some(0),
        in_discards: Some(0),
        out_discards: Some(0),
        in_packets: None,
        out_packets: None,
        last_change_ticks: None,
        ..Default::default()
    }
}

pub(crate) fn scan(at: &str, devices: Vec<Device>) -> ScanFile {
    ScanFile {
        schema: SCAN_SCHEMA.into(),
        tool: Tool::default(),
        started_at: at.into(),
        finished_at: at.into(),
        duration_ms: 2000,
        targets: vec!["10.0.0.0/24".into()],
        excluded: vec![],
        profile: "standard".into(),
        interrupted: false,
        stats: Stats::default(),
        devices,
        links: Vec::new(),
        endpoints: Vec::new(),
    }
}

const T0: &str = "2026-11-25T10:00:00.000Z";
/// An hour later.
const T1: &str = "2026-11-25T11:00:00.000Z";

fn kinds(d: &Diff) -> Vec<(Kind, String)> {
    d.changes
        .iter()
        .map(|c| (c.kind, c.field.clone().unwrap_or_default()))
        .collect()
}

fn aged(mut d: Device, ticks: u32) -> Device {
    if let Some(s) = d.snmp.as_mut() {
        s.sys_uptime_ticks = Some(ticks);
    }
    d
}

#[test]
fn an_unchanged_network_has_no_drift_even_with_new_rtt_and_later_uptime() {
    let a = scan(
        T0,
        vec![dev("10.0.0.1", Some("sw1")), dev("10.0.0.9", None)],
    );
    let mut later = vec![
        aged(dev("10.0.0.1", Some("sw1")), 1_000_000 + 360_000),
        dev("10.0.0.9", None),
    ];
    later[1].icmp = Some(Icmp::from_samples(3, &[0.09, 0.2, 0.1]));
    let d = diff(&a, &scan(T1, later), &Rules::default());
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    assert_eq!(d.counts.len(), KINDS.len());
}

#[test]
fn a_device_that_changed_address_is_moved_not_removed_and_added() {
    let a = scan(
        T0,
        vec![dev("10.0.0.1", Some("sw1")), dev("10.0.0.2", Some("sw2"))],
    );
    let b = scan(
        T1,
        vec![
            aged(dev("10.0.0.1", Some("sw1")), 1_360_000),
            aged(dev("10.0.0.7", Some("sw2")), 1_360_000),
        ],
    );
    let d = diff(&a, &b, &Rules::default());
    assert_eq!(kinds(&d), [(Kind::Moved, String::new())]);
    let c = &d.changes[0];
    assert_eq!(
        (c.ip.as_str(), c.old_ip.as_deref()),
        ("10.0.0.7", Some("10.0.0.2"))
    );
}

#[test]
fn a_moved_device_without_a_name_is_found_by_its_serial_or_macs() {
    let mut x = dev("10.0.0.1", None);
    x.serial = Some("FOC123".into());
    let mut y = x.clone();
    y.ip = "10.0.0.5".parse().expect("address");
    let mut m = dev("10.0.0.2", None);
    m.interfaces = Some(vec![iface(1, "eth0", true, Some("00:11:22:33:44:55"))]);
    let mut n = m.clone();
    n.ip = "10.0.0.6".parse().expect("address");
    let d = diff(
        &scan(T0, vec![x, m]),
        &scan(T1, vec![y, n]),
        &Rules::default(),
    );
    assert_eq!(
        kinds(&d),
        [(Kind::Moved, String::new()), (Kind::Moved, String::new())]
    );
}

#[test]
fn renamed_at_the_same_address_is_a_changed_field_and_another_box_is_replaced() {
    let a = scan(
        T0,
        vec![dev("10.0.0.1", Some("sw1")), dev("10.0.0.2", Some("sw2"))],
    );
    let mut other = aged(dev("10.0.0.2", Some("fw9")), 1_360_000);
    other.snmp.as_mut().unwrap().sys_object_id = Some("1.3.6.1.4.1.12356.101.1.3".into());
    let b = scan(
        T1,
        vec![aged(dev("10.0.0.1", Some("sw1-new")), 1_360_000), other],
    );
    let d = diff(&a, &b, &Rules::default());
    assert_eq!(
        kinds(&d),
        [
            (Kind::Changed, "sys_name".into()),
            (Kind::Replaced, String::new())
        ]
    );
    assert_eq!(d.changes[0].from.as_deref(), Some("sw1"));
    assert_eq!(d.changes[0].to.as_deref(), Some("sw1-new"));
}

#[test]
fn added_and_removed_devices_and_ignore_rules() {
    let a = scan(
        T0,
        vec![dev("10.0.0.1", Some("sw1")), dev("10.0.0.3", None)],
    );
    let b = scan(
        T1,
        vec![
            aged(dev("10.0.0.1", Some("sw1")), 1_360_000),
            dev("10.0.9.4", None),
        ],
    );
    let d = diff(&a, &b, &Rules::default());
    assert_eq!(
        kinds(&d),
        [(Kind::Removed, String::new()), (Kind::Added, String::new())]
    );
    let mut r = Rules::default();
    r.ignore_prefix("10.0.9.0/24").unwrap();
    r.devices.insert("10.0.0.3".into());
    assert!(diff(&a, &b, &r).changes.is_empty());
}

#[test]
fn reboots_are_uptime_lower_than_elapsed_time_allows_and_wraps_are_not() {
    let a = scan(T0, vec![aged(dev("10.0.0.1", Some("sw1")), 1_000_000)]);
    let d = diff(
        &a,
        &scan(T1, vec![aged(dev("10.0.0.1", Some("sw1")), 4200)]),
        &Rules::default(),
    );
    assert_eq!(kinds(&d), [(Kind::Rebooted, "uptime".into())]);
    // 10 minutes short of the wrap, an hour later: wrapped, not rebooted
    let near = u32::MAX - 60_000;
    let a = scan(T0, vec![aged(dev("10.0.0.1", Some("sw1")), near)]);
    let wrapped = (u64::from(near) + 360_000 - (1 << 32)) as u32;
    let d = diff(
        &a,
        &scan(T1, vec![aged(dev("10.0.0.1", Some("sw1")), wrapped)]),
        &Rules::default(),
    );
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    // ...but a restart right after the wrap point is one
    let d = diff(
        &a,
        &scan(T1, vec![aged(dev("10.0.0.1", Some("sw1")), 100)]),
        &Rules::default(),
    );
    assert_eq!(kinds(&d), [(Kind::Rebooted, "uptime".into())]);
}

#[test]
fn interfaces_are_keyed_by_name_so_renumbering_is_no_change() {
    let mut x = dev("10.0.0.1", Some("sw1"));
    x.interfaces = Some(vec![
        iface(1, "Gi0/1", true, None),
        iface(2, "Gi0/2", true, None),
    ]);
    let mut y = aged(x.clone(), 1_360_000);
    // renumbered after a restart of the agent, Gi0/2 down, Gi0/3 new
    y.interfaces = Some(vec![
        iface(101, "Gi0/1", true, None),
        iface(102, "Gi0/2", false, None),
        iface(103, "Gi0/3", true, None),
    ]);
    let d = diff(
        &scan(T0, vec![x.clone()]),
        &scan(T1, vec![y.clone()]),
        &Rules::default(),
    );
    assert_eq!(
        kinds(&d),
        [
            (Kind::Interfaces, "interface Gi0/2".into()),
            (Kind::Interfaces, "interface Gi0/3".into())
        ]
    );
    assert_eq!(d.changes[0].to.as_deref(), Some("admin up oper down"));
    let mut r = Rules::default();
    r.ignore_interface("^Gi0/[23]$").unwrap();
    assert!(
        diff(&scan(T0, vec![x.clone()]), &scan(T1, vec![y.clone()]), &r)
            .changes
            .is_empty()
    );
    // counters: only under a tolerance
    let mut z = aged(x.clone(), 1_360_000);
    if let Some(i) = z.interfaces.as_mut().and_then(|v| v.first_mut()) {
        i.in_errors = Some(5000);
    }
    assert!(diff(
        &scan(T0, vec![x.clone()]),
        &scan(T1, vec![z.clone()]),
        &Rules::default()
    )
    .changes
    .is_empty());
    let r = Rules {
        counters: Some(1000),
        ..Rules::default()
    };
    let d = diff(&scan(T0, vec![x]), &scan(T1, vec![z]), &r);
    assert_eq!(kinds(&d), [(Kind::Interfaces, "interface Gi0/1".into())]);
}

#[test]
fn links_health_and_rtt() {
    let link = |port: &str, remote: &str| Neighbor {
        local_port: Some(port.into()),
        remote_name: Some(remote.into()),
        remote_chassis_id: None,
        remote_port: Some("1".into()),
        remote_port_descr: None,
        remote_mgmt_addr: None,
        remote_caps: None,
        protocol: "lldp".into(),
        ..Default::default()
    };
    let health = |status: &str, checks: &[(&str, &str)]| Health {
        status: crate::vocab::HealthLevel::parse(status).expect("a level"),
        reasons: vec!["why".into()],
        checks: checks
            .iter()
            .map(|(k, v)| {
                (
                    crate::vocab::HealthCheck::parse(k).expect("a check"),
                    crate::vocab::HealthLevel::parse(v).expect("a level"),
                )
            })
            .collect(),
        cpu_pct: None,
        mem_pct: None,
        unused_ports: None,
        temp_c: None,
    };
    let mut x = dev("10.0.0.1", Some("sw1"));
    x.neighbors = Some(vec![link("Gi0/1", "core"), link("Gi0/2", "edge")]);
    x.health = Some(health("ok", &[]));
    let mut y = aged(x.clone(), 1_360_000);
    y.neighbors = Some(vec![link("Gi0/1", "core"), link("Gi0/3", "edge")]);
    y.health = Some(health("critical", &[("temp", "critical")]));
    y.icmp = Some(Icmp::from_samples(3, &[40.0, 50.0, 60.0]));
    let d = diff(
        &scan(T0, vec![x.clone()]),
        &scan(T1, vec![y]),
        &Rules::default(),
    );
    assert_eq!(
        kinds(&d),
        [
            (Kind::Links, "link".into()),
            (Kind::Links, "link".into()),
            (Kind::Health, "health".into()),
            (Kind::Rtt, "rtt_ms".into())
        ]
    );
    // loss and CPU load are measurements, not health transitions
    let mut lossy = aged(x.clone(), 1_360_000);
    lossy.health = Some(health(
        "critical",
        &[("loss", "critical"), ("cpu", "warning")],
    ));
    let d = diff(
        &scan(T0, vec![x.clone()]),
        &scan(T1, vec![lossy.clone()]),
        &Rules::default(),
    );
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    let mut r = Rules::default();
    r.compare_check("loss").unwrap();
    let d = diff(&scan(T0, vec![x]), &scan(T1, vec![lossy]), &r);
    assert_eq!(kinds(&d), [(Kind::Health, "health".into())]);
}

#[test]
fn fail_on_lists_parse() {
    assert_eq!(parse_kinds("any").unwrap().len(), KINDS.len());
    assert_eq!(
        parse_kinds("added, removed")
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        [Kind::Added, Kind::Removed]
    );
    assert!(parse_kinds("added,typo").unwrap_err().contains("'typo'"));
    assert!(parse_kinds("").is_err());
}

#[test]
fn rules_files_are_validated_with_lines() {
    let mut r = Rules::default();
    r.parse(
        "r.toml",
        "[ignore]\nfields = [\"sys_location\"]\ninterfaces = [\"^Vlan\"]\n[tolerance]\nrtt_ms = 5.5\ncounters = 10\nuptime_slack = \"2m\"\n",
    )
    .unwrap();
    assert!(r.fields.contains(&DeviceField::SysLocation));
    assert_eq!(
        (r.rtt_ms, r.counters, r.uptime_slack_s),
        (5.5, Some(10), 120.0)
    );
    let e = |text: &str| {
        Rules::default()
            .parse("r.toml", text)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e("[ignore]\nfields = [\n  \"sys_name\",\n  \"colour\",\n]\n"),
        format!(
            "r.toml:4: ignore.fields: unknown field 'colour' (one of: {})",
            DeviceField::names()
        )
    );
    assert!(e("[ignore]\nprefixes = [\"10.0.0.0/33\"]\n")
        .starts_with("r.toml:2: ignore.prefixes: '10.0.0.0/33'"));
    assert!(e("[ignore]\n\ninterfaces = [\"(\"]\n").starts_with("r.toml:3: ignore.interfaces:"));
    assert!(e("[tolerance]\nrtt_ms = -1.0\n").starts_with("r.toml:2: tolerance.rtt_ms"));
    assert!(e("[ignore]\nkinds = [\"moved\", \"x\"]\n")
        .starts_with("r.toml:2: ignore.kinds: unknown kind 'x'"));
    assert!(e("[ignroe]\n").starts_with("r.toml:1: unknown field `ignroe`"));
}
