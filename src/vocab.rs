//! Names that rules, facts and scan files share: LLDP capabilities and the
//! standard MIBs whose presence is evidence. One home, so a rule file and
//! the collector can never spell one differently.

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
