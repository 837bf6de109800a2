//! One SNMP agent: GET, GETNEXT and GETBULK with timeouts and retries,
//! owned results, and PDU, varbind and byte counts.
//!
//! The requests travel through an [`Exchange`] opened by a [`Network`]
//! (`probe::exchange`: our own UDP socket for v1/v2c, snmp2's USM session
//! for v3; a recording in tests). What needs judgement is here: one request
//! id for all tries of a request, so a late answer to the first try still
//! answers the retry, while an answer to an earlier request (another
//! request id) is skipped rather than failing the exchange; a transport
//! that cannot skip stale answers (v3) is replaced after a failure.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use snmp2::Version;

use super::ber::RequestKind;
use super::budget::Budget;
pub use super::credential::{Credential, Usm, UsmAuth, UsmPriv};
pub use super::exchange::AgentError;
use super::exchange::{Exchange, Failure, Network, Reply, Request, Udp};
pub use super::value::{Val, VarBind};

/// Timeouts and retries of the exchanges with one agent.
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    pub timeout: Duration,
    pub retries: u32,
}

/// A conversation with one agent under one credential.
pub struct Agent {
    ip: IpAddr,
    cred: Credential,
    opts: SessionOptions,
    network: Arc<dyn Network>,
    exchange: Option<Box<dyn Exchange>>,
    req_id: i32,
    /// Requests sent (retries and SNMPv3 engine discovery included) and
    /// answers received.
    pub pdus_sent: u64,
    pub pdus_received: u64,
    /// Varbinds received.
    pub varbinds: u64,
    /// UDP payload bytes sent and received (v1/v2c; zero for v3).
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Charged with the device's own slowness, when it has one.
    budget: Option<Budget>,
    /// Sessions of the device waiting side by side (slices of a big
    /// table): each is charged this share of its waits.
    share: u32,
    /// An SNMPv3 engine answered discovery (so silence after it is worth
    /// a diagnosis).
    discovered: bool,
}

impl Agent {
    /// An agent at `ip` spoken to with `cred`, over the machine's network.
    pub fn new(ip: IpAddr, cred: Credential, opts: SessionOptions, req_id: i32) -> Agent {
        Agent::over(Arc::new(Udp), ip, cred, opts, req_id)
    }

    /// An agent reached through `network` (a test double in tests).
    pub fn over(
        network: Arc<dyn Network>,
        ip: IpAddr,
        cred: Credential,
        opts: SessionOptions,
        req_id: i32,
    ) -> Agent {
        Agent {
            ip,
            cred,
            opts,
            network,
            exchange: None,
            req_id,
            pdus_sent: 0,
            pdus_received: 0,
            varbinds: 0,
            bytes_sent: 0,
            bytes_received: 0,
            budget: None,
            share: 1,
            discovered: false,
        }
    }

    /// Charge `1 / share` of the waits from now on.
    pub fn set_share(&mut self, share: u32) {
        self.share = share.max(1);
    }

    /// Charge this conversation's waits (and its siblings') to `budget`.
    pub fn set_budget(&mut self, budget: Budget) {
        self.budget = Some(budget);
    }

    /// The device's budget is spent (never, without one).
    pub fn out_of_time(&self) -> bool {
        self.budget.as_ref().is_some_and(Budget::spent)
    }

