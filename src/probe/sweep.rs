//! The sweep: every target address gets an ICMP echo request and, where the
//! SNMP sweep applies, a v2c GET of the system group per community (and in
//! the last pass a v1 GET too: the sweep's time is set by addresses, not
//! packets, and no host needs a slow v1 follow-up afterwards).
//!
//! Sending and receiving are decoupled (zmap style): one loop paces the
//! requests, receiver tasks collect replies, and no per-address state is
//! kept but the set of addresses that answered. A /16 of mostly dead
//! addresses costs about addresses / rate + timeout, not addresses × timeout.
//! Retries are further passes over the addresses still silent; each address
//! is re-sent only once its previous request is older than the timeout.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use snmp2::Version;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::icmp::EchoSocket;
use super::snmp::{decode_sweep_reply, encode_get, SweepAnswer, SNMP_PORT, SYSTEM_OIDS};
use super::Pacer;
use crate::error::ProbeError;
use crate::event::{Cancel, Event, Events, Phase};
use crate::targets::TargetSet;

/// What to send to every address.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Addresses per second (each gets its echo and its GETs).
    pub rate: u32,
    pub timeout: Duration,
    /// Extra passes over addresses that did not answer.
    pub retries: u32,
    pub icmp: bool,
    /// Communities for the SNMP sweep; empty: no SNMP in the sweep.
    pub communities: Vec<String>,
    /// Only addresses of target blocks up to this size get SNMP GETs.
    pub snmp_max_block: u128,
    /// Complete SNMP answers are sent here as they arrive, so that the
    /// next stage can start on them while the sweep goes on.
    pub answers: Option<mpsc::UnboundedSender<(IpAddr, SweepAnswer)>>,
    /// Marks our ICMP echoes and SNMP requests of this run.
    pub ident: u16,
    pub req_id: i32,
}

/// What the sweep found.
#[derive(Debug, Default)]
pub struct SweepResult {
    pub icmp_alive: HashSet<IpAddr>,
    /// Answering agents, with the best answer each gave.
    pub snmp: HashMap<IpAddr, SweepAnswer>,
    pub packets_sent: u64,
    /// Sends the kernel refused (no route, no buffer): counted, not fatal.
    pub send_errors: u64,
    /// Addresses whose complete answer went to `SweepOptions::answers`.
    pub dispatched: HashSet<IpAddr>,
}

enum Reply {
    Icmp(IpAddr),
    Snmp(IpAddr, SweepAnswer),
}

/// The sockets of a sweep and their receiver tasks.
struct Sockets {
    echo4: Option<EchoSocket>,
    echo6: Option<EchoSocket>,
    udp4: Option<Arc<UdpSocket>>,
    udp6: Option<Arc<UdpSocket>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Sockets {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn open_sockets(
    targets: &TargetSet,
    opts: &SweepOptions,
    tx: &mpsc::UnboundedSender<Reply>,
) -> Result<Sockets, ProbeError> {
    let mut s = Sockets {
        echo4: None,
        echo6: None,
        udp4: None,
        udp6: None,
        tasks: Vec::new(),
    };
    for v6 in [false, true] {
        let wanted = if v6 {
            targets.has_v6()
        } else {
            targets.has_v4()
        };
        if !wanted {
            continue;
        }
        if opts.icmp {
            let sock = EchoSocket::open(v6, opts.ident)?;
            let (rx_sock, tx) = (sock.clone(), tx.clone());
            s.tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; 2048];
                while let Ok(ip) = rx_sock.recv(&mut buf).await {
                    if tx.send(Reply::Icmp(ip)).is_err() {
                        break;
                    }
                }
            }));
            if v6 {
                s.echo6 = Some(sock);
            } else {
                s.echo4 = Some(sock);
            }
        }
        if !opts.communities.is_empty() {
            let bind: SocketAddr = if v6 {
                (Ipv6Addr::UNSPECIFIED, 0).into()
            } else {
                (Ipv4Addr::UNSPECIFIED, 0).into()
            };
            let sock = Arc::new(UdpSocket::bind(bind).await.map_err(ProbeError::UdpSocket)?);
            let (rx_sock, tx) = (sock.clone(), tx.clone());
            let communities = opts.communities.clone();
            let req_id = opts.req_id;
            s.tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; 65_535];
                loop {
                    // errors (ICMP noise) are not fatal on an unconnected socket
                    let Ok((n, from)) = rx_sock.recv_from(&mut buf).await else {
                        continue;
                    };
                    if let Some(answer) = decode_sweep_reply(&buf[..n], req_id, &communities) {
                        if tx.send(Reply::Snmp(from.ip(), answer)).is_err() {
                            break;
                        }
                    }
                }
            }));
            if v6 {
                s.udp6 = Some(sock);
            } else {
                s.udp4 = Some(sock);
            }
        }
    }
    Ok(s)
}

