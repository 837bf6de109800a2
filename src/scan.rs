//! The scan pipeline: targets → sweep → TCP → SNMP identity → echoes →
//! `ScanFile`. Driven by [`Settings`], reporting progress as events.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use tokio::sync::mpsc;

use crate::classify::{classify, Evidence};
use crate::collect::health::{self, Readings};
use crate::collect::walk::WalkOptions;
use crate::collect::{self, inventory, Needs};
use crate::error::Error;
use crate::event::{Cancel, Event, Events, Phase};
use crate::model::{
    Device, Facts, Interface, Neighbor, Protocol, ScanFile, Snmp, SnmpStats, Stats, Tool,
    SCAN_SCHEMA,
};
use crate::probe::agent::{Agent, Credential};
use crate::probe::budget::{Budget, Crowd};
use crate::probe::echo::{self, EchoOptions};
use crate::probe::snmp::{self, Named, SessionOptions, SweepAnswer};
use crate::probe::sweep::{self, SweepOptions};
use crate::probe::tcp;
use crate::profile::{HealthMetric, Profiles, SnmpSweep};
use crate::{identity, judge};

pub use crate::settings::Settings;

/// Per-run tags for our echoes and requests, so replies to another run (or
/// another program) are not taken for ours.
fn run_tags() -> (u16, i32) {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mix = nanos ^ std::process::id().rotate_left(16);
    ((mix & 0xffff) as u16, (mix >> 1) as i32)
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// Per-run identifiers of our packets.
#[derive(Debug, Clone, Copy)]
struct Tags {
    ident: u16,
}

/// What the phases beside the SNMP phase found.
struct Front {
    sweep: sweep::SweepResult,
    tcp_found: HashMap<IpAddr, u16>,
    found: BTreeSet<IpAddr>,
    icmp_stats: HashMap<IpAddr, crate::model::Icmp>,
    packets: u64,
}

/// Open the ICMP sockets the scan will use (the sweep's and the echoes'
/// of each family it has targets in) while the process may still open
/// raw ones; a run that gives root up calls this first.
pub fn preopen_sockets(settings: &Settings) -> Result<(), Error> {
    if !settings.icmp {
        return Ok(());
    }
    let per_family = if settings.scan.count > 0 { 2 } else { 1 };
    // a crawl may reach the other family
    let crawls = |v6: bool| {
        settings
            .crawl
            .iter()
            .flat_map(|c| &c.within)
            .any(|w| w.is_ipv6() == v6)
    };
    crate::probe::icmp::preopen(
        settings.targets.has_v4() || crawls(false),
        settings.targets.has_v6() || crawls(true),
        per_family,
    )?;
    Ok(())
}

/// Run a scan. Cancellation stops sending and returns what was found,
/// marked `interrupted`.
pub async fn run(settings: &Settings, events: &Events, cancel: &Cancel) -> Result<ScanFile, Error> {
    let started = SystemTime::now();
    let clock = std::time::Instant::now();
    let (ident, req_id) = run_tags();
    let tags = Tags { ident };
    let (mut f, mut snmp_done) = round(settings, tags, req_id, events, cancel).await?;
    let mut addresses = settings.targets.len();
    if let Some(c) = &settings.crawl {
        let ids = (tags, req_id);
        addresses += crawl(c, settings, ids, (&mut f, &mut snmp_done), events, cancel).await?;
    }
    let devices = devices(&mut f, &mut snmp_done, settings, started);
    let count = |has: &dyn Fn(&Device) -> bool| devices.iter().filter(|d| has(d)).count() as u64;
    let stats = Stats {
        addresses: u64::try_from(addresses).unwrap_or(u64::MAX),
        icmp_alive: count(&|d| d.found_by.contains(&Protocol::Icmp)),
        snmp_responding: count(&|d| d.snmp.is_some()),
        tcp_alive: count(&|d| d.found_by.contains(&Protocol::Tcp)),
        devices: devices.len() as u64,
        packets_sent: f.packets,
        internal_errors: count(&|d| d.errors.iter().any(|e| e.starts_with(INTERNAL_ERROR))),
    };
    Ok(ScanFile {
        schema: SCAN_SCHEMA.to_string(),
        tool: Tool::default(),
        started_at: rfc3339(started),
        finished_at: rfc3339(SystemTime::now()),
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        targets: settings.targets.specs.clone(),
        excluded: settings.targets.excluded.clone(),
        profile: settings.scan.name.clone(),
        interrupted: cancel.is_cancelled(),
        stats,
        devices,
        links: Vec::new(),
        endpoints: Vec::new(),
    })
    .map(|mut scan| {
        crate::map::build(&mut scan);
        scan
    })
}

/// One pass over the settings' targets: the sweep and the phases beside
/// it, and the SNMP phase, which runs beside everything else (complete
/// answers of the sweep start it while the sweep is still going).
async fn round(
    settings: &Settings,
    tags: Tags,
    req_id: i32,
    events: &Events,
    cancel: &Cancel,
) -> Result<(Front, HashMap<IpAddr, SnmpDone>), Error> {
    let (ans_tx, ans_rx) = mpsc::unbounded_channel::<(IpAddr, SweepAnswer)>();
    let (job_tx, job_rx) = mpsc::unbounded_channel::<(IpAddr, SnmpJob)>();
    let early = receiver_stream(ans_rx).map(|(ip, a)| (ip, SnmpJob::Known(a.rank, a.system)));
    let snmp_jobs = futures::stream::select(early, receiver_stream(job_rx));
    let (snmp_done, front) = tokio::join!(
        snmp_phase(snmp_jobs, settings, req_id, events, cancel),
        front(settings, tags, ans_tx, job_tx, events, cancel)
    );
    Ok((front?, snmp_done))
}

/// The crawl: round after round, the addresses the devices found so far
/// know of (LLDP/CDP neighbours' management addresses, routers' ARP/ND
/// entries) that lie within its prefixes and were not probed yet; how many
/// addresses it probed.
async fn crawl(
    c: &crate::settings::Crawl,
    settings: &Settings,
    (tags, req_id): (Tags, i32),
    (f, done): (&mut Front, &mut HashMap<IpAddr, SnmpDone>),
    events: &Events,
    cancel: &Cancel,
) -> Result<u128, Error> {
    let (mut asked, mut probed): (BTreeSet<IpAddr>, u128) = (BTreeSet::new(), 0);
    for depth in 1..=c.depth {
        if cancel.is_cancelled() {
            break;
        }
        let frontier: Vec<IpAddr> = learned_addresses(done.values())
            .into_iter()
            .filter(|ip| c.within.iter().any(|w| w.contains(*ip)))
            .filter(|ip| !settings.targets.contains(*ip) && !asked.contains(ip))
            .collect();
        let tokens: Vec<crate::targets::Token> = frontier
            .iter()
            .map(|ip| crate::targets::Token::arg(&ip.to_string()))
            .collect();
        // the scan's exclusions hold for what the crawl learns too
        let Ok(targets) = crate::targets::TargetSet::build(&tokens, &c.excludes, true) else {
            break;
        };
        asked.extend(frontier.iter().copied());
        probed = probed.saturating_add(targets.len());
        events.emit(Event::Crawl {
            depth,
            frontier: targets.len() as u64,
        });
        let next = Settings {
            targets,
            ..settings.clone()
        };
        let base = req_id.wrapping_add((depth as i32).wrapping_mul(1 << 27));
        let (more, more_done) = round(&next, tags, base, events, cancel).await?;
        f.absorb(more);
        done.extend(more_done);
    }
    Ok(probed)
}

/// The addresses the devices' tables hold that a crawl may follow:
/// neighbours' management addresses, ARP/ND entries (of routers, when it
/// is known which devices route) and the devices' own other addresses
/// (IP-MIB: they become one record with the address that told them);
/// link-local ones left out (no scope to reach them by).
fn learned_addresses<'a>(done: impl Iterator<Item = &'a SnmpDone>) -> BTreeSet<IpAddr> {
    let mut out = BTreeSet::new();
    for d in done {
        for n in d.neighbors.iter().flatten() {
            let addrs = n.remote_mgmt_addr.iter().chain(&n.remote_mgmt_addrs);
            out.extend(addrs.filter_map(|a| a.parse::<IpAddr>().ok()));
        }
        out.extend(d.facts.iter().flat_map(|f| f.addresses.iter().copied()));
        let routes = d.facts.as_ref().and_then(|f| f.ip_forwarding) != Some(false);
        if routes {
            out.extend(d.learned.iter().flat_map(|l| &l.arp).map(|a| a.ip));
        }
    }
    out.retain(inventory::reachable);
    out
}

