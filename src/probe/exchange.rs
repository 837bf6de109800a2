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
    /// The agent refused the credential (an SNMPv3 Report): definite, not
    /// worth a retry, and worth telling the operator.
    #[error("{0}")]
    Refused(String),
    /// A request we will not send: larger than any SNMP message can be
    /// (what an agent answering ever-longer OIDs would lead to).
    #[error("a request of {0} bytes would exceed the largest SNMP message ({MAX_MESSAGE} bytes): not sent")]
    TooLarge(usize),
}

/// The largest SNMP message over UDP: a datagram's largest IPv4 payload.
pub const MAX_MESSAGE: usize = 65_507;

/// At most how long the BER of `oids` as a request's varbinds is (each arc
/// at most ten bytes, each varbind's framing and NULL value at most ten).
fn request_bound(oids: &[Vec<u64>]) -> usize {
    oids.iter()
        .map(|o| o.len().saturating_mul(10).saturating_add(10))
        .fold(256, usize::saturating_add)
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

/// What happened to the SNMPv3 requests that a diagnosis explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The agent refused them ([`AgentError::Refused`]).
    Refused,
    /// Engine discovery worked, then every try went unanswered (an agent
    /// that drops what it cannot decrypt: net-snmp's, for a wrong
    /// privacy key).
    Silence,
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
    /// Why the agent at `ip` did not take `cred` (an SNMPv3 user), asked
    /// of it with probes of their own, each waiting at most `timeout`;
    /// `None` when it cannot be told (then nothing is claimed).
    fn diagnose<'a>(
        &'a self,
        _ip: IpAddr,
        _cred: &'a Credential,
        _failure: Failure,
        _req_id: i32,
        _timeout: Duration,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async { None })
    }
}

/// Largest datagram we accept (the UDP maximum).
const DATAGRAM_MAX: usize = 65_535;

/// The machine's network.
#[derive(Debug, Default, Clone, Copy)]
pub struct Udp;

impl Network for Udp {
    fn diagnose<'a>(
        &'a self,
        ip: IpAddr,
        cred: &'a Credential,
        failure: Failure,
        req_id: i32,
        timeout: Duration,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            match cred {
                Credential::Usm(u) => {
                    let addr = SocketAddr::new(ip, SNMP_PORT);
                    usm_diagnosis(addr, u, failure, req_id, timeout).await
                }
                Credential::Community(..) => None,
            }
        })
    }

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
            if msg.len() > MAX_MESSAGE {
                return Err(AgentError::TooLarge(msg.len()));
            }
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
                // not an answer, or another version's or community's: not
                // for us (the connected socket already took only the
                // agent's address and port)
                if pdu.message_type == MessageType::Response
                    && pdu.version().ok() == Some(self.version)
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

/// The agent refused the user: an unauthenticated Report where an
/// authenticated answer was due (unknown user, wrong digest, decryption
/// error; [`usm_diagnosis`] finds out which).
const REFUSED: &str = "the agent refused the request (unknown user, or a wrong key)";

/// snmp2's words for an answer the user's keys do not authenticate: an
/// unauthenticated Report (RFC 3414), or one signed with another key (the
/// way pysnmp answers a wrong digest).
fn refused(e: &snmp2::Error) -> bool {
    use snmp2::v3::AuthErrorKind::{NotAuthenticated, SignatureMismatch};
    matches!(
        e,
        snmp2::Error::AuthFailure(NotAuthenticated | SignatureMismatch)
    )
}

