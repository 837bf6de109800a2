//! Why an agent refused an SNMPv3 user. snmp2 reports every refusal alike
//! (an unauthenticated Report where an authenticated answer was due), but
//! an operator needs to know whether the user is unknown or a key is wrong.
//! RFC 3414 agents say so in Report PDUs, which are sent without
//! authentication: one unauthenticated GET under the user's name tells an
//! unknown user (`usmStatsUnknownUserNames`) from a known one; for a known
//! user with privacy, one request with authentication only tells a wrong
//! authentication key from a wrong privacy key.

use std::net::SocketAddr;
use std::time::Duration;

use snmp2::AsnReader;
use tokio::net::UdpSocket;

use super::ber::{int_content, push_tlv};

/// usmStats counters of SNMP-USER-BASED-SM-MIB (1.3.6.1.6.3.15.1.1.N.0):
/// the object a Report carries names the reason.
const USM_STATS: [u64; 9] = [1, 3, 6, 1, 6, 3, 15, 1, 1];

/// The reason a Report names, by the usmStats counter it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnsupportedSecLevel,
    NotInTimeWindow,
    UnknownUser,
    UnknownEngineId,
    WrongDigest,
    DecryptionError,
}

impl Refusal {
    fn of(oid: &[u64]) -> Option<Refusal> {
        let rest = oid.strip_prefix(&USM_STATS[..])?;
        Some(match rest {
            [1, 0] => Refusal::UnsupportedSecLevel,
            [2, 0] => Refusal::NotInTimeWindow,
            [3, 0] => Refusal::UnknownUser,
            [4, 0] => Refusal::UnknownEngineId,
            [5, 0] => Refusal::WrongDigest,
            [6, 0] => Refusal::DecryptionError,
            _ => return None,
        })
    }
}

/// What an unauthenticated message brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub engine_id: Vec<u8>,
    pub boots: i64,
    pub time: i64,
    /// The usmStats reason, when it was a Report naming one.
    pub refusal: Option<Refusal>,
    /// A Response (not a Report): the user may send without authentication.
    pub response: bool,
}

/// An SNMPv3 message without authentication or privacy: the header with
/// `flags`, the USM parameters (empty digest and salt) and the scoped PDU
/// of `tag` holding `pdu`.
fn message(
    msg_id: i32,
    flags: u8,
    engine: (&[u8], i64, i64),
    user: &[u8],
    tag: u8,
    pdu: &[u8],
) -> Vec<u8> {
    let (engine_id, boots, time) = engine;
    let mut header = Vec::new();
    push_tlv(&mut header, 0x02, &int_content(i64::from(msg_id)));
    push_tlv(&mut header, 0x02, &int_content(65_507));
    push_tlv(&mut header, 0x04, &[flags]);
    push_tlv(&mut header, 0x02, &int_content(3)); // USM
    let mut usm = Vec::new();
    push_tlv(&mut usm, 0x04, engine_id);
    push_tlv(&mut usm, 0x02, &int_content(boots));
    push_tlv(&mut usm, 0x02, &int_content(time));
    push_tlv(&mut usm, 0x04, user);
    push_tlv(&mut usm, 0x04, &[]);
    push_tlv(&mut usm, 0x04, &[]);
    let mut usm_seq = Vec::new();
    push_tlv(&mut usm_seq, 0x30, &usm);
    let mut scoped = Vec::new();
    push_tlv(&mut scoped, 0x04, engine_id);
    push_tlv(&mut scoped, 0x04, &[]);
    push_tlv(&mut scoped, tag, pdu);
    let mut msg = Vec::new();
    push_tlv(&mut msg, 0x02, &int_content(3));
    push_tlv(&mut msg, 0x30, &header);
    push_tlv(&mut msg, 0x04, &usm_seq);
    push_tlv(&mut msg, 0x30, &scoped);
    let mut out = Vec::new();
    push_tlv(&mut out, 0x30, &msg);
    out
}

