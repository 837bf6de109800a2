//! What a device has learnt of the hosts around it: its neighbour cache
//! (IP-MIB ipNetToPhysicalTable for IPv4 and IPv6, else the older
//! ipNetToMediaTable) and its forwarding database (Q-BRIDGE-MIB
//! dot1qTpFdbTable with VLANs, else BRIDGE-MIB dot1dTpFdbTable), bridge
//! ports mapped to interfaces by dot1dBasePortIfIndex.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::inventory::col;
use super::walk::{walk, WalkOptions, Walked};
use crate::model::{ArpEntry, FdbEntry, Learned};
use crate::probe::agent::{Agent, Val};

/// ipNetToPhysicalEntry: PhysAddress (4), Type (6).
const IP_NET_TO_PHYSICAL: &[u64] = &[1, 3, 6, 1, 2, 1, 4, 35, 1];
/// ipNetToMediaEntry: PhysAddress (2), Type (4).
const IP_NET_TO_MEDIA: &[u64] = &[1, 3, 6, 1, 2, 1, 4, 22, 1];
/// dot1dBasePortIfIndex.
const BASE_PORT_IF_INDEX: &[u64] = &[1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2];
/// dot1qTpFdbEntry: Port (2), Status (3), indexed by FdbId and the MAC.
const Q_FDB: &[u64] = &[1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1];
/// dot1qVlanFdbId (dot1qVlanCurrentTable): the FdbId of each VLAN,
/// indexed by time mark and VLAN.
const Q_VLAN_FDB_ID: &[u64] = &[1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 2, 1, 3];
/// dot1dTpFdbEntry: Port (2), Status (3), indexed by the MAC.
const D_FDB: &[u64] = &[1, 3, 6, 1, 2, 1, 17, 4, 3, 1];

/// ipNetToPhysicalType / ipNetToMediaType invalid(2): not an entry.
const ARP_INVALID: i64 = 2;
/// dot1qTpFdbStatus / dot1dTpFdbStatus learned(3): a host behind the
/// port (other(1) counts too; self(4) is the bridge's own, mgmt(5) static).
const FDB_LEARNED: [i64; 2] = [1, 3];

/// A MAC from six index arcs.
fn mac_of_arcs(arcs: &[u64]) -> Option<String> {
    let bytes: Vec<u8> = arcs
        .iter()
        .map(|a| u8::try_from(*a).ok())
        .collect::<Option<_>>()?;
    super::inventory::mac(Some(&Val::Bytes(bytes)))
}

/// An address from an InetAddressType and length-prefixed arcs.
fn ip_of_arcs(kind: u64, arcs: &[u64]) -> Option<IpAddr> {
    let (len, rest) = arcs.split_first()?;
    let bytes: Vec<u8> = rest
        .iter()
        .map(|a| u8::try_from(*a).ok())
        .collect::<Option<_>>()?;
    match (kind, *len, bytes.len()) {
        (1, 4, 4) => Some(IpAddr::V4(Ipv4Addr::new(
            bytes[0], bytes[1], bytes[2], bytes[3],
        ))),
        (2, 16, 16) => <[u8; 16]>::try_from(bytes.as_slice())
            .ok()
            .map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        _ => None,
    }
}

/// The neighbour cache from ipNetToPhysicalTable rows (index: ifIndex,
/// address type, length, address).
fn arp_from_physical(rows: &super::walk::Rows, if_names: &BTreeMap<u64, String>) -> Vec<ArpEntry> {
    rows.iter()
        .filter_map(|(index, cols)| {
            let [if_index, kind, addr @ ..] = index.as_slice() else {
                return None;
            };
            if cols.get(&1).and_then(Val::as_i64) == Some(ARP_INVALID) {
                return None;
            }
            Some(ArpEntry {
                ip: ip_of_arcs(*kind, addr)?,
                mac: super::inventory::mac(cols.get(&0))?,
                interface: if_names.get(if_index).cloned(),
            })
        })
        .collect()
}

/// The IPv4 neighbour cache from ipNetToMediaTable rows (index: ifIndex
/// and the four bytes of the address).
fn arp_from_media(rows: &super::walk::Rows, if_names: &BTreeMap<u64, String>) -> Vec<ArpEntry> {
    rows.iter()
        .filter_map(|(index, cols)| {
            let [if_index, addr @ ..] = index.as_slice() else {
                return None;
            };
            if cols.get(&1).and_then(Val::as_i64) == Some(ARP_INVALID) {
                return None;
            }
            let mut arcs = vec![4];
            arcs.extend_from_slice(addr);
            Some(ArpEntry {
                ip: ip_of_arcs(1, &arcs)?,
                mac: super::inventory::mac(cols.get(&0))?,
                interface: if_names.get(if_index).cloned(),
            })
        })
        .collect()
}

/// The port a bridge port number names: its interface's name, else the
/// ifIndex, else the bridge port number itself.
fn port_name(
    bridge_port: u64,
    if_of_port: &BTreeMap<u64, u64>,
    if_names: &BTreeMap<u64, String>,
) -> String {
    match if_of_port.get(&bridge_port) {
        Some(i) => if_names.get(i).cloned().unwrap_or_else(|| i.to_string()),
        None => bridge_port.to_string(),
    }
}

