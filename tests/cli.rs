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
            predicate::str::contains("ok: ").and(predicate::str::contains("profiles/rules.toml")),
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
            predicate::str::contains("# profiles/rules.toml:")
                .and(predicate::str::contains("25461")),
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
        "sha3",
    );
}
