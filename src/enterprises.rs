//! The IANA Private Enterprise Numbers registry, compiled in whole
//! (`profiles/enterprises.tsv`, turned into a sorted table by `build.rs`),
//! so that any enterprise sysObjectID names its registrant even when the
//! curated `profiles/vendors.toml` has no display name for it.

/// Generated data: lints have nothing to say about it.
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::unreadable_literal
)]
mod table {
    include!(concat!(env!("OUT_DIR"), "/enterprises.rs"));
}

pub use table::REGISTRY_DATE;

/// Number of registry entries compiled in.
pub fn len() -> usize {
    table::NUMBERS.len()
}

/// The registrant's name exactly as the registry spells it.
pub fn registrant(pen: u64) -> Option<&'static str> {
    let pen = u32::try_from(pen).ok()?;
    let i = table::NUMBERS.binary_search(&pen).ok()?;
    let start = usize::try_from(*table::OFFSETS.get(i)?).ok()?;
    let end = usize::try_from(*table::OFFSETS.get(i.checked_add(1)?)?).ok()?;
    table::NAMES.get(start..end)
}

/// Legal forms stripped from the end of a registrant's name, longest first
/// within a family ("Co., Ltd." before "Ltd."), compared case-insensitively.
const LEGAL_FORMS: &[&str] = &[
    "co., ltd.",
    "co., ltd",
    "co.,ltd.",
    "co.,ltd",
    "co. ltd.",
    "co. ltd",
    "co ltd",
    "sdn. bhd.",
    "sdn bhd",
    "sp. z o.o.",
    "& co. kg",
    "gmbh & co. kg",
    "gmbh & co kg",
    "pvt. ltd.",
    "pvt ltd",
    "pty. ltd.",
    "pty ltd",
    "(pty) ltd",
    "pte. ltd.",
    "pte ltd",
    "incorporated",
    "inc.",
    "inc",
    "ltd.",
    "ltd",
    "limited",
    "l.l.c.",
    "llc",
    "llp",
    "corporation",
    "corp.",
    "corp",
    "gmbh",
    "ag",
    "s.a.",
    "s.a",
    "sa",
    "s.p.a.",
    "spa",
    "s.r.l.",
    "srl",
    "s.r.o.",
    "b.v.",
    "bv",
    "n.v.",
    "nv",
    "oy",
    "oyj",
    "ab",
    "a/s",
    "as",
    "asa",
    "k.k.",
    "plc",
    "e.v.",
    "kg",
    "s.a.s.",
    "sas",
    "sarl",
    "pty",
    "pty.",
    "co.",
];

/// A display name from the registrant's name: URLs, e-mail addresses and
/// legal forms dropped ("Juniper Networks, Inc." → "Juniper Networks").
/// Placeholders ("Reserved", "Unassigned") name nobody.
pub fn clean(raw: &str) -> Option<String> {
    let mut s: String = raw
        .split_whitespace()
        .filter(|w| !w.contains("://") && !w.contains('@') && !w.starts_with("www."))
        .collect::<Vec<_>>()
        .join(" ");
    // parentheses left empty by a dropped URL
    s = s.replace("( )", "").replace("()", "");
    loop {
        let t = s.trim_end_matches([' ', ',', '.', '-', ';', '(', ')']);
        let lower = t.to_ascii_lowercase();
        let cut = LEGAL_FORMS.iter().find_map(|f| {
            let rest = lower.strip_suffix(f)?;
            // a whole word: preceded by a space or a comma, and not all of it
            (rest.ends_with([' ', ',']) && !rest.trim().is_empty()).then_some(rest.len())
        });
        match cut {
            Some(n) => s = t[..n].to_string(),
            None => {
                s = t.to_string();
                break;
            }
        }
    }
    let s = s.trim().trim_end_matches(',').trim().to_string();
    let placeholder = ["reserved", "unassigned", "none", "---none---", "n/a"];
    (!s.is_empty() && !placeholder.contains(&s.to_ascii_lowercase().as_str())).then_some(s)
}

/// The cleaned registrant name of an enterprise number.
pub fn display_name(pen: u64) -> Option<String> {
    registrant(pen).and_then(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_registry_is_compiled_in() {
        assert!(len() > 60_000, "{} entries", len());
        assert_eq!(registrant(9), Some("ciscoSystems"));
        assert_eq!(registrant(2636), Some("Juniper Networks, Inc."));
        // the "# formerly" comment is not part of the name
        assert_eq!(registrant(6527), Some("Nokia"));
        assert_eq!(registrant(u64::from(u32::MAX) + 1), None);
        assert!(!REGISTRY_DATE.is_empty());
    }

    #[test]
    fn legal_forms_and_urls_are_dropped() {
        assert_eq!(
            clean("Juniper Networks, Inc.").as_deref(),
            Some("Juniper Networks")
        );
        assert_eq!(
            clean("Cambium Networks Limited").as_deref(),
            Some("Cambium Networks")
        );
        assert_eq!(
            clean("Shenzhen Foo Technology Co., Ltd.").as_deref(),
            Some("Shenzhen Foo Technology")
        );
        assert_eq!(
            clean("IBM (https://w3.ibm.com/standards )").as_deref(),
            Some("IBM")
        );
        assert_eq!(clean("Siemens AG").as_deref(), Some("Siemens"));
        assert_eq!(clean("Foo GmbH & Co. KG").as_deref(), Some("Foo"));
        // a legal form that is the whole name stays
        assert_eq!(clean("AG").as_deref(), Some("AG"));
        assert_eq!(clean("Reserved"), None);
        assert_eq!(clean("  "), None);
        assert_eq!(display_name(41112).as_deref(), Some("Ubiquiti Networks"));
    }
}