/// Learned entries of a forwarding table; `split` gives an index's VLAN
/// and where in it the MAC's six arcs start.
fn fdb_from(
    rows: &super::walk::Rows,
    split: impl Fn(&[u64]) -> Option<(Option<u16>, usize)>,
    if_of_port: &BTreeMap<u64, u64>,
    if_names: &BTreeMap<u64, String>,
) -> Vec<FdbEntry> {
    rows.iter()
        .filter_map(|(index, cols)| {
            let (vlan, at) = split(index)?;
            let mac_arcs = index.get(at..).filter(|m| m.len() == 6)?;
            let bridge_port = cols
                .get(&0)
                .and_then(Val::as_i64)
                .and_then(|p| u64::try_from(p).ok())
                .filter(|p| *p > 0)?;
            let status = cols.get(&1).and_then(Val::as_i64);
            if status.is_some_and(|s| !FDB_LEARNED.contains(&s)) {
                return None;
            }
            Some(FdbEntry {
                mac: mac_of_arcs(mac_arcs)?,
                port: port_name(bridge_port, if_of_port, if_names),
                vlan,
            })
        })
        .collect()
}

/// Read the neighbour cache and the forwarding database (whichever the
/// agent has); `if_names` names the interfaces. Returns what was read and
/// why a table stopped early, if one did.
pub async fn learned(
    agent: &mut Agent,
    opts: &WalkOptions,
    if_names: &BTreeMap<u64, String>,
) -> (Learned, Option<String>) {
    let mut stopped = None;
    let mut note = |w: &Walked| {
        if stopped.is_none() {
            stopped.clone_from(&w.stopped);
        }
    };
    let physical = walk(
        agent,
        &[col(IP_NET_TO_PHYSICAL, 4), col(IP_NET_TO_PHYSICAL, 6)],
        opts,
    )
    .await;
    note(&physical);
    let mut arp = arp_from_physical(&physical.rows, if_names);
    if arp.iter().all(|a| !a.ip.is_ipv4()) {
        // agents of the older IP-MIB keep IPv4 there only
        let media = walk(
            agent,
            &[col(IP_NET_TO_MEDIA, 2), col(IP_NET_TO_MEDIA, 4)],
            opts,
        )
        .await;
        note(&media);
        arp.extend(arp_from_media(&media.rows, if_names));
    }
    let ports = walk(agent, &[BASE_PORT_IF_INDEX.to_vec()], opts).await;
    note(&ports);
    let mut fdb = Vec::new();
    if !ports.rows.is_empty() {
        let if_of_port: BTreeMap<u64, u64> = ports
            .rows
            .iter()
            .filter_map(|(k, c)| {
                let [port] = k.as_slice() else { return None };
                let i = c.get(&0).and_then(Val::as_i64)?;
                Some((*port, u64::try_from(i).ok()?))
            })
            .collect();
        fdb = read_fdb(agent, opts, &if_of_port, if_names, &mut note).await;
    }
    arp.sort();
    arp.dedup();
    fdb.sort();
    fdb.dedup();
    (Learned { arp, fdb }, stopped)
}

/// The forwarding database: Q-BRIDGE's (with VLANs), else BRIDGE-MIB's.
async fn read_fdb(
    agent: &mut Agent,
    opts: &WalkOptions,
    if_of_port: &BTreeMap<u64, u64>,
    if_names: &BTreeMap<u64, String>,
    note: &mut impl FnMut(&Walked),
) -> Vec<FdbEntry> {
    let q = walk(agent, &[col(Q_FDB, 2), col(Q_FDB, 3)], opts).await;
    note(&q);
    if !q.rows.is_empty() {
        // FdbId is the VLAN on most bridges (independent learning); where
        // dot1qVlanFdbId says otherwise, it maps an FdbId back to its VLAN
        let ids = walk(agent, &[Q_VLAN_FDB_ID.to_vec()], opts).await;
        note(&ids);
        let vlan_of_fdb: BTreeMap<u64, u16> = ids
            .rows
            .iter()
            .filter_map(|(k, c)| {
                let [_, vlan] = k.as_slice() else { return None };
                let fdb = u64::try_from(c.get(&0).and_then(Val::as_i64)?).ok()?;
                Some((fdb, u16::try_from(*vlan).ok()?))
            })
            .collect();
        let split = |index: &[u64]| {
            let fdb_id = index.first()?;
            let vlan = vlan_of_fdb.get(fdb_id).copied().or_else(|| {
                u16::try_from(*fdb_id)
                    .ok()
                    .filter(|v| (1..4095).contains(v))
            });
            Some((vlan, 1))
        };
        return fdb_from(&q.rows, split, if_of_port, if_names);
    }
    let d = walk(agent, &[col(D_FDB, 2), col(D_FDB, 3)], opts).await;
    note(&d);
    let split = |_: &[u64]| Some((None, 0));
    fdb_from(&d.rows, split, if_of_port, if_names)
}

