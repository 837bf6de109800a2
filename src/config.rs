//! The configuration file: named jobs (what a cron or CI run scans and where
//! its results go) and named credential sets, each optionally scoped to
//! prefixes. Read from `--config FILE`, else
//! `$XDG_CONFIG_HOME/netcensus/config.toml` (`~/.config/…`), else
//! `/etc/netcensus/config.toml`. Every problem is `file:line: field:
//! problem`; secrets (a community, a passphrase) come from the file, the
//! environment (`*_env`) or a file of their own (`*_file`: a systemd
//! credential, a Kubernetes secret mount) and are never shown.
//!
//! ```toml
//! no_community = false           # true: SNMPv3 only, no community ever sent
//!
//! [defaults]                     # every job starts from these
//! profile = "standard"
//!
//! [[credential]]
//! name = "campus-ro"
//! community_file = "/etc/netcensus/campus.community"
//! scope = ["10.20.0.0/16"]       # sent nowhere else
//!
//! [[credential]]
//! name = "noc-v3"
//! user = "noc"
//! auth_protocol = "SHA-256"
//! auth_key_env = "NOC_AUTH_KEY"
//! priv_protocol = "AES-256-C"
//! priv_key_env = "NOC_PRIV_KEY"
//!
//! [job.campus]
//! targets = ["10.20.0.0/16"]
//! credentials = ["campus-ro", "noc-v3"]
//! output = ["/var/lib/netcensus/campus.json"]
//! baseline = "/var/lib/netcensus/campus-baseline.json"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnetwork::IpNetwork;
use serde::Deserialize;
use toml::Spanned;

use crate::baseline::Limit;
use crate::error::Error;
use crate::probe::credential::{Scope, UsmAuth, UsmPriv};
use crate::secret::Secret;
use crate::source::line_of;

/// Largest configuration or secret file read.
const FILE_MAX: u64 = 1 << 20;

/// A credential set, its secrets read.
#[derive(Debug, Clone, PartialEq)]
pub enum CredentialSet {
    /// A community, tried with v2c and then v1.
    Community {
        name: String,
        community: Secret,
        scope: Scope,
    },
    /// An SNMPv3 user.
    User {
        name: String,
        user: String,
        auth: Option<(UsmAuth, Secret)>,
        privacy: Option<(UsmPriv, Secret)>,
        context: String,
        scope: Scope,
    },
}

impl CredentialSet {
    pub fn name(&self) -> &str {
        match self {
            CredentialSet::Community { name, .. } | CredentialSet::User { name, .. } => name,
        }
    }
}

/// One job: what to scan and where its results go. Every field is
/// optional; a job's own values beat `[defaults]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Job {
    pub targets: Vec<String>,
    pub exclude: Vec<String>,
    /// Names of credential sets, in the order tried; `None`: every set.
    pub credentials: Option<Vec<String>>,
    pub profile: Option<String>,
    pub rate: Option<u32>,
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub count: Option<u32>,
    pub snmp_timeout: Option<Duration>,
    pub snmp_retries: Option<u32>,
    pub snmp_concurrency: Option<usize>,
    pub snmp_budget: Option<Duration>,
    pub inventory: Option<bool>,
    pub tcp_ports: Option<Vec<u16>>,
    pub output: Vec<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub save_baseline: Option<PathBuf>,
    pub diff_output: Vec<PathBuf>,
    pub interfaces_csv: Option<PathBuf>,
    pub topology: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub lock: Option<PathBuf>,
    pub fail_on: Option<String>,
    pub history: Option<PathBuf>,
    pub keep: Option<usize>,
    pub keep_days: Option<u32>,
    pub max_removed: Option<Limit>,
    pub min_alive: Option<u64>,
    /// The account a root run gives root up for (`--user`).
    pub user: Option<String>,
}

/// A configuration file, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// Where it was read from (for messages).
    pub file: String,
    pub no_community: bool,
    pub defaults: Job,
    pub jobs: BTreeMap<String, Job>,
    /// In the order written.
    pub credentials: Vec<CredentialSet>,
    /// Problems that do not stop a run: a file with secrets that group or
    /// others can read.
    pub warnings: Vec<String>,
}

