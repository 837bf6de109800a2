//! What a diff leaves out and how much noise it tolerates: a TOML file
//! (`--rules FILE`) and flags, validated with the line of every mistake.
//!
//! ```toml
//! [ignore]
//! fields = ["sys_location"]            # device fields not compared
//! devices = ["ws-03", "10.77.0.12"]    # by id, sysName or IP
//! prefixes = ["10.77.9.0/24"]          # every device in these
//! interfaces = ["^Vlan", "^Null0$"]    # interface names (regex)
//! kinds = ["rtt"]                      # whole kinds of change
//! [compare]
//! health_checks = ["loss"]             # also judge health on these
//! [tolerance]
//! rtt_ms = 20.0                        # RTT regression: up by more than this…
//! rtt_factor = 3.0                     # …and by more than this factor
//! counters = 1000                      # interface errors+discards growth
//! uptime_slack = "60s"                 # clock slack before "rebooted"
//! ```

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use ipnetwork::IpNetwork;
use regex::Regex;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::HEALTH_CHECKS_NOT_COMPARED;
use crate::error::Error;
use crate::model::Device;
use crate::source::line_of;
use crate::vocab::{DeviceField, HealthCheck};

/// The kinds of change, in the order reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Added,
    Removed,
    Moved,
    Replaced,
    Changed,
    Rebooted,
    Interfaces,
    Links,
    Health,
    Rtt,
}

/// Every kind, in order.
pub const KINDS: [Kind; 10] = [
    Kind::Added,
    Kind::Removed,
    Kind::Moved,
    Kind::Replaced,
    Kind::Changed,
    Kind::Rebooted,
    Kind::Interfaces,
    Kind::Links,
    Kind::Health,
    Kind::Rtt,
];

impl Kind {
    /// The kind's name in flags, files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Moved => "moved",
            Kind::Replaced => "replaced",
            Kind::Changed => "changed",
            Kind::Rebooted => "rebooted",
            Kind::Interfaces => "interfaces",
            Kind::Links => "links",
            Kind::Health => "health",
            Kind::Rtt => "rtt",
        }
    }

    /// A kind by name.
    pub fn parse(s: &str) -> Option<Kind> {
        KINDS.iter().copied().find(|k| k.name() == s)
    }
}

/// Parse a `--fail-on` list: kind names separated by commas, or `any`.
pub fn parse_kinds(list: &str) -> Result<BTreeSet<Kind>, String> {
    let mut out = BTreeSet::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if item == "any" {
            out.extend(KINDS);
        } else {
            out.insert(Kind::parse(item).ok_or_else(|| {
                format!(
                    "unknown kind of change '{item}' (one of: any, {})",
                    kind_names()
                )
            })?);
        }
    }
    if out.is_empty() {
        return Err("no kind of change given".into());
    }
    Ok(out)
}

fn kind_names() -> String {
    KINDS.map(Kind::name).join(", ")
}

/// The rules of one diff.
#[derive(Debug, Clone)]
pub struct Rules {
    pub fields: BTreeSet<DeviceField>,
    /// Device ids, sysNames or IP addresses.
    pub devices: BTreeSet<String>,
    pub prefixes: Vec<IpNetwork>,
    pub interfaces: Vec<Regex>,
    pub ignored_kinds: BTreeSet<Kind>,
    /// Checks of [`HEALTH_CHECKS_NOT_COMPARED`] to judge health on after all.
    pub health_checks: BTreeSet<HealthCheck>,
    pub rtt_ms: f64,
    pub rtt_factor: f64,
    /// `None`: error counters are not compared.
    pub counters: Option<u64>,
    pub uptime_slack_s: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            fields: BTreeSet::new(),
            devices: BTreeSet::new(),
            prefixes: Vec::new(),
            interfaces: Vec::new(),
            ignored_kinds: BTreeSet::new(),
            health_checks: BTreeSet::new(),
            rtt_ms: 20.0,
            rtt_factor: 3.0,
            counters: None,
            uptime_slack_s: 60.0,
        }
    }
}

impl Rules {
    /// Is `d` left out of the comparison?
    pub fn ignores_device(&self, d: &Device) -> bool {
        let name = d.snmp.as_ref().and_then(|s| s.sys_name.as_deref());
        if self.devices.contains(&d.id)
            || self.devices.contains(&d.ip.to_string())
            || name.is_some_and(|n| self.devices.contains(n))
        {
            return true;
        }
        self.prefixes.iter().any(|p| p.contains(d.ip))
    }

    /// Add an ignored field (flag or file); the name must be a [`DeviceField`].
    pub fn ignore_field(&mut self, f: &str) -> Result<(), String> {
        let Some(field) = DeviceField::parse(f) else {
            return Err(format!(
                "unknown field '{f}' (one of: {})",
                DeviceField::names()
            ));
        };
        self.fields.insert(field);
        Ok(())
    }

