//! A test double of the network edge: agents that answer from `.snmprec`
//! recordings (the lab's format, `OID|TYPE|VALUE` a line), with faults to
//! inject, so the SNMP logic above the [`Exchange`] seam runs in-process
//! on tokio's paused clock: a timeout costs no wall time.

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use snmp2::Version;
use tokio::sync::mpsc;

use super::ber::RequestKind;
use super::credential::Credential;
use super::echo::{EchoLink, EchoNet, EchoReply, SEQ_BASE};
use super::exchange::{AgentError, Exchange, Network, Reply, Request};
use super::snmp::{credentials, SweepAnswer};
use super::sweep::{Reply as SweepReply, SweepLink, SweepNet, SweepOptions};
use super::value::{Val, VarBind};
use crate::model::Snmp;
use crate::oid::parse_oid;
use crate::targets::TargetSet;

/// What a misbehaving agent does.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer tooBig to a request whose answer would hold more varbinds.
    pub too_big_above: Option<usize>,
    /// The object after this one is this one again (a looping agent).
    pub loop_at: Option<Vec<u64>>,
    /// Answer the first `stall_after` requests, then nothing.
    pub stall_after: Option<u64>,
    /// Requests dropped before the first answer (the retry answers).
    pub drop_first: u64,
    /// Each answer is preceded by a stale one (an earlier request id).
    pub stale_before_each: bool,
    /// Each answer comes twice.
    pub duplicate: bool,
    /// Answers garbage to these request numbers (1-based).
    pub garbage_on: Vec<u64>,
    /// Answers genErr to every request.
    pub gen_err: bool,
    /// No agent at all: port unreachable.
    pub unreachable: bool,
    /// Speaks only these versions (empty: all); others get no answer.
    pub versions: Vec<Version>,
    /// Only this community is answered (None: any).
    pub community: Option<String>,
    /// SNMPv3 users are refused, for this reason (an agent's Report).
    pub refuse_usm: Option<String>,
}

/// One recorded agent and what it has seen.
#[derive(Debug, Default)]
pub struct FakeAgent {
    pub objects: BTreeMap<Vec<u64>, Val>,
    pub faults: Faults,
    /// Requests received (all of them, answered or not).
    pub requests: u64,
    /// Varbinds asked for, in order (the OIDs of every request).
    pub asked: Vec<Vec<u64>>,
    /// Exchanges opened (sockets, in the real network).
    pub opened: u64,
}

/// A recording parse error: line and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingError {
    pub line: usize,
    pub reason: String,
}

/// Parse `.snmprec` text. Variation-module lines (`TYPE:module|...`) are
/// skipped; the rest must parse.
pub fn parse_snmprec(text: &str) -> Result<BTreeMap<Vec<u64>, Val>, RecordingError> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let err = |reason: &str| RecordingError {
            line: n + 1,
            reason: reason.to_string(),
        };
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '|');
        let (Some(oid), Some(tag), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err("not OID|TYPE|VALUE"));
        };
        if tag.contains(':') {
            continue;
        }
        let oid = parse_oid(oid).ok_or_else(|| err("bad OID"))?;
        let num = || value.trim().parse::<u64>().map_err(|_| err("bad number"));
        let val = match tag {
            "2" => Val::Int(value.trim().parse().map_err(|_| err("bad integer"))?),
            "4" => Val::Bytes(value.as_bytes().to_vec()),
            "4x" => Val::Bytes(hex(value).ok_or_else(|| err("bad hex"))?),
            "5" => Val::Null,
            "6" => Val::Oid(parse_oid(value).ok_or_else(|| err("bad OID value"))?),
            "64" => {
                let ip: std::net::Ipv4Addr =
                    value.trim().parse().map_err(|_| err("bad address"))?;
                Val::Ip(ip.octets())
            }
            "64x" => {
                let b = hex(value).ok_or_else(|| err("bad hex"))?;
                Val::Ip(b.try_into().map_err(|_| err("address is not 4 bytes"))?)
            }
            "65" => Val::Counter(num()?),
            "66" => Val::Gauge(u32::try_from(num()?).map_err(|_| err("gauge too big"))?),
            "67" => Val::Ticks(u32::try_from(num()?).map_err(|_| err("ticks too big"))?),
            "70" => Val::Counter(num()?),
            _ => return Err(err("unknown type")),
        };
        out.insert(oid, val);
    }
    Ok(out)
}

fn hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Agents by address.
#[derive(Debug, Default, Clone)]
pub struct FakeNetwork {
    agents: Arc<Mutex<BTreeMap<IpAddr, Arc<Mutex<FakeAgent>>>>>,
}

