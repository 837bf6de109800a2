//! Probes: everything that sends a packet lives here, and nothing here prints.

pub mod icmp;
pub mod snmp;
pub mod sweep;
pub mod tcp;

use std::time::Duration;

use tokio::time::Instant;

/// Paces sends to a rate. Sleeps only when more than a millisecond ahead
/// (the timer's resolution), so high rates go out in small bursts; a sender
/// that fell behind does not make up for it in one burst larger than that.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Instant,
}

impl Pacer {
    /// A pacer for `rate` events per second (0 is taken as 1).
    pub fn new(rate: u32) -> Pacer {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / f64::from(rate.max(1))),
            next: Instant::now(),
        }
    }

    /// Wait for the next slot.
    pub async fn tick(&mut self) {
        let now = Instant::now();
        let slack = Duration::from_millis(1);
        if self.next > now + slack {
            tokio::time::sleep_until(self.next).await;
        }
        let floor = now.checked_sub(slack).unwrap_or(now);
        self.next = self.next.max(floor) + self.interval;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pacer_holds_the_rate() {
        let mut p = Pacer::new(1000);
        let t0 = Instant::now();
        for _ in 0..500 {
            p.tick().await;
        }
        let took = t0.elapsed();
        assert!(took >= Duration::from_millis(498), "{took:?}");
        assert!(took <= Duration::from_millis(502), "{took:?}");
    }
}
