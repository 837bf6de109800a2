//! One SNMP agent: GET, GETNEXT and GETBULK with timeouts and retries,
//! owned results, and PDU, varbind and byte counts.
//!
//! v1 and v2c go over a socket of our own: requests are encoded here and
//! answers decoded by snmp2, so every datagram's size is known, and a late
//! answer to an earlier request (another request id) is skipped rather than
//! failing the exchange. SNMPv3 goes through snmp2's `AsyncSession`, which
//! does USM (engine discovery, keys, authentication, privacy); a timed-out
//! v3 request gets a fresh session, so a late answer is never taken for the
//! next one. snmp2 does not expose the v3 datagrams, so v3 bytes are not
//! counted.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use snmp2::v3::{Auth, AuthProtocol, Cipher, Security};
use snmp2::{AsyncSession, MessageType, Oid, Pdu, Value, Version};
use tokio::net::UdpSocket;

use super::snmp::{encode_request, RequestKind, SNMP_PORT};

/// An SNMP value, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Int(i64),
    Bytes(Vec<u8>),
    Oid(Vec<u64>),
    Ticks(u32),
    Counter(u64),
    Gauge(u32),
    Ip([u8; 4]),
    Null,
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
    /// A type we do not decode.
    Other,
}

impl Val {
    fn from_value(v: &Value<'_>) -> Val {
        match v {
            Value::Integer(n) => Val::Int(*n),
            Value::OctetString(b) => Val::Bytes(b.to_vec()),
            Value::ObjectIdentifier(o) => {
                Val::Oid(o.iter().map(Iterator::collect).unwrap_or_default())
            }
            Value::Timeticks(t) => Val::Ticks(*t),
            Value::Counter32(c) => Val::Counter(u64::from(*c)),
            Value::Counter64(c) => Val::Counter(*c),
            Value::Unsigned32(g) => Val::Gauge(*g),
            Value::IpAddress(a) => Val::Ip(*a),
            Value::Null => Val::Null,
            Value::NoSuchObject => Val::NoSuchObject,
            Value::NoSuchInstance => Val::NoSuchInstance,
            Value::EndOfMibView => Val::EndOfMibView,
            _ => Val::Other,
        }
    }

    /// True for the v2c exceptions (no such object/instance, end of view).
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            Val::NoSuchObject | Val::NoSuchInstance | Val::EndOfMibView
        )
    }

    /// The value as an integer, where it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Val::Int(n) => Some(*n),
            Val::Ticks(n) | Val::Gauge(n) => Some(i64::from(*n)),
            Val::Counter(n) => i64::try_from(*n).ok(),
            _ => None,
        }
    }

    /// The value as text: strings lossily decoded, numbers and OIDs printed.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Val::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Val::Oid(o) => Some(oid_string(o)),
            Val::Ip(a) => Some(std::net::Ipv4Addr::from(*a).to_string()),
            other => other.as_i64().map(|n| n.to_string()),
        }
    }
}

/// Dotted form of an OID.
pub fn oid_string(arcs: &[u64]) -> String {
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// Parse a dotted OID (a leading dot is allowed).
pub fn parse_oid(s: &str) -> Option<Vec<u64>> {
    let s = s.trim().trim_start_matches('.');
    let arcs: Option<Vec<u64>> = s.split('.').map(|a| a.parse().ok()).collect();
    arcs.filter(|a| a.len() >= 2)
}

/// One variable binding, owned.
pub type VarBind = (Vec<u64>, Val);

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

/// Timeouts and retries of the exchanges with one agent.
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    pub timeout: Duration,
    pub retries: u32,
}

/// SNMPv3 USM credentials. Keys are secrets: never printed (Debug elides them).
#[derive(Clone, PartialEq, Eq)]
pub struct Usm {
    pub user: String,
    /// `None`: noAuthNoPriv.
    pub auth: Option<(UsmAuth, String)>,
    /// `None`: no privacy. Needs `auth`.
    pub privacy: Option<(UsmPriv, String)>,
    pub context: String,
}

impl std::fmt::Debug for Usm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Usm")
            .field("user", &self.user)
            .field("auth", &self.auth.as_ref().map(|(p, _)| p))
            .field("privacy", &self.privacy.as_ref().map(|(p, _)| p))
            .finish()
    }
}

/// USM authentication protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsmAuth {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// USM privacy protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsmPriv {
    Des,
    Aes128,
    Aes192,
    Aes256,
}

