//! Bad input: every case exits 2 with one line naming what was wrong, and
//! nothing is sent (all of these fail before a socket is opened).

use assert_cmd::Command;
use predicates::prelude::*;

fn scan() -> Command {
    let mut c = Command::cargo_bin("netcensus").unwrap();
    c.arg("scan").arg("-q");
    c
}

fn fails_with(args: &[&str], needle: &str) {
    let out = scan().args(args).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains(needle),
        "stderr for {args:?} lacks {needle:?}:\n{err}"
    );
    let lines = err.lines().filter(|l| !l.trim().is_empty()).count();
    assert!(lines <= 3, "error for {args:?} is not short:\n{err}");
}

#[test]
fn bad_addresses_cidrs_and_ranges() {
    fails_with(&["10.0.0.256"], "'10.0.0.256'");
    fails_with(&["10.0.0.0/33"], "'10.0.0.0/33'");
    fails_with(&["banana"], "'banana'");
    fails_with(&["10.0.0.9-10.0.0.1"], "start is above its end");
    fails_with(&["10.0.0.1-fd00::9"], "mixes IPv4 and IPv6");
    fails_with(&["10.0.0.1", "--exclude", "10.0.0.x"], "'10.0.0.x'");
}

#[test]
fn oversized_prefixes_need_force() {
    fails_with(&["10.0.0.0/7"], "--force");
    fails_with(&["fd00::/64"], "--force");
}

#[test]
fn a_user_that_names_no_account() {
    // looked up before anything else, root or not
    fails_with(
        &["192.0.2.1", "--user", "no-such-user-netcensus"],
        "--user no-such-user-netcensus: no such user",
    );
    fails_with(&["192.0.2.1", "--user", ""], "--user : empty");
}

#[test]
fn nothing_to_scan() {
    fails_with(&[], "no targets");
    fails_with(
        &["10.0.0.1", "--exclude", "10.0.0.0/24"],
        "every target address is excluded",
    );
}

#[test]
fn targets_file_errors_name_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("targets.txt");
    std::fs::write(&f, "# lab\n10.0.0.1\n\n10.0.0.300 # typo\n").unwrap();
    let fs = f.to_str().unwrap();
    fails_with(&["--targets-file", fs], &format!("{fs}:4"));
    fails_with(&["-iL", fs], "'10.0.0.300'");
    fails_with(
        &["--targets-file", "/nonexistent/t.txt"],
        "/nonexistent/t.txt",
    );
    // a file with no end of line, binary, or not text: named with the line
    fails_with(
        &["-iL", "/dev/zero"],
        "targets file /dev/zero:1: line longer than 65536 bytes",
    );
    let bin = d.path().join("targets.bin");
    std::fs::write(&bin, b"10.0.0.1\n10.0.0.\xff\n").unwrap();
    let bs = bin.to_str().unwrap();
    fails_with(
        &["-iL", bs],
        &format!("targets file {bs}:2: not UTF-8 text"),
    );
    // a pipe is read as it comes (nmap's -iL <(cmd)), stdin too
    let piped = scan()
        .args(["-iL", "-", "--exclude", "10.0.0.0/8"])
        .write_stdin("10.0.0.1\n10.0.0.2, 10.0.0.3 # three\n")
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&piped.get_output().stderr).to_string();
    assert!(err.contains("every target address is excluded"), "{err}");
}

#[test]
fn bad_options() {
    fails_with(&["10.0.0.1", "--rate", "0"], "--rate");
    fails_with(&["10.0.0.1", "--timeout", "soon"], "soon");
    fails_with(&["10.0.0.1", "--tcp-ports", "22,http"], "http");
    fails_with(&["10.0.0.1", "-o", "report.pdf"], "report.pdf");
    fails_with(
        &["10.0.0.1", "-o", "/nonexistent/dir/s.json"],
        "/nonexistent/dir/s.json",
    );
    fails_with(&["10.0.0.1", "--community", ""], "community");
}