/// A PDU body: request id, two zero fields, one varbind of `oid` (BER
/// content) holding the TLV `value`.
fn pdu_body(req_id: i32, oid: &[u8], value: (u8, &[u8])) -> Vec<u8> {
    let mut vb = Vec::new();
    push_tlv(&mut vb, 0x06, oid);
    push_tlv(&mut vb, value.0, value.1);
    let mut vbl = Vec::new();
    push_tlv(&mut vbl, 0x30, &vb);
    let mut pdu = Vec::new();
    push_tlv(&mut pdu, 0x02, &int_content(i64::from(req_id)));
    push_tlv(&mut pdu, 0x02, &[0]);
    push_tlv(&mut pdu, 0x02, &[0]);
    push_tlv(&mut pdu, 0x30, &vbl);
    pdu
}

/// A noAuthNoPriv, reportable GET of sysUpTime.0 under `user` (empty with
/// an empty `engine_id`: engine discovery, RFC 3414 section 4).
pub fn encode_probe(msg_id: i32, engine_id: &[u8], boots: i64, time: i64, user: &[u8]) -> Vec<u8> {
    let sys_uptime = [0x2b, 6, 1, 2, 1, 1, 3, 0];
    let pdu = pdu_body(msg_id, &sys_uptime, (0x05, &[]));
    // 0x04: reportable, no auth, no priv
    message(msg_id, 0x04, (engine_id, boots, time), user, 0xa0, &pdu)
}

/// Read an SNMPv3 answer to [`encode_probe`]: the engine's id, boots and
/// time, and the reason a Report names. `None` for anything else (another
/// version, an encrypted answer, another message id, garbage).
pub fn decode_report(bytes: &[u8], msg_id: i32) -> Option<Report> {
    let mut outer = AsnReader::from_bytes(AsnReader::from_bytes(bytes).read_raw(0x30).ok()?);
    if outer.read_asn_integer().ok()? != 3 {
        return None;
    }
    let mut header = AsnReader::from_bytes(outer.read_raw(0x30).ok()?);
    if header.read_asn_integer().ok()? != i64::from(msg_id) {
        return None;
    }
    let _max_size = header.read_asn_integer().ok()?;
    let flags = header.read_asn_octetstring().ok()?;
    if flags.first().is_some_and(|f| f & 0x02 != 0) {
        return None; // encrypted: not ours to read
    }
    let usm_bytes = outer.read_asn_octetstring().ok()?;
    let mut usm = AsnReader::from_bytes(AsnReader::from_bytes(usm_bytes).read_raw(0x30).ok()?);
    let engine_id = usm.read_asn_octetstring().ok()?.to_vec();
    let boots = usm.read_asn_integer().ok()?;
    let time = usm.read_asn_integer().ok()?;
    let mut scoped = AsnReader::from_bytes(outer.read_raw(0x30).ok()?);
    let _context_engine = scoped.read_asn_octetstring().ok()?;
    let _context = scoped.read_asn_octetstring().ok()?;
    let tag = scoped.peek_byte().ok()?;
    let (response, report) = (tag == 0xa2, tag == 0xa8);
    if !response && !report {
        return None;
    }
    let mut pdu = AsnReader::from_bytes(scoped.read_raw(tag).ok()?);
    let _req_id = pdu.read_asn_integer().ok()?;
    let _status = pdu.read_asn_integer().ok()?;
    let _index = pdu.read_asn_integer().ok()?;
    let mut vbl = AsnReader::from_bytes(pdu.read_raw(0x30).ok()?);
    let refusal = if report && vbl.bytes_left() > 0 {
        let mut vb = AsnReader::from_bytes(vbl.read_raw(0x30).ok()?);
        let oid = vb.read_asn_objectidentifier().ok()?;
        let arcs: Vec<u64> = oid.iter().map(Iterator::collect).unwrap_or_default();
        Refusal::of(&arcs)
    } else {
        None
    };
    Some(Report {
        engine_id,
        boots,
        time,
        refusal,
        response,
    })
}

