//! Names that rules, facts and scan files share: device roles, LLDP
//! capabilities, the standard MIBs whose presence is evidence. One home, so
//! a rule file, the collector and a report can never spell one differently.

use serde::{Deserialize, Serialize};

/// What a device is (see DESIGN.md): the four kinds of network gear, and
/// the kinds of other gear that must never be called network gear.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Router,
    Switch,
    Firewall,
    AccessPoint,
    Server,
    Printer,
    Power,
    Storage,
    Camera,
    Appliance,
    #[default]
    Unknown,
}

impl Role {
    /// Every role, in the order of DESIGN.md.
    pub const ALL: [Role; 11] = [
        Role::Router,
        Role::Switch,
        Role::Firewall,
        Role::AccessPoint,
        Role::Server,
        Role::Printer,
        Role::Power,
        Role::Storage,
        Role::Camera,
        Role::Appliance,
        Role::Unknown,
    ];

    /// The role's name in rules, scan files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Role::Router => "router",
            Role::Switch => "switch",
            Role::Firewall => "firewall",
            Role::AccessPoint => "access_point",
            Role::Server => "server",
            Role::Printer => "printer",
            Role::Power => "power",
            Role::Storage => "storage",
            Role::Camera => "camera",
            Role::Appliance => "appliance",
            Role::Unknown => "unknown",
        }
    }

    /// The role of a name, if it is one.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Every name, for messages ("one of: ...").
    pub fn names() -> String {
        Role::ALL.map(Role::name).join(", ")
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// LLDP system capability bits, most significant first (IEEE 802.1AB).
pub const LLDP_CAP_NAMES: [&str; 8] = [
    "other",
    "repeater",
    "bridge",
    "wlan-access-point",
    "router",
    "telephone",
    "docsis",
    "station",
];

/// Standard MIBs a rule may name (`mib`, `mib_absent`): HOST-RESOURCES-MIB,
/// Printer-MIB, UPS-MIB, ENTITY-MIB.
pub const MIB_NAMES: [&str; 4] = ["host-resources", "printer", "ups", "entity"];

/// A device's health, worst last: the order is the severity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum HealthLevel {
    #[default]
    Ok,
    Warning,
    Critical,
    Unreachable,
}

impl HealthLevel {
    /// Every level, least severe first.
    pub const ALL: [HealthLevel; 4] = [
        HealthLevel::Ok,
        HealthLevel::Warning,
        HealthLevel::Critical,
        HealthLevel::Unreachable,
    ];

    /// The level's name in scan files and reports.
    pub fn name(self) -> &'static str {
        match self {
            HealthLevel::Ok => "ok",
            HealthLevel::Warning => "warning",
            HealthLevel::Critical => "critical",
            HealthLevel::Unreachable => "unreachable",
        }
    }

    /// The level of a name, if it is one.
    pub fn parse(name: &str) -> Option<HealthLevel> {
        HealthLevel::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl std::fmt::Display for HealthLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What health is judged on. Declared in name order: scan files list the
/// checks of a device in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheck {
    Cpu,
    IfErrors,
    /// The two ends of a link disagree on speed, duplex or MTU.
    LinkMismatch,
    Loss,
    Mem,
    OperDown,
    Reboot,
    Rtt,
    Temp,
    Unreachable,
}

impl HealthCheck {
    /// Every check, in the order messages list them.
    pub const ALL: [HealthCheck; 10] = [
        HealthCheck::Unreachable,
        HealthCheck::Loss,
        HealthCheck::Rtt,
        HealthCheck::Cpu,
        HealthCheck::Mem,
        HealthCheck::Temp,
        HealthCheck::Reboot,
        HealthCheck::OperDown,
        HealthCheck::IfErrors,
        HealthCheck::LinkMismatch,
    ];

    /// The check's name in scan files, diff rules and reports.
    pub fn name(self) -> &'static str {
        match self {
            HealthCheck::Cpu => "cpu",
            HealthCheck::IfErrors => "if_errors",
            HealthCheck::Loss => "loss",
            HealthCheck::Mem => "mem",
            HealthCheck::OperDown => "oper_down",
            HealthCheck::Reboot => "reboot",
            HealthCheck::Rtt => "rtt",
            HealthCheck::Temp => "temp",
            HealthCheck::Unreachable => "unreachable",
            HealthCheck::LinkMismatch => "link_mismatch",
        }
    }

    /// The check of a name, if it is one.
    pub fn parse(name: &str) -> Option<HealthCheck> {
        HealthCheck::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl std::fmt::Display for HealthCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a host was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    Icmp,
    Snmp,
    Tcp,
}

impl Protocol {
    /// The protocol's name in scan files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Icmp => "icmp",
            Protocol::Snmp => "snmp",
            Protocol::Tcp => "tcp",
        }
    }
}

/// The SNMP version an agent answered with.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum SnmpVersion {
    #[serde(rename = "v1")]
    V1,
    #[default]
    #[serde(rename = "v2c")]
    V2c,
    #[serde(rename = "v3")]
    V3,
}

impl SnmpVersion {
    /// The version's name in scan files and reports.
    pub fn name(self) -> &'static str {
        match self {
            SnmpVersion::V1 => "v1",
            SnmpVersion::V2c => "v2c",
            SnmpVersion::V3 => "v3",
        }
    }
}

impl std::fmt::Display for SnmpVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The device fields a diff compares (`changed`) and a diff rule may
/// ignore, by their names in the scan file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceField {
    SysName,
    SysDescr,
    SysObjectId,
    SysLocation,
    SysContact,
    Role,
    Vendor,
    Model,
    Os,
    OsVersion,
    Serial,
}

impl DeviceField {
    /// Every field, in the order a diff lists its changes.
    pub const ALL: [DeviceField; 11] = [
        DeviceField::SysName,
        DeviceField::SysDescr,
        DeviceField::SysObjectId,
        DeviceField::SysLocation,
        DeviceField::SysContact,
        DeviceField::Role,
        DeviceField::Vendor,
        DeviceField::Model,
        DeviceField::Os,
        DeviceField::OsVersion,
        DeviceField::Serial,
    ];

    /// The field's name in scan files, diff rules and reports.
    pub fn name(self) -> &'static str {
        match self {
            DeviceField::SysName => "sys_name",
            DeviceField::SysDescr => "sys_descr",
            DeviceField::SysObjectId => "sys_object_id",
            DeviceField::SysLocation => "sys_location",
            DeviceField::SysContact => "sys_contact",
            DeviceField::Role => "role",
            DeviceField::Vendor => "vendor",
            DeviceField::Model => "model",
            DeviceField::Os => "os",
            DeviceField::OsVersion => "os_version",
            DeviceField::Serial => "serial",
        }
    }

    /// The field of a name, if it is one.
    pub fn parse(name: &str) -> Option<DeviceField> {
        DeviceField::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Every name, for messages ("one of: ...").
    pub fn names() -> String {
        DeviceField::ALL.map(DeviceField::name).join(", ")
    }
}

impl std::fmt::Display for DeviceField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