impl Front {
    /// Fold a later round's findings into these.
    fn absorb(&mut self, other: Front) {
        let s = &mut self.sweep;
        s.icmp_alive.extend(other.sweep.icmp_alive);
        s.snmp.extend(other.sweep.snmp);
        s.packets_sent += other.sweep.packets_sent;
        s.send_errors += other.sweep.send_errors;
        s.dispatched.extend(other.sweep.dispatched);
        s.foreign += other.sweep.foreign;
        s.faults.extend(other.sweep.faults);
        self.tcp_found.extend(other.tcp_found);
        self.found.extend(other.found);
        self.icmp_stats.extend(other.icmp_stats);
        self.packets += other.packets;
    }
}

/// The model: a record per address, classified; the records of one
/// device merged; health judged (against the baseline, if any). Sorted by
/// address.
fn devices(
    f: &mut Front,
    snmp_done: &mut HashMap<IpAddr, SnmpDone>,
    settings: &Settings,
    started: SystemTime,
) -> Vec<Device> {
    let mut icmp_stats = std::mem::take(&mut f.icmp_stats);
    let (devices, readings): (Vec<Device>, Vec<Option<Readings>>) = f
        .found
        .iter()
        .map(|ip| {
            let mut done = snmp_done.remove(ip).unwrap_or_default();
            // what was wrong with its answers to the sweep
            if let Some(fault) = f.sweep.faults.get(ip) {
                done.errors.push(fault.clone());
            }
            let icmp = icmp_stats.remove(ip);
            let by = found_by(*ip, f, &done);
            assemble(*ip, by, icmp, f.tcp_found.get(ip).copied(), done, settings)
        })
        .unzip();
    let (mut devices, readings) =
        identity::merge(devices, readings, &|ip| settings.targets.rank(ip));
    if settings.scan.health {
        let expected = settings
            .topology
            .as_deref()
            .map(|t| crate::topology::expected_ports(t, &devices))
            .unwrap_or_default();
        judge::judge_all(
            &mut devices,
            &readings,
            settings.baseline.as_deref(),
            &expected,
            started,
            &settings.scan.thresholds,
        );
    }
    devices
}

