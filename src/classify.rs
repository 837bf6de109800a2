//! Classification: pure rule matching over what was collected.
//!
//! Rules are tried by priority, highest first; each field (role, vendor, os,
//! model, os_version) is decided by the first matching rule that yields a
//! value for it, and the rule's id is recorded. No field stands alone:
//! rules match sysObjectID, ENTITY-MIB, LLDP, bridge and forwarding evidence
//! as well as sysDescr, so a firmware with an odd sysDescr keeps its class.
//! The vendor falls back to the enterprise number of sysObjectID (or of the
//! subtrees the agent implements): the curated name, else the IANA
//! registry's registrant; never a guess.

use std::collections::BTreeMap;

use crate::model::{Facts, Interface, Role, Snmp};
use crate::oid::{maker, oid_string, parse_oid};
use crate::profile::{Condition, Field, Output, Profiles, Rule, Source, IF_TYPES, SERVICES};

pub mod examples;

/// What classification looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence<'a> {
    pub snmp: Option<&'a Snmp>,
    pub facts: Option<&'a Facts>,
    /// The interface table, when it was walked (for `if_types`).
    pub interfaces: Option<&'a [Interface]>,
}

/// The outcome for one device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classification {
    pub role: Role,
    pub vendor: Option<String>,
    pub os: Option<String>,
    pub model: Option<String>,
    pub os_version: Option<String>,
    pub serial: Option<String>,
    /// Field name → id of the rule (or `enterprise-number`) that decided it.
    pub classified_by: BTreeMap<String, String>,
}

/// Id recorded when the vendor comes from the curated enterprise table.
pub const BY_ENTERPRISE: &str = "enterprise-number";
/// Id recorded when the vendor comes from the IANA registry itself.
pub const BY_REGISTRY: &str = "enterprise-registry";

fn sys_object_id(ev: &Evidence) -> Option<Vec<u64>> {
    ev.snmp?
        .sys_object_id
        .as_deref()
        .and_then(parse_oid)
        .filter(|o| o.len() > 2 && o.iter().skip(2).any(|a| *a != 0))
}

/// Evidence with sysObjectID parsed once, for the hot path.
struct Prepared<'a> {
    ev: &'a Evidence<'a>,
    oid: Option<Vec<u64>>,
    /// The maker sysObjectID names; `None` when it is absent, zero, not an
    /// enterprise OID, or agent software's (Net-SNMP, …).
    maker: Option<u64>,
}

impl<'a> Prepared<'a> {
    fn new(ev: &'a Evidence<'a>, p: &Profiles) -> Prepared<'a> {
        let oid = sys_object_id(ev);
        let maker = oid.as_deref().and_then(|o| maker(o, &p.agent_enterprises));
        Prepared { ev, oid, maker }
    }
}

fn text_of<'a>(ev: &Evidence<'a>, src: &Source) -> Option<&'a str> {
    let s = ev.snmp;
    let c = ev.facts.and_then(|f| f.chassis.as_ref());
    match src {
        Source::SysDescr => s?.sys_descr.as_deref(),
        Source::SysName => s?.sys_name.as_deref(),
        Source::SysObjectId => s?.sys_object_id.as_deref(),
        Source::EntityModel => c?.model.as_deref(),
        Source::EntityDescr => c?.descr.as_deref(),
        Source::EntityName => c?.name.as_deref(),
        Source::EntityMfg => c?.mfg.as_deref(),
        Source::EntitySoftware => c?.software_rev.as_deref(),
        Source::EntityFirmware => c?.firmware_rev.as_deref(),
        Source::EntityHardware => c?.hardware_rev.as_deref(),
        Source::Value(o) => ev.facts?.values.get(&oid_string(o)).map(String::as_str),
    }
}

fn has_all_or_none(have: Option<&Vec<String>>, want: &[String], all: bool) -> bool {
    have.is_some_and(|h| {
        if all {
            want.iter().all(|w| h.contains(w))
        } else {
            !want.iter().any(|w| h.contains(w))
        }
    })
}

fn services_ok(sv: Option<i64>, bits: i64, has: bool) -> bool {
    sv.is_some_and(|v| if has { v & bits == bits } else { v & bits == 0 })
}

fn if_types_ok(ev: &Evidence, types: &[i64]) -> bool {
    ev.interfaces.is_some_and(|ifs| {
        ifs.iter()
            .any(|i| i.if_type.is_some_and(|t| types.contains(&t)))
    })
}

