//! OIDs as arcs: parsing and printing, shared by the probes, the
//! collectors, the profiles and classification.

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
}
