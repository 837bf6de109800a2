//! The crawl against the lab's site (tests/lab/configs/site.toml, its truth
//! in site-truth.toml): from the router alone, every device, every link
//! once with both ports, every end host on its access port, and not one
//! packet outside the prefixes the crawl is told to stay within. Needs the
//! lab (tests/run.sh brings it up); without it the test fails.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

const SCAN_NS: &str = "ncs-scan";
const TRUTH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/lab/configs/site-truth.toml"
);
/// The scanner namespace's end of a veth pair whose other end is in a
/// namespace of this test's own, with nothing in it: the addresses outside
/// the crawl's prefixes are routed there (without ARP), so what is sent to
/// them is counted and goes no further.
const TRAP: &str = "ncsout";
const TRAP_NS: &str = "ncs-trap";
const OUTSIDE: [&str; 3] = ["198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24"];

fn in_scan_ns(args: &[&str]) -> std::process::Output {
    Command::new("ip")
        .args(["netns", "exec", SCAN_NS])
        .args(args)
        .output()
        .expect("ip netns exec")
}

/// The trap interface, removed on drop.
struct Trap;

impl Trap {
    fn new() -> Trap {
        let _ = in_scan_ns(&["ip", "link", "del", TRAP]);
        let _ = Command::new("ip").args(["netns", "del", TRAP_NS]).status();
        let ok = |o: std::process::Output| {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        };
        ok(Command::new("ip")
            .args(["netns", "add", TRAP_NS])
            .output()
            .expect("ip"));
        let trap = Trap;
        ok(in_scan_ns(&[
            "ip", "link", "add", TRAP, "type", "veth", "peer", "name", "trap1", "netns", TRAP_NS,
        ]));
        let o = Command::new("ip")
            .args(["netns", "exec", TRAP_NS, "ip", "link", "set", "trap1", "up"])
            .output()
            .expect("ip");
        ok(o);
        // no packets of its own (IPv6 router solicitations, MLD)
        ok(in_scan_ns(&[
            "sysctl",
            "-qw",
            &format!("net.ipv6.conf.{TRAP}.disable_ipv6=1"),
        ]));
        ok(in_scan_ns(&["ip", "link", "set", TRAP, "arp", "off", "up"]));
        for net in OUTSIDE {
            ok(in_scan_ns(&["ip", "route", "add", net, "dev", TRAP]));
        }
        trap
    }

    fn sent(&self) -> u64 {
        let o = in_scan_ns(&[
            "cat",
            &format!("/sys/class/net/{TRAP}/statistics/tx_packets"),
        ]);
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse()
            .expect("tx_packets")
    }
}

impl Drop for Trap {
    fn drop(&mut self) {
        let _ = in_scan_ns(&["ip", "link", "del", TRAP]);
        let _ = Command::new("ip").args(["netns", "del", TRAP_NS]).status();
    }
}

fn netcensus(args: &[&str]) -> std::process::Output {
    Command::new("ip")
        .args(["netns", "exec", SCAN_NS, env!("CARGO_BIN_EXE_netcensus")])
        .args(args)
        .output()
        .expect("netcensus")
}

