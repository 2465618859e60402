//! The `newsindex` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = <newsindex::cli::Cli as clap::Parser>::parse();
    newsindex::cli::init_tracing(&cli);
    match newsindex::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
