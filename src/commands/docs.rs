//! `netcensus completions SHELL` and `netcensus man`: generated from the
//! same clap definitions the binary parses with, so they never drift.

use std::fmt::Write as _;

use clap_complete::Shell;

use crate::print_stdout;

/// The completion script for `shell` on stdout.
pub fn completions(mut cli: clap::Command, shell: Shell) -> i32 {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli, "netcensus", &mut out);
    print_stdout(&String::from_utf8_lossy(&out));
    0
}

/// The man page (roff) on stdout: clap_mangen's page for the top command,
/// then a section per subcommand with its usage and options, so one
/// `man netcensus` holds everything (a page per subcommand is easy to miss).
pub fn man(cli: clap::Command) -> Result<i32, std::io::Error> {
    let mut cli = cli;
    cli.build();
    let mut out = Vec::new();
    clap_mangen::Man::new(cli.clone()).render(&mut out)?;
    let mut page = String::from_utf8_lossy(&out).into_owned();
    for sub in shown(&mut cli) {
        subcommand_section(&mut page, "netcensus", sub);
    }
    print_stdout(&page);
    Ok(0)
}

/// One subcommand's section (and its own subcommands', one level down).
fn subcommand_section(page: &mut String, parent: &str, sub: &mut clap::Command) {
    let path = format!("{parent} {}", sub.get_name());
    let _ = writeln!(page, ".SH \"{}\"", roff(&path.to_uppercase()));
    if let Some(about) = sub.get_long_about().or(sub.get_about()) {
        let _ = writeln!(page, "{}", roff(&about.to_string()));
    }
    let usage = sub.render_usage().to_string();
    let usage = usage.trim_start_matches("Usage: ");
    let _ = writeln!(
        page,
        ".PP\n\\fB{}\\fR",
        roff(&usage.replacen(sub.get_name(), &path, 1))
    );
    for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
        let mut names: Vec<String> = Vec::new();
        if let Some(s) = arg.get_short() {
            names.push(format!("-{s}"));
        }
        if let Some(l) = arg.get_long() {
            names.push(format!("--{l}"));
        }
        let value = arg
            .get_value_names()
            .map(|v| {
                v.iter()
                    .map(|n| format!("<{n}>"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|_| arg.get_action().takes_values());
        let head = match (names.is_empty(), value) {
            (true, Some(v)) => v,
            (true, None) => format!("<{}>", arg.get_id()),
            (false, Some(v)) => format!("{} {v}", names.join(", ")),
            (false, None) => names.join(", "),
        };
        let help = arg
            .get_long_help()
            .or(arg.get_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        let _ = writeln!(page, ".TP\n\\fB{}\\fR\n{}", roff(&head), roff(&help));
    }
    for child in shown(sub) {
        subcommand_section(page, &path, child);
    }
}

/// The subcommands a reader looks for, in the order `--help` lists them
/// (clap's own `help` left out).
fn shown(cmd: &mut clap::Command) -> Vec<&mut clap::Command> {
    let mut subs: Vec<&mut clap::Command> = cmd
        .get_subcommands_mut()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .collect();
    subs.sort_by_key(|s| s.get_display_order());
    subs
}

/// Text safe in roff: backslashes escaped, no line read as a request.
fn roff(text: &str) -> String {
    text.replace('\\', "\\e")
        .lines()
        .map(|l| {
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_text_never_starts_a_request() {
        assert_eq!(roff(".hidden\n'also\na\\b"), "\\&.hidden\n\\&'also\na\\eb");
    }
}
