//! SNMP identity: the system group, read with v2c (then v1) and a list of
//! communities.
//!
//! Two paths. The sweep sends one GetRequest per address from a shared,
//! unconnected socket and matches answers by source address: snmp2's
//! `AsyncSession` owns a connected socket and two 64 KiB buffers, too heavy
//! for 65 536 addresses in flight, and it exposes no request encoder, so the
//! request is encoded here (a few lines of BER) while every answer is decoded
//! by snmp2. Hosts found alive but not identified by the sweep get a full
//! exchange ([`Agent`]) with retries and the v1 fallback.

use std::net::IpAddr;

use snmp2::{MessageType, Oid, Pdu, Value, Version};

pub use super::agent::SessionOptions;
use super::agent::{oid_string, Agent, AgentError, Credential, Usm, Val, VarBind};

use crate::model::Snmp;

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

/// UDP port of SNMP agents.
pub const SNMP_PORT: u16 = 161;

/// Name of a version as written in the scan file.
pub fn version_name(v: Version) -> &'static str {
    match v {
        Version::V1 => "v1",
        Version::V2C => "v2c",
        Version::V3 => "v3",
    }
}

// ---------------------------------------------------------------- encoding

fn push_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

fn int_content(n: i64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let mut start = 0;
    // minimal two's complement: drop redundant leading 0x00 / 0xff bytes
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

fn oid_content(arcs: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(arcs.len() + 2);
    let (first, rest) = match arcs {
        [a, b, rest @ ..] => (a * 40 + b, rest),
        [a] => (a * 40, &[][..]),
        [] => (0, &[][..]),
    };
    for &arc in std::iter::once(&first).chain(rest) {
        let mut chunk = [0u8; 10];
        let mut i = chunk.len();
        let mut v = arc;
        loop {
            i -= 1;
            chunk[i] = (v & 0x7f) as u8 | if i == chunk.len() - 1 { 0 } else { 0x80 };
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        out.extend_from_slice(&chunk[i..]);
    }
    out
}

/// The request PDUs we send, with their BER tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Get,
    GetNext,
    GetBulk {
        non_repeaters: u32,
        max_repetitions: u32,
    },
}

/// Encode a v1/v2c GetRequest for `oids`.
pub fn encode_get(version: Version, community: &[u8], req_id: i32, oids: &[&[u64]]) -> Vec<u8> {
    encode_request(version, community, req_id, RequestKind::Get, oids)
}

/// Encode a v1/v2c request of `kind` for `oids` (values NULL).
pub fn encode_request(
    version: Version,
    community: &[u8],
    req_id: i32,
    kind: RequestKind,
    oids: &[&[u64]],
) -> Vec<u8> {
    let (tag, f2, f3) = match kind {
        RequestKind::Get => (0xa0, 0, 0),
        RequestKind::GetNext => (0xa1, 0, 0),
        RequestKind::GetBulk {
            non_repeaters,
            max_repetitions,
        } => (0xa5, non_repeaters, max_repetitions),
    };
    let mut vbl = Vec::new();
    for oid in oids {
        let mut vb = Vec::new();
        push_tlv(&mut vb, 0x06, &oid_content(oid));
        push_tlv(&mut vb, 0x05, &[]);
        push_tlv(&mut vbl, 0x30, &vb);
    }
    let mut pdu = Vec::new();
    push_tlv(&mut pdu, 0x02, &int_content(i64::from(req_id)));
    push_tlv(&mut pdu, 0x02, &int_content(i64::from(f2)));
    push_tlv(&mut pdu, 0x02, &int_content(i64::from(f3)));
    push_tlv(&mut pdu, 0x30, &vbl);
    let mut msg = Vec::new();
    push_tlv(&mut msg, 0x02, &int_content(version as i64));
    push_tlv(&mut msg, 0x04, community);
    push_tlv(&mut msg, tag, &pdu);
    let mut out = Vec::with_capacity(msg.len() + 4);
    push_tlv(&mut out, 0x30, &msg);
    out
}

// ---------------------------------------------------------------- decoding

/// Device strings are data: keep them as sent, decoded lossily.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn oid_arcs(oid: &Oid<'_>) -> Option<Vec<u64>> {
    oid.iter().map(Iterator::collect)
}

