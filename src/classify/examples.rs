//! The rules' worked examples, run as checks: a rule must match its own
//! examples and yield what they say, the whole rule set must classify each
//! example as it says, and two rules of one priority must not disagree on
//! an example (the tie would be decided by rule id, which is no reason).

use std::collections::BTreeSet;

use super::{check, classify, extract, matches, Classification, Evidence};
use crate::profile::{Example, Field, ProfileError, Profiles, Rule};

/// The evidence an example describes.
pub fn evidence(e: &Example) -> Evidence<'_> {
    Evidence {
        snmp: Some(&e.snmp),
        facts: Some(&e.facts),
        interfaces: Some(&e.interfaces),
    }
}

/// How far to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Each rule against its own examples only (cheap; done at every load
    /// of a user rule file).
    OwnRule,
    /// Also the whole rule set on every example, and same-priority ties
    /// (`profiles validate`).
    RuleSet,
}

fn field_value(c: &Classification, f: Field) -> Option<&str> {
    match f {
        Field::Role => Some(c.role.name()),
        Field::Vendor => c.vendor.as_deref(),
        Field::Os => c.os.as_deref(),
        Field::Model => c.model.as_deref(),
        Field::OsVersion => c.os_version.as_deref(),
    }
}

fn show(v: Option<&str>) -> String {
    v.map_or_else(|| "nothing".to_string(), |v| format!("{v:?}"))
}

fn problem(ex: &Example, rule: &Rule, field: &str, message: String) -> ProfileError {
    let (file, line) = ex
        .origin
        .rsplit_once(':')
        .map_or((ex.origin.as_str(), "0"), |(f, l)| (f, l));
    ProfileError::Invalid {
        file: file.to_string(),
        line: line.parse().unwrap_or(0),
        message: format!("rule '{}': {field}: {message}", rule.id),
    }
}

