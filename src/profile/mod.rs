//! Device knowledge as data: the vendor table (IANA enterprise numbers) and
//! the classification rules, loaded from TOML, compiled in, overridable from
//! a user directory, and validated with `file:line` errors.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::model::{Chassis, Facts, Interface, Snmp};
use crate::oid::parse_oid;
use crate::source::line_of;
use crate::vocab::Role;

mod rule_files {
    include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));
}
/// The built-in rule files (`profiles/rules/*.toml`), compiled in: (path, text).
pub use rule_files::RULE_FILES as BUILTIN_RULE_FILES;
mod health;
mod scan;
mod walk;
pub use health::{HealthMetric, MetricKind, BUILTIN_HEALTH};
pub use scan::{ScanProfile, SnmpSweep, Thresholds, BUILTIN_SCAN_PROFILES};
pub use walk::{WalkOverride, BUILTIN_WALK};

/// The built-in vendor table, compiled in.
pub const BUILTIN_VENDORS: &str = include_str!("../../profiles/vendors.toml");

/// sysServices layer names and their bits (RFC 3418).
pub const SERVICES: [(&str, i64); 5] = [
    ("physical", 1),
    ("datalink", 2),
    ("network", 4),
    ("transport", 8),
    ("application", 64),
];

/// A broken profile: where and what.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
    #[error("cannot read profile '{}': {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The fields a rule can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Role,
    Vendor,
    Os,
    Model,
    OsVersion,
}

impl Field {
    /// The field's name in rules and scan files.
    pub fn name(self) -> &'static str {
        match self {
            Field::Role => "role",
            Field::Vendor => "vendor",
            Field::Os => "os",
            Field::Model => "model",
            Field::OsVersion => "os_version",
        }
    }
}

/// Where an extracted value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    SysDescr,
    SysName,
    SysObjectId,
    EntityModel,
    EntityDescr,
    EntityName,
    EntityMfg,
    EntitySoftware,
    EntityFirmware,
    EntityHardware,
    Value(Vec<u64>),
}

const SOURCES: &str = "sys_descr, sys_name, sys_object_id, entity_model, entity_descr, \
                       entity_name, entity_mfg, entity_software, entity_firmware, \
                       entity_hardware, value:OID";

impl Source {
    fn parse(s: &str) -> Option<Source> {
        Some(match s {
            "sys_descr" => Source::SysDescr,
            "sys_name" => Source::SysName,
            "sys_object_id" => Source::SysObjectId,
            "entity_model" => Source::EntityModel,
            "entity_descr" => Source::EntityDescr,
            "entity_name" => Source::EntityName,
            "entity_mfg" => Source::EntityMfg,
            "entity_software" => Source::EntitySoftware,
            "entity_firmware" => Source::EntityFirmware,
            "entity_hardware" => Source::EntityHardware,
            other => Source::Value(parse_oid(other.strip_prefix("value:")?)?),
        })
    }
}

/// What a rule sets a field to.
#[derive(Debug, Clone)]
pub enum Output {
    Literal(String),
    /// The source's value, or the first capture group of `regex` on it.
    Extract {
        from: Source,
        regex: Option<Regex>,
    },
}

/// One condition of a rule; all of a rule's conditions must hold.
#[derive(Debug, Clone)]
pub enum Condition {
    /// sysObjectID starts with one of these.
    SysObjectId(Vec<Vec<u64>>),
    /// The agent has no sysObjectID (or a zero one).
    NoSysObjectId,
    /// sysObjectID names no maker: absent, or under an agent-software
    /// enterprise (`agent_enterprises`).
    NoMakerOid,
    SysDescr(Regex),
    /// sysDescr is absent or does not match.
    SysDescrNot(Regex),
    SysName(Regex),
    /// sysServices has all these bits / none of these bits.
    ServicesHas(i64),
    ServicesLacks(i64),
    /// dot1dBaseNumPorts > 0 (true) or absent/0 (false).
    Bridge(bool),
    /// ipForwarding is forwarding(1) (true) or notForwarding(2) (false).
    Forwarding(bool),
    /// LLDP enabled capabilities include all / none of these.
    LldpCaps(Vec<String>),
    LldpCapsLack(Vec<String>),
    EntityModel(Regex),
    EntityDescr(Regex),
    EntityMfg(Regex),
    /// The agent implements all / none of these standard MIBs.
    Mib(Vec<String>),
    MibAbsent(Vec<String>),
    /// The agent implements one of these subtrees.
    Present(Vec<Vec<u64>>),
    /// The object's value matches the regex.
    Value(Vec<u64>, Regex),
    /// One of the enterprise subtrees the agent implements is one of these.
    Enterprise(Vec<u64>),
    /// The device has an interface of one of these IANAifType numbers
    /// (known only when interfaces were walked).
    IfTypes(Vec<i64>),
}

