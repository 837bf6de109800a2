//! Integration tests against the project's lab (tests/lab/nclab, brought up
//! by tests/run.sh with tests/lab/configs/test.toml). The scanner runs inside
//! the lab's scanner namespace, which has no default route: nothing leaves
//! the lab. These tests are `#[ignore]`d for a plain `cargo test`, and
//! tests/run.sh runs them with `--include-ignored`; without the lab they
//! fail, they never pass by skipping.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

const SCAN_NS: &str = "ncs-scan";
const MANIFEST: &str = "/run/netcensus-lab/manifest.json";

fn manifest() -> &'static Value {
    static M: OnceLock<Value> = OnceLock::new();
    M.get_or_init(|| {
        let text = std::fs::read_to_string(MANIFEST)
            .unwrap_or_else(|e| panic!("lab is not up ({MANIFEST}: {e}); run tests/run.sh"));
        serde_json::from_str(&text).expect("manifest is JSON")
    })
}

fn hosts() -> &'static Vec<Value> {
    manifest()["hosts"].as_array().expect("hosts")
}

struct Run {
    code: i32,
    stderr: String,
    scan: Option<Value>,
}

/// Run `netcensus scan ARGS -o JSON` inside the scanner namespace.
/// `netcensus scan -q ARGS -o OUT`, to run inside the scanner namespace.
fn scan_command(args: &[&str], out: &std::path::Path) -> Command {
    let mut c = Command::new("ip");
    c.args([
        "netns",
        "exec",
        SCAN_NS,
        env!("CARGO_BIN_EXE_netcensus"),
        "scan",
        "-q",
    ])
    .args(args)
    .arg("-o")
    .arg(out);
    c
}

/// Run a scan inside the scanner namespace and read its scan file.
fn scan(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("scan.json");
    let o = scan_command(args, &out)
        .output()
        .expect("run ip netns exec");
    let scan = std::fs::read_to_string(&out)
        .ok()
        .map(|t| serde_json::from_str(&t).expect("scan file is JSON"));
    Run {
        code: o.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        scan,
    }
}

fn ok_scan(args: &[&str]) -> Value {
    let r = scan(args);
    assert_eq!(r.code, 0, "scan {args:?} failed: {}", r.stderr);
    r.scan.expect("scan file written")
}

/// One default scan of the whole lab, shared by the tests that read it.
fn full_scan() -> &'static Value {
    static S: OnceLock<Value> = OnceLock::new();
    // 10.77.7.0/24 is where tests start their own snmpd agents, which come
    // and go while this scan runs
    S.get_or_init(|| {
        ok_scan(&[
            "10.77.0.0/16",
            "fd77::/120",
            "fd77::2:0/120",
            "fd77::60:0/120",
            "--exclude",
            "10.77.7.0/24",
        ])
    })
}

fn devices(scan: &Value) -> &Vec<Value> {
    scan["devices"].as_array().expect("devices")
}

/// The device answering at `ip`: its canonical address or another of its
/// `addresses`.
fn device<'a>(scan: &'a Value, ip: &str) -> Option<&'a Value> {
    devices(scan)
        .iter()
        .find(|d| addresses(d).iter().any(|(a, _)| a == ip))
}

/// A device's addresses with how each was found (`ip` alone without them).
fn addresses(d: &Value) -> Vec<(String, Vec<String>)> {
    match d["addresses"].as_array() {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|a| {
                (
                    a["ip"].as_str().unwrap_or_default().to_string(),
                    found_by(a),
                )
            })
            .collect(),
        _ => vec![(
            d["ip"].as_str().unwrap_or_default().to_string(),
            found_by(d),
        )],
    }
}

