//! SNMP identity: the system group, read with v2c (then v1) and a list of
//! communities.
//!
//! Two paths. The sweep sends one GetRequest per address from a shared,
//! unconnected socket and matches answers by source address: snmp2's
//! `AsyncSession` owns a connected socket and two 64 KiB buffers, too heavy
//! for 65 536 addresses in flight, and it exposes no request encoder, so the
//! request is encoded by `probe::ber` while every answer is decoded by
//! snmp2. Hosts found alive but not identified by the sweep get a full
//! exchange ([`Agent`]) with retries and the v1 fallback.

use std::net::IpAddr;

use snmp2::{MessageType, Oid, Pdu, Value, Version};

pub use super::agent::SessionOptions;
use super::agent::{Agent, AgentError, Credential, Usm, Val, VarBind};
pub use super::ber::{encode_get, SNMP_PORT};
use super::budget::Budget;
pub use super::credential::Named;
use crate::oid::oid_string;
use crate::secret::Secret;

use crate::model::{Snmp, SnmpVersion};

/// sysDescr, sysObjectID, sysUpTime, sysContact, sysName, sysLocation, sysServices.
pub const SYSTEM_OIDS: [&[u64]; 7] = [
    &[1, 3, 6, 1, 2, 1, 1, 1, 0],
    &[1, 3, 6, 1, 2, 1, 1, 2, 0],
    &[1, 3, 6, 1, 2, 1, 1, 3, 0],
    &[1, 3, 6, 1, 2, 1, 1, 4, 0],
    &[1, 3, 6, 1, 2, 1, 1, 5, 0],
    &[1, 3, 6, 1, 2, 1, 1, 6, 0],
    &[1, 3, 6, 1, 2, 1, 1, 7, 0],
];

/// A version as the scan file writes it.
pub fn version_of(v: Version) -> SnmpVersion {
    match v {
        Version::V1 => SnmpVersion::V1,
        Version::V2C => SnmpVersion::V2c,
        Version::V3 => SnmpVersion::V3,
    }
}

// ---------------------------------------------------------------- decoding

/// Device strings are data: keep them as sent, decoded lossily.
fn text(bytes: &[u8]) -> String {
    super::value::device_text(bytes)
}

fn oid_arcs(oid: &Oid<'_>) -> Option<Vec<u64>> {
    oid.iter().map(Iterator::collect)
}

/// Fill the system group from a response's varbinds; values of the wrong
/// type and `noSuch*` exceptions stay `null`.
pub fn system_from_pdu(version: Version, pdu: &Pdu<'_>) -> Snmp {
    let mut s = Snmp {
        version: version_of(version),
        ..Snmp::default()
    };
    for (oid, value) in pdu.varbinds.clone() {
        let Some(arcs) = oid_arcs(&oid) else { continue };
        let Some(idx) = SYSTEM_OIDS.iter().position(|o| *o == arcs.as_slice()) else {
            continue;
        };
        match (idx, value) {
            (0, Value::OctetString(b)) => s.sys_descr = Some(text(b)),
            (1, Value::ObjectIdentifier(o)) => s.sys_object_id = Some(o.to_id_string()),
            (2, Value::Timeticks(t)) => s.sys_uptime_ticks = Some(t),
            (3, Value::OctetString(b)) => s.sys_contact = Some(text(b)),
            (4, Value::OctetString(b)) => s.sys_name = Some(text(b)),
            (5, Value::OctetString(b)) => s.sys_location = Some(text(b)),
            (6, Value::Integer(n)) => s.sys_services = Some(n),
            _ => {}
        }
    }
    s
}