#[test]
fn help_and_version() {
    Command::cargo_bin("netcensus")
        .unwrap()
        .args(["scan", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--targets-file").and(predicate::str::contains("--tcp-ports")),
        );
    Command::cargo_bin("netcensus")
        .unwrap()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn secrets_stay_out_of_help() {
    let out = Command::cargo_bin("netcensus")
        .unwrap()
        .env("NETCENSUS_COMMUNITY", "topsecret-ro")
        .args(["scan", "--help"])
        .assert()
        .success();
    assert!(!String::from_utf8_lossy(&out.get_output().stdout).contains("topsecret-ro"));
}

fn netcensus() -> Command {
    Command::cargo_bin("netcensus").unwrap()
}

#[test]
fn profiles_validate_list_and_show() {
    netcensus()
        .args(["profiles", "validate"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("ok: ")
                .and(predicate::str::contains("profiles/rules/"))
                .and(predicate::str::contains("registry entries")),
        );
    netcensus()
        .args(["profiles", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("cisco-asa"));
    netcensus()
        .args(["profiles", "show", "paloalto"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("# profiles/rules/").and(predicate::str::contains("25461")),
        );
    netcensus()
        .args(["profiles", "show", "nope"])
        .assert()
        .code(2);
}

#[test]
fn broken_user_profiles_name_file_line_and_field() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("rules.toml"),
        "[[rule]]\nid = \"mine\"\npriority = 10\nsys_descr = \"(oops\"\nrole = \"switch\"\n",
    )
    .unwrap();
    let dir = d.path().to_str().unwrap();
    let out = netcensus()
        .args(["profiles", "validate", dir])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("rules.toml:4: rule 'mine': sys_descr: invalid regex"),
        "{err}"
    );
    // a scan refuses to start with broken profiles, before sending anything
    let out = netcensus()
        .env("NETCENSUS_PROFILES", dir)
        .args(["scan", "-q", "127.0.0.1"])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("rules.toml:4"));
    std::fs::write(
        d.path().join("rules.toml"),
        "[[rule]]\nid = \"mine\"\npriority = 10\nbridge = true\nrole = \"toaster\"\n",
    )
    .unwrap();
    let out = netcensus()
        .args(["profiles", "validate", dir])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr)
        .contains("rules.toml:5: rule 'mine': role: unknown role 'toaster'"));
    std::fs::write(
        d.path().join("rules.toml"),
        "[[rule]]\nid = \"mine\"\npriority = 10\nbridge = true\nrole = \"switch\"\n",
    )
    .unwrap();
    netcensus()
        .args(["profiles", "validate", dir])
        .assert()
        .success();
    // an example that contradicts its rule, in rules/*.toml: refused at
    // every load (validate and scan alike), with the example's line
    std::fs::create_dir(d.path().join("rules")).unwrap();
    std::fs::write(
        d.path().join("rules").join("site.toml"),
        "[[rule]]\nid = \"site-sw\"\npriority = 10\nsys_descr = \"^Acme\"\nos = \"AcmeOS\"\n\n\
         [[rule.example]]\nsys_descr = \"Acme switch\"\nos = \"Acme OS\"\n",
    )
    .unwrap();
    for args in [
        vec!["profiles", "validate", dir],
        vec!["scan", "-q", "127.0.0.1"],
    ] {
        let out = netcensus()
            .env("NETCENSUS_PROFILES", dir)
            .args(&args)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(
            err.contains("site.toml:7: rule 'site-sw': os: the example expects \"Acme OS\", the rule yields \"AcmeOS\""),
            "{err}"
        );
    }
}

