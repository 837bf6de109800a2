//! The `--count` echoes per found host, for RTT, jitter and loss.
//!
//! Stateless like the sweep: one socket per family (the sweep's kind, with
//! its large receive buffer and kernel filter), one loop sending every
//! host's echoes on schedule, receiver tasks stamping each reply as it
//! arrives, and replies matched to sends by (address, sequence). Nothing
//! waits per host, so a burst of thousands of replies within microseconds
//! costs a buffer, not a task per echo; a reply the runtime reads late
//! still carries the time it was read off the socket.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::icmp::EchoSocket;
use crate::error::ProbeError;
use crate::event::{Cancel, Event, Events, Phase};
use crate::model::Icmp;

/// Sequence numbers of the echo phase start here: apart from the sweep's.
pub const SEQ_BASE: u16 = 0x4000;

/// How the `--count` echoes are sent.
#[derive(Debug, Clone, Copy)]
pub struct EchoOptions {
    pub count: u32,
    pub interval: Duration,
    pub timeout: Duration,
    /// Hosts started per second (paces the burst of first echoes).
    pub rate: u32,
    pub ident: u16,
}

/// An echo reply, stamped when it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply {
    pub from: IpAddr,
    pub seq: u16,
    pub at: Instant,
}

/// The echo phase's side of the network edge: opens the sockets of the
/// families asked for and delivers every reply to `replies`.
pub trait EchoNet: Send + Sync {
    fn open(
        &self,
        v4: bool,
        v6: bool,
        ident: u16,
        replies: mpsc::UnboundedSender<EchoReply>,
    ) -> BoxFuture<'_, Result<Box<dyn EchoLink>, ProbeError>>;
}

/// Sends of the echo phase. `None`: no socket of the address's family.
pub trait EchoLink: Send + Sync {
    fn send(&self, ip: IpAddr, seq: u16) -> BoxFuture<'_, Option<std::io::Result<()>>>;
}

/// The machine's ICMP sockets and their receiver tasks (stopped on drop).
struct Sockets {
    v4: Option<EchoSocket>,
    v6: Option<EchoSocket>,
    receivers: Vec<JoinHandle<()>>,
}

impl Drop for Sockets {
    fn drop(&mut self) {
        for r in &self.receivers {
            r.abort();
        }
    }
}

impl EchoLink for Sockets {
    fn send(&self, ip: IpAddr, seq: u16) -> BoxFuture<'_, Option<std::io::Result<()>>> {
        Box::pin(async move {
            let sock = if ip.is_ipv4() { &self.v4 } else { &self.v6 };
            Some(sock.as_ref()?.send(ip, seq).await)
        })
    }
}

impl EchoNet for super::sweep::Wire {
    fn open(
        &self,
        v4: bool,
        v6: bool,
        ident: u16,
        replies: mpsc::UnboundedSender<EchoReply>,
    ) -> BoxFuture<'_, Result<Box<dyn EchoLink>, ProbeError>> {
        Box::pin(async move {
            let mut s = Sockets {
                v4: None,
                v6: None,
                receivers: Vec::new(),
            };
            for (wanted, v6) in [(v4, false), (v6, true)] {
                if !wanted {
                    continue;
                }
                let sock = EchoSocket::open(v6, ident)?;
                let tx = replies.clone();
                s.receivers.push(sock.spawn_receiver(move |from, seq, at| {
                    tx.send(EchoReply { from, seq, at }).is_ok()
                }));
                if v6 {
                    s.v6 = Some(sock);
                } else {
                    s.v4 = Some(sock);
                }
            }
            Ok(Box::new(s) as Box<dyn EchoLink>)
        })
    }
}

/// The echoes of every host: when each was sent, and its RTT once
/// answered. Slot `host * count + k` holds echo `k` of a host.
struct Ledger {
    index: HashMap<IpAddr, usize>,
    count: usize,
    timeout: Duration,
    sent: Vec<Option<Instant>>,
    rtt_ms: Vec<Option<f64>>,
    answered: usize,
}

impl Ledger {
    fn new(hosts: &[IpAddr], count: usize, timeout: Duration) -> Option<Ledger> {
        let slots = hosts.len().checked_mul(count)?;
        Some(Ledger {
            index: hosts.iter().enumerate().map(|(i, ip)| (*ip, i)).collect(),
            count,
            timeout,
            sent: vec![None; slots],
            rtt_ms: vec![None; slots],
            answered: 0,
        })
    }

