//! Where each end host is plugged in: the MACs of the switches' forwarding
//! tables placed on the access port where they are learned (never on a
//! port that leads to another switch), their addresses from the ARP / ND
//! tables, their organisation from the IEEE registry.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::links::{interface, Index};
use crate::model::{Device, Endpoint, Link};
use crate::vocab::Role;

/// More MACs than this learned on a port without a neighbour: another
/// switch (unmanaged, a hypervisor's) is behind it. Its MACs are placed
/// there only when no port with fewer knows them.
pub const MANY_MACS: usize = 8;

/// Roles whose MACs are infrastructure (links), not endpoints.
const INFRASTRUCTURE: [Role; 3] = [Role::Router, Role::Switch, Role::Firewall];

/// LLDP / CDP capabilities of a neighbour that forwards for others.
const FORWARDS: [&str; 2] = ["bridge", "router"];

/// The ports of each device that lead to another switch or router: a
/// neighbour there is one (a known device of that role, or advertising
/// bridge or router), or a link of the scan's ends there.
fn uplinks(devices: &[Device], links: &[Link]) -> BTreeSet<(String, String)> {
    let ix = Index::new(devices);
    let mut out = BTreeSet::new();
    for d in devices {
        for n in d.neighbors.iter().flatten() {
            let Some(port) = &n.local_port else { continue };
            let peer_forwards = ix
                .find(n)
                .and_then(|p| devices[p].role)
                .map(|r| INFRASTRUCTURE.contains(&r));
            let caps_forward = n.remote_caps.as_ref().map(|c| {
                c.iter().any(|x| FORWARDS.contains(&x.as_str()))
                    && !c
                        .iter()
                        .any(|x| x == "wlan-access-point" || x == "telephone")
            });
            // an unknown neighbour that says nothing of itself: a switch
            // more likely than a host (hosts rarely speak LLDP or CDP)
            if peer_forwards.or(caps_forward).unwrap_or(true) {
                out.insert((d.id.clone(), port.clone()));
            }
        }
    }
    let roles: std::collections::HashMap<&str, Role> = devices
        .iter()
        .filter_map(|d| Some((d.id.as_str(), d.role?)))
        .collect();
    let role = |id: &str| roles.get(id).copied();
    for l in links.iter().filter(|l| l.b_known) {
        let infra = |id: &str| role(id).is_some_and(|r| INFRASTRUCTURE.contains(&r));
        if let (Some(p), true) = (&l.a_port, infra(&l.b)) {
            out.insert((l.a.clone(), p.clone()));
        }
        if let (Some(p), true) = (&l.b_port, infra(&l.a)) {
            out.insert((l.b.clone(), p.clone()));
        }
    }
    out
}

/// A place a MAC is learned: switch id, port, VLAN.
type Place = (String, String, Option<u16>);

/// The endpoints of the scan, sorted by MAC.
pub fn endpoints(devices: &[Device], links: &[Link]) -> Vec<Endpoint> {
    let ix = Index::new(devices);
    let up = uplinks(devices, links);
    // the MACs learned on each access port, and where each MAC is
    let mut on_port: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut places: BTreeMap<String, Vec<Place>> = BTreeMap::new();
    for d in devices {
        for e in d.learned.iter().flat_map(|l| &l.fdb) {
            let key = (d.id.clone(), e.port.clone());
            if up.contains(&key) || is_own_port(d, &e.port, &e.mac) {
                continue;
            }
            *on_port.entry(key).or_default() += 1;
            places
                .entry(e.mac.clone())
                .or_default()
                .push((d.id.clone(), e.port.clone(), e.vlan));
        }
    }
    // the addresses the routers (and switches) resolve each MAC to
    let mut ips: BTreeMap<String, BTreeSet<IpAddr>> = BTreeMap::new();
    for d in devices {
        for a in d.learned.iter().flat_map(|l| &l.arp) {
            ips.entry(a.mac.clone()).or_default().insert(a.ip);
        }
    }
    let macs: BTreeSet<&String> = places.keys().chain(ips.keys()).collect();
    macs.into_iter()
        .filter_map(|mac| {
            let device = ix.by_mac(mac).or_else(|| {
                ips.get(mac)
                    .and_then(|s| s.iter().find_map(|ip| ix.by_address(*ip)))
            });
            if device
                .and_then(|i| devices[i].role)
                .is_some_and(|r| INFRASTRUCTURE.contains(&r))
            {
                return None;
            }
            let place = places.get(mac).and_then(|ps| {
                ps.iter()
                    .min_by_key(|(s, p, _)| {
                        let n = on_port.get(&(s.clone(), p.clone())).copied().unwrap_or(0);
                        (n > MANY_MACS, n, s.clone(), p.clone())
                    })
                    .cloned()
            });
            let addrs: Vec<IpAddr> = {
                let mut v: Vec<IpAddr> = ips.get(mac).into_iter().flatten().copied().collect();
                v.sort_by_key(|ip| (!ip.is_ipv4(), *ip));
                v
            };
            Some(Endpoint {
                mac: mac.clone(),
                ip: addrs.first().copied(),
                ips: if addrs.len() > 1 { addrs } else { Vec::new() },
                oui_vendor: crate::oui::vendor(mac).map(str::to_string),
                switch: place.as_ref().map(|p| p.0.clone()),
                port: place.as_ref().map(|p| p.1.clone()),
                vlan: place.and_then(|p| p.2),
                device: device.map(|i| devices[i].id.clone()),
            })
        })
        .collect()
}

/// The switch's own MAC on its own port (some bridges list their ports'
/// addresses as learned entries).
fn is_own_port(d: &Device, port: &str, mac: &str) -> bool {
    interface(d, port).and_then(|i| i.mac.as_deref()) == Some(mac)
}
