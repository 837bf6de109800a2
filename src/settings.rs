//! Settings resolved in one place: what the operator asked for (flags
//! today; a config file and the environment plug in here) over the scan
//! profile over the built-in defaults (the profile files), validated, so
//! the CLI only translates its flags and every rule of precedence and
//! every check is unit-tested without spawning the binary.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::model::ScanFile;
use crate::probe::credential::{Usm, UsmAuth, UsmPriv};
use crate::profile::{Profiles, ScanProfile, SnmpSweep};
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
    pub communities: Vec<String>,
    /// SNMPv3 users, tried after the communities.
    pub usm: Vec<Usm>,
    pub scan: ScanProfile,
    pub profiles: Arc<Profiles>,
    /// The scan to judge against (`--baseline`): ports up or linked then,
    /// error counters then.
    pub baseline: Option<Arc<ScanFile>>,
    /// The expected topology (`--topology`): health watches the ports it
    /// has links on.
    pub topology: Option<Arc<Topology>>,
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
    pub auth_key: Option<String>,
    pub privacy: UsmPriv,
    pub priv_key: Option<String>,
    pub context: String,
}

/// What the operator asked a scan for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub targets: Vec<Token>,
    pub excludes: Vec<Token>,
    /// Allow target blocks beyond the size guard.
    pub force: bool,
    /// A built-in scan profile's name or a TOML file.
    pub profile: String,
    pub profiles_dir: Option<PathBuf>,
    pub overrides: Overrides,
    pub no_icmp: bool,
    pub tcp_ports: Vec<u16>,
    pub communities: Vec<String>,
    pub usm: UsmRequest,
    /// A scan file to judge health against (and to diff with).
    pub baseline: Option<PathBuf>,
    /// An expected topology (TOML, YAML or NetBox CSV) for health.
    pub topology: Option<PathBuf>,
}

/// Resolve a request into settings: targets built, the profile loaded and
/// overridden, every value checked (exit 2 with a one-line reason).
pub fn resolve(req: &Request, profiles: Profiles) -> Result<Settings, Error> {
    let targets = TargetSet::build(&req.targets, &req.excludes, req.force)?;
    let mut p = ScanProfile::load(&req.profile, req.profiles_dir.as_deref())?;
    req.overrides.apply(&mut p);
    if p.rate == 0 {
        return Err(Error::Usage("--rate must be at least 1".into()));
    }
    if p.timeout.is_zero() || p.snmp_timeout.is_zero() {
        return Err(Error::Usage("timeouts must be longer than 0".into()));
    }
    if req.communities.iter().any(String::is_empty) {
        return Err(Error::Usage(
            "--community: an empty community is not allowed".into(),
        ));
    }
    if req.no_icmp
        && req.tcp_ports.is_empty()
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
        tcp_ports: req.tcp_ports.clone(),
        communities: req.communities.clone(),
        usm: usm(&req.usm)?,
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
    let short = |k: &Option<String>| k.as_ref().is_some_and(|k| k.chars().count() < 8);
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
        auth: u.auth_key.clone().map(|k| (u.auth, k)),
        privacy: u.priv_key.clone().map(|k| (u.privacy, k)),
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
            profile: "standard".into(),
            communities: vec!["public".into()],
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
            profile: "quick".into(),
            ..req(&["192.0.2.0/24"])
        })
        .unwrap();
        assert_eq!(standard.scan.name, "standard");
        assert!(
            standard.scan.classify && !quick.scan.classify,
            "quick reads the system group only"
        );
        let mut r = Request {
            profile: "quick".into(),
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
        let mut r = req(&["192.0.2.1"]);
        r.communities = vec![String::new()];
        assert!(resolved(&r)
            .unwrap_err()
            .to_string()
            .contains("empty community"));
        let mut r = req(&["192.0.2.1"]);
        r.no_icmp = true;
        r.overrides.snmp_sweep = Some(SnmpSweep::Off);
        assert!(resolved(&r).unwrap_err().to_string().contains("--no-icmp"));
        assert!(resolved(&Request {
            profile: "nonesuch".into(),
            ..req(&["192.0.2.1"])
        })
        .is_err());
    }

    #[test]
    fn snmpv3_users_are_checked_by_rfc_3414() {
        let mut r = req(&["192.0.2.1"]);
        r.usm.auth_key = Some("longenough".into());
        assert!(resolved(&r)
            .unwrap_err()
            .to_string()
            .contains("need --v3-user"));
        r.usm.user = Some("monitor".into());
        r.usm.auth_key = Some("short".into());
        assert!(resolved(&r).unwrap_err().to_string().contains("at least 8"));
        r.usm.auth_key = None;
        r.usm.priv_key = Some("longenough".into());
        assert!(resolved(&r)
            .unwrap_err()
            .to_string()
            .contains("needs --v3-auth-key"));
        r.usm.auth_key = Some("longenough".into());
        r.usm.auth = UsmAuth::Sha256;
        let s = resolved(&r).unwrap();
        assert_eq!(s.usm.len(), 1);
        assert_eq!(s.usm[0].auth.as_ref().map(|a| a.0), Some(UsmAuth::Sha256));
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
        r.overrides.snmp_sweep = Some(SnmpSweep::All);
        assert_eq!(
            resolved(&r).unwrap().snmp_sweep_max_block(),
            0,
            "no community, no SNMP sweep"
        );
    }
}
