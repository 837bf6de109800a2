//! A device's time budget, charged with its own slowness only.
//!
//! Devices are independent on most networks. Where they are not (many
//! addresses served by one agent process, a proxy, a management VLAN behind
//! one slow firewall) every device's answers queue behind the others', and
//! a wall-clock budget per device would cut most of them off half read
//! through no fault of theirs. So each answer is charged with what it took
//! beyond what the other devices' answers take right now (the median of the
//! crowd's recent latencies), and an answer faster than that gives the
//! difference back (never beyond the whole budget): a device as fast as the
//! crowd spends about nothing, however long the queue. A device alone, or
//! with no crowd yet, is charged its whole latency; a request that times
//! out is charged its whole wait, and a spent budget stays spent. A stalled or slow device still meets its budget; a device
//! waiting its turn does not. A wall-clock cap (a multiple of the budget)
//! bounds everything.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// Recent answers remembered across devices.
const RECENT: usize = 512;
/// Fewer answers from other devices than this are no crowd.
const CROWD: usize = 16;
/// A request's timeout is at least this many times the crowd's median.
const QUEUE_TIMEOUT: u32 = 4;

/// The latencies of recent answers, across every device of the phase.
#[derive(Default)]
pub struct Crowd {
    recent: Mutex<VecDeque<(IpAddr, Duration)>>,
}

impl Crowd {
    pub fn new() -> Arc<Crowd> {
        Arc::new(Crowd::default())
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<(IpAddr, Duration)>> {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One answer of `ip` took `latency`.
    pub fn observe(&self, ip: IpAddr, latency: Duration) {
        let mut r = self.lock();
        if r.len() == RECENT {
            r.pop_front();
        }
        r.push_back((ip, latency));
    }

    /// The median latency of every device's recent answers, if there were
    /// enough of them.
    pub fn typical(&self) -> Option<Duration> {
        median(self.lock().iter().map(|x| x.1).collect())
    }

    /// How long to wait for one answer: the configured timeout, or longer
    /// when the crowd's answers queue (four times their median), so a
    /// queue is not mistaken for loss and retries do not lengthen it.
    pub fn timeout(&self, configured: Duration) -> Duration {
        self.typical().map_or(configured, |t| {
            configured.max(t.saturating_mul(QUEUE_TIMEOUT))
        })
    }

    /// The median latency of the other devices' recent answers, if there
    /// were enough of them.
    pub fn typical_except(&self, ip: IpAddr) -> Option<Duration> {
        median(
            self.lock()
                .iter()
                .filter(|(i, _)| *i != ip)
                .map(|x| x.1)
                .collect(),
        )
    }
}

/// The median of enough latencies to be a crowd.
fn median(mut v: Vec<Duration>) -> Option<Duration> {
    if v.len() < CROWD {
        return None;
    }
    let mid = v.len() / 2;
    Some(*v.select_nth_unstable(mid).1)
}

/// Most varbinds one device's collection reads: a chassis of 10,000
/// ports with every column read is well under it; an agent inventing rows
/// for ever is not.
pub const DEVICE_VARBINDS: u64 = 2_000_000;
/// Most bytes of answers one device's collection reads (v1/v2c; v3
/// answers are counted in varbinds only).
pub const DEVICE_BYTES: u64 = 256 << 20;

/// One device's budget, shared by its sessions (the slices of a big table).
#[derive(Clone)]
pub struct Budget {
    left_ns: Arc<AtomicU64>,
    limit_ns: u64,
    crowd: Arc<Crowd>,
    /// The wall-clock cap.
    cap: Instant,
    /// Varbinds and bytes read so far, by every session of the device.
    volume: Arc<(AtomicU64, AtomicU64)>,
}

impl Budget {
    /// `limit` of the device's own slowness, and never past `cap`.
    pub fn new(limit: Duration, crowd: Arc<Crowd>, cap: Instant) -> Budget {
        let limit_ns = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        Budget {
            left_ns: Arc::new(AtomicU64::new(limit_ns)),
            limit_ns,
            crowd,
            cap,
            volume: Arc::new((AtomicU64::new(0), AtomicU64::new(0))),
        }
    }

    /// Take `spent` and give back `refund`; a spent budget stays spent.
    fn charge(&self, spent: Duration, refund: Duration) {
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let (spent, refund) = (ns(spent), ns(refund));
        let _ = self
            .left_ns
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                Some(if left == 0 {
                    0
                } else if spent >= refund {
                    left.saturating_sub(spent - refund)
                } else {
                    left.saturating_add(refund - spent).min(self.limit_ns)
                })
            });
    }

