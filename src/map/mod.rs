//! The picture of the network the devices' own tables give: links between
//! them (LLDP, CDP) and the end hosts behind their ports (forwarding and
//! ARP / ND tables). Built from the model after the scan, before the diff.

pub mod endpoints;
pub mod links;

use crate::model::{HealthCheck, HealthLevel, ScanFile};

/// Fill in the scan's links and endpoints from its devices, and warn in
/// the health of both ends of a link whose ends disagree on speed, duplex
/// or MTU.
pub fn build(scan: &mut ScanFile) {
    let (links, problems) = links::links(&scan.devices);
    for (i, reasons) in problems {
        let Some(h) = scan.devices.get_mut(i).and_then(|d| d.health.as_mut()) else {
            continue;
        };
        for r in reasons {
            if !h.reasons.contains(&r) {
                h.reasons.push(r);
            }
        }
        h.checks
            .insert(HealthCheck::LinkMismatch, HealthLevel::Warning);
        if h.status < HealthLevel::Warning {
            h.status = HealthLevel::Warning;
        }
    }
    scan.endpoints = endpoints::endpoints(&scan.devices, &links);
    scan.links = links;
}

#[cfg(test)]
mod tests;
