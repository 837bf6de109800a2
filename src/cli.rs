//! Command-line definitions (clap derive) and nothing else.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use netcensus::{RemovedLimit, UsmAuth, UsmPriv};

#[derive(Debug, Parser)]
#[command(
    name = "netcensus",
    version,
    about = "Network device inventory and health scanner: ICMP + SNMP sweep of subnets",
    after_help = "Exit codes: 0 ok, 1 check failed, 2 usage/input error, 3 scan could not run \
                  (no ICMP permission), 75 another run holds the lock, 130 interrupted."
)]
pub struct Cli {
    /// Print nothing unless there is drift or an error (no progress, no table): for cron, which mails what a job prints.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More on stderr: -v a line per finished phase and per device error, -vv debug, -vvv trace (RUST_LOG overrides).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Append the log to FILE (info; -vv debug; RUST_LOG overrides), whatever -q leaves off the terminal.
    #[arg(
        long = "log",
        global = true,
        env = "NETCENSUS_LOG",
        value_name = "FILE"
    )]
    pub log: Option<PathBuf>,
    /// The log file's format: text, or json (one JSON object per line).
    #[arg(long = "log-format", global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// A directory whose rules.toml / vendors.toml add to or override the built-in profiles.
    #[arg(
        long = "profiles-dir",
        global = true,
        env = "NETCENSUS_PROFILES",
        value_name = "DIR"
    )]
    pub profiles_dir: Option<PathBuf>,
    /// Configuration file (jobs, credential sets); default: $XDG_CONFIG_HOME/netcensus/config.toml, else /etc/netcensus/config.toml, if there is one.
    #[arg(
        long = "config",
        global = true,
        env = "NETCENSUS_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sweep targets with ICMP and SNMP and report every device found.
    Scan(Box<ScanArgs>),
    /// Show why a device of a scan file was classified as it was.
    Explain(ExplainArgs),
    /// Save baselines.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Compare a scan with a baseline: what was added, removed, moved, changed.
    Diff(Box<DiffArgs>),
    /// Check a scan against an expected topology; exit 1 if an expectation fails.
    Check(CheckArgs),
    /// Render a scan file (and its drift from a baseline) as table, CSV, Markdown, HTML, JUnit, JSON.
    Report(Box<ReportArgs>),
    /// List, show or validate the classification profiles.
    #[command(subcommand)]
    Profiles(ProfilesCommand),
    /// Check the configuration file, or show the settings a scan would run with.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// When each device was first and last seen, and what changed between the scans kept by --history.
    History(HistoryArgs),
    /// Where a host is plugged in (switch, port, VLAN), by its IP or MAC, from a scan's endpoints and devices; exit 1 if the scan does not know it.
    Locate(LocateArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish, powershell.
    Completions {
        /// The shell, e.g. bash (install: netcensus completions bash > /usr/share/bash-completion/completions/netcensus).
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. netcensus man > /usr/share/man/man1/netcensus.1.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a configuration file (default: the one a scan reads); every problem is file:line: field: problem, exit 2.
    Check {
        /// The file (default: --config, else the user's, else /etc/netcensus/config.toml).
        file: Option<PathBuf>,
    },
    /// The settings a scan with these flags would run with (file < environment < flags), secrets left out; sends nothing.
    Show(Box<ScanArgs>),
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A scan file written by `netcensus scan -o FILE.json`.
    pub scan: PathBuf,
    /// The device's IP address.
    pub ip: String,
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// The rules, highest priority first, and the vendor table's size.
    List,
    /// One rule's definition.
    Show {
        /// Rule id.
        id: String,
    },
    /// Check the built-in profiles and those of DIR (default: --profiles-dir).
    Validate { dir: Option<PathBuf> },
}

/// Output format on stdout (and of `-o` files whose extension says none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StdoutFormat {
    Table,
    Json,
    Csv,
    #[value(alias = "md")]
    Markdown,
    Html,
    #[value(alias = "xml")]
    Junit,
    /// Prometheus text exposition (for node_exporter's textfile collector)
    #[value(alias = "prom")]
    Prometheus,
}