impl Config {
    /// The job `name` over `[defaults]`; its credential sets in order.
    pub fn job(&self, name: &str) -> Result<(Job, Vec<CredentialSet>), Error> {
        let job = self.jobs.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.jobs.keys().map(String::as_str).collect();
            Error::Usage(format!(
                "--job {name}: no such job in {} (jobs: {})",
                self.file,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        })?;
        let merged = over(job, &self.defaults);
        let sets = self.sets(merged.credentials.as_deref());
        Ok((merged, sets))
    }

    /// The credential sets `names` asks for, in that order (all of them,
    /// in file order, for `None`). Names were checked at load.
    pub fn sets(&self, names: Option<&[String]>) -> Vec<CredentialSet> {
        match names {
            None => self.credentials.clone(),
            Some(names) => names
                .iter()
                .filter_map(|n| self.credentials.iter().find(|c| c.name() == n).cloned())
                .collect(),
        }
    }
}

/// `job`'s values, else `base`'s.
fn over(job: &Job, base: &Job) -> Job {
    fn pick<T: Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
        a.clone().or_else(|| b.clone())
    }
    fn list<T: Clone>(a: &[T], b: &[T]) -> Vec<T> {
        if a.is_empty() {
            b.to_vec()
        } else {
            a.to_vec()
        }
    }
    Job {
        targets: list(&job.targets, &base.targets),
        exclude: [base.exclude.clone(), job.exclude.clone()].concat(),
        credentials: pick(&job.credentials, &base.credentials),
        profile: pick(&job.profile, &base.profile),
        rate: pick(&job.rate, &base.rate),
        timeout: pick(&job.timeout, &base.timeout),
        retries: pick(&job.retries, &base.retries),
        count: pick(&job.count, &base.count),
        snmp_timeout: pick(&job.snmp_timeout, &base.snmp_timeout),
        snmp_retries: pick(&job.snmp_retries, &base.snmp_retries),
        snmp_concurrency: pick(&job.snmp_concurrency, &base.snmp_concurrency),
        snmp_budget: pick(&job.snmp_budget, &base.snmp_budget),
        inventory: pick(&job.inventory, &base.inventory),
        tcp_ports: pick(&job.tcp_ports, &base.tcp_ports),
        output: list(&job.output, &base.output),
        baseline: pick(&job.baseline, &base.baseline),
        save_baseline: pick(&job.save_baseline, &base.save_baseline),
        diff_output: list(&job.diff_output, &base.diff_output),
        interfaces_csv: pick(&job.interfaces_csv, &base.interfaces_csv),
        topology: pick(&job.topology, &base.topology),
        rules: pick(&job.rules, &base.rules),
        lock: pick(&job.lock, &base.lock),
        fail_on: pick(&job.fail_on, &base.fail_on),
        history: pick(&job.history, &base.history),
        keep: pick(&job.keep, &base.keep),
        keep_days: pick(&job.keep_days, &base.keep_days),
        max_removed: pick(&job.max_removed, &base.max_removed),
        min_alive: pick(&job.min_alive, &base.min_alive),
        user: pick(&job.user, &base.user),
    }
}

/// The file a run reads: `explicit`, else the user's, else the system's;
/// `None` when there is none (built-in settings only).
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let user = etcetera::base_strategy::Xdg::new()
        .ok()
        .map(|x| x.config_dir().join("netcensus/config.toml"));
    [user, Some(PathBuf::from("/etc/netcensus/config.toml"))]
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
}

/// Read a regular file of at most [`FILE_MAX`] bytes, and say whether
/// group or others may read it.
fn read_private(path: &Path) -> Result<(String, bool), String> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("'{}' is not a regular file", path.display()));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(FILE_MAX + 1).read_to_string(&mut text))
        .map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
    if text.len() as u64 > FILE_MAX {
        return Err(format!(
            "'{}' is larger than {FILE_MAX} bytes",
            path.display()
        ));
    }
    Ok((text, meta.permissions().mode() & 0o044 != 0))
}