#[test]
fn explain_input_errors() {
    netcensus()
        .args(["explain", "/nonexistent/scan.json", "10.0.0.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/scan.json"));
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("s.json");
    std::fs::write(&f, "{\"schema\": \"netcensus/scan/v1\"").unwrap();
    netcensus()
        .args(["explain", f.to_str().unwrap(), "10.0.0.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("s.json"));
}

#[test]
fn scan_profile_errors() {
    fails_with(&["10.0.0.1", "--profile", "nonesuch"], "nonesuch");
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("slow.toml");
    std::fs::write(&f, "[sweep]\nrate = 100\ntimeout = \"soon\"\n").unwrap();
    fails_with(
        &["10.0.0.1", "--profile", f.to_str().unwrap()],
        "slow.toml:3: sweep.timeout: 'soon'",
    );
    std::fs::write(&f, "[snmp]\nsweep = \"sometimes\"\n").unwrap();
    fails_with(
        &["10.0.0.1", "--profile", f.to_str().unwrap()],
        "slow.toml:2: snmp.sweep: unknown mode",
    );
}

#[test]
fn snmpv3_flag_errors() {
    fails_with(
        &["10.0.0.1", "--v3-user", "u", "--v3-auth-key", "short"],
        "at least 8 characters",
    );
    fails_with(
        &["10.0.0.1", "--v3-user", "u", "--v3-priv-key", "longenough"],
        "needs --v3-auth-key",
    );
    fails_with(
        &["10.0.0.1", "--v3-auth-key", "longenough"],
        "need --v3-user",
    );
    fails_with(
        &["10.0.0.1", "--v3-user", "u", "--v3-auth-proto", "sha3"],
        "unknown authentication protocol 'sha3' (one of: MD5, SHA, SHA-224",
    );
    fails_with(
        &["10.0.0.1", "--v3-user", "u", "--v3-priv-proto", "3DES"],
        "unknown privacy protocol '3DES' (one of: DES, AES, AES-192, AES-256, AES-192-C, AES-256-C)",
    );
}

/// `netcensus ARGS` exits 2 with one short line containing `needle`.
fn cmd_fails_with(args: &[&str], needle: &str) {
    let out = netcensus().args(args).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains(needle),
        "stderr for {args:?} lacks {needle:?}:\n{err}"
    );
    assert_eq!(
        err.trim().lines().count(),
        1,
        "not one line for {args:?}:\n{err}"
    );
}

/// A minimal valid scan file with one device.
const SCAN: &str = r#"{"schema": "netcensus/scan/v1",
 "tool": {"name": "netcensus", "version": "0.1.0"},
 "started_at": "2026-11-25T10:00:00.000Z", "finished_at": "2026-11-25T10:00:02.000Z",
 "duration_ms": 2000, "targets": ["10.0.0.0/24"], "excluded": [], "profile": "standard",
 "interrupted": false,
 "stats": {"addresses": 254, "icmp_alive": 1, "snmp_responding": 0, "tcp_alive": 0,
           "devices": 1, "packets_sent": 254},
 "devices": [{"id": "10.0.0.1", "ip": "10.0.0.1", "found_by": ["icmp"], "icmp": null,
   "snmp": null, "tcp_port": null, "role": "unknown", "vendor": null, "model": null,
   "os": null, "os_version": null, "serial": null, "classified_by": {}, "facts": null,
   "errors": [], "interfaces": null, "neighbors": null, "health": null,
   "snmp_stats": {"pdus_sent": 1, "pdus_received": 1, "varbinds": 7, "bytes_sent": 60,
                  "bytes_received": 200, "duration_ms": 3, "interface_walk": null}}]}
"#;