impl Usm {
    fn security(&self) -> Security {
        let key = self.auth.as_ref().map_or(&[][..], |(_, k)| k.as_bytes());
        let mut s = Security::new(self.user.as_bytes(), key).with_context_name(&self.context);
        if let Some((proto, _)) = &self.auth {
            s = s.with_auth_protocol(match proto {
                UsmAuth::Md5 => AuthProtocol::Md5,
                UsmAuth::Sha1 => AuthProtocol::Sha1,
                UsmAuth::Sha224 => AuthProtocol::Sha224,
                UsmAuth::Sha256 => AuthProtocol::Sha256,
                UsmAuth::Sha384 => AuthProtocol::Sha384,
                UsmAuth::Sha512 => AuthProtocol::Sha512,
            });
        }
        s.with_auth(match (&self.auth, &self.privacy) {
            (None, _) => Auth::NoAuthNoPriv,
            (Some(_), None) => Auth::AuthNoPriv,
            (Some(_), Some((cipher, key))) => Auth::AuthPriv {
                cipher: match cipher {
                    UsmPriv::Des => Cipher::Des,
                    UsmPriv::Aes128 => Cipher::Aes128,
                    UsmPriv::Aes192 => Cipher::Aes192,
                    UsmPriv::Aes256 => Cipher::Aes256,
                },
                privacy_password: key.as_bytes().to_vec(),
            },
        })
    }
}

/// A credential: a community with v1 or v2c, or a USM user (v3).
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Community(Version, String),
    Usm(Usm),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Community(v, _) => write!(f, "Community({v:?}, <secret>)"),
            Credential::Usm(u) => u.fmt(f),
        }
    }
}

impl Credential {
    /// The protocol version the credential speaks.
    pub fn version(&self) -> Version {
        match self {
            Credential::Community(v, _) => *v,
            Credential::Usm(_) => Version::V3,
        }
    }
}

/// Largest datagram we accept (the UDP maximum).
const DATAGRAM_MAX: usize = 65_535;

/// How requests travel: our own socket for communities, snmp2 for USM.
enum Transport {
    Community { socket: UdpSocket, buf: Vec<u8> },
    Usm(Box<AsyncSession>),
}

/// A conversation with one agent under one credential.
pub struct Agent {
    ip: IpAddr,
    cred: Credential,
    opts: SessionOptions,
    session: Option<Transport>,
    req_id: i32,
    /// Requests sent (retries included) and answers received.
    pub pdus_sent: u64,
    pub pdus_received: u64,
    /// Varbinds received.
    pub varbinds: u64,
    /// UDP payload bytes sent and received (v1/v2c; zero for v3).
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

impl Agent {
    /// An agent at `ip` spoken to with `cred`.
    pub fn new(ip: IpAddr, cred: Credential, opts: SessionOptions, req_id: i32) -> Agent {
        Agent {
            ip,
            cred,
            opts,
            session: None,
            req_id,
            pdus_sent: 0,
            pdus_received: 0,
            varbinds: 0,
            bytes_sent: 0,
            bytes_received: 0,
        }
    }

    /// A second conversation with the same agent and credential (its own
    /// socket), for reading slices of a big table side by side.
    pub fn sibling(&self, n: i32) -> Agent {
        let req_id = self.req_id.wrapping_add(n.wrapping_mul(50_000));
        Agent::new(self.ip, self.cred.clone(), self.opts, req_id)
    }

    /// Add a sibling's counters to this agent's.
    pub fn absorb(&mut self, other: &Agent) {
        self.pdus_sent += other.pdus_sent;
        self.pdus_received += other.pdus_received;
        self.varbinds += other.varbinds;
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
    }

    /// The SNMP version in use.
    pub fn version(&self) -> Version {
        self.cred.version()
    }