/// How a host was found: any of `icmp`, `snmp`, `tcp`.
fn found_by(ip: IpAddr, f: &Front, done: &SnmpDone) -> Vec<Protocol> {
    [
        (f.sweep.icmp_alive.contains(&ip), Protocol::Icmp),
        (done.snmp.is_some(), Protocol::Snmp),
        (f.tcp_found.contains_key(&ip), Protocol::Tcp),
    ]
    .into_iter()
    .filter_map(|(yes, by)| yes.then_some(by))
    .collect()
}

/// Whether the scan speaks SNMP at all.
fn snmp_on(settings: &Settings) -> bool {
    (!settings.communities.is_empty() || !settings.usm.is_empty())
        && settings.scan.snmp_sweep != SnmpSweep::Off
}

/// The sweep, TCP probes, the SNMP jobs for what the sweep left, and the
/// echoes: everything but the SNMP phase, which runs beside it.
async fn front(
    settings: &Settings,
    tags: Tags,
    ans_tx: mpsc::UnboundedSender<(IpAddr, SweepAnswer)>,
    job_tx: mpsc::UnboundedSender<(IpAddr, SnmpJob)>,
    events: &Events,
    cancel: &Cancel,
) -> Result<Front, Error> {
    let snmp_max_block = settings.snmp_sweep_max_block();
    // 1. sweep: ICMP (+ SNMP) to every address
    let sw = sweep::sweep(
        &settings.targets,
        &SweepOptions {
            rate: settings.scan.rate,
            timeout: settings.scan.timeout,
            retries: settings.scan.retries,
            icmp: settings.icmp,
            communities: if snmp_max_block > 0 {
                settings.communities.clone()
            } else {
                Vec::new()
            },
            snmp_max_block,
            answers: snmp_on(settings).then_some(ans_tx),
            ident: tags.ident,
            ids: crate::probe::sweep::ReqIds::new(),
        },
        events,
        cancel,
    )
    .await?;
    let mut packets = sw.packets_sent;
    // 2. TCP connect probes for the addresses still silent
    let (tcp_found, tcp_packets) = tcp_phase(settings, &sw, events, cancel).await;
    packets += tcp_packets;
    let found: BTreeSet<IpAddr> = sw
        .icmp_alive
        .iter()
        .chain(sw.snmp.keys())
        .chain(tcp_found.keys())
        .copied()
        .collect();
    // 3. SNMP jobs for what the sweep did not (fully) identify
    let mut jobs = 0usize;
    if snmp_on(settings) && !cancel.is_cancelled() {
        jobs = sw.dispatched.len();
        let swept = |ip: &IpAddr| {
            settings
                .targets
                .block_len(*ip)
                .is_some_and(|n| n <= snmp_max_block)
        };
        for job in plan_jobs(&found, &sw, swept, !settings.usm.is_empty()) {
            let _ = job_tx.send(job);
            jobs += 1;
        }
    }
    drop(job_tx);
    events.emit(Event::Started {
        phase: Phase::Snmp,
        total: jobs as u64,
    });
    // 4. RTT and loss of every found host, while the SNMP exchanges run
    let hosts: Vec<IpAddr> = if settings.icmp && settings.scan.count > 0 && !cancel.is_cancelled() {
        found.iter().copied().collect()
    } else {
        Vec::new()
    };
    let echo_opts = EchoOptions {
        count: settings.scan.count,
        interval: settings.scan.interval,
        timeout: settings.scan.timeout,
        rate: settings.scan.rate,
        ident: tags.ident.wrapping_add(1),
    };
    let icmp_stats = echo::measure(&hosts, echo_opts, events, cancel).await?;
    packets += hosts.len() as u64 * u64::from(settings.scan.count);
    Ok(Front {
        sweep: sw,
        tcp_found,
        found,
        icmp_stats,
        packets,
    })
}