/// IANAifType names rules may use (IANAifType-MIB), with their numbers.
pub const IF_TYPES: [(&str, i64); 24] = [
    ("ethernetCsmacd", 6),
    ("ppp", 23),
    ("softwareLoopback", 24),
    ("atm", 37),
    ("sonet", 39),
    ("propVirtual", 53),
    ("fibreChannel", 56),
    ("ieee80211", 71),
    ("adsl", 94),
    ("vdsl", 97),
    ("docsCableMaclayer", 127),
    ("tunnel", 131),
    ("l2vlan", 135),
    ("mpls", 150),
    ("ieee8023adLag", 161),
    ("radioMAC", 184),
    ("microwaveRadio", 188),
    ("bridge", 209),
    ("ieee80216WMAN", 237),
    ("wwanPP", 243),
    ("wwanPP2", 244),
    ("gpon", 250),
    ("capwapWtpVirtualRadio", 254),
    ("pon", 276),
];

/// A rule's worked example: evidence as a device reports it, and the
/// fields the rule (and the whole rule set) must yield on it.
#[derive(Debug, Clone)]
pub struct Example {
    /// `file:line` of the example.
    pub origin: String,
    pub snmp: Snmp,
    pub facts: Facts,
    pub interfaces: Vec<Interface>,
    /// Expected values, by field.
    pub expect: Vec<(Field, String)>,
}

/// A classification rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub priority: i64,
    pub description: Option<String>,
    /// The fact the rule rests on (a MIB object, a vendor document).
    pub source: Option<String>,
    /// Worked examples, checked by `profiles validate`.
    pub examples: Vec<Example>,
    /// `file:line` where the rule is defined.
    pub origin: String,
    /// The rule's TOML text, for `profiles show`.
    pub text: String,
    pub when: Vec<Condition>,
    pub set: Vec<(Field, Output)>,
}

/// Everything classification knows.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    pub vendors: BTreeMap<u64, String>,
    /// Enterprise numbers of SNMP agent software (Net-SNMP, …): they name
    /// the agent, not the maker of the device.
    pub agent_enterprises: BTreeSet<u64>,
    /// Groups of enterprise numbers one maker's agents implement together
    /// (HP's Comware switches answer H3C's MIBs): a device whose sysObjectID
    /// names one of a group is asked about the others' subtrees too.
    pub related_enterprises: Vec<BTreeSet<u64>>,
    /// Sorted by priority, highest first (ties by id).
    pub rules: Vec<Rule>,
    /// Health metrics, in order of preference.
    pub health: Vec<HealthMetric>,
    /// Walk overrides, in order of preference.
    pub walk: Vec<WalkOverride>,
    /// The files loaded, in order.
    pub sources: Vec<String>,
}

// ------------------------------------------------------------------ raw TOML

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    agent_enterprises: Option<Vec<u64>>,
    related_enterprises: Option<Vec<Vec<u64>>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawOutput {
    Literal(String),
    Extract { from: String, regex: Option<String> },
}

type S<T> = Option<Spanned<T>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    priority: Spanned<i64>,
    description: Option<String>,
    source: Option<String>,
    example: Option<Vec<Spanned<RawExample>>>,
    sys_object_id: S<OneOrMany>,
    no_sys_object_id: Option<bool>,
    no_maker_oid: Option<bool>,
    sys_descr: S<String>,
    sys_descr_not: S<String>,
    sys_name: S<String>,
    sys_services_has: S<Vec<String>>,
    sys_services_lacks: S<Vec<String>>,
    bridge: Option<bool>,
    forwarding: Option<bool>,
    lldp_caps: S<Vec<String>>,
    lldp_caps_lack: S<Vec<String>>,
    entity_model: S<String>,
    entity_descr: S<String>,
    entity_mfg: S<String>,
    mib: S<Vec<String>>,
    mib_absent: S<Vec<String>>,
    present: S<OneOrMany>,
    value: S<BTreeMap<String, String>>,
    enterprise: S<Vec<u64>>,
    if_types: S<Vec<String>>,
    role: S<RawOutput>,
    vendor: S<RawOutput>,
    os: S<RawOutput>,
    model: S<RawOutput>,
    os_version: S<RawOutput>,
}

