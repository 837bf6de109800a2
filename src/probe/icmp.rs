//! ICMP echo sockets, shared by the sweep and the `--count` echoes (send
//! and receive decoupled, no per-address state).
//!
//! A raw socket when we may (root, CAP_NET_RAW), else a Linux datagram
//! ICMP socket (`ping_group_range`); surge-ping decodes the replies. A run
//! that gives up root opens its sockets first ([`preopen`]).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};

use pnet_packet::icmp::{echo_request::MutableEchoRequestPacket, IcmpPacket, IcmpTypes};
use pnet_packet::icmpv6::Icmpv6Types;
use pnet_packet::Packet;
use socket2::{Domain, Protocol, SockFilter, Socket, Type};
use surge_ping::{Icmpv4Packet, Icmpv6Packet};
use tokio::net::UdpSocket;

use crate::error::ProbeError;

/// Payload of our echo requests: recognisable in a capture.
const PAYLOAD: &[u8] = b"netcensus-probe!";

/// Kernel receive buffer asked for the sweep socket: a burst of replies
/// from a large live subnet must not overflow the default ~200 KiB.
const RECV_BUFFER: usize = 4 << 20;

/// An ICMP socket opened before the process gave up root (see
/// [`preopen`]): its family, whether it is raw, and the identifier it
/// filters on once [`EchoSocket::open`] has taken it.
struct Preopened {
    v6: bool,
    sock: Socket,
    raw: bool,
    ident: Option<u16>,
}

/// The sockets [`preopen`] opened, taken by [`EchoSocket::open`] before it
/// opens one of its own: each identifier gets one for good (a crawl's
/// later rounds share it), since a kernel filter is the socket's.
static PREOPENED: Mutex<Vec<Preopened>> = Mutex::new(Vec::new());

/// Open `per_family` ICMP sockets of each family asked for now, while the
/// process may still open raw ones: a scan that gives up root afterwards
/// (`--user`) sweeps with these.
pub fn preopen(v4: bool, v6: bool, per_family: usize) -> Result<(), ProbeError> {
    let mut opened = Vec::new();
    for (wanted, v6) in [(v4, false), (v6, true)] {
        for _ in 0..if wanted { per_family } else { 0 } {
            let (sock, raw) = create(v6).map_err(no_permission(v6))?;
            opened.push(Preopened {
                v6,
                sock,
                raw,
                ident: None,
            });
        }
    }
    PREOPENED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .extend(opened);
    Ok(())
}

/// A preopened socket of the family for `ident` (a descriptor of the one
/// it already has, else a free one), if there is one.
fn take_preopened(v6: bool, ident: u16) -> Option<(Socket, bool)> {
    let mut pool = PREOPENED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let p = match pool
        .iter()
        .position(|p| p.v6 == v6 && p.ident == Some(ident))
    {
        Some(i) => &pool[i],
        None => {
            let i = pool.iter().position(|p| p.v6 == v6 && p.ident.is_none())?;
            pool[i].ident = Some(ident);
            &pool[i]
        }
    };
    Some((p.sock.try_clone().ok()?, p.raw))
}

/// An ICMP socket of a family, non-blocking: raw when we may (root,
/// CAP_NET_RAW), else a datagram ICMP socket; and whether it is raw.
fn create(v6: bool) -> io::Result<(Socket, bool)> {
    let (domain, proto) = if v6 {
        (Domain::IPV6, Protocol::ICMPV6)
    } else {
        (Domain::IPV4, Protocol::ICMPV4)
    };
    let (sock, raw) = match Socket::new(domain, Type::RAW, Some(proto)) {
        Ok(s) => (s, true),
        Err(first) => match Socket::new(domain, Type::DGRAM, Some(proto)) {
            Ok(s) => (s, false),
            // the raw socket's refusal says why (EPERM), not the fallback's
            Err(_) => return Err(first),
        },
    };
    sock.set_nonblocking(true)?;
    Ok((sock, raw))
}

/// The error for a socket we were not allowed to open.
fn no_permission(v6: bool) -> impl FnOnce(io::Error) -> ProbeError {
    move |source| ProbeError::IcmpPermission {
        family: if v6 { "v6" } else { "v4" },
        source,
    }
}

/// A classic BPF program passing only echo replies carrying `ident`. A raw
/// IPv4 socket reads the IP header first (its length in the low nibble of
/// byte 0); a raw ICMPv6 socket reads the ICMPv6 header only.
fn echo_reply_filter(v6: bool, ident: u16) -> Vec<SockFilter> {
    // opcodes of linux/bpf_common.h
    const LDX_IMM: u16 = 0x01; // BPF_LDX|BPF_W|BPF_IMM: x = k
    const LDX_MSH: u16 = 0xb1; // BPF_LDX|BPF_B|BPF_MSH: x = 4*([k]&0xf)
    const LDB_IND: u16 = 0x50; // BPF_LD|BPF_B|BPF_IND: a = [x+k]
    const LDH_IND: u16 = 0x48; // BPF_LD|BPF_H|BPF_IND: a = [x+k:2]
    const JEQ: u16 = 0x15; // BPF_JMP|BPF_JEQ|BPF_K
    const RET: u16 = 0x06; // BPF_RET|BPF_K
    let reply_type = if v6 { 129 } else { 0 };
    // v6: x = 0, so the indexed loads read the ICMPv6 header
    vec![
        SockFilter::new(if v6 { LDX_IMM } else { LDX_MSH }, 0, 0, 0),
        SockFilter::new(LDB_IND, 0, 0, 0),
        SockFilter::new(JEQ, 0, 3, reply_type),
        SockFilter::new(LDH_IND, 0, 0, 4),
        SockFilter::new(JEQ, 0, 1, u32::from(ident)),
        SockFilter::new(RET, 0, 0, u32::MAX),
        SockFilter::new(RET, 0, 0, 0),
    ]
}