/// TCP connect probes to the addresses the sweep heard nothing from:
/// what answered, and the probes sent.
async fn tcp_phase(
    settings: &Settings,
    sw: &sweep::SweepResult,
    events: &Events,
    cancel: &Cancel,
) -> (HashMap<IpAddr, u16>, u64) {
    if settings.tcp_ports.is_empty() || cancel.is_cancelled() {
        return (HashMap::new(), 0);
    }
    let silent = |ip: &IpAddr| !sw.icmp_alive.contains(ip) && !sw.snmp.contains_key(ip);
    let total = settings.targets.iter().filter(silent).count() as u64;
    let found = tcp::sweep(
        settings.targets.iter().filter(silent),
        total,
        &settings.tcp_ports,
        settings.scan.timeout.max(Duration::from_millis(200)),
        settings.scan.rate,
        events,
        cancel,
    )
    .await;
    (found, total.saturating_mul(settings.tcp_ports.len() as u64))
}

/// Which SNMP job each found host gets, beyond those the sweep already
/// dispatched: a complete sweep answer needs only the facts; a partial one
/// (a v1 agent missing an object) a full identification starting with the
/// credential that answered; no answer, an identification — with SNMPv3
/// users only where the sweep already tried every community (`swept`), and
/// none at all there when no user is configured.
fn plan_jobs(
    found: &BTreeSet<IpAddr>,
    sw: &sweep::SweepResult,
    swept: impl Fn(&IpAddr) -> bool,
    have_usm: bool,
) -> Vec<(IpAddr, SnmpJob)> {
    found
        .iter()
        .filter(|ip| !sw.dispatched.contains(ip))
        .filter_map(|&ip| {
            let job = match sw.snmp.get(&ip).cloned() {
                Some(a) if a.complete => SnmpJob::Known(a.rank, a.system),
                Some(a) => SnmpJob::Identify(Some(a.rank), false),
                None if swept(&ip) && !have_usm => return None,
                None => SnmpJob::Identify(None, swept(&ip)),
            };
            Some((ip, job))
        })
        .collect()
}