/// Whether a condition holds: no formatting, sysObjectID parsed once.
fn holds(c: &Condition, p: &Prepared) -> bool {
    let ev = p.ev;
    let f = ev.facts;
    let re_on = |re: &regex::Regex, src: Source| text_of(ev, &src).is_some_and(|t| re.is_match(t));
    match c {
        Condition::SysObjectId(prefixes) => p
            .oid
            .as_ref()
            .is_some_and(|o| prefixes.iter().any(|x| o.starts_with(x))),
        Condition::NoSysObjectId => p.oid.is_none(),
        Condition::NoMakerOid => p.maker.is_none(),
        Condition::SysDescr(re) => re_on(re, Source::SysDescr),
        Condition::SysDescrNot(re) => !re_on(re, Source::SysDescr),
        Condition::SysName(re) => re_on(re, Source::SysName),
        Condition::ServicesHas(bits) => {
            services_ok(ev.snmp.and_then(|s| s.sys_services), *bits, true)
        }
        Condition::ServicesLacks(bits) => {
            services_ok(ev.snmp.and_then(|s| s.sys_services), *bits, false)
        }
        Condition::Bridge(want) => f.and_then(|f| f.bridge_ports).is_some_and(|p| p > 0) == *want,
        Condition::Forwarding(want) => f.and_then(|f| f.ip_forwarding) == Some(*want),
        Condition::LldpCaps(want) => {
            has_all_or_none(f.and_then(|f| f.lldp_caps_enabled.as_ref()), want, true)
        }
        Condition::LldpCapsLack(want) => {
            has_all_or_none(f.and_then(|f| f.lldp_caps_enabled.as_ref()), want, false)
        }
        Condition::EntityModel(re) => re_on(re, Source::EntityModel),
        Condition::EntityDescr(re) => re_on(re, Source::EntityDescr),
        Condition::EntityMfg(re) => re_on(re, Source::EntityMfg),
        Condition::Mib(want) => has_all_or_none(f.map(|f| &f.mibs), want, true),
        Condition::MibAbsent(want) => has_all_or_none(f.map(|f| &f.mibs), want, false),
        Condition::Present(list) => f.is_some_and(|f| {
            f.subtrees
                .iter()
                .any(|s| list.iter().any(|o| oid_text_is(s, o)))
        }),
        Condition::Value(o, re) => re_on(re, Source::Value(o.clone())),
        Condition::Enterprise(pens) => {
            f.is_some_and(|f| f.enterprises.iter().any(|p| pens.contains(p)))
        }
        Condition::IfTypes(types) => if_types_ok(ev, types),
    }
}

/// Whether dotted `text` spells exactly the arcs `oid` (no allocation).
fn oid_text_is(text: &str, oid: &[u64]) -> bool {
    let mut arcs = text.trim_start_matches('.').split('.');
    oid.iter()
        .all(|a| arcs.next().and_then(|x| x.parse::<u64>().ok()) == Some(*a))
        && arcs.next().is_none()
}