impl FakeNetwork {
    /// Put an agent answering from `recording` at `ip`.
    pub fn add(&self, ip: IpAddr, recording: &str, faults: Faults) -> Arc<Mutex<FakeAgent>> {
        let objects = parse_snmprec(recording).unwrap_or_else(|e| panic!("recording: {e:?}"));
        let agent = Arc::new(Mutex::new(FakeAgent {
            objects,
            faults,
            ..FakeAgent::default()
        }));
        lock(&self.agents).insert(ip, agent.clone());
        agent
    }

    fn agent(&self, ip: IpAddr) -> Option<Arc<Mutex<FakeAgent>>> {
        lock(&self.agents).get(&ip).cloned()
    }
}

impl Network for FakeNetwork {
    fn open<'a>(
        &'a self,
        ip: IpAddr,
        cred: &'a Credential,
        _req_id: i32,
        _timeout: Duration,
    ) -> BoxFuture<'a, Result<Box<dyn Exchange>, AgentError>> {
        Box::pin(async move {
            let agent = self.agent(ip);
            if let Some(a) = &agent {
                lock(a).opened += 1;
            }
            Ok(Box::new(FakeExchange {
                agent,
                cred: cred.clone(),
                queue: VecDeque::new(),
                sent: 0,
                received: 0,
                last_id: None,
            }) as Box<dyn Exchange>)
        })
    }
}

/// A lock that a panicked test thread cannot poison for the others.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct FakeExchange {
    agent: Option<Arc<Mutex<FakeAgent>>>,
    cred: Credential,
    queue: VecDeque<Result<Reply, AgentError>>,
    sent: u64,
    received: u64,
    last_id: Option<i32>,
}

/// noSuchName, tooBig and genErr (RFC 3416 error-status).
const TOO_BIG: u32 = 1;
const NO_SUCH_NAME: u32 = 2;
const GEN_ERR: u32 = 5;

impl FakeAgent {
    fn next_after(&self, oid: &[u64]) -> Option<(Vec<u64>, Val)> {
        if self.faults.loop_at.as_deref() == Some(oid) {
            return self.objects.get(oid).map(|v| (oid.to_vec(), v.clone()));
        }
        self.objects
            .range::<[u64], _>((std::ops::Bound::Excluded(oid), std::ops::Bound::Unbounded))
            .next()
            .map(|(o, v)| (o.clone(), v.clone()))
    }

    /// The answer to one request, as the agent would give it.
    fn answer(&self, v1: bool, req: &Request) -> Reply {
        let mut reply = Reply {
            req_id: req.req_id,
            error_status: 0,
            error_index: 0,
            varbinds: Vec::new(),
        };
        let fail = |reply: &mut Reply, status: u32, index: usize| {
            reply.error_status = status;
            reply.error_index = u32::try_from(index).unwrap_or(u32::MAX);
            reply.varbinds.clear();
        };
        match req.kind {
            RequestKind::Get => {
                for (i, o) in req.oids.iter().enumerate() {
                    match self.objects.get(o) {
                        Some(v) => reply.varbinds.push((o.clone(), v.clone())),
                        None if v1 => {
                            fail(&mut reply, NO_SUCH_NAME, i + 1);
                            return reply;
                        }
                        None => reply.varbinds.push((o.clone(), Val::NoSuchObject)),
                    }
                }
            }
            RequestKind::GetNext => {
                for (i, o) in req.oids.iter().enumerate() {
                    match self.next_after(o) {
                        Some(vb) => reply.varbinds.push(vb),
                        None if v1 => {
                            fail(&mut reply, NO_SUCH_NAME, i + 1);
                            return reply;
                        }
                        None => reply.varbinds.push((o.clone(), Val::EndOfMibView)),
                    }
                }
            }
            RequestKind::GetBulk {
                non_repeaters,
                max_repetitions,
            } => {
                let n = usize::try_from(non_repeaters).unwrap_or(usize::MAX);
                let (first, repeat) = req.oids.split_at(n.min(req.oids.len()));
                for o in first {
                    let vb = self
                        .next_after(o)
                        .unwrap_or_else(|| (o.clone(), Val::EndOfMibView));
                    reply.varbinds.push(vb);
                }
                let mut cursors: Vec<Vec<u64>> = repeat.to_vec();
                for _ in 0..max_repetitions {
                    for c in &mut cursors {
                        let vb = self
                            .next_after(c)
                            .unwrap_or_else(|| (c.clone(), Val::EndOfMibView));
                        c.clone_from(&vb.0);
                        reply.varbinds.push(vb);
                    }
                }
            }
        }
        if let Some(max) = self.faults.too_big_above {
            if reply.varbinds.len() > max {
                fail(&mut reply, TOO_BIG, 0);
            }
        }
        if self.faults.gen_err {
            fail(&mut reply, GEN_ERR, 1);
        }
        reply
    }
}