fn truth() -> toml::Table {
    toml::from_str(&std::fs::read_to_string(TRUTH).expect("site-truth.toml")).expect("TOML")
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn a_crawl_from_the_router_maps_the_site_and_probes_nothing_outside() {
    let t = truth();
    let seed = t["seed"].as_str().expect("seed");
    let trap = Trap::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("site.json");
    let out_s = out.display().to_string();
    let before = trap.sent();
    let o = netcensus(&[
        "scan",
        "-q",
        seed,
        "--crawl",
        "--crawl-within",
        "10.77.0.0/16",
        "--crawl-within",
        "fd77::/64",
        "-o",
        &out_s,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sent_outside = trap.sent() - before;
    let scan: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("out")).expect("JSON");
    let devices = scan["devices"].as_array().expect("devices");
    let name_of = |id: &str| {
        devices
            .iter()
            .find(|d| d["id"] == id)
            .map_or(id.to_string(), |d| s(&d["snmp"]["sys_name"]))
    };
    // every device, each one record (the router with its other addresses)
    for d in t["device"].as_array().expect("devices") {
        let name = d["sys_name"]
            .as_str()
            .or(d["name"].as_str())
            .expect("sysname");
        let found = devices
            .iter()
            .find(|x| x["snmp"]["sys_name"] == name)
            .unwrap_or_else(|| panic!("{name} not found by the crawl"));
        assert_eq!(
            s(&found["role"]),
            d["role"].as_str().expect("role"),
            "{name}"
        );
    }
    let core = devices
        .iter()
        .find(|x| x["snmp"]["sys_name"] == "site-core")
        .expect("core");
    let core_addrs: BTreeSet<String> = core["addresses"]
        .as_array()
        .expect("addresses")
        .iter()
        .map(|a| s(&a["ip"]))
        .collect();
    for a in ["10.77.60.1", "10.77.61.1", "fd77::60:1"] {
        assert!(
            core_addrs.contains(a),
            "site-core lacks {a}: {core_addrs:?}"
        );
    }
    // the IPv6-only switch, which only the crawl can find
    assert!(devices
        .iter()
        .any(|x| x["ip"] == "fd77::60:8" && x["snmp"]["sys_name"] == "site-v6-sw"));
    // every link once, with both ports
    let end = |a: &str, p: &str| (a.to_string(), p.to_string());
    let links = scan["links"].as_array().expect("links");
    let got: Vec<BTreeSet<(String, String)>> = links
        .iter()
        .map(|l| {
            let b = if l["b_known"] == false {
                s(&l["b"])
            } else {
                name_of(&s(&l["b"]))
            };
            [
                end(&name_of(&s(&l["a"])), &s(&l["a_port"])),
                end(&b, &s(&l["b_port"])),
            ]
            .into()
        })
        .collect();
    let want: Vec<BTreeSet<(String, String)>> = t["link"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| {
            let f = |k: &str| l[k].as_str().unwrap_or("").to_string();
            [end(&f("a"), &f("a_port")), end(&f("b"), &f("b_port"))].into()
        })
        .collect();
    for w in &want {
        assert_eq!(
            got.iter().filter(|g| *g == w).count(),
            1,
            "link {w:?} in {got:?}"
        );
    }
    assert_eq!(got.len(), want.len(), "{got:?}");
    for l in links.iter().filter(|l| l["b_known"] != false) {
        assert_eq!(
            l["seen_from"].as_array().map(Vec::len),
            Some(2),
            "seen from both ends: {l}"
        );
    }
    let cdp = links
        .iter()
        .find(|l| l["protocol"].as_array().is_some_and(|p| p.len() == 2));
    assert!(cdp.is_some(), "the link seen by LLDP and CDP is one link");
    let mismatched: Vec<&Value> = links
        .iter()
        .filter(|l| l["problems"].as_array().is_some_and(|p| !p.is_empty()))
        .collect();
    assert!(
        mismatched
            .iter()
            .any(|l| l["problems"].to_string().contains("duplex mismatch")),
        "{mismatched:?}"
    );
    // every end host on its access port, with its organisation
    let endpoints = scan["endpoints"].as_array().expect("endpoints");
    for h in t["host"].as_array().expect("hosts") {
        let mac = h["mac"].as_str().expect("mac");
        let e = endpoints
            .iter()
            .find(|e| e["mac"] == mac)
            .unwrap_or_else(|| panic!("{mac} is no endpoint"));
        let at = (name_of(&s(&e["switch"])), s(&e["port"]));
        let want = (
            h["switch"].as_str().unwrap_or("").to_string(),
            h["port"].as_str().unwrap_or("").to_string(),
        );
        assert_eq!(at, want, "{mac}");
        assert_eq!(
            s(&e["oui_vendor"]),
            h["oui_vendor"].as_str().unwrap_or(""),
            "{mac}"
        );
        if let Some(v) = h.get("vlan").and_then(toml::Value::as_integer) {
            assert_eq!(e["vlan"].as_i64(), Some(v), "{mac}");
        }
        if let Some(ip) = h.get("ip").and_then(toml::Value::as_str) {
            assert_eq!(s(&e["ip"]), ip, "{mac}");
        }
    }
    // `locate` says where a host is, in a line
    let o = netcensus(&["locate", &out_s, "10.77.61.21"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "a4:ba:db:10:00:21 (Dell Inc.) 10.77.61.21 is on site-acc-1 port 5, VLAN 10"
    );
    // the addresses advertised outside the prefixes are never probed
    for never in t["never_probe"].as_array().expect("never_probe") {
        let never = never.as_str().expect("address");
        assert!(
            devices.iter().all(|d| d["ip"] != never),
            "{never} was probed"
        );
    }
    assert_eq!(
        sent_outside, 0,
        "packets to addresses outside --crawl-within"
    );
    // the trap counts: a scan of one of them sends there
    let control = netcensus(&[
        "scan",
        "-q",
        "198.51.100.1",
        "--no-inventory",
        "-o",
        &format!("{out_s}.2.json"),
    ]);
    assert!(control.status.code().is_some(), "control scan ran");
    assert!(trap.sent() > before, "the trap counts what is sent to it");
}
