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

use futures::future::BoxFuture;
use snmp2::Version;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::credential::{Named, Scope};
use super::icmp::EchoSocket;
use super::snmp::{decode_sweep_datagram, encode_get, SweepAnswer, SNMP_PORT, SYSTEM_OIDS};
use super::Pacer;
use crate::error::ProbeError;
use crate::event::{Cancel, Event, Events, Phase};
use crate::secret::Secret;
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
    /// Communities for the SNMP sweep, each sent only inside its scope;
    /// empty: no SNMP in the sweep.
    pub communities: Vec<Named<Secret>>,
    /// Only addresses of target blocks up to this size get SNMP GETs.
    pub snmp_max_block: u128,
    /// Complete SNMP answers are sent here as they arrive, so that the
    /// next stage can start on them while the sweep goes on.
    pub answers: Option<mpsc::UnboundedSender<(IpAddr, SweepAnswer)>>,
    /// Marks our ICMP echoes of this run.
    pub ident: u16,
    /// The SNMP request id of each destination.
    pub ids: ReqIds,
}

/// The sweep's SNMP request ids: one per destination, a keyed hash of the
/// address (SipHash, keyed from the OS's random source once per run). An
/// answer is taken for the address whose id it carries, so a host that
/// cannot see our requests cannot guess an answer that counts, and a
/// multi-homed agent answering from another of its addresses is credited
/// to the address we asked.
#[derive(Debug, Clone, Default)]
pub struct ReqIds(std::collections::hash_map::RandomState);

impl ReqIds {
    /// A fresh key.
    pub fn new() -> ReqIds {
        ReqIds(std::collections::hash_map::RandomState::new())
    }

    /// The id of requests to `ip`: 0x0100_0000..=0x7FFF_FFFF, four bytes in
    /// BER whatever the value.
    pub fn id(&self, ip: IpAddr) -> i32 {
        use std::hash::BuildHasher;
        let h = self.0.hash_one(ip) % 0x7F00_0000;
        // below 0x7F00_0000 + 0x0100_0000 = 2^31: always an i32
        i32::try_from(h + 0x0100_0000).unwrap_or(i32::MAX)
    }
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
    /// SNMP answers taken for no address: from a port other than 161, or
    /// with an id we did not send (late beyond the window, or forged).
    pub foreign: u64,
    /// What was wrong with what a target address sent (the first fault of
    /// each): it becomes the device's error entry when nothing better
    /// answered.
    pub faults: HashMap<IpAddr, String>,
}

/// A reply to the sweep: an echo reply, or an agent's answer.
#[derive(Debug, Clone)]
pub enum Reply {
    Icmp(IpAddr),
    /// A datagram from port 161 of `from` that is not SNMP (malformed or
    /// truncated BER), with what was wrong.
    Garbled(IpAddr, String),
    /// An SNMP answer from `from`, carrying request id `req_id`.
    Snmp {
        from: SocketAddr,
        req_id: i32,
        answer: Box<SweepAnswer>,
    },
}

/// The sweep's side of the network edge: opens what the sweep sends with,
/// and delivers every reply to `replies` (receiver tasks, in the real
/// network). A test double answers from a list of live hosts and agents.
pub trait SweepNet: Send + Sync {
    fn open<'a>(
        &'a self,
        targets: &'a TargetSet,
        opts: &'a SweepOptions,
        replies: mpsc::UnboundedSender<Reply>,
    ) -> BoxFuture<'a, Result<Box<dyn SweepLink>, ProbeError>>;
}

/// Sends of one sweep. `None`: nothing to send this address's family with.
pub trait SweepLink: Send + Sync {
    /// An ICMP echo request of sequence `seq`.
    fn echo(&self, ip: IpAddr, seq: u16) -> BoxFuture<'_, Option<std::io::Result<()>>>;
    /// One SNMP request datagram to `to` (port 161).
    fn snmp<'a>(
        &'a self,
        to: SocketAddr,
        datagram: &'a [u8],
    ) -> BoxFuture<'a, Option<std::io::Result<()>>>;
}