/// The log file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct LocateArgs {
    /// A scan file (or baseline) of a scan with inventory.
    pub scan: PathBuf,
    /// An IP address or a MAC (aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff).
    pub host: String,
}

/// `netcensus history`'s output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The directory a scan's --history DIR writes.
    pub dir: PathBuf,
    /// One device (IP address, sysName or id): its changes scan by scan.
    pub device: Option<String>,
    /// table, or json (netcensus/history/v1: every scan and device with its changes).
    #[arg(long, value_enum, default_value_t = HistoryFormat::Table)]
    pub format: HistoryFormat,
}

/// Which addresses get SNMP GETs during the sweep.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SnmpSweepArg {
    /// every address when the targets hold at most 65,536 (a /16), else `alive`
    Auto,
    /// every address (finds agents that drop ping)
    All,
    /// only hosts that answered ICMP or TCP
    Alive,
    /// no SNMP
    Off,
}

fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration like 500ms or 2s: {e}"))
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Targets: address, CIDR (10.0.0.0/24), range (10.0.0.10-10.0.0.50 or 10.0.0.10-50), IPv4 or IPv6.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Read targets from FILE, one per line, '#' comments; '-' is stdin. Alias: -iL.
    #[arg(long = "targets-file", value_name = "FILE")]
    pub targets_file: Vec<PathBuf>,
    /// Leave these out (same forms as targets; repeat or separate with commas).
    #[arg(long, value_name = "TARGET")]
    pub exclude: Vec<String>,
    /// Read exclusions from FILE (same format as --targets-file).
    #[arg(long = "exclude-file", value_name = "FILE")]
    pub exclude_file: Vec<PathBuf>,
    /// Allow IPv4 prefixes shorter than /8 and IPv6 shorter than /112.
    #[arg(long)]
    pub force: bool,
    /// Run the configuration file's job NAME (its targets, credential sets, profile, outputs, baseline); flags beat it.
    #[arg(long = "job", env = "NETCENSUS_JOB", value_name = "NAME")]
    pub job: Option<String>,

    /// Scan profile: quick, standard, full, or a TOML file (defaults of the options below) [default: the job's, else standard].
    #[arg(
        long,
        env = "NETCENSUS_PROFILE",
        value_name = "NAME|FILE",
        help_heading = "Sweep"
    )]
    pub profile: Option<String>,
    /// Addresses probed per second in the sweep (each gets an echo and, with the SNMP sweep, a GET).
    #[arg(long, env = "NETCENSUS_RATE", value_name = "N", help_heading = "Sweep")]
    pub rate: Option<u32>,
    /// How long to wait for an answer.
    #[arg(long, env = "NETCENSUS_TIMEOUT", value_parser = duration, value_name = "DUR", help_heading = "Sweep")]
    pub timeout: Option<Duration>,
    /// Extra passes over addresses that did not answer.
    #[arg(
        long,
        env = "NETCENSUS_RETRIES",
        value_name = "N",
        help_heading = "Sweep"
    )]
    pub retries: Option<u32>,
    /// Echo requests per found host for RTT, jitter and loss, 0 for none.
    #[arg(
        long,
        env = "NETCENSUS_COUNT",
        value_name = "N",
        help_heading = "Sweep"
    )]
    pub count: Option<u32>,
    /// Time between the echoes of one host.
    #[arg(long, value_parser = duration, value_name = "DUR", help_heading = "Sweep")]
    pub interval: Option<Duration>,
    /// Also mark hosts alive that answer TCP connects on these ports (for hosts filtering ICMP).
    #[arg(long = "tcp-ports", value_delimiter = ',', value_parser = clap::value_parser!(u16).range(1..),
          value_name = "PORTS", help_heading = "Sweep")]
    pub tcp_ports: Vec<u16>,
    /// Do not send ICMP (SNMP / TCP only).
    #[arg(long = "no-icmp", help_heading = "Sweep")]
    pub no_icmp: bool,

    /// SNMP v1/v2c community, tried in order (repeatable); replaces the configuration's community sets [default: public when no credential is configured]. Prefer NETCENSUS_COMMUNITY: arguments are visible to other users.
    #[arg(
        short = 'c',
        long = "community",
        value_name = "STRING",
        env = "NETCENSUS_COMMUNITY",
        value_delimiter = ',',
        hide_env_values = true,
        help_heading = "SNMP"
    )]
    pub communities: Vec<String>,
    /// SNMPv3 only: no community is ever sent (not even the default public).
    #[arg(long = "no-community", help_heading = "SNMP")]
    pub no_community: bool,
    /// SNMPv3 user (USM), tried after the communities on hosts they did not open.
    #[arg(
        long = "v3-user",
        env = "NETCENSUS_V3_USER",
        value_name = "USER",
        help_heading = "SNMP"
    )]
    pub v3_user: Option<String>,
    /// SNMPv3 authentication protocol: MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512 (net-snmp's -a; any case).
    #[arg(
        long = "v3-auth-proto",
        default_value = "SHA",
        value_name = "PROTO",
        value_parser = |s: &str| s.parse::<UsmAuth>().map_err(|e| e.to_string()),
        help_heading = "SNMP"
    )]
    pub v3_auth_proto: UsmAuth,
    /// SNMPv3 authentication passphrase (none: noAuthNoPriv). Prefer NETCENSUS_V3_AUTH_KEY.
    #[arg(
        long = "v3-auth-key",
        env = "NETCENSUS_V3_AUTH_KEY",
        hide_env_values = true,
        value_name = "KEY",
        help_heading = "SNMP"
    )]
    pub v3_auth_key: Option<String>,
    /// SNMPv3 privacy protocol: DES, AES (AES-128), AES-192, AES-256, and Cisco's key extension AES-192-C, AES-256-C (net-snmp's -x; any case).
    #[arg(
        long = "v3-priv-proto",
        default_value = "AES",
        value_name = "PROTO",
        value_parser = |s: &str| s.parse::<UsmPriv>().map_err(|e| e.to_string()),
        help_heading = "SNMP"
    )]
    pub v3_priv_proto: UsmPriv,
    /// SNMPv3 privacy passphrase (none: authNoPriv). Prefer NETCENSUS_V3_PRIV_KEY.
    #[arg(
        long = "v3-priv-key",
        env = "NETCENSUS_V3_PRIV_KEY",
        hide_env_values = true,
        value_name = "KEY",
        help_heading = "SNMP"
    )]
    pub v3_priv_key: Option<String>,
    /// SNMPv3 context name.
    #[arg(
        long = "v3-context",
        default_value = "",
        value_name = "NAME",
        help_heading = "SNMP"
    )]
    pub v3_context: String,
    /// Which addresses get SNMP GETs during the sweep.
    #[arg(long = "snmp-sweep", value_enum, help_heading = "SNMP")]
    pub snmp_sweep: Option<SnmpSweepArg>,
    /// Timeout of one SNMP request after the sweep.
    #[arg(long = "snmp-timeout", env = "NETCENSUS_SNMP_TIMEOUT", value_parser = duration, value_name = "DUR", help_heading = "SNMP")]
    pub snmp_timeout: Option<Duration>,
    /// Retries of one SNMP request after the sweep.
    #[arg(
        long = "snmp-retries",
        env = "NETCENSUS_SNMP_RETRIES",
        value_name = "N",
        help_heading = "SNMP"
    )]
    pub snmp_retries: Option<u32>,
    /// Devices queried at once after the sweep.
    #[arg(
        long = "snmp-concurrency",
        env = "NETCENSUS_SNMP_CONCURRENCY",
        value_name = "N",
        help_heading = "SNMP"
    )]
    pub snmp_concurrency: Option<usize>,
    /// Most time one device's collection may take before it is cut off with an error entry.
    #[arg(long = "snmp-budget", env = "NETCENSUS_SNMP_BUDGET", value_parser = duration, value_name = "DUR", help_heading = "SNMP")]
    pub snmp_budget: Option<Duration>,
    /// Walk interfaces and neighbours (LLDP, CDP).
    #[arg(long, help_heading = "SNMP", overrides_with = "no_inventory")]
    pub inventory: bool,
    /// Do not walk interfaces and neighbours: discovery, identity, classification.
    #[arg(long = "no-inventory", help_heading = "SNMP")]
    pub no_inventory: bool,
    /// Read only the system group: no classification facts (ENTITY, LLDP, bridge, ...).
    #[arg(long = "no-classify", help_heading = "SNMP")]
    pub no_classify: bool,

    #[command(flatten, next_help_heading = "Output")]
    pub out: OutputArgs,
    /// Also write one row per interface to FILE (CSV).
    #[arg(long = "interfaces-csv", value_name = "FILE", help_heading = "Output")]
    pub interfaces_csv: Option<PathBuf>,

    /// Save the scan as a baseline in FILE (atomically; an interrupted scan is not saved).
    #[arg(long = "save-baseline", value_name = "FILE", help_heading = "Drift")]
    pub save_baseline: Option<PathBuf>,
    /// Hold an exclusive lock on FILE for the run; if another run holds it, exit 75 at once. --save-baseline B locks B.lock by itself.
    #[arg(long = "lock", value_name = "FILE", help_heading = "Drift")]
    pub lock: Option<PathBuf>,
    /// Compare the scan with the baseline FILE and print the drift (even with -q).
    #[arg(long = "baseline", value_name = "FILE", help_heading = "Drift")]
    pub baseline: Option<PathBuf>,
    /// Expected topology (TOML, YAML or NetBox CSV): a down port it expects a link on is a health warning. Check a scan against it with `netcensus check`.
    #[arg(long = "topology", value_name = "FILE", help_heading = "Drift")]
    pub topology: Option<PathBuf>,
    /// Write the drift to FILE (.json netcensus/diff/v1, .csv, .md, .html, .xml JUnit, .txt). Needs --baseline.
    #[arg(long = "diff-output", value_name = "FILE", help_heading = "Drift")]
    pub diff_output: Vec<PathBuf>,
    /// Refuse to save the baseline (--save-baseline) when more than N of the old baseline's devices, or P% of them, are missing: exit 1 with the reason, so one bad night does not become the new normal.
    #[arg(long = "max-removed", value_name = "N|P%", value_parser = |s: &str| s.parse::<RemovedLimit>(), help_heading = "Drift")]
    pub max_removed: Option<RemovedLimit>,
    /// Refuse to save the baseline when the scan found fewer than N devices: exit 1 with the reason.
    #[arg(long = "min-alive", value_name = "N", help_heading = "Drift")]
    pub min_alive: Option<u64>,
    #[command(flatten)]
    pub drift: DriftArgs,

    /// Crawl from the targets: probe what the devices know of (LLDP/CDP neighbours' management addresses, routers' ARP/ND entries), round after round, with the same credentials. Needs --crawl-within.
    #[arg(long = "crawl", help_heading = "Crawl")]
    pub crawl: bool,
    /// A prefix the crawl stays within (repeatable): nothing outside them is ever probed.
    #[arg(long = "crawl-within", value_name = "PREFIX", help_heading = "Crawl")]
    pub crawl_within: Vec<String>,
    /// Rounds of the crawl after the targets' own [default: 8].
    #[arg(long = "crawl-depth", value_name = "N", help_heading = "Crawl")]
    pub crawl_depth: Option<u32>,

    /// Run as root, give root up for this account (a name or a numeric uid) once the raw ICMP sockets are open: what devices send is decoded by a process without privileges, and only the scan file comes back to the root process, which writes the outputs. `root` keeps root. Default: nobody.
    #[arg(
        long = "user",
        env = "NETCENSUS_USER",
        value_name = "NAME|UID",
        help_heading = "Privilege"
    )]
    pub user: Option<String>,

    /// Keep every scan in DIR (scan-<start time>.json, written atomically) and the newest also as DIR/latest.json; see `netcensus history DIR`.
    #[arg(long = "history", value_name = "DIR", help_heading = "History")]
    pub history: Option<PathBuf>,
    /// Keep only the newest N scans of --history.
    #[arg(long = "keep", value_name = "N", value_parser = clap::value_parser!(usize), help_heading = "History")]
    pub keep: Option<usize>,
    /// Keep only the scans of --history started in the last DAYS days (with --keep: both must keep a scan).
    #[arg(long = "keep-days", value_name = "DAYS", help_heading = "History")]
    pub keep_days: Option<u32>,
}