/// `[[rule.example]]`: evidence keys, then expectations.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    sys_object_id: Option<String>,
    sys_descr: Option<String>,
    sys_name: Option<String>,
    sys_services: Option<i64>,
    bridge_ports: Option<i64>,
    ip_forwarding: Option<bool>,
    lldp_caps: Option<Vec<String>>,
    entity_model: Option<String>,
    entity_descr: Option<String>,
    entity_name: Option<String>,
    entity_mfg: Option<String>,
    entity_software: Option<String>,
    entity_firmware: Option<String>,
    entity_hardware: Option<String>,
    mibs: Option<Vec<String>>,
    present: Option<Vec<String>>,
    enterprises: Option<Vec<u64>>,
    values: Option<BTreeMap<String, String>>,
    if_types: Option<Vec<String>>,
    role: Option<String>,
    vendor: Option<String>,
    os: Option<String>,
    model: Option<String>,
    os_version: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVendors {
    vendors: BTreeMap<String, Spanned<String>>,
}

// ------------------------------------------------------------------ loading

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, message: String) -> ProfileError {
        ProfileError::Invalid {
            file: self.file.to_string(),
            line: line_of(self.text, span.start),
            message,
        }
    }

    fn toml<T: serde::de::DeserializeOwned>(&self) -> Result<T, ProfileError> {
        toml::from_str(self.text).map_err(|e| {
            let msg = e.message().trim().to_string();
            self.err(e.span().unwrap_or(0..0), msg)
        })
    }
}

fn regex(ctx: &Ctx, id: &str, field: &str, s: &Spanned<String>) -> Result<Regex, ProfileError> {
    Regex::new(s.get_ref()).map_err(|e| {
        let first = e
            .to_string()
            .lines()
            .last()
            .unwrap_or("")
            .trim()
            .to_string();
        ctx.err(
            s.span(),
            format!("rule '{id}': {field}: invalid regex: {first}"),
        )
    })
}

fn oid(
    ctx: &Ctx,
    id: &str,
    field: &str,
    s: &str,
    span: Range<usize>,
) -> Result<Vec<u64>, ProfileError> {
    parse_oid(s).ok_or_else(|| ctx.err(span, format!("rule '{id}': {field}: '{s}' is not an OID")))
}

