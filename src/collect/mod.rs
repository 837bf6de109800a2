//! What to ask an agent for, beyond the system group, and the answers
//! decoded into [`Facts`]: a handful of PDUs per device (one GET of
//! scalars, one GETNEXT per batch of subtrees, a short GETBULK of the
//! entity classes and one GET of the chassis row).

use std::collections::BTreeSet;

use crate::model::{Chassis, Facts};
use crate::profile::{Condition, Output, Profiles, Source};
pub mod health;
pub mod inventory;
pub mod learned;
pub mod walk;

use crate::oid::{enterprise_of, maker, oid_string, parse_oid, ENTERPRISES};
use crate::probe::agent::{Agent, AgentError, Val, VarBind};

const BRIDGE_PORTS: &[u64] = &[1, 3, 6, 1, 2, 1, 17, 1, 2, 0];
const IF_NUMBER: &[u64] = &[1, 3, 6, 1, 2, 1, 2, 1, 0];
const IP_FORWARDING: &[u64] = &[1, 3, 6, 1, 2, 1, 4, 1, 0];
const LLDP_CAPS_SUPPORTED: &[u64] = &[1, 0, 8802, 1, 1, 2, 1, 3, 5, 0];
const LLDP_CAPS_ENABLED: &[u64] = &[1, 0, 8802, 1, 1, 2, 1, 3, 6, 0];
const ENT_PHYSICAL_ENTRY: &[u64] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1];
/// Identity evidence: SNMP-FRAMEWORK-MIB snmpEngineID.0, BRIDGE-MIB
/// dot1dBaseBridgeAddress.0, LLDP-MIB lldpLocChassisIdSubtype.0 and
/// lldpLocChassisId.0.
const ENGINE_ID: &[u64] = &[1, 3, 6, 1, 6, 3, 10, 2, 1, 1, 0];
const BASE_MAC: &[u64] = &[1, 3, 6, 1, 2, 1, 17, 1, 1, 0];
const LLDP_CHASSIS_SUBTYPE: &[u64] = &[1, 0, 8802, 1, 1, 2, 1, 3, 1, 0];
const LLDP_CHASSIS_ID: &[u64] = &[1, 0, 8802, 1, 1, 2, 1, 3, 2, 0];
/// IP-MIB ipAdEntAddr (IPv4 addresses) and ipAddressIfIndex (any family,
/// the address in the row index) of the device's own address tables.
const IP_AD_ENT_ADDR: &[u64] = &[1, 3, 6, 1, 2, 1, 4, 20, 1, 1];
const IP_ADDRESS_IF_INDEX: &[u64] = &[1, 3, 6, 1, 2, 1, 4, 34, 1, 3];
/// Own addresses read at most, per table.
const ADDRESSES_MAX: u32 = 256;
const ENT_CLASS: &[u64] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 5];

/// Standard MIBs whose presence is evidence, by short name.
const MIBS: [(&str, &[u64]); 4] = [
    ("host-resources", &[1, 3, 6, 1, 2, 1, 25, 1]),
    ("printer", &[1, 3, 6, 1, 2, 1, 43]),
    ("ups", &[1, 3, 6, 1, 2, 1, 33]),
    ("entity", ENT_CLASS),
];

pub use crate::vocab::LLDP_CAP_NAMES;

/// Enterprise subtrees listed at most (GETNEXT hops past each).
const MAX_ENTERPRISES: usize = 6;

/// Entity chassis is entPhysicalClass chassis(3).
const CLASS_CHASSIS: i64 = 3;

/// Entity rows read to find the chassis.
const ENTITY_ROWS: u32 = 32;

/// Subtrees asked in one GETNEXT (agents answer at most ~64 varbinds).
const NEXT_BATCH: usize = 40;

/// Objects named by the classification rules, beyond the fixed ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needs {
    /// Scalars whose values rules compare.
    pub scalars: BTreeSet<Vec<u64>>,
    /// Subtrees whose presence rules test (and health metric columns, so
    /// that only the columns an agent has are walked).
    pub subtrees: BTreeSet<Vec<u64>>,
    /// Agent-software enterprise numbers: a sysObjectID under one of them
    /// names no maker, so the enterprise subtrees are listed instead.
    pub agent_enterprises: BTreeSet<u64>,
    /// Enterprise numbers whose subtrees one maker's agents implement
    /// together (see [`Needs::asks`]).
    pub related_enterprises: Vec<BTreeSet<u64>>,
}

