//! One function per subcommand: the only place that composes pipeline
//! stages with inputs and outputs.

pub mod baseline;
pub mod check;
pub mod config;
pub mod diff;
pub mod docs;
pub mod drift;
pub mod explain;
pub mod history;
pub mod locate;
mod privsep;
pub mod profiles;
pub mod report;
pub mod scan;

use std::io::IsTerminal;
use std::path::PathBuf;

use netcensus::Error;
use netcensus::{check_writable, write_atomic};
use netcensus::{render, Format, View};

use crate::cli::StdoutFormat;

impl From<StdoutFormat> for Format {
    fn from(f: StdoutFormat) -> Format {
        match f {
            StdoutFormat::Table => Format::Table,
            StdoutFormat::Json => Format::Json,
            StdoutFormat::Csv => Format::Csv,
            StdoutFormat::Markdown => Format::Markdown,
            StdoutFormat::Html => Format::Html,
            StdoutFormat::Junit => Format::Junit,
            StdoutFormat::Prometheus => Format::Prometheus,
        }
    }
}

/// The async runtime the scan runs on (built only for a scan, and in a
/// process that gives root up only after the fork).
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// Colours in the terminal table: stdout is a terminal and NO_COLOR unset.
pub fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Output files and their formats (the extension's, else `--format`'s),
/// checked before any work so a typo fails at once.
pub fn outputs(
    files: &[PathBuf],
    flag: &str,
    fallback: Option<StdoutFormat>,
) -> Result<Vec<(PathBuf, Format)>, Error> {
    files
        .iter()
        .map(|p| {
            let f = Format::from_path(p)
                .or(fallback.map(Format::from))
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "{flag} {}: unknown output format (use .json .csv .md .html .xml .prom .txt, or --format)",
                        p.display()
                    ))
                })?;
            check_writable(p)?;
            Ok((p.clone(), f))
        })
        .collect()
}

/// Render `view` into every output file (atomically), then to stdout
/// unless `stdout` is `None`.
pub fn emit(
    view: &View,
    files: &[(PathBuf, Format)],
    stdout: Option<StdoutFormat>,
) -> Result<(), Error> {
    for (path, format) in files {
        let file_view = View {
            color: false,
            ..*view
        };
        if *format == Format::Json {
            // the biggest output: streamed to disk, never built whole
            netcensus::write_atomic_with(path, &mut |w| netcensus::write_json(&file_view, w))?;
            continue;
        }
        let text = if *format == Format::Prometheus {
            // the last success time survives an interrupted run
            let before = std::fs::read_to_string(path).ok();
            let previous = before
                .as_deref()
                .and_then(netcensus::prometheus_previous_success);
            netcensus::render_prometheus(&file_view, previous)
        } else {
            render(*format, &file_view)
        }
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        write_atomic(path, text.as_bytes())?;
    }
    if let Some(f) = stdout {
        let text = render(f.into(), view).map_err(|e| Error::Usage(e.to_string()))?;
        crate::print_stdout(&text);
    }
    Ok(())
}

/// Check that every output file's format can show this kind of document
/// (JUnit needs a diff or a check), before any work.
pub fn check_formats(files: &[(PathBuf, Format)], junit_ok: bool) -> Result<(), Error> {
    match files.iter().find(|(_, f)| *f == Format::Junit && !junit_ok) {
        Some((p, _)) => Err(Error::Usage(format!(
            "{}: JUnit output needs a diff (--baseline) or a check",
            p.display()
        ))),
        None => Ok(()),
    }
}