/// Send one probe to `addr` and wait `timeout` for its answer.
async fn ask(
    addr: SocketAddr,
    msg_id: i32,
    engine: Option<&Report>,
    user: &[u8],
    timeout: Duration,
) -> Option<Report> {
    let local: SocketAddr = if addr.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).await.ok()?;
    socket.connect(addr).await.ok()?;
    let (id, boots, time) = engine.map_or((&[][..], 0, 0), |e| (&e.engine_id[..], e.boots, e.time));
    socket
        .send(&encode_probe(msg_id, id, boots, time, user))
        .await
        .ok()?;
    let mut buf = vec![0u8; 65_535];
    let wait = async {
        loop {
            let n = socket.recv(&mut buf).await.ok()?;
            if let Some(r) = buf.get(..n).and_then(|b| decode_report(b, msg_id)) {
                return Some(r);
            }
        }
    };
    tokio::time::timeout(timeout, wait).await.ok().flatten()
}

/// What the agent at `addr` says of `user`: unknown, or known (and so a
/// key is wrong), or nothing (`None`: it did not answer the probes).
pub async fn user_known(
    addr: SocketAddr,
    user: &str,
    msg_id: i32,
    timeout: Duration,
) -> Option<bool> {
    let engine = ask(addr, msg_id, None, b"", timeout).await?;
    let probe = ask(
        addr,
        msg_id.wrapping_add(1),
        Some(&engine),
        user.as_bytes(),
        timeout,
    )
    .await?;
    match probe.refusal {
        Some(Refusal::UnknownUser) => Some(false),
        Some(Refusal::UnsupportedSecLevel) => Some(true),
        _ if probe.response => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Report as net-snmp's snmpd sends it: unauthenticated, naming a
    /// usmStats counter.
    fn report(msg_id: i32, oid: &[u8]) -> Vec<u8> {
        let engine = [0x80, 0x00, 0x1f, 0x88, 0x80, 0x01];
        let pdu = pdu_body(1, oid, (0x41, &[7]));
        message(msg_id, 0x00, (&engine, 5, 1234), b"", 0xa8, &pdu)
    }

    #[test]
    fn reports_name_their_reason() {
        // usmStatsUnknownUserNames.0 = 1.3.6.1.6.3.15.1.1.3.0
        let r = decode_report(&report(42, &[0x2b, 6, 1, 6, 3, 15, 1, 1, 3, 0]), 42).unwrap();
        assert_eq!(r.refusal, Some(Refusal::UnknownUser));
        assert_eq!((r.boots, r.time), (5, 1234));
        assert_eq!(r.engine_id, [0x80, 0x00, 0x1f, 0x88, 0x80, 0x01]);
        let r = decode_report(&report(7, &[0x2b, 6, 1, 6, 3, 15, 1, 1, 1, 0]), 7).unwrap();
        assert_eq!(r.refusal, Some(Refusal::UnsupportedSecLevel));
        // another message's answer, garbage, a request: not a report of ours
        assert!(decode_report(&report(7, &[0x2b, 6, 1, 6, 3, 15, 1, 1, 1, 0]), 8).is_none());
        assert!(decode_report(&[0x30, 0x03, 0x02, 0x01], 7).is_none());
        assert!(decode_report(&encode_probe(7, b"", 0, 0, b""), 7).is_none());
    }

    #[test]
    fn probes_are_well_formed_v3_messages() {
        let p = encode_probe(99, &[0x80, 1], 3, 77, b"admin");
        let mut outer = AsnReader::from_bytes(AsnReader::from_bytes(&p).read_raw(0x30).unwrap());
        assert_eq!(outer.read_asn_integer().unwrap(), 3);
        let mut header = AsnReader::from_bytes(outer.read_raw(0x30).unwrap());
        assert_eq!(header.read_asn_integer().unwrap(), 99);
        assert_eq!(header.read_asn_integer().unwrap(), 65_507);
        assert_eq!(header.read_asn_octetstring().unwrap(), [0x04]);
        let usm = outer.read_asn_octetstring().unwrap();
        let mut usm = AsnReader::from_bytes(AsnReader::from_bytes(usm).read_raw(0x30).unwrap());
        assert_eq!(usm.read_asn_octetstring().unwrap(), [0x80, 1]);
        assert_eq!(usm.read_asn_integer().unwrap(), 3);
        assert_eq!(usm.read_asn_integer().unwrap(), 77);
        assert_eq!(usm.read_asn_octetstring().unwrap(), b"admin");
    }
}
