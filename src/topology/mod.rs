//! Known-topology checks: a human-written expectation of the network (TOML,
//! or a NetBox device CSV export) checked against a scan, one pass/fail per
//! expectation.
//!
//! ```toml
//! allow_unknown = false        # devices the file does not list fail the check
//!
//! [[device]]
//! ip = "10.77.1.1"             # ip and/or name locate the device
//! name = "core-rtr-1"          # sysName, case-insensitive
//! role = "router"              # one of the roles
//! vendor = "Juniper"           # case-insensitive
//! model = "MX960"              # case-insensitive; a prefix of the model is enough
//!
//! [[link]]
//! from = "core-rtr-1"          # a device: name or IP
//! to = "edge-sw-7"             # the neighbour's advertised name (or a device's IP)
//! from_port = "ge-1/0/0"       # optional
//! to_port = "Gi1/0/1"          # optional
//! ```

use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::Error;

use crate::source::line_of;
use crate::vocab::Role;

mod check;
pub use check::{check, expected_ports};

/// Schema identifier of the check result file.
pub const CHECK_SCHEMA: &str = "netcensus/check/v1";

/// One expected device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectedDevice {
    pub ip: Option<IpAddr>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// Where it was written (`file:line`), for the results.
    pub origin: String,
}

/// One expected link.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectedLink {
    pub from: String,
    pub from_port: Option<String>,
    pub to: String,
    pub to_port: Option<String>,
    pub origin: String,
}

/// The expected network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Topology {
    pub devices: Vec<ExpectedDevice>,
    pub links: Vec<ExpectedLink>,
    pub allow_unknown: bool,
}

/// The outcome of one expectation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// What was expected, in words.
    pub expectation: String,
    pub pass: bool,
    /// What the scan showed.
    pub detail: String,
    /// Where the expectation was written (`file:line`); null for the
    /// unknown-device check.
    pub origin: Option<String>,
}

/// The check file (`netcensus/check/v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub schema: String,
    pub topology: String,
    pub scan_started_at: String,
    pub passed: usize,
    pub failed: usize,
    pub results: Vec<Outcome>,
}

/// Read a topology: NetBox CSV (`.csv`), YAML (`.yaml`, `.yml`), else TOML.
pub fn load(path: &Path) -> Result<Topology, Error> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Input {
        file: file.clone(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => parse_netbox(&file, &text),
        Some("yaml" | "yml") => parse_yaml(&file, &text),
        _ => parse_toml(&file, &text),
    }
}

/// A string from a topology file and the line it is on: TOML knows its
/// spans; YAML values are found in the text, from the item's line on.
trait Located {
    fn value(&self) -> &str;
    /// The line of this value, written under `key`, at or after `from`.
    fn line(&self, text: &str, from: usize, key: &str) -> usize;
}

impl Located for Spanned<String> {
    fn value(&self) -> &str {
        self.get_ref()
    }
    fn line(&self, text: &str, _from: usize, _key: &str) -> usize {
        line_of(text, self.span().start)
    }
}

