//! `netcensus scan`.

use std::path::{Path, PathBuf};

use netcensus::{arg_tokens, read_targets_file, Token};
use netcensus::{check_writable, write_atomic};
use netcensus::{Config, Overrides, Request, RunFiles, Secret, UsmRequest};
use netcensus::{Error, EXIT_INTERRUPTED};
use netcensus::{Format, Primary, View};
use netcensus::{Profiles, SnmpSweep};

use crate::cli::{ScanArgs, SnmpSweepArg, StdoutFormat};

fn read_all(files: &[PathBuf]) -> Result<Vec<Token>, Error> {
    let mut out = Vec::new();
    for f in files {
        out.extend(read_targets_file(f)?);
    }
    Ok(out)
}

/// The configuration file a run reads (`--config`, else the user's, else
/// the system's), if there is one; its warnings are logged (stderr unless -q).
pub fn config(explicit: Option<&Path>) -> Result<Option<Config>, Error> {
    let Some(path) = netcensus::locate_config(explicit) else {
        return Ok(None);
    };
    let c = netcensus::load_config(&path, &|v| std::env::var(v).ok())?;
    tracing::debug!("configuration {}", path.display());
    for w in &c.warnings {
        tracing::warn!("{w}");
    }
    Ok(Some(c))
}

/// What a run does: the flags with the configuration's job under them
/// (the job named by `--job`, else the file's `[defaults]` with every
/// credential set), as the request the library resolves and the flags'
/// files filled in from the job.
pub struct Run {
    pub args: ScanArgs,
    pub request: Request,
    pub job: Option<String>,
}

/// Put the configuration's job under the flags.
pub fn plan(
    a: &ScanArgs,
    config: Option<&Config>,
    profiles_dir: Option<&Path>,
) -> Result<Run, Error> {
    let (job, credentials) = match (config, &a.job) {
        (Some(c), Some(name)) => {
            let (job, sets) = c.job(name)?;
            (Some(job), sets)
        }
        (None, Some(name)) => {
            return Err(Error::Usage(format!(
                "--job {name}: no configuration file (give --config FILE, or create \
                 $XDG_CONFIG_HOME/netcensus/config.toml or /etc/netcensus/config.toml)"
            )))
        }
        (Some(c), None) => (
            Some(c.defaults.clone()),
            c.sets(c.defaults.credentials.as_deref()),
        ),
        (None, None) => (None, Vec::new()),
    };
    let files = RunFiles {
        output: a.out.output.clone(),
        baseline: a.baseline.clone(),
        topology: a.topology.clone(),
        save_baseline: a.save_baseline.clone(),
        diff_output: a.diff_output.clone(),
        interfaces_csv: a.interfaces_csv.clone(),
        rules: a.drift.rules.clone(),
        lock: a.lock.clone(),
        fail_on: a.drift.fail_on.clone(),
        history: a.history.clone(),
        keep: a.keep,
        keep_days: a.keep_days,
        max_removed: a.max_removed,
        min_alive: a.min_alive,
        user: a.user.clone(),
    }
    .over(job.as_ref());
    let mut args = a.clone();
    args.out.output = files.output;
    args.baseline = files.baseline;
    args.topology = files.topology;
    args.save_baseline = files.save_baseline;
    args.diff_output = files.diff_output;
    args.interfaces_csv = files.interfaces_csv;
    args.drift.rules = files.rules;
    args.lock = files.lock;
    args.drift.fail_on = files.fail_on;
    args.history = files.history;
    args.keep = files.keep;
    args.keep_days = files.keep_days;
    args.max_removed = files.max_removed;
    args.min_alive = files.min_alive;
    args.user = files.user;
    args.no_community |= config.is_some_and(|c| c.no_community);
    let mut request = request(&args, profiles_dir)?;
    request.job = job;
    request.credentials = credentials;
    Ok(Run {
        args,
        request,
        job: a.job.clone(),
    })
}

