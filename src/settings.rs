//! Settings resolved in one place: what the operator asked for (flags
//! today; a config file and the environment plug in here) over the scan
//! profile over the built-in defaults (the profile files), validated, so
//! the CLI only translates its flags and every rule of precedence and
//! every check is unit-tested without spawning the binary.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::baseline::Limit;
pub use crate::config::{CredentialSet, Job};
use crate::error::Error;
use crate::model::ScanFile;
use crate::probe::credential::{Named, Usm, UsmAuth, UsmPriv};
use crate::profile::{Profiles, ScanProfile, SnmpSweep};
use crate::secret::Secret;
use crate::targets::{TargetSet, Token};
use crate::topology::Topology;

/// Largest contiguous block that `SnmpSweep::Auto` sweeps with SNMP: a /16.
pub const SNMP_SWEEP_AUTO_MAX: u128 = 65_536;

/// Everything a scan needs, validated: the targets, the credentials, and
/// the scan profile with the operator's overrides applied.
#[derive(Debug, Clone)]
pub struct Settings {
    pub targets: TargetSet,
    pub icmp: bool,
    pub tcp_ports: Vec<u16>,
    /// Communities, in order, each with its name and scope.
    pub communities: Vec<Named<Secret>>,
    /// SNMPv3 users, tried after the communities.
    pub usm: Vec<Named<Usm>>,
    pub scan: ScanProfile,
    pub profiles: Arc<Profiles>,
    /// The scan to judge against (`--baseline`): ports up or linked then,
    /// error counters then.
    pub baseline: Option<Arc<ScanFile>>,
    /// The expected topology (`--topology`): health watches the ports it
    /// has links on.
    pub topology: Option<Arc<Topology>>,
    /// `--crawl`: what the devices know is probed too, within prefixes.
    pub crawl: Option<Crawl>,
}

impl Settings {
    /// Largest target block whose addresses the sweep sends SNMP GETs to
    /// (0: none).
    pub fn snmp_sweep_max_block(&self) -> u128 {
        if self.communities.is_empty() {
            return 0;
        }
        match self.scan.snmp_sweep {
            SnmpSweep::All => u128::MAX,
            SnmpSweep::Auto => SNMP_SWEEP_AUTO_MAX,
            SnmpSweep::Alive | SnmpSweep::Off => 0,
        }
    }
}

/// Scan-profile fields the operator set; `None` keeps the profile's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub rate: Option<u32>,
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub count: Option<u32>,
    pub interval: Option<Duration>,
    pub snmp_timeout: Option<Duration>,
    pub snmp_retries: Option<u32>,
    pub snmp_concurrency: Option<usize>,
    pub snmp_budget: Option<Duration>,
    pub snmp_sweep: Option<SnmpSweep>,
    /// Read only the system group.
    pub no_classify: bool,
    /// Walk interfaces and neighbours (`Some(true)`), or not (`Some(false)`).
    pub inventory: Option<bool>,
}

impl Overrides {
    /// Apply to a profile: an operator's value beats the profile's.
    pub fn apply(&self, p: &mut ScanProfile) {
        p.rate = self.rate.unwrap_or(p.rate);
        p.timeout = self.timeout.unwrap_or(p.timeout);
        p.retries = self.retries.unwrap_or(p.retries);
        p.count = self.count.unwrap_or(p.count);
        p.interval = self.interval.unwrap_or(p.interval);
        p.snmp_timeout = self.snmp_timeout.unwrap_or(p.snmp_timeout);
        p.snmp_retries = self.snmp_retries.unwrap_or(p.snmp_retries);
        p.snmp_concurrency = self.snmp_concurrency.unwrap_or(p.snmp_concurrency);
        p.snmp_budget = self.snmp_budget.unwrap_or(p.snmp_budget);
        p.snmp_sweep = self.snmp_sweep.unwrap_or(p.snmp_sweep);
        p.classify &= !self.no_classify;
        if let Some(on) = self.inventory {
            p.interfaces = on;
            p.neighbors = on;
        }
    }
}