#[test]
fn diff_baseline_and_check_input_errors() {
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("a.json"), SCAN).unwrap();
    std::fs::write(p("broken.json"), &SCAN[..SCAN.len() / 2]).unwrap();
    std::fs::write(p("other.json"), "{\"schema\": \"something/else\"}").unwrap();
    std::fs::write(
        p("rules.toml"),
        "[ignore]\nfields = [\"sys_name\",\n  \"colour\"]\n",
    )
    .unwrap();
    std::fs::write(
        p("topo.toml"),
        "[[device]]\nip = \"10.0.0.1\"\n\n[[device]]\nrole = \"router\"\n",
    )
    .unwrap();
    std::fs::write(
        p("nb.csv"),
        "Name,IP Address\nsw1,10.0.0.1/24\nsw2,10.0.0.x\n",
    )
    .unwrap();
    let (a, broken, other) = (p("a.json"), p("broken.json"), p("other.json"));

    // an identical scan: no drift, exit 0 even with --fail-on any
    netcensus()
        .args(["diff", &a, &a, "--fail-on", "any"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no drift"));
    cmd_fails_with(&["diff", &a, "/nonexistent/b.json"], "/nonexistent/b.json");
    cmd_fails_with(&["diff", &broken, &a], "broken.json");
    cmd_fails_with(&["diff", &broken, &a], "line ");
    cmd_fails_with(&["diff", &other, &a], "something/else");
    cmd_fails_with(&["diff", &a, &a, "--fail-on", "added,typo"], "'typo'");
    cmd_fails_with(
        &["diff", &a, &a, "--rules", &p("rules.toml")],
        "rules.toml:3: ignore.fields: unknown field 'colour'",
    );
    cmd_fails_with(
        &["diff", &a, &a, "--ignore-prefix", "10.0.0.0/40"],
        "--ignore-prefix",
    );
    cmd_fails_with(
        &["diff", &a, &a, "--ignore-interface", "(Gi"],
        "--ignore-interface",
    );
    cmd_fails_with(&["diff", &a, &a, "-o", &p("d.docx")], "d.docx");
    cmd_fails_with(
        &["check", &p("topo.toml"), &a],
        "topo.toml:5: device 2: needs an ip or a name",
    );
    cmd_fails_with(
        &["check", &p("nb.csv"), &a],
        "nb.csv:3: IP Address: '10.0.0.x'",
    );
    cmd_fails_with(
        &["baseline", "save", &broken, "-o", &p("b.json")],
        "broken.json",
    );
    // scan flags are checked before any packet
    fails_with(&["10.0.0.1", "--fail-on", "any"], "need --baseline");
    fails_with(&["10.0.0.1", "--baseline", &broken], "broken.json");
    fails_with(
        &["10.0.0.1", "--baseline", &a, "--rules", &p("rules.toml")],
        "rules.toml:3",
    );
    fails_with(
        &["10.0.0.1", "--save-baseline", "/nonexistent/dir/b.json"],
        "/nonexistent/dir/b.json",
    );

    // a baseline: the scan without its run costs; a failed save leaves the old one whole
    netcensus()
        .args(["baseline", "save", &a, "-o", &p("base.json")])
        .assert()
        .code(0);
    let base = std::fs::read_to_string(p("base.json")).unwrap();
    assert!(base.contains("\"snmp_stats\": null") && base.ends_with("}\n"));
    netcensus()
        .args(["baseline", "save", &broken, "-o", &p("base.json")])
        .assert()
        .code(2);
    assert_eq!(std::fs::read_to_string(p("base.json")).unwrap(), base);
    // an interrupted scan is not a baseline
    std::fs::write(
        p("int.json"),
        SCAN.replace("\"interrupted\": false", "\"interrupted\": true"),
    )
    .unwrap();
    cmd_fails_with(
        &["baseline", "save", &p("int.json"), "-o", &p("base.json")],
        "interrupted",
    );
    assert_eq!(std::fs::read_to_string(p("base.json")).unwrap(), base);
}

#[test]
fn a_second_run_on_the_same_lock_exits_75_before_sending_anything() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base.json");
    let lock = std::fs::File::create(d.path().join("base.json.lock")).unwrap();
    lock.try_lock().unwrap();
    let out = scan()
        .args(["10.0.0.1", "--save-baseline", base.to_str().unwrap()])
        .assert()
        .code(75);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("base.json.lock") && err.contains("holds the lock"),
        "{err}"
    );
    let other = d.path().join("cron.lock");
    let held = std::fs::File::create(&other).unwrap();
    held.try_lock().unwrap();
    scan()
        .args(["10.0.0.1", "--lock", other.to_str().unwrap()])
        .assert()
        .code(75);
    // `baseline save` takes the baseline's lock too
    netcensus()
        .args(["baseline", "save"])
        .arg(format!(
            "{}/tests/fixtures/scan.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .arg("-o")
        .arg(&base)
        .assert()
        .code(75);
    assert!(!base.exists(), "nothing written while another run holds it");
}

#[test]
fn a_lock_path_that_is_a_symlink_or_an_output_is_refused_and_touches_nothing() {
    let d = tempfile::tempdir().unwrap();
    let precious = d.path().join("precious");
    std::fs::write(&precious, "keep me\n").unwrap();
    let link = d.path().join("run.lock");
    std::os::unix::fs::symlink(&precious, &link).unwrap();
    fails_with(
        &["10.0.0.1", "--lock", link.to_str().unwrap()],
        "is a symlink",
    );
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me\n");
    let out = d.path().join("scan.json");
    fails_with(
        &[
            "10.0.0.1",
            "--lock",
            out.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        "is also an input or output of the run",
    );
    assert!(!out.exists());
}

#[test]
fn reports_in_every_format_from_one_run() {
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n).to_str().unwrap().to_string();
    let fx = |n: &str| format!("{}/tests/fixtures/{n}", env!("CARGO_MANIFEST_DIR"));
    let files = ["r.html", "r.csv", "r.md", "r.xml", "r.json", "r.txt"];
    let mut args = vec![
        "report".to_string(),
        fx("scan.json"),
        "--diff".into(),
        fx("baseline.json"),
        "--interfaces-csv".into(),
        p("ifs.csv"),
    ];
    for f in files {
        args.push("-o".into());
        args.push(p(f));
    }
    netcensus().args(&args).assert().code(0);
    for f in files.iter().chain(&["ifs.csv"]) {
        assert!(std::fs::metadata(p(f)).unwrap().len() > 100, "{f} written");
    }
    // --fail-on and a failing check turn into exit 1
    netcensus()
        .args([
            "report",
            &fx("scan.json"),
            "--diff",
            &fx("baseline.json"),
            "--fail-on",
            "moved",
        ])
        .assert()
        .code(1);
    // an unknown extension needs --format; --format decides then
    cmd_fails_with(&["report", &fx("scan.json"), "-o", &p("r.docx")], "r.docx");
    netcensus()
        .args([
            "report",
            &fx("scan.json"),
            "-o",
            &p("r.out"),
            "--format",
            "csv",
            "-q",
        ])
        .assert()
        .code(0);
    assert!(std::fs::read_to_string(p("r.out"))
        .unwrap()
        .starts_with("\"ip\",\"id\",\"name\""));
    // JUnit needs a diff or a check: refused before any scan
    cmd_fails_with(&["report", &fx("scan.json"), "-o", &p("j.xml")], "JUnit");
    fails_with(&["10.0.0.1", "-o", &p("j.xml")], "JUnit");
}

/// A configuration file with a job, a scoped community, an SNMPv3 user
/// whose key comes from the environment, and a secret file.
fn config_file(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let secret = dir.join("community");
    std::fs::write(&secret, "file-borne-community\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let text = format!(
        r#"[defaults]
profile = "quick"
rate = 100

[[credential]]
name = "site-a"
community_file = "{}"
scope = ["192.0.2.0/25"]

[[credential]]
name = "noc"
user = "noc"
auth_protocol = "SHA-256"
auth_key_env = "TEST_NOC_AUTH"
priv_protocol = "aes-256-c"
priv_key = "inline-priv-passphrase"

[job.site]
targets = ["192.0.2.0/24"]
output = ["site.json"]
"#,
        secret.display()
    );
    let p = dir.join("config.toml");
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

#[test]
fn config_show_layers_the_file_under_the_environment_under_the_flags() {
    let d = tempfile::tempdir().unwrap();
    let conf = config_file(d.path());
    let show = |env_rate: Option<&str>, flags: &[&str]| {
        let mut c = netcensus();
        c.args([
            "--config",
            conf.to_str().unwrap(),
            "config",
            "show",
            "--job",
            "site",
        ])
        .args(flags)
        .env("TEST_NOC_AUTH", "env-borne-auth-key")
        .env_remove("NETCENSUS_RATE");
        if let Some(r) = env_rate {
            c.env("NETCENSUS_RATE", r);
        }
        let out = c.assert().success();
        String::from_utf8_lossy(&out.get_output().stdout).to_string()
    };
    let file = show(None, &[]);
    assert!(file.contains("sweep: rate 100/s"), "{file}");
    assert!(file.contains("profile: quick") && file.contains("targets: 254 address(es)"));
    assert!(
        file.contains("site-a: community (v2c, then v1), scope 192.0.2.0/25"),
        "{file}"
    );
    assert!(
        file.contains("noc: SNMPv3 user noc, authPriv SHA-256 / AES-256-C"),
        "{file}"
    );
    assert!(file.contains("outputs: site.json"), "{file}");
    assert!(
        show(Some("200"), &[]).contains("sweep: rate 200/s"),
        "env over file"
    );
    assert!(
        show(Some("200"), &["--rate", "300"]).contains("sweep: rate 300/s"),
        "flag over env"
    );
    // no secret, from wherever it came, is shown
    for secret in [
        "file-borne-community",
        "env-borne-auth-key",
        "inline-priv-passphrase",
    ] {
        assert!(!file.contains(secret), "{secret} shown:\n{file}");
    }
    netcensus()
        .args(["--config", conf.to_str().unwrap(), "config", "check"])
        .env("TEST_NOC_AUTH", "env-borne-auth-key")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ok: 1 job(s) (site), 2 credential set(s)",
        ));
}

