//! Entry points for the fuzz targets (`fuzz/`) and their regression
//! tests: each feeds untrusted bytes to one parser of outside input, the
//! way the tool does, and checks what must hold whatever the input (no
//! panic; what is rendered is well formed). Not an API: hidden from docs.

use std::net::IpAddr;

use crate::probe::credential::Named;
use crate::report::{render, Format, Primary, View};
use crate::secret::Secret;

/// A datagram arriving at the sweep's socket, and at a device's session.
pub fn snmp_reply(data: &[u8]) {
    let communities: Vec<Named<Secret>> = vec!["public".into(), "s3cret".into()];
    let from = IpAddr::from([192, 0, 2, 1]);
    let _ = crate::probe::snmp::decode_sweep_reply(data, &communities, from);
    if let Ok(pdu) = snmp2::Pdu::from_bytes(data) {
        // every value converted and printed, as the collectors do
        for (oid, value) in pdu.varbinds.clone() {
            // the next request a walk would send from this OID
            if let Some(arcs) = oid.iter().map(Iterator::collect::<Vec<u64>>) {
                let msg = crate::probe::ber::encode_request(
                    snmp2::Version::V2C,
                    b"public",
                    1,
                    crate::probe::ber::RequestKind::GetNext,
                    &[arcs.as_slice()],
                );
                assert!(msg.len() <= arcs.len() * 10 + 64, "encoding is bounded");
            }
            let v = crate::probe::value::Val::from_value(&value);
            let _ = v.as_text();
            let _ = v.as_i64();
        }
    }
}

/// A walk's answers (OIDs and values from `data`) through the walker's
/// cursor logic: it always ends, and never keeps an OID that does not
/// advance its column.
pub fn walk_answers(data: &[u8]) {
    crate::collect::walk::fuzz_take(data);
}

/// Neighbour-cache and forwarding-table rows of any shape, decoded.
pub fn learned_tables(data: &[u8]) {
    crate::collect::learned::fuzz_decode(data);
}

/// Target specifications, as arguments and as a targets file.
pub fn targets(text: &str) {
    let tokens = crate::targets::arg_tokens(&text.split_whitespace().collect::<Vec<_>>());
    if let Ok(set) = crate::targets::TargetSet::build(&tokens, &[], false) {
        // a set that built is finite and iterable from its start
        let _ = set.len();
        for _ in set.iter_sized().take(64) {}
    }
}

/// A user's profile files: vendors, rules, health metrics, walk overrides,
/// a scan profile.
pub fn profiles(text: &str) {
    let mut p = crate::profile::Profiles::default();
    let _ = p.add_vendors("vendors.toml", text);
    let _ = p.add_rules("rules.toml", text);
    let _ = p.add_health("health.toml", text);
    let _ = p.add_walk("walk.toml", text);
    let _ = crate::profile::ScanProfile::parse("fuzz", "scan.toml", text, None);
}

/// A topology in each format, and a configuration file.
pub fn topology(text: &str) {
    let _ = crate::topology::parse_toml("t.toml", text);
    let _ = crate::topology::parse_yaml("t.yaml", text);
    let _ = crate::topology::parse_netbox("t.csv", text);
    let _ = crate::config::parse("c.toml", text, &|_| None);
    let mut rules = crate::diff::Rules::default();
    let _ = rules.parse("rules.toml", text);
}

/// A scan file or baseline: read, then rendered in every format, diffed
/// against itself and checked against an empty topology.
pub fn scan_file(text: &str) {
    let Ok(mut scan) = crate::scanfile::parse(text) else {
        return;
    };
    // the links and endpoints of whatever neighbour and forwarding tables
    // the file holds, and every device located by its address
    crate::map::build(&mut scan);
    for d in &scan.devices {
        let _ = crate::report::locate::render(&scan, crate::report::locate::Query::Ip(d.ip));
    }
    let d = crate::diff::diff(&scan, &scan, &crate::diff::Rules::default());
    let c = crate::topology::check(&crate::topology::Topology::default(), "t.toml", &scan);
    for primary in [Primary::Scan, Primary::Diff, Primary::Check] {
        let v = View {
            primary,
            scan: Some(&scan),
            diff: Some(&d),
            check: Some(&c),
            color: true,
        };
        for format in crate::report::EXTENSIONS.iter().map(|(_, f)| *f) {
            if let Ok(out) = render(format, &v) {
                well_formed(format, &out);
            }
        }
    }
}

/// What every rendering must be, whatever the scan file held.
fn well_formed(format: Format, out: &str) {
    match format {
        Format::Json => {
            assert!(
                serde_json::from_str::<serde_json::Value>(out).is_ok(),
                "JSON"
            );
        }
        Format::Junit => {
            // only XML 1.0 characters
            assert!(
                out.chars().all(crate::report::junit::is_xml_char),
                "XML 1.0 characters only"
            );
        }
        Format::Table => {
            // no escape sequence but our own colours reach a terminal
            let stripped = out.replace("\u{1b}[", "");
            assert!(!stripped.contains('\u{1b}'), "a raw escape");
        }
        Format::Markdown => assert!(out.len() <= crate::report::markdown::MAX_BYTES + 64 * 1024),
        Format::Csv | Format::Html | Format::Prometheus => {}
    }
}