fn if_type_names(types: &[i64]) -> String {
    types
        .iter()
        .map(|t| {
            IF_TYPES
                .iter()
                .find(|(_, n)| n == t)
                .map_or_else(|| t.to_string(), |(n, _)| (*n).to_string())
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether a condition holds, and a one-line account of the evidence (for
/// `explain` and example errors; the hot path uses [`holds`] alone).
pub fn check(c: &Condition, ev: &Evidence, p: &Profiles) -> (bool, String) {
    let prepared = Prepared::new(ev, p);
    (holds(c, &prepared), account(c, ev))
}

/// What a condition looked at, and what it wanted.
fn account(c: &Condition, ev: &Evidence) -> String {
    let f = ev.facts;
    let text = |what: &str, re: &regex::Regex, src: Source| match text_of(ev, &src) {
        Some(t) => format!("{what} {:?} ~ /{}/", clip(t), re.as_str()),
        None => format!("{what} unknown, wanted /{}/", re.as_str()),
    };
    let shown = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let listed = |have: Option<&Vec<String>>| have.map(|h| format!("[{}]", h.join(",")));
    match c {
        Condition::SysObjectId(prefixes) => format!(
            "sysObjectID {} under one of [{}]",
            shown(sys_object_id(ev).map(|o| oid_string(&o))),
            prefixes
                .iter()
                .map(|p| oid_string(p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Condition::NoSysObjectId => "no sysObjectID".into(),
        Condition::NoMakerOid => "sysObjectID names no maker (absent, or agent software's)".into(),
        Condition::SysDescr(re) => text("sysDescr", re, Source::SysDescr),
        Condition::SysDescrNot(re) => format!("not: {}", text("sysDescr", re, Source::SysDescr)),
        Condition::SysName(re) => text("sysName", re, Source::SysName),
        Condition::EntityModel(re) => text("entity model", re, Source::EntityModel),
        Condition::EntityDescr(re) => text("entity descr", re, Source::EntityDescr),
        Condition::EntityMfg(re) => text("entity mfg", re, Source::EntityMfg),
        Condition::Value(o, re) => text(
            &format!("value of {}", oid_string(o)),
            re,
            Source::Value(o.clone()),
        ),
        Condition::ServicesHas(bits) | Condition::ServicesLacks(bits) => format!(
            "sysServices {} {} {}",
            shown(ev.snmp.and_then(|s| s.sys_services).map(|v| v.to_string())),
            if matches!(c, Condition::ServicesHas(_)) {
                "has"
            } else {
                "lacks"
            },
            SERVICES
                .iter()
                .filter(|(_, b)| bits & b != 0)
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join("+")
        ),
        Condition::Bridge(want) => format!(
            "bridge ports {} (want bridge={want})",
            shown(f.and_then(|f| f.bridge_ports).map(|p| p.to_string()))
        ),
        Condition::Forwarding(want) => format!(
            "ipForwarding {} (want {want})",
            shown(f.and_then(|f| f.ip_forwarding).map(|b| b.to_string()))
        ),
        Condition::LldpCaps(want) | Condition::LldpCapsLack(want) => format!(
            "LLDP caps {} {} {}",
            shown(listed(f.and_then(|f| f.lldp_caps_enabled.as_ref()))),
            if matches!(c, Condition::LldpCaps(_)) {
                "include"
            } else {
                "exclude"
            },
            want.join(",")
        ),
        Condition::Mib(want) | Condition::MibAbsent(want) => format!(
            "MIBs {} {} {}",
            shown(listed(f.map(|f| &f.mibs))),
            if matches!(c, Condition::Mib(_)) {
                "include"
            } else {
                "exclude"
            },
            want.join(",")
        ),
        Condition::Present(list) => format!(
            "one of subtrees [{}] implemented",
            list.iter()
                .map(|o| oid_string(o))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Condition::Enterprise(pens) => format!(
            "enterprise subtrees {:?} include one of {pens:?}",
            f.map(|f| f.enterprises.clone()).unwrap_or_default()
        ),
        Condition::IfTypes(types) => format!(
            "interface types include one of [{}]{}",
            if_type_names(types),
            if ev.interfaces.is_none() {
                " (interfaces not walked)"
            } else {
                ""
            }
        ),
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Whether every condition of a rule holds.
pub fn matches(rule: &Rule, ev: &Evidence, p: &Profiles) -> bool {
    let prepared = Prepared::new(ev, p);
    rule.when.iter().all(|c| holds(c, &prepared))
}

/// The value a rule's output yields on this evidence.
pub fn extract(out: &Output, ev: &Evidence) -> Option<String> {
    let v = match out {
        Output::Literal(s) => Some(s.clone()),
        Output::Extract { from, regex } => {
            let text = text_of(ev, from)?;
            match regex {
                None => Some(text.to_string()),
                Some(re) => re
                    .captures(text)
                    .and_then(|c| c.get(1))
                    .map(|m| m.as_str().to_string()),
            }
        }
    }?;
    let v = v.trim().to_string();
    (!v.is_empty()).then_some(v)
}

/// Placeholder serials some agents report.
fn real_serial(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty()
        && !t.chars().all(|c| c == '0' || c == ' ')
        && !["n/a", "na", "none", "unknown", "not available", "-"]
            .contains(&t.to_ascii_lowercase().as_str())
}

/// Classify one device.
pub fn classify(ev: &Evidence, p: &Profiles) -> Classification {
    let mut out = Classification::default();
    let mut decided: BTreeMap<Field, (String, String)> = BTreeMap::new();
    let prepared = Prepared::new(ev, p);
    for rule in &p.rules {
        if decided.len() == FIELDS {
            break;
        }
        if rule.set.iter().all(|(f, _)| decided.contains_key(f))
            || !rule.when.iter().all(|c| holds(c, &prepared))
        {
            continue;
        }
        for (field, output) in &rule.set {
            if decided.contains_key(field) {
                continue;
            }
            if let Some(v) = extract(output, ev) {
                decided.insert(*field, (v, rule.id.clone()));
            }
        }
    }
    if let std::collections::btree_map::Entry::Vacant(e) = decided.entry(Field::Vendor) {
        if let Some((v, curated)) = vendor_by_enterprise(ev, p) {
            let by = if curated { BY_ENTERPRISE } else { BY_REGISTRY };
            e.insert((v, by.to_string()));
        }
    }
    for (field, (value, by)) in decided {
        out.classified_by.insert(field.name().to_string(), by);
        match field {
            Field::Role => out.role = Role::parse(&value).unwrap_or_default(),
            Field::Vendor => out.vendor = Some(value),
            Field::Os => out.os = Some(value),
            Field::Model => out.model = Some(value),
            Field::OsVersion => out.os_version = Some(value),
        }
    }
    // a stack's own serial names the whole stack; else the chassis's
    let serial_of = |c: Option<&crate::model::Chassis>| {
        c.and_then(|c| c.serial.clone()).filter(|s| real_serial(s))
    };
    out.serial = ev
        .facts
        .and_then(|f| serial_of(f.stack.as_ref()).or_else(|| serial_of(f.chassis.as_ref())));
    out
}

/// One matching rule as `explain` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedRule {
    pub id: String,
    pub priority: i64,
    /// `file:line` of the rule.
    pub origin: String,
    /// What the rule yields here: (field, value).
    pub sets: Vec<(Field, String)>,
    /// Each condition's account of the evidence.
    pub conditions: Vec<String>,
}

/// A classification with its reasons: the outcome, and every rule that
/// matched (highest priority first), for `explain` to render. The hot path
/// ([`classify`]) builds none of this.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub outcome: Classification,
    pub matched: Vec<MatchedRule>,
}

/// Classify and say why.
pub fn trace(ev: &Evidence, p: &Profiles) -> Trace {
    let matched = p
        .rules
        .iter()
        .filter(|r| matches(r, ev, p))
        .map(|r| MatchedRule {
            id: r.id.clone(),
            priority: r.priority,
            origin: r.origin.clone(),
            sets: r
                .set
                .iter()
                .filter_map(|(f, out)| Some((*f, extract(out, ev)?)))
                .collect(),
            conditions: r.when.iter().map(|c| account(c, ev)).collect(),
        })
        .collect();
    Trace {
        outcome: classify(ev, p),
        matched,
    }
}

/// Fields a rule can decide (see [`Field`]).
const FIELDS: usize = 5;

/// The vendor named by sysObjectID's enterprise number, else by the first
/// enterprise subtree the agent implements; agent-software numbers
/// (Net-SNMP, …) name nobody's hardware and are skipped. `true` when the
/// name is curated, `false` when it is the registry's.
pub fn vendor_by_enterprise(ev: &Evidence, p: &Profiles) -> Option<(String, bool)> {
    let named = |pen: &u64| {
        (!p.agent_enterprises.contains(pen))
            .then(|| p.vendor_name(*pen))
            .flatten()
    };
    match sys_object_id(ev).and_then(|o| maker(&o, &p.agent_enterprises)) {
        Some(pen) => named(&pen),
        None => ev.facts.and_then(|f| f.enterprises.iter().find_map(named)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Chassis;

    fn profiles(rules: &str) -> Profiles {
        let mut p = Profiles::default();
        p.add_vendors(
            "v.toml",
            "[vendors]\n\"9\" = \"Cisco\"\n\"8072\" = \"Net-SNMP\"\n\"39165\" = \"Hikvision\"\n",
        )
        .unwrap();
        p.add_rules("r.toml", rules).unwrap();
        p
    }

    fn snmp(oid: &str, descr: &str) -> Snmp {
        Snmp {
            version: crate::vocab::SnmpVersion::V2c,
            sys_object_id: Some(oid.into()),
            sys_descr: Some(descr.into()),
            ..Snmp::default()
        }
    }

    fn run(p: &Profiles, snmp: Option<&Snmp>, facts: Option<&Facts>) -> Classification {
        classify(
            &Evidence {
                snmp,
                facts,
                interfaces: None,
            },
            p,
        )
    }

    const RULES: &str = r#"
agent_enterprises = [8072, 2021]

[[rule]]
id = "cisco-ios-switch"
priority = 500
sys_object_id = "1.3.6.1.4.1.9"
entity_model = "^WS-C"
role = "switch"
model = { from = "entity_model" }
os = "IOS"
os_version = { from = "sys_descr", regex = "Version ([^ ,]+)" }

[[rule]]
id = "bridge-not-forwarding"
priority = 100
bridge = true
forwarding = false
role = "switch"

[[rule]]
id = "cisco-ios"
priority = 400
sys_object_id = "1.3.6.1.4.1.9"
sys_descr = "Cisco IOS"
role = "router"
os = "IOS"
"#;

    #[test]
    fn priority_decides_per_field_and_records_the_rule() {
        let p = profiles(RULES);
        let s = snmp(
            "1.3.6.1.4.1.9.1.516",
            "Cisco IOS Software, C3750, Version 12.2(50)SE5, RELEASE",
        );
        let facts = Facts {
            chassis: Some(Chassis {
                model: Some("WS-C3750G-12S-S".into()),
                serial: Some("FDO1622Y10H".into()),
                ..Chassis::default()
            }),
            ..Facts::default()
        };
        let c = run(&p, Some(&s), Some(&facts));
        assert_eq!(c.role, Role::Switch);
        assert_eq!(c.vendor.as_deref(), Some("Cisco"));
        assert_eq!(c.model.as_deref(), Some("WS-C3750G-12S-S"));
        assert_eq!(c.os_version.as_deref(), Some("12.2(50)SE5"));
        assert_eq!(c.serial.as_deref(), Some("FDO1622Y10H"));
        assert_eq!(c.classified_by["role"], "cisco-ios-switch");
        assert_eq!(c.classified_by["vendor"], BY_ENTERPRISE);
        // without the entity evidence the lower rule decides
        let c = run(&p, Some(&s), None);
        assert_eq!(
            (c.role.name(), c.classified_by["role"].as_str()),
            ("router", "cisco-ios")
        );
    }

    #[test]
    fn garbage_sys_descr_keeps_the_class_through_other_evidence() {
        let p = profiles(RULES);
        let s = snmp("1.3.6.1.4.1.9.1.516", "\u{1}\u{2}garbage");
        let facts = Facts {
            bridge_ports: Some(12),
            ip_forwarding: Some(false),
            ..Facts::default()
        };
        let c = run(&p, Some(&s), Some(&facts));
        assert_eq!(c.role, Role::Switch);
        assert_eq!(c.vendor.as_deref(), Some("Cisco"));
    }

    #[test]
    fn unknown_devices_stay_unknown_and_agent_numbers_name_no_vendor() {
        let p = profiles(RULES);
        let s = snmp("1.3.6.1.4.1.8072.3.2.10", "Linux box 5.10");
        let c = run(&p, Some(&s), None);
        assert_eq!(c.role, Role::Unknown);
        assert_eq!(c.vendor, None);
        // no sysObjectID: the enterprise subtrees implemented name the vendor
        let s = Snmp::default();
        let facts = Facts {
            enterprises: vec![8072, 39165],
            ..Facts::default()
        };
        let c = run(&p, Some(&s), Some(&facts));
        assert_eq!(c.vendor.as_deref(), Some("Hikvision"));
        let c = classify(&Evidence::default(), &p);
        assert_eq!((c.role, c.vendor.as_deref()), (Role::Unknown, None));
    }

    #[test]
    fn a_trace_lists_the_matching_rules_with_what_they_yield_and_why() {
        let p = profiles(RULES);
        let s = snmp(
            "1.3.6.1.4.1.9.1.516",
            "Cisco IOS Software, Version 12.2(50)SE5",
        );
        let t = trace(
            &Evidence {
                snmp: Some(&s),
                facts: None,
                interfaces: None,
            },
            &p,
        );
        assert_eq!(t.outcome.role, Role::Router);
        let ids: Vec<&str> = t.matched.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["cisco-ios"], "the switch rule needs ENTITY-MIB");
        assert!(t.matched[0].sets.contains(&(Field::Role, "router".into())));
        assert!(
            t.matched[0].conditions[0].starts_with("sysObjectID 1.3.6.1.4.1.9.1.516 under one of")
        );
    }

    #[test]
    fn placeholder_serials_are_dropped() {
        assert!(!real_serial("0000000"));
        assert!(!real_serial("N/A"));
        assert!(real_serial("FDO1622Y10H"));
    }
}