/// One device record from what every phase learnt of one address, and
/// the health readings it is judged on once every record is built.
fn assemble(
    ip: IpAddr,
    found_by: Vec<Protocol>,
    icmp: Option<crate::model::Icmp>,
    tcp_port: Option<u16>,
    done: SnmpDone,
    settings: &Settings,
) -> (Device, Option<Readings>) {
    let class = classify(
        &Evidence {
            snmp: done.snmp.as_ref(),
            facts: done.facts.as_ref(),
            interfaces: done.interfaces.as_deref(),
        },
        &settings.profiles,
    );
    let id = class
        .serial
        .clone()
        .or_else(|| done.snmp.as_ref().and_then(|s| s.sys_name.clone()))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| ip.to_string());
    let device = Device {
        id,
        ip,
        addresses: Vec::new(),
        found_by,
        icmp,
        snmp: done.snmp,
        tcp_port,
        role: Some(class.role),
        vendor: class.vendor,
        model: class.model,
        os: class.os,
        os_version: class.os_version,
        serial: class.serial,
        members: done
            .facts
            .as_ref()
            .map(|f| f.members.clone())
            .unwrap_or_default(),
        classified_by: class.classified_by,
        facts: done.facts,
        errors: done.errors,
        interfaces: done.interfaces,
        neighbors: done.neighbors,
        learned: done.learned,
        health: None,
        snmp_stats: done.stats,
    };
    (device, done.readings)
}

/// A channel's receiving end as a stream.
fn receiver_stream<T>(rx: mpsc::UnboundedReceiver<T>) -> impl futures::Stream<Item = T> + Unpin {
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|x| (x, rx))
    }))
}

/// Descriptors kept free of SNMP sessions: the sweep's and echo phase's
/// sockets, output files, the runtime's own.
const FD_RESERVE: u64 = 64;

/// At most `wanted` sessions at once, and no more than the open-file limit
/// leaves room for (each session holds a socket): a limit of 1024 with
/// `--snmp-concurrency 4096` would otherwise fail sessions with EMFILE,
/// which look like silent agents.
fn session_cap(wanted: usize) -> usize {
    let lim = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let Some(soft) = lim.current else {
        return wanted; // unlimited
    };
    let room = usize::try_from(soft.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
    let cap = wanted.min(room.max(1));
    if cap < wanted {
        tracing::info!(
            "{cap} SNMP sessions at once, not {wanted}: the open-file limit is {soft} (ulimit -n)"
        );
    }
    cap
}

/// How a device's error entry for a panic begins (the scan's
/// `stats.internal_errors` counts them).
pub const INTERNAL_ERROR: &str = "internal error";

/// `work`, or, if it panics (a bug, or a library's panic on an agent's
/// answer), an error entry saying so: the device loses its data, never
/// itself, and the scan goes on.
async fn guarded(work: impl std::future::Future<Output = SnmpDone>) -> SnmpDone {
    match futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(work)).await {
        Ok(done) => done,
        Err(panic) => SnmpDone {
            errors: vec![format!(
                "{INTERNAL_ERROR}: {} (collection stopped; please report it)",
                panic_message(panic.as_ref())
            )],
            ..SnmpDone::default()
        },
    }
}

/// What a panic said, if it said it as text.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// A device's collection never takes longer than this many budgets of
/// wall-clock time, however much of the wait was the crowd's.
const WALL_CAP: u32 = 10;

/// What the SNMP phase does for one host.
#[derive(Debug, Clone, PartialEq)]
enum SnmpJob {
    /// The sweep read the system group with the credential of this rank.
    Known(usize, Snmp),
    /// Find a credential (trying the one of this rank first; with `true`,
    /// SNMPv3 users only: the sweep already tried the communities).
    Identify(Option<usize>, bool),
}

/// What the SNMP phase learnt of one host.
#[derive(Debug, Default)]
struct SnmpDone {
    snmp: Option<Snmp>,
    facts: Option<Facts>,
    interfaces: Option<Vec<Interface>>,
    neighbors: Option<Vec<Neighbor>>,
    learned: Option<crate::model::Learned>,
    readings: Option<Readings>,
    /// An agent refused every credential (its definite word: no second try).
    refused: bool,
    errors: Vec<String>,
    stats: Option<SnmpStats>,
}

