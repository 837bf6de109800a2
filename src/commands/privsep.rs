//! Where the scan runs: in this process, or, for a root run, in a child
//! that has given root up (`--user`). The parent, still root, has read
//! every input and opened the raw ICMP sockets; the child sweeps and decodes what devices send, and hands back
//! only the scan file; the parent writes the outputs, the baseline and the
//! history as before. A flaw in decoding a device's reply then reaches an
//! account that owns nothing.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;

use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};
use serde::{Deserialize, Serialize};

use netcensus::{Account, Cancel, Error, Events, ScanFile, Settings, EXIT_CANNOT_RUN};

/// What the child sends back: its scan, or its error as it would have
/// printed it.
#[derive(Serialize, Deserialize)]
enum Outcome {
    Scan(Box<ScanFile>),
    Failed { message: String, code: i32 },
}

/// The most the parent reads from the child: a scan file's cap.
const OUTCOME_MAX: u64 = 1 << 30;

/// The account a run gives root up for (`--user`, default nobody); `None`
/// when it is not root, or is told to stay root.
pub fn who_scans(user: Option<&str>) -> Result<Option<netcensus::Account>, Error> {
    // a --user that names no account is a mistake whoever runs it
    let named = user.map(netcensus::account).transpose()?;
    if !netcensus::is_root() {
        if let Some(u) = user {
            tracing::info!("not running as root: --user {u} has nothing to give up");
        }
        return Ok(None);
    }
    let account = match named {
        Some(a) => a,
        None => netcensus::account("nobody")?,
    };
    if account.uid == 0 {
        tracing::warn!(
            "--user {}: the scan keeps root (what devices send is decoded as root)",
            account.name
        );
        return Ok(None);
    }
    Ok(Some(account))
}

/// The scan in this process, with its progress and Ctrl-C.
async fn scan_here(
    settings: &netcensus::Settings,
    quiet: bool,
) -> Result<netcensus::ScanFile, Error> {
    let (stop, cancel) = Cancel::new();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop.send(true);
        }
    });
    let (events, rx) = Events::channel();
    let ui = tokio::spawn(crate::ui::progress(rx, quiet));
    let result = netcensus::run_scan(settings, &events, &cancel).await;
    drop(events);
    let _ = ui.await;
    result
}

/// The scan: here, or as `account` in a child that gives root up.
pub fn scan(
    settings: &Settings,
    account: Option<&Account>,
    quiet: bool,
) -> Result<ScanFile, Error> {
    match account {
        Some(account) => scan_as(account, settings, quiet),
        None => super::runtime()?.block_on(scan_here(settings, quiet)),
    }
}

/// Scan as `account`: open the sockets, fork, give root up in the child,
/// scan there; the scan file comes back through a pipe.
fn scan_as(account: &Account, settings: &Settings, quiet: bool) -> Result<ScanFile, Error> {
    netcensus::preopen_sockets(settings)?;
    // a fork copies one thread: only sound before any other exists
    match netcensus::threads() {
        Some(1) => {}
        n => {
            return Err(Error::Privilege(format!(
                "cannot give root up: {} threads run already (scan with --user root to keep root)",
                n.map_or_else(|| "an unknown number of".to_string(), |n| n.to_string())
            )))
        }
    }
    let parent_pid = nix::unistd::getpid();
    let (from_child, to_parent) = nix::unistd::pipe()
        .map_err(|e| Error::Privilege(format!("cannot give root up: pipe: {e}")))?;
    // the crate's second unsafe block (see [lints] in Cargo.toml)
    #[allow(unsafe_code)]
    // SAFETY: the process has one thread (checked above), so the child
    // inherits no lock another thread held; it never returns from `child`.
    let forked = unsafe { fork() };
    match forked {
        Ok(ForkResult::Child) => {
            drop(from_child);
            std::process::exit(child(account, settings, quiet, to_parent, parent_pid))
        }
        Ok(ForkResult::Parent { child }) => {
            drop(to_parent);
            parent(child, from_child)
        }
        Err(e) => Err(Error::Privilege(format!("cannot give root up: fork: {e}"))),
    }
}

