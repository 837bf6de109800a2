//! `netcensus profiles list|show|validate`.

use std::path::Path;

use netcensus::error::Error;
use netcensus::profile::Profiles;

use crate::cli::ProfilesCommand;

/// Run a profiles subcommand.
pub fn run(c: &ProfilesCommand, dir: Option<&Path>) -> Result<i32, Error> {
    match c {
        ProfilesCommand::Validate { dir: d } => {
            let p = Profiles::load(d.as_deref().or(dir))?;
            crate::print_stdout(&format!(
                "ok: {} rules, {} vendors, from {}\n",
                p.rules.len(),
                p.vendors.len(),
                p.sources.join(", ")
            ));
        }
        ProfilesCommand::List => {
            let p = Profiles::load(dir)?;
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
                "{} rules, {} vendors\n",
                p.rules.len(),
                p.vendors.len()
            ));
            crate::print_stdout(&out);
        }
        ProfilesCommand::Show { id } => {
            let p = Profiles::load(dir)?;
            let r = p.rules.iter().find(|r| &r.id == id).ok_or_else(|| {
                Error::Usage(format!("no rule '{id}' (see `netcensus profiles list`)"))
            })?;
            crate::print_stdout(&format!("# {}\n{}\n", r.origin, r.text));
        }
    }
    Ok(0)
}