/// What the SNMP phase collects beyond the system group.
#[derive(Debug, Clone)]
struct Collect {
    needs: Option<Needs>,
    profiles: Arc<Profiles>,
    interfaces: bool,
    neighbors: bool,
    health: Vec<HealthMetric>,
    budget: Duration,
}

async fn snmp_job(
    ip: IpAddr,
    job: SnmpJob,
    creds: &[Named<Credential>],
    opts: SessionOptions,
    what: &Collect,
    req_id: i32,
    crowd: Arc<Crowd>,
) -> SnmpDone {
    let started = std::time::Instant::now();
    // one budget and one wall-clock cap for everything the device costs,
    // identification included: its waits are charged like the walks'
    // (its own slowness only, probe::budget); the walkers stop with what
    // they read when either runs out, and the outer timeouts catch a
    // request still retrying at the cap (its tries are the slack)
    let cap = what.budget.saturating_mul(WALL_CAP);
    let deadline = tokio::time::Instant::now() + cap;
    let budget = Budget::new(what.budget, crowd.clone(), deadline);
    let slack = opts.timeout.saturating_mul(opts.retries.saturating_add(1));
    let (mut system, mut agent, rank) = match job {
        SnmpJob::Known(rank, system) => {
            let Some(cred) = creds.get(rank).filter(|c| c.scope.covers(ip)) else {
                return SnmpDone::default();
            };
            (
                system,
                Agent::new(ip, cred.value.clone(), opts, req_id),
                rank,
            )
        }
        SnmpJob::Identify(first, usm_only) => {
            let skip = |c: &Credential| usm_only && matches!(c, Credential::Community(..));
            let network = std::sync::Arc::new(crate::probe::exchange::Udp);
            // while the crowd's answers queue, a first answer takes as long
            let opts = SessionOptions {
                timeout: crowd.timeout(opts.timeout),
                ..opts
            };
            let order = snmp::order(creds, ip, first, skip);
            let found = snmp::identify(network, ip, creds, order, opts, req_id, Some(&budget));
            match tokio::time::timeout_at(deadline + slack, found).await {
                Ok(Ok((rank, system, agent))) => (system, agent, rank),
                Ok(Err(why)) => {
                    return SnmpDone {
                        refused: !why.refusals.is_empty(),
                        errors: why.errors(),
                        ..SnmpDone::default()
                    }
                }
                Err(_) => {
                    return SnmpDone {
                        errors: vec![format!(
                            "identification cut off after {} s ({WALL_CAP} times the budget)",
                            cap.as_secs_f64()
                        )],
                        ..SnmpDone::default()
                    }
                }
            }
        }
    };
    system.credential = creds.get(rank).map(|c| c.name.clone());
    let mut done = SnmpDone {
        snmp: Some(system),
        ..SnmpDone::default()
    };
    agent.set_budget(budget);
    let work = collect_more(&mut agent, what, deadline, &mut done);
    if tokio::time::timeout_at(deadline + slack, work)
        .await
        .is_err()
    {
        done.errors.push(format!(
            "collection cut off after {} s ({WALL_CAP} times the budget)",
            cap.as_secs_f64()
        ));
    }
    let stats = done.stats.get_or_insert_with(SnmpStats::default);
    stats.pdus_sent = agent.pdus_sent;
    stats.pdus_received = agent.pdus_received;
    stats.varbinds = agent.varbinds;
    if agent.version() != snmp2::Version::V3 {
        stats.bytes_sent = Some(agent.bytes_sent);
        stats.bytes_received = Some(agent.bytes_received);
    }
    stats.duration_ms = started.elapsed().as_millis() as u64;
    done
}