#[test]
fn config_problems_name_file_line_and_field_and_stop_before_any_packet() {
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[credential]]\nname = \"a\"\ncommunity = \"x\"\nscope = [\"192.0.2.0/33\"]\n",
    )
    .unwrap();
    cmd_fails_with(
        &["config", "check", bad.to_str().unwrap()],
        "bad.toml:4: credential a scope: '192.0.2.0/33' is not an address or prefix",
    );
    // the environment variable a secret comes from is missing: the scan
    // stops before a socket is opened, naming the line
    let conf = config_file(d.path());
    let out = netcensus()
        .args([
            "--config",
            conf.to_str().unwrap(),
            "scan",
            "-q",
            "--job",
            "site",
        ])
        .env_remove("TEST_NOC_AUTH")
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("config.toml:14: credential noc auth_key_env: environment variable TEST_NOC_AUTH is not set"),
        "{err}"
    );
    let plain = d.path().join("plain.toml");
    std::fs::write(&plain, "[job.site]\ntargets = [\"127.0.0.1\"]\n").unwrap();
    cmd_fails_with(
        &[
            "--config",
            plain.to_str().unwrap(),
            "scan",
            "-q",
            "--job",
            "nonesuch",
        ],
        "--job nonesuch: no such job in",
    );
    cmd_fails_with(
        &[
            "scan",
            "-q",
            "--config",
            d.path().join("missing.toml").to_str().unwrap(),
            "127.0.0.1",
        ],
        "missing.toml: cannot read",
    );
}