fn found_by(d: &Value) -> Vec<String> {
    d["found_by"]
        .as_array()
        .expect("found_by")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Every address of the lab (v4 and v6) with what the manifest says of it.
fn lab_addresses() -> Vec<(String, &'static Value)> {
    let mut out = Vec::new();
    for h in hosts() {
        for k in ["ip", "ip6"] {
            if let Some(a) = h[k].as_str() {
                out.push((a.to_string(), h));
            }
        }
        for a in h["also"].as_array().into_iter().flatten() {
            if let Some(a) = a.as_str() {
                out.push((a.to_string(), h));
            }
        }
    }
    out
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn a_dual_stack_switch_is_one_device_with_both_addresses() {
    let scan = full_scan();
    let sw: Vec<&Value> = devices(scan)
        .iter()
        .filter(|d| d["snmp"]["sys_name"] == "access-sw-1")
        .collect();
    assert_eq!(sw.len(), 1, "one record for 10.77.2.1 and fd77::2:1");
    let d = sw[0];
    // the first target token (10.77.0.0/16) names the canonical address
    assert_eq!(d["ip"], "10.77.2.1");
    let ips: Vec<String> = addresses(d).into_iter().map(|(a, _)| a).collect();
    assert_eq!(ips, ["10.77.2.1", "fd77::2:1"]);
    let v6 = &d["addresses"][1];
    assert!(found_by(v6).contains(&"snmp".to_string()), "{v6}");
    assert_eq!(v6["snmp"], "v2c");
    // the twin built from the same recording (same serial, same MACs) but
    // another sysName is another device
    let twin = device(scan, "10.77.5.2").expect("garbled-sw");
    assert_eq!(twin["snmp"]["sys_name"], "garbled-sw");
    assert_eq!(addresses(twin).len(), 1);
    // the count is of devices, not addresses
    let n = devices(scan).len() as u64;
    assert_eq!(scan["stats"]["devices"].as_u64(), Some(n));
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn a_router_on_two_ipv4_addresses_is_one_device() {
    let scan = full_scan();
    let rtr: Vec<&Value> = devices(scan)
        .iter()
        .filter(|d| d["snmp"]["sys_name"] == "two-addr-rtr")
        .collect();
    assert_eq!(rtr.len(), 1, "one record for 10.77.5.4 and 10.77.254.4");
    let d = rtr[0];
    // both in the first target token: the lower address is canonical
    assert_eq!(d["ip"], "10.77.5.4");
    let ips: Vec<(String, Vec<String>)> = addresses(d);
    assert_eq!(
        ips.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        ["10.77.5.4", "10.77.254.4"]
    );
    for (a, by) in &ips {
        assert!(by.contains(&"icmp".to_string()), "{a}: {by:?}");
        assert!(by.contains(&"snmp".to_string()), "{a}: {by:?}");
    }
    // the evidence that joined them: snmpEngineID.0 (read over v2c)
    assert_eq!(d["facts"]["engine_id"], "80000a4c010ac40103");
    // one record, with the recording's interface table once
    let n = d["interfaces"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(n, 61, "the recording's 61 ifTable rows");
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn two_routers_sharing_a_sysname_stay_two_devices() {
    let scan = full_scan();
    let twins: Vec<&Value> = devices(scan)
        .iter()
        .filter(|d| d["snmp"]["sys_name"] == "mx-edge")
        .collect();
    let found: Vec<(String, String, usize)> = twins
        .iter()
        .map(|d| {
            (
                d["ip"].as_str().unwrap_or_default().to_string(),
                d["serial"].as_str().unwrap_or_default().to_string(),
                addresses(d).len(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("10.77.5.5".to_string(), "JN11F7072AFA".to_string(), 1),
            ("10.77.5.6".to_string(), "JN11F6BE5AFA".to_string(), 1),
        ]
    );
    // the same model and release, reported alike: only the evidence differs
    assert_eq!(twins[0]["snmp"]["sys_descr"], twins[1]["snmp"]["sys_descr"]);
    assert_eq!(
        twins[0]["snmp"]["sys_object_id"],
        twins[1]["snmp"]["sys_object_id"]
    );
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn sweep_finds_every_pinging_host_and_no_phantom() {
    let scan = full_scan();
    let all: Vec<(String, Vec<String>)> = devices(scan).iter().flat_map(addresses).collect();
    let found_icmp: BTreeSet<String> = all
        .iter()
        .filter(|(_, by)| by.contains(&"icmp".to_string()))
        .map(|(a, _)| a.clone())
        .collect();
    let lab: BTreeSet<String> = lab_addresses().into_iter().map(|(a, _)| a).collect();
    for (ip, _) in &all {
        assert!(lab.contains(ip), "phantom device {ip}");
    }
    for (addr, h) in lab_addresses() {
        let answers = h["icmp_reply"] == true;
        let lossy = h["loss"].as_f64().unwrap_or(0.0) > 0.0;
        if answers && !lossy {
            assert!(
                found_icmp.contains(&addr),
                "{addr} ({}) answers ping but was not found",
                h["name"]
            );
        }
        if !answers {
            assert!(
                !found_icmp.contains(&addr),
                "{addr} drops ping but is marked ICMP-alive"
            );
        }
    }
    assert_eq!(scan["schema"], "netcensus/scan/v2");
    assert_eq!(scan["interrupted"], false);
    assert_eq!(scan["stats"]["addresses"], 65534 - 256 + 3 * 256);
    assert_eq!(scan["excluded"], serde_json::json!(["10.77.7.0/24"]));
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn ping_dropping_firewall_is_found_by_snmp() {
    let fw = device(full_scan(), "10.77.3.1").expect("fw-1 (drops ICMP) found");
    assert_eq!(found_by(fw), ["snmp"]);
    assert_eq!(fw["snmp"]["sys_name"], "fw-1");
    assert_eq!(fw["icmp"]["received"], 0);
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn snmp_identity_equals_the_recording() {
    let scan = full_scan();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let mut checked = 0;
    for (addr, h) in lab_addresses() {
        if h["kind"] != "device"
            || h["snmp"]["version"] != "v2c"
            || h["snmp"]["community"] != "public"
        {
            continue;
        }
        let d = device(scan, &addr).unwrap_or_else(|| panic!("device {addr} not found"));
        let s = &d["snmp"];
        assert!(s.is_object(), "{addr}: no SNMP identity");
        assert_eq!(s["version"], "v2c", "{addr}");
        for (mine, theirs) in [
            ("sys_name", "sysName"),
            ("sys_descr", "sysDescr"),
            ("sys_object_id", "sysObjectID"),
            ("sys_contact", "sysContact"),
            ("sys_location", "sysLocation"),
            ("sys_services", "sysServices"),
        ] {
            let want = &h[theirs];
            let hex = &h["not_utf8_hex"][theirs];
            if let Some(hex) = hex.as_str() {
                let bytes: Vec<u8> = (0..hex.len())
                    .step_by(2)
                    .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                    .collect();
                assert_eq!(
                    s[mine],
                    String::from_utf8_lossy(&bytes).as_ref(),
                    "{addr} {mine}"
                );
            } else {
                assert_eq!(&s[mine], want, "{addr} {mine}");
            }
        }
        if let (Some(base), Some(anchor)) =
            (h["sysUpTime_base"].as_f64(), h["sysUpTime_anchor"].as_f64())
        {
            let expected = (base + 100.0 * (now - anchor)) % 4_294_967_295.0;
            let got = s["sys_uptime_ticks"].as_f64().expect("uptime");
            // the scan ran moments ago: allow 60 s
            assert!(
                (expected - got).abs() < 6000.0,
                "{addr} uptime {got} vs {expected}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} devices compared");
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn v3_only_and_other_community_devices_have_null_snmp() {
    let scan = full_scan();
    for ip in ["10.77.4.2", "10.77.5.1"] {
        let d = device(scan, ip).unwrap_or_else(|| panic!("{ip} not found"));
        assert!(d["snmp"].is_null(), "{ip}: {}", d["snmp"]);
        assert_eq!(found_by(d), ["icmp"]);
    }
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn communities_are_tried_in_order_and_never_written() {
    let r = scan(&[
        "10.77.5.1",
        "10.77.1.1",
        "-c",
        "wrong-one,s3cret-ro",
        "-c",
        "public",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let scan = r.scan.expect("scan file");
    assert_eq!(
        device(&scan, "10.77.5.1").expect("secret-sw")["snmp"]["sys_name"],
        "secret-sw"
    );
    assert_eq!(
        device(&scan, "10.77.1.1").expect("core-rtr-1")["snmp"]["sys_name"],
        "core-rtr-1"
    );
    let text = scan.to_string();
    assert!(!text.contains("s3cret") && !text.contains("wrong-one") && !text.contains("public"));
    assert!(!r.stderr.contains("s3cret"));
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn wrong_community_is_no_error() {
    let r = scan(&["10.77.1.0/24", "--community", "not-the-one"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let scan = r.scan.expect("scan file");
    let d = device(&scan, "10.77.1.1").expect("core-rtr-1 answers ping");
    assert!(d["snmp"].is_null());
    assert_eq!(scan["stats"]["snmp_responding"], 0);
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn tcp_probe_finds_a_host_that_drops_ping() {
    let without = ok_scan(&["10.77.0.11"]);
    assert!(device(&without, "10.77.0.11").is_none());
    let with = ok_scan(&["10.77.0.11", "--tcp-ports", "22,443"]);
    let d = device(&with, "10.77.0.11").expect("found by TCP");
    assert_eq!(found_by(d), ["tcp"]);
    assert_eq!(d["tcp_port"], 22);
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn lossy_host_reports_its_loss() {
    let scan = ok_scan(&[
        "10.77.0.12",
        "--count",
        "40",
        "--retries",
        "10",
        "--interval",
        "5ms",
    ]);
    let d = device(&scan, "10.77.0.12").expect("lossy host found");
    let icmp = &d["icmp"];
    assert_eq!(icmp["sent"], 40);
    let loss = icmp["loss_pct"].as_f64().expect("loss");
    assert!(
        (10.0..=60.0).contains(&loss),
        "loss {loss}% for a 30% lossy host"
    );
    let rtt = &icmp["rtt_ms"];
    assert!(
        rtt["min"].as_f64() <= rtt["avg"].as_f64() && rtt["avg"].as_f64() <= rtt["max"].as_f64()
    );
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn ipv6_hosts_and_snmp_over_ipv6() {
    let scan = full_scan();
    for ip in ["fd77::10", "fd77::66"] {
        let d = device(scan, ip).unwrap_or_else(|| panic!("{ip} not found"));
        assert!(found_by(d).contains(&"icmp".to_string()), "{ip}");
    }
    let sw = device(scan, "fd77::2:1").expect("dual-stack switch over IPv6");
    assert_eq!(sw["snmp"]["sys_name"], "access-sw-1");
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn output_is_sorted_and_deterministic() {
    // (not 10.77.2.3: its agent drops 10 % of requests on purpose, so what
    // it yields may differ from run to run)
    let a = ok_scan(&["10.77.1.0/24", "10.77.2.0-10.77.2.2", "10.77.0.10"]);
    let b = ok_scan(&["10.77.0.10", "10.77.2.1-10.77.2.2", "10.77.1.0/24"]);
    let ips = |s: &Value| -> Vec<String> {
        devices(s)
            .iter()
            .map(|d| d["ip"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let mut sorted: Vec<std::net::IpAddr> = ips(&a).iter().filter_map(|s| s.parse().ok()).collect();
    sorted.sort();
    let sorted: Vec<String> = sorted.iter().map(|i| i.to_string()).collect();
    assert_eq!(ips(&a), sorted);
    assert_eq!(ips(&a), ips(&b));
    let strip = |s: &Value| -> Vec<Value> {
        devices(s)
            .iter()
            .map(|d| {
                let mut d = d.clone();
                d["icmp"]["rtt_ms"] = Value::Null;
                if let Some(list) = d["addresses"].as_array_mut() {
                    for a in list {
                        a["icmp"]["rtt_ms"] = Value::Null;
                    }
                }
                d["snmp"]["sys_uptime_ticks"] = Value::Null;
                // measured: time taken, and PDUs (retries on a lossy agent)
                d["snmp_stats"] = Value::Null;
                // health is measured state: the h3c recording varies its CPU load
                d["health"] = Value::Null;
                d
            })
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn no_icmp_permission_exits_3() {
    // an unprivileged user in a namespace where ping sockets are closed:
    // the machine's own namespace, towards loopback only
    let o = Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .args([env!("CARGO_BIN_EXE_netcensus"), "scan", "-q", "127.0.0.1"])
        .output()
        .expect("setpriv");
    let closed = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range")
        .map(|s| s.split_whitespace().next() == Some("1"))
        .unwrap_or(false);
    assert!(
        closed,
        "this test needs ping_group_range closed in the root namespace"
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("CAP_NET_RAW"));
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn interrupted_scan_writes_partial_results_and_exits_130() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("partial.json");
    std::fs::write(&out, "previous").expect("seed file");
    // slow on purpose: 65534 addresses at 5000/s take 13 s
    let mut child = scan_command(&["10.77.0.0/16", "--rate", "5000"], &out)
        .spawn()
        .expect("spawn");
    // 3 s: past the start-up of a debug build (about 1 s loading the
    // profiles), well before the sweep ends
    std::thread::sleep(std::time::Duration::from_millis(3000));
    let pid = child.id().to_string();
    let kill = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130));
    let scan: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("written"))
        .expect("a whole JSON file, not a truncated one");
    assert_eq!(scan["interrupted"], true);
    // the sweep had reached 10.77.0.x in 3 s: those hosts are in
    assert!(device(&scan, "10.77.0.10").is_some());
}

/// The numeric value of a `Uid:`/`Gid:` line's first field in
/// /proc/PID/status.
fn status_id(status: &str, key: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// `id -u NAME` / `id -g NAME`.
fn id_of(flag: &str, name: &str) -> u32 {
    let o = Command::new("id").args([flag, name]).output().expect("id");
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .expect("a numeric id")
}

fn assert_root() {
    let me = std::fs::read_to_string("/proc/self/status").expect("status");
    assert_eq!(
        status_id(&me, "Uid:"),
        Some(0),
        "this test is about root runs: run tests/run.sh as root"
    );
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn a_root_scan_decodes_without_root_and_writes_as_root() {
    assert_root();
    let dir = tempfile::tempdir().expect("tempdir");
    let (nobody, nogroup) = (id_of("-u", "nobody"), id_of("-g", "nobody"));
    let targets = ["10.77.0.10", "10.77.1.1", "fd77::10"];
    let run = |extra: &[&str], name: &str| {
        let (out, log) = (
            dir.path().join(name),
            dir.path().join(format!("{name}.log")),
        );
        let mut args: Vec<&str> = targets.to_vec();
        let log_arg = log.display().to_string();
        args.extend(["--log", &log_arg, "-v"]);
        args.extend(extra);
        let o = scan_command(&args, &out).output().expect("scan");
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let scan: Value =
            serde_json::from_str(&std::fs::read_to_string(&out).expect("out")).expect("JSON");
        let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&out).expect("out"));
        (scan, std::fs::read_to_string(&log).expect("log"), owner)
    };
    let (scan, log, owner) = run(&[], "default.json");
    // the ids the child read back from the kernel after giving root up
    let expected = format!(
        "scanning as nobody (uid {nobody}/{nobody}/{nobody}, gid {nogroup}/{nogroup}/{nogroup}, \
         groups [{nogroup}], capabilities 0x0, no_new_privs true)"
    );
    assert!(log.contains(&expected), "{expected} not in the log:\n{log}");
    // the raw sockets opened before still sweep; the outputs are root's
    assert_eq!(owner, 0, "outputs are written by the root process");
    for ip in targets {
        let d = device(&scan, ip).unwrap_or_else(|| panic!("{ip} not found"));
        assert_eq!(d["icmp"]["received"], 3, "{ip}");
    }
    assert_eq!(
        device(&scan, "10.77.1.1").expect("router")["snmp"]["sys_name"],
        "core-rtr-1"
    );
    // --user root keeps root, and finds the same
    let (kept, log, _) = run(&["--user", "root"], "root.json");
    assert!(!log.contains("scanning as"), "{log}");
    let names = |s: &Value| -> Vec<(String, Value)> {
        devices(s)
            .iter()
            .map(|d| {
                (
                    d["ip"].as_str().unwrap_or("").to_string(),
                    d["snmp"]["sys_name"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(names(&scan), names(&kept));
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn a_killed_unprivileged_scan_leaves_the_outputs_and_exits_3() {
    assert_root();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("kept.json");
    std::fs::write(&out, "previous").expect("seed file");
    let mut root = scan_command(&["10.77.0.0/16", "--rate", "5000"], &out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // the child that gave root up: nobody's, with our output on its command line
    let nobody = id_of("-u", "nobody");
    let marker = out.display().to_string();
    let worker = (0..100).find_map(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::fs::read_dir("/proc")
            .ok()?
            .filter_map(Result::ok)
            .find_map(|p| {
                let status = std::fs::read_to_string(p.path().join("status")).ok()?;
                let cmdline = std::fs::read(p.path().join("cmdline")).ok()?;
                (status_id(&status, "Uid:") == Some(nobody)
                    && String::from_utf8_lossy(&cmdline).contains(&marker))
                .then(|| p.file_name().to_string_lossy().into_owned())
            })
    });
    let Some(worker) = worker else {
        let _ = root.kill();
        panic!("no process of nobody's scanned into {marker}");
    };
    let kill = Command::new("kill")
        .args(["-KILL", &worker])
        .status()
        .expect("kill");
    assert!(kill.success());
    let o = root.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("without root) was killed by SIGKILL"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).expect("out"), "previous");
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn unprivileged_scan_uses_ping_sockets() {
    // ping_group_range is open in the scanner namespace: no root, no CAP_NET_RAW
    let o = Command::new("ip")
        .args([
            "netns",
            "exec",
            SCAN_NS,
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
        ])
        .args([
            "--clear-groups",
            "--inh-caps=-all",
            env!("CARGO_BIN_EXE_netcensus"),
        ])
        .args([
            "scan",
            "10.77.0.10",
            "10.77.1.1",
            "fd77::10",
            "--format",
            "json",
        ])
        .output()
        .expect("setpriv");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let scan: Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    for ip in ["10.77.0.10", "10.77.1.1", "fd77::10"] {
        let d = device(&scan, ip).unwrap_or_else(|| panic!("{ip} not found"));
        assert_eq!(d["icmp"]["received"], 3, "{ip}");
    }
    assert_eq!(
        device(&scan, "10.77.1.1").expect("router")["snmp"]["sys_name"],
        "core-rtr-1"
    );
}

/// net-snmp's snmpd inside the lab namespace on an address of its own,
/// with the configuration given; stopped and its address removed on drop.
struct Snmpd {
    child: std::process::Child,
    addr: &'static str,
    dir: tempfile::TempDir,
}

impl Snmpd {
    /// Start it; `probe` is the `snmpget` credential arguments that must
    /// work before it counts as up.
    fn start(addr: &'static str, conf: &str, probe: &[&str]) -> Snmpd {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf_path = dir.path().join("snmpd.conf");
        std::fs::write(
            &conf_path,
            conf.replace("$DIR", &dir.path().display().to_string()),
        )
        .expect("write snmpd.conf");
        // an address of our own in the lab namespace (replaced if left over)
        lab_address(addr);
        let child = Command::new("ip")
            .args(["netns", "exec", "ncs-lab", "snmpd", "-f", "-Lo", "-C", "-c"])
            .arg(&conf_path)
            .arg(format!("udp:{addr}:161"))
            .env("SNMP_PERSISTENT_DIR", dir.path())
            .env("MIBS", "")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("snmpd (apt package snmpd) must be installed");
        // from here on, Drop stops it whatever happens
        let agent = Snmpd { child, addr, dir };
        for _ in 0..50 {
            let o = Command::new("ip")
                .args(["netns", "exec", SCAN_NS, "snmpget", "-t", "0.2", "-r", "0"])
                .args(probe)
                .args([addr, "1.3.6.1.2.1.1.5.0"])
                .output()
                .expect("snmpget");
            if o.status.success() {
                return agent;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("snmpd on {addr} did not come up");
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        lab_route("del", self.addr);
        let _ = &self.dir;
    }
}

const V1_AGENT: &str = "10.77.7.1";

/// snmpd answering SNMPv1 only, with sysServices hidden.
fn v1_agent() -> Snmpd {
    Snmpd::start(
        V1_AGENT,
        "com2sec v1sec default v1-only-ro\n\
         group v1grp v1 v1sec\n\
         view sysview included .1.3.6.1.2.1.1\n\
         view sysview excluded .1.3.6.1.2.1.1.7\n\
         access v1grp \"\" v1 noauth exact sysview none none\n\
         sysName v1-agent\nsysLocation lab rack 9\nsysContact noc@example.net\n\
         sysDescr net-snmp agent speaking SNMPv1 only\n",
        &["-v1", "-c", "v1-only-ro"],
    )
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn v1_only_agent_is_read_with_v1() {
    let _agent = v1_agent();
    // sweep path and follow-up path (--snmp-sweep alive: no GETs in the sweep)
    for mode in ["auto", "alive"] {
        let scan = ok_scan(&[V1_AGENT, "-c", "public,v1-only-ro", "--snmp-sweep", mode]);
        let d = device(&scan, V1_AGENT).unwrap_or_else(|| panic!("{mode}: agent not found"));
        let s = &d["snmp"];
        assert_eq!(s["version"], "v1", "{mode}: {s}");
        assert_eq!(s["sys_name"], "v1-agent", "{mode}");
        assert_eq!(s["sys_location"], "lab rack 9", "{mode}");
        assert_eq!(
            s["sys_descr"], "net-snmp agent speaking SNMPv1 only",
            "{mode}"
        );
        // hidden object: noSuchName in v1, dropped and the rest read again
        assert!(s["sys_services"].is_null(), "{mode}: {s}");
        assert!(s["sys_object_id"].is_string(), "{mode}");
    }
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn devices_are_classified_with_their_evidence() {
    let scan = full_scan();
    let expect = [
        (
            "10.77.1.1",
            "router",
            "Juniper",
            Some("mx960"),
            Some("Junos"),
            Some("12.3R6.6"),
            "juniper-mx",
        ),
        (
            "10.77.2.1",
            "switch",
            "Cisco",
            Some("WS-C3750G-12S-S"),
            Some("IOS"),
            Some("12.2(50)SE5"),
            "cisco-catalyst-ios",
        ),
        (
            "10.77.3.1",
            "firewall",
            "Palo Alto Networks",
            Some("PA-5050"),
            Some("PAN-OS"),
            Some("8.0.1"),
            "paloalto-pa-firewall",
        ),
        (
            "10.77.4.1",
            "access_point",
            "Aruba",
            Some("Aruba7210"),
            Some("ArubaOS"),
            Some("6.5.1.6"),
            "aruba-controller",
        ),
        (
            "10.77.6.1",
            "power",
            "APC",
            Some("AP8932"),
            None,
            Some("6.7.2"),
            "apc-pdu-ats",
        ),
        // garbage sysDescr: sysObjectID (a Catalyst product registration)
        // and ENTITY-MIB keep the class
        (
            "10.77.5.2",
            "switch",
            "Cisco",
            Some("WS-C3750G-12S-S"),
            None,
            Some("12.2(50)SE5"),
            "cisco-catalyst-ios",
        ),
    ];
    for (ip, role, vendor, model, os, version, by) in expect {
        let d = device(scan, ip).unwrap_or_else(|| panic!("{ip} not found"));
        assert_eq!(d["role"], role, "{ip}");
        assert_eq!(d["vendor"], vendor, "{ip}");
        assert_eq!(d["model"].as_str(), model, "{ip}");
        assert_eq!(d["os"].as_str(), os, "{ip}");
        assert_eq!(d["os_version"].as_str(), version, "{ip}");
        assert_eq!(d["classified_by"]["role"], by, "{ip}");
        assert!(
            d["errors"].as_array().is_some_and(Vec::is_empty),
            "{ip}: {}",
            d["errors"]
        );
    }
    let sw = device(scan, "10.77.2.1").expect("switch");
    assert_eq!(sw["serial"], "FDO1622Y10H");
    assert_eq!(sw["id"], "FDO1622Y10H", "the serial is the identity");
    assert_eq!(sw["facts"]["bridge_ports"], 12);
    // a plain host: nothing known, nothing invented
    let host = device(scan, "10.77.0.10").expect("plain host");
    assert_eq!(host["role"], "unknown");
    assert!(host["vendor"].is_null() && host["facts"].is_null());
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn explain_shows_the_deciding_rule_and_its_evidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("scan.json");
    std::fs::write(&file, full_scan().to_string()).expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_netcensus"))
        .arg("explain")
        .arg(&file)
        .arg("10.77.5.2")
        .output()
        .expect("explain");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("role        switch"), "{text}");
    assert!(
        text.contains("rule cisco-catalyst-ios (profiles/rules/majors.toml:"),
        "{text}"
    );
    assert!(text.contains("entity model \"WS-C3750G-12S-S\""), "{text}");
    // the garbage is shown escaped, not sent to the terminal
    assert!(text.contains("\\u{1}\\u{2} ###"), "{text}");
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn scan_profiles_change_what_is_collected() {
    let quick = ok_scan(&["10.77.2.1", "--profile", "quick"]);
    assert_eq!(quick["profile"], "quick");
    let d = device(&quick, "10.77.2.1").expect("switch");
    assert!(d["facts"].is_null(), "quick reads the system group only");
    assert_eq!(d["icmp"]["sent"], 1);
    // sysObjectID and sysDescr alone still say what it is
    assert_eq!(d["role"], "switch");
    assert_eq!(d["vendor"], "Cisco");
    // a flag beats the profile
    let more = ok_scan(&["10.77.2.1", "--profile", "quick", "--count", "4"]);
    assert_eq!(
        device(&more, "10.77.2.1").expect("switch")["icmp"]["sent"],
        4
    );
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn snmpv3_user_reads_a_v3_only_device_and_keys_stay_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("v3.json");
    let o = scan_command(
        &[
            "10.77.4.2",
            "--v3-user",
            "netadmin",
            "--v3-auth-proto",
            "sha",
            "--v3-priv-proto",
            "aes",
        ],
        &out,
    )
    .env("NETCENSUS_V3_AUTH_KEY", "authpass123")
    .env("NETCENSUS_V3_PRIV_KEY", "privpass123")
    .output()
    .expect("scan");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("scan file");
    assert!(
        !text.contains("authpass123")
            && !text.contains("privpass123")
            && !text.contains("netadmin")
    );
    let scan: Value = serde_json::from_str(&text).expect("json");
    let d = device(&scan, "10.77.4.2").expect("ap");
    assert_eq!(d["snmp"]["version"], "v3");
    assert_eq!(d["snmp"]["sys_name"], "Kotelinaya-to-Pat");
    assert_eq!(d["role"], "access_point");
    assert_eq!(d["vendor"], "Ubiquiti");
    // snmp2 keeps v3 datagrams to itself: their sizes are unknown, not zero
    assert!(d["snmp_stats"]["pdus_received"].as_u64() > Some(0));
    assert!(d["snmp_stats"]["bytes_sent"].is_null());
    // a wrong key: no identity, and an error on the device that says so
    let wrong = scan_command(&["10.77.4.2", "--v3-user", "netadmin"], &out)
        .env("NETCENSUS_V3_AUTH_KEY", "not-the-key")
        .env("NETCENSUS_V3_PRIV_KEY", "privpass123")
        .output()
        .expect("scan");
    assert_eq!(wrong.status.code(), Some(0));
    let text = std::fs::read_to_string(&out).expect("file");
    assert!(!text.contains("not-the-key") && !text.contains("privpass123"));
    let scan: Value = serde_json::from_str(&text).expect("json");
    let ap = device(&scan, "10.77.4.2").expect("ap");
    assert!(ap["snmp"].is_null());
    assert_eq!(
        ap["errors"],
        serde_json::json!([
            "authentication failed for SNMPv3 user 'netadmin': wrong authentication key or protocol"
        ])
    );
}

const V3_AGENT: &str = "10.77.7.3";

/// A privacy protocol and its passphrase.
type Privacy = Option<(&'static str, &'static str)>;

/// One user per security level and protocol pair net-snmp's snmpd offers:
/// name, auth protocol, auth passphrase, privacy.
const V3_USERS: [(&str, &str, &str, Privacy); 6] = [
    (
        "md5des",
        "MD5",
        "authpass-md5",
        Some(("DES", "privpass-des")),
    ),
    (
        "shaaes",
        "SHA",
        "authpass-sha",
        Some(("AES", "privpass-aes")),
    ),
    (
        "shaaes192",
        "SHA",
        "authpass-sha",
        Some(("AES-192", "privpass-192")),
    ),
    (
        "shaaes256",
        "SHA",
        "authpass-sha",
        Some(("AES-256", "privpass-256")),
    ),
    (
        "sha256aes256",
        "SHA-256",
        "authpass-s256",
        Some(("AES-256", "privpass-s256")),
    ),
    ("sha512auth", "SHA-512", "authpass-s512", None),
];

/// A v3 scan of the net-snmp agent as `user` with these keys; the device.
/// A v3 scan of the agent at `ip` as `user` with these keys (each SNMP
/// request waiting `snmp_timeout`); the device and the scan file's text.
fn v3_scan(
    ip: &str,
    snmp_timeout: &str,
    user: &str,
    auth: (&str, &str),
    privacy: Option<(&str, &str)>,
) -> (Value, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("v3.json");
    let mut args = vec![
        ip,
        "--snmp-timeout",
        snmp_timeout,
        "--v3-user",
        user,
        "--v3-auth-proto",
        auth.0,
    ];
    if let Some((proto, _)) = privacy {
        args.extend(["--v3-priv-proto", proto]);
    }
    let mut cmd = scan_command(&args, &out);
    cmd.env("NETCENSUS_V3_AUTH_KEY", auth.1);
    match privacy {
        Some((_, key)) => cmd.env("NETCENSUS_V3_PRIV_KEY", key),
        None => cmd.env_remove("NETCENSUS_V3_PRIV_KEY"),
    };
    let o = cmd.output().expect("scan");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{user}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("scan file");
    let scan: Value = serde_json::from_str(&text).expect("json");
    let d = device(&scan, ip).expect("agent answers ping").clone();
    (d, text)
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn snmpv3_every_protocol_pair_against_net_snmp_and_refusals_say_why() {
    let mut conf = String::from(
        "sysName v3-matrix\nsysDescr net-snmp with one user per SNMPv3 protocol pair\n",
    );
    for (user, auth, akey, privacy) in V3_USERS {
        match privacy {
            Some((p, pkey)) => {
                conf.push_str(&format!(
                    "createUser {user} {auth} {akey} {p} {pkey}\nrouser {user} priv\n"
                ));
            }
            None => conf.push_str(&format!(
                "createUser {user} {auth} {akey}\nrouser {user} auth\n"
            )),
        }
    }
    let _agent = Snmpd::start(
        V3_AGENT,
        &conf,
        &[
            "-v3",
            "-l",
            "authPriv",
            "-u",
            "shaaes",
            "-a",
            "SHA",
            "-A",
            "authpass-sha",
            "-x",
            "AES",
            "-X",
            "privpass-aes",
        ],
    );
    // every pair reads the agent; protocol names as net-snmp spells them,
    // in any case
    for (user, auth, akey, privacy) in V3_USERS {
        let lower = auth.to_lowercase();
        let (d, text) = v3_scan(V3_AGENT, "300ms", user, (&lower, akey), privacy);
        assert_eq!(d["snmp"]["version"], "v3", "{user}: {d}");
        assert_eq!(d["snmp"]["sys_name"], "v3-matrix", "{user}");
        assert_eq!(d["errors"], serde_json::json!([]), "{user}");
        assert!(!text.contains(akey) && !privacy.is_some_and(|(_, k)| text.contains(k)));
    }
    // refusals: each says which user and why, and never a key
    let refused = |user: &str, auth: (&str, &str), privacy: Option<(&str, &str)>, why: &str| {
        let (d, text) = v3_scan(V3_AGENT, "300ms", user, auth, privacy);
        assert!(d["snmp"].is_null(), "{user}: {d}");
        assert_eq!(
            d["errors"],
            serde_json::json!([format!(
                "authentication failed for SNMPv3 user '{user}': {why}"
            )]),
            "{user}"
        );
        assert!(!text.contains(auth.1) && !privacy.is_some_and(|(_, k)| text.contains(k)));
    };
    refused(
        "nosuchuser",
        ("SHA", "authpass-sha"),
        Some(("AES", "privpass-aes")),
        "unknown user (usmStatsUnknownUserNames)",
    );
    refused(
        "shaaes",
        ("SHA", "wrong-auth-key"),
        Some(("AES", "privpass-aes")),
        "wrong authentication key or protocol",
    );
    refused(
        "shaaes",
        ("SHA", "authpass-sha"),
        Some(("AES", "wrong-priv-key")),
        "wrong privacy key or protocol (the agent leaves what it cannot decrypt unanswered)",
    );
    refused(
        "sha512auth",
        ("SHA-512", "wrong-auth-key"),
        None,
        "wrong authentication key or protocol",
    );
    // AES-256 keyed the standard way is not AES-256 keyed Cisco's way
    refused(
        "shaaes256",
        ("SHA", "authpass-sha"),
        Some(("AES-256-C", "privpass-256")),
        "wrong privacy key or protocol (the agent leaves what it cannot decrypt unanswered)",
    );
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn snmpv3_aes256_with_ciscos_key_extension_reads_the_snmpsim_device() {
    let ip = "10.77.5.7";
    let run = |proto: &str| {
        let keys = ("SHA", "authpass-c256");
        v3_scan(ip, "1s", "ciscoadmin", keys, Some((proto, "privpass-c256"))).0
    };
    let d = run("AES-256-C");
    assert_eq!(d["snmp"]["version"], "v3", "{d}");
    assert_eq!(d["snmp"]["sys_name"], "v3-aes256-cisco");
    let d = run("aes256");
    assert!(
        d["snmp"].is_null(),
        "the standard key extension is another key: {d}"
    );
    assert_eq!(
        d["errors"],
        serde_json::json!([
            "authentication failed for SNMPv3 user 'ciscoadmin': wrong privacy key or protocol"
        ])
    );
}

/// OID suffixes and values of a column, read by net-snmp's snmpbulkwalk
/// from the scanner namespace: an independent reference.
fn net_snmp_column(ip: &str, column: &str) -> Vec<(String, String)> {
    let o = Command::new("ip")
        .args([
            "netns",
            "exec",
            SCAN_NS,
            "snmpbulkwalk",
            "-v2c",
            "-c",
            "public",
        ])
        .args(["-On", "-Oq", "-t", "3", "-r", "2", ip, column])
        .output()
        .expect("snmpbulkwalk");
    // strings net-snmp prints as hex (not UTF-8) are decoded as the scanner does
    let decode = |v: &str| -> String {
        let v = v.trim().trim_matches('"');
        let hex: Option<Vec<u8>> = v
            .split_whitespace()
            .map(|t| {
                (t.len() == 2)
                    .then(|| u8::from_str_radix(t, 16).ok())
                    .flatten()
            })
            .collect();
        match hex {
            Some(b) if !b.is_empty() && v.contains(' ') => String::from_utf8_lossy(&b).into_owned(),
            _ => v.to_string(),
        }
    };
    let prefix = format!(".{column}.");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let (oid, value) = l.split_once(' ').unwrap_or((l, ""));
            Some((oid.strip_prefix(&prefix)?.to_string(), decode(value)))
        })
        .collect()
}

/// One inventory scan of three devices, shared.
fn inventory_scan() -> &'static Value {
    static S: OnceLock<Value> = OnceLock::new();
    S.get_or_init(|| {
        ok_scan(&[
            "10.77.1.1",
            "10.77.2.1",
            "10.77.5.2",
            "10.77.3.2",
            "10.77.5.3",
            "--inventory",
        ])
    })
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn interfaces_equal_the_recording() {
    let scan = inventory_scan();
    // 10.77.5.3 has 368 interfaces: read in slices side by side
    for ip in ["10.77.1.1", "10.77.2.1", "10.77.3.2", "10.77.5.3"] {
        let h = hosts().iter().find(|h| h["ip"] == ip).expect("in manifest");
        let d = device(scan, ip).unwrap_or_else(|| panic!("{ip}"));
        let ifs = d["interfaces"].as_array().expect("interfaces");
        assert_eq!(
            ifs.len() as u64,
            h["interfaces"]["rows"].as_u64().unwrap_or(0),
            "{ip} interface count"
        );
        // names: ifName, else ifDescr, row by row, as net-snmp reads them
        let names: std::collections::BTreeMap<String, String> =
            net_snmp_column(ip, "1.3.6.1.2.1.31.1.1.1.1")
                .into_iter()
                .collect();
        let want: BTreeSet<String> = net_snmp_column(ip, "1.3.6.1.2.1.2.2.1.2")
            .into_iter()
            .map(|(index, descr)| names.get(&index).cloned().unwrap_or(descr))
            .collect();
        let got: BTreeSet<String> = ifs
            .iter()
            .filter_map(|i| i["name"].as_str().map(str::to_string))
            .collect();
        assert_eq!(got, want, "{ip} interface names");
        let down: BTreeSet<u64> = ifs
            .iter()
            .filter(|i| i["oper_up"] == false)
            .filter_map(|i| i["index"].as_u64())
            .collect();
        let want_down: BTreeSet<u64> = h["interfaces"]["down_ifindex"]
            .as_array()
            .expect("down_ifindex")
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        assert_eq!(down, want_down, "{ip} oper-down interfaces");
        assert!(
            d["errors"].as_array().is_some_and(Vec::is_empty),
            "{ip}: {}",
            d["errors"]
        );
        let st = &d["snmp_stats"];
        let n = |k: &str| st[k].as_u64().unwrap_or(0);
        assert!(n("pdus_sent") > 0 && n("varbinds") > 0, "{ip}: {st}");
        // datagram sizes: a request is at least ~30 bytes, a varbind ~10
        assert!(n("bytes_sent") >= 30 * n("pdus_sent"), "{ip}: {st}");
        assert!(n("bytes_received") >= 10 * n("varbinds"), "{ip}: {st}");
    }
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn neighbours_equal_the_recording() {
    let scan = inventory_scan();
    for (ip, proto, column) in [
        ("10.77.1.1", "lldp", "1.0.8802.1.1.2.1.4.1.1.9"),
        ("10.77.2.1", "cdp", "1.3.6.1.4.1.9.9.23.1.2.1.1.6"),
    ] {
        let want: BTreeSet<String> = net_snmp_column(ip, column)
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert!(
            !want.is_empty(),
            "{ip}: the recording has {proto} neighbours"
        );
        let d = device(scan, ip).expect("device");
        let got: BTreeSet<String> = d["neighbors"]
            .as_array()
            .expect("neighbors")
            .iter()
            .filter(|n| n["protocol"] == proto)
            .filter_map(|n| n["remote_name"].as_str().map(str::to_string))
            .collect();
        assert_eq!(got, want, "{ip} {proto} neighbour names");
        let links = d["neighbors"].as_array().expect("neighbors");
        assert!(
            links.iter().all(|n| n["local_port"].is_string()),
            "{ip}: every link has a local port"
        );
    }
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn an_interface_going_down_is_a_health_warning() {
    let scan = inventory_scan();
    let name = |ip: &str| -> Option<String> {
        let d = device(scan, ip)?;
        let i = d["interfaces"]
            .as_array()?
            .iter()
            .find(|i| i["index"] == 10101)?;
        i["name"].as_str().map(str::to_string)
    };
    let changed = device(scan, "10.77.5.2").expect("garbled-sw");
    let gi = changed["interfaces"]
        .as_array()
        .expect("interfaces")
        .iter()
        .find(|i| i["index"] == 10101)
        .expect("ifIndex 10101");
    assert_eq!(
        (gi["admin_up"].as_bool(), gi["oper_up"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(changed["health"]["status"], "warning");
    let count = |d: &Value| -> u64 {
        d["health"]["reasons"]
            .as_array()
            .and_then(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .find(|r| r.contains("port(s) in use are down"))
            })
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let same_model = device(scan, "10.77.2.1").expect("access-sw-1");
    assert_eq!(
        count(changed),
        count(same_model) + 1,
        "one more interface down than the unchanged twin"
    );
    assert_eq!(name("10.77.5.2"), name("10.77.2.1"));
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn a_device_is_cut_off_within_its_budget() {
    let t0 = std::time::Instant::now();
    // the 368-interface fabric interconnect: far more than 150 ms of walking
    let scan = ok_scan(&[
        "10.77.5.3",
        "--inventory",
        "--snmp-budget",
        "150ms",
        "--count",
        "1",
        "--snmp-timeout",
        "500ms",
        "--snmp-retries",
        "0",
    ]);
    let d = device(&scan, "10.77.5.3").expect("fabric interconnect");
    let errors = d["errors"].to_string();
    assert!(errors.contains("budget"), "{errors}");
    let took = d["snmp_stats"]["duration_ms"].as_u64().expect("duration");
    // however slow the shared agent is today (other tests load it), the
    // collection ends by the wall-clock cap (ten budgets) plus the one try
    // in flight (500 ms); without a cut the walk takes many seconds
    assert!(took < 2_300, "collection took {took} ms");
    assert!(t0.elapsed() < std::time::Duration::from_secs(10));
    // what was read before the cut is kept, and the device is still classified
    assert_eq!(d["role"], "switch");
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn a_walk_override_turns_bulk_off_for_matching_firmware() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("walk.toml"),
        "[[override]]\nid = \"no-bulk-c3750\"\nsys_object_id = \"1.3.6.1.4.1.9.1.516\"\nbulk = false\n",
    )
    .expect("walk.toml");
    let profiles = dir.path().to_str().expect("utf-8 path");
    let plain = ok_scan(&["10.77.2.1", "--inventory"]);
    let tuned = ok_scan(&["10.77.2.1", "--inventory", "--profiles-dir", profiles]);
    let a = device(&plain, "10.77.2.1").expect("switch");
    let b = device(&tuned, "10.77.2.1").expect("switch");
    assert_eq!(
        a["interfaces"], b["interfaces"],
        "same interfaces either way"
    );
    let pdus = |d: &Value| d["snmp_stats"]["pdus_sent"].as_u64().unwrap_or(0);
    // GETNEXT reads one row per column and request: many more requests
    assert!(
        pdus(b) > 2 * pdus(a),
        "GETNEXT {} vs GETBULK {} PDUs",
        pdus(b),
        pdus(a)
    );
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn an_agent_that_stalls_mid_walk_is_cut_off_and_delays_nobody() {
    // snmpd hands ifType to a script that hangs: the agent answers the
    // system group, then stops answering in the middle of the interface walk
    const STALLED: &str = "10.77.7.2";
    let _agent = Snmpd::start(
        STALLED,
        "rocommunity public default\nsysName stalled-agent\n\
         pass .1.3.6.1.2.1.2.2.1.3 /bin/sh $DIR/hang.sh\n",
        &["-v2c", "-c", "public"],
    );
    std::fs::write(_agent.dir.path().join("hang.sh"), "sleep 8\n").expect("hang.sh");
    let t0 = std::time::Instant::now();
    let scan = ok_scan(&[
        STALLED,
        "10.77.2.1",
        "--inventory",
        "--snmp-budget",
        "3s",
        "--snmp-timeout",
        "500ms",
        "--count",
        "1",
    ]);
    let took = t0.elapsed();
    let d = device(&scan, STALLED).expect("stalled agent found");
    assert_eq!(d["snmp"]["sys_name"], "stalled-agent");
    let errors = d["errors"].to_string();
    assert!(errors.contains("interfaces"), "{errors}");
    // the budget, plus one request's timeout and retries, plus the scan around it
    assert!(
        took < std::time::Duration::from_secs(10),
        "scan took {took:?}"
    );
    let other = device(&scan, "10.77.2.1").expect("the healthy switch");
    assert_eq!(other["interfaces"].as_array().map(Vec::len), Some(19));
    assert!(other["errors"].as_array().is_some_and(Vec::is_empty));
}

/// SNMP datagrams (UDP to port 161) that the user `uid` sent from the
/// scanner namespace, inside and outside `inside` (an nft set), counted by
/// the kernel while `run` runs.
fn snmp_packets_of(uid: u32, inside: &str, run: impl FnOnce()) -> (u64, u64) {
    use std::io::Write;
    let nft = |script: &str| {
        let mut c = Command::new("ip")
            .args(["netns", "exec", SCAN_NS, "nft", "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("nft");
        c.stdin
            .take()
            .expect("stdin")
            .write_all(script.as_bytes())
            .expect("write");
        assert!(c.wait().expect("nft").success(), "nft: {script}");
    };
    let _ = Command::new("ip")
        .args([
            "netns", "exec", SCAN_NS, "nft", "delete", "table", "inet", "ncscope",
        ])
        .status();
    nft(&format!(
        "table inet ncscope {{\n  chain out {{\n    type filter hook output priority 0; policy accept;\n    \
         meta skuid {uid} ip daddr {inside} udp dport 161 counter comment \"inside\"\n    \
         meta skuid {uid} ip daddr != {inside} udp dport 161 counter comment \"outside\"\n    \
         meta skuid {uid} meta nfproto ipv6 udp dport 161 counter comment \"outside6\"\n  }}\n}}\n"
    ));
    run();
    let o = Command::new("ip")
        .args([
            "netns", "exec", SCAN_NS, "nft", "list", "chain", "inet", "ncscope", "out",
        ])
        .output()
        .expect("nft list");
    let _ = Command::new("ip")
        .args([
            "netns", "exec", SCAN_NS, "nft", "delete", "table", "inet", "ncscope",
        ])
        .status();
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let count = |name: &str| -> u64 {
        text.lines()
            .filter(|l| l.contains(&format!("comment \"{name}\"")))
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                let i = w.iter().position(|x| *x == "packets")?;
                w.get(i + 1)?.parse::<u64>().ok()
            })
            .sum()
    };
    (count("inside"), count("outside") + count("outside6"))
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn a_scoped_credential_never_leaves_its_scope() {
    use std::os::unix::fs::PermissionsExt;
    // the scan runs as a user of its own, so the kernel's count is of its
    // packets only (other tests scan beside it)
    const UID: u32 = 4242;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let conf = dir.path().join("config.toml");
    std::fs::write(
        &conf,
        r#"[[credential]]
name = "switches"
community = "public"
scope = ["10.77.2.0/24"]

[[credential]]
name = "roof-ap"
user = "netadmin"
auth_protocol = "SHA"
auth_key_env = "LAB_V3_AUTH"
priv_protocol = "AES"
priv_key_env = "LAB_V3_PRIV"
scope = ["10.77.4.2/32"]

[job.lab]
targets = ["10.77.0.0/16"]
exclude = ["10.77.7.0/24"]
"#,
    )
    .expect("config");
    std::os::unix::fs::chown(&conf, Some(UID), Some(UID)).expect("chown");
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = dir.path().join("scoped.json");
    let mut status = None;
    let (inside, outside) = snmp_packets_of(UID, "{ 10.77.2.0/24, 10.77.4.2 }", || {
        let o = Command::new("ip")
            .args(["netns", "exec", SCAN_NS, "setpriv"])
            .args([format!("--reuid={UID}"), format!("--regid={UID}")])
            .args([
                "--clear-groups",
                "--inh-caps=-all",
                env!("CARGO_BIN_EXE_netcensus"),
            ])
            .args([
                "--config",
                conf.to_str().expect("path"),
                "scan",
                "-q",
                "--job",
                "lab",
            ])
            .args(["-o", out.to_str().expect("path")])
            .env("LAB_V3_AUTH", "authpass123")
            .env("LAB_V3_PRIV", "privpass123")
            .env_remove("NETCENSUS_COMMUNITY")
            .output()
            .expect("scan");
        status = Some((
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        ));
    });
    let (code, err) = status.expect("ran");
    assert_eq!(code, Some(0), "{err}");
    assert!(inside > 0, "the scoped credentials were used");
    assert_eq!(outside, 0, "SNMP sent outside the scopes ({inside} inside)");
    let text = std::fs::read_to_string(&out).expect("scan file");
    for secret in ["authpass123", "privpass123"] {
        assert!(!text.contains(secret), "{secret} in the scan file");
    }
    let scan: Value = serde_json::from_str(&text).expect("json");
    let sw = device(&scan, "10.77.2.1").expect("access-sw-1");
    assert_eq!(sw["snmp"]["credential"], "switches");
    let ap = device(&scan, "10.77.4.2").expect("ap");
    assert_eq!(
        (&ap["snmp"]["version"], &ap["snmp"]["credential"]),
        (&Value::from("v3"), &Value::from("roof-ap"))
    );
    // public answers at 10.77.1.1 too, but may not be sent there
    let rtr = device(&scan, "10.77.1.1").expect("core-rtr-1 answers ping");
    assert!(rtr["snmp"].is_null(), "{}", rtr["snmp"]);
}

/// A run as cron and systemd make it: a job from the configuration file
/// (a community from a secret file, an SNMPv3 user whose keys come from
/// the environment and a file), every output format, a JSON-lines log at
/// -vv, history with retention, a baseline and its guard. Then every file
/// written and everything printed is searched for every secret.
#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn unattended_runs_keep_history_guard_the_baseline_and_leak_no_secret() {
    use std::os::unix::fs::PermissionsExt;
    const SECRETS: [&str; 3] = ["s3cret-ro", "authpass123", "privpass123"];
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let secrets = d.join("secrets");
    std::fs::create_dir(&secrets).expect("mkdir");
    let write_private = |name: &str, text: &str| {
        let p = secrets.join(name);
        std::fs::write(&p, text).expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        p
    };
    let community = write_private("community", "s3cret-ro\n");
    let privkey = write_private("priv", "privpass123\n");
    let out = d.join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let o = |n: &str| out.join(n).display().to_string();
    let conf = write_private(
        "config.toml",
        &format!(
            "[[credential]]\nname = \"site\"\ncommunity_file = \"{}\"\nscope = [\"10.77.5.0/24\"]\n\n\
             [[credential]]\nname = \"lab\"\ncommunity = \"public\"\n\n\
             [[credential]]\nname = \"noc\"\nuser = \"netadmin\"\nauth_protocol = \"SHA\"\n\
             auth_key_env = \"NC_TEST_AUTH\"\npriv_protocol = \"AES\"\npriv_key_file = \"{}\"\n\n\
             [job.nightly]\ntargets = [\"10.77.5.1\", \"10.77.1.1\", \"10.77.4.2\"]\n\
             output = [\"{}\", \"{}\", \"{}\", \"{}\", \"{}\", \"{}\"]\n\
             save_baseline = \"{}\"\nhistory = \"{}\"\nkeep = 2\n",
            community.display(),
            privkey.display(),
            o("scan.json"),
            o("scan.csv"),
            o("report.md"),
            o("report.html"),
            o("metrics.prom"),
            o("table.txt"),
            o("baseline.json"),
            o("history"),
        ),
    );
    let log = o("run.log");
    let mut printed = String::new();
    let conf_path = conf.display().to_string();
    let run = |extra: &[&str], printed: &mut String| -> i32 {
        let mut c = Command::new("ip");
        c.args([
            "netns",
            "exec",
            SCAN_NS,
            env!("CARGO_BIN_EXE_netcensus"),
            "scan",
        ])
        .args(["--config", &conf_path, "--job", "nightly"])
        .args(["-vv", "--log", &log, "--log-format", "json"])
        .args(extra)
        .env("NC_TEST_AUTH", "authpass123");
        let r = c.output().expect("scan");
        printed.push_str(&String::from_utf8_lossy(&r.stdout));
        printed.push_str(&String::from_utf8_lossy(&r.stderr));
        r.status.code().unwrap_or(-1)
    };
    assert_eq!(run(&[], &mut printed), 0, "first run: {printed}");
    let scan: Value = serde_json::from_str(&std::fs::read_to_string(o("scan.json")).expect("scan"))
        .expect("json");
    for (ip, name, set) in [
        ("10.77.5.1", "secret-sw", "site"),
        ("10.77.1.1", "core-rtr-1", "lab"),
        ("10.77.4.2", "Kotelinaya-to-Pat", "noc"),
    ] {
        let dev = device(&scan, ip).expect(ip);
        assert_eq!(dev["snmp"]["sys_name"], name);
        assert_eq!(dev["snmp"]["credential"], set, "{ip}");
    }
    // a second run compares with the baseline; a third, missing a device,
    // may not roll the baseline forward
    let drift = o("drift.md");
    let second = run(
        &["--baseline", &o("baseline.json"), "--diff-output", &drift],
        &mut printed,
    );
    assert_eq!(second, 0, "{printed}");
    let saved = std::fs::read(o("baseline.json")).expect("baseline");
    let narrowed = ["10.77.5.1", "10.77.1.1", "--max-removed", "0"];
    assert_eq!(
        run(&narrowed, &mut printed),
        1,
        "the guard refuses: {printed}"
    );
    assert!(
        printed.contains(
            "not saved: 1 of the baseline's 3 device(s) are missing, more than --max-removed 0"
        ),
        "{printed}"
    );
    assert_eq!(
        std::fs::read(o("baseline.json")).expect("baseline"),
        saved,
        "untouched"
    );
    assert_eq!(run(&["--min-alive", "4"], &mut printed), 1);
    assert!(printed.contains("fewer than --min-alive 4"));
    assert_eq!(std::fs::read(o("baseline.json")).expect("baseline"), saved);
    // four runs, two kept, and latest.json is the newest
    let mut kept: Vec<String> = std::fs::read_dir(o("history"))
        .expect("history")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    kept.sort();
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert_eq!(kept[0], "latest.json");
    let newest = std::fs::read(format!("{}/{}", o("history"), kept[2])).expect("newest");
    assert_eq!(
        std::fs::read(format!("{}/latest.json", o("history"))).expect("latest"),
        newest
    );
    let history = Command::new(env!("CARGO_BIN_EXE_netcensus"))
        .args(["history", &o("history"), "10.77.4.2"])
        .output()
        .expect("history");
    let text = String::from_utf8_lossy(&history.stdout).into_owned();
    assert!(
        text.starts_with("10.77.4.2 Kotelinaya-to-Pat: first seen "),
        "{text}"
    );
    assert!(text.contains("in 1 of 2 scans"), "{text}");
    assert!(text.contains(" added "), "removed, then back: {text}");
    printed.push_str(&text);
    // the log: JSON lines, the run's story at -vv
    let log_text = std::fs::read_to_string(&log).expect("log");
    for line in log_text.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string() && v["message"].is_string(), "{line}");
    }
    for needle in ["found 3 device(s)", "baseline ", "not saved", "DEBUG"] {
        assert!(
            log_text.contains(needle),
            "log lacks {needle:?}:\n{log_text}"
        );
    }
    // and no secret anywhere: printed, logged, written
    let mut files = vec![printed];
    let mut dirs = vec![out.clone()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            if e.path().is_dir() {
                dirs.push(e.path());
            } else {
                files.push(std::fs::read_to_string(e.path()).expect("text file"));
            }
        }
    }
    assert!(files.len() >= 11, "{} outputs searched", files.len());
    for text in &files {
        for s in SECRETS {
            assert!(!text.contains(s), "{s} leaked:\n{text}");
        }
    }
}

/// Add (`add`) or remove (`del`) `addr` as a local address of the lab
/// namespace; true when `ip` did it.
fn lab_route(op: &str, addr: &str) -> bool {
    Command::new("ip")
        .args(["-n", "ncs-lab", "route", op, "local", addr, "dev", "lo"])
        .status()
        .is_ok_and(|s| s.success())
}

/// `addr` as an address of the lab namespace of its own (replacing one
/// left over by an interrupted run).
fn lab_address(addr: &str) {
    lab_route("del", addr);
    assert!(
        lab_route("add", addr),
        "cannot add {addr} to the lab namespace"
    );
}

/// tests/lab/badagent.py in the lab namespace: one misbehaving agent per
/// address (the addresses are added to the namespace and removed again).
struct BadAgents {
    child: std::process::Child,
    addrs: Vec<String>,
}

impl BadAgents {
    fn start(agents: &[(&str, &str)], extra: &[&str]) -> BadAgents {
        use std::io::BufRead;
        let addrs: Vec<String> = agents
            .iter()
            .map(|(_, a)| a.to_string())
            .chain(extra.iter().map(|a| a.to_string()))
            .collect();
        for a in &addrs {
            lab_address(a);
        }
        let script = format!("{}/tests/lab/badagent.py", env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new("ip")
            .args(["netns", "exec", "ncs-lab", "/usr/bin/python3", &script])
            .args(agents.iter().map(|(mode, addr)| format!("{mode}={addr}")))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        let out = child.stdout.take().expect("stdout");
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .expect("ready line");
        assert_eq!(line.trim(), "badagent ready");
        BadAgents { child, addrs }
    }
}

impl Drop for BadAgents {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for a in &self.addrs {
            lab_route("del", a);
        }
    }
}

#[test]
#[ignore = "needs the lab: run tests/run.sh"]
fn misbehaving_agents_get_errors_that_say_why_and_the_real_devices_stay_exact() {
    let agents = [
        ("malformed", "10.77.7.20"),
        ("truncated", "10.77.7.21"),
        ("wrongid", "10.77.7.22"),
        ("huge", "10.77.7.23"),
        ("nonincreasing", "10.77.7.24"),
        ("endless", "10.77.7.25"),
        ("late", "10.77.7.26"),
        ("duplicate", "10.77.7.27"),
        ("otheraddr", "10.77.7.28"),
        ("silence", "10.77.7.30"),
    ];
    // .29: the address the otheraddr agent answers from (silent itself)
    let _bad = BadAgents::start(&agents, &["10.77.7.29"]);
    let t0 = std::time::Instant::now();
    let r = scan(&[
        "10.77.7.20-10.77.7.30",
        "10.77.2.1",
        "10.77.1.1",
        "--inventory",
        "--snmp-budget",
        "3s",
        "--snmp-timeout",
        "500ms",
        "--count",
        "1",
    ]);
    let took = t0.elapsed();
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
    let scan = r.scan.expect("scan file");
    // the real devices, exact
    let sw = device(&scan, "10.77.2.1").expect("access-sw-1");
    assert_eq!(sw["interfaces"].as_array().map(Vec::len), Some(19));
    assert_eq!(sw["errors"], serde_json::json!([]));
    assert_eq!(
        device(&scan, "10.77.1.1").expect("core-rtr-1")["snmp"]["sys_name"],
        "core-rtr-1"
    );
    let errors = |ip: &str| {
        device(&scan, ip)
            .map(|d| d["errors"].to_string())
            .unwrap_or_default()
    };
    for (ip, why) in [
        ("10.77.7.20", "not SNMP"),
        ("10.77.7.21", "not SNMP"),
        ("10.77.7.22", "which it was not sent"),
        ("10.77.7.23", "not asked for"),
    ] {
        assert!(errors(ip).contains(why), "{ip}: {}", errors(ip));
    }
    for (ip, whys) in [
        ("10.77.7.24", ["loops", "no progress"]),
        ("10.77.7.25", ["row cap", "budget"]),
        ("10.77.7.26", ["timeout", "budget"]),
    ] {
        let e = errors(ip);
        assert!(whys.iter().any(|w| e.contains(w)), "{ip}: {e}");
    }
    let huge = device(&scan, "10.77.7.23").expect("huge");
    let descr = huge["snmp"]["sys_descr"].as_str().expect("sysDescr");
    assert!(
        descr.len() < 4200 && descr.ends_with("[cut: 60000 bytes sent]"),
        "{}",
        descr.len()
    );
    // duplicates are skipped: the device is read whole, without an error
    let dup = device(&scan, "10.77.7.27").expect("duplicate");
    assert_eq!(dup["interfaces"].as_array().map(Vec::len), Some(4), "{dup}");
    assert_eq!(dup["errors"], serde_json::json!([]));
    // an answer from another address is the asked one's; that one is no agent
    let multi = device(&scan, "10.77.7.28").expect("otheraddr");
    assert_eq!(multi["snmp"]["answered_from"], "10.77.7.29");
    let other = device(&scan, "10.77.7.29").expect(".29 answers ping");
    assert!(other["snmp"].is_null(), "{other}");
    // silence: found by ping, and nothing invented
    let silent = device(&scan, "10.77.7.30").expect("silent");
    assert!(
        silent["snmp"].is_null() && silent["errors"] == serde_json::json!([]),
        "{silent}"
    );
    println!("misbehaving-agent scan: {took:?}");
}