impl Exchange for UsmExchange {
    fn send<'a>(&'a mut self, req: Request<'a>) -> BoxFuture<'a, Result<(), AgentError>> {
        // snmp2 encodes it later, in recv: bound it before it gets there
        let bound = request_bound(req.oids);
        if bound > MAX_MESSAGE {
            return Box::pin(async move { Err(AgentError::TooLarge(bound)) });
        }
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
                // no downgrade: only SNMPv3 answers an SNMPv3 request
                Ok(p) if !matches!(p.version(), Ok(snmp2::Version::V3)) => Err(
                    AgentError::Garbage("a reply that is not SNMPv3 to an SNMPv3 request".into()),
                ),
                Ok(p) => Ok(Reply {
                    req_id,
                    ..reply_of(&p)
                }),
                Err(snmp2::Error::Receive | snmp2::Error::Send) => Err(AgentError::NoAgent),
                Err(e) if refused(&e) => Err(AgentError::Refused(REFUSED.into())),
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

/// How an SNMPv3 user fared with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The answer does not authenticate with the user's key.
    Refused,
    /// An authenticated answer (a Response, or a Report such as
    /// unsupportedSecLevel): the key is right.
    Authenticated,
    /// Silence or something else: nothing can be told.
    Unknown,
}

/// One GET of sysUpTime.0 as `u`, within twice `timeout`.
async fn try_user(addr: SocketAddr, u: &Usm, req_id: i32, timeout: Duration) -> Verdict {
    let attempt = async {
        let mut x = open_usm(addr, u, req_id, timeout).await.ok()?;
        let uptime = Oid::from(&[1, 3, 6, 1, 2, 1, 1, 3, 0]).ok()?;
        Some(match x.session.get(&uptime).await {
            Ok(_) | Err(snmp2::Error::AsnWrongType) => Verdict::Authenticated,
            Err(e) if refused(&e) => Verdict::Refused,
            Err(_) => Verdict::Unknown,
        })
    };
    tokio::time::timeout(timeout.saturating_mul(2), attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or(Verdict::Unknown)
}

/// Unknown user, wrong authentication key or wrong privacy key: an
/// unauthenticated probe under the user's name tells the first; for a
/// known user, a request with authentication only tells the other two
/// apart. After [`Failure::Silence`], the user's own request is tried once
/// more first: an answer now means a slow agent, not a wrong key.
async fn usm_diagnosis(
    addr: SocketAddr,
    u: &Usm,
    failure: Failure,
    req_id: i32,
    timeout: Duration,
) -> Option<String> {
    let known = super::usm::user_known(addr, &u.user, req_id, timeout).await?;
    if !known {
        return Some("unknown user (usmStatsUnknownUserNames)".into());
    }
    let wrong_auth = "wrong authentication key or protocol";
    let wrong_priv = "wrong privacy key or protocol";
    match (&u.auth, &u.privacy, failure) {
        (None, _, Failure::Refused) => {
            Some("the user needs authentication (noAuthNoPriv refused)".into())
        }
        (Some(_), None, Failure::Refused) => Some(wrong_auth.into()),
        (Some(_), Some(_), _) => {
            let auth_only = Usm {
                privacy: None,
                ..u.clone()
            };
            match try_user(addr, &auth_only, req_id.wrapping_add(2), timeout).await {
                Verdict::Refused => Some(wrong_auth.into()),
                Verdict::Authenticated if failure == Failure::Refused => Some(wrong_priv.into()),
                Verdict::Authenticated => {
                    match try_user(addr, u, req_id.wrapping_add(4), timeout).await {
                        Verdict::Authenticated => None,
                        _ => Some(format!(
                            "{wrong_priv} (the agent leaves what it cannot decrypt unanswered)"
                        )),
                    }
                }
                Verdict::Unknown => None,
            }
        }
        _ => None,
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_request_bound_covers_the_longest_oids() {
        // the longest OIDs a walk keeps: 128 arcs, the largest values
        let long: Vec<u64> = [1, 3, 6, 1].into_iter().chain([u64::MAX; 124]).collect();
        let oids = vec![long, vec![u64::MAX; 128]];
        let bound = super::request_bound(&oids);
        let refs: Vec<&[u64]> = oids.iter().map(Vec::as_slice).collect();
        let msg = crate::probe::ber::encode_request(
            snmp2::Version::V2C,
            b"public",
            1,
            crate::probe::ber::RequestKind::Get,
            &refs,
        );
        assert!(bound >= msg.len(), "{bound} < {}", msg.len());
        assert!(super::request_bound(&vec![vec![1; 128]; 60]) > super::MAX_MESSAGE);
    }
}