impl Exchange for FakeExchange {
    fn send<'a>(&'a mut self, req: Request<'a>) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async move {
            self.sent += 1;
            let Some(agent) = &self.agent else {
                return Ok(()); // nobody there: silence
            };
            let mut a = lock(agent);
            if a.faults.unreachable {
                return Err(AgentError::NoAgent);
            }
            a.requests += 1;
            a.asked.extend(req.oids.iter().cloned());
            let n = a.requests;
            let version = self.cred.version();
            let (community_ok, v1) = match &self.cred {
                Credential::Community(_, c) => (
                    a.faults.community.as_ref().is_none_or(|want| want == c),
                    version == Version::V1,
                ),
                Credential::Usm(_) => (true, false),
            };
            let speaks = a.faults.versions.is_empty() || a.faults.versions.contains(&version);
            let stalled = a.faults.stall_after.is_some_and(|k| n > k);
            if !community_ok || !speaks || stalled || n <= a.faults.drop_first {
                return Ok(());
            }
            if let (Credential::Usm(_), Some(why)) = (&self.cred, &a.faults.refuse_usm) {
                self.queue.push_back(Err(AgentError::Refused(why.clone())));
                return Ok(());
            }
            if a.faults.garbage_on.contains(&n) {
                self.queue
                    .push_back(Err(AgentError::Garbage("malformed datagram".into())));
                return Ok(());
            }
            let reply = a.answer(v1, &req);
            if a.faults.stale_before_each {
                let stale = self.last_id.unwrap_or(req.req_id.wrapping_sub(7));
                self.queue.push_back(Ok(Reply {
                    req_id: stale.wrapping_sub(1),
                    ..reply.clone()
                }));
            }
            if a.faults.duplicate {
                self.queue.push_back(Ok(reply.clone()));
            }
            self.last_id = Some(req.req_id);
            self.queue.push_back(Ok(reply));
            Ok(())
        })
    }

    fn recv(&mut self) -> BoxFuture<'_, Result<Reply, AgentError>> {
        Box::pin(async move {
            match self.queue.pop_front() {
                Some(r) => {
                    self.received += 1;
                    r
                }
                None => std::future::pending().await,
            }
        })
    }

    fn bytes(&self) -> Option<(u64, u64)> {
        // one "byte" a datagram: enough to check that they are counted
        Some((self.sent, self.received))
    }

    fn spoiled_by_failure(&self) -> bool {
        matches!(self.cred, Credential::Usm(_))
    }
}

/// A varbind list's OIDs, dotted, for assertions.
pub fn oids_of(vbs: &[VarBind]) -> Vec<String> {
    vbs.iter().map(|(o, _)| crate::oid::oid_string(o)).collect()
}

// ------------------------------------------------------------ the sweep

/// Hosts and agents the sweep's test double answers for.
#[derive(Debug, Default, Clone)]
pub struct FakeSweep {
    /// Addresses that answer echoes.
    pub live: std::collections::BTreeSet<IpAddr>,
    /// Agents: address → (community, versions spoken, sysName).
    pub agents: BTreeMap<IpAddr, (String, Vec<Version>, String)>,
    /// Echoes each address drops before answering one.
    pub drop_echoes: u64,
    /// Answers come from this address instead (a multi-homed agent).
    pub answer_from: BTreeMap<IpAddr, IpAddr>,
    /// SNMP answers come from this source port instead of 161.
    pub answer_port: Option<u16>,
    /// These agents answer with a request id we never sent.
    pub wrong_id: std::collections::BTreeSet<IpAddr>,
    /// These agents answer with bytes that are not SNMP.
    pub garbled: std::collections::BTreeSet<IpAddr>,
    /// Every send, in order: (address, is SNMP).
    pub sent: Arc<Mutex<Vec<(IpAddr, bool)>>>,
}

struct FakeSweepLink {
    net: FakeSweep,
    communities: Vec<super::credential::Named<crate::secret::Secret>>,
    replies: mpsc::UnboundedSender<SweepReply>,
    echoes_seen: Mutex<BTreeMap<IpAddr, u64>>,
}

impl SweepNet for FakeSweep {
    fn open<'a>(
        &'a self,
        _targets: &'a TargetSet,
        opts: &'a SweepOptions,
        replies: mpsc::UnboundedSender<SweepReply>,
    ) -> BoxFuture<'a, Result<Box<dyn SweepLink>, crate::error::ProbeError>> {
        Box::pin(async move {
            Ok(Box::new(FakeSweepLink {
                net: self.clone(),
                communities: opts.communities.clone(),
                replies,
                echoes_seen: Mutex::new(BTreeMap::new()),
            }) as Box<dyn SweepLink>)
        })
    }
}

impl FakeSweepLink {
    fn from(&self, ip: IpAddr) -> IpAddr {
        self.net.answer_from.get(&ip).copied().unwrap_or(ip)
    }
}

