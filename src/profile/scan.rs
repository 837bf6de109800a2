//! Scan profiles (`profiles/scan/*.toml`): the defaults of a scan
//! (rates, timeouts, retries, echoes, SNMP settings, what to collect),
//! built in or from a file, validated with `file:line`.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The built-in scan profiles, compiled in.
pub const BUILTIN_SCAN_PROFILES: [(&str, &str); 3] = [
    ("quick", include_str!("../../profiles/scan/quick.toml")),
    (
        "standard",
        include_str!("../../profiles/scan/standard.toml"),
    ),
    ("full", include_str!("../../profiles/scan/full.toml")),
];

/// Health thresholds (the `[health]` table of a scan profile).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub cpu_warn: f64,
    pub cpu_crit: f64,
    pub mem_warn: f64,
    pub mem_crit: f64,
    pub temp_warn: f64,
    pub temp_crit: f64,
    pub loss_warn: f64,
    pub loss_crit: f64,
    pub rtt_warn_ms: f64,
    pub rtt_crit_ms: f64,
    /// Errors + discards of one interface since the baseline, as a share
    /// of its packets, for a warning and for critical.
    pub if_errors_warn_pct: f64,
    pub if_errors_crit_pct: f64,
    /// Fewer new errors + discards than this are never graded (noise).
    pub if_errors_min: u64,
    /// Admin-up but oper-down interfaces are a warning.
    pub oper_down_warn: bool,
    /// An uptime below this is a warning (recent reboot).
    pub reboot_warn: Duration,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    cpu_warn: Option<f64>,
    cpu_crit: Option<f64>,
    mem_warn: Option<f64>,
    mem_crit: Option<f64>,
    temp_warn: Option<f64>,
    temp_crit: Option<f64>,
    loss_warn: Option<f64>,
    loss_crit: Option<f64>,
    rtt_warn_ms: Option<f64>,
    rtt_crit_ms: Option<f64>,
    if_errors_warn_pct: Option<f64>,
    if_errors_crit_pct: Option<f64>,
    /// Called `if_errors_warn` (errors since boot) before errors were
    /// judged against the baseline; the old name is read as this one.
    #[serde(alias = "if_errors_warn")]
    if_errors_min: Option<u64>,
    oper_down_warn: Option<bool>,
    reboot_warn: S<String>,
}

impl RawThresholds {
    /// The thresholds, each from the file else from `base` (the built-in
    /// `standard` profile, the one home of the defaults).
    fn over(self, ctx: &Ctx, b: Option<&Thresholds>) -> Result<Thresholds, ProfileError> {
        fn pick<T: Copy>(
            ctx: &Ctx,
            field: &str,
            v: Option<T>,
            b: Option<T>,
        ) -> Result<T, ProfileError> {
            v.or(b).ok_or_else(|| missing(ctx, field))
        }
        Ok(Thresholds {
            cpu_warn: pick(ctx, "health.cpu_warn", self.cpu_warn, b.map(|b| b.cpu_warn))?,
            cpu_crit: pick(ctx, "health.cpu_crit", self.cpu_crit, b.map(|b| b.cpu_crit))?,
            mem_warn: pick(ctx, "health.mem_warn", self.mem_warn, b.map(|b| b.mem_warn))?,
            mem_crit: pick(ctx, "health.mem_crit", self.mem_crit, b.map(|b| b.mem_crit))?,
            temp_warn: pick(
                ctx,
                "health.temp_warn",
                self.temp_warn,
                b.map(|b| b.temp_warn),
            )?,
            temp_crit: pick(
                ctx,
                "health.temp_crit",
                self.temp_crit,
                b.map(|b| b.temp_crit),
            )?,
            loss_warn: pick(
                ctx,
                "health.loss_warn",
                self.loss_warn,
                b.map(|b| b.loss_warn),
            )?,
            loss_crit: pick(
                ctx,
                "health.loss_crit",
                self.loss_crit,
                b.map(|b| b.loss_crit),
            )?,
            rtt_warn_ms: pick(
                ctx,
                "health.rtt_warn_ms",
                self.rtt_warn_ms,
                b.map(|b| b.rtt_warn_ms),
            )?,
            rtt_crit_ms: pick(
                ctx,
                "health.rtt_crit_ms",
                self.rtt_crit_ms,
                b.map(|b| b.rtt_crit_ms),
            )?,
            if_errors_warn_pct: pick(
                ctx,
                "health.if_errors_warn_pct",
                self.if_errors_warn_pct,
                b.map(|b| b.if_errors_warn_pct),
            )?,
            if_errors_crit_pct: pick(
                ctx,
                "health.if_errors_crit_pct",
                self.if_errors_crit_pct,
                b.map(|b| b.if_errors_crit_pct),
            )?,
            if_errors_min: pick(
                ctx,
                "health.if_errors_min",
                self.if_errors_min,
                b.map(|b| b.if_errors_min),
            )?,
            oper_down_warn: pick(
                ctx,
                "health.oper_down_warn",
                self.oper_down_warn,
                b.map(|b| b.oper_down_warn),
            )?,
            reboot_warn: duration(
                ctx,
                "health.reboot_warn",
                &self.reboot_warn,
                b.map(|b| b.reboot_warn),
            )?,
        })
    }
}

