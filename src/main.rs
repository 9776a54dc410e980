use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = feedsim::cli::Cli::parse();
    match feedsim::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("feedsim: {err:#}");
            ExitCode::from(feedsim::cli::exit_code(&err))
        }
    }
}