impl Located for String {
    fn value(&self) -> &str {
        self
    }
    fn line(&self, text: &str, from: usize, key: &str) -> usize {
        text.lines()
            .enumerate()
            .skip(from.saturating_sub(1))
            .find(|(_, l)| l.contains(key) && l.contains(self.as_str()))
            .map_or(0, |(i, _)| i + 1)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopology<S> {
    #[serde(default)]
    allow_unknown: bool,
    #[serde(default = "Vec::new")]
    device: Vec<RawDevice<S>>,
    #[serde(default = "Vec::new")]
    link: Vec<RawLink<S>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice<S> {
    ip: Option<S>,
    name: Option<S>,
    role: Option<S>,
    vendor: Option<String>,
    model: Option<String>,
    serial: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink<S> {
    from: S,
    from_port: Option<String>,
    to: String,
    to_port: Option<String>,
}

/// Parse a TOML topology named `file`.
pub fn parse_toml(file: &str, text: &str) -> Result<Topology, Error> {
    let raw: RawTopology<Spanned<String>> = toml::from_str(text).map_err(|e| Error::Input {
        file: file.to_string(),
        line: line_of(text, e.span().map_or(0, |s| s.start)),
        message: e.message().trim().to_string(),
    })?;
    build(file, text, raw)
}

/// Parse a YAML topology named `file` (the TOML layout: `allow_unknown`,
/// a `device` list, a `link` list).
pub fn parse_yaml(file: &str, text: &str) -> Result<Topology, Error> {
    let raw: RawTopology<String> = serde_norway::from_str(text).map_err(|e| {
        let msg = e.to_string();
        // serde_norway appends " at line L column C": the line is ours to say
        let message = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Error::Input {
            file: file.to_string(),
            line: e.location().map_or(0, |l| l.line()),
            message,
        }
    })?;
    build(file, text, raw)
}

/// Validate a parsed topology into expectations.
fn build<S: Located>(file: &str, text: &str, raw: RawTopology<S>) -> Result<Topology, Error> {
    let err = |line: usize, message: String| Error::Input {
        file: file.to_string(),
        line,
        message,
    };
    let mut t = Topology {
        allow_unknown: raw.allow_unknown,
        ..Topology::default()
    };
    let mut cursor = 1;
    for (i, d) in raw.device.into_iter().enumerate() {
        let Some(first) = d.ip.as_ref().or(d.name.as_ref()) else {
            let line = d.role.as_ref().map_or(0, |r| r.line(text, cursor, "role"));
            return Err(err(
                line,
                format!("device {}: needs an ip or a name", i + 1),
            ));
        };
        let key = if d.ip.is_some() { "ip" } else { "name" };
        let line = first.line(text, cursor, key);
        cursor = line.max(cursor);
        let ip = match &d.ip {
            Some(s) => Some(s.value().parse::<IpAddr>().map_err(|_| {
                err(
                    s.line(text, line, "ip"),
                    format!("device ip: '{}' is not an IP address", s.value()),
                )
            })?),
            None => None,
        };
        if let Some(r) = &d.role {
            if Role::parse(r.value()).is_none() {
                return Err(err(
                    r.line(text, line, "role"),
                    format!(
                        "device role: unknown role '{}' (one of: {})",
                        r.value(),
                        Role::names()
                    ),
                ));
            }
        }
        t.devices.push(ExpectedDevice {
            ip,
            name: d.name.map(|n| n.value().to_string()),
            role: d.role.map(|r| r.value().to_string()),
            vendor: d.vendor,
            model: d.model,
            serial: d.serial,
            origin: format!("{file}:{line}"),
        });
    }
    for l in raw.link {
        let line = l.from.line(text, cursor, "from");
        cursor = line.max(cursor);
        t.links.push(ExpectedLink {
            from: l.from.value().to_string(),
            from_port: l.from_port,
            to: l.to,
            to_port: l.to_port,
            origin: format!("{file}:{line}"),
        });
    }
    Ok(t)
}

/// NetBox roles are free text: the role they name, where one is clear.
fn netbox_role(s: &str) -> Option<&'static str> {
    let s = s.to_ascii_lowercase();
    let has = |w: &[&str]| w.iter().any(|x| s.contains(x));
    Some(if has(&["firewall"]) {
        "firewall"
    } else if has(&["router"]) {
        "router"
    } else if has(&["switch"]) {
        "switch"
    } else if has(&["access point", "access-point", "wireless", "wlc", "wifi"]) {
        "access_point"
    } else if has(&["ups", "pdu", "power"]) {
        "power"
    } else if has(&["server", "hypervisor"]) {
        "server"
    } else if has(&["printer"]) {
        "printer"
    } else if has(&["storage", "nas", "san"]) {
        "storage"
    } else if has(&["camera"]) {
        "camera"
    } else {
        return None;
    })
}

/// Parse a NetBox device CSV export (Devices → Export → CSV): columns
/// Name, Status, Role (or Device Role), Manufacturer, Type (or Device
/// Type), IP Address (or Primary IPv4 / Primary IP), Serial Number; others
/// are ignored. Devices whose status is not Active are not expected to answer.
pub fn parse_netbox(file: &str, text: &str) -> Result<Topology, Error> {
    let err = |line: usize, message: String| Error::Input {
        file: file.to_string(),
        line,
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| err(1, format!("not CSV: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let name = col(&["name"]);
    let ip = col(&["ip address", "primary ipv4", "primary ip", "primary ipv6"]);
    if name.is_none() && ip.is_none() {
        return Err(err(
            1,
            "no Name or IP Address column: not a NetBox device export".into(),
        ));
    }
    let status = col(&["status"]);
    let role = col(&["role", "device role"]);
    let vendor = col(&["manufacturer"]);
    let model = col(&["type", "device type", "model"]);
    let serial = col(&["serial number", "serial"]);
    let mut t = Topology::default();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            err(line, format!("bad CSV: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        if get(status).is_some_and(|s| !s.eq_ignore_ascii_case("active")) {
            continue;
        }
        let addr =
            match get(ip) {
                Some(a) => {
                    let bare = a.split('/').next().unwrap_or_default();
                    Some(bare.parse::<IpAddr>().map_err(|_| {
                        err(line, format!("IP Address: '{a}' is not an IP address"))
                    })?)
                }
                None => None,
            };
        let n = get(name);
        if addr.is_none() && n.is_none() {
            return Err(err(
                line,
                "a device row with neither Name nor IP Address".into(),
            ));
        }
        t.devices.push(ExpectedDevice {
            ip: addr,
            name: n,
            role: get(role).and_then(|r| netbox_role(&r)).map(str::to_string),
            vendor: get(vendor),
            model: get(model),
            serial: get(serial),
            origin: format!("{file}:{line}"),
        });
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_topologies_are_validated_with_lines() {
        let t = parse_toml(
            "t.toml",
            "allow_unknown = true\n[[device]]\nip = \"10.0.0.1\"\nrole = \"router\"\n[[link]]\nfrom = \"a\"\nto = \"b\"\n",
        )
        .unwrap();
        assert_eq!(
            (t.devices.len(), t.links.len(), t.allow_unknown),
            (1, 1, true)
        );
        assert_eq!(t.devices[0].origin, "t.toml:3");
        let e = |text: &str| parse_toml("t.toml", text).unwrap_err().to_string();
        assert!(e("[[device]]\nip = \"10.0.0.1\"\nrole = \"routr\"\n")
            .starts_with("t.toml:3: device role: unknown role 'routr'"));
        assert!(e("[[device]]\n\nip = \"10.0.0.300\"\n").starts_with("t.toml:3: device ip:"));
        assert!(e("[[device]]\nrole = \"router\"\n")
            .starts_with("t.toml:2: device 1: needs an ip or a name"));
        assert!(e("[[device]]\nip = \"10.0.0.1\"\ncolour = \"red\"\n").starts_with("t.toml:"));
    }

    #[test]
    fn yaml_topologies_read_like_toml_with_lines() {
        let y = "allow_unknown: true\ndevice:\n  - ip: 10.0.0.1\n    role: router\n  - name: sw2\n    vendor: Cisco\nlink:\n  - from: sw2\n    to: core\n";
        let t = parse_yaml("t.yaml", y).unwrap();
        assert_eq!(
            (t.devices.len(), t.links.len(), t.allow_unknown),
            (2, 1, true)
        );
        assert_eq!(t.devices[0].ip, "10.0.0.1".parse().ok());
        assert_eq!(t.devices[1].origin, "t.yaml:5");
        assert_eq!(t.links[0].origin, "t.yaml:8");
        let e = |text: &str| parse_yaml("t.yaml", text).unwrap_err().to_string();
        assert_eq!(
            e("device:\n  - ip: 10.0.0.1\n  - ip: 10.0.0.2\n    role: routr\n"),
            format!(
                "t.yaml:4: device role: unknown role 'routr' (one of: {})",
                Role::names()
            )
        );
        assert!(e("device:\n  - ip: 10.0.0.300\n").starts_with("t.yaml:2: device ip:"));
        let unknown = e("device:\n  - ip: 10.0.0.1\n    colour: red\n");
        assert!(
            unknown.starts_with("t.yaml:3:") && unknown.contains("colour"),
            "{unknown}"
        );
    }

    #[test]
    fn netbox_exports_are_read_by_their_headers() {
        let csv = "\u{feff}Name,Status,Tenant,Site,Role,Manufacturer,Type,IP Address\n\
                   core-rtr-1,Active,,DC1,Core Router,Juniper,MX960,10.77.1.1/24\n\
                   old-sw,Decommissioning,,DC1,Access Switch,Cisco,C3750,10.77.9.9/24\n\
                   fw-1,Active,,DC1,Edge Firewall,Palo Alto,PA-5000,\n";
        let t = parse_netbox("nb.csv", csv).unwrap();
        assert_eq!(t.devices.len(), 2);
        assert_eq!(t.devices[0].ip, "10.77.1.1".parse().ok());
        assert_eq!(t.devices[0].role.as_deref(), Some("router"));
        assert_eq!(t.devices[1].role.as_deref(), Some("firewall"));
        assert_eq!(t.devices[1].origin, "nb.csv:4");
        let bad = "Name,IP Address\nx,10.0.0.999/24\n";
        assert_eq!(
            parse_netbox("nb.csv", bad).unwrap_err().to_string(),
            "nb.csv:2: IP Address: '10.0.0.999/24' is not an IP address"
        );
        assert!(parse_netbox("nb.csv", "Site,Rack\nA,1\n").is_err());
    }

    #[test]
    fn the_ports_links_are_expected_on_belong_to_both_ends() {
        let t = parse_toml(
            "t.toml",
            "[[link]]\nfrom = \"core\"\nfrom_port = \" Ge-1/0/5 \"\nto = \"10.0.0.2\"\nto_port = \"Gi0/1\"\n\
             [[link]]\nfrom = \"core\"\nto = \"elsewhere\"\nto_port = \"x\"\n",
        )
        .unwrap();
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/scan.json"
        ));
        let one = crate::scanfile::parse(text).unwrap().devices[0].clone();
        let dev = |ip: &str, name: &str| {
            let mut d = one.clone();
            d.ip = ip.parse().unwrap();
            d.addresses.clear();
            d.snmp = Some(crate::model::Snmp {
                sys_name: Some(name.into()),
                ..Default::default()
            });
            d
        };
        let devices = [
            dev("10.0.0.1", "CORE"),
            dev("10.0.0.2", "edge"),
            dev("10.0.0.3", "x"),
        ];
        let p = expected_ports(&t, &devices);
        let names = |i: usize| p[i].iter().cloned().collect::<Vec<_>>();
        assert_eq!(names(0), ["ge-1/0/5"]);
        assert_eq!(names(1), ["gi0/1"]);
        assert!(p[2].is_empty(), "a device no link names");
    }
}
