//! Interfaces (IF-MIB) and neighbours (LLDP-MIB, CISCO-CDP-MIB), read with
//! the table walker, decoded into the model.

use std::collections::BTreeMap;

use super::walk::{walk, walk_rows, WalkOptions, Walked};
use super::{lldp_caps, text};
use crate::model::{Interface, Neighbor, WalkStats};
use crate::probe::agent::{Agent, Val};

const IF_ENTRY: &[u64] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
const IFX_ENTRY: &[u64] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
const LLDP_LOC_PORT: &[u64] = &[1, 0, 8802, 1, 1, 2, 1, 3, 7, 1];
const LLDP_REM: &[u64] = &[1, 0, 8802, 1, 1, 2, 1, 4, 1, 1];
const LLDP_REM_MAN_ADDR: &[u64] = &[1, 0, 8802, 1, 1, 2, 1, 4, 2, 1, 3];
const CDP_CACHE: &[u64] = &[1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1];

/// The (table, column) pairs of the interface walk, in walk order. ifDescr
/// and ifSpeed are not walked: they are read (GET) only for the rows that
/// lack ifName or ifHighSpeed, which most agents have.
const IF_COLUMNS: [(&[u64], u64); 14] = [
    (IF_ENTRY, 3),   // 0 ifType
    (IF_ENTRY, 6),   // 1 ifPhysAddress
    (IF_ENTRY, 7),   // 2 ifAdminStatus
    (IF_ENTRY, 8),   // 3 ifOperStatus
    (IF_ENTRY, 9),   // 4 ifLastChange
    (IF_ENTRY, 13),  // 5 ifInDiscards
    (IF_ENTRY, 14),  // 6 ifInErrors
    (IF_ENTRY, 19),  // 7 ifOutDiscards
    (IF_ENTRY, 20),  // 8 ifOutErrors
    (IFX_ENTRY, 1),  // 9 ifName
    (IFX_ENTRY, 15), // 10 ifHighSpeed
    (IFX_ENTRY, 18), // 11 ifAlias
    (IFX_ENTRY, 7),  // 12 ifHCInUcastPkts
    (IFX_ENTRY, 11), // 13 ifHCOutUcastPkts
];

/// Interfaces (ifNumber, then the rows of ifIndex: agents overstate
/// ifNumber) from which the table is read in slices.
const BIG_TABLE: i64 = 300;

/// Slices of a big table read side by side: one per this many rows, at
/// least 4 and at most 16, so the biggest table keeps pace with the rest.
const SLICE_ROWS: usize = 200;
const SLICES_MIN: usize = 4;
const SLICES_MAX: usize = 16;

/// Read a big table in slices, each on its own session: a single agent
/// answers one request at a time per session, so one long walk leaves it
/// idle between answers once the other devices are done. The first column
/// is walked alone first (as many rows an answer as fit) to find where to
/// cut; the slices then read the other columns.
async fn walk_in_slices(agent: &mut Agent, cols: &[Vec<u64>], opts: &WalkOptions) -> Walked {
    let dense = WalkOptions {
        max_repetitions: opts.max_varbinds,
        ..*opts
    };
    let (Some(lead), Some(rest_cols)) = (cols.first(), cols.get(1..)) else {
        return Walked::default();
    };
    let index = walk(agent, std::slice::from_ref(lead), &dense).await;
    if index.stopped.is_some() || (index.rows.len() as i64) < BIG_TABLE {
        return walk(agent, cols, opts).await;
    }
    let keys: Vec<&Vec<u64>> = index.rows.keys().collect();
    let slices = (keys.len() / SLICE_ROWS).clamp(SLICES_MIN, SLICES_MAX);
    let cuts: Vec<Vec<u64>> = (1..slices)
        .map(|k| keys[k * keys.len() / slices].clone())
        .collect();
    let mut siblings: Vec<Agent> = (1..slices as i32).map(|n| agent.sibling(n)).collect();
    // the slices wait side by side: each is charged its share of the time
    let share = u32::try_from(slices).unwrap_or(u32::MAX);
    agent.set_share(share);
    for s in &mut siblings {
        s.set_share(share);
    }
    // slice k reads the rows after the last index of slice k-1
    let afters: Vec<Vec<u64>> = (1..slices)
        .map(|k| keys[k * keys.len() / slices - 1].clone())
        .collect();
    let first = walk_rows(agent, rest_cols, &[], cuts.first().map(Vec::as_slice), opts);
    let rest = siblings.iter_mut().enumerate().map(|(i, sib)| {
        let until = cuts.get(i + 1).map(Vec::as_slice);
        walk_rows(sib, rest_cols, &afters[i], until, opts)
    });
    let (first, rest) = futures::future::join(first, futures::future::join_all(rest)).await;
    // the slices' column 0 is the table's column 1
    let mut out = Walked {
        rows: index.rows,
        stopped: None,
    };
    for w in std::iter::once(first).chain(rest) {
        for (key, row) in w.rows {
            out.rows
                .entry(key)
                .or_default()
                .extend(row.into_iter().map(|(c, v)| (c + 1, v)));
        }
        if out.stopped.is_none() {
            out.stopped = w.stopped;
        }
    }
    agent.set_share(1);
    for s in &siblings {
        agent.absorb(s);
    }
    out
}

