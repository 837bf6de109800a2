//! `netcensus config check [FILE]` and `netcensus config show [SCAN FLAGS]`.

use std::fmt::Write;
use std::path::Path;

use humantime::format_duration as dur;
use netcensus::{Error, Profiles, Settings};

use crate::cli::{Cli, ConfigCommand, ScanArgs};

/// Run a config subcommand.
pub fn run(
    c: &ConfigCommand,
    cli: &Cli,
    profiles: impl Fn() -> Result<Profiles, Error>,
) -> Result<i32, Error> {
    match c {
        ConfigCommand::Check { file } => {
            check(file.as_deref().or(cli.config.as_deref()), cli.quiet)
        }
        ConfigCommand::Show(a) => show(a, cli, profiles()?),
    }
}

/// Load and check the file; a line saying what it holds.
fn check(explicit: Option<&Path>, quiet: bool) -> Result<i32, Error> {
    let Some(path) = netcensus::locate_config(explicit) else {
        return Err(Error::Usage(
            "no configuration file: give one, or create $XDG_CONFIG_HOME/netcensus/config.toml \
             or /etc/netcensus/config.toml"
                .into(),
        ));
    };
    let c = super::scan::config(Some(&path))?;
    if let (Some(c), false) = (c, quiet) {
        println!(
            "{}: ok: {} job(s){}, {} credential set(s){}",
            c.file,
            c.jobs.len(),
            if c.jobs.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    c.jobs.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            },
            c.credentials.len(),
            if c.no_community { ", SNMPv3 only" } else { "" }
        );
    }
    Ok(0)
}

/// The settings a scan with these flags would run with, no secret shown.
fn show(a: &ScanArgs, cli: &Cli, profiles: Profiles) -> Result<i32, Error> {
    let conf = super::scan::config(cli.config.as_deref())?;
    let run = super::scan::plan(a, conf.as_ref(), cli.profiles_dir.as_deref())?;
    let s = netcensus::resolve_settings(&run.request, profiles)?;
    let mut o = String::new();
    let file = conf.as_ref().map_or("none", |c| c.file.as_str());
    let _ = writeln!(o, "config file: {file}");
    let _ = writeln!(o, "job: {}", run.job.as_deref().unwrap_or("(defaults)"));
    describe(&mut o, &s);
    let args = &run.args;
    let paths = |label: &str, p: &[std::path::PathBuf]| {
        if p.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = p.iter().map(|p| p.display().to_string()).collect();
            format!("{label}: {}\n", list.join(", "))
        }
    };
    let one = |label: &str, p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map(|p| format!("{label}: {}\n", p.display()))
            .unwrap_or_default()
    };
    o.push_str(&paths("outputs", &args.out.output));
    o.push_str(&one("baseline", &args.baseline));
    o.push_str(&one("save baseline", &args.save_baseline));
    o.push_str(&paths("diff outputs", &args.diff_output));
    o.push_str(&one("interfaces csv", &args.interfaces_csv));
    o.push_str(&one("topology", &args.topology));
    o.push_str(&one("drift rules", &args.drift.rules));
    o.push_str(&one("lock", &args.lock));
    if let Some(f) = &args.drift.fail_on {
        let _ = writeln!(o, "fail on: {f}");
    }
    print!("{o}");
    Ok(0)
}

/// The resolved scan settings, a line each.
fn describe(o: &mut String, s: &Settings) {
    let p = &s.scan;
    let _ = writeln!(o, "targets: {} address(es)", s.targets.len());
    let _ = writeln!(o, "profile: {}", p.name);
    let _ = writeln!(
        o,
        "sweep: rate {}/s, timeout {}, retries {}, echoes {} every {}, ICMP {}",
        p.rate,
        dur(p.timeout),
        p.retries,
        p.count,
        dur(p.interval),
        if s.icmp { "on" } else { "off" }
    );
    let _ = writeln!(
        o,
        "snmp: sweep {}, timeout {}, retries {}, concurrency {}, budget {}",
        p.snmp_sweep.name(),
        dur(p.snmp_timeout),
        p.snmp_retries,
        p.snmp_concurrency,
        dur(p.snmp_budget)
    );
    let _ = writeln!(
        o,
        "collect: classification {}, interfaces {}, neighbours {}, health {}",
        yes(p.classify),
        yes(p.interfaces),
        yes(p.neighbors),
        yes(p.health)
    );
    if !s.tcp_ports.is_empty() {
        let ports: Vec<String> = s.tcp_ports.iter().map(u16::to_string).collect();
        let _ = writeln!(o, "tcp ports: {}", ports.join(","));
    }
    let _ = writeln!(o, "credentials (tried in this order; secrets not shown):");
    if s.communities.is_empty() && s.usm.is_empty() {
        let _ = writeln!(o, "  none: no SNMP");
    }
    let scope = |sc: &netcensus::Scope| {
        if sc.0.is_empty() {
            "everywhere".to_string()
        } else {
            sc.0.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    for c in &s.communities {
        let _ = writeln!(
            o,
            "  {}: community (v2c, then v1), scope {}",
            c.name,
            scope(&c.scope)
        );
    }
    for u in &s.usm {
        let level = match (&u.value.auth, &u.value.privacy) {
            (None, _) => "noAuthNoPriv".to_string(),
            (Some((a, _)), None) => format!("authNoPriv {}", a.name()),
            (Some((a, _)), Some((p, _))) => format!("authPriv {} / {}", a.name(), p.name()),
        };
        let _ = writeln!(
            o,
            "  {}: SNMPv3 user {}, {level}, scope {}",
            u.name,
            u.value.user,
            scope(&u.scope)
        );
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
