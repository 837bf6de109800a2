//! The seam at the network edge: how one SNMP request leaves and its
//! answers come back. The agent (`probe::agent`) keeps everything with
//! judgement in it (request ids, retries, timeouts, counters, skipping
//! stale answers, the v1 `noSuchName` fallback); an [`Exchange`] only sends
//! and receives, so the whole SNMP logic above it runs in tests against a
//! recording (`probe::fake`) on tokio's paused clock.
//!
//! Two real exchanges: v1/v2c over a UDP socket of our own (requests
//! encoded here, answers decoded by snmp2, every datagram's size known),
//! and SNMPv3 through snmp2's `AsyncSession`, which does USM (engine
//! discovery, keys, authentication, privacy) and does not expose its
//! datagrams.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use futures::future::BoxFuture;
use snmp2::{AsyncSession, MessageType, Oid, Pdu};
use tokio::net::UdpSocket;

use super::ber::{encode_request, RequestKind, SNMP_PORT};
use super::credential::{Credential, Usm};
use super::value::{Val, VarBind};
use crate::oid::oid_string;

/// Why a request got no usable answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AgentError {
    #[error("no answer within the timeout")]
    Timeout,
    #[error("no SNMP agent (port unreachable or socket error)")]
    NoAgent,
    #[error("agent answered with error status {status} at index {index}")]
    Status { status: u32, index: u32 },
    #[error("unusable answer: {0}")]
    Garbage(String),
}

/// One request as it goes on the wire.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub kind: RequestKind,
    pub oids: &'a [Vec<u64>],
    pub req_id: i32,
}

/// One answer: the request id it carries (perhaps an earlier request's),
/// its error status and its varbinds, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub req_id: i32,
    pub error_status: u32,
    pub error_index: u32,
    pub varbinds: Vec<VarBind>,
}

/// A conversation's transport.
pub trait Exchange: Send {
    /// Send one request.
    fn send<'a>(&'a mut self, req: Request<'a>) -> BoxFuture<'a, Result<(), AgentError>>;
    /// The next answer addressed to this conversation (its request id may
    /// be an earlier request's: the caller skips those). Waits as long as
    /// it takes: the caller bounds it with a timeout.
    fn recv(&mut self) -> BoxFuture<'_, Result<Reply, AgentError>>;
    /// UDP payload bytes sent and received so far; `None` where the
    /// transport does not see its datagrams (SNMPv3 through snmp2).
    fn bytes(&self) -> Option<(u64, u64)>;
    /// Whether a timed-out or garbled request leaves the transport unfit
    /// for the next one (snmp2's USM session cannot skip a stale answer).
    fn spoiled_by_failure(&self) -> bool;
}

/// Opens exchanges: the real network, or a test double.
pub trait Network: Send + Sync {
    /// An exchange with the agent at `ip` under `cred`. For SNMPv3 this
    /// includes engine discovery, bounded by `timeout` (one request and
    /// its answer).
    fn open<'a>(
        &'a self,
        ip: IpAddr,
        cred: &'a Credential,
        req_id: i32,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Box<dyn Exchange>, AgentError>>;
}

/// Largest datagram we accept (the UDP maximum).
const DATAGRAM_MAX: usize = 65_535;

/// The machine's network.
#[derive(Debug, Default, Clone, Copy)]
pub struct Udp;

impl Network for Udp {
    fn open<'a>(
        &'a self,
        ip: IpAddr,
        cred: &'a Credential,
        req_id: i32,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Box<dyn Exchange>, AgentError>> {
        Box::pin(async move {
            let addr = SocketAddr::new(ip, SNMP_PORT);
            Ok(match cred {
                Credential::Community(_, community) => {
                    let local: IpAddr = match ip {
                        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
                        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
                    };
                    let socket = UdpSocket::bind((local, 0))
                        .await
                        .map_err(|_| AgentError::NoAgent)?;
                    socket
                        .connect(addr)
                        .await
                        .map_err(|_| AgentError::NoAgent)?;
                    Box::new(CommunityExchange {
                        socket,
                        version: cred.version(),
                        community: community.clone(),
                        buf: vec![0; DATAGRAM_MAX],
                        sent: 0,
                        received: 0,
                    }) as Box<dyn Exchange>
                }
                Credential::Usm(u) => Box::new(open_usm(addr, u, req_id, timeout).await?),
            })
        })
    }
}

/// v1/v2c over our own connected socket.
struct CommunityExchange {
    socket: UdpSocket,
    version: snmp2::Version,
    community: String,
    buf: Vec<u8>,
    sent: u64,
    received: u64,
}

