//! OIDs as arcs: parsing and printing, shared by the probes, the
//! collectors, the profiles and classification.

use std::collections::BTreeSet;

/// Dotted form of an OID.
pub fn oid_string(arcs: &[u64]) -> String {
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// Parse a dotted OID (a leading dot is allowed).
pub fn parse_oid(s: &str) -> Option<Vec<u64>> {
    let s = s.trim().trim_start_matches('.');
    let arcs: Option<Vec<u64>> = s.split('.').map(|a| a.parse().ok()).collect();
    arcs.filter(|a| a.len() >= 2)
}

/// The `enterprises` arc, 1.3.6.1.4.1: vendor subtrees and sysObjectIDs.
pub const ENTERPRISES: &[u64] = &[1, 3, 6, 1, 4, 1];

/// The enterprise number of an OID under 1.3.6.1.4.1.
pub fn enterprise_of(oid: &[u64]) -> Option<u64> {
    oid.strip_prefix(ENTERPRISES)?.first().copied()
}

/// The maker a sysObjectID names: its enterprise number, unless that is
/// zero or one of `agents` (agent software's numbers name no hardware).
pub fn maker(sys_object_id: &[u64], agents: &BTreeSet<u64>) -> Option<u64> {
    enterprise_of(sys_object_id).filter(|pen| *pen != 0 && !agents.contains(pen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_parse_and_print() {
        assert_eq!(
            parse_oid(".1.3.6.1.2.1.1.2.0"),
            Some(vec![1, 3, 6, 1, 2, 1, 1, 2, 0])
        );
        assert_eq!(parse_oid("1.3.6.x"), None);
        assert_eq!(parse_oid("1"), None);
        assert_eq!(oid_string(&[1, 3, 6]), "1.3.6");
    }

    #[test]
    fn a_sysobjectid_names_its_maker_unless_agent_software() {
        let agents: BTreeSet<u64> = [8072].into_iter().collect();
        assert_eq!(maker(&[1, 3, 6, 1, 4, 1, 9, 1, 516], &agents), Some(9));
        assert_eq!(maker(&[1, 3, 6, 1, 4, 1, 8072, 3, 2, 10], &agents), None);
        assert_eq!(maker(&[1, 3, 6, 1, 4, 1, 0], &agents), None);
        assert_eq!(maker(&[1, 3, 6, 1, 2, 1], &agents), None);
    }
}
