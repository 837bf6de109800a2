//! ICMP echo sockets, shared by the sweep and the `--count` echoes (send
//! and receive decoupled, no per-address state).
//!
//! Sockets come from surge-ping: a raw socket when we may (root,
//! CAP_NET_RAW), else a Linux datagram ICMP socket (`ping_group_range`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::BorrowedFd;

use pnet_packet::icmp::{echo_request::MutableEchoRequestPacket, IcmpPacket, IcmpTypes};
use pnet_packet::icmpv6::Icmpv6Types;
use pnet_packet::Packet;
use socket2::{SockFilter, SockRef, Type};
use surge_ping::{AsyncSocket, Config, Icmpv4Packet, Icmpv6Packet, ICMP};

use crate::error::ProbeError;

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

/// The sweep's ICMP socket of one family.
#[derive(Clone)]
pub struct EchoSocket {
    sock: AsyncSocket,
    v6: bool,
    ident: u16,
}

impl EchoSocket {
    /// Open the socket; `ident` marks our echo requests (raw sockets see
    /// every ICMP packet of the host, so the kernel filters replies on it).
    // the crate's one unsafe block (see [lints] in Cargo.toml)
    #[allow(unsafe_code)]
    pub fn open(v6: bool, ident: u16) -> Result<EchoSocket, ProbeError> {
        let sock = AsyncSocket::new(&config(v6)).map_err(no_permission(v6))?;
        let raw = sock.get_native_sock();
        let size = libc::c_int::try_from(RECV_BUFFER).unwrap_or(libc::c_int::MAX);
        // SAFETY: the descriptor belongs to `sock`, which outlives this
        // borrow; setsockopt only reads the `c_int` it is given the length of.
        let (fd, forced) = unsafe {
            (
                BorrowedFd::borrow_raw(raw),
                libc::setsockopt(
                    raw,
                    libc::SOL_SOCKET,
                    libc::SO_RCVBUFFORCE,
                    std::ptr::from_ref(&size).cast::<libc::c_void>(),
                    libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>()).unwrap_or(4),
                ),
            )
        };
        let sref = SockRef::from(&fd);
        if forced != 0 {
            // Without CAP_NET_ADMIN the kernel caps the buffer at
            // net.core.rmem_max; best effort, a smaller one only risks
            // drops under the largest bursts.
            let _ = sref.set_recv_buffer_size(RECV_BUFFER);
        }
        let socket = EchoSocket { sock, v6, ident };
        if socket.is_raw() {
            // Best effort too: without the filter, replies are still
            // matched on `ident` in `recv`, but every ICMP packet of the
            // host (the SNMP sweep's port-unreachables) shares the buffer.
            let _ = sref.attach_filter(&echo_reply_filter(v6, ident));
        }
        Ok(socket)
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
            let reply = match from.ip() {
                IpAddr::V4(src) => {
                    Icmpv4Packet::decode(data, self.sock.get_type(), src, Ipv4Addr::UNSPECIFIED)
                        .ok()
                        .filter(|p| p.get_icmp_type() == IcmpTypes::EchoReply)
                        .map(|p| {
                            (
                                IpAddr::V4(p.get_real_dest()),
                                p.get_identifier().0,
                                p.get_sequence().0,
                            )
                        })
                }
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