/// What to collect and how hard to try: the defaults of `scan`'s options.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanProfile {
    pub name: String,
    pub description: Option<String>,
    pub rate: u32,
    pub timeout: Duration,
    pub retries: u32,
    pub count: u32,
    pub interval: Duration,
    pub snmp_sweep: SnmpSweep,
    pub snmp_timeout: Duration,
    pub snmp_retries: u32,
    pub snmp_concurrency: usize,
    pub snmp_budget: Duration,
    pub classify: bool,
    /// Walk interfaces, neighbours, health metrics.
    pub interfaces: bool,
    pub neighbors: bool,
    pub health: bool,
    pub thresholds: Thresholds,
}

/// Which addresses get an SNMP GET during the sweep (before anything is
/// known about them). Found hosts the sweep did not cover get one afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnmpSweep {
    /// Every address of contiguous target blocks of at most 65,536
    /// addresses (a /16); larger blocks: `Alive`.
    Auto,
    /// Every address: finds agents that drop ICMP (most firewalls).
    All,
    /// Only hosts found alive by ICMP or TCP.
    Alive,
    /// No SNMP at all.
    Off,
}

impl SnmpSweep {
    /// The mode of a profile's `snmp.sweep`.
    pub fn parse(s: &str) -> Option<SnmpSweep> {
        Some(match s {
            "auto" => SnmpSweep::Auto,
            "all" => SnmpSweep::All,
            "alive" => SnmpSweep::Alive,
            "off" => SnmpSweep::Off,
            _ => return None,
        })
    }

    /// The mode's name.
    pub fn name(self) -> &'static str {
        match self {
            SnmpSweep::Auto => "auto",
            SnmpSweep::All => "all",
            SnmpSweep::Alive => "alive",
            SnmpSweep::Off => "off",
        }
    }
}

