//! The `latch` binary: serves the pages on the configured store, or runs
//! one of its subcommands (`latch --help`).

use std::process::ExitCode;

use clap::Parser;
use latch::cli::Cli;

/// mimalloc instead of the system allocator: serving a page allocates and
/// frees many small buffers (in the HTTP stack, the templates and the
/// store's driver), and glibc's malloc spent about a fifth of the server's
/// time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    Cli::parse().run().await
}