#[test]
fn the_example_configuration_checks() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(format!(
        "{}/examples/netcensus.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("/etc/netcensus/", &format!("{}/", d.path().display()));
    for (name, value) in [
        ("campus.community", "campus-ro-secret\n"),
        ("noc.privkey", "noc-priv-passphrase\n"),
    ] {
        std::fs::write(d.path().join(name), value).unwrap();
        std::fs::set_permissions(d.path().join(name), std::fs::Permissions::from_mode(0o600))
            .unwrap();
    }
    let conf = d.path().join("netcensus.toml");
    std::fs::write(&conf, text).unwrap();
    let out = netcensus()
        .args(["config", "check", conf.to_str().unwrap()])
        .env("NETCENSUS_DC_COMMUNITY", "dc-secret")
        .env("NETCENSUS_NOC_AUTH_KEY", "noc-auth-passphrase")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains("ok: 2 job(s) (campus, dc), 3 credential set(s)"),
        "{text}"
    );
}

#[test]
#[ignore = "needs groff (tests/run.sh installs it)"]
fn completions_load_in_bash_and_the_man_page_renders() {
    let d = tempfile::tempdir().unwrap();
    let script = d.path().join("netcensus.bash");
    let o = netcensus().args(["completions", "bash"]).output().unwrap();
    assert!(o.status.success());
    std::fs::write(&script, &o.stdout).unwrap();
    // what bash offers after `netcensus sc` and after `netcensus scan --hi`
    let complete = |words: &str, cword: usize| -> String {
        let o = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source '{}' && COMP_WORDS=({words}) && COMP_CWORD={cword} && \
                 COMP_LINE='{words}' && COMP_POINT=${{#COMP_LINE}} && \
                 _netcensus netcensus \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\" && \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                script.display()
            ))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(complete("netcensus sc", 1).trim(), "scan");
    assert!(complete("netcensus scan --hi", 2).contains("--history"));
    // the man page: roff that groff renders without a warning, every
    // subcommand in it
    let o = netcensus().arg("man").output().unwrap();
    assert!(o.status.success());
    let page = d.path().join("netcensus.1");
    std::fs::write(&page, &o.stdout).unwrap();
    let g = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou", "-ww"])
        .arg(&page)
        .output()
        .expect("groff (apt install groff-base)");
    let warnings = String::from_utf8_lossy(&g.stderr);
    assert!(g.status.success() && warnings.is_empty(), "{warnings}");
    let text = String::from_utf8_lossy(&g.stdout);
    for section in [
        "NETCENSUS SCAN",
        "NETCENSUS HISTORY",
        "NETCENSUS BASELINE SAVE",
        "--max-removed",
    ] {
        assert!(text.contains(section), "man page lacks {section}");
    }
}

#[test]
#[ignore = "needs python3-prometheus-client (tests/run.sh installs it)"]
fn the_prometheus_file_parses_with_the_prometheus_client_and_keeps_its_success_time() {
    let d = tempfile::tempdir().unwrap();
    let fx = |n: &str| format!("{}/tests/fixtures/{n}", env!("CARGO_MANIFEST_DIR"));
    let prom = d.path().join("netcensus.prom");
    let p = prom.to_str().unwrap();
    netcensus()
        .args([
            "report",
            &fx("scan.json"),
            "--diff",
            &fx("baseline.json"),
            "-o",
            p,
            "-q",
        ])
        .assert()
        .code(0);
    // the reference parser of the Python client library (Debian's python,
    // where apt installed it, whatever python3 comes first on PATH)
    let parse = std::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(
            "import sys\n\
             from prometheus_client.parser import text_string_to_metric_families as parse\n\
             for f in parse(open(sys.argv[1]).read()):\n\
             \x20   for s in f.samples:\n\
             \x20       print(f.type, s.name, sorted(s.labels.items()), s.value)\n",
        )
        .arg(p)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&parse.stdout);
    assert!(
        parse.status.success(),
        "{}",
        String::from_utf8_lossy(&parse.stderr)
    );
    let scan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx("scan.json")).unwrap()).unwrap();
    let devices = scan["devices"].as_array().unwrap().len();
    let ups = out
        .lines()
        .filter(|l| l.starts_with("gauge netcensus_device_up "))
        .count();
    assert!(ups >= devices, "one up series per device:\n{out}");
    for family in [
        "gauge netcensus_scan_duration_seconds [] ",
        "gauge netcensus_last_success_timestamp_seconds [] ",
        "gauge netcensus_devices [('role', 'router')] ",
        "gauge netcensus_devices_by_health [('health', 'warning')] ",
        "gauge netcensus_drift_changes [('kind', 'moved')] ",
    ] {
        assert!(out.contains(family), "lacks {family}:\n{out}");
    }
    // bounded cardinality: no label beyond these (none per interface)
    for line in out.lines() {
        let labels = line.split_once(" [").map_or("", |x| x.1);
        for key in labels
            .split("('")
            .skip(1)
            .filter_map(|k| k.split('\'').next())
        {
            assert!(
                ["ip", "name", "role", "health", "kind"].contains(&key),
                "{line}"
            );
        }
    }
    // an interrupted run reports failure and keeps the last success time
    let success = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("netcensus_last_success_timestamp_seconds "))
            .map(str::to_string)
    };
    let first = std::fs::read_to_string(&prom).unwrap();
    let cut = std::fs::read_to_string(fx("scan.json"))
        .unwrap()
        .replace("\"interrupted\": false", "\"interrupted\": true")
        .replace("\"finished_at\": \"2026", "\"finished_at\": \"2027");
    let cut_file = d.path().join("cut.json");
    std::fs::write(&cut_file, cut).unwrap();
    netcensus()
        .args(["report", cut_file.to_str().unwrap(), "-o", p, "-q"])
        .assert()
        .code(0);
    let second = std::fs::read_to_string(&prom).unwrap();
    assert!(second.contains("\nnetcensus_scan_success 0\n"), "{second}");
    assert_eq!(success(&second), success(&first));
    assert!(success(&first).is_some());
}