impl Needs {
    /// What the classification rules of `p` ask about: objects whose values
    /// they compare or extract, subtrees whose presence they test.
    pub fn of(p: &Profiles) -> Needs {
        let mut n = Needs {
            agent_enterprises: p.agent_enterprises.clone(),
            related_enterprises: p.related_enterprises.clone(),
            ..Needs::default()
        };
        for r in &p.rules {
            for c in &r.when {
                match c {
                    Condition::Present(list) => n.subtrees.extend(list.iter().cloned()),
                    Condition::Value(o, _) => {
                        n.scalars.insert(o.clone());
                    }
                    _ => {}
                }
            }
            for (_, out) in &r.set {
                if let Output::Extract {
                    from: Source::Value(o),
                    ..
                } = out
                {
                    n.scalars.insert(o.clone());
                }
            }
        }
        n
    }

    /// Whether a device is asked about `root`, given its makers (the
    /// sysObjectID's enterprise, or, when that names no maker, the
    /// enterprise subtrees the agent implements): a vendor's MIB is
    /// evidence on that vendor's (or a related maker's) devices, never on
    /// another maker's, so a Cisco is not asked about twenty other
    /// vendors' subtrees (a PDU each over SNMPv1). Standard MIBs always.
    pub fn asks(&self, makers: &[u64], root: &[u64]) -> bool {
        let Some(owner) = enterprise_of(root) else {
            return true;
        };
        makers.iter().any(|m| {
            *m == owner
                || self
                    .related_enterprises
                    .iter()
                    .any(|g| g.contains(m) && g.contains(&owner))
        })
    }
}

/// LLDP capability names from the BITS octets.
pub fn lldp_caps(bytes: &[u8]) -> Vec<String> {
    let first = bytes.first().copied().unwrap_or(0);
    LLDP_CAP_NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| first & (0x80 >> i) != 0)
        .map(|(_, n)| n.to_string())
        .collect()
}

fn value_of<'a>(vbs: &'a [VarBind], oid: &[u64]) -> Option<&'a Val> {
    vbs.iter()
        .find(|(o, v)| o == oid && !v.is_exception())
        .map(|(_, v)| v)
}

/// Device text is data; empty strings and padding carry no information.
pub(crate) fn text(v: Option<&Val>) -> Option<String> {
    let t = v?.as_text()?;
    let t = t.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!t.is_empty()).then(|| t.to_string())
}

/// Ask `agent` for everything classification needs.
pub async fn gather(
    agent: &mut Agent,
    needs: &Needs,
    sys_object_id: Option<&str>,
) -> Result<Facts, AgentError> {
    let mut facts = scalars(agent, needs).await?;
    facts.addresses = own_addresses(agent).await?;
    let maker = sys_object_id
        .and_then(parse_oid)
        .and_then(|o| maker(&o, &needs.agent_enterprises));
    if maker.is_none() {
        facts.enterprises = enterprise_hops(agent).await?;
    }
    // enterprise subtrees are asked only of their maker (and related
    // makers), or of the enterprises a maker-less agent was found to
    // implement: never another maker's (see Needs::asks)
    let makers: Vec<u64> = match maker {
        Some(m) => vec![m],
        None => facts.enterprises.clone(),
    };
    let present = presence(agent, needs, &makers).await?;
    facts.mibs = MIBS
        .iter()
        .filter(|(_, o)| present.contains(*o))
        .map(|(n, _)| n.to_string())
        .collect();
    facts.subtrees = needs
        .subtrees
        .iter()
        .filter(|o| present.contains(*o))
        .map(|o| oid_string(o))
        .collect();
    if present.contains(ENT_CLASS) {
        let e = entities(agent).await?;
        facts.chassis = e.chassis;
        facts.stack = e.stack;
        facts.members = e.members;
    }
    Ok(facts)
}

