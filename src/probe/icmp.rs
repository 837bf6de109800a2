//! ICMP echo: the sweep socket (send and receive decoupled, no per-address
//! state) and the per-host `--count` echoes for RTT and loss.
//!
//! Sockets come from surge-ping: a raw socket when we may (root,
//! CAP_NET_RAW), else a Linux datagram ICMP socket (`ping_group_range`).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::BorrowedFd;
use std::time::Duration;

use pnet_packet::icmp::{echo_request::MutableEchoRequestPacket, IcmpPacket, IcmpTypes};
use pnet_packet::icmpv6::Icmpv6Types;
use pnet_packet::Packet;
use socket2::{SockRef, Type};
use surge_ping::{
    AsyncSocket, Client, Config, Icmpv4Packet, Icmpv6Packet, PingIdentifier, PingSequence, ICMP,
};

use crate::error::ProbeError;
use crate::event::{Cancel, Event, Events, Phase};
use crate::model::Icmp;

/// Payload of our echo requests: recognisable in a capture.
const PAYLOAD: &[u8] = b"netcensus-probe!";

/// Kernel receive buffer asked for the sweep socket: a burst of replies
/// from a large live subnet must not overflow the default ~200 KiB.
const RECV_BUFFER: usize = 4 << 20;

/// ICMP socket settings of a family: raw first, datagram as fallback.
fn config(v6: bool) -> Config {
    Config::builder()
        .kind(if v6 { ICMP::V6 } else { ICMP::V4 })
        .sock_type_hint(Type::RAW)
        .build()
}

/// The error for a socket we were not allowed to open.
fn no_permission(v6: bool) -> impl FnOnce(io::Error) -> ProbeError {
    move |source| ProbeError::IcmpPermission {
        family: if v6 { "v6" } else { "v4" },
        source,
    }
}

/// The sweep's ICMP socket of one family.
#[derive(Clone)]
pub struct EchoSocket {
    sock: AsyncSocket,
    v6: bool,
    ident: u16,
}

impl EchoSocket {
    /// Open the socket; `ident` marks our echo requests (raw sockets see
    /// every ICMP packet of the host, so replies are filtered on it).
    // the crate's one unsafe block (see [lints] in Cargo.toml)
    #[allow(unsafe_code)]
    pub fn open(v6: bool, ident: u16) -> Result<EchoSocket, ProbeError> {
        let sock = AsyncSocket::new(&config(v6)).map_err(no_permission(v6))?;
        // SAFETY: the descriptor belongs to `sock`, which outlives this borrow.
        let fd = unsafe { BorrowedFd::borrow_raw(sock.get_native_sock()) };
        // best effort: a smaller buffer only risks drops under huge bursts
        let _ = SockRef::from(&fd).set_recv_buffer_size(RECV_BUFFER);
        Ok(EchoSocket { sock, v6, ident })
    }

    fn is_raw(&self) -> bool {
        self.sock.get_type() == Type::RAW
    }

    /// Send one echo request to `ip`.
    pub async fn send(&self, ip: IpAddr, seq: u16) -> io::Result<()> {
        let mut buf = [0u8; 8 + PAYLOAD.len()];
        if let Some(mut p) = MutableEchoRequestPacket::new(&mut buf) {
            p.set_icmp_type(if self.v6 {
                // ICMPv6 echo request; the kernel fills in the checksum
                pnet_packet::icmp::IcmpType(128)
            } else {
                IcmpTypes::EchoRequest
            });
            p.set_identifier(self.ident);
            p.set_sequence_number(seq);
            p.set_payload(PAYLOAD);
            if !self.v6 && self.is_raw() {
                let sum = IcmpPacket::new(p.packet())
                    .map(|ip| pnet_packet::icmp::checksum(&ip))
                    .unwrap_or(0);
                p.set_checksum(sum);
            }
        }
        self.sock.send_to(&mut buf, &SocketAddr::new(ip, 0)).await?;
        Ok(())
    }

    /// Wait for the next echo reply meant for us; returns who answered.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<IpAddr> {
        loop {
            let (n, from) = self.sock.recv_from(buf).await?;
            let data = &buf[..n];
            let reply = match from.ip() {
                IpAddr::V4(src) => {
                    Icmpv4Packet::decode(data, self.sock.get_type(), src, Ipv4Addr::UNSPECIFIED)
                        .ok()
                        .filter(|p| p.get_icmp_type() == IcmpTypes::EchoReply)
                        .map(|p| (IpAddr::V4(p.get_real_dest()), p.get_identifier().0))
                }
                IpAddr::V6(src) => Icmpv6Packet::decode(data, src)
                    .ok()
                    .filter(|p| p.get_icmpv6_type() == Icmpv6Types::EchoReply)
                    .map(|p| (IpAddr::V6(p.get_real_dest()), p.get_identifier().0)),
            };
            match reply {
                // datagram sockets only ever see their own echoes
                Some((ip, ident)) if !self.is_raw() || ident == self.ident => return Ok(ip),
                _ => continue,
            }
        }
    }
}

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

/// Most hosts measured at once: bounds memory on huge live subnets.
const ECHO_CONCURRENCY: usize = 8192;

/// Send `count` echoes to each host, `interval` apart, and compute RTT and
/// loss. Echoes of one host overlap (a lost one does not delay the next).
pub async fn measure(
    hosts: &[IpAddr],
    opts: EchoOptions,
    events: &Events,
    cancel: &Cancel,
) -> Result<HashMap<IpAddr, Icmp>, ProbeError> {
    let mut out = HashMap::new();
    if hosts.is_empty() || opts.count == 0 {
        return Ok(out);
    }
    let client = |v6: bool| Client::new(&config(v6)).map_err(no_permission(v6));
    let c4 = if hosts.iter().any(IpAddr::is_ipv4) {
        Some(client(false)?)
    } else {
        None
    };
    let c6 = if hosts.iter().any(IpAddr::is_ipv6) {
        Some(client(true)?)
    } else {
        None
    };
    events.emit(Event::Started {
        phase: Phase::Echo,
        total: hosts.len() as u64,
    });
    super::for_each_bounded(
        futures::stream::iter(hosts.iter().filter_map(|&ip| {
            let client = if ip.is_ipv4() { c4.clone() } else { c6.clone() };
            client.map(|c| (ip, c))
        })),
        ECHO_CONCURRENCY,
        opts.rate,
        cancel,
        |(ip, client)| async move {
            let echoes = (0..opts.count).map(|seq| {
                let client = client.clone();
                async move {
                    tokio::time::sleep(opts.interval * seq).await;
                    let mut pinger = client.pinger(ip, PingIdentifier(opts.ident)).await;
                    pinger.timeout(opts.timeout);
                    pinger
                        .ping(PingSequence(seq as u16), PAYLOAD)
                        .await
                        .ok()
                        .map(|(_, rtt)| rtt.as_secs_f64() * 1000.0)
                }
            });
            let rtts: Vec<f64> = futures::future::join_all(echoes)
                .await
                .into_iter()
                .flatten()
                .collect();
            (ip, Icmp::from_samples(opts.count, &rtts))
        },
        |(ip, stats)| {
            out.insert(ip, stats);
            events.emit(Event::Advanced {
                phase: Phase::Echo,
                by: 1,
            });
        },
    )
    .await;
    events.emit(Event::Finished { phase: Phase::Echo });
    Ok(out)
}
