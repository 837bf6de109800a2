//! Probes: everything that sends a packet lives here, and nothing here prints.

pub mod agent;
pub mod ber;
pub mod budget;
pub mod credential;
pub mod echo;
pub mod exchange;
#[cfg(test)]
pub mod fake;
pub mod icmp;
pub mod snmp;
pub mod sweep;
pub mod tcp;
pub mod usm;
pub mod value;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::event::Cancel;

/// Run `work` on every item of a stream (items may still be arriving while
/// earlier ones run), at most `limit` at once and started at most
/// `rate` per second, handing each result to `done` as it comes in. Stops
/// starting new work once cancelled; work already started finishes.
pub async fn for_each_bounded<T, R, Fut>(
    mut items: impl futures::Stream<Item = T> + Unpin,
    limit: usize,
    rate: u32,
    cancel: &Cancel,
    work: impl Fn(T) -> Fut,
    mut done: impl FnMut(R),
) where
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    let mut pacer = Pacer::new(rate);
    let mut tasks = tokio::task::JoinSet::new();
    while let Some(item) = futures::StreamExt::next(&mut items).await {
        if cancel.is_cancelled() {
            break;
        }
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        pacer.tick().await;
        let fut = work(item);
        tasks.spawn(async move {
            let _permit = permit;
            fut.await
        });
        while let Some(Ok(r)) = tasks.try_join_next() {
            done(r);
        }
    }
    while let Some(r) = tasks.join_next().await {
        if let Ok(r) = r {
            done(r);
        }
    }
}

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
