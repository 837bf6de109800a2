//! netcensus binary: parse arguments, run, map the outcome to an exit code.

mod cli;
mod commands;
mod ui;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use netcensus::error::{EXIT_CANNOT_RUN, EXIT_USAGE};

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

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(args()) {
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
                parts.join("; ").trim_start_matches("error: ")
            );
            return ExitCode::from(EXIT_USAGE as u8);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("netcensus: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN as u8);
        }
    };
    let outcome = runtime.block_on(async {
        // profiles load only for the subcommands that use them
        let profiles = || netcensus::classify::examples::load_checked(cli.profiles_dir.as_deref());
        match &cli.command {
            Command::Scan(a) => {
                let dir = cli.profiles_dir.as_deref();
                commands::scan::run(a, profiles()?, dir, cli.quiet, cli.verbose).await
            }
            Command::Explain(a) => commands::explain::run(a, &profiles()?),
            Command::Baseline(c) => commands::baseline::run(c),
            Command::Diff(a) => commands::diff::run(a, cli.quiet),
            Command::Check(a) => commands::check::run(a, cli.quiet),
            Command::Report(a) => commands::report::run(a, cli.quiet),
            Command::Profiles(c) => commands::profiles::run(c, cli.profiles_dir.as_deref()),
        }
    });
    match outcome {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("netcensus: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
