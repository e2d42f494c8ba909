//! The `latch` binary: serves the pages on the configured store, or runs
//! one of its subcommands (`latch --help`).

use std::process::ExitCode;

use clap::Parser;
use latch::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    Cli::parse().run().await
}