impl SweepLink for FakeSweepLink {
    fn echo(&self, ip: IpAddr, _seq: u16) -> BoxFuture<'_, Option<std::io::Result<()>>> {
        Box::pin(async move {
            lock(&self.net.sent).push((ip, false));
            let n = {
                let mut seen = lock(&self.echoes_seen);
                let n = seen.entry(ip).or_insert(0);
                *n += 1;
                *n
            };
            if self.net.live.contains(&ip) && n > self.net.drop_echoes {
                let _ = self.replies.send(SweepReply::Icmp(self.from(ip)));
            }
            Some(Ok(()))
        })
    }

    fn snmp<'a>(
        &'a self,
        to: SocketAddr,
        datagram: &'a [u8],
    ) -> BoxFuture<'a, Option<std::io::Result<()>>> {
        Box::pin(async move {
            let ip = to.ip();
            lock(&self.net.sent).push((ip, true));
            if self.net.garbled.contains(&ip) {
                let what = "12-byte datagram that is not SNMP (fake)".to_string();
                let _ = self.replies.send(SweepReply::Garbled(self.from(ip), what));
                return Some(Ok(()));
            }
            let Ok(pdu) = snmp2::Pdu::from_bytes(datagram) else {
                return Some(Ok(()));
            };
            let (Ok(version), Some((community, versions, name))) =
                (pdu.version(), self.net.agents.get(&ip))
            else {
                return Some(Ok(()));
            };
            if pdu.community != community.as_bytes() || !versions.contains(&version) {
                return Some(Ok(()));
            }
            let rank = credentials(&self.communities, &[]).iter().position(|c| {
                c.scope.covers(ip)
                    && matches!(&c.value, Credential::Community(v, c) if *v == version && c == community)
            });
            if let Some(rank) = rank {
                let answer = SweepAnswer {
                    rank,
                    complete: true,
                    unasked: 0,
                    system: Snmp {
                        version: super::snmp::version_of(version),
                        sys_name: Some(name.clone()),
                        ..Snmp::default()
                    },
                };
                let from =
                    std::net::SocketAddr::new(self.from(ip), self.net.answer_port.unwrap_or(161));
                let req_id = if self.net.wrong_id.contains(&ip) {
                    pdu.req_id.wrapping_add(1)
                } else {
                    pdu.req_id
                };
                let _ = self.replies.send(SweepReply::Snmp {
                    from,
                    req_id,
                    answer: Box::new(answer),
                });
            }
            Some(Ok(()))
        })
    }
}

/// A network of hosts answering the `--count` echoes, each after its RTT;
/// an echo a host drops, or answers twice, or answers too late, is a fault.
#[derive(Debug, Clone, Default)]
pub struct FakeEcho {
    /// Answering hosts and their round-trip times.
    pub rtt: BTreeMap<IpAddr, Duration>,
    /// Echoes dropped: (host, echo number from 0).
    pub drop: std::collections::BTreeSet<(IpAddr, u16)>,
    /// Hosts that answer every echo twice.
    pub duplicate: std::collections::BTreeSet<IpAddr>,
    /// Every send, in order: (host, sequence number, when).
    pub sent: Arc<Mutex<Vec<(IpAddr, u16, tokio::time::Instant)>>>,
}

struct FakeEchoLink {
    net: FakeEcho,
    replies: mpsc::UnboundedSender<EchoReply>,
}

impl EchoNet for FakeEcho {
    fn open(
        &self,
        _v4: bool,
        _v6: bool,
        _ident: u16,
        replies: mpsc::UnboundedSender<EchoReply>,
    ) -> BoxFuture<'_, Result<Box<dyn EchoLink>, crate::error::ProbeError>> {
        Box::pin(async move {
            Ok(Box::new(FakeEchoLink {
                net: self.clone(),
                replies,
            }) as Box<dyn EchoLink>)
        })
    }
}

impl EchoLink for FakeEchoLink {
    fn send(&self, ip: IpAddr, seq: u16) -> BoxFuture<'_, Option<std::io::Result<()>>> {
        Box::pin(async move {
            lock(&self.net.sent).push((ip, seq, tokio::time::Instant::now()));
            let k = seq.wrapping_sub(SEQ_BASE);
            let Some(rtt) = self.net.rtt.get(&ip).copied() else {
                return Some(Ok(()));
            };
            if self.net.drop.contains(&(ip, k)) {
                return Some(Ok(()));
            }
            let times = if self.net.duplicate.contains(&ip) {
                2
            } else {
                1
            };
            let tx = self.replies.clone();
            tokio::spawn(async move {
                tokio::time::sleep(rtt).await;
                for _ in 0..times {
                    let at = tokio::time::Instant::now();
                    let _ = tx.send(EchoReply { from: ip, seq, at });
                }
            });
            Some(Ok(()))
        })
    }
}
