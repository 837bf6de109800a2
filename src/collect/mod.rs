//! What to ask an agent for, beyond the system group, and the answers
//! decoded into [`Facts`]: a handful of PDUs per device (one GET of
//! scalars, one GETNEXT per batch of subtrees, a short GETBULK of the
//! entity classes and one GET of the chassis row).

use std::collections::BTreeSet;

use crate::model::{Chassis, Facts};
use crate::profile::{Condition, Output, Profiles, Source};
pub mod health;
pub mod inventory;
pub mod walk;

use crate::oid::{enterprise_of, maker, oid_string, parse_oid, ENTERPRISES};
use crate::probe::agent::{Agent, AgentError, Val, VarBind};

const BRIDGE_PORTS: &[u64] = &[1, 3, 6, 1, 2, 1, 17, 1, 2, 0];
const IF_NUMBER: &[u64] = &[1, 3, 6, 1, 2, 1, 2, 1, 0];
const IP_FORWARDING: &[u64] = &[1, 3, 6, 1, 2, 1, 4, 1, 0];
const LLDP_CAPS_SUPPORTED: &[u64] = &[1, 0, 8802, 1, 1, 2, 1, 3, 5, 0];
const LLDP_CAPS_ENABLED: &[u64] = &[1, 0, 8802, 1, 1, 2, 1, 3, 6, 0];
const ENT_PHYSICAL_ENTRY: &[u64] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1];
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
        facts.chassis = chassis(agent).await?;
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
        values: needs
            .scalars
            .iter()
            .filter_map(|oid| Some((oid_string(oid), value_of(&got, oid)?.as_text()?)))
            .collect(),
        ..Facts::default()
    })
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

/// The chassis row of ENTITY-MIB: the first entity of class chassis, else
/// the first entity.
async fn chassis(agent: &mut Agent) -> Result<Option<Chassis>, AgentError> {
    let classes = agent.column(ENT_CLASS, ENTITY_ROWS).await?;
    let pick = classes
        .iter()
        .find(|(_, v)| v.as_i64() == Some(CLASS_CHASSIS))
        .or_else(|| classes.first())
        .and_then(|(oid, _)| oid.get(ENT_CLASS.len()).copied());
    let Some(index) = pick else {
        return Ok(None);
    };
    let column = |c: u64| {
        let mut o = ENT_PHYSICAL_ENTRY.to_vec();
        o.extend([c, index]);
        o
    };
    let cols: Vec<Vec<u64>> = [2, 7, 8, 9, 10, 11, 12, 13].map(column).to_vec();
    let got = agent.get(&cols).await?;
    let field = |c: u64| text(value_of(&got, &column(c)));
    Ok(Some(Chassis {
        index,
        descr: field(2),
        name: field(7),
        hardware_rev: field(8),
        firmware_rev: field(9),
        software_rev: field(10),
        serial: field(11),
        mfg: field(12),
        model: field(13),
    }))
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