/// Ask for the sweep's receive buffer past `net.core.rmem_max`
/// (`SO_RCVBUFFORCE`, needs CAP_NET_ADMIN); whether the kernel took it.
// the crate's one unsafe block (see [lints] in Cargo.toml)
#[allow(unsafe_code)]
fn force_recv_buffer(sock: &Socket) -> bool {
    let size = libc::c_int::try_from(RECV_BUFFER).unwrap_or(libc::c_int::MAX);
    let len = libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>()).unwrap_or(4);
    // SAFETY: the descriptor belongs to `sock`, borrowed for the call;
    // setsockopt only reads the `c_int` it is given the length of.
    let done = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            std::ptr::from_ref(&size).cast::<libc::c_void>(),
            len,
        )
    };
    done == 0
}

/// The sweep's ICMP socket of one family.
#[derive(Clone)]
pub struct EchoSocket {
    sock: Arc<UdpSocket>,
    raw: bool,
    v6: bool,
    ident: u16,
}

impl EchoSocket {
    /// Open the socket (a preopened one if there is one left); `ident`
    /// marks our echo requests (raw sockets see every ICMP packet of the
    /// host, so the kernel filters replies on it). Needs the runtime.
    pub fn open(v6: bool, ident: u16) -> Result<EchoSocket, ProbeError> {
        let (sock, raw) = match take_preopened(v6, ident) {
            Some(preopened) => preopened,
            None => create(v6).map_err(no_permission(v6))?,
        };
        if !force_recv_buffer(&sock) {
            // Without CAP_NET_ADMIN the kernel caps the buffer at
            // net.core.rmem_max; best effort, a smaller one only risks
            // drops under the largest bursts.
            let _ = sock.set_recv_buffer_size(RECV_BUFFER);
        }
        if raw {
            // Best effort too: without the filter, replies are still
            // matched on `ident` in `recv`, but every ICMP packet of the
            // host (the SNMP sweep's port-unreachables) shares the buffer.
            let _ = sock.attach_filter(&echo_reply_filter(v6, ident));
        }
        // a datagram socket's calls are what an ICMP socket's are (the
        // kernel keeps its message boundaries)
        let sock =
            UdpSocket::from_std(std::net::UdpSocket::from(sock)).map_err(no_permission(v6))?;
        Ok(EchoSocket {
            sock: Arc::new(sock),
            raw,
            v6,
            ident,
        })
    }

    fn is_raw(&self) -> bool {
        self.raw
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
        self.sock.send_to(&buf, SocketAddr::new(ip, 0)).await?;
        Ok(())
    }

    /// A task reading the replies meant for us, each stamped as it was read
    /// and handed to `deliver` until it returns false (its receiver gone).
    pub fn spawn_receiver(
        &self,
        mut deliver: impl FnMut(IpAddr, u16, tokio::time::Instant) -> bool + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let sock = self.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            while let Ok((ip, seq)) = sock.recv(&mut buf).await {
                if !deliver(ip, seq, tokio::time::Instant::now()) {
                    break;
                }
            }
        })
    }

    /// Wait for the next echo reply meant for us; returns who answered,
    /// and the sequence number of the echo answered.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<(IpAddr, u16)> {
        loop {
            let (n, from) = self.sock.recv_from(buf).await?;
            let data = &buf[..n];
            let kind = if self.raw { Type::RAW } else { Type::DGRAM };
            let reply = match from.ip() {
                IpAddr::V4(src) => Icmpv4Packet::decode(data, kind, src, Ipv4Addr::UNSPECIFIED)
                    .ok()
                    .filter(|p| p.get_icmp_type() == IcmpTypes::EchoReply)
                    .map(|p| {
                        (
                            IpAddr::V4(p.get_real_dest()),
                            p.get_identifier().0,
                            p.get_sequence().0,
                        )
                    }),
                IpAddr::V6(src) => Icmpv6Packet::decode(data, src)
                    .ok()
                    .filter(|p| p.get_icmpv6_type() == Icmpv6Types::EchoReply)
                    .map(|p| {
                        (
                            IpAddr::V6(p.get_real_dest()),
                            p.get_identifier().0,
                            p.get_sequence().0,
                        )
                    }),
            };
            match reply {
                // datagram sockets only ever see their own echoes
                Some((ip, ident, seq)) if !self.is_raw() || ident == self.ident => {
                    return Ok((ip, seq));
                }
                _ => continue,
            }
        }
    }
}
