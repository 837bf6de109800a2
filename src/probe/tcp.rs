//! TCP connect probe (nmap's -PS idea): a host that filters ICMP usually
//! still answers a SYN, with SYN-ACK (open) or RST (closed). Either proves
//! it is there.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::event::{Cancel, Event, Events, Phase};

/// Hosts probed at once; each holds one socket per port.
const TCP_CONCURRENCY: usize = 1024;

/// The first port of `ports` on which `ip` answered, if any.
pub async fn probe_host(ip: IpAddr, ports: &[u16], timeout: Duration) -> Option<u16> {
    let tries = ports.iter().map(|&port| async move {
        let addr = SocketAddr::new(ip, port);
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(_)) => Some(port),
            Ok(Err(e)) if e.kind() == ErrorKind::ConnectionRefused => Some(port),
            _ => None,
        }
    });
    futures::future::join_all(tries)
        .await
        .into_iter()
        .flatten()
        .next()
}

/// Probe every address of `hosts` on `ports`, paced at `rate` hosts/s.
pub async fn sweep(
    hosts: impl Iterator<Item = IpAddr>,
    total: u64,
    ports: &[u16],
    timeout: Duration,
    rate: u32,
    events: &Events,
    cancel: &Cancel,
) -> HashMap<IpAddr, u16> {
    let mut out = HashMap::new();
    events.emit(Event::Started {
        phase: Phase::Tcp,
        total,
    });
    let ports: Arc<[u16]> = ports.into();
    super::for_each_bounded(
        futures::stream::iter(hosts),
        TCP_CONCURRENCY,
        rate,
        cancel,
        |ip| {
            let ports = ports.clone();
            async move { (ip, probe_host(ip, &ports, timeout).await) }
        },
        |(ip, port)| {
            events.emit(Event::Advanced {
                phase: Phase::Tcp,
                by: 1,
            });
            if let Some(port) = port {
                events.emit(Event::Found { ip, by: "tcp" });
                out.insert(ip, port);
            }
        },
    )
    .await;
    events.emit(Event::Finished { phase: Phase::Tcp });
    out
}
