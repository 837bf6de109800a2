//! The scan file (`netcensus/scan/v1`): the one shape that reports, baselines
//! and diffs share. Fields not collected are `null`, never invented.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::vocab::{HealthCheck, HealthLevel, Protocol, Role, SnmpVersion};

/// Schema identifier written into every scan file.
pub const SCAN_SCHEMA: &str = "netcensus/scan/v2";

/// The schemas read: v1 files hold one record per address (a device that
/// answered on two is two records there; the diff merges them first).
pub const READABLE_SCAN_SCHEMAS: [&str; 2] = ["netcensus/scan/v1", SCAN_SCHEMA];

/// A whole scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanFile {
    pub schema: String,
    pub tool: Tool,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub targets: Vec<String>,
    pub excluded: Vec<String>,
    pub profile: String,
    pub interrupted: bool,
    pub stats: Stats,
    pub devices: Vec<Device>,
    /// Physical links, one entry per link whichever end saw it (LLDP, CDP).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// End hosts and where each is plugged in (forwarding and ARP/ND
    /// tables of the switches and routers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
}

/// One physical link, from the neighbour tables of either end or both.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Link {
    /// A device's id.
    pub a: String,
    pub a_port: Option<String>,
    /// The other end: a device's id, or, when no record is that neighbour
    /// (`b_known` false), its name, chassis id or address as advertised.
    pub b: String,
    pub b_port: Option<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub b_known: bool,
    /// The protocols that saw it (`lldp`, `cdp`).
    pub protocol: Vec<String>,
    /// The ids of the devices whose tables hold it: one end or both.
    pub seen_from: Vec<String>,
    /// What does not agree: one-sided, ends that disagree on a port,
    /// speed, duplex or MTU that differ across it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// An end host and the access port it is plugged into.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Endpoint {
    /// `aa:bb:cc:dd:ee:ff`.
    pub mac: String,
    /// Its address (IPv4 first), from the routers' ARP / ND tables.
    pub ip: Option<std::net::IpAddr>,
    /// Every address it has there, when more than one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<std::net::IpAddr>,
    /// The IEEE registry's organisation for the MAC's OUI.
    pub oui_vendor: Option<String>,
    /// The switch (a device id) and port where it is learned; `null`
    /// when only an ARP / ND table knows it.
    pub switch: Option<String>,
    pub port: Option<String>,
    pub vlan: Option<u16>,
    /// The device record this host is, when it is one of the scan's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// What a device has learnt of the hosts around it: its neighbour cache
/// (ARP, IPv6 ND) and its forwarding database.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arp: Vec<ArpEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fdb: Vec<FdbEntry>,
}

/// One ARP / ND entry: an address and the MAC it resolves to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ArpEntry {
    pub ip: std::net::IpAddr,
    pub mac: String,
    /// The interface it was learnt on (ifName), when known.
    pub interface: Option<String>,
}

/// One learned forwarding entry: a MAC behind a port, in a VLAN.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FdbEntry {
    pub mac: String,
    /// The port (ifName), else its ifIndex, else the bridge port number.
    pub port: String,
    pub vlan: Option<u16>,
}

/// Which program wrote the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Counters of the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Addresses in the target set (after exclusions).
    pub addresses: u64,
    /// Devices (not addresses) that answered ping, SNMP, TCP on any of
    /// their addresses.
    pub icmp_alive: u64,
    pub snmp_responding: u64,
    pub tcp_alive: u64,
    pub devices: u64,
    /// Probe packets sent by the sweep (ICMP echo requests, SNMP GETs, TCP SYNs).
    pub packets_sent: u64,
    /// Devices whose collection hit a bug in netcensus (an error entry
    /// "internal error: …" says which); 0 in a healthy run.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub internal_errors: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One host that answered anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// Stable identity: serial, else chassis MAC, else sysName, else IP.
    pub id: String,
    pub ip: std::net::IpAddr,
    /// Every address the device answered on, the canonical one (`ip`)
    /// first, each with how it answered (v2; empty in v1 files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// How the host was found: any of `icmp`, `snmp`, `tcp`.
    pub found_by: Vec<Protocol>,
    pub icmp: Option<Icmp>,
    pub snmp: Option<Snmp>,
    /// TCP port that answered the connect probe (open or closed), if probed.
    pub tcp_port: Option<u16>,
    pub role: Option<Role>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub serial: Option<String>,
    /// The members of a stack or virtual chassis (ENTITY-MIB chassis rows):
    /// model and serial of each; empty for a single chassis.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Chassis>,
    /// Which profile rule decided each classified field (`role`, `vendor`,
    /// …); `netcensus explain` shows the evidence.
    pub classified_by: BTreeMap<String, String>,
    /// What classification looked at, beyond the system group.
    pub facts: Option<Facts>,
    /// What went wrong while collecting from this device (timeouts,
    /// garbage answers); the rest of the scan is unaffected.
    pub errors: Vec<String>,
    pub interfaces: Option<Vec<Interface>>,
    pub neighbors: Option<Vec<Neighbor>>,
    /// Its ARP / ND and forwarding tables (routers, switches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<Learned>,
    pub health: Option<Health>,
    /// What the SNMP exchanges with this device cost.
    pub snmp_stats: Option<SnmpStats>,
}

