//! Pairing: which baseline device is which scan device (for the diff, and
//! for health judged against the baseline). Strongest
//! evidence first — serial, shared interface MACs, a unique sysName with a
//! compatible sysObjectID — then the address; a pair on the address whose
//! serial or sysObjectID clashes is a replacement, not the same box.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use crate::model::Device;

/// A device's sysName, when it has a non-blank one.
pub fn name_of(d: &Device) -> Option<String> {
    d.snmp
        .as_ref()
        .and_then(|s| s.sys_name.clone())
        .filter(|n| !n.trim().is_empty())
}

fn object_id(d: &Device) -> Option<&str> {
    d.snmp.as_ref().and_then(|s| s.sys_object_id.as_deref())
}

/// Could `a` and `b` be the same box? Not when both carry a serial, or a
/// sysObjectID, and they differ.
fn compatible(a: &Device, b: &Device) -> bool {
    let clash = |x: Option<&str>, y: Option<&str>| matches!((x, y), (Some(x), Some(y)) if x != y);
    !clash(a.serial.as_deref(), b.serial.as_deref()) && !clash(object_id(a), object_id(b))
}

fn interface_macs(d: &Device) -> BTreeSet<&str> {
    d.interfaces
        .iter()
        .flatten()
        .filter_map(|i| i.mac.as_deref())
        .collect()
}

/// How a pair was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    Same,
    Replaced,
}

/// Pair baseline devices (`b`) with scan devices (`s`); returns (b, s, how).
pub fn pair(b: &[&Device], s: &[&Device]) -> Vec<(usize, usize, Pairing)> {
    let mut pairs = Vec::new();
    let mut used_b = vec![false; b.len()];
    let mut used_s = vec![false; s.len()];
    // a key pairs two devices when it is unique on both sides
    let by_key = |pairs: &mut Vec<(usize, usize, Pairing)>,
                  used_b: &mut Vec<bool>,
                  used_s: &mut Vec<bool>,
                  key: &dyn Fn(&Device) -> Option<String>| {
        let index = |list: &[&Device], used: &[bool]| {
            let mut m: HashMap<String, Option<usize>> = HashMap::new();
            for (i, d) in list.iter().enumerate() {
                if used[i] {
                    continue;
                }
                if let Some(k) = key(d) {
                    m.entry(k).and_modify(|v| *v = None).or_insert(Some(i));
                }
            }
            m
        };
        let mb = index(b, used_b);
        let ms = index(s, used_s);
        let mut found: Vec<(usize, usize)> = mb
            .iter()
            .filter_map(|(k, bi)| Some(((*bi)?, (*ms.get(k)?)?)))
            .filter(|(bi, si)| compatible(b[*bi], s[*si]))
            .collect();
        found.sort_unstable();
        for (bi, si) in found {
            used_b[bi] = true;
            used_s[si] = true;
            pairs.push((bi, si, Pairing::Same));
        }
    };
    by_key(&mut pairs, &mut used_b, &mut used_s, &|d| {
        d.serial.clone().filter(|x| !x.trim().is_empty())
    });
    // shared interface MACs: the pair with the most in common, if unambiguous
    let mac_owners = |list: &[&Device], used: &[bool]| {
        let mut m: HashMap<String, Option<usize>> = HashMap::new();
        for (i, d) in list.iter().enumerate() {
            if !used[i] {
                for mac in interface_macs(d) {
                    m.entry(mac.to_string())
                        .and_modify(|v| {
                            if *v != Some(i) {
                                *v = None;
                            }
                        })
                        .or_insert(Some(i));
                }
            }
        }
        m
    };
    let (ob, os) = (mac_owners(b, &used_b), mac_owners(s, &used_s));
    let mut shared: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (mac, bi) in &ob {
        if let (Some(bi), Some(Some(si))) = (bi, os.get(mac)) {
            *shared.entry((*bi, *si)).or_default() += 1;
        }
    }
    let mut ranked: Vec<((usize, usize), usize)> = shared.into_iter().collect();
    ranked.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    for ((bi, si), _) in ranked {
        if !used_b[bi] && !used_s[si] && compatible(b[bi], s[si]) {
            used_b[bi] = true;
            used_s[si] = true;
            pairs.push((bi, si, Pairing::Same));
        }
    }
    by_key(&mut pairs, &mut used_b, &mut used_s, &name_of);
    // same address: the same device if compatible, else a replacement
    // (any of a device's addresses)
    let at: HashMap<IpAddr, usize> = s
        .iter()
        .enumerate()
        .filter(|(i, _)| !used_s[*i])
        .flat_map(|(i, d)| d.all_ips().into_iter().map(move |ip| (ip, i)))
        .collect();
    for (bi, d) in b.iter().enumerate() {
        if used_b[bi] {
            continue;
        }
        let found = d.all_ips().iter().find_map(|ip| at.get(ip).copied());
        if let Some(si) = found.filter(|si| !used_s[*si]) {
            let how = if compatible(d, s[si]) {
                Pairing::Same
            } else {
                Pairing::Replaced
            };
            used_b[bi] = true;
            used_s[si] = true;
            pairs.push((bi, si, how));
        }
    }
    pairs
}
