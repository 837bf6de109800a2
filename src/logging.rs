//! Logs (tracing): to stderr for people, and with `--log FILE` to a file
//! for cron and systemd, as text or JSON lines.
//!
//! Levels: `RUST_LOG` when set (both destinations); else stderr gets
//! warnings (errors only with `-q`, more with each `-v`) and the log file
//! gets info (more with `-vv`): a cron log should say what ran even when
//! the terminal said nothing. Device text reaches a log only through
//! `one_line` (no escape sequences), and secrets never reach one at all:
//! they are `Secret`s, which have no way to be printed.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;

use tracing::level_filters::LevelFilter;
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

use crate::cli::LogFormat;
use netcensus::Error;

/// stderr, through the progress bars when they are drawn (a log line
/// never tears a bar).
struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match crate::ui::BARS.get() {
            Some(bars) if !bars.is_hidden() => bars.suspend(|| std::io::stderr().write_all(buf))?,
            _ => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// `netcensus: message`, `netcensus: warning: message`: how every other
/// line the tool writes to stderr looks.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "error: ",
            tracing::Level::WARN => "warning: ",
            tracing::Level::INFO => "",
            tracing::Level::DEBUG => "debug: ",
            tracing::Level::TRACE => "trace: ",
        };
        let mut text = String::new();
        ctx.field_format()
            .format_fields(Writer::new(&mut text), event)?;
        // messages quote paths and device text: no escape sequence passes
        writeln!(w, "netcensus: {level}{}", netcensus::terminal_text(&text))
    }
}

/// The level `-v` asks for: warnings, then info, debug, trace.
fn level(verbose: u8) -> LevelFilter {
    match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// Our own events only, at `level` (dependencies stay quiet unless
/// RUST_LOG asks for them); RUST_LOG, when set, instead.
fn filter(rust_log: Option<&str>, level: LevelFilter) -> EnvFilter {
    EnvFilter::new(rust_log.map_or_else(|| format!("netcensus={level}"), str::to_string))
}

/// The run's final error is printed to stderr by main itself (so no
/// RUST_LOG can hide it) and only logged to the file.
const EXIT_OFF: &str = "netcensus::exit=off";

/// Install the subscriber. `RUST_LOG`, when set, decides every level.
pub fn init(quiet: bool, verbose: u8, file: Option<&Path>, format: LogFormat) -> Result<(), Error> {
    let rust_log = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let rust_log = rust_log.as_deref();
    let stderr_level = if quiet {
        LevelFilter::ERROR
    } else {
        level(verbose)
    };
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> =
        vec![tracing_subscriber::fmt::layer()
            .with_writer(|| Stderr)
            .event_format(Plain)
            .with_filter(
                filter(rust_log, stderr_level).add_directive(
                    EXIT_OFF
                        .parse()
                        .map_err(|e| Error::Usage(format!("cannot start logging: {e}")))?,
                ),
            )
            .boxed()];
    if let Some(path) = file {
        let f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o640)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(|source| Error::Write {
                path: path.to_path_buf(),
                source,
            })?;
        let file_filter = filter(rust_log, level(verbose).max(LevelFilter::INFO));
        let base = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(Mutex::new(f));
        layers.push(match format {
            LogFormat::Text => base.with_filter(file_filter).boxed(),
            LogFormat::Json => base
                .json()
                .flatten_event(true)
                .with_filter(file_filter)
                .boxed(),
        });
    }
    let subscriber = Registry::default().with(layers);
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|e| Error::Usage(format!("cannot start logging: {e}")))
}

/// A reason the run fails that is not an error of the run itself (a
/// baseline guard refusing): on stderr whatever the levels, and logged.
pub fn failure(message: &str) {
    eprintln!("netcensus: {}", netcensus::terminal_text(message));
    tracing::error!(target: "netcensus::exit", "{message}");
}