impl Exchange for CommunityExchange {
    fn send<'a>(&'a mut self, req: Request<'a>) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async move {
            let refs: Vec<&[u64]> = req.oids.iter().map(Vec::as_slice).collect();
            let msg = encode_request(
                self.version,
                self.community.as_bytes(),
                req.req_id,
                req.kind,
                &refs,
            );
            self.socket
                .send(&msg)
                .await
                .map_err(|_| AgentError::NoAgent)?;
            self.sent = self.sent.saturating_add(msg.len() as u64);
            Ok(())
        })
    }

    fn recv(&mut self) -> BoxFuture<'_, Result<Reply, AgentError>> {
        Box::pin(async move {
            loop {
                let n = self
                    .socket
                    .recv(&mut self.buf)
                    .await
                    .map_err(|_| AgentError::NoAgent)?;
                self.received = self.received.saturating_add(n as u64);
                let data = self.buf.get(..n).unwrap_or_default();
                let pdu =
                    Pdu::from_bytes(data).map_err(|e| AgentError::Garbage(format!("{e:?}")))?;
                // not an answer, or another community's: not for us
                if pdu.message_type == MessageType::Response
                    && pdu.community == self.community.as_bytes()
                {
                    return Ok(reply_of(&pdu));
                }
            }
        })
    }

    fn bytes(&self) -> Option<(u64, u64)> {
        Some((self.sent, self.received))
    }

    fn spoiled_by_failure(&self) -> bool {
        false
    }
}

/// SNMPv3 through snmp2: a request is made whole in `recv`, since snmp2
/// sends and waits in one call.
struct UsmExchange {
    session: Box<AsyncSession>,
    pending: Option<(RequestKind, Vec<Vec<u64>>, i32)>,
}

async fn open_usm(
    addr: SocketAddr,
    u: &Usm,
    req_id: i32,
    timeout: Duration,
) -> Result<UsmExchange, AgentError> {
    let mut session = AsyncSession::new_v3(addr, req_id, u.security())
        .await
        .map_err(|_| AgentError::NoAgent)?;
    // engine discovery (and time synchronisation) before the first request
    match tokio::time::timeout(timeout, session.init()).await {
        Err(_) => Err(AgentError::Timeout),
        Ok(Err(snmp2::Error::Receive | snmp2::Error::Send)) => Err(AgentError::NoAgent),
        Ok(Err(e)) => Err(AgentError::Garbage(format!("{e:?}"))),
        Ok(Ok(())) => Ok(UsmExchange {
            session: Box::new(session),
            pending: None,
        }),
    }
}

impl Exchange for UsmExchange {
    fn send<'a>(&'a mut self, req: Request<'a>) -> BoxFuture<'a, Result<(), AgentError>> {
        self.pending = Some((req.kind, req.oids.to_vec(), req.req_id));
        Box::pin(async { Ok(()) })
    }

    fn recv(&mut self) -> BoxFuture<'_, Result<Reply, AgentError>> {
        Box::pin(async move {
            let Some((kind, oids, req_id)) = self.pending.take() else {
                return std::future::pending().await;
            };
            let oids: Vec<Oid<'static>> = oids
                .iter()
                .map(|o| {
                    Oid::from(o)
                        .map_err(|_| AgentError::Garbage(format!("bad OID {}", oid_string(o))))
                })
                .collect::<Result<_, _>>()?;
            let refs: Vec<&Oid<'static>> = oids.iter().collect();
            let session = &mut self.session;
            let pdu = match kind {
                RequestKind::Get => session.get_many(&refs).await,
                RequestKind::GetNext => match refs.as_slice() {
                    [one] => session.getnext(one).await,
                    _ => Err(snmp2::Error::ValueOutOfRange),
                },
                RequestKind::GetBulk {
                    non_repeaters,
                    max_repetitions,
                } => session.getbulk(&refs, non_repeaters, max_repetitions).await,
            };
            match pdu {
                Ok(p) => Ok(Reply {
                    req_id,
                    ..reply_of(&p)
                }),
                Err(snmp2::Error::Receive | snmp2::Error::Send) => Err(AgentError::NoAgent),
                Err(e) => Err(AgentError::Garbage(format!("{e:?}"))),
            }
        })
    }

    fn bytes(&self) -> Option<(u64, u64)> {
        None
    }

    fn spoiled_by_failure(&self) -> bool {
        true
    }
}

/// Copy an answer out of the decoder's buffer.
fn reply_of(pdu: &Pdu<'_>) -> Reply {
    Reply {
        req_id: pdu.req_id,
        error_status: pdu.error_status,
        error_index: pdu.error_index,
        varbinds: pdu
            .varbinds
            .clone()
            .map(|(oid, v)| {
                let arcs: Vec<u64> = oid.iter().map(Iterator::collect).unwrap_or_default();
                (arcs, Val::from_value(&v))
            })
            .collect(),
    }
}
