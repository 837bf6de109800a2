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

use crate::source::{line_of, Lines};
use crate::vocab::Role;

mod check;
pub use check::{check, expected_ports};

/// Schema identifier of the check result file.
pub const CHECK_SCHEMA: &str = "netcensus/check/v1";

/// Whether an expected device should answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Presence {
    /// It must answer (NetBox `active`, and every TOML/YAML device).
    #[default]
    Expected,
    /// Not yet (NetBox `planned`, `staged`): missing is a warning.
    Pending,
    /// It should be gone (NetBox `offline`, `decommissioning`,
    /// `inventory`, `failed`): answering fails the check.
    Retired,
}

/// One expected device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectedDevice {
    pub ip: Option<IpAddr>,
    /// Further addresses it may answer on instead (NetBox's IPv6 and OOB
    /// addresses beside the primary IPv4).
    pub also: Vec<IpAddr>,
    /// Whether it should answer: NetBox's status says.
    pub presence: Presence,
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
    /// Passed, but someone should look (a planned device not answering
    /// yet, a planned one already answering).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub warning: bool,
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
    /// Of the passed, how many with a warning.
    #[serde(default)]
    pub warnings: usize,
    pub results: Vec<Outcome>,
}

/// An expectation's result, as reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Passed, with something to look at.
    Warn,
    Fail,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

impl Outcome {
    pub fn verdict(&self) -> Verdict {
        match (self.pass, self.warning) {
            (false, _) => Verdict::Fail,
            (true, true) => Verdict::Warn,
            (true, false) => Verdict::Pass,
        }
    }
}