/// The child: give root up, scan, send the outcome; its exit code.
fn child(
    account: &Account,
    settings: &Settings,
    quiet: bool,
    to_parent: OwnedFd,
    parent: Pid,
) -> i32 {
    let outcome = match scan_unprivileged(account, settings, quiet, parent) {
        Ok(scan) => Outcome::Scan(Box::new(scan)),
        Err(e) => Outcome::Failed {
            message: e.to_string(),
            code: e.exit_code(),
        },
    };
    let mut out = std::io::BufWriter::new(std::fs::File::from(to_parent));
    let sent = serde_json::to_writer(&mut out, &outcome)
        .map_err(std::io::Error::other)
        .and_then(|()| out.flush());
    if sent.is_ok() {
        0
    } else {
        EXIT_CANNOT_RUN
    }
}

fn scan_unprivileged(
    account: &Account,
    settings: &Settings,
    quiet: bool,
    parent: Pid,
) -> Result<ScanFile, Error> {
    let me = netcensus::become_account(account)?;
    // a parent killed (SIGTERM, SIGKILL) takes its scan along; set after
    // the ids change, which clear it
    let orphaned = |e: String| Error::Privilege(format!("the scan process: {e}"));
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
        .map_err(|e| orphaned(format!("prctl(PR_SET_PDEATHSIG): {e}")))?;
    if nix::unistd::getppid() != parent {
        return Err(orphaned("the root process is gone".into()));
    }
    tracing::info!("scanning as {} ({me})", account.name);
    super::runtime()?.block_on(scan_here(settings, quiet))
}

/// The parent: wait for the child's outcome (Ctrl-C stops the child, which
/// then sends what it found), and for the child.
fn parent(child: Pid, from_child: OwnedFd) -> Result<ScanFile, Error> {
    let read = || {
        let mut bytes = Vec::new();
        std::fs::File::from(from_child)
            .take(OUTCOME_MAX)
            .read_to_end(&mut bytes)
            .map(|_| bytes)
    };
    let bytes = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(forward_interrupts(child, read)),
        Err(e) => Err(e),
    };
    let status = waitpid(child, None);
    let died = |how: String| {
        Error::Privilege(format!(
            "the scan process (pid {child}, without root) {how} before sending its results"
        ))
    };
    let outcome = bytes
        .ok()
        .and_then(|b| serde_json::from_slice::<Outcome>(&b).ok());
    match (outcome, status) {
        (Some(Outcome::Scan(scan)), _) => Ok(*scan),
        (Some(Outcome::Failed { message, code }), _) => Err(Error::Relayed { message, code }),
        (None, Ok(WaitStatus::Signaled(_, signal, _))) => {
            Err(died(format!("was killed by {signal:?}")))
        }
        (None, Ok(WaitStatus::Exited(_, code))) => Err(died(format!("exited with {code}"))),
        (None, Ok(other)) => Err(died(format!("ended ({other:?})"))),
        (None, Err(e)) => Err(died(format!("could not be waited for ({e})"))),
    }
}

/// Run `read` while passing interrupts on to the child (Ctrl-C reaches
/// both, `kill -INT` only this one): the child stops and sends what it has
/// found, and this process, which an interrupt no longer ends, waits for it.
async fn forward_interrupts(
    child: Pid,
    read: impl FnOnce() -> std::io::Result<Vec<u8>> + Send + 'static,
) -> std::io::Result<Vec<u8>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupts = signal(SignalKind::interrupt())?;
    let reading = tokio::task::spawn_blocking(read);
    tokio::pin!(reading);
    loop {
        tokio::select! {
            bytes = &mut reading => return bytes.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            Some(()) = interrupts.recv() => {
                let _ = nix::sys::signal::kill(child, Signal::SIGINT);
            }
        }
    }
}