    async fn session(&mut self) -> Result<&mut Transport, AgentError> {
        if self.session.is_none() {
            let addr = SocketAddr::new(self.ip, SNMP_PORT);
            self.req_id = self.req_id.wrapping_add(1000);
            let transport = match &self.cred {
                Credential::Community(..) => {
                    let local: IpAddr = match self.ip {
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
                    Transport::Community {
                        socket,
                        buf: vec![0; DATAGRAM_MAX],
                    }
                }
                Credential::Usm(u) => {
                    let mut session = AsyncSession::new_v3(addr, self.req_id, u.security())
                        .await
                        .map_err(|_| AgentError::NoAgent)?;
                    // engine discovery (and time synchronisation) before the first request
                    self.pdus_sent += 1;
                    match tokio::time::timeout(self.opts.timeout, session.init()).await {
                        Err(_) => return Err(AgentError::Timeout),
                        Ok(Err(snmp2::Error::Receive | snmp2::Error::Send)) => {
                            return Err(AgentError::NoAgent)
                        }
                        Ok(Err(e)) => return Err(AgentError::Garbage(format!("{e:?}"))),
                        Ok(Ok(())) => self.pdus_received += 1,
                    }
                    Transport::Usm(Box::new(session))
                }
            };
            self.session = Some(transport);
        }
        self.session.as_mut().ok_or(AgentError::NoAgent)
    }

    /// One request with retries; the answer's varbinds, owned.
    async fn request(
        &mut self,
        kind: RequestKind,
        oids: &[Vec<u64>],
    ) -> Result<Vec<VarBind>, AgentError> {
        let timeout = self.opts.timeout;
        let mut last = AgentError::Timeout;
        // v1/v2c: one request id for all tries, so a late answer to the
        // first try still answers the retry
        self.req_id = self.req_id.wrapping_add(1);
        let req_id = self.req_id;
        for _ in 0..=self.opts.retries {
            self.pdus_sent += 1;
            let cred = self.cred.clone();
            let (mut sent, mut received) = (0, 0);
            let session = self.session().await?;
            let fut = async {
                match (session, &cred) {
                    (Transport::Community { socket, buf }, Credential::Community(v, c)) => {
                        let refs: Vec<&[u64]> = oids.iter().map(Vec::as_slice).collect();
                        let msg = encode_request(*v, c.as_bytes(), req_id, kind, &refs);
                        socket.send(&msg).await.map_err(|_| AgentError::NoAgent)?;
                        sent += msg.len() as u64;
                        loop {
                            let n = socket.recv(buf).await.map_err(|_| AgentError::NoAgent)?;
                            received += n as u64;
                            let data = buf.get(..n).unwrap_or_default();
                            let pdu = Pdu::from_bytes(data)
                                .map_err(|e| AgentError::Garbage(format!("{e:?}")))?;
                            // an answer to an earlier request, or not for us
                            if pdu.message_type == MessageType::Response
                                && pdu.req_id == req_id
                                && pdu.community == c.as_bytes()
                            {
                                return owned(&pdu);
                            }
                        }
                    }
                    (Transport::Usm(session), _) => {
                        let oids: Vec<Oid<'static>> = oids
                            .iter()
                            .map(|o| {
                                Oid::from(o).map_err(|_| {
                                    AgentError::Garbage(format!("bad OID {}", oid_string(o)))
                                })
                            })
                            .collect::<Result<_, _>>()?;
                        let refs: Vec<&Oid<'static>> = oids.iter().collect();
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
                            Ok(p) => owned(&p),
                            Err(snmp2::Error::Receive | snmp2::Error::Send) => {
                                Err(AgentError::NoAgent)
                            }
                            Err(e) => Err(AgentError::Garbage(format!("{e:?}"))),
                        }
                    }
                    _ => Err(AgentError::NoAgent),
                }
            };
            let outcome = tokio::time::timeout(timeout, fut).await;
            self.bytes_sent += sent;
            self.bytes_received += received;
            match outcome {
                Ok(Err(AgentError::NoAgent)) => return Err(AgentError::NoAgent),
                Ok(Err(AgentError::Garbage(e))) => {
                    // a mangled datagram: try again (v3 on a new socket)
                    last = AgentError::Garbage(e);
                    self.drop_usm_session();
                }
                Ok(answer) => {
                    self.pdus_received += 1;
                    if let Ok(vbs) = &answer {
                        self.varbinds += vbs.len() as u64;
                    }
                    return answer;
                }
                Err(_) => {
                    last = AgentError::Timeout;
                    self.drop_usm_session();
                }
            }
        }
        Err(last)
    }

    /// snmp2 cannot skip a stale answer: a v3 session that timed out or
    /// read garbage is replaced by a new one.
    fn drop_usm_session(&mut self) {
        if matches!(self.session, Some(Transport::Usm(_))) {
            self.session = None;
        }
    }