/// The credentials tried, in order of preference: every community with
/// v2c, then every community with v1, then the SNMPv3 users. A credential
/// is named by its position here (its rank), so no secret travels further.
pub fn credentials(communities: &[Named<Secret>], usm: &[Named<Usm>]) -> Vec<Named<Credential>> {
    [Version::V2C, Version::V1]
        .into_iter()
        .flat_map(|v| {
            communities.iter().map(move |c| Named {
                name: c.name.clone(),
                scope: c.scope.clone(),
                value: Credential::Community(v, c.value.expose().to_string()),
            })
        })
        .chain(usm.iter().map(|u| Named {
            name: u.name.clone(),
            scope: u.scope.clone(),
            value: Credential::Usm(u.value.clone()),
        }))
        .collect()
}

/// One agent's answer to the sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAnswer {
    /// Position in [`credentials`] of the credential that answered; lower
    /// is preferred.
    pub rank: usize,
    /// False when the agent answered with an error (a v1 agent missing one
    /// of the objects): the host then gets a full exchange afterwards.
    pub complete: bool,
    pub system: Snmp,
    /// Objects in the answer that were not asked for (a broken or hostile
    /// agent padding its answers).
    pub unasked: usize,
}

/// Decode a datagram received by the sweep socket from `from`: a Response
/// in a version and with a community we sent, one that may be sent there;
/// with its request id (which address it answers is the sweep's to say).
pub fn decode_sweep_reply(
    bytes: &[u8],
    communities: &[Named<Secret>],
    from: IpAddr,
) -> Option<(i32, SweepAnswer)> {
    decode_sweep_datagram(bytes, communities, from)
        .ok()
        .flatten()
}

/// [`decode_sweep_reply`], telling bytes that are not SNMP at all (`Err`,
/// with what was wrong) from SNMP that is not an answer of ours (`None`):
/// the datagram is parsed once.
pub fn decode_sweep_datagram(
    bytes: &[u8],
    communities: &[Named<Secret>],
    from: IpAddr,
) -> Result<Option<(i32, SweepAnswer)>, String> {
    let pdu = Pdu::from_bytes(bytes).map_err(|e| format!("{e:?}"))?;
    Ok(ours(&pdu, communities, from))
}

/// The answer in `pdu`, if it is a Response to one of our communities.
fn ours(pdu: &Pdu<'_>, communities: &[Named<Secret>], from: IpAddr) -> Option<(i32, SweepAnswer)> {
    if pdu.message_type != MessageType::Response {
        return None;
    }
    let version = pdu.version().ok()?;
    // the version and community we sent, and one allowed at this address
    let rank = credentials(communities, &[]).iter().position(|c| {
        c.scope.covers(from)
            && match &c.value {
                Credential::Community(v, c) => *v == version && c.as_bytes() == pdu.community,
                Credential::Usm(_) => false,
            }
    })?;
    let unasked = pdu
        .varbinds
        .clone()
        .filter(|(oid, _)| {
            let arcs: Option<Vec<u64>> = oid.iter().map(Iterator::collect);
            !arcs.is_some_and(|a| SYSTEM_OIDS.contains(&a.as_slice()))
        })
        .count();
    let answer = SweepAnswer {
        rank,
        complete: pdu.error_status == 0,
        system: system_from_pdu(version, pdu),
        unasked,
    };
    Some((pdu.req_id, answer))
}

// ---------------------------------------------------------------- sessions

/// The ranks of the [`credentials`] to try on `ip`, in order: the one of
/// rank `first` (known to work) before all others, those `skip` names not
/// at all, and only those whose scope covers `ip`.
pub fn order(
    creds: &[Named<Credential>],
    ip: IpAddr,
    first: Option<usize>,
    skip: impl Fn(&Credential) -> bool,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..creds.len())
        .filter(|r| !skip(&creds[*r].value) && creds[*r].scope.covers(ip))
        .collect();
    if let Some(f) = first.filter(|f| *f < creds.len() && creds[*f].scope.covers(ip)) {
        order.retain(|r| *r != f);
        order.insert(0, f);
    }
    order
}