/// Every problem found in the examples of the rules `scope` selects.
pub fn verify(p: &Profiles, scope: impl Fn(&Rule) -> bool, depth: Depth) -> Vec<ProfileError> {
    let mut out = Vec::new();
    for rule in p.rules.iter().filter(|r| scope(r)) {
        for ex in &rule.examples {
            let ev = evidence(ex);
            let failing: Vec<String> = rule
                .when
                .iter()
                .map(|c| check(c, &ev, p))
                .filter(|(ok, _)| !ok)
                .map(|(_, why)| why)
                .collect();
            if !failing.is_empty() {
                out.push(problem(
                    ex,
                    rule,
                    "example",
                    format!("the rule does not match it ({})", failing.join("; ")),
                ));
                continue;
            }
            for (field, output) in &rule.set {
                let want = ex.expect.iter().find(|(f, _)| f == field).map(|(_, v)| v);
                let got = extract(output, &ev);
                if got.as_ref() != want {
                    out.push(problem(
                        ex,
                        rule,
                        field.name(),
                        format!(
                            "the example expects {}, the rule yields {}",
                            show(want.map(String::as_str)),
                            show(got.as_deref())
                        ),
                    ));
                }
            }
            if depth == Depth::OwnRule {
                continue;
            }
            let c = classify(&ev, p);
            for (field, want) in &ex.expect {
                let got = field_value(&c, *field);
                if got != Some(want.as_str()) {
                    let by = c
                        .classified_by
                        .get(field.name())
                        .map_or("no rule", String::as_str);
                    out.push(problem(
                        ex,
                        rule,
                        field.name(),
                        format!(
                            "the example expects {want:?}, the rule set gives {} (by {by})",
                            show(got)
                        ),
                    ));
                }
            }
            for other in p
                .rules
                .iter()
                .filter(|o| o.priority == rule.priority && o.id != rule.id && matches(o, &ev, p))
            {
                for (field, output) in &rule.set {
                    let Some((_, theirs)) = other.set.iter().find(|(f, _)| f == field) else {
                        continue;
                    };
                    let (a, b) = (extract(output, &ev), extract(theirs, &ev));
                    if a.is_some() && b.is_some() && a != b {
                        out.push(problem(
                            ex,
                            rule,
                            field.name(),
                            format!(
                                "rule '{}' of the same priority {} also matches and yields {}, this rule {}",
                                other.id,
                                rule.priority,
                                show(b.as_deref()),
                                show(a.as_deref())
                            ),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// Rules that cite no source or carry no example (built-in rules must).
#[cfg(test)]
fn undocumented(p: &Profiles) -> Vec<String> {
    p.rules
        .iter()
        .filter(|r| {
            r.source.as_deref().is_none_or(|s| s.trim().is_empty()) || r.examples.is_empty()
        })
        .map(|r| {
            let what = if r.examples.is_empty() {
                "no example"
            } else {
                "no source"
            };
            format!("{}: rule '{}': {what}", r.origin, r.id)
        })
        .collect()
}

/// What the knowledge covers, for `profiles validate` and the README.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    pub rules: usize,
    pub examples: usize,
    /// Product-family and vendor-platform rules (priority 500 and up).
    pub family_rules: usize,
    /// Distinct (vendor, OS or product) pairs the family rules' examples name.
    pub families: usize,
    /// Distinct vendors the family rules' examples name.
    pub vendors: usize,
    /// Curated vendor names, and registry entries compiled in.
    pub curated_vendors: usize,
    pub registry_entries: usize,
}

/// Count what the rules cover.
pub fn coverage(p: &Profiles) -> Coverage {
    let mut families = BTreeSet::new();
    let mut vendors = BTreeSet::new();
    let family_rules: Vec<&Rule> = p.rules.iter().filter(|r| r.priority >= 500).collect();
    for r in &family_rules {
        for ex in &r.examples {
            let c = classify(&evidence(ex), p);
            let Some(v) = c.vendor.clone() else { continue };
            let what =
                c.os.clone()
                    .or_else(|| r.description.clone())
                    .unwrap_or_else(|| r.id.clone());
            vendors.insert(v.clone());
            families.insert((v, what));
        }
    }
    Coverage {
        rules: p.rules.len(),
        examples: p.rules.iter().map(|r| r.examples.len()).sum(),
        family_rules: family_rules.len(),
        families: families.len(),
        vendors: vendors.len(),
        curated_vendors: p.vendors.len(),
        registry_entries: crate::enterprises::len(),
    }
}

/// Load the profiles (built-in, then `dir`) and check the examples of the
/// user's rules against their own rules: a contradicting example is a
/// broken profile (exit 2), like a bad regex.
pub fn load_checked(dir: Option<&std::path::Path>) -> Result<Profiles, ProfileError> {
    let p = Profiles::load(dir)?;
    if dir.is_some() {
        let builtin: BTreeSet<&str> = crate::profile::BUILTIN_RULE_FILES
            .iter()
            .map(|(f, _)| *f)
            .collect();
        let user = |r: &Rule| !builtin.contains(r.origin.rsplit_once(':').map_or("", |(f, _)| f));
        if let Some(e) = verify(&p, user, Depth::OwnRule).into_iter().next() {
            return Err(e);
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(rules: &str) -> Profiles {
        let mut p = Profiles::default();
        p.add_vendors("v.toml", "[vendors]\n\"9\" = \"Cisco\"\n")
            .unwrap();
        p.add_rules("r.toml", rules).unwrap();
        p
    }

    const ASA: &str = r#"
[[rule]]
id = "asa"
priority = 900
source = "test"
sys_descr = "(?i)adaptive security appliance"
role = "firewall"
vendor = "Cisco"
os_version = { from = "sys_descr", regex = "Version ([0-9][^ ,]*)" }

[[rule.example]]
sys_descr = "Cisco Adaptive Security Appliance Version 9.8(4)"
role = "firewall"
vendor = "Cisco"
os_version = "9.8(4)"
"#;

    #[test]
    fn a_rule_that_yields_its_examples_passes() {
        let p = load(ASA);
        assert!(verify(&p, |_| true, Depth::RuleSet).is_empty());
        assert_eq!(coverage(&p).examples, 1);
    }

    #[test]
    fn a_contradicted_example_names_file_line_rule_and_field() {
        let p = load(&ASA.replace("os_version = \"9.8(4)\"", "os_version = \"9.8\""));
        let errs = verify(&p, |_| true, Depth::OwnRule);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].to_string(),
            "r.toml:11: rule 'asa': os_version: the example expects \"9.8\", the rule yields \"9.8(4)\""
        );
        // an example the rule does not match at all
        let p = load(&ASA.replace(
            "Cisco Adaptive Security Appliance Version",
            "Cisco IOS Version",
        ));
        let e = verify(&p, |_| true, Depth::OwnRule)[0].to_string();
        assert!(
            e.contains("rule 'asa': example: the rule does not match it"),
            "{e}"
        );
    }

    #[test]
    fn an_example_must_state_every_field_its_rule_sets() {
        let mut p = Profiles::default();
        let e = p
            .add_rules("r.toml", &ASA.replace("os_version = \"9.8(4)\"\n", ""))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("rule 'asa': example: os_version: the rule sets it"),
            "{e}"
        );
    }

    #[test]
    fn a_higher_rule_that_steals_an_example_and_same_priority_ties_are_reported() {
        let steal = format!(
            "{ASA}\n[[rule]]\nid = \"any-fw\"\npriority = 950\nsource = \"t\"\nsys_descr = \"Cisco\"\nrole = \"router\"\n\
             [[rule.example]]\nsys_descr = \"Cisco\"\nrole = \"router\"\n"
        );
        let p = load(&steal);
        assert!(verify(&p, |_| true, Depth::OwnRule).is_empty());
        let errs: Vec<String> = verify(&p, |_| true, Depth::RuleSet)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            errs.iter().any(|e| e.contains("rule 'asa': role: the example expects \"firewall\", the rule set gives \"router\" (by any-fw)")),
            "{errs:?}"
        );
        let tie = steal.replace("priority = 950", "priority = 900");
        let errs: Vec<String> = verify(&load(&tie), |_| true, Depth::RuleSet)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            errs.iter().any(|e| e.contains("rule 'any-fw' of the same priority 900 also matches and yields \"router\", this rule \"firewall\"")),
            "{errs:?}"
        );
    }

    #[test]
    fn new_conditions_and_the_registry_fallback() {
        let p = load(
            r#"
[[rule]]
id = "radio"
priority = 200
source = "t"
if_types = ["ieee80211"]
sys_descr_not = "(?i)linux"
role = "access_point"

[[rule.example]]
sys_object_id = "1.3.6.1.4.1.41112.1.6"
if_types = ["ethernetCsmacd", "ieee80211"]
role = "access_point"
vendor = "Ubiquiti Networks"
"#,
        );
        assert!(
            verify(&p, |_| true, Depth::RuleSet).is_empty(),
            "{:?}",
            verify(&p, |_| true, Depth::RuleSet)
        );
        let ex = &p.rules[0].examples[0];
        let c = classify(&evidence(ex), &p);
        assert_eq!(c.classified_by["vendor"], crate::classify::BY_REGISTRY);
        let mut linux = ex.clone();
        linux.snmp.sys_descr = Some("Linux ap 4.4".into());
        assert_eq!(
            classify(&evidence(&linux), &p).role,
            crate::vocab::Role::Unknown
        );
    }

    /// The knowledge shipped: every built-in rule cites its source and
    /// carries an example, and every example holds against the whole set.
    #[test]
    fn builtin_rules_are_documented_and_their_examples_hold() {
        let p = Profiles::builtin().unwrap();
        let missing = undocumented(&p);
        assert!(
            missing.is_empty(),
            "{} undocumented:\n{}",
            missing.len(),
            missing.join("\n")
        );
        let errs: Vec<String> = verify(&p, |_| true, Depth::RuleSet)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            errs.is_empty(),
            "{} problems:\n{}",
            errs.len(),
            errs.join("\n")
        );
    }
}