    /// Add an ignored prefix (flag or file).
    pub fn ignore_prefix(&mut self, p: &str) -> Result<(), String> {
        let net: IpNetwork = p
            .parse()
            .map_err(|e| format!("'{p}' is not a prefix: {e}"))?;
        self.prefixes.push(net);
        Ok(())
    }

    /// Add an ignored interface-name pattern (flag or file).
    pub fn ignore_interface(&mut self, re: &str) -> Result<(), String> {
        let r = Regex::new(re).map_err(|e| {
            let why = e.to_string();
            let last = why.lines().last().unwrap_or("").trim().to_string();
            format!("'{re}' is not a valid regex: {last}")
        })?;
        self.interfaces.push(r);
        Ok(())
    }

    /// Judge health on a check that is otherwise left out.
    pub fn compare_check(&mut self, c: &str) -> Result<(), String> {
        let Some(check) = HealthCheck::parse(c) else {
            return Err(format!(
                "unknown health check '{c}' (one of: {})",
                HealthCheck::ALL.map(HealthCheck::name).join(", ")
            ));
        };
        if HEALTH_CHECKS_NOT_COMPARED.contains(&check) {
            self.health_checks.insert(check);
        }
        Ok(())
    }

    /// Read a rules file on top of these rules.
    pub fn load(&mut self, path: &Path) -> Result<(), Error> {
        let file = path.display().to_string();
        let text = crate::source::read_input(path, crate::source::INPUT_MAX).map_err(|e| {
            Error::Input {
                file: file.clone(),
                line: 0,
                message: format!("cannot read: {e}"),
            }
        })?;
        self.parse(&file, &text)
    }

    /// Parse the text of a rules file named `file`.
    pub fn parse(&mut self, file: &str, text: &str) -> Result<(), Error> {
        let err = |span: Range<usize>, message: String| Error::Input {
            file: file.to_string(),
            line: line_of(text, span.start),
            message,
        };
        let raw: RawRules = toml::from_str(text)
            .map_err(|e| err(e.span().unwrap_or(0..0), e.message().trim().to_string()))?;
        let each = |list: &Option<Vec<Spanned<String>>>,
                    rules: &mut Rules,
                    what: &str,
                    add: fn(&mut Rules, &str) -> Result<(), String>|
         -> Result<(), Error> {
            for item in list.iter().flatten() {
                add(rules, item.get_ref()).map_err(|m| err(item.span(), format!("{what}: {m}")))?;
            }
            Ok(())
        };
        if let Some(i) = &raw.ignore {
            each(&i.fields, self, "ignore.fields", Rules::ignore_field)?;
            each(&i.prefixes, self, "ignore.prefixes", Rules::ignore_prefix)?;
            each(
                &i.interfaces,
                self,
                "ignore.interfaces",
                Rules::ignore_interface,
            )?;
            each(&i.devices, self, "ignore.devices", |r, d| {
                r.devices.insert(d.to_string());
                Ok(())
            })?;
            each(&i.kinds, self, "ignore.kinds", |r, k| {
                let kind = Kind::parse(k)
                    .ok_or_else(|| format!("unknown kind '{k}' (one of: {})", kind_names()))?;
                r.ignored_kinds.insert(kind);
                Ok(())
            })?;
        }
        if let Some(c) = &raw.compare {
            each(
                &c.health_checks,
                self,
                "compare.health_checks",
                Rules::compare_check,
            )?;
        }
        if let Some(t) = &raw.tolerance {
            let positive = |v: &Option<Spanned<f64>>, what: &str| -> Result<Option<f64>, Error> {
                match v {
                    Some(x) if !(*x.get_ref() >= 0.0 && x.get_ref().is_finite()) => Err(err(
                        x.span(),
                        format!("tolerance.{what}: must be a number ≥ 0"),
                    )),
                    Some(x) => Ok(Some(*x.get_ref())),
                    None => Ok(None),
                }
            };
            if let Some(v) = positive(&t.rtt_ms, "rtt_ms")? {
                self.rtt_ms = v;
            }
            if let Some(v) = positive(&t.rtt_factor, "rtt_factor")? {
                self.rtt_factor = v;
            }
            if let Some(v) = &t.counters {
                self.counters = Some(*v.get_ref());
            }
            if let Some(v) = &t.uptime_slack {
                let d = humantime::parse_duration(v.get_ref())
                    .map_err(|e| err(v.span(), format!("tolerance.uptime_slack: {e}")))?;
                self.uptime_slack_s = d.as_secs_f64();
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    ignore: Option<RawIgnore>,
    compare: Option<RawCompare>,
    tolerance: Option<RawTolerance>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    fields: Option<Vec<Spanned<String>>>,
    devices: Option<Vec<Spanned<String>>>,
    prefixes: Option<Vec<Spanned<String>>>,
    interfaces: Option<Vec<Spanned<String>>>,
    kinds: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompare {
    health_checks: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTolerance {
    rtt_ms: Option<Spanned<f64>>,
    rtt_factor: Option<Spanned<f64>>,
    counters: Option<Spanned<u64>>,
    uptime_slack: Option<Spanned<String>>,
}
