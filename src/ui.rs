//! Progress on stderr, fed by scan events. Hidden when stderr is not a
//! terminal or with --quiet.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use netcensus::{Event, Phase};
use tokio::sync::mpsc::UnboundedReceiver;

/// The bars being drawn, for the log's stderr writer (a log line goes
/// above them, never through them).
pub static BARS: std::sync::OnceLock<MultiProgress> = std::sync::OnceLock::new();

/// Drain events until the scan drops its sender; draw bars when wanted, and
/// log a line per finished phase (on stderr with -v, in the log file).
pub async fn progress(mut rx: UnboundedReceiver<Event>, quiet: bool) {
    let visible = !quiet && std::io::stderr().is_terminal();
    let mut board = Board::new(if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let _ = BARS.set(board.bars.clone());
    while let Some(e) = rx.recv().await {
        if let Some(line) = board.apply(e) {
            tracing::info!("{line}");
        }
    }
    board.clear();
}

/// One bar per running phase: phases overlap (SNMP identity runs while the
/// echo phase measures loss), and each keeps its own bar until it ends.
struct Board {
    bars: MultiProgress,
    running: BTreeMap<Phase, (Instant, u64, ProgressBar)>,
    style: ProgressStyle,
    found: u64,
}

impl Board {
    fn new(target: ProgressDrawTarget) -> Board {
        let style = ProgressStyle::with_template(
            "{prefix:>6} [{bar:30}] {pos}/{len} {per_sec} eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        Board {
            bars: MultiProgress::with_draw_target(target),
            running: BTreeMap::new(),
            style,
            found: 0,
        }
    }

    /// Take one event; a finished phase yields its summary line.
    fn apply(&mut self, e: Event) -> Option<String> {
        match e {
            Event::Started { phase, total } => {
                let bar = self.bars.add(ProgressBar::new(total));
                bar.set_style(self.style.clone());
                bar.set_prefix(phase.label());
                if let Some((_, _, old)) = self.running.insert(phase, (Instant::now(), total, bar))
                {
                    old.finish_and_clear();
                }
            }
            Event::Advanced { phase, by } => {
                if let Some((_, _, bar)) = self.running.get(&phase) {
                    bar.inc(by);
                }
            }
            Event::Found { .. } => {
                self.found += 1;
                // The count goes on the earliest running phase: the one
                // that finds hosts.
                if let Some((_, _, bar)) = self.running.values().next() {
                    bar.set_message(format!("{} answers", self.found));
                }
            }
            Event::Crawl { depth, frontier } => {
                return Some(format!(
                    "crawl round {depth}: {frontier} new address(es) the devices know of"
                ));
            }
            Event::Finished { phase } => {
                let (t0, total, bar) = self.running.remove(&phase)?;
                bar.finish_and_clear();
                self.bars.remove(&bar);
                return Some(format!(
                    "{} done: {total} in {:.2} s, {} answers so far",
                    phase.label(),
                    t0.elapsed().as_secs_f64(),
                    self.found
                ));
            }
        }
        None
    }

    fn clear(&mut self) {
        for (_, _, bar) in std::mem::take(&mut self.running).into_values() {
            bar.finish_and_clear();
        }
        let _ = self.bars.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> Board {
        Board::new(ProgressDrawTarget::hidden())
    }

    #[test]
    fn overlapping_phases_keep_their_own_bars() {
        let mut b = board();
        b.apply(Event::Started {
            phase: Phase::Snmp,
            total: 10,
        });
        b.apply(Event::Started {
            phase: Phase::Echo,
            total: 4,
        });
        b.apply(Event::Advanced {
            phase: Phase::Snmp,
            by: 3,
        });
        b.apply(Event::Advanced {
            phase: Phase::Echo,
            by: 1,
        });
        let pos = |b: &Board, p| b.running.get(&p).map(|(_, _, bar)| bar.position());
        assert_eq!(pos(&b, Phase::Snmp), Some(3));
        assert_eq!(pos(&b, Phase::Echo), Some(1));
        let line = b.apply(Event::Finished { phase: Phase::Echo });
        assert!(line.is_some_and(|l| l.starts_with("echo done: 4 in ")));
        // The SNMP bar still runs after the echo phase ended.
        assert_eq!(pos(&b, Phase::Snmp), Some(3));
        assert!(b
            .running
            .get(&Phase::Snmp)
            .is_some_and(|(_, _, bar)| !bar.is_finished()));
    }

    #[test]
    fn a_phase_that_never_started_ends_quietly() {
        let mut b = board();
        assert_eq!(b.apply(Event::Finished { phase: Phase::Tcp }), None);
        b.apply(Event::Found {
            ip: "192.0.2.1".parse().unwrap(),
            by: "icmp",
        });
        assert_eq!(b.found, 1);
    }
}