/// One GET of the fixed scalars and the rule-named ones.
async fn scalars(agent: &mut Agent, needs: &Needs) -> Result<Facts, AgentError> {
    let mut asked: Vec<Vec<u64>> = [
        IF_NUMBER,
        BRIDGE_PORTS,
        IP_FORWARDING,
        LLDP_CAPS_SUPPORTED,
        LLDP_CAPS_ENABLED,
        ENGINE_ID,
        BASE_MAC,
        LLDP_CHASSIS_SUBTYPE,
        LLDP_CHASSIS_ID,
    ]
    .iter()
    .map(|o| o.to_vec())
    .collect();
    asked.extend(needs.scalars.iter().cloned());
    let got = agent.get(&asked).await?;
    let caps = |oid| match value_of(&got, oid) {
        Some(Val::Bytes(b)) => Some(lldp_caps(b)),
        _ => None,
    };
    Ok(Facts {
        bridge_ports: value_of(&got, BRIDGE_PORTS).and_then(Val::as_i64),
        if_number: value_of(&got, IF_NUMBER).and_then(Val::as_i64),
        ip_forwarding: value_of(&got, IP_FORWARDING)
            .and_then(Val::as_i64)
            .and_then(|n| match n {
                1 => Some(true),
                2 => Some(false),
                _ => None,
            }),
        lldp_caps_supported: caps(LLDP_CAPS_SUPPORTED),
        lldp_caps_enabled: caps(LLDP_CAPS_ENABLED),
        engine_id: match value_of(&got, ENGINE_ID) {
            // RFC 3411: 5 to 32 octets; all zeros or all ones is no ID
            Some(Val::Bytes(b))
                if (5..=32).contains(&b.len()) && b.iter().any(|x| *x != 0 && *x != 0xff) =>
            {
                Some(hex(b))
            }
            _ => None,
        },
        base_mac: inventory::mac(value_of(&got, BASE_MAC)),
        lldp_chassis_id: match (
            value_of(&got, LLDP_CHASSIS_SUBTYPE).and_then(Val::as_i64),
            value_of(&got, LLDP_CHASSIS_ID),
        ) {
            // macAddress(4): comparable with the other MACs
            (Some(4), v) => inventory::mac(v),
            (Some(_), Some(Val::Bytes(b))) if !b.is_empty() => Some(hex(b)),
            _ => None,
        },
        values: needs
            .scalars
            .iter()
            .filter_map(|oid| Some((oid_string(oid), value_of(&got, oid)?.as_text()?)))
            .collect(),
        ..Facts::default()
    })
}

/// Octets as lowercase hex.
fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The device's own addresses: IP-MIB's ipAdEntAddr values (IPv4) and the
/// addresses in ipAddressTable's row indices (type, length, octets), at
/// most a few hundred of each; loopback and unspecified addresses left out.
async fn own_addresses(agent: &mut Agent) -> Result<Vec<std::net::IpAddr>, AgentError> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let mut out = BTreeSet::new();
    for (_, v) in agent.column(IP_AD_ENT_ADDR, ADDRESSES_MAX).await? {
        if let Val::Ip(a) = v {
            out.insert(IpAddr::V4(Ipv4Addr::from(a)));
        }
    }
    for (oid, _) in agent.column(IP_ADDRESS_IF_INDEX, ADDRESSES_MAX).await? {
        let idx = oid.get(IP_ADDRESS_IF_INDEX.len()..).unwrap_or_default();
        let octets: Option<Vec<u8>> = idx
            .get(2..)
            .map(|o| o.iter().map(|x| u8::try_from(*x).ok()).collect())
            .unwrap_or(None);
        let addr = match (idx.first(), idx.get(1), octets.as_deref()) {
            (Some(1), Some(4), Some(o)) => <[u8; 4]>::try_from(o)
                .ok()
                .map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            (Some(2), Some(16), Some(o)) => <[u8; 16]>::try_from(o)
                .ok()
                .map(|a| IpAddr::V6(Ipv6Addr::from(a))),
            _ => None,
        };
        out.extend(addr);
    }
    out.retain(|a| !a.is_loopback() && !a.is_unspecified());
    Ok(out.into_iter().collect())
}

/// The enterprise subtrees an agent implements (when its sysObjectID
/// names no maker): hop from one to past the next, a few at most.
async fn enterprise_hops(agent: &mut Agent) -> Result<Vec<u64>, AgentError> {
    let mut found = Vec::new();
    let mut cursor = ENTERPRISES.to_vec();
    while found.len() < MAX_ENTERPRISES {
        let got = agent.next_each(std::slice::from_ref(&cursor)).await?;
        let Some((oid, val)) = got.first() else { break };
        let pen = match oid.get(ENTERPRISES.len()) {
            Some(p) if !val.is_exception() && oid.starts_with(ENTERPRISES) => *p,
            _ => break,
        };
        found.push(pen);
        cursor = ENTERPRISES.to_vec();
        cursor.push(pen.saturating_add(1));
    }
    Ok(found)
}

/// Which roots (standard MIBs, and the subtrees `needs` names that these
/// makers own) the agent implements: the object after each root still
/// lies below it. One GETNEXT batch (a GETBULK of non-repeaters in v2c).
async fn presence(
    agent: &mut Agent,
    needs: &Needs,
    makers: &[u64],
) -> Result<BTreeSet<Vec<u64>>, AgentError> {
    let mut roots: Vec<Vec<u64>> = MIBS.iter().map(|(_, o)| o.to_vec()).collect();
    roots.extend(
        needs
            .subtrees
            .iter()
            .filter(|r| needs.asks(makers, r))
            .cloned(),
    );
    let mut present = BTreeSet::new();
    for batch in roots.chunks(NEXT_BATCH) {
        let got = agent.next_each(batch).await?;
        for (root, (oid, val)) in batch.iter().zip(&got) {
            if !val.is_exception() && oid.starts_with(root) {
                present.insert(root.clone());
            }
        }
    }
    Ok(present)
}

