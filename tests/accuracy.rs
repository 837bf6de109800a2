//! Classification accuracy over the snmpsim-data recordings of
//! tests/lab/configs/all-devices.toml, against tests/lab/truth.toml: once
//! on the full recordings, once on the same recordings reduced to the
//! system group (all-devices-system-group.toml: what a restricted view or a
//! bare-bones agent gives). tests/run.sh brings each lab up for its test
//! alone; a test fails (never skips) when another lab is up. Prints the
//! confusion matrix, accuracy, and the wrong roles (unknown is not wrong).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

const MANIFEST: &str = "/run/netcensus-lab/manifest.json";
const NETWORK_ROLES: [&str; 4] = ["router", "switch", "firewall", "access_point"];

#[derive(Deserialize)]
struct Truth {
    device: Vec<TruthDevice>,
}

#[derive(Deserialize)]
struct TruthDevice {
    recording: String,
    label: String,
    role: String,
    vendor: Option<String>,
}

fn role_counted(recording: &str) -> bool {
    [
        "network/router/",
        "network/switch/",
        "network/firewall/",
        "network/wifi/",
    ]
    .iter()
    .any(|p| recording.starts_with(p))
}

/// Thresholds of one run.
struct Goals {
    lab: &'static str,
    role_pct: f64,
    vendor_pct: f64,
    /// Vendor counted only for devices whose sysObjectID is an enterprise one.
    vendor_needs_enterprise_oid: bool,
}

#[test]
#[ignore = "needs the all-devices lab: run tests/run.sh"]
fn classification_accuracy() {
    accuracy(&Goals {
        lab: "all-devices.toml",
        role_pct: 97.0,
        vendor_pct: 99.0,
        vendor_needs_enterprise_oid: false,
    });
}

#[test]
#[ignore = "needs the all-devices-system-group lab: run tests/run.sh"]
fn classification_accuracy_system_group() {
    accuracy(&Goals {
        lab: "all-devices-system-group.toml",
        role_pct: 95.0,
        vendor_pct: 98.0,
        vendor_needs_enterprise_oid: true,
    });
}