/// Load and check the configuration file at `path`; `env` reads the
/// environment (`*_env` secrets).
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, Error> {
    let file = path.display().to_string();
    let (text, shared) = read_private(path).map_err(|message| Error::Input {
        file: file.clone(),
        line: 0,
        message,
    })?;
    let mut c = parse(&file, &text, env)?;
    if shared && !c.credentials.is_empty() {
        c.warnings.insert(
            0,
            format!("{file}: holds credentials and is readable by group or others (chmod 600)"),
        );
    }
    Ok(c)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    no_community: bool,
    defaults: Option<Spanned<RawJob>>,
    #[serde(default)]
    credential: Vec<Spanned<RawCredential>>,
    #[serde(default)]
    job: BTreeMap<String, Spanned<RawJob>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawJob {
    targets: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    credentials: Option<Vec<Spanned<String>>>,
    profile: Option<String>,
    rate: Option<u32>,
    timeout: Option<Spanned<String>>,
    retries: Option<u32>,
    count: Option<u32>,
    snmp_timeout: Option<Spanned<String>>,
    snmp_retries: Option<u32>,
    snmp_concurrency: Option<usize>,
    snmp_budget: Option<Spanned<String>>,
    inventory: Option<bool>,
    tcp_ports: Option<Vec<u16>>,
    output: Option<Vec<PathBuf>>,
    baseline: Option<PathBuf>,
    save_baseline: Option<PathBuf>,
    diff_output: Option<Vec<PathBuf>>,
    interfaces_csv: Option<PathBuf>,
    topology: Option<PathBuf>,
    rules: Option<PathBuf>,
    lock: Option<PathBuf>,
    fail_on: Option<String>,
    history: Option<PathBuf>,
    keep: Option<usize>,
    keep_days: Option<u32>,
    max_removed: Option<Spanned<String>>,
    min_alive: Option<u64>,
    user: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredential {
    name: Spanned<String>,
    community: Option<Spanned<String>>,
    community_env: Option<Spanned<String>>,
    community_file: Option<Spanned<String>>,
    user: Option<Spanned<String>>,
    auth_protocol: Option<Spanned<String>>,
    auth_key: Option<Spanned<String>>,
    auth_key_env: Option<Spanned<String>>,
    auth_key_file: Option<Spanned<String>>,
    priv_protocol: Option<Spanned<String>>,
    priv_key: Option<Spanned<String>>,
    priv_key_env: Option<Spanned<String>>,
    priv_key_file: Option<Spanned<String>>,
    #[serde(default)]
    context: String,
    scope: Option<Vec<Spanned<String>>>,
}

/// Checks one file's values, with their lines.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
    warnings: Vec<String>,
}

impl Checker<'_> {
    fn err<T>(&self, at: &Spanned<T>, field: &str, problem: String) -> Error {
        Error::Input {
            file: self.file.to_string(),
            line: line_of(self.text, at.span().start),
            message: format!("{field}: {problem}"),
        }
    }

    fn duration(
        &self,
        v: &Option<Spanned<String>>,
        field: &str,
    ) -> Result<Option<Duration>, Error> {
        v.as_ref()
            .map(|s| {
                humantime::parse_duration(s.get_ref().trim()).map_err(|e| {
                    self.err(
                        s,
                        field,
                        format!("'{}' is not a duration ({e})", s.get_ref()),
                    )
                })
            })
            .transpose()
    }

    fn job(&self, raw: &Spanned<RawJob>, what: &str, sets: &[CredentialSet]) -> Result<Job, Error> {
        let r = raw.get_ref();
        if let Some(names) = &r.credentials {
            for n in names {
                if !sets.iter().any(|c| c.name() == n.get_ref()) {
                    return Err(self.err(
                        n,
                        &format!("{what} credentials"),
                        format!("no credential set named '{}'", n.get_ref()),
                    ));
                }
            }
        }
        if r.rate == Some(0) {
            return Err(self.err(raw, &format!("{what} rate"), "must be at least 1".into()));
        }
        Ok(Job {
            targets: r.targets.clone().unwrap_or_default(),
            exclude: r.exclude.clone().unwrap_or_default(),
            credentials: r
                .credentials
                .as_ref()
                .map(|v| v.iter().map(|s| s.get_ref().clone()).collect()),
            profile: r.profile.clone(),
            rate: r.rate,
            timeout: self.duration(&r.timeout, &format!("{what} timeout"))?,
            retries: r.retries,
            count: r.count,
            snmp_timeout: self.duration(&r.snmp_timeout, &format!("{what} snmp_timeout"))?,
            snmp_retries: r.snmp_retries,
            snmp_concurrency: r.snmp_concurrency,
            snmp_budget: self.duration(&r.snmp_budget, &format!("{what} snmp_budget"))?,
            inventory: r.inventory,
            tcp_ports: r.tcp_ports.clone(),
            output: r.output.clone().unwrap_or_default(),
            baseline: r.baseline.clone(),
            save_baseline: r.save_baseline.clone(),
            diff_output: r.diff_output.clone().unwrap_or_default(),
            interfaces_csv: r.interfaces_csv.clone(),
            topology: r.topology.clone(),
            rules: r.rules.clone(),
            lock: r.lock.clone(),
            fail_on: r.fail_on.clone(),
            history: r.history.clone(),
            keep: r.keep,
            keep_days: r.keep_days,
            max_removed: r
                .max_removed
                .as_ref()
                .map(|m| {
                    m.get_ref()
                        .parse()
                        .map_err(|e| self.err(m, &format!("{what} max_removed"), e))
                })
                .transpose()?,
            min_alive: r.min_alive,
            user: r.user.clone(),
        })
    }

    /// One secret from exactly one of `field`, `field_env`, `field_file`.
    fn secret(
        &mut self,
        who: &str,
        field: &str,
        given: [&Option<Spanned<String>>; 3],
        at: &Spanned<String>,
    ) -> Result<Option<Secret>, Error> {
        let set: Vec<usize> = (0..3).filter(|i| given[*i].is_some()).collect();
        if set.len() > 1 {
            return Err(self.err(
                at,
                &format!("credential {who}"),
                format!("give one of {field}, {field}_env, {field}_file"),
            ));
        }
        let value = match (given[0], given[1], given[2]) {
            (Some(v), _, _) => v.get_ref().clone(),
            (_, Some(var), _) => (self.env)(var.get_ref().trim()).ok_or_else(|| {
                self.err(
                    var,
                    &format!("credential {who} {field}_env"),
                    format!("environment variable {} is not set", var.get_ref()),
                )
            })?,
            (_, _, Some(path)) => {
                let (text, shared) = read_private(Path::new(path.get_ref()))
                    .map_err(|p| self.err(path, &format!("credential {who} {field}_file"), p))?;
                if shared {
                    self.warnings.push(format!(
                        "{}: readable by group or others (chmod 600): it holds credential {who}'s {field}",
                        path.get_ref()
                    ));
                }
                text.trim_end_matches(['\r', '\n']).to_string()
            }
            _ => return Ok(None),
        };
        if value.is_empty() {
            return Err(self.err(at, &format!("credential {who} {field}"), "is empty".into()));
        }
        Ok(Some(Secret::new(value)))
    }

    fn credential(&mut self, raw: &Spanned<RawCredential>) -> Result<CredentialSet, Error> {
        let r = raw.get_ref();
        let name = r.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(self.err(&r.name, "credential name", "is empty".into()));
        }
        let mut scope = Vec::new();
        for s in r.scope.iter().flatten() {
            let net: IpNetwork = s.get_ref().trim().parse().map_err(|_| {
                self.err(
                    s,
                    &format!("credential {name} scope"),
                    format!("'{}' is not an address or prefix", s.get_ref()),
                )
            })?;
            scope.push(net);
        }
        let scope = Scope(scope);
        let community = self.secret(
            &name,
            "community",
            [&r.community, &r.community_env, &r.community_file],
            &r.name,
        )?;
        let v3_fields = r.user.is_some()
            || r.auth_protocol.is_some()
            || r.priv_protocol.is_some()
            || [
                &r.auth_key,
                &r.auth_key_env,
                &r.auth_key_file,
                &r.priv_key,
                &r.priv_key_env,
                &r.priv_key_file,
            ]
            .iter()
            .any(|f| f.is_some());
        match (community, &r.user) {
            (Some(_), _) if v3_fields => Err(self.err(
                &r.name,
                &format!("credential {name}"),
                "a community or an SNMPv3 user, not both".into(),
            )),
            (Some(community), _) => Ok(CredentialSet::Community {
                name,
                community,
                scope,
            }),
            (None, None) => Err(self.err(
                &r.name,
                &format!("credential {name}"),
                "needs a community (community, community_env, community_file) or a user".into(),
            )),
            (None, Some(user)) => self.user(r, name, user.get_ref().clone(), scope),
        }
    }

    /// An SNMPv3 user's set: protocols and keys checked (RFC 3414).
    fn user(
        &mut self,
        r: &RawCredential,
        name: String,
        user: String,
        scope: Scope,
    ) -> Result<CredentialSet, Error> {
        let auth_key = self.secret(
            &name,
            "auth_key",
            [&r.auth_key, &r.auth_key_env, &r.auth_key_file],
            &r.name,
        )?;
        let priv_key = self.secret(
            &name,
            "priv_key",
            [&r.priv_key, &r.priv_key_env, &r.priv_key_file],
            &r.name,
        )?;
        let auth_proto = match &r.auth_protocol {
            Some(p) => p.get_ref().parse::<UsmAuth>().map_err(|e| {
                self.err(
                    p,
                    &format!("credential {name} auth_protocol"),
                    e.to_string(),
                )
            })?,
            None => UsmAuth::default(),
        };
        let priv_proto = match &r.priv_protocol {
            Some(p) => p.get_ref().parse::<UsmPriv>().map_err(|e| {
                self.err(
                    p,
                    &format!("credential {name} priv_protocol"),
                    e.to_string(),
                )
            })?,
            None => UsmPriv::default(),
        };
        for (k, key) in [("auth_key", &auth_key), ("priv_key", &priv_key)] {
            if key.as_ref().is_some_and(|k| k.chars() < 8) {
                return Err(self.err(
                    &r.name,
                    &format!("credential {name} {k}"),
                    "SNMPv3 passphrases must be at least 8 characters (RFC 3414)".into(),
                ));
            }
        }
        if priv_key.is_some() && auth_key.is_none() {
            return Err(self.err(
                &r.name,
                &format!("credential {name} priv_key"),
                "needs an auth_key (no privacy without authentication)".into(),
            ));
        }
        Ok(CredentialSet::User {
            name,
            user,
            auth: auth_key.map(|k| (auth_proto, k)),
            privacy: priv_key.map(|k| (priv_proto, k)),
            context: r.context.clone(),
            scope,
        })
    }
}

