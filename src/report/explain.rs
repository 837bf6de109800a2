//! `netcensus explain`: the evidence behind one device's classification,
//! re-evaluated against the profiles in force.

use std::fmt::Write;

use crate::classify::{trace, Evidence, BY_ENTERPRISE, BY_REGISTRY};
use crate::model::Device;
use crate::profile::Profiles;
use crate::vocab::DeviceField;

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

/// Render the explanation for `d`.
pub fn render(d: &Device, p: &Profiles) -> String {
    let mut o = String::new();
    let ev = Evidence {
        snmp: d.snmp.as_ref(),
        facts: d.facts.as_ref(),
        interfaces: d.interfaces.as_deref(),
    };
    let traced = trace(&ev, p);
    let now = &traced.outcome;
    let _ = writeln!(o, "{}  (id {})", d.ip, d.id);
    let s = d.snmp.as_ref();
    let _ = writeln!(o, "\nevidence");
    let _ = writeln!(
        o,
        "  sysObjectID   {}",
        opt(s.and_then(|s| s.sys_object_id.as_deref()))
    );
    let descr = s
        .and_then(|s| s.sys_descr.as_deref())
        .map(|t| t.escape_debug().to_string());
    let _ = writeln!(o, "  sysDescr      {}", opt(descr));
    let _ = writeln!(o, "  sysServices   {}", opt(s.and_then(|s| s.sys_services)));
    facts(&mut o, d);
    let _ = writeln!(o, "\nclassification");
    for (field, value) in [
        (DeviceField::Role, Some(now.role.name().to_string())),
        (DeviceField::Vendor, now.vendor.clone()),
        (DeviceField::Os, now.os.clone()),
        (DeviceField::Model, now.model.clone()),
        (DeviceField::OsVersion, now.os_version.clone()),
        (DeviceField::Serial, now.serial.clone()),
    ] {
        let by = match now.classified_by.get(field.name()).map(String::as_str) {
            Some(BY_ENTERPRISE) => "the enterprise number (profiles/vendors.toml)".to_string(),
            Some(BY_REGISTRY) => "the enterprise number (IANA registry)".to_string(),
            Some(id) => {
                let origin = p
                    .rules
                    .iter()
                    .find(|r| r.id == id)
                    .map(|r| r.origin.clone());
                format!("rule {id} ({})", opt(origin))
            }
            None if field == DeviceField::Serial && value.is_some() => {
                let stack = d.facts.as_ref().is_some_and(|f| {
                    f.stack.as_ref().and_then(|s| s.serial.as_deref()) == value.as_deref()
                });
                if stack {
                    "ENTITY-MIB stack"
                } else {
                    "ENTITY-MIB chassis"
                }
                .into()
            }
            None => "no rule".into(),
        };
        let _ = writeln!(o, "  {:<11} {:<24} by {by}", field.name(), opt(value));
    }
    if now.classified_by != d.classified_by {
        let _ = writeln!(
            o,
            "  (the scan file recorded {:?}: profiles changed since)",
            d.classified_by
        );
    }
    let _ = writeln!(o, "\nmatching rules, highest priority first");
    for r in &traced.matched {
        let sets: Vec<String> = r
            .sets
            .iter()
            .map(|(f, v)| format!("{}={v}", f.name()))
            .collect();
        let _ = writeln!(o, "  {:>4} {}  sets {}", r.priority, r.id, sets.join(" "));
        for c in &r.conditions {
            let _ = writeln!(o, "         ✓ {c}");
        }
    }
    // device strings are data: no escape sequence reaches the terminal
    super::text::terminal(&o)
}

/// The classification facts collected, line by line.
fn facts(o: &mut String, d: &Device) {
    if let Some(f) = &d.facts {
        let _ = writeln!(o, "  bridge ports  {}", opt(f.bridge_ports));
        let _ = writeln!(o, "  ipForwarding  {}", opt(f.ip_forwarding));
        let caps = f.lldp_caps_enabled.as_ref().map(|c| c.join(","));
        let _ = writeln!(o, "  LLDP enabled  {}", opt(caps));
        let _ = writeln!(o, "  MIBs          {}", f.mibs.join(", "));
        let pens: Vec<String> = f.enterprises.iter().map(u64::to_string).collect();
        let _ = writeln!(o, "  enterprises   {}", pens.join(", "));
        if let Some(c) = &f.chassis {
            let _ = writeln!(
                o,
                "  chassis       model {} | descr {} | mfg {} | serial {} | sw {}",
                opt(c.model.as_deref()),
                opt(c.descr.as_deref()),
                opt(c.mfg.as_deref()),
                opt(c.serial.as_deref()),
                opt(c.software_rev.as_deref())
            );
        }
        if let Some(s) = &f.stack {
            let _ = writeln!(
                o,
                "  stack         {} | serial {}",
                opt(s.descr.as_deref()),
                opt(s.serial.as_deref())
            );
        }
        for m in &f.members {
            let _ = writeln!(
                o,
                "  member        index {} | model {} | serial {}",
                m.index,
                opt(m.model.as_deref()),
                opt(m.serial.as_deref())
            );
        }
    } else {
        let _ = writeln!(o, "  (no classification facts collected)");
    }
}