/// What counts as drift, and what fails the run.
#[derive(Debug, Clone, Args)]
pub struct DriftArgs {
    /// Exit 1 when drift of these kinds is found: any, or a list of added, removed, moved, replaced, changed, rebooted, interfaces, links, health, rtt.
    #[arg(long = "fail-on", value_name = "KINDS", help_heading = "Drift")]
    pub fail_on: Option<String>,
    /// Ignore and tolerance rules (TOML: [ignore], [compare], [tolerance]; see the README).
    #[arg(long = "rules", value_name = "FILE", help_heading = "Drift")]
    pub rules: Option<PathBuf>,
    /// Do not compare this device field (repeatable), e.g. sys_location.
    #[arg(long = "ignore-field", value_name = "FIELD", help_heading = "Drift")]
    pub ignore_field: Vec<String>,
    /// Leave out this device: id, sysName or IP (repeatable).
    #[arg(long = "ignore-device", value_name = "DEVICE", help_heading = "Drift")]
    pub ignore_device: Vec<String>,
    /// Leave out every device in this prefix (repeatable).
    #[arg(long = "ignore-prefix", value_name = "CIDR", help_heading = "Drift")]
    pub ignore_prefix: Vec<String>,
    /// Leave out interfaces whose name matches this regex (repeatable).
    #[arg(
        long = "ignore-interface",
        value_name = "REGEX",
        help_heading = "Drift"
    )]
    pub ignore_interface: Vec<String>,
    /// RTT regression: average up by more than MS (and by the factor of the rules).
    #[arg(long = "rtt-tolerance", value_name = "MS", help_heading = "Drift")]
    pub rtt_tolerance: Option<f64>,
    /// Report interfaces whose errors+discards grew by more than N (default: counters not compared).
    #[arg(long = "counter-tolerance", value_name = "N", help_heading = "Drift")]
    pub counter_tolerance: Option<u64>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The baseline (a scan file).
    pub baseline: PathBuf,
    /// The newer scan file.
    pub scan: PathBuf,
    #[command(flatten)]
    pub drift: DriftArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Save a scan file as a baseline (sorted, run costs dropped, written atomically).
    Save {
        /// A scan file written by `netcensus scan -o FILE.json`.
        scan: PathBuf,
        /// The baseline file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Expected topology: TOML (devices, links, allow_unknown) or a NetBox device CSV export.
    pub topology: PathBuf,
    /// A scan file.
    pub scan: PathBuf,
    /// Devices the topology does not list do not fail the check.
    #[arg(long = "allow-unknown")]
    pub allow_unknown: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A scan file.
    pub scan: PathBuf,
    /// Add the drift since this baseline (a scan file).
    #[arg(long = "diff", value_name = "BASELINE")]
    pub diff: Option<PathBuf>,
    /// Add a check against this topology (TOML or NetBox CSV).
    #[arg(long = "check", value_name = "TOPOLOGY")]
    pub check: Option<PathBuf>,
    #[command(flatten)]
    pub drift: DriftArgs,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Also write one row per interface to FILE (CSV).
    #[arg(long = "interfaces-csv", value_name = "FILE")]
    pub interfaces_csv: Option<PathBuf>,
}

/// Where results go, and in which format.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Write to FILE (repeatable; format from the extension: .json .csv .md .html .xml (JUnit) .txt, else --format).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// Format on stdout [default: table], and of -o files without a known extension.
    #[arg(long, value_enum)]
    pub format: Option<StdoutFormat>,
}