/// Fill the system group from a response's varbinds; values of the wrong
/// type and `noSuch*` exceptions stay `null`.
pub fn system_from_pdu(version: Version, pdu: &Pdu<'_>) -> Snmp {
    let mut s = Snmp {
        version: version_name(version).to_string(),
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
pub fn credentials(communities: &[String], usm: &[Usm]) -> Vec<Credential> {
    [Version::V2C, Version::V1]
        .into_iter()
        .flat_map(|v| {
            communities
                .iter()
                .map(move |c| Credential::Community(v, c.clone()))
        })
        .chain(usm.iter().cloned().map(Credential::Usm))
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
}

/// Decode a datagram received by the sweep socket: a Response with our
/// request id and one of our communities.
pub fn decode_sweep_reply(
    bytes: &[u8],
    req_id: i32,
    communities: &[String],
) -> Option<SweepAnswer> {
    let pdu = Pdu::from_bytes(bytes).ok()?;
    if pdu.message_type != MessageType::Response || pdu.req_id != req_id {
        return None;
    }
    let version = pdu.version().ok()?;
    let rank = credentials(communities, &[]).iter().position(|c| match c {
        Credential::Community(v, c) => *v == version && c.as_bytes() == pdu.community,
        Credential::Usm(_) => false,
    })?;
    Some(SweepAnswer {
        rank,
        complete: pdu.error_status == 0,
        system: system_from_pdu(version, &pdu),
    })
}

// ---------------------------------------------------------------- sessions

/// Read the system group of one host, trying the [`credentials`] in order
/// (the one of rank `first`, known to work, before all others; those
/// `skip` names not at all), each with retries. Returns the rank that worked, the system group, and the agent,
/// ready for more requests. `None`: no credential worked (or no agent).
pub async fn identify(
    network: std::sync::Arc<dyn super::exchange::Network>,
    ip: IpAddr,
    creds: &[Credential],
    first: Option<usize>,
    skip: impl Fn(&Credential) -> bool,
    opts: SessionOptions,
    req_id_base: i32,
) -> Option<(usize, Snmp, Agent)> {
    let oids: Vec<Vec<u64>> = SYSTEM_OIDS.iter().map(|o| o.to_vec()).collect();
    let mut order: Vec<usize> = (0..creds.len()).filter(|r| !skip(&creds[*r])).collect();
    if let Some(f) = first.filter(|f| *f < creds.len()) {
        order.retain(|r| *r != f);
        order.insert(0, f);
    }
    for (n, rank) in order.into_iter().enumerate() {
        let cred = creds[rank].clone();
        let version = cred.version();
        let base = req_id_base.wrapping_add((n as i32).wrapping_mul(100_000));
        let mut agent = Agent::over(network.clone(), ip, cred, opts, base);
        match agent.get(&oids).await {
            Ok(vbs) => return Some((rank, system_from_varbinds(version, &vbs), agent)),
            Err(AgentError::NoAgent) => return None,
            Err(_) => {}
        }
    }
    None
}

/// The system group from owned varbinds (see [`system_from_pdu`]).
pub fn system_from_varbinds(version: Version, vbs: &[VarBind]) -> Snmp {
    let mut s = Snmp {
        version: version_name(version).to_string(),
        ..Snmp::default()
    };
    for (oid, val) in vbs {
        let Some(idx) = SYSTEM_OIDS.iter().position(|o| *o == oid.as_slice()) else {
            continue;
        };
        let text = || match val {
            Val::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
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
    fn get_request_round_trips_through_snmp2() {
        let bytes = encode_get(Version::V2C, b"public", 0x1234_5678, &SYSTEM_OIDS);
        let pdu = Pdu::from_bytes(&bytes).unwrap();
        assert_eq!(pdu.message_type, MessageType::GetRequest);
        assert_eq!(pdu.req_id, 0x1234_5678);
        assert_eq!(pdu.community, b"public");
        assert_eq!(pdu.version().unwrap(), Version::V2C);
        let oids: Vec<String> = pdu.varbinds.map(|(o, _)| o.to_id_string()).collect();
        assert_eq!(oids.len(), 7);
        assert_eq!(oids[0], "1.3.6.1.2.1.1.1.0");
        assert_eq!(oids[6], "1.3.6.1.2.1.1.7.0");
    }

    #[test]
    fn integers_and_large_arcs_encode_minimally() {
        assert_eq!(int_content(0), [0]);
        assert_eq!(int_content(127), [127]);
        assert_eq!(int_content(128), [0, 128]);
        assert_eq!(int_content(-1), [0xff]);
        assert_eq!(int_content(-129), [0xff, 0x7f]);
        assert_eq!(
            oid_content(&[1, 3, 6, 1, 4, 1, 2636]),
            [0x2b, 6, 1, 4, 1, 0x94, 0x4c]
        );
        for id in [i32::MIN, -1, 0, 1, i32::MAX] {
            let b = encode_get(Version::V1, b"x", id, &[&[1, 3, 6, 1, 4, 1, 4_294_967_295]]);
            assert_eq!(Pdu::from_bytes(&b).unwrap().req_id, id);
        }
    }

    #[test]
    fn bulk_and_next_requests_round_trip_through_snmp2() {
        let oids: [&[u64]; 2] = [&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2], &[1, 3, 6, 1, 2, 1, 31]];
        let kind = RequestKind::GetBulk {
            non_repeaters: 1,
            max_repetitions: 300,
        };
        let bytes = encode_request(Version::V2C, b"c", 9, kind, &oids);
        let pdu = Pdu::from_bytes(&bytes).unwrap();
        assert_eq!(pdu.message_type, MessageType::GetBulkRequest);
        // snmp2 reads non-repeaters and max-repetitions into the error fields
        assert_eq!((pdu.error_status, pdu.error_index), (1, 300));
        assert_eq!(pdu.varbinds.count(), 2);
        let next = encode_request(Version::V1, b"c", 9, RequestKind::GetNext, &oids[..1]);
        let pdu = Pdu::from_bytes(&next).unwrap();
        assert_eq!(pdu.message_type, MessageType::GetNextRequest);
    }

    #[test]
    fn long_communities_use_long_form_lengths() {
        let long = vec![b'a'; 300];
        let bytes = encode_get(Version::V2C, &long, 7, &SYSTEM_OIDS);
        let pdu = Pdu::from_bytes(&bytes).unwrap();
        assert_eq!(pdu.community, long.as_slice());
    }

    #[test]
    fn garbage_is_not_a_reply() {
        let communities = vec!["public".to_string()];
        assert!(decode_sweep_reply(&[0x30, 0x82, 0xff], 1, &communities).is_none());
        assert!(decode_sweep_reply(b"", 1, &communities).is_none());
        // a request is not a response
        let req = encode_get(Version::V2C, b"public", 1, &SYSTEM_OIDS);
        assert!(decode_sweep_reply(&req, 1, &communities).is_none());
    }
}
