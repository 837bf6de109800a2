//! Progress on stderr, fed by scan events. Hidden when stderr is not a
//! terminal or with --quiet.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use netcensus::event::{Event, Phase};
use tokio::sync::mpsc::UnboundedReceiver;

/// Drain events until the scan drops its sender; draw bars when wanted, and
/// with `verbose` a line per finished phase.
pub async fn progress(mut rx: UnboundedReceiver<Event>, quiet: bool, verbose: bool) {
    let mut started = std::collections::HashMap::new();
    let visible = !quiet && std::io::stderr().is_terminal();
    let style = ProgressStyle::with_template(
        "{prefix:>6} [{bar:30}] {pos}/{len} {per_sec} eta {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let mut bar: Option<(Phase, ProgressBar)> = None;
    let mut found = 0u64;
    while let Some(e) = rx.recv().await {
        match e {
            Event::Started { phase, total } => {
                started.insert(phase.label(), (std::time::Instant::now(), total));
                if let Some((_, b)) = bar.take() {
                    b.finish_and_clear();
                }
                let b = ProgressBar::with_draw_target(
                    Some(total),
                    if visible {
                        ProgressDrawTarget::stderr()
                    } else {
                        ProgressDrawTarget::hidden()
                    },
                );
                b.set_style(style.clone());
                b.set_prefix(phase.label());
                bar = Some((phase, b));
            }
            Event::Advanced { phase, by } => {
                if let Some((p, b)) = &bar {
                    if *p == phase {
                        b.inc(by);
                    }
                }
            }
            Event::Found { .. } => {
                found += 1;
                if let Some((_, b)) = &bar {
                    b.set_message(format!("{found} answers"));
                }
            }
            Event::Finished { phase } => {
                if verbose && !quiet {
                    if let Some((t0, total)) = started.get(phase.label()) {
                        eprintln!(
                            "netcensus: {} done: {total} in {:.2} s, {found} answers so far",
                            phase.label(),
                            t0.elapsed().as_secs_f64()
                        );
                    }
                }
                if let Some((p, b)) = &bar {
                    if *p == phase {
                        b.finish_and_clear();
                    }
                }
            }
        }
    }
    if let Some((_, b)) = bar {
        b.finish_and_clear();
    }
}