/// Where the fallback columns land in a row.
const IF_DESCR: usize = 14;
const IF_SPEED: usize = 15;

/// OIDs asked in one fallback GET.
const GET_BATCH: usize = 30;

pub(super) fn col(entry: &[u64], c: u64) -> Vec<u64> {
    let mut o = entry.to_vec();
    o.push(c);
    o
}

fn columns(list: &[(&[u64], u64)]) -> Vec<Vec<u64>> {
    list.iter().map(|(e, c)| col(e, *c)).collect()
}

/// Hex MAC `aa:bb:cc:dd:ee:ff` of 6 bytes; anything else is not a MAC.
pub fn mac(v: Option<&Val>) -> Option<String> {
    match v {
        Some(Val::Bytes(b)) if b.len() == 6 && b.iter().any(|x| *x != 0) => Some(
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
        ),
        _ => None,
    }
}

fn num(v: Option<&Val>) -> Option<u64> {
    v.and_then(Val::as_i64).and_then(|n| u64::try_from(n).ok())
}

fn status(v: Option<&Val>, up: i64) -> Option<bool> {
    v.and_then(Val::as_i64).map(|n| n == up)
}

/// Decode the interface rows (walked columns plus the fallbacks).
pub fn interfaces_from(rows: &super::walk::Rows) -> Vec<Interface> {
    rows.iter()
        .filter_map(|(index, cols)| {
            let [i] = index.as_slice() else { return None };
            let get = |c: usize| cols.get(&c);
            let speed = num(get(10))
                .filter(|s| *s > 0)
                .or_else(|| num(get(IF_SPEED)).map(|b| b / 1_000_000));
            Some(Interface {
                index: *i,
                name: text(get(9)).or_else(|| text(get(IF_DESCR))),
                alias: text(get(11)),
                if_type: get(0).and_then(Val::as_i64),
                admin_up: status(get(2), 1),
                oper_up: status(get(3), 1),
                speed_mbps: speed,
                mac: mac(get(1)),
                in_errors: num(get(6)),
                out_errors: num(get(8)),
                in_discards: num(get(5)),
                out_discards: num(get(7)),
                in_packets: num(get(12)),
                out_packets: num(get(13)),
                last_change_ticks: num(get(4)),
                mtu: None,
                duplex: None,
            })
        })
        .collect()
}

/// Walk the interfaces, then GET ifDescr / ifSpeed where ifName /
/// ifHighSpeed are missing.
pub async fn interfaces(
    agent: &mut Agent,
    opts: &WalkOptions,
    if_number: Option<i64>,
) -> (Vec<Interface>, Option<String>, WalkStats) {
    let before = agent.pdus_sent;
    // ifTable is mandatory: no ramp
    let eager = WalkOptions {
        ramp: false,
        ..*opts
    };
    let big = if_number.is_some_and(|n| n > BIG_TABLE) && opts.bulk;
    let mut w = if big {
        walk_in_slices(agent, &columns(&IF_COLUMNS), &eager).await
    } else {
        walk(agent, &columns(&IF_COLUMNS), &eager).await
    };
    let stats = WalkStats {
        pdus_sent: agent.pdus_sent - before,
        rows: w.rows.len() as u64,
        columns: IF_COLUMNS.len() as u64,
    };
    let mut wanted: Vec<(Vec<u64>, usize, Vec<u64>)> = Vec::new();
    for (index, row) in &w.rows {
        if text(row.get(&9)).is_none() {
            wanted.push((index.clone(), IF_DESCR, [IF_ENTRY, &[2], index].concat()));
        }
        if num(row.get(&10)).filter(|s| *s > 0).is_none() {
            wanted.push((index.clone(), IF_SPEED, [IF_ENTRY, &[5], index].concat()));
        }
    }
    for batch in wanted.chunks(GET_BATCH) {
        if w.stopped.is_some()
            || tokio::time::Instant::now() >= opts.deadline
            || agent.out_of_time()
        {
            let why = agent.spent_why().unwrap_or("time budget exhausted");
            w.stopped.get_or_insert_with(|| why.into());
            break;
        }
        let oids: Vec<Vec<u64>> = batch.iter().map(|(_, _, o)| o.clone()).collect();
        match agent.get(&oids).await {
            Ok(vbs) => {
                for (index, slot, oid) in batch {
                    if let Some((_, v)) = vbs.iter().find(|(o, v)| o == oid && !v.is_exception()) {
                        w.rows
                            .entry(index.clone())
                            .or_default()
                            .insert(*slot, v.clone());
                    }
                }
            }
            Err(e) => w.stopped = Some(e.to_string()),
        }
    }
    (interfaces_from(&w.rows), w.stopped, stats)
}