/// One address of a device and how it answered there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub ip: std::net::IpAddr,
    pub found_by: Vec<Protocol>,
    pub icmp: Option<Icmp>,
    /// The SNMP version it answered with there, if it did.
    pub snmp: Option<SnmpVersion>,
}

impl Device {
    /// Every address of the device: `addresses`, or `ip` alone (v1 files).
    pub fn all_ips(&self) -> Vec<std::net::IpAddr> {
        if self.addresses.is_empty() {
            vec![self.ip]
        } else {
            self.addresses.iter().map(|a| a.ip).collect()
        }
    }
}

/// ICMP echo statistics of the `--count` echoes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Icmp {
    pub alive: bool,
    pub sent: u32,
    pub received: u32,
    pub loss_pct: f64,
    pub rtt_ms: Option<Rtt>,
}

/// Round-trip times in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rtt {
    pub min: f64,
    pub avg: f64,
    pub max: f64,
    /// Mean absolute difference of consecutive samples (RFC 3550 style).
    pub jitter: f64,
}

/// The SNMP system group; `null` fields are objects the agent does not have.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snmp {
    pub version: SnmpVersion,
    /// The credential set that answered, by name (never its secret):
    /// a configuration file's set, or `community N` / `v3 user` for flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// The address the sweep's answer came from, when not the one asked
    /// (a multi-homed agent answering from its primary address): the
    /// answer is this address's, and that one is not counted alive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_from: Option<std::net::IpAddr>,
    pub sys_name: Option<String>,
    pub sys_descr: Option<String>,
    pub sys_object_id: Option<String>,
    pub sys_uptime_ticks: Option<u32>,
    pub sys_contact: Option<String>,
    pub sys_location: Option<String>,
    pub sys_services: Option<i64>,
}

/// Classification evidence collected over SNMP (null: not available).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// IF-MIB ifNumber (the size of the interface table, by the agent's word).
    pub if_number: Option<i64>,
    /// BRIDGE-MIB dot1dBaseNumPorts.
    pub bridge_ports: Option<i64>,
    /// IP-MIB ipForwarding: true = forwarding(1).
    pub ip_forwarding: Option<bool>,
    /// LLDP-MIB lldpLocSysCapSupported / lldpLocSysCapEnabled, as names.
    pub lldp_caps_supported: Option<Vec<String>>,
    pub lldp_caps_enabled: Option<Vec<String>>,
    /// ENTITY-MIB: the chassis (first entity of class chassis, else the first).
    pub chassis: Option<Chassis>,
    /// ENTITY-MIB: the stack(11) row of a stack or virtual chassis, whose
    /// serial is the device's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<Chassis>,
    /// ENTITY-MIB: every chassis row, when there are several or a stack
    /// holds them (the members of a stack or virtual chassis).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Chassis>,
    /// Standard MIBs the agent implements, by short name (`host-resources`,
    /// `printer`, `ups`, `entity`).
    pub mibs: Vec<String>,
    /// Enterprise subtrees (1.3.6.1.4.1.N) the agent implements, lowest
    /// first (at most a few).
    pub enterprises: Vec<u64>,
    /// Subtrees named by profile rules (and health metric columns) that
    /// the agent implements.
    pub subtrees: Vec<String>,
    /// Values of objects named by profile rules.
    pub values: BTreeMap<String, String>,
    /// Identity evidence: snmpEngineID (hex), the bridge's base MAC, the
    /// LLDP local chassis id (a MAC when its subtype is one), and the
    /// device's own addresses (IP-MIB address tables): what tells that two
    /// addresses are one device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lldp_chassis_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<std::net::IpAddr>,
}

/// ENTITY-MIB entPhysicalTable row of the chassis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Chassis {
    pub index: u64,
    pub descr: Option<String>,
    pub name: Option<String>,
    pub hardware_rev: Option<String>,
    pub firmware_rev: Option<String>,
    pub software_rev: Option<String>,
    pub serial: Option<String>,
    pub mfg: Option<String>,
    pub model: Option<String>,
}