    /// A reply counts once, for an echo we sent, within the timeout.
    fn record(&mut self, r: EchoReply) {
        let Some(&host) = self.index.get(&r.from) else {
            return;
        };
        let k = usize::from(r.seq.wrapping_sub(SEQ_BASE));
        if k >= self.count {
            return;
        }
        let slot = host * self.count + k;
        let (Some(Some(t0)), Some(rtt)) = (self.sent.get(slot), self.rtt_ms.get_mut(slot)) else {
            return;
        };
        let Some(took) = r.at.checked_duration_since(*t0) else {
            return;
        };
        if rtt.is_none() && took <= self.timeout {
            *rtt = Some(took.as_secs_f64() * 1000.0);
            self.answered += 1;
        }
    }

    /// Statistics of each host that got at least one echo.
    fn stats(&self, hosts: &[IpAddr]) -> HashMap<IpAddr, Icmp> {
        let mut out = HashMap::new();
        for (i, ip) in hosts.iter().enumerate() {
            let range = i * self.count..(i + 1) * self.count;
            let sent = self.sent[range.clone()].iter().flatten().count();
            if sent == 0 {
                continue;
            }
            let rtts: Vec<f64> = self.rtt_ms[range].iter().flatten().copied().collect();
            let sent = u32::try_from(sent).unwrap_or(u32::MAX);
            out.insert(*ip, Icmp::from_samples(sent, &rtts));
        }
        out
    }
}

/// Send `count` echoes to each host, `interval` apart, hosts started at
/// `rate` per second, and compute RTT and loss over the machine's sockets.
pub async fn measure(
    hosts: &[IpAddr],
    opts: EchoOptions,
    events: &Events,
    cancel: &Cancel,
) -> Result<HashMap<IpAddr, Icmp>, ProbeError> {
    measure_over(&super::sweep::Wire, hosts, opts, events, cancel).await
}

/// [`measure`] over any [`EchoNet`].
pub async fn measure_over(
    net: &dyn EchoNet,
    hosts: &[IpAddr],
    opts: EchoOptions,
    events: &Events,
    cancel: &Cancel,
) -> Result<HashMap<IpAddr, Icmp>, ProbeError> {
    let count = opts.count as usize;
    let Some(mut ledger) = Ledger::new(hosts, count, opts.timeout) else {
        return Ok(HashMap::new());
    };
    if hosts.is_empty() || count == 0 {
        return Ok(HashMap::new());
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let link = net
        .open(
            hosts.iter().any(IpAddr::is_ipv4),
            hosts.iter().any(IpAddr::is_ipv6),
            opts.ident,
            tx,
        )
        .await?;
    events.emit(Event::Started {
        phase: Phase::Echo,
        total: hosts.len() as u64,
    });
    let start = Instant::now();
    let spacing = Duration::from_secs_f64(1.0 / f64::from(opts.rate.max(1)));
    // Echo k of host i is due at start + i × spacing + k × interval: each
    // round is paced like the sweep, rounds overlap when hosts are many.
    let due = |i: usize, k: usize| {
        start + spacing.mul_f64(i as f64) + opts.interval.saturating_mul(k as u32)
    };
    let mut next = vec![0usize; count];
    let mut last_send = start;
    let slack = Duration::from_millis(1);
    while !cancel.is_cancelled() {
        let Some((k, i)) = (0..count)
            .filter(|&k| next[k] < hosts.len())
            .map(|k| (k, next[k]))
            .min_by_key(|&(k, i)| due(i, k))
        else {
            break;
        };
        let t = due(i, k);
        if t > Instant::now() + slack {
            // read replies while waiting for the next slot
            tokio::select! {
                () = tokio::time::sleep_until(t) => {}
                Some(r) = rx.recv() => ledger.record(r),
            }
            continue;
        }
        let now = Instant::now();
        ledger.sent[i * count + k] = Some(now);
        last_send = now;
        let seq = SEQ_BASE.wrapping_add(u16::try_from(k).unwrap_or(u16::MAX));
        // A refused send is a lost echo (counted in the loss).
        let _ = link.send(hosts[i], seq).await;
        next[k] += 1;
        if k + 1 == count {
            events.emit(Event::Advanced {
                phase: Phase::Echo,
                by: 1,
            });
        }
        while let Ok(r) = rx.try_recv() {
            ledger.record(r);
        }
    }
    let deadline = last_send + opts.timeout;
    let expected = ledger.sent.iter().flatten().count();
    while ledger.answered < expected && !cancel.is_cancelled() {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => break,
            r = rx.recv() => match r {
                Some(r) => ledger.record(r),
                None => break,
            },
        }
    }
    drop(link);
    events.emit(Event::Finished { phase: Phase::Echo });
    Ok(ledger.stats(hosts))
}