/// The flags as a settings request (the library resolves and checks it).
fn request(a: &ScanArgs, profiles_dir: Option<&Path>) -> Result<Request, Error> {
    let mut targets = arg_tokens(&a.targets);
    targets.extend(read_all(&a.targets_file)?);
    let mut excludes = arg_tokens(&a.exclude);
    excludes.extend(read_all(&a.exclude_file)?);
    Ok(Request {
        targets,
        excludes,
        force: a.force,
        profile: a.profile.clone(),
        profiles_dir: profiles_dir.map(Path::to_path_buf),
        overrides: Overrides {
            rate: a.rate,
            timeout: a.timeout,
            retries: a.retries,
            count: a.count,
            interval: a.interval,
            snmp_timeout: a.snmp_timeout,
            snmp_retries: a.snmp_retries,
            snmp_concurrency: a.snmp_concurrency,
            snmp_budget: a.snmp_budget,
            snmp_sweep: a.snmp_sweep.map(|m| match m {
                SnmpSweepArg::Auto => SnmpSweep::Auto,
                SnmpSweepArg::All => SnmpSweep::All,
                SnmpSweepArg::Alive => SnmpSweep::Alive,
                SnmpSweepArg::Off => SnmpSweep::Off,
            }),
            no_classify: a.no_classify,
            inventory: match (a.inventory, a.no_inventory) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
        },
        no_icmp: a.no_icmp,
        tcp_ports: a.tcp_ports.clone(),
        communities: a.communities.iter().map(Secret::new).collect(),
        no_community: a.no_community,
        baseline: a.baseline.clone(),
        topology: a.topology.clone(),
        job: None,
        credentials: Vec::new(),
        crawl: netcensus::CrawlRequest {
            on: a.crawl,
            within: a.crawl_within.clone(),
            depth: a.crawl_depth,
        },
        usm: UsmRequest {
            user: a.v3_user.clone(),
            auth: a.v3_auth_proto,
            auth_key: a.v3_auth_key.as_ref().map(Secret::new),
            privacy: a.v3_priv_proto,
            priv_key: a.v3_priv_key.as_ref().map(Secret::new),
            context: a.v3_context.clone(),
        },
    })
}

/// Run the scan; returns the exit code.
pub fn run(
    a: &ScanArgs,
    profiles: Profiles,
    profiles_dir: Option<&Path>,
    config_file: Option<&Path>,
    quiet: bool,
) -> Result<i32, Error> {
    let conf = config(config_file)?;
    let Run {
        args,
        request,
        job: run_job,
    } = plan(a, conf.as_ref(), profiles_dir)?;
    let a = &args;
    let account = super::privsep::who_scans(a.user.as_deref())?;
    // cron: one run at a time per baseline, checked before anything else
    if let Some(lock) = &a.lock {
        let others: Vec<&Path> = [
            a.save_baseline.as_deref(),
            a.baseline.as_deref(),
            a.interfaces_csv.as_deref(),
            a.topology.as_deref(),
            a.drift.rules.as_deref(),
        ]
        .into_iter()
        .flatten()
        .chain(a.out.output.iter().map(PathBuf::as_path))
        .chain(a.diff_output.iter().map(PathBuf::as_path))
        .chain(a.targets_file.iter().map(PathBuf::as_path))
        .chain(a.exclude_file.iter().map(PathBuf::as_path))
        .collect();
        netcensus::check_lock_path(lock, &others)?;
    }
    let _locks = [
        a.lock.clone(),
        a.save_baseline
            .as_deref()
            .map(netcensus::baseline_lock_path),
    ]
    .into_iter()
    .flatten()
    .collect::<std::collections::BTreeSet<_>>()
    .iter()
    .map(|p| netcensus::lock_baseline(p))
    .collect::<Result<Vec<_>, _>>()?;
    let settings = netcensus::resolve_settings(&request, profiles)?;
    // drift: every input checked before the sweep, not after it
    let drift = match &settings.baseline {
        Some(old) => Some((
            std::sync::Arc::clone(old),
            super::drift::rules(&a.drift)?,
            super::outputs(&a.diff_output, "--diff-output", a.out.format)?,
        )),
        None if !a.diff_output.is_empty() || a.drift.fail_on.is_some() => {
            return Err(Error::Usage(
                "--diff-output and --fail-on need --baseline FILE".into(),
            ))
        }
        None => None,
    };
    let fail = super::drift::fail_on(&a.drift)?;
    if let Some(p) = &a.save_baseline {
        check_writable(p)?;
    }
    let outputs = super::outputs(&a.out.output, "-o", a.out.format)?;
    super::check_formats(&outputs, drift.is_some())?;
    if let Some(p) = &a.interfaces_csv {
        check_writable(p)?;
    }
    if let Some(dir) = &a.history {
        netcensus::check_history_dir(dir)?;
    }
    tracing::info!(
        "scan of {} address(es), profile {}{}",
        settings.targets.len(),
        settings.scan.name,
        run_job
            .as_deref()
            .map(|j| format!(", job {j}"))
            .unwrap_or_default()
    );

    let scan = super::privsep::scan(&settings, account.as_ref(), quiet)?;
    log_scan(&scan);

    report(a, &scan, drift, &outputs, fail.as_ref(), quiet)
}

/// A baseline, its diff rules and the drift outputs, when `--baseline`.
type Drift = (
    std::sync::Arc<netcensus::ScanFile>,
    netcensus::DriftRules,
    Vec<(PathBuf, Format)>,
);

