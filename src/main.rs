//! netcensus binary: parse arguments, run, map the outcome to an exit code.

mod cli;
mod commands;
mod logging;
mod ui;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use cli::{Cli, Command};
use netcensus::{ScanProfile, BUILTIN_SCAN_PROFILES, EXIT_USAGE};

/// Print to stdout; a closed pipe (`| head`) is not an error.
pub fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// nmap's `-iL FILE` spelling, rewritten to `--targets-file FILE`.
fn args() -> Vec<std::ffi::OsString> {
    std::env::args_os()
        .map(|a| {
            if a == "-iL" {
                "--targets-file".into()
            } else {
                a
            }
        })
        .collect()
}

/// The CLI, with each profile-backed `scan` option's help ending in the
/// built-in profiles' values: the profile files are their one home.
fn command() -> clap::Command {
    let profiles: Vec<ScanProfile> = BUILTIN_SCAN_PROFILES
        .iter()
        .filter_map(|(name, _)| ScanProfile::builtin(name)?.ok())
        .collect();
    let rules = netcensus::DriftRules::default();
    let rtt = format!("[default: {} ms, {}x]", rules.rtt_ms, rules.rtt_factor);
    let mut cli = Cli::command();
    for sub in ["scan", "diff", "report"] {
        cli = cli.mut_subcommand(sub, |c| {
            c.mut_arg("rtt_tolerance", |a| {
                let help = a.get_help().map(ToString::to_string).unwrap_or_default();
                a.help(format!("{help} {rtt}"))
            })
        });
    }
    let Some(first) = profiles.first() else {
        return cli;
    };
    let ids: Vec<&'static str> = first
        .option_values()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    cli.mut_subcommand("scan", |mut scan| {
        for (i, id) in ids.iter().enumerate() {
            let values: Vec<String> = profiles
                .iter()
                .filter_map(|p| Some(format!("{} {}", p.name, p.option_values().get(i)?.1)))
                .collect();
            scan = scan.mut_arg(*id, |a| {
                let help = a.get_help().map(ToString::to_string).unwrap_or_default();
                a.help(format!("{help} [profile: {}]", values.join(", ")))
            });
        }
        scan
    })
}

/// Raise the soft open-file limit to the hard one where allowed (each SNMP
/// session holds a socket; 1024 is a common soft limit); the scan caps its
/// sessions by whatever limit there is.
fn raise_open_file_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut lim = getrlimit(Resource::Nofile);
    if lim.current != lim.maximum {
        lim.current = lim.maximum;
        let _ = setrlimit(Resource::Nofile, lim);
    }
}

fn main() -> ExitCode {
    let args = args();
    // the profiles are parsed for the help text only when help is asked
    let wants_help = args
        .iter()
        .any(|a| a == "-h" || a == "--help" || a == "help");
    let cli_command = if wants_help {
        command()
    } else {
        Cli::command()
    };
    let parsed = cli_command
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(EXIT_USAGE as u8);
        }
        Err(e) => {
            // one line: what was wrong, the choices, clap's tip
            let text = e.render().to_string();
            let parts: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
                .collect();
            eprintln!(
                "netcensus: {}",
                netcensus::terminal_text(parts.join("; ").trim_start_matches("error: "))
            );
            return ExitCode::from(EXIT_USAGE as u8);
        }
    };
    raise_open_file_limit();
    if let Err(e) = logging::init(cli.quiet, cli.verbose, cli.log.as_deref(), cli.log_format) {
        eprintln!("netcensus: error: {e}");
        return ExitCode::from(e.exit_code() as u8);
    }
    let outcome = (|| {
        // profiles load only for the subcommands that use them
        let profiles = || netcensus::load_profiles(cli.profiles_dir.as_deref());
        match &cli.command {
            // the scan builds its own runtime (after giving root up)
            Command::Scan(a) => {
                let (dir, conf) = (cli.profiles_dir.as_deref(), cli.config.as_deref());
                commands::scan::run(a, profiles()?, dir, conf, cli.quiet)
            }
            Command::Config(c) => commands::config::run(c, &cli, || Ok(profiles()?)),
            Command::Explain(a) => commands::explain::run(a, &profiles()?),
            Command::Baseline(c) => commands::baseline::run(c),
            Command::Diff(a) => commands::diff::run(a, cli.quiet),
            Command::Check(a) => commands::check::run(a, cli.quiet),
            Command::Report(a) => commands::report::run(a, cli.quiet),
            Command::Profiles(c) => commands::profiles::run(c, cli.profiles_dir.as_deref()),
            Command::History(a) => commands::history::run(a),
            Command::Locate(a) => commands::locate::run(a),
            Command::Completions { shell } => Ok(commands::docs::completions(command(), *shell)),
            Command::Man => commands::docs::man(command()).map_err(|e| netcensus::Error::Write {
                path: "stdout".into(),
                source: e,
            }),
        }
    })();
    match outcome {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            // always on the terminal (cron mails it), whatever RUST_LOG says;
            // errors quote inputs, and inputs may hold escape sequences
            eprintln!(
                "netcensus: error: {}",
                netcensus::terminal_text(&e.to_string())
            );
            tracing::error!(target: "netcensus::exit", "{e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_help_shows_the_profiles_values() {
        let cmd = command();
        let scan = cmd.find_subcommand("scan").expect("scan");
        let help = |id: &str| {
            scan.get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_help())
                .map(ToString::to_string)
                .unwrap_or_default()
        };
        assert!(help("rate").ends_with("[profile: quick 50000, standard 50000, full 10000]"));
        assert!(help("timeout").ends_with("[profile: quick 300ms, standard 500ms, full 1s]"));
        assert!(help("inventory").ends_with("[profile: quick off, standard on, full on]"));
        assert!(help("rtt_tolerance")
            .ends_with("(and by the factor of the rules) [default: 20 ms, 3x]"));
    }
}
