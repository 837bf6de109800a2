//! Renderers: each a pure function from the model to text, one file per
//! format. [`render`] picks the one a format asks for.

pub mod check;
pub mod csv;
pub mod diff;
pub mod explain;
pub mod history;
pub mod html;
pub mod json;
pub mod junit;
pub mod locate;
pub mod markdown;
pub mod prom;
pub mod table;
pub mod text;

use std::path::Path;

use crate::diff::Diff;
use crate::model::{Device, ScanFile};
use crate::topology::Check;

/// Output formats, chosen by `--format` or a file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
    Html,
    Junit,
    /// Prometheus text exposition (node_exporter's textfile collector).
    Prometheus,
}

/// Extensions and the formats they ask for.
pub const EXTENSIONS: [(&str, Format); 8] = [
    ("txt", Format::Table),
    ("json", Format::Json),
    ("csv", Format::Csv),
    ("md", Format::Markdown),
    ("html", Format::Html),
    ("htm", Format::Html),
    ("xml", Format::Junit),
    ("prom", Format::Prometheus),
];

impl Format {
    /// The format a file's extension asks for.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        EXTENSIONS.iter().find(|(e, _)| *e == ext).map(|(_, f)| *f)
    }

    /// The format's name in `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Junit => "junit",
            Format::Prometheus => "prometheus",
        }
    }
}

/// Which document a command produces: JSON and CSV write this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primary {
    Scan,
    Diff,
    Check,
}

/// What there is to render.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub primary: Primary,
    pub scan: Option<&'a ScanFile>,
    pub diff: Option<&'a Diff>,
    pub check: Option<&'a Check>,
    /// ANSI colours in the terminal table.
    pub color: bool,
}

/// A format that cannot show this view (JUnit of a bare scan).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format} output needs {needs}")]
pub struct Unsupported {
    pub format: &'static str,
    pub needs: &'static str,
}

/// What an engineer asks first of a device: why it is not ok, then its
/// addresses, its stack members, its unused ports. Device text is passed
/// through `clean` (the format's own escaping).
#[derive(Debug, Default)]
pub struct Details {
    /// The health status, when there are reasons for it.
    pub status: Option<&'static str>,
    pub reasons: Vec<String>,
    /// One line each: addresses, members, unused ports.
    pub facts: Vec<String>,
}

impl Details {
    pub fn of(d: &Device, clean: &dyn Fn(&str) -> String) -> Details {
        let opt = |v: Option<&str>| v.map(clean).unwrap_or_else(|| "?".into());
        let mut out = Details::default();
        if let Some(h) = d.health.as_ref().filter(|h| !h.reasons.is_empty()) {
            out.status = Some(h.status.name());
            out.reasons = h.reasons.iter().map(|r| clean(r)).collect();
        }
        if d.addresses.len() > 1 {
            let ips: Vec<String> = d
                .addresses
                .iter()
                .map(|a| clean(&a.ip.to_string()))
                .collect();
            out.facts.push(format!("addresses {}", ips.join(", ")));
        }
        if !d.members.is_empty() {
            let m: Vec<String> = d
                .members
                .iter()
                .map(|m| format!("{} {}", opt(m.model.as_deref()), opt(m.serial.as_deref())))
                .collect();
            out.facts.push(format!("members {}", m.join(", ")));
        }
        if let Some(n) = d
            .health
            .as_ref()
            .and_then(|h| h.unused_ports)
            .filter(|n| *n > 0)
        {
            out.facts.push(format!("{n} unused port(s)"));
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.reasons.is_empty() && self.facts.is_empty()
    }
}

/// Render `view` as `format`.
pub fn render(format: Format, v: &View) -> Result<String, Unsupported> {
    let primary_missing = Unsupported {
        format: format.name(),
        needs: "a scan, a diff or a check",
    };
    Ok(match format {
        Format::Table => {
            let mut out = String::new();
            if let Some(s) = v.scan.filter(|_| v.primary == Primary::Scan) {
                out.push_str(&table::render(s, v.color));
            }
            if let Some(d) = v.diff {
                out.push_str(&diff::render(d));
            }
            if let Some(c) = v.check {
                out.push_str(&check::render(c));
            }
            out
        }
        Format::Json => match v.primary {
            Primary::Scan => json::render(v.scan.ok_or(primary_missing)?),
            Primary::Diff => json::render(v.diff.ok_or(primary_missing)?),
            Primary::Check => json::render(v.check.ok_or(primary_missing)?),
        },
        Format::Csv => match v.primary {
            Primary::Scan => csv::devices(v.scan.ok_or(primary_missing)?),
            Primary::Diff => csv::changes(v.diff.ok_or(primary_missing)?),
            Primary::Check => csv::results(v.check.ok_or(primary_missing)?),
        },
        Format::Markdown => markdown::render(v),
        Format::Html => html::render(v),
        Format::Junit => {
            // a diff or check command writes its own document; a report both
            let diff = v.diff.filter(|_| v.primary != Primary::Check);
            let check = v.check.filter(|_| v.primary != Primary::Diff);
            if diff.is_none() && check.is_none() {
                return Err(Unsupported {
                    format: "junit",
                    needs: "a diff (--baseline, or netcensus diff) or a check",
                });
            }
            junit::render(diff.map(|d| (d, v.scan)), check)
        }
        Format::Prometheus => prometheus(v, None)?,
    })
}

/// `view` as Prometheus metrics; `previous_success` is what the file this
/// replaces recorded (see [`prom::previous_success`]).
pub fn prometheus(v: &View, previous_success: Option<f64>) -> Result<String, Unsupported> {
    if v.scan.is_none() && v.check.is_none() {
        return Err(Unsupported {
            format: "prometheus",
            needs: "a scan or a check",
        });
    }
    Ok(prom::render(v.scan, v.diff, v.check, previous_success))
}

/// `view` as JSON, streamed to `w`: the scan file (or diff, or check)
/// exactly as [`render`] gives it, for outputs too big to build in memory
/// first.
pub fn write_json(v: &View, w: &mut dyn std::io::Write) -> Result<(), std::io::Error> {
    let missing = || std::io::Error::other("json output needs a scan, a diff or a check");
    match v.primary {
        Primary::Scan => crate::scanfile::write_json(v.scan.ok_or_else(missing)?, w),
        Primary::Diff => crate::scanfile::write_json(v.diff.ok_or_else(missing)?, w),
        Primary::Check => crate::scanfile::write_json(v.check.ok_or_else(missing)?, w),
    }
}
