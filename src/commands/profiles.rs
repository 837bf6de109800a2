//! `netcensus profiles list|show|validate`.

use std::path::Path;

use netcensus::Error;
use netcensus::{coverage, load_profiles, verify, Depth};
use netcensus::{ScanProfile, BUILTIN_SCAN_PROFILES};

use crate::cli::ProfilesCommand;

/// Run a profiles subcommand.
pub fn run(c: &ProfilesCommand, dir: Option<&Path>) -> Result<i32, Error> {
    match c {
        ProfilesCommand::Validate { dir: d } => {
            let dir = d.as_deref().or(dir);
            let p = load_profiles(dir)?;
            // every example of every rule, against the whole rule set
            let mut problems = verify(&p, |_| true, Depth::RuleSet);
            if let Some(last) = problems.pop() {
                for e in &problems {
                    eprintln!("netcensus: error: {e}");
                }
                return Err(last.into());
            }
            let cov = coverage(&p);
            let mut scans: Vec<String> = BUILTIN_SCAN_PROFILES
                .iter()
                .map(|(n, _)| n.to_string())
                .collect();
            for (name, _) in BUILTIN_SCAN_PROFILES {
                ScanProfile::load(name, dir)?;
            }
            if let Some(scan_dir) = dir.map(|d| d.join("scan")).filter(|d| d.is_dir()) {
                let entries = std::fs::read_dir(&scan_dir)
                    .map_err(|e| Error::Usage(format!("{}: {e}", scan_dir.display())))?;
                for e in entries.flatten() {
                    let path = e.path();
                    if path.extension().is_some_and(|x| x == "toml") {
                        let sp = ScanProfile::load(&path.to_string_lossy(), dir)?;
                        scans.push(sp.name);
                    }
                }
            }
            crate::print_stdout(&format!(
                "ok: {} rules ({} product and platform rules), {} examples checked; \
                 {} families of {} vendors; {} curated vendor names, {} registry entries ({}); \
                 scan profiles {}; from {}\n",
                cov.rules,
                cov.family_rules,
                cov.examples,
                cov.families,
                cov.vendors,
                cov.curated_vendors,
                cov.registry_entries,
                netcensus::REGISTRY_DATE,
                scans.join(", "),
                p.sources.join(", ")
            ));
        }
        ProfilesCommand::List => {
            let p = load_profiles(dir)?;
            let mut out = String::new();
            for r in &p.rules {
                let sets: Vec<&str> = r.set.iter().map(|(f, _)| f.name()).collect();
                out.push_str(&format!(
                    "{:>4}  {:<26} {:<28} {}\n",
                    r.priority,
                    r.id,
                    sets.join(","),
                    r.description.as_deref().unwrap_or("")
                ));
            }
            out.push_str(&format!(
                "{} rules, {} vendors\n\nscan profiles (--profile):\n",
                p.rules.len(),
                p.vendors.len()
            ));
            for (name, _) in BUILTIN_SCAN_PROFILES {
                let sp = ScanProfile::load(name, dir)?;
                out.push_str(&format!(
                    "  {:<9} {} (rate {}/s, timeout {}, retries {}, {} echoes, snmp sweep {}, classify {})\n",
                    sp.name,
                    sp.description.as_deref().unwrap_or(""),
                    sp.rate,
                    humantime::format_duration(sp.timeout),
                    sp.retries,
                    sp.count,
                    sp.snmp_sweep.name(),
                    sp.classify
                ));
            }
            crate::print_stdout(&out);
        }
        ProfilesCommand::Show { id } => {
            let p = load_profiles(dir)?;
            let r = p.rules.iter().find(|r| &r.id == id).ok_or_else(|| {
                Error::Usage(format!("no rule '{id}' (see `netcensus profiles list`)"))
            })?;
            crate::print_stdout(&format!("# {}\n{}\n", r.origin, r.text));
        }
    }
    Ok(0)
}