/// Parse and check a configuration named `file`.
pub fn parse(
    file: &str,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, Error> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| Error::Input {
        file: file.to_string(),
        line: line_of(text, e.span().map_or(0, |s| s.start)),
        message: e.message().trim().to_string(),
    })?;
    let mut ck = Checker {
        file,
        text,
        env,
        warnings: Vec::new(),
    };
    let mut credentials = Vec::new();
    for c in &raw.credential {
        let set = ck.credential(c)?;
        if credentials
            .iter()
            .any(|x: &CredentialSet| x.name() == set.name())
        {
            return Err(ck.err(
                &c.get_ref().name,
                "credential name",
                format!("'{}' is used twice", set.name()),
            ));
        }
        credentials.push(set);
    }
    let defaults = match &raw.defaults {
        Some(d) => ck.job(d, "defaults", &credentials)?,
        None => Job::default(),
    };
    let mut jobs = BTreeMap::new();
    for (name, j) in &raw.job {
        jobs.insert(
            name.clone(),
            ck.job(j, &format!("job {name}"), &credentials)?,
        );
    }
    Ok(Config {
        file: file.to_string(),
        no_community: raw.no_community,
        defaults,
        jobs,
        credentials,
        warnings: ck.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str) -> Option<String> {
        (var == "NOC_AUTH").then(|| "noc-auth-passphrase".to_string())
    }

    const GOOD: &str = r#"
[defaults]
profile = "quick"
snmp_timeout = "300ms"

[[credential]]
name = "campus-ro"
community = "campus-secret"
scope = ["10.20.0.0/16", "fd00::/64"]

[[credential]]
name = "noc-v3"
user = "noc"
auth_protocol = "sha-256"
auth_key_env = "NOC_AUTH"

[job.campus]
targets = ["10.20.0.0/16"]
exclude = ["10.20.99.0/24"]
credentials = ["noc-v3", "campus-ro"]
snmp_timeout = "1s"
output = ["campus.json"]
"#;

    #[test]
    fn jobs_take_their_defaults_and_sets_in_their_order() {
        let c = parse("c.toml", GOOD, &env).unwrap();
        let (job, sets) = c.job("campus").unwrap();
        assert_eq!(job.profile.as_deref(), Some("quick"), "from [defaults]");
        assert_eq!(
            job.snmp_timeout,
            Some(Duration::from_secs(1)),
            "the job's own"
        );
        assert_eq!(job.targets, ["10.20.0.0/16"]);
        let names: Vec<&str> = sets.iter().map(CredentialSet::name).collect();
        assert_eq!(names, ["noc-v3", "campus-ro"]);
        match &sets[0] {
            CredentialSet::User { auth, .. } => {
                let (proto, key) = auth.as_ref().unwrap();
                assert_eq!(*proto, UsmAuth::Sha256);
                assert_eq!(key.expose(), "noc-auth-passphrase");
            }
            other => panic!("{other:?}"),
        }
        match &sets[1] {
            CredentialSet::Community { scope, .. } => {
                assert!(scope.covers("10.20.3.4".parse().unwrap()));
                assert!(!scope.covers("10.21.0.1".parse().unwrap()));
            }
            other => panic!("{other:?}"),
        }
        // no secret in a debug dump of the whole configuration
        let dump = format!("{c:?}");
        assert!(
            !dump.contains("campus-secret") && !dump.contains("noc-auth-passphrase"),
            "{dump}"
        );
        let e = c.job("nonesuch").unwrap_err().to_string();
        assert!(e.contains("no such job") && e.contains("campus"), "{e}");
    }

    #[test]
    fn problems_name_file_line_and_field() {
        let e = |text: &str| parse("c.toml", text, &env).unwrap_err().to_string();
        assert_eq!(
            e("[[credential]]\nname = \"a\"\ncommunity = \"x\"\nscope = [\"10.0.0.0/33\"]\n"),
            "c.toml:4: credential a scope: '10.0.0.0/33' is not an address or prefix"
        );
        assert_eq!(
            e("[job.x]\ncredentials = [\"nope\"]\n"),
            "c.toml:2: job x credentials: no credential set named 'nope'"
        );
        assert_eq!(
            e("[job.x]\nsnmp_timeout = \"soon\"\n"),
            "c.toml:2: job x snmp_timeout: 'soon' is not a duration (expected number at 0)"
        );
        assert_eq!(
            e("[[credential]]\nname = \"v3\"\nuser = \"u\"\nauth_key_env = \"UNSET\"\n"),
            "c.toml:4: credential v3 auth_key_env: environment variable UNSET is not set"
        );
        assert!(e("[[credential]]\nname = \"v3\"\nuser = \"u\"\nauth_protocol = \"SHA3\"\nauth_key = \"longenough\"\n")
            .starts_with("c.toml:4: credential v3 auth_protocol: unknown authentication protocol 'SHA3'"));
        assert!(e("[job.x]\ncolour = \"red\"\n").starts_with("c.toml:2:"));
        assert!(
            e("[[credential]]\nname = \"a\"\ncommunity = \"x\"\ncommunity_env = \"Y\"\n")
                .contains("give one of community, community_env, community_file")
        );
        assert!(e("[[credential]]\nname = \"a\"\ncommunity = \"x\"\n[[credential]]\nname = \"a\"\ncommunity = \"y\"\n")
            .starts_with("c.toml:5: credential name: 'a' is used twice"));
        // the secret is never in a message
        let msg = e("[[credential]]\nname = \"v3\"\nuser = \"u\"\nauth_key = \"short\"\n");
        assert!(
            msg.contains("at least 8") && !msg.contains("short\""),
            "{msg}"
        );
    }

    #[test]
    fn secrets_come_from_files_and_shared_files_are_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let secret = d.path().join("community");
        std::fs::write(&secret, "from-a-file\n").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        let text = format!(
            "[[credential]]\nname = \"f\"\ncommunity_file = \"{}\"\n",
            secret.display()
        );
        let conf = d.path().join("config.toml");
        std::fs::write(&conf, &text).unwrap();
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o640)).unwrap();
        let c = load(&conf, &env).unwrap();
        match &c.credentials[0] {
            CredentialSet::Community { community, .. } => {
                assert_eq!(community.expose(), "from-a-file");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(c
            .warnings
            .iter()
            .all(|w| w.contains("chmod 600") && !w.contains("from-a-file")));
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(load(&conf, &env).unwrap().warnings.is_empty());
    }
}