/// Mutable state of a running sweep.
struct State<'a> {
    targets: &'a TargetSet,
    answers: Option<&'a mpsc::UnboundedSender<(IpAddr, SweepAnswer)>>,
    out: SweepResult,
    rx: mpsc::UnboundedReceiver<Reply>,
    events: &'a Events,
}

impl State<'_> {
    fn take(&mut self, r: Reply) {
        match r {
            Reply::Icmp(ip) => {
                if self.targets.contains(ip) && self.out.icmp_alive.insert(ip) {
                    self.events.emit(Event::Found { ip, by: "icmp" });
                }
            }
            Reply::Snmp(ip, answer) => {
                if !self.targets.contains(ip) {
                    return;
                }
                let first = match self.out.snmp.get(&ip) {
                    Some(have) if have.rank <= answer.rank => return,
                    Some(_) => false,
                    None => true,
                };
                if answer.complete && !self.out.dispatched.contains(&ip) {
                    if let Some(tx) = self.answers {
                        if tx.send((ip, answer.clone())).is_ok() {
                            self.out.dispatched.insert(ip);
                        }
                    }
                }
                self.out.snmp.insert(ip, answer);
                if first {
                    self.events.emit(Event::Found { ip, by: "snmp" });
                }
            }
        }
    }

    fn drain(&mut self) {
        while let Ok(r) = self.rx.try_recv() {
            self.take(r);
        }
    }

    /// Keep collecting replies until `deadline` (or cancellation).
    async fn collect_until(&mut self, deadline: Instant, cancel: &Cancel) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break,
                _ = cancel.cancelled() => break,
                r = self.rx.recv() => match r {
                    Some(r) => self.take(r),
                    None => break,
                },
            }
        }
        self.drain();
    }
}

/// Count a send; a refused one (no route, full buffer) is an error count,
/// never a reason to stop the sweep.
fn tally(out: &mut SweepResult, r: std::io::Result<impl Sized>) {
    match r {
        Ok(_) => out.packets_sent += 1,
        Err(_) => out.send_errors += 1,
    }
}

/// How often (in addresses) a pass records when it sent, for the next
/// pass's "older than the timeout" check.
const MARK_EVERY: u64 = 1024;