/// LLDP chassis / port ids by subtype: MAC addresses as MACs, names as text.
fn lldp_id(subtype: Option<i64>, v: Option<&Val>, mac_subtype: i64) -> Option<String> {
    if subtype == Some(mac_subtype) {
        if let Some(m) = mac(v) {
            return Some(m);
        }
    }
    match v {
        Some(Val::Bytes(b)) if b.iter().all(|c| c.is_ascii_graphic() || *c == b' ') => text(v),
        Some(Val::Bytes(b)) if !b.is_empty() => Some(
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
        ),
        other => text(other),
    }
}

/// How much an advertised management address is worth probing: routable
/// IPv4, then global IPv6, then the rest (link-local, loopback).
fn mgmt_rank(ip: &std::net::IpAddr) -> u8 {
    match (reachable(ip), ip.is_ipv4()) {
        (true, true) => 0,
        (true, false) => 1,
        _ => 2,
    }
}

/// An address another machine can be reached at: not link-local (no
/// scope to reach it by), loopback or unspecified.
pub fn reachable(ip: &std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            !(v4.is_link_local() || v4.is_loopback() || v4.is_unspecified())
        }
        std::net::IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) != 0xfe80 && !v6.is_loopback() && !v6.is_unspecified()
        }
    }
}

/// Management addresses by (local port, remote index), from the index of
/// lldpRemManAddrTable (timeMark, localPort, remIndex, subtype, len,
/// bytes): every one, the preferred first (see [`mgmt_rank`]).
fn mgmt_addrs(rows: &super::walk::Rows) -> BTreeMap<(u64, u64), Vec<String>> {
    let mut found: BTreeMap<(u64, u64), Vec<std::net::IpAddr>> = BTreeMap::new();
    for index in rows.keys() {
        if let [_, port, rem, subtype, len, addr @ ..] = index.as_slice() {
            let bytes: Vec<u8> = addr.iter().map(|b| *b as u8).collect();
            let ip = match (*subtype, *len as usize, bytes.len()) {
                (1, 4, 4) => Some(
                    std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
                ),
                (2, 16, 16) => <[u8; 16]>::try_from(bytes.as_slice())
                    .ok()
                    .map(|a| std::net::Ipv6Addr::from(a).to_string()),
                _ => None,
            };
            if let Some(ip) = ip.and_then(|s| s.parse().ok()) {
                found.entry((*port, *rem)).or_default().push(ip);
            }
        }
    }
    found
        .into_iter()
        .map(|(k, mut ips)| {
            ips.sort_by_key(|ip| (mgmt_rank(ip), *ip));
            ips.dedup();
            (k, ips.iter().map(ToString::to_string).collect())
        })
        .collect()
}

