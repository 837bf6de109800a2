//! Typed errors of the library, each knowing the exit code the CLI maps it to
//! (see the exit-code table in the README).

use std::path::PathBuf;

/// Exit code: usage or input error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: the scan itself could not run (no ICMP permission, no socket).
pub const EXIT_CANNOT_RUN: i32 = 3;
/// Exit code: another run holds the lock (EX_TEMPFAIL: try again later).
pub const EXIT_LOCKED: i32 = 75;
/// Exit code: the check failed (drift of a `--fail-on` kind, a topology
/// expectation).
pub const EXIT_FAILED: i32 = 1;
/// Exit code: interrupted; partial results were written.
pub const EXIT_INTERRUPTED: i32 = 130;

/// Where a target token came from, so an error can name it precisely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line argument.
    Arg,
    /// `FILE:LINE` of a targets file (`-` is standard input).
    File { path: String, line: usize },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Arg => Ok(()),
            Origin::File { path, line } => write!(f, " ({path}:{line})"),
        }
    }
}

/// Bad targets or exclusions.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("invalid target '{token}'{origin}: {reason}")]
    Invalid {
        token: String,
        origin: Origin,
        reason: String,
    },
    #[error(
        "target '{token}'{origin} spans {size} addresses, more than a {limit} allows; \
         sweeping that much is rarely intended (pass --force to do it anyway)"
    )]
    TooLarge {
        token: String,
        origin: Origin,
        size: u128,
        limit: &'static str,
    },
    #[error("targets file {path}:{line}: {reason}")]
    File {
        path: String,
        line: usize,
        reason: String,
    },
    #[error("cannot read targets file '{}': {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no targets given: name an address, CIDR or range, or use --targets-file")]
    Empty,
    #[error("nothing left to scan: every target address is excluded")]
    AllExcluded,
}

/// Errors of the probing layer.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(
        "cannot open an ICMP{family} socket ({source}); run as root, grant the binary \
         CAP_NET_RAW (`setcap cap_net_raw+ep netcensus`), or allow unprivileged ping \
         sockets (`sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`)"
    )]
    IcmpPermission {
        family: &'static str,
        source: std::io::Error,
    },
    #[error("cannot open a UDP socket for SNMP: {0}")]
    UdpSocket(std::io::Error),
}

/// Any error the library returns to the CLI.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Probe(#[from] ProbeError),
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    #[error("cannot read scan file '{}': {reason}", path.display())]
    ScanFile { path: PathBuf, reason: String },
    #[error("{0}")]
    Usage(String),
    /// A mistake in an input file (rules, topology), at its line (0: the
    /// file as a whole).
    #[error("{file}{}: {message}", if *line > 0 { format!(":{line}") } else { String::new() })]
    Input {
        file: String,
        line: usize,
        message: String,
    },
    #[error(
        "another netcensus run holds the lock '{}' (its pid is in the file); not starting a second one",
        path.display()
    )]
    Locked { path: PathBuf },
    #[error("cannot write '{}': {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// Giving root up failed, or the process that did could not scan.
    #[error("{0}")]
    Privilege(String),
    /// An error of the scan process that gave root up, as it reported it.
    #[error("{message}")]
    Relayed { message: String, code: i32 },
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Target(_)
            | Error::Usage(_)
            | Error::Write { .. }
            | Error::Profile(_)
            | Error::ScanFile { .. }
            | Error::Input { .. } => EXIT_USAGE,
            Error::Probe(_) | Error::Privilege(_) | Error::Runtime(_) => EXIT_CANNOT_RUN,
            Error::Relayed { code, .. } => *code,
            Error::Locked { .. } => EXIT_LOCKED,
        }
    }
}
