//! The IEEE Registration Authority's MAC address block registries (MA-L,
//! MA-M, MA-S and the older IAB), compiled in whole (`profiles/oui.tsv`,
//! turned into a sorted table by `build.rs`): an endpoint's MAC names the
//! organisation its block was assigned to.

/// Generated data: lints have nothing to say about it.
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::unreadable_literal
)]
mod table {
    include!(concat!(env!("OUT_DIR"), "/oui.rs"));
}

pub use table::REGISTRY_DATE as OUI_REGISTRY_DATE;

/// Block lengths, longest first: a MAC in a 36-bit block of a 24-bit one
/// (the IEEE's own MA-L that it sells on in pieces) is the piece's.
const BLOCK_BITS: [u64; 3] = [36, 28, 24];

/// The organisation the MAC's block is assigned to, as the registry
/// spells it; `None` for locally administered and multicast addresses
/// (no registry covers them) and for unassigned blocks.
pub fn vendor(mac: &str) -> Option<&'static str> {
    let value = parse_mac(mac)?;
    let first = (value >> 40) & 0xff;
    if first & 0x03 != 0 {
        return None;
    }
    BLOCK_BITS.iter().find_map(|bits| {
        let key = ((value >> (48 - bits)) << 8) | bits;
        let i = table::NUMBERS.binary_search(&key).ok()?;
        let start = usize::try_from(*table::OFFSETS.get(i)?).ok()?;
        let end = usize::try_from(*table::OFFSETS.get(i.checked_add(1)?)?).ok()?;
        table::NAMES.get(start..end).filter(|n| *n != "Private")
    })
}

/// A MAC in any common spelling (`00:1b:21:aa:00:01`, `00-1B-21-AA-00-01`,
/// `001b.21aa.0001`, `001b21aa0001`) as a 48-bit number.
pub fn parse_mac(text: &str) -> Option<u64> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(&hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_every_length_name_their_organisation() {
        assert_eq!(vendor("00:1b:21:aa:00:01"), Some("Intel Corporate"));
        assert_eq!(vendor("00-50-56-01-02-03"), Some("VMware, Inc."));
        // a 36-bit IAB inside the IEEE's own 00:50:C2 block
        assert_eq!(vendor("0050.c200.1234"), Some("JMBS Developpements"));
        // locally administered (a VM's, a randomised phone's), multicast
        assert_eq!(vendor("02:00:00:00:00:01"), None);
        assert_eq!(vendor("01:00:5e:00:00:01"), None);
        assert_eq!(vendor("not a mac"), None);
        assert!(!OUI_REGISTRY_DATE.is_empty());
    }

    #[test]
    fn macs_are_read_in_any_spelling() {
        for spelling in ["00:1B:21:AA:00:01", "001b.21aa.0001", "001b21aa0001"] {
            assert_eq!(parse_mac(spelling), Some(0x001b_21aa_0001));
        }
        assert_eq!(parse_mac("00:1b:21:aa:00"), None);
        assert_eq!(parse_mac("00:1b:21:aa:00:0g"), None);
    }
}