    /// Which of the device's budgets ran out (time, varbinds, bytes).
    pub fn spent_why(&self) -> Option<&'static str> {
        self.budget.as_ref().and_then(Budget::why_spent)
    }

    /// A second conversation with the same agent and credential (its own
    /// socket), for reading slices of a big table side by side.
    pub fn sibling(&self, n: i32) -> Agent {
        let req_id = self.req_id.wrapping_add(n.wrapping_mul(50_000));
        let mut sibling = Agent::over(
            self.network.clone(),
            self.ip,
            self.cred.clone(),
            self.opts,
            req_id,
        );
        sibling.budget.clone_from(&self.budget);
        sibling
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

    /// The exchange, opened on first use (SNMPv3 engine discovery counts as
    /// one request and its answer).
    async fn exchange(&mut self) -> Result<&mut Box<dyn Exchange>, AgentError> {
        if self.exchange.is_none() {
            self.req_id = self.req_id.wrapping_add(1000);
            let usm = matches!(self.cred, Credential::Usm(_));
            if usm {
                self.pdus_sent += 1;
            }
            let opened = self
                .network
                .open(self.ip, &self.cred, self.req_id, self.opts.timeout)
                .await?;
            if usm {
                self.pdus_received += 1;
                self.discovered = true;
            }
            self.exchange = Some(opened);
        }
        self.exchange.as_mut().ok_or(AgentError::NoAgent)
    }

    /// One request with retries; the answer's varbinds, owned.
    async fn request(
        &mut self,
        kind: RequestKind,
        oids: &[Vec<u64>],
    ) -> Result<Vec<VarBind>, AgentError> {
        let timeout = self
            .budget
            .as_ref()
            .map_or(self.opts.timeout, |b| b.timeout(self.opts.timeout));
        let mut last = AgentError::Timeout;
        // one request id for all tries, so a late answer to the first try
        // still answers the retry
        self.req_id = self.req_id.wrapping_add(1);
        let req_id = self.req_id;
        let user = match &self.cred {
            Credential::Usm(u) => u.user.clone(),
            Credential::Community(..) => String::new(),
        };
        for _ in 0..=self.opts.retries {
            self.pdus_sent += 1;
            let exchange = self.exchange().await?;
            let before = exchange.bytes();
            let sent = tokio::time::Instant::now();
            let fut = async {
                exchange.send(Request { kind, oids, req_id }).await?;
                loop {
                    let reply = exchange.recv().await?;
                    // an answer to an earlier request: skip it
                    if reply.req_id == req_id {
                        return Ok(reply);
                    }
                }
            };
            let outcome = tokio::time::timeout(timeout, fut).await;
            let spoiled = exchange.spoiled_by_failure();
            if let (Some((s0, r0)), Some((s1, r1))) = (before, exchange.bytes()) {
                self.bytes_sent += s1.saturating_sub(s0);
                self.bytes_received += r1.saturating_sub(r0);
                if let Some(b) = &self.budget {
                    b.read(0, r1.saturating_sub(r0));
                }
            }
            match outcome {
                Ok(Err(AgentError::NoAgent)) => return Err(AgentError::NoAgent),
                Ok(Err(AgentError::Refused(why))) => {
                    // definite: no retry; the agent's own reports say why
                    self.exchange = None;
                    let why = self
                        .diagnose(Failure::Refused, timeout)
                        .await
                        .unwrap_or(why);
                    return Err(AgentError::Refused(format!(
                        "authentication failed for SNMPv3 user '{user}': {why}"
                    )));
                }
                Ok(Err(e)) => {
                    // a mangled datagram: try again (v3 on a new session)
                    if let Some(b) = &self.budget {
                        b.unanswered(sent.elapsed() / self.share);
                    }
                    last = e;
                    if spoiled {
                        self.exchange = None;
                    }
                }
                Ok(Ok(reply)) => {
                    if let Some(b) = &self.budget {
                        b.answered(self.ip, sent.elapsed(), self.share);
                    }
                    self.pdus_received += 1;
                    self.varbinds += reply.varbinds.len() as u64;
                    if let Some(b) = &self.budget {
                        b.read(reply.varbinds.len() as u64, 0);
                    }
                    return owned(reply);
                }
                Err(_) => {
                    if let Some(b) = &self.budget {
                        b.unanswered(timeout / self.share);
                    }
                    last = AgentError::Timeout;
                    if spoiled {
                        self.exchange = None;
                    }
                }
            }
        }
        // an SNMPv3 engine that answered discovery, then nothing: perhaps
        // it drops what it cannot decrypt (a wrong privacy key)
        if last == AgentError::Timeout && self.discovered {
            if let Some(why) = self.diagnose(Failure::Silence, timeout).await {
                return Err(AgentError::Refused(format!(
                    "authentication failed for SNMPv3 user '{user}': {why}"
                )));
            }
        }
        Err(last)
    }

    /// Ask the network why the agent did not take the credential (counted
    /// as two requests: the probes).
    async fn diagnose(&mut self, failure: Failure, timeout: Duration) -> Option<String> {
        self.pdus_sent += 2;
        self.req_id = self.req_id.wrapping_add(16);
        self.network
            .diagnose(self.ip, &self.cred, failure, self.req_id, timeout)
            .await
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

/// An answer's varbinds; error statuses become errors.
fn owned(reply: Reply) -> Result<Vec<VarBind>, AgentError> {
    if reply.error_status != 0 {
        return Err(AgentError::Status {
            status: reply.error_status,
            index: reply.error_index,
        });
    }
    Ok(reply.varbinds)
}