fn accuracy(goals: &Goals) {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(MANIFEST)
            .unwrap_or_else(|e| panic!("lab is not up ({MANIFEST}: {e})")),
    )
    .expect("manifest");
    let config = manifest["config"].as_str().unwrap_or_default();
    assert!(
        config.ends_with(&format!("/{}", goals.lab)),
        "this test needs `nclab up tests/lab/configs/{}`, the lab up is {config}",
        goals.lab
    );
    let truth: Truth = toml::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lab/truth.toml"))
            .expect("truth.toml"),
    )
    .expect("truth.toml parses");
    let truth: BTreeMap<&str, &TruthDevice> = truth
        .device
        .iter()
        .map(|t| (t.recording.as_str(), t))
        .collect();

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("all.json");
    let status = Command::new("ip")
        .args([
            "netns",
            "exec",
            "ncs-scan",
            env!("CARGO_BIN_EXE_netcensus"),
            "scan",
            "-q",
            "10.77.0.0/20",
            "-o",
        ])
        .arg(&out)
        // the lab's v3-only device uses snmpsim's default user; with a
        // user given, public must be asked for
        .args([
            "-c",
            "public",
            "--v3-user",
            "simulator",
            "--v3-auth-proto",
            "md5",
            "--v3-priv-proto",
            "des",
        ])
        .env("NETCENSUS_V3_AUTH_KEY", "auctoritas")
        .env("NETCENSUS_V3_PRIV_KEY", "privatus")
        .status()
        .expect("scan");
    assert!(status.success());
    let scan: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("scan file")).expect("json");
    let found: BTreeMap<String, &Value> = scan["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .map(|d| (d["ip"].as_str().unwrap_or_default().to_string(), d))
        .collect();

    if !goals.vendor_needs_enterprise_oid {
        stack_members(&manifest, &found);
    }

    let mut matrix: BTreeMap<(String, String), u32> = BTreeMap::new();
    let (mut role_ok, mut role_n, mut vendor_ok, mut vendor_n) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    let mut false_network = Vec::new();
    let mut wrong_roles = Vec::new();
    let mut devices = 0u32;
    for h in manifest["hosts"].as_array().expect("hosts") {
        let Some(rec) = h["recording"].as_str() else {
            continue;
        };
        let t = truth
            .get(rec)
            .unwrap_or_else(|| panic!("{rec} missing from truth.toml"));
        let ip = h["ip"].as_str().unwrap_or_default();
        let d = found.get(ip);
        let role = d
            .and_then(|d| d["role"].as_str())
            .unwrap_or("(not found)")
            .to_string();
        let vendor = d.and_then(|d| d["vendor"].as_str()).map(str::to_string);
        devices += 1;
        if role != t.role && role != "unknown" {
            wrong_roles.push(format!("{rec}: {role}, truth {}", t.role));
        }
        if role_counted(rec) {
            role_n += 1;
            *matrix.entry((t.role.clone(), role.clone())).or_default() += 1;
            if role == t.role {
                role_ok += 1;
            } else {
                misses.push(format!(
                    "role   {rec}: {role}, truth {} (label {})",
                    t.role, t.label
                ));
            }
        }
        if !NETWORK_ROLES.contains(&t.role.as_str()) && NETWORK_ROLES.contains(&role.as_str()) {
            false_network.push(format!("{rec}: {role}, truth {}", t.role));
        }
        let enterprise_oid = d
            .and_then(|d| d["snmp"]["sys_object_id"].as_str())
            .is_some_and(|o| o.trim_start_matches('.').starts_with("1.3.6.1.4.1."));
        if goals.vendor_needs_enterprise_oid && !enterprise_oid {
            continue;
        }
        vendor_n += 1;
        if vendor == t.vendor {
            vendor_ok += 1;
        } else {
            misses.push(format!("vendor {rec}: {vendor:?}, truth {:?}", t.vendor));
        }
    }

    let roles: BTreeSet<String> = matrix
        .keys()
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect();
    let mut table = String::from("| truth \\ found |");
    for r in &roles {
        table.push_str(&format!(" {r} |"));
    }
    table.push_str("\n|---|");
    table.push_str(&"---|".repeat(roles.len()));
    for t in roles.iter().filter(|r| matrix.keys().any(|(a, _)| a == *r)) {
        table.push_str(&format!("\n| **{t}** |"));
        for f in &roles {
            let n = matrix.get(&(t.clone(), f.clone())).copied().unwrap_or(0);
            table.push_str(&if n == 0 {
                " · |".to_string()
            } else {
                format!(" {n} |")
            });
        }
    }
    let role_pct = 100.0 * f64::from(role_ok) / f64::from(role_n.max(1));
    let vendor_pct = 100.0 * f64::from(vendor_ok) / f64::from(vendor_n.max(1));
    println!("{table}\n");
    println!("role: {role_ok}/{role_n} = {role_pct:.1}% (network/router, switch, firewall, wifi)");
    let wrong_pct = 100.0 * wrong_roles.len() as f64 / f64::from(devices.max(1));
    println!(
        "vendor: {vendor_ok}/{vendor_n} = {vendor_pct:.1}% ({})",
        if goals.vendor_needs_enterprise_oid {
            "recordings with an enterprise sysObjectID"
        } else {
            "all recordings"
        }
    );
    println!(
        "wrong role (unknown is not wrong): {}/{devices} = {wrong_pct:.1}%",
        wrong_roles.len()
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(
        false_network.is_empty(),
        "non-network gear classified as network gear: {false_network:?}"
    );
    assert!(
        role_pct >= goals.role_pct,
        "role accuracy {role_pct:.1}% < {}%",
        goals.role_pct
    );
    assert!(
        vendor_pct >= goals.vendor_pct,
        "vendor accuracy {vendor_pct:.1}% < {}%",
        goals.vendor_pct
    );
    assert!(
        wrong_pct < 1.0,
        "wrong roles {wrong_pct:.1}% >= 1%: {wrong_roles:?}"
    );
}

/// The H3C IRF recording of the lab (a stack(11) row holding two chassis
/// rows, ENTITY-MIB): both members with their serials, the stack's serial
/// the device's.
fn stack_members(manifest: &Value, found: &BTreeMap<String, &Value>) {
    let ip = manifest["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .find(|h| {
            h["recording"]
                .as_str()
                .is_some_and(|r| r.ends_with("h3c-comware-7-1-075"))
        })
        .and_then(|h| h["ip"].as_str())
        .expect("the IRF recording is in the lab");
    let d = found.get(ip).expect("the IRF device was found");
    let serials: Vec<&str> = d["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["serial"].as_str())
        .collect();
    assert_eq!(
        serials,
        ["210235A0YVX18A00000B", "210235A0YVX18A00000K"],
        "{}",
        d["members"]
    );
    assert_eq!(d["serial"], "210231A2PJB18A000023", "the stack's serial");
}