    /// An answer of `ip` after `latency`, against the crowd's; a session
    /// waiting beside `share - 1` others of the device is charged its share.
    pub fn answered(&self, ip: IpAddr, latency: Duration, share: u32) {
        let typical = self.crowd.typical_except(ip).unwrap_or(Duration::ZERO);
        self.crowd.observe(ip, latency);
        let share = share.max(1);
        self.charge(latency / share, typical / share);
    }

    /// A try that got no answer: its whole wait is the device's.
    pub fn unanswered(&self, waited: Duration) {
        self.charge(waited, Duration::ZERO);
    }

    /// How long to wait for one answer (see [`Crowd::timeout`]).
    pub fn timeout(&self, configured: Duration) -> Duration {
        self.crowd.timeout(configured)
    }

    /// An answer of `varbinds` in `bytes` was read.
    pub fn read(&self, varbinds: u64, bytes: u64) {
        self.volume.0.fetch_add(varbinds, Ordering::Relaxed);
        self.volume.1.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Spent, or past the cap.
    pub fn spent(&self) -> bool {
        self.why_spent().is_some()
    }

    /// Which of the device's budgets ran out, if one did.
    pub fn why_spent(&self) -> Option<&'static str> {
        if self.left_ns.load(Ordering::Relaxed) == 0 || Instant::now() >= self.cap {
            Some("time budget exhausted")
        } else if self.volume.0.load(Ordering::Relaxed) >= DEVICE_VARBINDS {
            Some("varbind budget exhausted (2,000,000 read)")
        } else if self.volume.1.load(Ordering::Relaxed) >= DEVICE_BYTES {
            Some("byte budget exhausted (256 MiB read)")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_agent_that_never_stops_sending_runs_out_of_varbinds_or_bytes() {
        let cap = Instant::now() + Duration::from_secs(100);
        let b = Budget::new(Duration::from_secs(10), Crowd::new(), cap);
        let sibling = b.clone();
        b.read(DEVICE_VARBINDS - 1, 10);
        assert_eq!(b.why_spent(), None);
        sibling.read(1, 10);
        assert_eq!(
            b.why_spent(),
            Some("varbind budget exhausted (2,000,000 read)")
        );
        let c = Budget::new(Duration::from_secs(10), Crowd::new(), cap);
        c.read(1, DEVICE_BYTES);
        assert!(c.why_spent().is_some_and(|w| w.starts_with("byte budget")));
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, n])
    }

    #[tokio::test(start_paused = true)]
    async fn a_device_queued_with_the_crowd_is_charged_nothing() {
        let crowd = Crowd::new();
        let cap = Instant::now() + Duration::from_secs(100);
        let b = Budget::new(Duration::from_secs(1), crowd.clone(), cap);
        // 20 other devices answer in 300 ms (one agent serving them all)
        for n in 10..30 {
            crowd.observe(ip(n), Duration::from_millis(300));
        }
        // so does ours, a hundred times: 30 s of waiting, none of it its own
        for _ in 0..100 {
            b.answered(ip(1), Duration::from_millis(300), 1);
        }
        assert!(!b.spent());
        // faster than the crowd gives back, never beyond the budget
        b.answered(ip(1), Duration::from_millis(1), 1);
        // slower than the crowd by 200 ms a request: spent in five
        for _ in 0..5 {
            b.answered(ip(1), Duration::from_millis(500), 1);
        }
        assert!(b.spent());
    }

    #[tokio::test(start_paused = true)]
    async fn alone_or_stalled_every_wait_counts_and_the_cap_holds() {
        let crowd = Crowd::new();
        let cap = Instant::now() + Duration::from_secs(5);
        let alone = Budget::new(Duration::from_millis(150), crowd.clone(), cap);
        alone.answered(ip(1), Duration::from_millis(100), 1);
        assert!(!alone.spent());
        alone.answered(ip(1), Duration::from_millis(100), 1);
        assert!(alone.spent(), "no crowd: the whole latency is its own");
        let stalled = Budget::new(Duration::from_secs(3), crowd, cap);
        stalled.unanswered(Duration::from_secs(2));
        assert!(!stalled.spent());
        stalled.unanswered(Duration::from_secs(2));
        assert!(stalled.spent());
        let queued = Crowd::new();
        for n in 0..20 {
            queued.observe(ip(n), Duration::from_millis(700));
        }
        let b = Budget::new(Duration::from_secs(3), queued, cap);
        assert_eq!(
            b.timeout(Duration::from_secs(1)),
            Duration::from_millis(2800)
        );
        assert_eq!(
            alone.timeout(Duration::from_secs(1)),
            Duration::from_secs(1)
        );
        let capped = Budget::new(Duration::from_secs(3600), Crowd::new(), cap);
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(capped.spent(), "the wall-clock cap");
    }
}