/// The machine's network: raw (or ping) ICMP sockets and an unconnected
/// UDP socket per address family.
#[derive(Debug, Default, Clone, Copy)]
pub struct Wire;

impl SweepNet for Wire {
    fn open<'a>(
        &'a self,
        targets: &'a TargetSet,
        opts: &'a SweepOptions,
        replies: mpsc::UnboundedSender<Reply>,
    ) -> BoxFuture<'a, Result<Box<dyn SweepLink>, ProbeError>> {
        Box::pin(async move {
            Ok(Box::new(open_sockets(targets, opts, &replies).await?) as Box<dyn SweepLink>)
        })
    }
}

impl SweepLink for Sockets {
    fn echo(&self, ip: IpAddr, seq: u16) -> BoxFuture<'_, Option<std::io::Result<()>>> {
        Box::pin(async move {
            let sock = if ip.is_ipv4() {
                &self.echo4
            } else {
                &self.echo6
            };
            Some(sock.as_ref()?.send(ip, seq).await)
        })
    }

    fn snmp<'a>(
        &'a self,
        to: SocketAddr,
        datagram: &'a [u8],
    ) -> BoxFuture<'a, Option<std::io::Result<()>>> {
        Box::pin(async move {
            let sock = if to.is_ipv4() { &self.udp4 } else { &self.udp6 };
            Some(sock.as_ref()?.send_to(datagram, to).await.map(|_| ()))
        })
    }
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
            let tx = tx.clone();
            s.tasks
                .push(sock.spawn_receiver(move |ip, _, _| tx.send(Reply::Icmp(ip)).is_ok()));
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
            s.tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; 65_535];
                loop {
                    // errors (ICMP noise) are not fatal on an unconnected socket
                    let Ok((n, from)) = rx_sock.recv_from(&mut buf).await else {
                        continue;
                    };
                    let data = buf.get(..n).unwrap_or_default();
                    let reply = match decode_sweep_datagram(data, &communities, from.ip()) {
                        Ok(Some((req_id, answer))) => Reply::Snmp {
                            from,
                            req_id,
                            answer: Box::new(answer),
                        },
                        // noise on other ports is not the agent's
                        Err(e) if from.port() == SNMP_PORT => Reply::Garbled(
                            from.ip(),
                            format!("{n}-byte datagram that is not SNMP ({e})"),
                        ),
                        _ => continue,
                    };
                    if tx.send(reply).is_err() {
                        break;
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
    ids: &'a ReqIds,
    /// Whom each recent SNMP request id was sent to.
    asked: Asked,
}

/// The destinations of the SNMP requests of the last few timeouts, by
/// request id: which address an answer from elsewhere belongs to. Bounded
/// by rate × window, not by the target set.
#[derive(Default)]
struct Asked {
    by_id: HashMap<i32, Option<IpAddr>>,
    order: std::collections::VecDeque<(Instant, i32)>,
    window: Duration,
}

impl Asked {
    fn sent(&mut self, id: i32, ip: IpAddr, now: Instant) {
        while let Some(&(t, old)) = self.order.front() {
            if t + self.window > now {
                break;
            }
            self.order.pop_front();
            self.by_id.remove(&old);
        }
        // two addresses of one id at once: neither is taken on its id alone
        let entry = self.by_id.entry(id).or_insert(Some(ip));
        if *entry != Some(ip) {
            *entry = None;
        }
        self.order.push_back((now, id));
    }

    fn whom(&self, id: i32) -> Option<IpAddr> {
        self.by_id.get(&id).copied().flatten()
    }
}

impl<'a> State<'a> {
    fn new(
        targets: &'a TargetSet,
        opts: &'a SweepOptions,
        rx: mpsc::UnboundedReceiver<Reply>,
        events: &'a Events,
    ) -> State<'a> {
        State {
            targets,
            answers: opts.answers.as_ref(),
            out: SweepResult::default(),
            rx,
            events,
            ids: &opts.ids,
            asked: Asked {
                // answers later than this are not waited for anyway
                window: opts.timeout.saturating_mul(4),
                ..Asked::default()
            },
        }
    }

    fn take(&mut self, r: Reply) {
        match r {
            Reply::Icmp(ip) => {
                if self.targets.contains(ip) && self.out.icmp_alive.insert(ip) {
                    self.events.emit(Event::Found { ip, by: "icmp" });
                }
            }
            Reply::Garbled(ip, what) => self.fault(ip, format!("answered SNMP with a {what}")),
            Reply::Snmp {
                from,
                req_id,
                mut answer,
            } => {
                if from.port() != SNMP_PORT {
                    self.out.foreign += 1;
                    return;
                }
                // the address asked: the one whose id the answer carries
                let ip = if self.ids.id(from.ip()) == req_id {
                    from.ip()
                } else if let Some(asked) = self.asked.whom(req_id) {
                    answer.system.answered_from = Some(from.ip());
                    asked
                } else {
                    self.out.foreign += 1;
                    self.fault(
                        from.ip(),
                        format!("answered SNMP with request id {req_id}, which it was not sent"),
                    );
                    return;
                };
                if !self.targets.contains(ip) {
                    return;
                }
                if answer.unasked > 0 {
                    let n = answer.unasked;
                    self.fault(ip, format!("answered {n} object(s) it was not asked for"));
                }
                let first = match self.out.snmp.get(&ip) {
                    Some(have) if have.rank <= answer.rank => return,
                    Some(_) => false,
                    None => true,
                };
                if answer.complete && !self.out.dispatched.contains(&ip) {
                    if let Some(tx) = self.answers {
                        if tx.send((ip, (*answer).clone())).is_ok() {
                            self.out.dispatched.insert(ip);
                        }
                    }
                }
                self.out.snmp.insert(ip, *answer);
                if first {
                    self.events.emit(Event::Found { ip, by: "snmp" });
                }
            }
        }
    }

    /// Note what was wrong with what `ip` sent, if it is a target.
    fn fault(&mut self, ip: IpAddr, what: String) {
        if self.targets.contains(ip) {
            self.out.faults.entry(ip).or_insert(what);
        }
    }

    /// Before re-sending to the address of position `ord`, its previous
    /// request must be older than the timeout: collect replies until then.
    /// `marks` are (position, time sent) of the previous pass, `at` the
    /// cursor into them.
    async fn wait_for_previous(
        &mut self,
        marks: &[(u64, Instant)],
        at: &mut usize,
        ord: u64,
        timeout: Duration,
        cancel: &Cancel,
    ) {
        while marks.get(*at).is_some_and(|m| m.0 < ord) {
            *at += 1;
        }
        if let Some(&(_, sent)) = marks.get(*at) {
            if sent + timeout > Instant::now() {
                self.collect_until(sent + timeout, cancel).await;
            }
        }
    }

    /// Whether `ip` still needs its echo and its SNMP GETs.
    fn needs(&self, ip: IpAddr, icmp: bool, snmp: bool) -> (bool, bool) {
        (
            icmp && !self.out.icmp_alive.contains(&ip),
            snmp && !self.out.snmp.contains_key(&ip),
        )
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
fn tally(out: &mut SweepResult, r: Option<std::io::Result<()>>) {
    match r {
        Some(Ok(())) => out.packets_sent += 1,
        Some(Err(_)) => out.send_errors += 1,
        None => {}
    }
}

/// How often (in addresses) a pass records when it sent, for the next
/// pass's "older than the timeout" check.
const MARK_EVERY: u64 = 1024;

/// Run the sweep over `targets`, on the machine's network.
pub async fn sweep(
    targets: &TargetSet,
    opts: &SweepOptions,
    events: &Events,
    cancel: &Cancel,
) -> Result<SweepResult, ProbeError> {
    sweep_over(&Wire, targets, opts, events, cancel).await
}

/// Run the sweep over `targets` through `net`.
pub async fn sweep_over(
    net: &dyn SweepNet,
    targets: &TargetSet,
    opts: &SweepOptions,
    events: &Events,
    cancel: &Cancel,
) -> Result<SweepResult, ProbeError> {
    let (tx, rx) = mpsc::unbounded_channel();
    let link = net.open(targets, opts, tx).await?;
    let mut st = State::new(targets, opts, rx, events);
    let snmp = !opts.communities.is_empty();
    let gets = Gets::new(opts);
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
        st.drain();
        let pending = total.saturating_sub(answered(&st.out, opts.icmp, snmp) as u64);
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
            let snmp = snmp && block <= opts.snmp_max_block && gets.any_for(ip);
            if st.needs(ip, opts.icmp, snmp) == (false, false) {
                continue;
            }
            if pass > 0 {
                st.wait_for_previous(&prev_marks, &mut mark_i, ord, opts.timeout, cancel)
                    .await;
            }
            let (need_icmp, need_snmp) = st.needs(ip, opts.icmp, snmp);
            if !need_icmp && !need_snmp {
                continue;
            }
            pacer.tick().await;
            advanced += 1;
            let requests = if need_snmp {
                let id = opts.ids.id(ip);
                st.asked.sent(id, ip, Instant::now());
                gets.for_ip(ip, pass == opts.retries, id)
            } else {
                Vec::new()
            };
            let echo = need_icmp.then_some(pass as u16);
            send_probes(&*link, &mut st.out, ip, echo, &requests).await;
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
    drop(link);
    Ok(st.out)
}

/// The sweep's GETs of the system group, one per community: v2c in every
/// pass, v1 (for agents that know nothing newer) only in the last pass,
/// which every silent address reaches anyway; each only where its
/// community's scope covers the address.
struct Gets<'a> {
    communities: &'a [Named<Secret>],
    scopes: Vec<&'a Scope>,
    scoped: bool,
}

impl<'a> Gets<'a> {
    fn new(opts: &'a SweepOptions) -> Gets<'a> {
        let scopes: Vec<&Scope> = opts.communities.iter().map(|c| &c.scope).collect();
        Gets {
            communities: &opts.communities,
            scoped: scopes.iter().any(|s| !s.0.is_empty()),
            scopes,
        }
    }

    /// Whether any community may be sent to `ip`.
    fn any_for(&self, ip: IpAddr) -> bool {
        !self.scoped || self.scopes.iter().any(|s| s.covers(ip))
    }

    /// The GETs for `ip` in this pass (`last`: with the v1 ones), with
    /// request id `id`.
    fn for_ip(&self, ip: IpAddr, last: bool, id: i32) -> Vec<Vec<u8>> {
        let versions: &[Version] = if last {
            &[Version::V2C, Version::V1]
        } else {
            &[Version::V2C]
        };
        versions
            .iter()
            .flat_map(|v| self.communities.iter().map(move |c| (v, c)))
            .filter(|(_, c)| !self.scoped || c.scope.covers(ip))
            .map(|(v, c)| encode_get(*v, c.value.expose().as_bytes(), id, &SYSTEM_OIDS))
            .collect()
    }
}

/// One address's probes: its echo (of sequence `echo`) and its SNMP GETs.
async fn send_probes(
    link: &dyn SweepLink,
    out: &mut SweepResult,
    ip: IpAddr,
    echo: Option<u16>,
    requests: &[Vec<u8>],
) {
    if let Some(seq) = echo {
        tally(out, link.echo(ip, seq).await);
    }
    let to = SocketAddr::new(ip, SNMP_PORT);
    for req in requests {
        tally(out, link.snmp(to, req).await);
    }
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