/// Entity stack(11): the container of a stack or virtual chassis (Cisco
/// StackWise, H3C IRF, Juniper Virtual Chassis), whose members are chassis.
const CLASS_STACK: i64 = 11;

/// Most members of one stack read (stacks hold up to 9 or 10).
const MEMBERS_MAX: usize = 16;

/// What ENTITY-MIB says the device is made of.
struct Entities {
    chassis: Option<Chassis>,
    stack: Option<Chassis>,
    members: Vec<Chassis>,
}

/// The chassis row of ENTITY-MIB (the first entity of class chassis, else
/// the first entity), the stack row if there is one, and every chassis row
/// as a member when there are several or a stack holds them.
async fn entities(agent: &mut Agent) -> Result<Entities, AgentError> {
    let classes = agent.column(ENT_CLASS, ENTITY_ROWS).await?;
    let index = |oid: &Vec<u64>| oid.get(ENT_CLASS.len()).copied();
    let of_class = |c: i64| -> Vec<u64> {
        classes
            .iter()
            .filter(|(_, v)| v.as_i64() == Some(c))
            .filter_map(|(oid, _)| index(oid))
            .collect()
    };
    let chassis_rows = of_class(CLASS_CHASSIS);
    let stack_row = of_class(CLASS_STACK).first().copied();
    let first = chassis_rows
        .first()
        .copied()
        .or_else(|| classes.first().and_then(|(oid, _)| index(oid)));
    let mut out = Entities {
        chassis: None,
        stack: None,
        members: Vec::new(),
    };
    let Some(first) = first else {
        return Ok(out);
    };
    out.chassis = Some(entity(agent, first).await?);
    if let Some(s) = stack_row {
        out.stack = Some(entity(agent, s).await?);
    }
    if chassis_rows.len() > 1 || (stack_row.is_some() && !chassis_rows.is_empty()) {
        for i in chassis_rows.into_iter().take(MEMBERS_MAX) {
            let row = match (&out.chassis, i == first) {
                (Some(c), true) => c.clone(),
                _ => entity(agent, i).await?,
            };
            out.members.push(row);
        }
    }
    Ok(out)
}

/// One entPhysicalTable row, in one GET.
async fn entity(agent: &mut Agent, index: u64) -> Result<Chassis, AgentError> {
    let column = |c: u64| {
        let mut o = ENT_PHYSICAL_ENTRY.to_vec();
        o.extend([c, index]);
        o
    };
    let cols: Vec<Vec<u64>> = [2, 7, 8, 9, 10, 11, 12, 13].map(column).to_vec();
    let got = agent.get(&cols).await?;
    let field = |c: u64| text(value_of(&got, &column(c)));
    Ok(Chassis {
        index,
        descr: field(2),
        name: field(7),
        hardware_rev: field(8),
        firmware_rev: field(9),
        software_rev: field(10),
        serial: field(11),
        mfg: field(12),
        model: field(13),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lldp_bits_decode_msb_first() {
        assert_eq!(lldp_caps(&[0x28, 0x00]), ["bridge", "router"]);
        assert_eq!(lldp_caps(&[0x10]), ["wlan-access-point"]);
        assert!(lldp_caps(&[]).is_empty());
    }

    #[test]
    fn another_makers_subtrees_are_not_asked() {
        let needs = Needs {
            related_enterprises: vec![[11, 25506].into_iter().collect()],
            ..Needs::default()
        };
        let h3c_cpu = [1, 3, 6, 1, 4, 1, 25506, 2, 6];
        let cisco_fw = [1, 3, 6, 1, 4, 1, 9, 9, 147];
        let host = [1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2];
        assert!(needs.asks(&[9], &cisco_fw));
        assert!(!needs.asks(&[9], &h3c_cpu));
        assert!(needs.asks(&[11], &h3c_cpu), "HP Comware answers H3C's MIBs");
        assert!(
            needs.asks(&[8072, 25506], &h3c_cpu),
            "a subtree the agent implements"
        );
        assert!(
            !needs.asks(&[], &cisco_fw),
            "nothing implemented, nothing asked"
        );
        assert!(needs.asks(&[], &host), "standard MIBs always");
    }

    #[test]
    fn padding_is_not_text() {
        assert_eq!(text(Some(&Val::Bytes(b"  \0".to_vec()))), None);
        assert_eq!(
            text(Some(&Val::Bytes(b" WS-C3750 \0".to_vec()))).as_deref(),
            Some("WS-C3750")
        );
    }
}