/// One interface (IF-MIB ifTable + ifXTable).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    pub index: u64,
    /// ifName, else ifDescr.
    pub name: Option<String>,
    pub alias: Option<String>,
    /// IANAifType number (6 ethernetCsmacd, 24 softwareLoopback, ...).
    pub if_type: Option<i64>,
    pub admin_up: Option<bool>,
    pub oper_up: Option<bool>,
    /// ifHighSpeed, else ifSpeed / 1e6.
    pub speed_mbps: Option<u64>,
    pub mac: Option<String>,
    pub in_errors: Option<u64>,
    pub out_errors: Option<u64>,
    pub in_discards: Option<u64>,
    pub out_discards: Option<u64>,
    /// ifHCInUcastPkts / ifHCOutUcastPkts (ifXTable): what the error
    /// share is taken of.
    pub in_packets: Option<u64>,
    pub out_packets: Option<u64>,
    /// sysUpTime ticks at the last status change.
    pub last_change_ticks: Option<u64>,
    /// ifMtu and EtherLike-MIB dot3StatsDuplexStatus, read for the ports
    /// with a neighbour (what a link's two ends must agree on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplex: Option<Duplex>,
}

/// dot3StatsDuplexStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duplex {
    Half,
    Full,
}

/// One neighbour link: (local port) → (remote name or chassis id, remote port).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Neighbor {
    pub local_port: Option<String>,
    pub remote_name: Option<String>,
    pub remote_chassis_id: Option<String>,
    pub remote_port: Option<String>,
    pub remote_port_descr: Option<String>,
    pub remote_mgmt_addr: Option<String>,
    /// Every management address it advertises (`remote_mgmt_addr` is the
    /// one preferred: routable IPv4, then global IPv6, then the rest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote_mgmt_addrs: Vec<String>,
    /// Capabilities the neighbour has enabled (LLDP) or advertises (CDP).
    pub remote_caps: Option<Vec<String>>,
    /// `lldp` or `cdp`.
    pub protocol: String,
}

/// SNMP exchanges with one device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnmpStats {
    pub pdus_sent: u64,
    pub pdus_received: u64,
    pub varbinds: u64,
    /// UDP payload bytes of the requests and answers; `null` for SNMPv3,
    /// whose datagrams snmp2 keeps to itself.
    pub bytes_sent: Option<u64>,
    pub bytes_received: Option<u64>,
    pub duration_ms: u64,
    /// The interface walk alone: requests sent for the rows and columns it
    /// read (its efficiency against the minimum PDUs for those values).
    pub interface_walk: Option<WalkStats>,
}

/// What one table walk cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WalkStats {
    pub pdus_sent: u64,
    pub rows: u64,
    pub columns: u64,
}

/// Health summary (filled by the inventory issue).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthLevel,
    pub reasons: Vec<String>,
    /// The failing checks (`unreachable`, `loss`, `rtt`, `cpu`, `mem`,
    /// `temp`, `reboot`, `oper_down`, `if_errors`) and the level of each:
    /// what a diff compares, so a measured value can be left out.
    #[serde(default)]
    pub checks: BTreeMap<HealthCheck, HealthLevel>,
    pub cpu_pct: Option<f64>,
    pub mem_pct: Option<f64>,
    pub temp_c: Option<f64>,
    /// Oper-down Ethernet ports nobody cares about (no description, neither
    /// up nor linked in the baseline): counted, raising nothing. `null`
    /// without interfaces.
    #[serde(default)]
    pub unused_ports: Option<u64>,
}

impl Icmp {
    /// Statistics from the RTT samples of `sent` echoes (lost ones absent).
    pub fn from_samples(sent: u32, rtts_ms: &[f64]) -> Icmp {
        let received = rtts_ms.len() as u32;
        let loss_pct = if sent == 0 {
            0.0
        } else {
            round3(100.0 * f64::from(sent - received.min(sent)) / f64::from(sent))
        };
        let rtt_ms = (!rtts_ms.is_empty()).then(|| {
            let min = rtts_ms.iter().copied().fold(f64::INFINITY, f64::min);
            let max = rtts_ms.iter().copied().fold(0.0, f64::max);
            let avg = rtts_ms.iter().sum::<f64>() / rtts_ms.len() as f64;
            let jitter = if rtts_ms.len() < 2 {
                0.0
            } else {
                rtts_ms.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>()
                    / (rtts_ms.len() - 1) as f64
            };
            Rtt {
                min: round3(min),
                avg: round3(avg),
                max: round3(max),
                jitter: round3(jitter),
            }
        });
        Icmp {
            alive: received > 0,
            sent,
            received,
            loss_pct,
            rtt_ms,
        }
    }
}

/// Round to 3 decimals: microsecond precision is all an RTT carries.
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icmp_stats() {
        let s = Icmp::from_samples(4, &[1.0, 3.0, 2.0]);
        assert!(s.alive);
        assert_eq!(s.received, 3);
        assert_eq!(s.loss_pct, 25.0);
        let r = s.rtt_ms.unwrap();
        assert_eq!((r.min, r.avg, r.max, r.jitter), (1.0, 2.0, 3.0, 1.5));
        let dead = Icmp::from_samples(3, &[]);
        assert!(!dead.alive && dead.rtt_ms.is_none() && dead.loss_pct == 100.0);
    }
}