/// Write the scan's outputs, save the baseline, compare with the old one;
/// returns the exit code.
fn report(
    a: &ScanArgs,
    scan: &netcensus::ScanFile,
    drift: Option<Drift>,
    outputs: &[(PathBuf, Format)],
    fail: Option<&std::collections::BTreeSet<netcensus::DriftKind>>,
    quiet: bool,
) -> Result<i32, Error> {
    let color = super::color();
    let stdout = a.out.format.unwrap_or(StdoutFormat::Table);
    let scan_view = View {
        primary: Primary::Scan,
        scan: Some(scan),
        diff: None,
        check: None,
        color,
    };
    if let Some(p) = &a.interfaces_csv {
        write_atomic(p, netcensus::interfaces_csv(scan).as_bytes())?;
    }
    if drift.is_none() || scan.interrupted {
        // an interrupted scan is not compared: no JUnit drift file then
        let files: Vec<(PathBuf, Format)> = outputs
            .iter()
            .filter(|(_, f)| *f != Format::Junit)
            .cloned()
            .collect();
        super::emit(&scan_view, &files, (!quiet).then_some(stdout))?;
    }
    if scan.interrupted {
        // partial results are written above, but neither compared, kept
        // in the history nor saved as a baseline: the missing devices are
        // not gone
        tracing::warn!("interrupted: the scan is not compared, kept or saved as a baseline");
        return Ok(EXIT_INTERRUPTED);
    }
    if let Some(dir) = &a.history {
        let retention = netcensus::Retention {
            keep: a.keep,
            days: a.keep_days,
        };
        let kept = netcensus::keep_history(dir, scan, retention, std::time::SystemTime::now())?;
        tracing::info!(
            "kept {} ({} older removed)",
            kept.file.display(),
            kept.removed.len()
        );
    }
    let guarded = match &a.save_baseline {
        Some(p) => save_guarded(a, scan, p, drift.as_ref())?,
        None => 0,
    };
    let Some((old, rules, diff_files)) = drift else {
        return Ok(guarded);
    };
    let d = netcensus::diff(&old, scan, &rules);
    tracing::info!(
        "drift since {}: {}",
        old.started_at,
        if d.changes.is_empty() {
            "none".to_string()
        } else {
            d.tally()
        }
    );
    // -o files show the scan with its drift; --diff-output files the drift
    let with_drift = View {
        diff: Some(&d),
        ..scan_view
    };
    super::emit(&with_drift, outputs, None)?;
    let drift_view = View {
        primary: Primary::Diff,
        ..with_drift
    };
    super::emit(&drift_view, &diff_files, None)?;
    // cron: quiet unless something changed
    let show = !quiet || (!d.changes.is_empty() && stdout == StdoutFormat::Table);
    if show {
        let view = if quiet { drift_view } else { with_drift };
        super::emit(&view, &[], Some(stdout))?;
    }
    Ok(super::drift::verdict(&d, fail).max(guarded))
}

/// The run in the log: what was found, and each device's errors.
fn log_scan(scan: &netcensus::ScanFile) {
    let with_errors = scan.devices.iter().filter(|d| !d.errors.is_empty()).count();
    tracing::info!(
        "found {} device(s) in {:.1} s, {with_errors} with errors",
        scan.devices.len(),
        scan.duration_ms as f64 / 1000.0
    );
    for d in scan.devices.iter().filter(|d| !d.errors.is_empty()) {
        for e in &d.errors {
            tracing::info!("{}: {}", d.ip, netcensus::one_line(e, 300));
        }
    }
}

/// Save `scan` as the baseline `path` unless the guard refuses (then
/// exit 1 with the reason, the old baseline untouched).
fn save_guarded(
    a: &ScanArgs,
    scan: &netcensus::ScanFile,
    path: &Path,
    drift: Option<&Drift>,
) -> Result<i32, Error> {
    let guard = netcensus::BaselineGuard {
        max_removed: a.max_removed,
        min_alive: a.min_alive,
    };
    if guard != netcensus::BaselineGuard::default() {
        // the baseline this save replaces, else the one compared with
        let replaced = if path.exists() {
            Some(std::sync::Arc::new(netcensus::load_scan_file(path)?))
        } else {
            drift.map(|(old, _, _)| std::sync::Arc::clone(old))
        };
        let removed = replaced.as_ref().map_or(0, |old| {
            let rules = drift.map(|(_, r, _)| r.clone()).unwrap_or_default();
            let d = netcensus::diff(old, scan, &rules);
            d.counts
                .get(&netcensus::DriftKind::Removed)
                .copied()
                .unwrap_or(0)
        });
        let old_devices = replaced.as_ref().map(|o| o.devices.len());
        if let Some(why) = guard.refuses(old_devices, removed, scan) {
            crate::logging::failure(&format!("baseline {} not saved: {why}", path.display()));
            return Ok(netcensus::EXIT_FAILED);
        }
    }
    netcensus::save_baseline(scan, path)?;
    tracing::info!("baseline {} saved", path.display());
    Ok(0)
}