fn names(
    ctx: &Ctx,
    id: &str,
    field: &str,
    v: &Spanned<Vec<String>>,
    allowed: &[&str],
) -> Result<Vec<String>, ProfileError> {
    for n in v.get_ref() {
        if !allowed.contains(&n.as_str()) {
            return Err(ctx.err(
                v.span(),
                format!(
                    "rule '{id}': {field}: unknown name '{n}' (one of: {})",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(v.get_ref().clone())
}

fn services(
    ctx: &Ctx,
    id: &str,
    field: &str,
    v: &Spanned<Vec<String>>,
) -> Result<i64, ProfileError> {
    let allowed: Vec<&str> = SERVICES.iter().map(|(n, _)| *n).collect();
    let list = names(ctx, id, field, v, &allowed)?;
    Ok(SERVICES
        .iter()
        .filter(|(n, _)| list.iter().any(|l| l == n))
        .map(|(_, b)| b)
        .sum())
}

fn output(
    ctx: &Ctx,
    id: &str,
    field: Field,
    raw: &Spanned<RawOutput>,
) -> Result<Output, ProfileError> {
    let span = raw.span();
    Ok(match raw.get_ref() {
        RawOutput::Literal(s) => {
            if field == Field::Role && Role::parse(s).is_none() {
                return Err(ctx.err(
                    span,
                    format!(
                        "rule '{id}': role: unknown role '{s}' (one of: {})",
                        Role::names()
                    ),
                ));
            }
            Output::Literal(s.clone())
        }
        RawOutput::Extract { from, regex: re } => {
            if field == Field::Role {
                return Err(ctx.err(span, format!("rule '{id}': role: must be one literal role")));
            }
            let from = Source::parse(from).ok_or_else(|| {
                ctx.err(
                    span.clone(),
                    format!(
                        "rule '{id}': {}: unknown source '{from}' (one of: {SOURCES})",
                        field.name()
                    ),
                )
            })?;
            let regex = match re {
                None => None,
                Some(r) => {
                    let compiled = regex(
                        ctx,
                        id,
                        field.name(),
                        &Spanned::new(span.clone(), r.clone()),
                    )?;
                    if compiled.captures_len() < 2 {
                        return Err(ctx.err(
                            span,
                            format!(
                                "rule '{id}': {}: regex needs a capture group for the value",
                                field.name()
                            ),
                        ));
                    }
                    Some(compiled)
                }
            };
            Output::Extract { from, regex }
        }
    })
}

/// A rule's conditions, each validated (regexes compile, OIDs parse,
/// names come from their vocabularies).
fn conditions(ctx: &Ctx, idr: &str, r: &RawRule) -> Result<Vec<Condition>, ProfileError> {
    let mut when = Vec::new();
    if let Some(v) = &r.sys_object_id {
        let list = v
            .get_ref()
            .items()
            .into_iter()
            .map(|s| oid(ctx, idr, "sys_object_id", s, v.span()))
            .collect::<Result<_, _>>()?;
        when.push(Condition::SysObjectId(list));
    }
    if r.no_sys_object_id == Some(true) {
        when.push(Condition::NoSysObjectId);
    }
    if r.no_maker_oid == Some(true) {
        when.push(Condition::NoMakerOid);
    }
    if let Some(v) = &r.sys_descr {
        when.push(Condition::SysDescr(regex(ctx, idr, "sys_descr", v)?));
    }
    if let Some(v) = &r.sys_descr_not {
        when.push(Condition::SysDescrNot(regex(ctx, idr, "sys_descr_not", v)?));
    }
    if let Some(v) = &r.sys_name {
        when.push(Condition::SysName(regex(ctx, idr, "sys_name", v)?));
    }
    if let Some(v) = &r.sys_services_has {
        when.push(Condition::ServicesHas(services(
            ctx,
            idr,
            "sys_services_has",
            v,
        )?));
    }
    if let Some(v) = &r.sys_services_lacks {
        when.push(Condition::ServicesLacks(services(
            ctx,
            idr,
            "sys_services_lacks",
            v,
        )?));
    }
    if let Some(b) = r.bridge {
        when.push(Condition::Bridge(b));
    }
    if let Some(b) = r.forwarding {
        when.push(Condition::Forwarding(b));
    }
    when.extend(evidence_conditions(ctx, idr, r)?);
    Ok(when)
}

/// The conditions on collected evidence: LLDP, ENTITY-MIB, MIBs and
/// subtrees implemented, values, interface types.
fn evidence_conditions(ctx: &Ctx, idr: &str, r: &RawRule) -> Result<Vec<Condition>, ProfileError> {
    let mut when = Vec::new();
    let caps: Vec<&str> = crate::vocab::LLDP_CAP_NAMES.to_vec();
    if let Some(v) = &r.lldp_caps {
        when.push(Condition::LldpCaps(names(ctx, idr, "lldp_caps", v, &caps)?));
    }
    if let Some(v) = &r.lldp_caps_lack {
        when.push(Condition::LldpCapsLack(names(
            ctx,
            idr,
            "lldp_caps_lack",
            v,
            &caps,
        )?));
    }
    if let Some(v) = &r.entity_model {
        when.push(Condition::EntityModel(regex(ctx, idr, "entity_model", v)?));
    }
    if let Some(v) = &r.entity_descr {
        when.push(Condition::EntityDescr(regex(ctx, idr, "entity_descr", v)?));
    }
    if let Some(v) = &r.entity_mfg {
        when.push(Condition::EntityMfg(regex(ctx, idr, "entity_mfg", v)?));
    }
    let mibs: Vec<&str> = crate::vocab::MIB_NAMES.to_vec();
    if let Some(v) = &r.mib {
        when.push(Condition::Mib(names(ctx, idr, "mib", v, &mibs)?));
    }
    if let Some(v) = &r.mib_absent {
        when.push(Condition::MibAbsent(names(
            ctx,
            idr,
            "mib_absent",
            v,
            &mibs,
        )?));
    }
    if let Some(v) = &r.present {
        let list = v
            .get_ref()
            .items()
            .into_iter()
            .map(|s| oid(ctx, idr, "present", s, v.span()))
            .collect::<Result<_, _>>()?;
        when.push(Condition::Present(list));
    }
    if let Some(v) = &r.value {
        for (o, re) in v.get_ref() {
            let o = oid(ctx, idr, "value", o, v.span())?;
            let re = regex(ctx, idr, "value", &Spanned::new(v.span(), re.clone()))?;
            when.push(Condition::Value(o, re));
        }
    }
    if let Some(v) = &r.enterprise {
        when.push(Condition::Enterprise(v.get_ref().clone()));
    }
    if let Some(v) = &r.if_types {
        when.push(Condition::IfTypes(if_types(ctx, idr, "if_types", v)?));
    }
    Ok(when)
}

fn rule(ctx: &Ctx, raw: &Spanned<RawRule>) -> Result<Rule, ProfileError> {
    let span = raw.span();
    let r = raw.get_ref();
    let id = r.id.get_ref().trim().to_string();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(ctx.err(
            r.id.span(),
            format!("rule id '{id}': use letters, digits, '-', '_' or '.'"),
        ));
    }
    let idr = id.as_str();
    let when = conditions(ctx, idr, r)?;
    if when.is_empty() {
        return Err(ctx.err(r.id.span(), format!("rule '{id}': has no condition")));
    }
    let mut set = Vec::new();
    for (field, raw) in [
        (Field::Role, &r.role),
        (Field::Vendor, &r.vendor),
        (Field::Os, &r.os),
        (Field::Model, &r.model),
        (Field::OsVersion, &r.os_version),
    ] {
        if let Some(raw) = raw {
            set.push((field, output(ctx, idr, field, raw)?));
        }
    }
    if set.is_empty() {
        return Err(ctx.err(
            r.id.span(),
            format!("rule '{id}': sets nothing (role, vendor, os, model, os_version)"),
        ));
    }
    let mut examples = Vec::new();
    for raw in r.example.iter().flatten() {
        examples.push(example(ctx, idr, &set, raw)?);
    }
    Ok(Rule {
        id,
        priority: *r.priority.get_ref(),
        description: r.description.clone(),
        source: r.source.clone(),
        examples,
        origin: format!("{}:{}", ctx.file, line_of(ctx.text, span.start)),
        text: rule_text(ctx.text, span.start),
        when,
        set,
    })
}

fn if_types(
    ctx: &Ctx,
    id: &str,
    field: &str,
    v: &Spanned<Vec<String>>,
) -> Result<Vec<i64>, ProfileError> {
    let allowed: Vec<&str> = IF_TYPES.iter().map(|(n, _)| *n).collect();
    let list = names(ctx, id, field, v, &allowed)?;
    Ok(IF_TYPES
        .iter()
        .filter(|(n, _)| list.iter().any(|l| l == n))
        .map(|(_, t)| *t)
        .collect())
}

/// The ENTITY-MIB chassis row an example describes, if any.
fn example_chassis(e: &RawExample) -> Option<Chassis> {
    [
        &e.entity_model,
        &e.entity_descr,
        &e.entity_name,
        &e.entity_mfg,
        &e.entity_software,
        &e.entity_firmware,
        &e.entity_hardware,
    ]
    .iter()
    .any(|f| f.is_some())
    .then(|| Chassis {
        index: 1,
        descr: e.entity_descr.clone(),
        name: e.entity_name.clone(),
        hardware_rev: e.entity_hardware.clone(),
        firmware_rev: e.entity_firmware.clone(),
        software_rev: e.entity_software.clone(),
        serial: None,
        mfg: e.entity_mfg.clone(),
        model: e.entity_model.clone(),
    })
}

/// An example's expected fields: at least one, every field its rule sets,
/// roles from the vocabulary.
fn example_expect(e: &RawExample, set: &[(Field, Output)]) -> Result<Vec<(Field, String)>, String> {
    let mut expect = Vec::new();
    for (field, v) in [
        (Field::Role, &e.role),
        (Field::Vendor, &e.vendor),
        (Field::Os, &e.os),
        (Field::Model, &e.model),
        (Field::OsVersion, &e.os_version),
    ] {
        if let Some(v) = v {
            if field == Field::Role && Role::parse(v).is_none() {
                return Err(format!(
                    "role: unknown role '{v}' (one of: {})",
                    Role::names()
                ));
            }
            expect.push((field, v.clone()));
        }
    }
    if expect.is_empty() {
        return Err("states no expected field (role, vendor, os, model, os_version)".into());
    }
    if let Some((f, _)) = set
        .iter()
        .find(|(f, _)| !expect.iter().any(|(x, _)| x == f))
    {
        return Err(format!(
            "{}: the rule sets it, the example must say what it yields",
            f.name()
        ));
    }
    Ok(expect)
}

/// One `[[rule.example]]`, validated: known names, OIDs that parse, at
/// least one expectation, and an expectation for every field the rule sets.
fn example(
    ctx: &Ctx,
    id: &str,
    set: &[(Field, Output)],
    raw: &Spanned<RawExample>,
) -> Result<Example, ProfileError> {
    let span = raw.span();
    let e = raw.get_ref();
    let err = |m: String| ctx.err(span.clone(), format!("rule '{id}': example: {m}"));
    let listed = |field: &str, have: &Option<Vec<String>>, allowed: &[&str]| {
        for n in have.iter().flatten() {
            if !allowed.contains(&n.as_str()) {
                return Err(err(format!(
                    "{field}: unknown name '{n}' (one of: {})",
                    allowed.join(", ")
                )));
            }
        }
        Ok(have.clone().unwrap_or_default())
    };
    let oid_text = |field: &str, o: &str| {
        parse_oid(o)
            .map(|_| o.trim_start_matches('.').to_string())
            .ok_or_else(|| err(format!("{field}: '{o}' is not an OID")))
    };
    if let Some(o) = &e.sys_object_id {
        oid_text("sys_object_id", o)?;
    }
    let mut values = BTreeMap::new();
    for (o, v) in e.values.iter().flatten() {
        values.insert(oid_text("values", o)?, v.clone());
    }
    let subtrees = e
        .present
        .iter()
        .flatten()
        .map(|o| oid_text("present", o))
        .collect::<Result<Vec<_>, _>>()?;
    let caps = listed("lldp_caps", &e.lldp_caps, &crate::vocab::LLDP_CAP_NAMES)?;
    let mibs = listed("mibs", &e.mibs, &crate::vocab::MIB_NAMES)?;
    let ift: Vec<&str> = IF_TYPES.iter().map(|(n, _)| *n).collect();
    let interfaces = listed("if_types", &e.if_types, &ift)?
        .iter()
        .enumerate()
        .map(|(i, n)| Interface {
            index: u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1),
            if_type: IF_TYPES.iter().find(|(t, _)| t == n).map(|(_, v)| *v),
            ..Interface::default()
        })
        .collect();
    let chassis = example_chassis(e);
    let expect = example_expect(e, set).map_err(err)?;
    Ok(Example {
        origin: format!("{}:{}", ctx.file, line_of(ctx.text, span.start)),
        snmp: Snmp {
            version: crate::vocab::SnmpVersion::V2c,
            sys_name: e.sys_name.clone(),
            sys_descr: e.sys_descr.clone(),
            sys_object_id: e.sys_object_id.clone(),
            sys_services: e.sys_services,
            ..Snmp::default()
        },
        facts: Facts {
            bridge_ports: e.bridge_ports,
            ip_forwarding: e.ip_forwarding,
            lldp_caps_enabled: e.lldp_caps.is_some().then_some(caps),
            chassis,
            mibs,
            enterprises: e.enterprises.clone().unwrap_or_default(),
            subtrees,
            values,
            ..Facts::default()
        },
        interfaces,
        expect,
    })
}

/// The id of the `[[rule]]` whose text holds byte `offset`, so that a
/// parse error (an unknown field, a wrong type) names its rule.
fn rule_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let start = before
        .rfind("\n[[rule]]")
        .map(|i| i + 1)
        .or_else(|| before.starts_with("[[rule]]").then_some(0))?;
    let rest = &text[start..];
    let end = rest[1..].find("\n[[rule]]").map_or(rest.len(), |i| i + 1);
    rest[..end].lines().find_map(|l| {
        let v = l
            .trim()
            .strip_prefix("id")?
            .trim_start()
            .strip_prefix('=')?
            .trim();
        Some(v.trim_matches(|c| c == '"' || c == '\'').to_string())
    })
}

/// A rule's TOML text: from its header to the next table header (the
/// parser's span covers the header only).
fn rule_text(text: &str, start: usize) -> String {
    let rest = &text[start.min(text.len())..];
    let end = rest
        .char_indices()
        .skip(1)
        .find(|(i, _)| {
            let next = &rest[*i..];
            (next.starts_with("\n[") && !next.starts_with("\n[[rule.example]]"))
                || next.starts_with("\n\n#")
        })
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].trim().to_string()
}

impl Profiles {
    /// The compiled-in profiles.
    pub fn builtin() -> Result<Profiles, ProfileError> {
        let mut p = Profiles::default();
        p.add_vendors("profiles/vendors.toml", BUILTIN_VENDORS)?;
        for (file, text) in BUILTIN_RULE_FILES {
            // built-in ids are unique across files (a user file may replace one)
            p.add_rule_file(file, text, false)?;
        }
        p.add_health("profiles/health.toml", BUILTIN_HEALTH)?;
        p.add_walk("profiles/walk.toml", BUILTIN_WALK)?;
        Ok(p)
    }

    /// The compiled-in profiles, then `rules.toml` and `vendors.toml` of
    /// `dir` where present: a user rule replaces the built-in one of the
    /// same id, a user vendor entry replaces the built-in one.
    pub fn load(dir: Option<&Path>) -> Result<Profiles, ProfileError> {
        let mut p = Profiles::builtin()?;
        if let Some(dir) = dir {
            if !dir.is_dir() {
                return Err(ProfileError::Read {
                    path: dir.to_path_buf(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
                });
            }
            let mut files: Vec<(PathBuf, &str)> = ["vendors.toml", "rules.toml"]
                .iter()
                .map(|n| (dir.join(n), *n))
                .collect();
            // rules/*.toml, in name order, after rules.toml
            let rules_dir = dir.join("rules");
            if rules_dir.is_dir() {
                let entries =
                    std::fs::read_dir(&rules_dir).map_err(|source| ProfileError::Read {
                        path: rules_dir.clone(),
                        source,
                    })?;
                let mut more: Vec<PathBuf> = entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .collect();
                more.sort();
                files.extend(more.into_iter().map(|p| (p, "rules.toml")));
            }
            files.extend(
                ["health.toml", "walk.toml"]
                    .iter()
                    .map(|n| (dir.join(n), *n)),
            );
            for (path, name) in files {
                if !path.exists() {
                    continue;
                }
                let text = crate::source::read_input(&path, crate::source::INPUT_MAX).map_err(
                    |source| ProfileError::Read {
                        path: path.clone(),
                        source,
                    },
                )?;
                let file = path.display().to_string();
                match name {
                    "vendors.toml" => p.add_vendors(&file, &text)?,
                    "rules.toml" => p.add_rules(&file, &text)?,
                    "health.toml" => p.add_health(&file, &text)?,
                    _ => p.add_walk(&file, &text)?,
                }
            }
        }
        Ok(p)
    }

    /// Add (or replace) vendor entries from TOML text.
    pub fn add_vendors(&mut self, file: &str, text: &str) -> Result<(), ProfileError> {
        let ctx = Ctx { file, text };
        let raw: RawVendors = ctx.toml()?;
        for (k, v) in raw.vendors {
            let pen: u64 = k.parse().map_err(|_| {
                ctx.err(
                    v.span(),
                    format!("vendors: key '{k}' is not an enterprise number"),
                )
            })?;
            if v.get_ref().trim().is_empty() {
                return Err(ctx.err(v.span(), format!("vendors: '{k}' has an empty name")));
            }
            self.vendors.insert(pen, v.into_inner());
        }
        self.sources.push(file.to_string());
        Ok(())
    }

    /// The display name of an enterprise number: the curated name, else the
    /// registrant's from the compiled-in IANA registry (legal forms dropped);
    /// `true` when curated.
    pub fn vendor_name(&self, pen: u64) -> Option<(String, bool)> {
        if let Some(v) = self.vendors.get(&pen) {
            return Some((v.clone(), true));
        }
        crate::enterprises::display_name(pen).map(|v| (v, false))
    }

    /// Add (or replace, by id) rules from TOML text.
    pub fn add_rules(&mut self, file: &str, text: &str) -> Result<(), ProfileError> {
        self.add_rule_file(file, text, true)
    }

    /// Add rules from TOML text; a rule whose id is already loaded replaces
    /// it (`replace`) or is an error naming its line (built-in files).
    fn add_rule_file(&mut self, file: &str, text: &str, replace: bool) -> Result<(), ProfileError> {
        let ctx = Ctx { file, text };
        let raw: RawRules = toml::from_str(text).map_err(|e| {
            let at = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_string();
            match rule_at(text, at.start) {
                Some(id) => ctx.err(at, format!("rule '{id}': {msg}")),
                None => ctx.err(at, msg),
            }
        })?;
        if let Some(a) = raw.agent_enterprises {
            self.agent_enterprises.extend(a);
        }
        for group in raw.related_enterprises.into_iter().flatten() {
            self.related_enterprises.push(group.into_iter().collect());
        }
        let loaded: BTreeSet<String> = self.rules.iter().map(|r| r.id.clone()).collect();
        let mut seen = BTreeSet::new();
        for r in &raw.rule {
            let rule = rule(&ctx, r)?;
            let at = r.get_ref().id.span();
            if !seen.insert(rule.id.clone()) {
                return Err(ctx.err(at, format!("rule '{}' is defined twice", rule.id)));
            }
            if loaded.contains(&rule.id) {
                if !replace {
                    return Err(ctx.err(
                        at,
                        format!(
                            "rule '{}' is also defined in another built-in file",
                            rule.id
                        ),
                    ));
                }
                self.rules.retain(|old| old.id != rule.id);
            }
            self.rules.push(rule);
        }
        self.rules
            .sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
        self.sources.push(file.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Profiles, ProfileError> {
        let mut p = Profiles::default();
        p.add_rules("t.toml", text)?;
        Ok(p)
    }

    #[test]
    fn scan_profiles_load_and_layer() {
        for (name, _) in BUILTIN_SCAN_PROFILES {
            let p = ScanProfile::builtin(name).unwrap().unwrap();
            assert_eq!(p.name, name);
        }
        let std = ScanProfile::builtin("standard").unwrap().unwrap();
        assert_eq!((std.rate, std.retries, std.count), (50_000, 1, 3));
        let mine =
            ScanProfile::parse("mine", "m.toml", "[sweep]\nretries = 4\n", Some(&std)).unwrap();
        assert_eq!((mine.retries, mine.rate), (4, 50_000));
        let e = ScanProfile::parse(
            "m",
            "m.toml",
            "[sweep]\nretries = 4\ntimeout = \"soon\"\n",
            Some(&std),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("m.toml:3: sweep.timeout: 'soon'"), "{e}");
        let e = ScanProfile::parse("m", "m.toml", "[snmp]\nsweep = \"most\"\n", Some(&std))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("m.toml:2: snmp.sweep: unknown mode 'most'"),
            "{e}"
        );
        let e = ScanProfile::parse("m", "m.toml", "[sweep]\nrat = 1\n", Some(&std))
            .unwrap_err()
            .to_string();
        assert!(e.contains("m.toml:2") && e.contains("rat"), "{e}");
        assert!(ScanProfile::load("nonesuch", None).is_err());
    }

    #[test]
    fn walk_overrides_match_and_validate() {
        let p = Profiles::builtin().unwrap();
        let w = p
            .walk_override(
                Some("1.3.6.1.4.1.11.2.3.7.11.19"),
                Some("ProCurve J4899A, revision H.10.50"),
            )
            .unwrap();
        assert_eq!(w.max_repetitions, Some(10));
        assert!(p
            .walk_override(Some("1.3.6.1.4.1.11.2.3.7.11.19"), Some("revision K.15.2"))
            .is_none());
        let mut q = Profiles::default();
        let e = q
            .add_walk("w.toml", "[[override]]\nid = \"x\"\nbulk = false\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("w.toml:2: override 'x': has no condition"),
            "{e}"
        );
        let e = q
            .add_walk(
                "w.toml",
                "[[override]]\nid = \"x\"\nsys_descr = \"a\"\nmax_repetitions = 0\n",
            )
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("w.toml:4: override 'x': max_repetitions"),
            "{e}"
        );
    }

    #[test]
    fn builtin_profiles_are_valid() {
        let p = Profiles::builtin().unwrap();
        assert!(p.rules.len() > 20);
        assert!(p.vendors.len() > 100);
        assert_eq!(p.vendors.get(&9).map(String::as_str), Some("Cisco"));
        assert!(p.rules.windows(2).all(|w| w[0].priority >= w[1].priority));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = load(
            "[[rule]]\nid = \"x\"\npriority = 1\nsys_descr = \"(unclosed\"\nrole = \"switch\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("t.toml:4: rule 'x': sys_descr: invalid regex"),
            "{e}"
        );
        let e = load("[[rule]]\nid = \"x\"\npriority = 1\nbridge = true\nrole = \"toaster\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.toml:5: rule 'x': role: unknown role 'toaster'"),
            "{e}"
        );
        let e = load("[[rule]]\nid = \"x\"\npriority = 1\nbridg = true\nrole = \"switch\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.toml:") && e.contains("rule 'x': unknown field `bridg`"),
            "{e}"
        );
        // an unknown key in an example names the example's rule
        let e = load("[[rule]]\nid = \"y\"\npriority = 1\nbridge = true\nrole = \"switch\"\n[[rule.example]]\nrole = \"switch\"\ncolour = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rule 'y': unknown field `colour`"), "{e}");
        let e = load(
            "[[rule]]\nid = \"x\"\npriority = 1\nsys_object_id = \"1.3.6.x\"\nrole = \"switch\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("t.toml:4: rule 'x': sys_object_id: '1.3.6.x' is not an OID"),
            "{e}"
        );
        let e = load("[[rule]]\nid = \"x\"\npriority = 1\nrole = \"switch\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("has no condition"), "{e}");
        let e = load("[[rule]]\nid = \"x\"\npriority = 1\nbridge = true\nos_version = { from = \"sys_descr\", regex = \"V\\\\d+\" }\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("capture group"), "{e}");
        let e = load("[[rule]]\nid = \"x\"\npriority = 1\nbridge = true\nrole = \"switch\"\n[[rule]]\nid = \"x\"\npriority = 2\nbridge = true\nrole = \"switch\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.toml:7: rule 'x' is defined twice"), "{e}");
        let mut p = Profiles::default();
        let e = p
            .add_vendors("v.toml", "[vendors]\n\"9\" = \"Cisco\"\n\"x\" = \"Y\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("v.toml:3:"), "{e}");
    }

    #[test]
    fn user_rules_replace_builtin_ones_by_id() {
        let mut p =
            load("[[rule]]\nid = \"a\"\npriority = 1\nbridge = true\nrole = \"switch\"\n").unwrap();
        p.add_rules(
            "u.toml",
            "[[rule]]\nid = \"a\"\npriority = 5\nbridge = true\nrole = \"router\"\n",
        )
        .unwrap();
        assert_eq!(p.rules.len(), 1);
        assert_eq!(p.rules[0].priority, 5);
        assert_eq!(p.rules[0].origin, "u.toml:1");
    }
}