/// An SNMPv3 user as asked for, before checking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsmRequest {
    pub user: Option<String>,
    pub auth: UsmAuth,
    pub auth_key: Option<Secret>,
    pub privacy: UsmPriv,
    pub priv_key: Option<Secret>,
    pub context: String,
}

/// What the operator asked a scan for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub targets: Vec<Token>,
    pub excludes: Vec<Token>,
    /// Allow target blocks beyond the size guard.
    pub force: bool,
    /// A built-in scan profile's name or a TOML file; `None`: the job's,
    /// else `standard`.
    pub profile: Option<String>,
    pub profiles_dir: Option<PathBuf>,
    pub overrides: Overrides,
    pub no_icmp: bool,
    pub tcp_ports: Vec<u16>,
    /// Communities given by flag or environment (they replace the
    /// configuration's).
    pub communities: Vec<Secret>,
    /// An SNMPv3 user given by flag or environment (it replaces the
    /// configuration's users).
    pub usm: UsmRequest,
    /// SNMPv3 only: no community ever leaves the machine.
    pub no_community: bool,
    /// A scan file to judge health against (and to diff with): the flag's,
    /// else the job's ([`RunFiles::over`]).
    pub baseline: Option<PathBuf>,
    /// An expected topology (TOML, YAML or NetBox CSV) for health.
    pub topology: Option<PathBuf>,
    /// The configuration file's job (over its `[defaults]`), under all of
    /// the above: a flag or variable beats it.
    pub job: Option<Job>,
    /// The job's credential sets, in order.
    pub credentials: Vec<CredentialSet>,
    /// `--crawl`, `--crawl-within`, `--crawl-depth`.
    pub crawl: CrawlRequest,
}

/// A crawl as asked for, before checking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrawlRequest {
    pub on: bool,
    pub within: Vec<String>,
    pub depth: Option<u32>,
}

/// Following what the devices know (LLDP/CDP neighbours' management
/// addresses, routers' ARP/ND tables) from the targets, round by round.
#[derive(Debug, Clone)]
pub struct Crawl {
    /// Nothing outside these prefixes is ever probed.
    pub within: Vec<ipnetwork::IpNetwork>,
    /// Rounds after the targets' own.
    pub depth: u32,
    /// The scan's exclusions, which hold for the crawl too.
    pub excludes: Vec<Token>,
}

/// Rounds a crawl makes unless told otherwise, and at most.
pub const CRAWL_DEPTH: u32 = 8;
const CRAWL_DEPTH_MAX: u32 = 64;

