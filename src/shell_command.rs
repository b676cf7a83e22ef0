//! `creditsim completions SHELL` and `creditsim man`: the shell completion
//! script and the man page, both made from the same argument definitions
//! as `--help`, so they cannot drift from it.

use super::{Cli, Failure};
use clap::CommandFactory;
use std::io::{self, Write};

/// Arguments of `creditsim completions`.
#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, elvish, fish, powershell or zsh.
    #[arg(value_name = "SHELL")]
    shell: clap_complete::Shell,
}

/// Writes the completion script of `args.shell` to standard output.
pub fn run_completions(args: CompletionsArgs) -> Result<(), Failure> {
    let mut command = Cli::command();
    let mut out = io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "creditsim", &mut out);
    out.flush().map_err(stdout_error)
}

/// Writes the man page (roff) of creditsim and its subcommands to
/// standard output.
pub fn run_man() -> Result<(), Failure> {
    let command = Cli::command();
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(command.clone())
        .render(&mut out)
        .map_err(stdout_error)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        // A page of its own per subcommand, named as man(1) finds it.
        let name = format!("creditsim-{}", sub.get_name());
        let page = sub.clone().name(name);
        clap_mangen::Man::new(page)
            .render(&mut out)
            .map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)
}

fn stdout_error(e: io::Error) -> Failure {
    Failure::Other(format!("standard output: {e}"))
}