/// Read a topology: NetBox CSV (`.csv`), YAML (`.yaml`, `.yml`), else TOML.
pub fn load(path: &Path) -> Result<Topology, Error> {
    let file = path.display().to_string();
    let text =
        crate::source::read_input(path, crate::source::INPUT_MAX).map_err(|e| Error::Input {
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
    fn line(&self, text: &Lines, from: usize, key: &str) -> usize;
}

impl Located for Spanned<String> {
    fn value(&self) -> &str {
        self.get_ref()
    }
    fn line(&self, text: &Lines, _from: usize, _key: &str) -> usize {
        text.line(self.span().start)
    }
}

impl Located for String {
    fn value(&self) -> &str {
        self
    }
    fn line(&self, text: &Lines, from: usize, key: &str) -> usize {
        text.from(from)
            .find(|(_, l)| l.contains(key) && l.contains(self.as_str()))
            .map_or(0, |(i, _)| i)
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
    let text = &Lines::new(text);
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
            also: Vec::new(),
            presence: Presence::Expected,
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
/// NetBox's device statuses (its display names and its slugs).
fn netbox_presence(s: &str) -> Option<Presence> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "active" => Presence::Expected,
        "planned" | "staged" => Presence::Pending,
        "offline" | "failed" | "inventory" | "decommissioning" | "decommissioned" => {
            Presence::Retired
        }
        _ => return None,
    })
}

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
/// Where a NetBox CSV keeps what a check needs.
struct Columns {
    name: Option<usize>,
    /// The address columns present, primary first, with their names.
    ips: Vec<(usize, &'static str)>,
    status: Option<usize>,
    role: Option<usize>,
    vendor: Option<usize>,
    model: Option<usize>,
    serial: Option<usize>,
}

impl Columns {
    /// The export's headers (as NetBox's device table names them) and the
    /// bulk-import format's field names: either kind of file reads the
    /// same. `None` without a name or an address column.
    fn find(headers: &[String]) -> Option<Columns> {
        let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
        let ips: Vec<(usize, &'static str)> = [
            (
                &["ip address", "primary ip", "primary_ip"][..],
                "IP Address",
            ),
            (
                &["ipv4 address", "primary ipv4", "primary_ip4"][..],
                "IPv4 Address",
            ),
            (
                &["ipv6 address", "primary ipv6", "primary_ip6"][..],
                "IPv6 Address",
            ),
            (&["oob ip", "oob_ip"][..], "OOB IP"),
        ]
        .into_iter()
        .filter_map(|(names, label)| col(names).map(|c| (c, label)))
        .collect();
        let name = col(&["name"]);
        if name.is_none() && ips.is_empty() {
            return None;
        }
        Some(Columns {
            name,
            ips,
            status: col(&["status"]),
            role: col(&["role", "device role", "device_role"]),
            vendor: col(&["manufacturer"]),
            model: col(&["type", "device type", "device_type", "model"]),
            serial: col(&["serial number", "serial"]),
        })
    }
}

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
    let Columns {
        name,
        ips,
        status,
        role,
        vendor,
        model,
        serial,
    } = Columns::find(&headers).ok_or_else(|| {
        err(
            1,
            "no Name or IP Address column: not a NetBox device export".into(),
        )
    })?;
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
        let presence = match get(status) {
            None => Presence::Expected,
            Some(s) => netbox_presence(&s).ok_or_else(|| {
                err(
                    line,
                    format!(
                        "Status: '{s}' is not a NetBox device status (active, planned, staged, \
                         offline, failed, inventory, decommissioning)"
                    ),
                )
            })?,
        };
        let mut addrs = Vec::new();
        for (c, label) in &ips {
            let Some(a) = get(Some(*c)) else { continue };
            let bare = a.split('/').next().unwrap_or_default();
            let ip = bare
                .parse::<IpAddr>()
                .map_err(|_| err(line, format!("{label}: '{a}' is not an IP address")))?;
            if !addrs.contains(&ip) {
                addrs.push(ip);
            }
        }
        let n = get(name);
        if addrs.is_empty() && n.is_none() {
            return Err(err(
                line,
                "a device row with neither Name nor IP Address".into(),
            ));
        }
        let mut addrs = addrs.into_iter();
        t.devices.push(ExpectedDevice {
            ip: addrs.next(),
            also: addrs.collect(),
            presence,
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
        assert_eq!(t.devices.len(), 3, "every status is read");
        assert_eq!(t.devices[0].ip, "10.77.1.1".parse().ok());
        assert_eq!(t.devices[0].role.as_deref(), Some("router"));
        assert_eq!(t.devices[1].presence, Presence::Retired);
        assert_eq!(t.devices[2].role.as_deref(), Some("firewall"));
        assert_eq!(t.devices[2].origin, "nb.csv:4");
        // the export's IPv4/IPv6/OOB columns, the serial, and the import
        // format's field names read the same
        let export = "Name,Status,Role,Manufacturer,Type,Serial number,IPv4 Address,IPv6 Address,OOB IP\n\
                      sw-1,Planned,Access Switch,Cisco,C9300,FOC123,,2001:db8::1/64,192.0.2.10/24\n";
        let import = "name,role,manufacturer,device_type,status,site,serial,primary_ip4\n\
                      sw-1,access-switch,Cisco,C9300,staged,dc1,FOC123,10.0.0.1/24\n";
        for (text, ip, also) in [
            (
                export,
                "2001:db8::1",
                vec!["192.0.2.10".parse::<IpAddr>().unwrap()],
            ),
            (import, "10.0.0.1", vec![]),
        ] {
            let t = parse_netbox("nb.csv", text).unwrap();
            let d = &t.devices[0];
            assert_eq!(d.ip, ip.parse().ok());
            assert_eq!(d.also, also);
            assert_eq!(d.presence, Presence::Pending);
            assert_eq!(
                (d.role.as_deref(), d.model.as_deref(), d.serial.as_deref()),
                (Some("switch"), Some("C9300"), Some("FOC123"))
            );
        }
        assert_eq!(
            parse_netbox("nb.csv", "Name,Status\nx,Retired-ish\n").unwrap_err().to_string(),
            "nb.csv:2: Status: 'Retired-ish' is not a NetBox device status (active, planned, staged, \
             offline, failed, inventory, decommissioning)"
        );
        let bad = "Name,IP Address\nx,10.0.0.999/24\n";
        assert_eq!(
            parse_netbox("nb.csv", bad).unwrap_err().to_string(),
            "nb.csv:2: IP Address: '10.0.0.999/24' is not an IP address"
        );
        assert!(parse_netbox("nb.csv", "Site,Rack\nA,1\n").is_err());
    }

    #[test]
    fn eight_thousand_devices_parse_in_linear_time() {
        let mut toml = String::new();
        let mut yaml = String::from("device:\n");
        for n in 0..8000u32 {
            let ip = format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255);
            toml.push_str(&format!("[[device]]\nip = \"{ip}\"\nname = \"sw-{n}\"\n\n"));
            yaml.push_str(&format!("  - ip: {ip}\n    name: sw-{n}\n"));
        }
        let t = std::time::Instant::now();
        let a = parse_toml("t.toml", &toml).unwrap();
        let b = parse_yaml("t.yaml", &yaml).unwrap();
        // a figure for the record, not a timed assertion
        println!("8,000 topology devices, TOML and YAML: {:?}", t.elapsed());
        assert_eq!((a.devices.len(), b.devices.len()), (8000, 8000));
        assert_eq!(a.devices[7999].origin, "t.toml:31998");
        assert_eq!(b.devices[7999].origin, "t.yaml:16000");
    }

    #[test]
    fn retired_devices_that_answer_fail_and_planned_ones_only_warn() {
        let csv = "Name,Status,IP Address\n\
                   up,Active,192.0.2.1\n\
                   ghost,Offline,192.0.2.2\n\
                   soon,Planned,192.0.2.3\n\
                   early,Staged,192.0.2.4\n\
                   gone,Decommissioning,192.0.2.5\n";
        let t = Topology {
            allow_unknown: true,
            ..parse_netbox("nb.csv", csv).unwrap()
        };
        let answering = [
            ("192.0.2.1", "up"),
            ("192.0.2.2", "ghost"),
            ("192.0.2.4", "early"),
        ]
        .iter()
        .map(|(ip, name)| crate::diff::tests::dev(ip, Some(name)))
        .collect();
        let scan = crate::diff::tests::scan("2026-11-25T10:00:00.000Z", answering);
        let c = check(&t, "nb.csv", &scan);
        let verdicts: Vec<Verdict> = c.results.iter().map(Outcome::verdict).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Pass,
                Verdict::Fail,
                Verdict::Warn,
                Verdict::Warn,
                Verdict::Pass
            ]
        );
        assert!(
            c.results[1].detail.contains("offline or decommissioned"),
            "{:?}",
            c.results[1]
        );
        assert_eq!((c.passed, c.failed, c.warnings), (4, 1, 2));
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
