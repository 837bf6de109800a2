//! BER encoding of the v1/v2c requests we send (and the pieces
//! `probe::usm` builds its unauthenticated SNMPv3 probes from) (snmp2 exposes no request
//! encoder; its decoder reads every answer): a few lines of TLV, integers
//! and OIDs in their minimal forms.

use snmp2::Version;

/// UDP port of SNMP agents.
pub const SNMP_PORT: u16 = 161;

pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
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

pub(crate) fn int_content(n: i64) -> Vec<u8> {
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
    // an OID we did not make may hold any arcs: no overflow whatever they
    // are (X.690 allows first arcs 0 to 2 only; others encode as sent, saturated)
    let (first, rest) = match arcs {
        [a, b, rest @ ..] => (a.saturating_mul(40).saturating_add(*b), rest),
        [a] => (a.saturating_mul(40), &[][..]),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::snmp::SYSTEM_OIDS;
    use snmp2::{MessageType, Pdu};

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
}
