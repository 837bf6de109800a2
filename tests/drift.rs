//! Baseline, drift and topology checks against the lab in two states:
//! tests/lab/configs/small.toml, then drift-after.toml (seven changes: a
//! device removed, one added, one moved, a sysName changed, a reboot, an
//! interface down, a plain host gone). The test brings the lab up in each
//! state itself (tests/run.sh runs it on its own, after the other lab
//! tests); it fails, never skips, when the lab cannot come up.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const SCAN_NS: &str = "ncs-scan";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lab_up(config: &str) {
    let o = Command::new(root().join("tests/lab/nclab"))
        .arg("up")
        .arg(root().join("tests/lab/configs").join(config))
        .output()
        .expect("run nclab");
    assert!(
        o.status.success(),
        "nclab up {config}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn netcensus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netcensus"))
        .args(args)
        .output()
        .expect("run netcensus")
}

/// A scan of the whole lab inside the scanner namespace. Retries and
/// echoes are generous: the lab has a 30 %-loss host (three lost echoes out
/// of three would make it `unreachable`, a health transition) and a switch
/// dropping 10 % of SNMP requests (a lost row would be real drift).
fn scan(extra: &[&str]) -> Output {
    Command::new("ip")
        .args(["netns", "exec", SCAN_NS, env!("CARGO_BIN_EXE_netcensus")])
        .args([
            "scan",
            "10.77.0.0/16",
            // both families: the dual-stack switch is one device, and its
            // changes are reported once
            "fd77::/120",
            "fd77::2:0/120",
            "-q",
            "--inventory",
            "--retries",
            "5",
            "--count",
            "10",
            "--snmp-retries",
            "4",
        ])
        .args(extra)
        .output()
        .expect("run ip netns exec")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("JSON")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn changes(diff: &Value) -> BTreeSet<(String, String, String)> {
    diff["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or("").to_string(),
                c["ip"].as_str().unwrap_or("").to_string(),
                c["field"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn failed(check: &Value) -> BTreeSet<String> {
    check["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["pass"] == false)
        .map(|r| r["expectation"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
#[ignore = "brings up its own lab states: run tests/run.sh"]
fn drift_between_two_lab_states_is_every_change_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |name: &str| dir.path().join(name);
    let topology = root().join("examples/lab-topology.toml");
    let netbox = root().join("examples/lab-netbox.csv");
    let yaml = root().join("examples/lab-topology.yaml");

    lab_up("small.toml");
    let o = scan(&[
        "-o",
        s(&p("before.json")),
        "--save-baseline",
        s(&p("base.json")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let base = json(&p("base.json"));
    assert!(base["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .all(|d| d["snmp_stats"].is_null()));
    // no baseline yet: no device warns for ports nobody described or for
    // error counters since boot; down ports with a description do
    for d in json(&p("before.json"))["devices"]
        .as_array()
        .expect("devices")
    {
        for r in d["health"]["reasons"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap_or("");
            assert!(!r.contains("errors"), "{}: {r}", d["ip"]);
            if let Some(ports) = r.split_once("): ").map(|x| x.1) {
                if r.contains("port(s) in use are down") {
                    assert!(
                        ports.split(", ").all(|p| p.contains('"')),
                        "{}: an undescribed port warns: {r}",
                        d["ip"]
                    );
                }
            }
        }
    }
    // saved through the subcommand: the same file
    let o = netcensus(&[
        "baseline",
        "save",
        s(&p("before.json")),
        "-o",
        s(&p("base2.json")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(json(&p("base2.json")), base);

    // the same network again: timestamps, RTT, loss and uptime move, and
    // none of that is drift
    let o = scan(&[
        "-o",
        s(&p("again.json")),
        "--baseline",
        s(&p("base.json")),
        "--fail-on",
        "any",
        "--diff-output",
        s(&p("none.json")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        changes(&json(&p("none.json"))).is_empty(),
        "{}",
        json(&p("none.json"))
    );
    // -q and no drift: silent, as cron wants
    assert!(o.stdout.is_empty(), "{}", text(&o));

    // the expected topology holds, from TOML and from a NetBox export (which
    // lists only the network gear: the other hosts are allowed)
    let before_path = p("before.json");
    let before = s(&before_path);
    for args in [
        vec!["check", s(&topology), before],
        vec!["check", s(&yaml), before],
        vec!["check", s(&netbox), before, "--allow-unknown"],
    ] {
        let o = netcensus(&[args.as_slice(), &["-o", s(&p("check.json"))]].concat());
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        let c = json(&p("check.json"));
        assert_eq!(c["failed"], 0, "{c}");
        assert!(c["passed"].as_u64() >= Some(5), "{c}");
    }
    // without --allow-unknown the hosts NetBox does not list fail it
    let o = netcensus(&["check", s(&netbox), before]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    lab_up("drift-after.toml");
    let o = scan(&[
        "-o",
        s(&p("after.json")),
        "--baseline",
        s(&p("base.json")),
        "--fail-on",
        "any",
        "--diff-output",
        s(&p("drift.json")),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "drift fails --fail-on any: {}",
        text(&o)
    );
    let drift = json(&p("drift.json"));
    assert_eq!(drift["schema"], "netcensus/diff/v1");
    // the described port that went down warns, by name
    let after = json(&p("after.json"));
    let sw = after["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["ip"] == "10.77.2.1")
        .expect("access-sw-1");
    assert_eq!(sw["health"]["status"], "warning", "{}", sw["health"]);
    assert!(
        sw["health"]["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r
                .as_str()
                .is_some_and(|r| r.contains("port(s) in use are down")
                    && r.contains("Gi1/0/1 \"DJ_200_POE\""))),
        "{}",
        sw["health"]
    );
    let want: BTreeSet<(String, String, String)> = [
        ("removed", "10.77.0.13", ""),
        ("rebooted", "10.77.1.1", "uptime"),
        ("removed", "10.77.1.2", ""),
        ("interfaces", "10.77.2.1", "interface Gi1/0/1"),
        ("changed", "10.77.2.2", "sys_name"),
        ("added", "10.77.2.4", ""),
        ("moved", "10.77.6.2", ""),
    ]
    .iter()
    .map(|(k, i, f)| (k.to_string(), i.to_string(), f.to_string()))
    .collect();
    assert_eq!(changes(&drift), want, "{drift}");
    let by_kind = |k: &str| {
        drift["changes"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["kind"] == k))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(by_kind("moved")["old_ip"], "10.77.6.1");
    assert_eq!(by_kind("changed")["to"], "access-sw-2-renamed");
    assert_eq!(by_kind("interfaces")["to"], "admin up oper down");
    // the drift is printed even with -q
    assert!(text(&o).contains("7 change(s)"), "{}", text(&o));

    // the diff subcommand on the two files: same changes; --fail-on picks kinds
    let (base_path, after_path) = (p("base.json"), p("after.json"));
    let (b, a) = (s(&base_path), s(&after_path));
    let o = netcensus(&["diff", b, a, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "no --fail-on, no failure");
    let d: Value = serde_json::from_slice(&o.stdout).expect("diff JSON");
    assert_eq!(changes(&d), want);
    assert_eq!(
        netcensus(&["diff", b, a, "--fail-on", "moved"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        netcensus(&["diff", b, a, "--fail-on", "health,links"])
            .status
            .code(),
        Some(0)
    );
    let o = netcensus(&[
        "diff",
        b,
        a,
        "--ignore-device",
        "10.77.6.2",
        "--ignore-device",
        "10.77.6.1",
        "--ignore-field",
        "sys_name",
        "--fail-on",
        "moved,changed",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // the topology no longer holds, and the check names what broke
    let o = netcensus(&["check", s(&topology), a, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let c: Value = serde_json::from_slice(&o.stdout).expect("check JSON");
    let names = failed(&c);
    for want in [
        "device at 10.77.0.13",
        "device DUMSYS-50 at 10.77.1.2",
        "device access-sw-2 at 10.77.2.2",
        "device pwr-dc01-pdu-rack3-01 at 10.77.6.1",
        // the link names the old sysName
        "link access-sw-2 port GigabitEthernet1/0/24",
        "no device beyond those listed: 10.77.2.4",
        "no device beyond those listed: 10.77.6.2",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(want)),
            "{want} should fail: {names:?}"
        );
    }
    assert_eq!(names.len(), 7, "{names:?}");
}