/// Read the system group of one host, trying the credentials of `order`
/// (see [`order`]) each with retries, their waits charged to the device's
/// `budget` (identification is the device's time too): a spent budget
/// ends the tries. Returns the rank that worked, the system group, and the
/// agent, ready for more requests. `Err`: no credential worked (or no
/// agent, or no budget left), with what the agent said of the ones it
/// refused (SNMPv3 users) and what was wrong with its answers.
pub async fn identify(
    network: std::sync::Arc<dyn super::exchange::Network>,
    ip: IpAddr,
    creds: &[Named<Credential>],
    order: Vec<usize>,
    opts: SessionOptions,
    req_id_base: i32,
    budget: Option<&Budget>,
) -> Result<(usize, Snmp, Agent), Unidentified> {
    let oids: Vec<Vec<u64>> = SYSTEM_OIDS.iter().map(|o| o.to_vec()).collect();
    let (mut refusals, mut faults) = (Vec::new(), Vec::new());
    for (n, rank) in order.into_iter().enumerate() {
        // silence used it up: nothing to report, only nothing more to try
        if budget.is_some_and(Budget::spent) {
            break;
        }
        let Some(named) = creds.get(rank) else {
            continue;
        };
        let version = named.value.version();
        let base = req_id_base.wrapping_add((n as i32).wrapping_mul(100_000));
        let mut agent = Agent::over(network.clone(), ip, named.value.clone(), opts, base);
        if let Some(b) = budget {
            agent.set_budget(b.clone());
        }
        match agent.get(&oids).await {
            Ok(vbs) => return Ok((rank, system_from_varbinds(version, &vbs), agent)),
            Err(AgentError::NoAgent) => return Err(Unidentified { refusals, faults }),
            Err(AgentError::Refused(why)) => refusals.push(why),
            Err(AgentError::Timeout) => {}
            // garbage, an error status: worth saying if nothing works
            Err(e) => faults.push(format!("{}: {e}", named.name)),
        }
    }
    Err(Unidentified { refusals, faults })
}

/// Why no credential identified a host.
#[derive(Debug, Default, PartialEq)]
pub struct Unidentified {
    /// What the agent said of the credentials it refused (SNMPv3 Reports):
    /// its definite word.
    pub refusals: Vec<String>,
    /// What was wrong with its answers (garbage, an error status): perhaps
    /// passing.
    pub faults: Vec<String>,
}

impl Unidentified {
    /// Every reason, refusals first: the device's error entries.
    pub fn errors(self) -> Vec<String> {
        [self.refusals, self.faults].concat()
    }
}

/// The system group from owned varbinds (see [`system_from_pdu`]).
pub fn system_from_varbinds(version: Version, vbs: &[VarBind]) -> Snmp {
    let mut s = Snmp {
        version: version_of(version),
        ..Snmp::default()
    };
    for (oid, val) in vbs {
        let Some(idx) = SYSTEM_OIDS.iter().position(|o| *o == oid.as_slice()) else {
            continue;
        };
        let text = || match val {
            Val::Bytes(b) => Some(super::value::device_text(b)),
            _ => None,
        };
        match (idx, val) {
            (0, _) => s.sys_descr = text(),
            (1, Val::Oid(o)) => s.sys_object_id = Some(oid_string(o)),
            (2, Val::Ticks(t)) => s.sys_uptime_ticks = Some(*t),
            (3, _) => s.sys_contact = text(),
            (4, _) => s.sys_name = text(),
            (5, _) => s.sys_location = text(),
            (6, Val::Int(n)) => s.sys_services = Some(*n),
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_reply() {
        let communities: Vec<Named<Secret>> = vec!["public".into()];
        let from: IpAddr = [192, 0, 2, 1].into();
        assert!(decode_sweep_reply(&[0x30, 0x82, 0xff], &communities, from).is_none());
        assert!(decode_sweep_reply(b"", &communities, from).is_none());
        // a request is not a response
        let req = encode_get(Version::V2C, b"public", 1, &SYSTEM_OIDS);
        assert!(decode_sweep_reply(&req, &communities, from).is_none());
    }
}