/// SNMP sweep modes a profile may name.
pub const SNMP_SWEEP_MODES: [&str; 4] = ["auto", "all", "alive", "off"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScanProfile {
    description: Option<String>,
    #[serde(default)]
    sweep: RawSweep,
    #[serde(default)]
    snmp: RawSnmp,
    #[serde(default)]
    health: RawThresholds,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    rate: S<u32>,
    timeout: S<String>,
    retries: Option<u32>,
    count: Option<u32>,
    interval: S<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSnmp {
    sweep: S<String>,
    timeout: S<String>,
    retries: Option<u32>,
    concurrency: S<usize>,
    budget: S<String>,
    classify: Option<bool>,
    interfaces: Option<bool>,
    neighbors: Option<bool>,
    health: Option<bool>,
}

fn missing(ctx: &Ctx, field: &str) -> ProfileError {
    ctx.err(0..0, format!("{field}: missing"))
}

/// A duration field, else the base profile's.
fn duration(
    ctx: &Ctx,
    field: &str,
    v: &S<String>,
    base: Option<Duration>,
) -> Result<Duration, ProfileError> {
    let Some(v) = v else {
        return base.ok_or_else(|| missing(ctx, field));
    };
    match humantime::parse_duration(v.get_ref()) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(ctx.err(v.span(), format!("{field}: must be longer than 0"))),
        Err(e) => Err(ctx.err(
            v.span(),
            format!(
                "{field}: '{}' is not a duration like 500ms: {e}",
                v.get_ref()
            ),
        )),
    }
}

/// A number field of at least `min`, else the base profile's.
fn number<T: PartialOrd + Copy + std::fmt::Display>(
    ctx: &Ctx,
    field: &str,
    v: &S<T>,
    base: Option<T>,
    min: T,
) -> Result<T, ProfileError> {
    match v {
        None => base.ok_or_else(|| missing(ctx, field)),
        Some(v) if *v.get_ref() >= min => Ok(*v.get_ref()),
        Some(v) => Err(ctx.err(v.span(), format!("{field}: must be at least {min}"))),
    }
}

impl ScanProfile {
    /// Parse a scan profile; fields it leaves out come from `base` (a
    /// built-in profile, parsed without base, must set every field).
    pub fn parse(
        name: &str,
        file: &str,
        text: &str,
        base: Option<&ScanProfile>,
    ) -> Result<ScanProfile, ProfileError> {
        let ctx = Ctx { file, text };
        let raw: RawScanProfile = ctx.toml()?;
        let (w, n) = (&raw.sweep, &raw.snmp);
        let flag = |v: Option<bool>, b: Option<bool>, field: &str| {
            v.or(b).ok_or_else(|| missing(&ctx, field))
        };
        let snmp_sweep = match &n.sweep {
            Some(m) => SnmpSweep::parse(m.get_ref()).ok_or_else(|| {
                ctx.err(
                    m.span(),
                    format!(
                        "snmp.sweep: unknown mode '{}' (one of: {})",
                        m.get_ref(),
                        SNMP_SWEEP_MODES.join(", ")
                    ),
                )
            })?,
            None => base
                .map(|b| b.snmp_sweep)
                .ok_or_else(|| missing(&ctx, "snmp.sweep"))?,
        };
        let wrap = |v: Option<u32>| v.map(|v| Spanned::new(0..0, v));
        Ok(ScanProfile {
            name: name.to_string(),
            description: raw
                .description
                .or_else(|| base.and_then(|b| b.description.clone())),
            rate: number(&ctx, "sweep.rate", &w.rate, base.map(|b| b.rate), 1)?,
            timeout: duration(&ctx, "sweep.timeout", &w.timeout, base.map(|b| b.timeout))?,
            retries: number(
                &ctx,
                "sweep.retries",
                &wrap(w.retries),
                base.map(|b| b.retries),
                0,
            )?,
            count: number(
                &ctx,
                "sweep.count",
                &wrap(w.count),
                base.map(|b| b.count),
                0,
            )?,
            interval: duration(
                &ctx,
                "sweep.interval",
                &w.interval,
                base.map(|b| b.interval),
            )?,
            snmp_sweep,
            snmp_timeout: duration(
                &ctx,
                "snmp.timeout",
                &n.timeout,
                base.map(|b| b.snmp_timeout),
            )?,
            snmp_retries: number(
                &ctx,
                "snmp.retries",
                &wrap(n.retries),
                base.map(|b| b.snmp_retries),
                0,
            )?,
            snmp_concurrency: number(
                &ctx,
                "snmp.concurrency",
                &n.concurrency,
                base.map(|b| b.snmp_concurrency),
                1,
            )?,
            snmp_budget: duration(&ctx, "snmp.budget", &n.budget, base.map(|b| b.snmp_budget))?,
            classify: n
                .classify
                .or(base.map(|b| b.classify))
                .ok_or_else(|| missing(&ctx, "snmp.classify"))?,
            interfaces: flag(n.interfaces, base.map(|b| b.interfaces), "snmp.interfaces")?,
            neighbors: flag(n.neighbors, base.map(|b| b.neighbors), "snmp.neighbors")?,
            health: flag(n.health, base.map(|b| b.health), "snmp.health")?,
            thresholds: raw.health.over(&ctx, base.map(|b| &b.thresholds))?,
        })
    }

    /// The profile's value of each `scan` option it backs, by the option's
    /// argument id: help text shows these rather than copies of the files.
    pub fn option_values(&self) -> Vec<(&'static str, String)> {
        let d = |d: Duration| humantime::format_duration(d).to_string();
        let on = |b: bool| if b { "on" } else { "off" }.to_string();
        vec![
            ("rate", self.rate.to_string()),
            ("timeout", d(self.timeout)),
            ("retries", self.retries.to_string()),
            ("count", self.count.to_string()),
            ("interval", d(self.interval)),
            ("snmp_sweep", self.snmp_sweep.name().to_string()),
            ("snmp_timeout", d(self.snmp_timeout)),
            ("snmp_retries", self.snmp_retries.to_string()),
            ("snmp_concurrency", self.snmp_concurrency.to_string()),
            ("snmp_budget", d(self.snmp_budget)),
            ("inventory", on(self.interfaces && self.neighbors)),
            ("no_classify", on(!self.classify)),
        ]
    }

    /// A built-in profile by name: `standard` sets every field, the others
    /// what they change of it.
    pub fn builtin(name: &str) -> Option<Result<ScanProfile, ProfileError>> {
        let parse = |n: &str, text: &str, base| {
            ScanProfile::parse(n, &format!("profiles/scan/{n}.toml"), text, base)
        };
        let (n, text) = BUILTIN_SCAN_PROFILES.iter().find(|(n, _)| *n == name)?;
        let base = match *n {
            "standard" => None,
            _ => match ScanProfile::builtin("standard")? {
                Ok(standard) => Some(standard),
                Err(e) => return Some(Err(e)),
            },
        };
        Some(parse(n, text, base.as_ref()))
    }

    /// `quick`, `standard`, `full`, `scan/NAME.toml` of the profiles
    /// directory, or a file path. A file's missing fields come from
    /// `standard`.
    pub fn load(
        name_or_path: &str,
        profiles_dir: Option<&Path>,
    ) -> Result<ScanProfile, ProfileError> {
        if let Some(p) = ScanProfile::builtin(name_or_path) {
            return p;
        }
        let standard =
            ScanProfile::builtin("standard").ok_or_else(|| ProfileError::Invalid {
                file: "profiles/scan/standard.toml".into(),
                line: 1,
                message: "missing".into(),
            })??;
        let mut path = PathBuf::from(name_or_path);
        if !name_or_path.contains('/') && !name_or_path.ends_with(".toml") {
            match profiles_dir {
                Some(d) => path = d.join("scan").join(format!("{name_or_path}.toml")),
                None => {
                    return Err(ProfileError::Read {
                        path,
                        source: std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "no such scan profile (built-in: quick, standard, full; or give a .toml file)",
                        ),
                    })
                }
            }
        }
        let text =
            crate::source::read_input(&path, crate::source::INPUT_MAX).map_err(|source| {
                ProfileError::Read {
                    path: path.clone(),
                    source,
                }
            })?;
        let name = path.file_stem().map_or(name_or_path.to_string(), |s| {
            s.to_string_lossy().into_owned()
        });
        ScanProfile::parse(&name, &path.display().to_string(), &text, Some(&standard))
    }
}