    /// GET; objects the agent lacks come back as exceptions (v2c) or are
    /// left out (v1, whose noSuchName fails the whole PDU: the object is
    /// dropped and the rest asked again).
    pub async fn get(&mut self, oids: &[Vec<u64>]) -> Result<Vec<VarBind>, AgentError> {
        let mut oids = oids.to_vec();
        loop {
            if oids.is_empty() {
                return Ok(Vec::new());
            }
            match self.request(RequestKind::Get, &oids).await {
                Err(AgentError::Status { status: 2, index })
                    if index >= 1 && (index as usize) <= oids.len() =>
                {
                    oids.remove(index as usize - 1);
                }
                other => return other,
            }
        }
    }

    /// The next object after each of `oids` (one GETNEXT each in v1, one
    /// GETBULK with only non-repeaters in v2c).
    pub async fn next_each(&mut self, oids: &[Vec<u64>]) -> Result<Vec<VarBind>, AgentError> {
        if oids.is_empty() {
            return Ok(Vec::new());
        }
        if self.version() == Version::V1 {
            let mut out = Vec::with_capacity(oids.len());
            for o in oids {
                match self
                    .request(RequestKind::GetNext, std::slice::from_ref(o))
                    .await
                {
                    Ok(mut vb) => out.append(&mut vb),
                    Err(AgentError::Status { status: 2, .. }) => {
                        out.push((o.clone(), Val::EndOfMibView));
                    }
                    Err(e) => return Err(e),
                }
            }
            return Ok(out);
        }
        let kind = RequestKind::GetBulk {
            non_repeaters: oids.len() as u32,
            max_repetitions: 0,
        };
        self.request(kind, oids).await
    }

    /// One GETBULK (v2c/v3) of `oids` with `max_repetitions`.
    pub async fn bulk(
        &mut self,
        oids: &[Vec<u64>],
        max_repetitions: u32,
    ) -> Result<Vec<VarBind>, AgentError> {
        let kind = RequestKind::GetBulk {
            non_repeaters: 0,
            max_repetitions,
        };
        self.request(kind, oids).await
    }

    /// Up to `rows` objects following `column` (GETBULK in v2c, GETNEXTs
    /// in v1), stopping at the end of the column's subtree.
    pub async fn column(&mut self, column: &[u64], rows: u32) -> Result<Vec<VarBind>, AgentError> {
        let mut out = Vec::new();
        let mut cursor = column.to_vec();
        while (out.len() as u32) < rows {
            let batch = if self.version() == Version::V1 {
                self.next_each(std::slice::from_ref(&cursor)).await?
            } else {
                let kind = RequestKind::GetBulk {
                    non_repeaters: 0,
                    max_repetitions: (rows - out.len() as u32).min(50),
                };
                self.request(kind, std::slice::from_ref(&cursor)).await?
            };
            let before = out.len();
            for (oid, val) in batch {
                // stop on leaving the column, at its end, or on a non-increasing OID
                if !oid.starts_with(column) || val.is_exception() || oid <= cursor {
                    return Ok(out);
                }
                cursor = oid.clone();
                out.push((oid, val));
            }
            if out.len() == before {
                break;
            }
        }
        Ok(out)
    }
}

/// Copy a response out of the session's buffer; error statuses become errors.
fn owned(pdu: &Pdu<'_>) -> Result<Vec<VarBind>, AgentError> {
    if pdu.error_status != 0 {
        return Err(AgentError::Status {
            status: pdu.error_status,
            index: pdu.error_index,
        });
    }
    Ok(pdu
        .varbinds
        .clone()
        .map(|(oid, v)| {
            let arcs: Vec<u64> = oid.iter().map(Iterator::collect).unwrap_or_default();
            (arcs, Val::from_value(&v))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_parse_and_print() {
        assert_eq!(
            parse_oid(".1.3.6.1.2.1.1.2.0"),
            Some(vec![1, 3, 6, 1, 2, 1, 1, 2, 0])
        );
        assert_eq!(parse_oid("1.3.6.x"), None);
        assert_eq!(parse_oid("1"), None);
        assert_eq!(oid_string(&[1, 3, 6]), "1.3.6");
    }

    #[test]
    fn values_convert() {
        assert_eq!(Val::Gauge(7).as_i64(), Some(7));
        assert_eq!(
            Val::Bytes(b"abc".to_vec()).as_text().as_deref(),
            Some("abc")
        );
        assert_eq!(Val::Oid(vec![1, 3, 6]).as_text().as_deref(), Some("1.3.6"));
        assert!(Val::NoSuchInstance.is_exception());
        assert_eq!(Val::Null.as_text(), None);
    }
}