/// Run the sweep over `targets`.
pub async fn sweep(
    targets: &TargetSet,
    opts: &SweepOptions,
    events: &Events,
    cancel: &Cancel,
) -> Result<SweepResult, ProbeError> {
    let (tx, rx) = mpsc::unbounded_channel();
    let socks = open_sockets(targets, opts, &tx).await?;
    drop(tx);
    let mut st = State {
        targets,
        answers: opts.answers.as_ref(),
        out: SweepResult::default(),
        rx,
        events,
    };
    let snmp = !opts.communities.is_empty();
    // v2c in every pass; v1 (for agents that know nothing newer) only in
    // the last pass, which every silent address reaches anyway
    let encode = |v: Version| -> Vec<Vec<u8>> {
        opts.communities
            .iter()
            .map(|c| encode_get(v, c.as_bytes(), opts.req_id, &SYSTEM_OIDS))
            .collect()
    };
    let (v2c_requests, v1_requests) = (encode(Version::V2C), encode(Version::V1));
    let mut pacer = Pacer::new(opts.rate);
    let total = u64::try_from(targets.len()).unwrap_or(u64::MAX);
    let mut prev_marks: Vec<(u64, Instant)> = Vec::new();
    let mut last_send = Instant::now();
    'passes: for pass in 0..=opts.retries {
        let phase = if pass == 0 {
            Phase::Sweep
        } else {
            Phase::Retry
        };
        let pending = if pass == 0 {
            total
        } else {
            st.drain();
            total.saturating_sub(answered(&st.out, opts.icmp, snmp) as u64)
        };
        if pending == 0 {
            break;
        }
        events.emit(Event::Started {
            phase,
            total: pending,
        });
        let mut marks = Vec::new();
        let mut mark_i = 0;
        let mut advanced = 0u64;
        for (ord, (ip, block)) in (0u64..).zip(targets.iter_sized()) {
            if ord % 256 == 0 {
                st.drain();
                if cancel.is_cancelled() {
                    break 'passes;
                }
                if advanced > 0 {
                    events.emit(Event::Advanced {
                        phase,
                        by: advanced,
                    });
                    advanced = 0;
                }
            }
            if ord % MARK_EVERY == MARK_EVERY - 1 {
                marks.push((ord, Instant::now()));
            }
            let snmp = snmp && block <= opts.snmp_max_block;
            let mut need_icmp = opts.icmp && !st.out.icmp_alive.contains(&ip);
            let mut need_snmp = snmp && !st.out.snmp.contains_key(&ip);
            if !need_icmp && !need_snmp {
                continue;
            }
            if pass > 0 {
                // the previous request must be older than the timeout
                while prev_marks.get(mark_i).is_some_and(|m| m.0 < ord) {
                    mark_i += 1;
                }
                if let Some(&(_, at)) = prev_marks.get(mark_i) {
                    if at + opts.timeout > Instant::now() {
                        st.collect_until(at + opts.timeout, cancel).await;
                        need_icmp = opts.icmp && !st.out.icmp_alive.contains(&ip);
                        need_snmp = snmp && !st.out.snmp.contains_key(&ip);
                        if !need_icmp && !need_snmp {
                            continue;
                        }
                    }
                }
            }
            pacer.tick().await;
            advanced += 1;
            let seq = pass as u16;
            if need_icmp {
                let sock = if ip.is_ipv4() {
                    &socks.echo4
                } else {
                    &socks.echo6
                };
                if let Some(sock) = sock {
                    let r = sock.send(ip, seq).await;
                    tally(&mut st.out, r);
                }
            }
            if need_snmp {
                let sock = if ip.is_ipv4() {
                    &socks.udp4
                } else {
                    &socks.udp6
                };
                if let Some(sock) = sock {
                    let to = SocketAddr::new(ip, SNMP_PORT);
                    let v1 = if pass == opts.retries {
                        &v1_requests[..]
                    } else {
                        &[]
                    };
                    for req in v2c_requests.iter().chain(v1) {
                        let r = sock.send_to(req, to).await;
                        tally(&mut st.out, r);
                    }
                }
            }
            last_send = Instant::now();
        }
        events.emit(Event::Advanced {
            phase,
            by: advanced,
        });
        marks.push((u64::MAX, Instant::now()));
        prev_marks = marks;
        events.emit(Event::Finished { phase });
    }
    st.collect_until(last_send + opts.timeout, cancel).await;
    drop(socks);
    Ok(st.out)
}

/// Addresses that need nothing more.
fn answered(out: &SweepResult, icmp: bool, snmp: bool) -> usize {
    match (icmp, snmp) {
        (true, true) => out
            .icmp_alive
            .iter()
            .filter(|ip| out.snmp.contains_key(ip))
            .count(),
        (true, false) => out.icmp_alive.len(),
        (false, true) => out.snmp.len(),
        (false, false) => 0,
    }
}