/// Walk LLDP and CDP neighbours; `if_names` names CDP's local ifIndex.
pub async fn neighbors(
    agent: &mut Agent,
    opts: &WalkOptions,
    if_names: &BTreeMap<u64, String>,
) -> (Vec<Neighbor>, Option<String>) {
    let mut out = Vec::new();
    let mut stopped = None;
    let mut note = |w: &Walked| {
        if stopped.is_none() {
            stopped.clone_from(&w.stopped);
        }
    };
    // LLDP: local ports, remote table, management addresses
    let loc = walk(
        agent,
        &columns(&[(LLDP_LOC_PORT, 3), (LLDP_LOC_PORT, 4)]),
        opts,
    )
    .await;
    note(&loc);
    let rem_cols = [4, 5, 6, 7, 8, 9, 12];
    let rem_list: Vec<(&[u64], u64)> = rem_cols.iter().map(|c| (LLDP_REM, *c)).collect();
    let rem = walk(agent, &columns(&rem_list), opts).await;
    note(&rem);
    let addrs = if rem.rows.is_empty() {
        BTreeMap::new()
    } else {
        let w = walk(agent, &[LLDP_REM_MAN_ADDR.to_vec()], opts).await;
        note(&w);
        mgmt_addrs(&w.rows)
    };
    for (index, cols) in &rem.rows {
        let [_, port, rem_index] = index.as_slice() else {
            continue;
        };
        let get = |c: usize| cols.get(&c);
        let local = loc.rows.get(&vec![*port]);
        // the port id, as the interface's name where it is an ifIndex; else
        // the port description; else the LLDP port number
        let id = local.and_then(|l| text(l.get(&0)));
        let by_index = id
            .as_deref()
            .and_then(|i| i.parse::<u64>().ok())
            .and_then(|i| if_names.get(&i).cloned());
        let local_port = by_index
            .or(id)
            .or_else(|| local.and_then(|l| text(l.get(&1))))
            .or_else(|| if_names.get(port).cloned())
            .or_else(|| Some(port.to_string()));
        let all = addrs.get(&(*port, *rem_index)).cloned().unwrap_or_default();
        out.push(Neighbor {
            local_port,
            remote_name: text(get(5)),
            remote_chassis_id: lldp_id(get(0).and_then(Val::as_i64), get(1), 4),
            remote_port: lldp_id(get(2).and_then(Val::as_i64), get(3), 3),
            remote_port_descr: text(get(4)),
            remote_mgmt_addr: all.first().cloned(),
            remote_mgmt_addrs: if all.len() > 1 { all } else { Vec::new() },
            remote_caps: match get(6) {
                Some(Val::Bytes(b)) => Some(lldp_caps(b)),
                _ => None,
            },
            protocol: "lldp".into(),
        });
    }
    // CDP (Cisco and others that speak it)
    let cdp_list: Vec<(&[u64], u64)> = [4, 6, 7, 8].iter().map(|c| (CDP_CACHE, *c)).collect();
    let cdp = walk(agent, &columns(&cdp_list), opts).await;
    note(&cdp);
    for (index, cols) in &cdp.rows {
        let [if_index, _] = index.as_slice() else {
            continue;
        };
        let get = |c: usize| cols.get(&c);
        let addr = match get(0) {
            Some(Val::Bytes(b)) if b.len() == 4 => {
                Some(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string())
            }
            _ => None,
        };
        out.push(Neighbor {
            local_port: if_names
                .get(if_index)
                .cloned()
                .or_else(|| Some(if_index.to_string())),
            remote_name: text(get(1)),
            remote_chassis_id: None,
            remote_port: text(get(2)),
            remote_port_descr: None,
            remote_mgmt_addr: addr,
            remote_mgmt_addrs: Vec::new(),
            remote_caps: None,
            protocol: "cdp".into(),
        });
    }
    (out, stopped)
}

/// ifMtu.
const IF_MTU: &[u64] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 4];
/// EtherLike-MIB dot3StatsDuplexStatus: unknown(1), halfDuplex(2),
/// fullDuplex(3).
const DOT3_DUPLEX: &[u64] = &[1, 3, 6, 1, 2, 1, 10, 7, 2, 1, 19];

/// Read MTU and duplex of the ports that have a neighbour (what the two
/// ends of a link must agree on), in GETs of a few ports each.
pub async fn link_ports(agent: &mut Agent, ifs: &mut [Interface], neighbors: &[Neighbor]) {
    let linked: std::collections::BTreeSet<&str> = neighbors
        .iter()
        .filter_map(|n| n.local_port.as_deref())
        .collect();
    let wanted: Vec<usize> = (0..ifs.len())
        .filter(|i| ifs[*i].name.as_deref().is_some_and(|n| linked.contains(n)))
        .collect();
    for batch in wanted.chunks(GET_BATCH / 2) {
        if agent.out_of_time() {
            break;
        }
        let oids: Vec<Vec<u64>> = batch
            .iter()
            .flat_map(|i| {
                let index = ifs[*i].index;
                [
                    [IF_MTU, &[index]].concat(),
                    [DOT3_DUPLEX, &[index]].concat(),
                ]
            })
            .collect();
        let Ok(vbs) = agent.get(&oids).await else {
            break;
        };
        for i in batch {
            let index = ifs[*i].index;
            let value = |table: &[u64]| {
                let oid = [table, &[index]].concat();
                vbs.iter()
                    .find(|(o, v)| *o == oid && !v.is_exception())
                    .and_then(|(_, v)| v.as_i64())
            };
            ifs[*i].mtu = value(IF_MTU)
                .and_then(|m| u64::try_from(m).ok())
                .filter(|m| *m > 0);
            ifs[*i].duplex = match value(DOT3_DUPLEX) {
                Some(2) => Some(crate::model::Duplex::Half),
                Some(3) => Some(crate::model::Duplex::Full),
                _ => None,
            };
        }
    }
}