/// Facts, interfaces, neighbours and health readings, as `what` asks.
async fn collect_more(
    agent: &mut Agent,
    what: &Collect,
    deadline: tokio::time::Instant,
    done: &mut SnmpDone,
) {
    let s = done.snmp.as_ref();
    let tuned = what.profiles.walk_override(
        s.and_then(|s| s.sys_object_id.as_deref()),
        s.and_then(|s| s.sys_descr.as_deref()),
    );
    let wo = WalkOptions {
        max_repetitions: tuned.and_then(|t| t.max_repetitions).unwrap_or(25),
        max_varbinds: 60,
        bulk: tuned.and_then(|t| t.bulk).unwrap_or(true),
        ramp: true,
        row_cap: 20_000,
        deadline,
    };
    if let Some(needs) = &what.needs {
        let oid = done.snmp.as_ref().and_then(|s| s.sys_object_id.as_deref());
        match collect::gather(agent, needs, oid).await {
            Ok(facts) => done.facts = Some(facts),
            Err(e) => done.errors.push(format!("classification facts: {e}")),
        }
    }
    let mut if_names = std::collections::BTreeMap::new();
    if what.interfaces {
        let if_number = done.facts.as_ref().and_then(|f| f.if_number);
        let (ifs, stopped, walk) = inventory::interfaces(agent, &wo, if_number).await;
        done.stats
            .get_or_insert_with(SnmpStats::default)
            .interface_walk = Some(walk);
        if let Some(why) = stopped {
            // what was read stays: the error says the table is partial
            done.errors
                .push(format!("interfaces partial ({} read): {why}", ifs.len()));
        }
        if_names = ifs
            .iter()
            .filter_map(|i| Some((i.index, i.name.clone()?)))
            .collect();
        done.interfaces = Some(ifs);
    }
    if what.neighbors {
        let (n, stopped) = inventory::neighbors(agent, &wo, &if_names).await;
        if let Some(why) = stopped {
            done.errors
                .push(format!("neighbors partial ({} read): {why}", n.len()));
        }
        if let Some(ifs) = done.interfaces.as_mut() {
            inventory::link_ports(agent, ifs, &n).await;
        }
        done.neighbors = Some(n);
        let (learned, stopped) = crate::collect::learned::learned(agent, &wo, &if_names).await;
        if let Some(why) = stopped {
            done.errors.push(format!(
                "ARP/forwarding tables partial ({} + {} read): {why}",
                learned.arp.len(),
                learned.fdb.len()
            ));
        }
        done.learned = (!learned.arp.is_empty() || !learned.fdb.is_empty()).then_some(learned);
    }
    if !what.health.is_empty() {
        let present = done.facts.as_ref().map(|f| f.subtrees.as_slice());
        let (r, stopped) = health::read(agent, &what.health, present, &wo).await;
        if let Some(why) = stopped {
            done.errors.push(format!("health: {why}"));
        }
        done.readings = Some(r);
    }
}

