//! Progress events: the probes report what they do on a channel, and only
//! the CLI's `ui` turns them into anything visible.

use std::net::IpAddr;

use tokio::sync::{mpsc, watch};

/// A stage of the scan, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// ICMP echo (+ SNMP GET) to every target address.
    Sweep,
    /// Second and later sweep passes over the addresses that did not answer.
    Retry,
    /// TCP connect probes for hosts that filter ICMP.
    Tcp,
    /// SNMP identity of found hosts that the sweep did not identify.
    Snmp,
    /// `--count` echoes per found host for RTT and loss.
    Echo,
}

impl Phase {
    /// Short label for progress bars.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Sweep => "sweep",
            Phase::Retry => "retry",
            Phase::Tcp => "tcp",
            Phase::Snmp => "snmp",
            Phase::Echo => "echo",
        }
    }
}

/// What a running scan reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started {
        phase: Phase,
        total: u64,
    },
    Advanced {
        phase: Phase,
        by: u64,
    },
    Found {
        ip: IpAddr,
        by: &'static str,
    },
    Finished {
        phase: Phase,
    },
    /// A crawl round starts: `frontier` new addresses the devices know of.
    Crawl {
        depth: u32,
        frontier: u64,
    },
}

/// Sending side of the event channel; a scan without a listener is fine.
#[derive(Debug, Clone, Default)]
pub struct Events(Option<mpsc::UnboundedSender<Event>>);

impl Events {
    /// A sink and the receiver that the UI drains.
    pub fn channel() -> (Events, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Events(Some(tx)), rx)
    }

    /// Report an event (dropped when nobody listens).
    pub fn emit(&self, e: Event) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(e);
        }
    }
}

/// Cooperative cancellation (Ctrl-C): probes stop sending and return what
/// they have, so partial results can still be written.
#[derive(Debug, Clone)]
pub struct Cancel(watch::Receiver<bool>);

impl Cancel {
    /// A handle to trigger cancellation and the token the scan watches.
    pub fn new() -> (watch::Sender<bool>, Cancel) {
        let (tx, rx) = watch::channel(false);
        (tx, Cancel(rx))
    }

    /// True once cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves when cancellation is requested (never if the sender is gone
    /// without cancelling).
    pub async fn cancelled(&self) {
        let mut rx = self.0.clone();
        loop {
            if *rx.borrow_and_update() {
                return;
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