/// The crawl asked for, checked: `--crawl` needs prefixes to stay within.
fn crawl(req: &CrawlRequest, excludes: &[Token]) -> Result<Option<Crawl>, Error> {
    if !req.on {
        if !req.within.is_empty() || req.depth.is_some() {
            return Err(Error::Usage(
                "--crawl-within and --crawl-depth need --crawl".into(),
            ));
        }
        return Ok(None);
    }
    if req.within.is_empty() {
        return Err(Error::Usage(
            "--crawl needs --crawl-within PREFIX (one or more): nothing outside them is ever probed"
                .into(),
        ));
    }
    let within = req
        .within
        .iter()
        .map(|w| {
            w.parse::<ipnetwork::IpNetwork>()
                .map_err(|e| Error::Usage(format!("--crawl-within {w}: not a prefix ({e})")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let depth = req.depth.unwrap_or(CRAWL_DEPTH);
    if !(1..=CRAWL_DEPTH_MAX).contains(&depth) {
        return Err(Error::Usage(format!(
            "--crawl-depth {depth}: give 1 to {CRAWL_DEPTH_MAX} rounds"
        )));
    }
    Ok(Some(Crawl {
        within,
        depth,
        excludes: excludes.to_vec(),
    }))
}

/// The community used when none is configured anywhere (and SNMPv3 users
/// are not either) and `--no-community` is not given.
pub const DEFAULT_COMMUNITY: &str = "public";

/// The communities and users a scan offers: flags (or the environment)
/// beat the configuration's sets, each kind on its own; `public` only when
/// nothing at all is configured; none with `--no-community`.
/// Communities and users, each named and scoped.
type Offered = (Vec<Named<Secret>>, Vec<Named<Usm>>);

fn offered(req: &Request) -> Result<Offered, Error> {
    if req.no_community && !req.communities.is_empty() {
        return Err(Error::Usage(
            "--no-community and --community contradict each other".into(),
        ));
    }
    if req.communities.iter().any(Secret::is_empty) {
        return Err(Error::Usage(
            "--community: an empty community is not allowed".into(),
        ));
    }
    let flag_users: Vec<Named<Usm>> = usm(&req.usm)?
        .into_iter()
        .map(|u| Named::everywhere("v3 user", u))
        .collect();
    let (mut file_communities, mut file_users) = (Vec::new(), Vec::new());
    for set in &req.credentials {
        match set {
            CredentialSet::Community {
                name,
                community,
                scope,
            } => file_communities.push(Named {
                name: name.clone(),
                scope: scope.clone(),
                value: community.clone(),
            }),
            CredentialSet::User {
                name,
                user,
                auth,
                privacy,
                context,
                scope,
            } => file_users.push(Named {
                name: name.clone(),
                scope: scope.clone(),
                value: Usm {
                    user: user.clone(),
                    auth: auth.as_ref().map(|(p, k)| (*p, k.expose().to_string())),
                    privacy: privacy.as_ref().map(|(p, k)| (*p, k.expose().to_string())),
                    context: context.clone(),
                },
            }),
        }
    }
    let users = if flag_users.is_empty() {
        file_users
    } else {
        flag_users
    };
    let communities = if !req.communities.is_empty() {
        req.communities
            .iter()
            .enumerate()
            .map(|(i, c)| Named::everywhere(format!("community {}", i + 1), c.clone()))
            .collect()
    } else if !file_communities.is_empty() {
        file_communities
    } else if users.is_empty() && !req.no_community {
        vec![Named::everywhere(
            "default community",
            Secret::new(DEFAULT_COMMUNITY),
        )]
    } else {
        Vec::new()
    };
    if req.no_community {
        return Ok((Vec::new(), users));
    }
    Ok((communities, users))
}

/// The job's scan-profile values, as overrides under the operator's.
fn job_overrides(j: &Job) -> Overrides {
    Overrides {
        rate: j.rate,
        timeout: j.timeout,
        retries: j.retries,
        count: j.count,
        snmp_timeout: j.snmp_timeout,
        snmp_retries: j.snmp_retries,
        snmp_concurrency: j.snmp_concurrency,
        snmp_budget: j.snmp_budget,
        inventory: j.inventory,
        ..Overrides::default()
    }
}

/// The files of a run (where its results go, what it compares with): the
/// operator's flags over the job's, each field on its own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFiles {
    pub output: Vec<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub topology: Option<PathBuf>,
    pub save_baseline: Option<PathBuf>,
    pub diff_output: Vec<PathBuf>,
    pub interfaces_csv: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub lock: Option<PathBuf>,
    pub fail_on: Option<String>,
    pub history: Option<PathBuf>,
    pub keep: Option<usize>,
    pub keep_days: Option<u32>,
    pub max_removed: Option<Limit>,
    pub min_alive: Option<u64>,
    /// The account a root run gives root up for.
    pub user: Option<String>,
}

impl RunFiles {
    /// `self` (the flags) over the job's.
    pub fn over(self, job: Option<&Job>) -> RunFiles {
        let Some(j) = job else { return self };
        let list = |a: Vec<PathBuf>, b: &[PathBuf]| if a.is_empty() { b.to_vec() } else { a };
        RunFiles {
            output: list(self.output, &j.output),
            baseline: self.baseline.or_else(|| j.baseline.clone()),
            topology: self.topology.or_else(|| j.topology.clone()),
            save_baseline: self.save_baseline.or_else(|| j.save_baseline.clone()),
            diff_output: list(self.diff_output, &j.diff_output),
            interfaces_csv: self.interfaces_csv.or_else(|| j.interfaces_csv.clone()),
            rules: self.rules.or_else(|| j.rules.clone()),
            lock: self.lock.or_else(|| j.lock.clone()),
            fail_on: self.fail_on.or_else(|| j.fail_on.clone()),
            history: self.history.or_else(|| j.history.clone()),
            keep: self.keep.or(j.keep),
            keep_days: self.keep_days.or(j.keep_days),
            max_removed: self.max_removed.or(j.max_removed),
            min_alive: self.min_alive.or(j.min_alive),
            user: self.user.or_else(|| j.user.clone()),
        }
    }
}

/// The largest values a scan accepts: beyond them a value is a typo (or
/// would exhaust the machine), not a setting.
const LIMITS: Limits = Limits {
    rate: 10_000_000,
    retries: 100,
    count: 100_000,
    concurrency: 65_536,
    timeout: Duration::from_secs(3600),
    interval: Duration::from_secs(60),
    budget: Duration::from_secs(24 * 3600),
};

struct Limits {
    rate: u32,
    retries: u32,
    count: u32,
    concurrency: usize,
    timeout: Duration,
    interval: Duration,
    budget: Duration,
}

/// Every scan value within [`LIMITS`], wherever it came from (a flag, the
/// environment, the file's job, the profile); the message names the flag.
fn check_limits(p: &ScanProfile) -> Result<(), String> {
    let l = &LIMITS;
    let over = |flag: &str, value: String, max: String| {
        Err(format!("{flag} {value} is too large (at most {max})"))
    };
    let dur = |d: Duration| humantime::format_duration(d).to_string();
    if p.rate > l.rate {
        return over("--rate", p.rate.to_string(), l.rate.to_string());
    }
    for (flag, v) in [("--retries", p.retries), ("--snmp-retries", p.snmp_retries)] {
        if v > l.retries {
            return over(flag, v.to_string(), l.retries.to_string());
        }
    }
    if p.count > l.count {
        return over("--count", p.count.to_string(), l.count.to_string());
    }
    if p.snmp_concurrency == 0 {
        return Err("--snmp-concurrency must be at least 1".into());
    }
    if p.snmp_concurrency > l.concurrency {
        return over(
            "--snmp-concurrency",
            p.snmp_concurrency.to_string(),
            l.concurrency.to_string(),
        );
    }
    for (flag, v, max) in [
        ("--timeout", p.timeout, l.timeout),
        ("--snmp-timeout", p.snmp_timeout, l.timeout),
        ("--interval", p.interval, l.interval),
        ("--snmp-budget", p.snmp_budget, l.budget),
    ] {
        if v > max {
            return over(flag, dur(v), dur(max));
        }
    }
    if p.snmp_budget.is_zero() {
        return Err("--snmp-budget must be longer than 0".into());
    }
    Ok(())
}

/// Resolve a request into settings: targets built, the profile loaded and
/// overridden, every value checked (exit 2 with a one-line reason).
pub fn resolve(req: &Request, profiles: Profiles) -> Result<Settings, Error> {
    let job = req.job.clone().unwrap_or_default();
    let targets = if req.targets.is_empty() {
        crate::targets::arg_tokens(&job.targets)
    } else {
        req.targets.clone()
    };
    let excludes = [
        req.excludes.clone(),
        crate::targets::arg_tokens(&job.exclude),
    ]
    .concat();
    let targets = TargetSet::build(&targets, &excludes, req.force)?;
    let crawl = crawl(&req.crawl, &excludes)?;
    let profile = req
        .profile
        .clone()
        .or_else(|| job.profile.clone())
        .unwrap_or_else(|| "standard".to_string());
    let mut p = ScanProfile::load(&profile, req.profiles_dir.as_deref())?;
    // the built-in defaults < the profile < the file's job < env and flags
    job_overrides(&job).apply(&mut p);
    req.overrides.apply(&mut p);
    if p.rate == 0 {
        return Err(Error::Usage("--rate must be at least 1".into()));
    }
    if p.timeout.is_zero() || p.snmp_timeout.is_zero() {
        return Err(Error::Usage("timeouts must be longer than 0".into()));
    }
    check_limits(&p).map_err(Error::Usage)?;
    let (communities, usm) = offered(req)?;
    let tcp_ports = if req.tcp_ports.is_empty() {
        job.tcp_ports.clone().unwrap_or_default()
    } else {
        req.tcp_ports.clone()
    };
    if req.no_icmp
        && tcp_ports.is_empty()
        && matches!(p.snmp_sweep, SnmpSweep::Off | SnmpSweep::Alive)
    {
        return Err(Error::Usage(
            "--no-icmp leaves nothing to find hosts with: add --tcp-ports or --snmp-sweep all"
                .into(),
        ));
    }
    Ok(Settings {
        targets,
        icmp: !req.no_icmp,
        tcp_ports,
        communities,
        usm,
        scan: p,
        profiles: Arc::new(profiles),
        baseline: match &req.baseline {
            Some(path) => Some(Arc::new(crate::scanfile::load(path)?)),
            None => None,
        },
        topology: match &req.topology {
            Some(path) => Some(Arc::new(crate::topology::load(path)?)),
            None => None,
        },
        crawl,
    })
}

/// The SNMPv3 user, checked (RFC 3414: passphrases of at least 8
/// characters; privacy needs authentication).
fn usm(u: &UsmRequest) -> Result<Vec<Usm>, Error> {
    let Some(user) = u.user.clone().filter(|u| !u.is_empty()) else {
        if u.auth_key.is_some() || u.priv_key.is_some() {
            return Err(Error::Usage(
                "--v3-auth-key/--v3-priv-key need --v3-user".into(),
            ));
        }
        return Ok(Vec::new());
    };
    let short = |k: &Option<Secret>| k.as_ref().is_some_and(|k| k.chars() < 8);
    if short(&u.auth_key) || short(&u.priv_key) {
        return Err(Error::Usage(
            "SNMPv3 passphrases must be at least 8 characters (RFC 3414)".into(),
        ));
    }
    if u.priv_key.is_some() && u.auth_key.is_none() {
        return Err(Error::Usage(
            "--v3-priv-key needs --v3-auth-key (no privacy without authentication)".into(),
        ));
    }
    Ok(vec![Usm {
        user,
        auth: u
            .auth_key
            .as_ref()
            .map(|k| (u.auth, k.expose().to_string())),
        privacy: u
            .priv_key
            .as_ref()
            .map(|k| (u.privacy, k.expose().to_string())),
        context: u.context.clone(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::arg_tokens;

    fn req(targets: &[&str]) -> Request {
        Request {
            targets: arg_tokens(&targets.iter().map(|t| t.to_string()).collect::<Vec<_>>()),
            profile: Some("standard".into()),
            communities: vec![Secret::new("public")],
            ..Request::default()
        }
    }

    fn resolved(r: &Request) -> Result<Settings, Error> {
        resolve(r, Profiles::default())
    }

    #[test]
    fn a_flag_beats_the_profile_and_the_profile_beats_the_defaults() {
        let standard = resolved(&req(&["192.0.2.0/24"])).unwrap();
        let quick = resolved(&Request {
            profile: Some("quick".into()),
            ..req(&["192.0.2.0/24"])
        })
        .unwrap();
        assert_eq!(standard.scan.name, "standard");
        assert!(
            standard.scan.classify && !quick.scan.classify,
            "quick reads the system group only"
        );
        let mut r = Request {
            profile: Some("quick".into()),
            ..req(&["192.0.2.0/24"])
        };
        r.overrides.count = Some(7);
        r.overrides.inventory = Some(true);
        r.overrides.snmp_sweep = Some(SnmpSweep::All);
        let s = resolved(&r).unwrap();
        assert_eq!(s.scan.count, 7);
        assert!(s.scan.interfaces && s.scan.neighbors);
        assert_eq!(s.snmp_sweep_max_block(), u128::MAX);
        assert_eq!(
            s.scan.rate, quick.scan.rate,
            "what no flag names stays the profile's"
        );
        // the default profile collects the inventory; --no-inventory not
        assert!(standard.scan.interfaces && standard.scan.neighbors);
        let mut r = req(&["192.0.2.0/24"]);
        r.overrides.inventory = Some(false);
        let plain = resolved(&r).unwrap();
        assert!(!plain.scan.interfaces && !plain.scan.neighbors);
    }

    #[test]
    fn bad_values_are_refused_with_the_reason() {
        let mut r = req(&["192.0.2.1"]);
        r.overrides.rate = Some(0);
        assert!(resolved(&r)
            .unwrap_err()
            .to_string()
            .contains("--rate must be at least 1"));
        let mut r = req(&["192.0.2.1"]);
        r.overrides.snmp_timeout = Some(Duration::ZERO);
        assert!(resolved(&r).unwrap_err().to_string().contains("timeouts"));
        // values that would exhaust the machine, or panic a semaphore
        let mut r = req(&["192.0.2.1"]);
        r.overrides.snmp_concurrency = Some(usize::MAX);
        assert_eq!(
            resolved(&r).unwrap_err().to_string(),
            "--snmp-concurrency 18446744073709551615 is too large (at most 65536)"
        );
        let mut r = req(&["192.0.2.1"]);
        r.overrides.count = Some(u32::MAX);
        assert!(resolved(&r)
            .unwrap_err()
            .to_string()
            .contains("--count 4294967295"));
        let mut r = req(&["192.0.2.1"]);
        r.overrides.timeout = Some(Duration::from_secs(u64::MAX / 4));
        assert!(resolved(&r)
            .unwrap_err()
            .to_string()
            .starts_with("--timeout "));
        let mut r = req(&["192.0.2.1"]);
        r.communities = vec![Secret::new("")];
        assert!(resolved(&r)
            .unwrap_err()
            .to_string()
            .contains("empty community"));
        let mut r = req(&["192.0.2.1"]);
        r.no_icmp = true;
        r.overrides.snmp_sweep = Some(SnmpSweep::Off);
        assert!(resolved(&r).unwrap_err().to_string().contains("--no-icmp"));
        assert!(resolved(&Request {
            profile: Some("nonesuch".into()),
            ..req(&["192.0.2.1"])
        })
        .is_err());
    }

    #[test]
    fn snmpv3_users_are_checked_by_rfc_3414() {
        let mut r = req(&["192.0.2.1"]);
        r.usm.auth_key = Some(Secret::new("longenough"));
        assert!(resolved(&r)
            .unwrap_err()
            .to_string()
            .contains("need --v3-user"));
        r.usm.user = Some("monitor".into());
        r.usm.auth_key = Some(Secret::new("short"));
        assert!(resolved(&r).unwrap_err().to_string().contains("at least 8"));
        r.usm.auth_key = None;
        r.usm.priv_key = Some(Secret::new("longenough"));
        assert!(resolved(&r)
            .unwrap_err()
            .to_string()
            .contains("needs --v3-auth-key"));
        r.usm.auth_key = Some(Secret::new("longenough"));
        r.usm.auth = UsmAuth::Sha256;
        let s = resolved(&r).unwrap();
        assert_eq!(s.usm.len(), 1);
        assert_eq!(
            s.usm[0].value.auth.as_ref().map(|a| a.0),
            Some(UsmAuth::Sha256)
        );
        // no user: no SNMPv3
        assert!(resolved(&req(&["192.0.2.1"])).unwrap().usm.is_empty());
    }

    #[test]
    fn the_snmp_sweep_covers_blocks_by_mode() {
        let mut r = req(&["192.0.2.0/24"]);
        assert_eq!(
            resolved(&r).unwrap().snmp_sweep_max_block(),
            SNMP_SWEEP_AUTO_MAX
        );
        r.overrides.snmp_sweep = Some(SnmpSweep::Alive);
        assert_eq!(resolved(&r).unwrap().snmp_sweep_max_block(), 0);
        r.communities.clear();
        r.no_community = true;
        r.overrides.snmp_sweep = Some(SnmpSweep::All);
        assert_eq!(
            resolved(&r).unwrap().snmp_sweep_max_block(),
            0,
            "no community, no SNMP sweep"
        );
    }

    fn config(text: &str) -> crate::config::Config {
        let env = |v: &str| (v == "NOC_KEY").then(|| "noc-passphrase".to_string());
        crate::config::parse("c.toml", text, &env).unwrap()
    }

    const CONF: &str = r#"
[defaults]
profile = "quick"
count = 5

[[credential]]
name = "site-a"
community = "alpha-secret"
scope = ["192.0.2.0/25"]

[[credential]]
name = "noc"
user = "noc"
auth_key_env = "NOC_KEY"

[job.a]
targets = ["192.0.2.0/24"]
rate = 100
snmp_timeout = "700ms"
"#;

    fn job_request(c: &crate::config::Config) -> Request {
        let (job, credentials) = c.job("a").unwrap();
        Request {
            job: Some(job),
            credentials,
            ..Request::default()
        }
    }

    #[test]
    fn the_file_is_under_the_flags_and_over_the_profile() {
        let c = config(CONF);
        let s = resolved(&job_request(&c)).unwrap();
        // the job's targets, profile (from [defaults]) and values
        assert_eq!(s.targets.len(), 254);
        assert_eq!(s.scan.name, "quick");
        assert_eq!((s.scan.rate, s.scan.count), (100, 5));
        assert_eq!(s.scan.snmp_timeout, Duration::from_millis(700));
        // a flag (or its variable: clap merges those) beats the file
        let mut r = job_request(&c);
        r.overrides.rate = Some(300);
        r.profile = Some("standard".into());
        r.targets = arg_tokens(&["192.0.2.7".to_string()]);
        let s = resolved(&r).unwrap();
        assert_eq!((s.scan.rate, s.scan.name.as_str()), (300, "standard"));
        assert_eq!(s.targets.len(), 1);
        assert_eq!(
            s.scan.snmp_timeout,
            Duration::from_millis(700),
            "what no flag names stays the file's"
        );
        // outputs: each flag over the job's
        let job = crate::config::Job {
            output: vec!["job.json".into()],
            lock: Some("job.lock".into()),
            ..Default::default()
        };
        let o = RunFiles {
            output: vec!["flag.json".into()],
            ..RunFiles::default()
        }
        .over(Some(&job));
        assert_eq!(o.output, [PathBuf::from("flag.json")]);
        assert_eq!(o.lock, Some(PathBuf::from("job.lock")));
    }

    #[test]
    fn credentials_come_from_flags_else_the_file_else_public() {
        let c = config(CONF);
        let s = resolved(&job_request(&c)).unwrap();
        let names = |s: &Settings| -> Vec<String> {
            s.communities
                .iter()
                .map(|c| c.name.clone())
                .chain(s.usm.iter().map(|u| u.name.clone()))
                .collect()
        };
        assert_eq!(names(&s), ["site-a", "noc"]);
        assert!(s.communities[0].scope.covers("192.0.2.9".parse().unwrap()));
        assert!(!s.communities[0]
            .scope
            .covers("192.0.2.200".parse().unwrap()));
        // a community flag replaces the file's communities, not its users
        let mut r = job_request(&c);
        r.communities = vec![Secret::new("flagged")];
        assert_eq!(names(&resolved(&r).unwrap()), ["community 1", "noc"]);
        // SNMPv3 only: no community at all
        let mut r = job_request(&c);
        r.no_community = true;
        let s = resolved(&r).unwrap();
        assert!(s.communities.is_empty() && s.usm.len() == 1);
        assert_eq!(s.snmp_sweep_max_block(), 0, "no community: no SNMP sweep");
        r.communities = vec![Secret::new("x")];
        assert!(resolved(&r).unwrap_err().to_string().contains("contradict"));
        // nothing configured: public; a user configured: not public
        let bare = Request {
            targets: arg_tokens(&["192.0.2.1".to_string()]),
            ..Request::default()
        };
        assert_eq!(names(&resolved(&bare).unwrap()), ["default community"]);
        let mut only_v3 = bare.clone();
        only_v3.usm.user = Some("monitor".into());
        assert_eq!(names(&resolved(&only_v3).unwrap()), ["v3 user"]);
        let mut none = bare;
        none.no_community = true;
        assert!(names(&resolved(&none).unwrap()).is_empty());
    }
}