/// The SNMP phase over many hosts at once (each host's exchange is
/// sequential: credentials in order, then the facts).
async fn snmp_phase(
    jobs: impl futures::Stream<Item = (IpAddr, SnmpJob)> + Unpin,
    settings: &Settings,
    req_id: i32,
    events: &Events,
    cancel: &Cancel,
) -> HashMap<IpAddr, SnmpDone> {
    let mut out = HashMap::new();
    let creds: Arc<[Named<Credential>]> =
        snmp::credentials(&settings.communities, &settings.usm).into();
    let what = Arc::new(Collect {
        needs: settings.scan.classify.then(|| {
            let mut n = Needs::of(&settings.profiles);
            if settings.scan.health {
                n.subtrees
                    .extend(health::columns(&settings.profiles.health));
            }
            n
        }),
        profiles: settings.profiles.clone(),
        interfaces: settings.scan.interfaces,
        neighbors: settings.scan.neighbors,
        health: if settings.scan.health {
            settings.profiles.health.clone()
        } else {
            Vec::new()
        },
        budget: settings.scan.snmp_budget,
    });
    let opts = SessionOptions {
        timeout: settings.scan.snmp_timeout,
        retries: settings.scan.snmp_retries,
    };
    let crowd = Crowd::new();
    let sessions = session_cap(settings.scan.snmp_concurrency);
    let mut again = Vec::new();
    let run = |((ip, job), i): ((IpAddr, SnmpJob), i32)| {
        let creds = creds.clone();
        let what = what.clone();
        let crowd = crowd.clone();
        let base = req_id.wrapping_add(i.wrapping_mul(1 << 20));
        async move {
            let work = snmp_job(ip, job.clone(), &creds, opts, &what, base, crowd);
            (ip, job, guarded(work).await)
        }
    };
    crate::probe::for_each_bounded(
        jobs.zip(futures::stream::iter(0i32..)),
        sessions,
        settings.scan.rate,
        cancel,
        run,
        |(ip, job, done)| {
            // no credential answered while the answers queued (the crowd's
            // latency stretched the timeout): one more try once it is
            // quiet (an agent process serving many addresses, a slow v3
            // engine). On a network that answers promptly, no second try.
            let busy = crowd.timeout(opts.timeout) > opts.timeout;
            // (a refusal is the agent's definite word: no second try)
            if busy && done.snmp.is_none() && !done.refused && matches!(job, SnmpJob::Identify(..))
            {
                again.push((ip, job));
            } else {
                events.emit(Event::Advanced {
                    phase: Phase::Snmp,
                    by: 1,
                });
            }
            out.insert(ip, done);
        },
    )
    .await;
    let offset = i32::try_from(out.len()).unwrap_or(i32::MAX);
    crate::probe::for_each_bounded(
        futures::stream::iter(again).zip(futures::stream::iter(offset..)),
        sessions,
        settings.scan.rate,
        cancel,
        run,
        |(ip, _, done)| {
            events.emit(Event::Advanced {
                phase: Phase::Snmp,
                by: 1,
            });
            if done.snmp.is_some() {
                out.insert(ip, done);
            }
        },
    )
    .await;
    events.emit(Event::Finished { phase: Phase::Snmp });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn sessions_fit_in_the_open_file_limit() {
        let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        let cap = session_cap(usize::MAX);
        match soft {
            Some(soft) => assert!(cap as u64 <= soft.saturating_sub(FD_RESERVE).max(1)),
            None => assert_eq!(cap, usize::MAX),
        }
        assert_eq!(session_cap(1), 1);
    }

    #[tokio::test]
    async fn a_panic_while_collecting_is_the_devices_error_not_its_loss() {
        let done = guarded(async { panic!("index out of bounds") }).await;
        assert_eq!(
            done.errors,
            ["internal error: index out of bounds (collection stopped; please report it)"]
        );
        let fine = guarded(async { SnmpDone::default() }).await;
        assert!(fine.errors.is_empty());
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, n])
    }

    fn answer(rank: usize, complete: bool) -> SweepAnswer {
        SweepAnswer {
            rank,
            complete,
            unasked: 0,
            system: Snmp {
                version: crate::vocab::SnmpVersion::V2c,
                ..Snmp::default()
            },
        }
    }

    #[test]
    fn the_job_plan_follows_what_the_sweep_heard() {
        let found: BTreeSet<IpAddr> = (1..=5).map(ip).collect();
        let mut sw = sweep::SweepResult::default();
        sw.dispatched.insert(ip(1)); // already on its way
        sw.snmp.insert(ip(1), answer(0, true));
        sw.snmp.insert(ip(2), answer(3, true));
        sw.snmp.insert(ip(3), answer(1, false)); // a v1 agent missing an object
                                                 // 4 and 5 said nothing; 4 is in a block the sweep sent GETs to
        let swept = |a: &IpAddr| *a == ip(4);
        let plan: BTreeMap<IpAddr, SnmpJob> =
            plan_jobs(&found, &sw, swept, false).into_iter().collect();
        assert_eq!(plan.len(), 3, "{plan:?}");
        assert!(matches!(plan[&ip(2)], SnmpJob::Known(3, _)));
        assert_eq!(plan[&ip(3)], SnmpJob::Identify(Some(1), false));
        assert!(
            !plan.contains_key(&ip(4)),
            "every community was tried there, and no v3 user is set"
        );
        assert_eq!(plan[&ip(5)], SnmpJob::Identify(None, false));
        // with an SNMPv3 user, the swept silent host gets the users only
        let plan: BTreeMap<IpAddr, SnmpJob> =
            plan_jobs(&found, &sw, swept, true).into_iter().collect();
        assert_eq!(plan[&ip(4)], SnmpJob::Identify(None, true));
    }
}