#[test]
fn a_corrupt_truncated_or_huge_scan_file_exits_2_and_is_left_as_it_was() {
    let d = tempfile::tempdir().unwrap();
    let fx = |n: &str| format!("{}/tests/fixtures/{n}", env!("CARGO_MANIFEST_DIR"));
    let whole = std::fs::read(fx("baseline.json")).unwrap();
    let cases: [(&str, Vec<u8>); 3] = [
        ("truncated.json", whole[..whole.len() / 2].to_vec()),
        ("binary.json", b"\x00\xff\xfe\x01 not json".to_vec()),
        ("wrong.json", br#"{"schema": "netcensus/scan/v9"}"#.to_vec()),
    ];
    for (name, bytes) in &cases {
        let p = d.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let p = p.to_str().unwrap();
        for args in [
            vec!["diff", p, &fx("scan.json")],
            vec!["report", p],
            vec!["baseline", "save", p, "-o", p],
        ] {
            cmd_fails_with(&args, name);
        }
        assert_eq!(
            &std::fs::read(d.path().join(name)).unwrap(),
            bytes,
            "{name} untouched"
        );
    }
    // a file larger than any scan file may be is refused before it is read
    let huge = d.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    cmd_fails_with(
        &["report", huge.to_str().unwrap()],
        "more than the 1073741824 this file may have",
    );
    // a FIFO would block a reader for ever: refused
    let fifo = d.path().join("fifo.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    cmd_fails_with(&["report", fifo.to_str().unwrap()], "not a regular file");
}

/// Kill `netcensus report` with SIGKILL at random points while it writes
/// its outputs: each output is always a whole file, the previous run's or
/// the new one, never a truncated one.
#[test]
fn outputs_survive_sigkill_at_any_point_whole() {
    // enough devices that writing the outputs takes a second or two
    const N: u32 = 20_000;
    let d = tempfile::tempdir().unwrap();
    let fx = format!("{}/tests/fixtures/scan.json", env!("CARGO_MANIFEST_DIR"));
    let mut scan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx).unwrap()).unwrap();
    let one = scan["devices"][0].clone();
    let devices: Vec<serde_json::Value> = (0..N)
        .map(|n| {
            let mut dev = one.clone();
            dev["ip"] = format!("10.{}.{}.{}", 100 + (n >> 16), (n >> 8) & 255, n & 255).into();
            dev["id"] = format!("dev-{n}").into();
            dev
        })
        .collect();
    scan["devices"] = devices.into();
    let big = d.path().join("big.json");
    std::fs::write(&big, serde_json::to_string(&scan).unwrap()).unwrap();
    let outs = ["r.json", "r.csv", "r.html", "r.md"];
    let run = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_netcensus"));
        c.arg("report").arg(&big).arg("-q");
        for o in outs {
            c.arg("-o").arg(d.path().join(o));
        }
        c
    };
    assert!(run().status().unwrap().success());
    let whole = |name: &str| {
        let text = std::fs::read_to_string(d.path().join(name)).unwrap();
        match name {
            "r.json" => serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "r.csv" => text.ends_with("\r\n") && text.lines().count() == N as usize + 1,
            "r.html" => text.trim_end().ends_with("</html>"),
            // the last device's row, or the line saying the rest was cut
            _ => {
                text.contains("10\\.100.78.31")
                    || text.contains("10.100.78.31")
                    || text.contains(" more devices")
            }
        }
    };
    let mut killed_mid_run = 0;
    for i in 0..12u64 {
        let mut child = run().spawn().unwrap();
        // spread the kills over the run (a whole run takes well over this)
        std::thread::sleep(std::time::Duration::from_millis(20 + i * 131 % 1500));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            killed_mid_run += 1;
        }
        for o in outs {
            assert!(whole(o), "{o} not whole after a kill at try {i}");
        }
    }
    assert!(
        killed_mid_run > 0,
        "no run was killed before it ended: make the input bigger"
    );
}

#[test]
fn crawl_flags_are_checked_before_anything_is_sent() {
    fails_with(&["192.0.2.1", "--crawl"], "--crawl needs --crawl-within");
    fails_with(
        &["192.0.2.1", "--crawl", "--crawl-within", "10.0.0.0/33"],
        "--crawl-within 10.0.0.0/33: not a prefix",
    );
    fails_with(
        &["192.0.2.1", "--crawl-within", "10.0.0.0/8"],
        "need --crawl",
    );
    fails_with(
        &[
            "192.0.2.1",
            "--crawl",
            "--crawl-within",
            "10.0.0.0/8",
            "--crawl-depth",
            "0",
        ],
        "--crawl-depth 0",
    );
}

#[test]
fn locate_names_what_it_cannot_read() {
    let out = Command::cargo_bin("netcensus")
        .unwrap()
        .args(["locate", "/nonexistent/scan.json", "banana"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("'banana' is neither an IP address nor a MAC"),
        "{err}"
    );
    let out = Command::cargo_bin("netcensus")
        .unwrap()
        .args(["locate", "/nonexistent/scan.json", "10.0.0.1"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("/nonexistent/scan.json"), "{err}");
}