/// The fuzz target's way in: rows of any shape (records split at 0xff:
/// an arc count, the arcs, a value) through every decoder here; nothing
/// panics and every entry decoded is well formed.
#[doc(hidden)]
pub fn fuzz_decode(data: &[u8]) {
    let (mut rows, mut fdb_rows) = (super::walk::Rows::new(), super::walk::Rows::new());
    for record in data.split(|b| *b == 0xff) {
        let Some((n, rest)) = record.split_first() else {
            continue;
        };
        let n = usize::from(*n % 24).min(rest.len());
        let (arcs, value) = rest.split_at(n);
        let index: Vec<u64> = arcs.iter().map(|a| u64::from(*a)).collect();
        let byte = |i: usize| i64::from(value.get(i).copied().unwrap_or(0));
        fdb_rows.insert(
            index.clone(),
            [(0, Val::Int(byte(0))), (1, Val::Int(byte(1)))].into(),
        );
        rows.insert(
            index,
            [(0, Val::Bytes(value.to_vec())), (1, Val::Int(byte(0)))].into(),
        );
    }
    let names: BTreeMap<u64, String> = [(1, "Gi1/0/1".to_string())].into();
    let ports: BTreeMap<u64, u64> = [(1, 1), (2, 7)].into();
    for a in arp_from_physical(&rows, &names)
        .iter()
        .chain(&arp_from_media(&rows, &names))
    {
        assert_eq!(a.mac.len(), 17, "{a:?}");
    }
    let with_vlan = |i: &[u64]| Some((u16::try_from(*i.first()?).ok(), 1));
    for e in fdb_from(&fdb_rows, with_vlan, &ports, &names) {
        assert_eq!(e.mac.len(), 17, "{e:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Entry<'a> = (&'a [u64], &'a [(usize, Val)]);

    fn rows(entries: &[Entry<'_>]) -> super::super::walk::Rows {
        entries
            .iter()
            .map(|(k, cols)| (k.to_vec(), cols.iter().cloned().collect()))
            .collect()
    }

    #[test]
    fn neighbour_caches_of_both_families_and_the_old_table() {
        let names: BTreeMap<u64, String> = [(5, "Vlan10".to_string())].into();
        let mac = Val::Bytes(vec![0x00, 0x1b, 0x21, 0xaa, 0x00, 0x01]);
        let v6: Vec<u64> = [5, 2, 16, 0xfd, 0x77]
            .into_iter()
            .chain([0; 13])
            .chain([0x99])
            .collect();
        let r = rows(&[
            (
                &[5, 1, 4, 10, 77, 60, 11],
                &[(0, mac.clone()), (1, Val::Int(3))],
            ),
            (&v6, &[(0, mac.clone())]),
            (
                &[5, 1, 4, 10, 77, 60, 12],
                &[(0, mac.clone()), (1, Val::Int(2))],
            ),
            (&[5, 1, 3, 10, 77, 60], &[(0, mac.clone())]),
        ]);
        let arp = arp_from_physical(&r, &names);
        let got: Vec<(String, &str)> = arp
            .iter()
            .map(|a| (a.ip.to_string(), a.interface.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            got,
            [
                ("10.77.60.11".to_string(), "Vlan10"),
                ("fd77::99".to_string(), "Vlan10")
            ],
            "invalid(2) entries and malformed indexes are no entries"
        );
        let media = rows(&[(&[7, 10, 77, 60, 13], &[(0, mac)])]);
        let old = arp_from_media(&media, &names);
        assert_eq!(old[0].ip.to_string(), "10.77.60.13");
        assert_eq!(old[0].mac, "00:1b:21:aa:00:01");
        assert_eq!(old[0].interface, None);
    }

    #[test]
    fn forwarding_entries_name_the_interface_behind_the_bridge_port() {
        let names: BTreeMap<u64, String> = [(10003, "Gi1/0/3".to_string())].into();
        let ports: BTreeMap<u64, u64> = [(3, 10003)].into();
        let r = rows(&[
            (
                &[10, 0, 0x1b, 0x21, 0xaa, 0, 1],
                &[(0, Val::Int(3)), (1, Val::Int(3))],
            ),
            // the bridge's own MAC, and a port the map does not know
            (
                &[10, 0, 0x1b, 0x21, 0xaa, 0, 2],
                &[(0, Val::Int(3)), (1, Val::Int(4))],
            ),
            (&[20, 0, 0x50, 0x56, 1, 2, 3], &[(0, Val::Int(9))]),
        ]);
        let split = |i: &[u64]| Some((u16::try_from(*i.first()?).ok(), 1));
        let fdb = fdb_from(&r, split, &ports, &names);
        let got: Vec<(&str, &str, Option<u16>)> = fdb
            .iter()
            .map(|e| (e.mac.as_str(), e.port.as_str(), e.vlan))
            .collect();
        assert_eq!(
            got,
            [
                ("00:1b:21:aa:00:01", "Gi1/0/3", Some(10)),
                ("00:50:56:01:02:03", "9", Some(20))
            ]
        );
    }
}
