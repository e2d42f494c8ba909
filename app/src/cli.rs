//! The `latch` command line: what to do, and doing it. With no subcommand
//! it serves, as `latch serve` does.
//!
//! To add a subcommand: a variant of [`Command`] (its doc comment is its
//! help text) and an arm in [`Cli::run`], with the work in a module of its
//! own.

mod accounts;
mod export;
mod groups;
mod serve;

use std::{
    fs::File,
    io::{BufReader, IsTerminal},
    path::PathBuf,
    process::ExitCode,
};

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::{
    Settings,
    settings::{LogFormat, LogSettings},
    store::Store,
    transfer,
};

/// User authentication for the web. Settings come from config/*.toml and
/// LATCH__SECTION__KEY environment variables.
#[derive(Debug, Parser)]
#[command(name = "latch", version)]
pub struct Cli {
    /// What to do; serving when none is given.
    #[command(subcommand)]
    command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the pages and the API on the configured store (the default).
    Serve,
    /// Write every account of the configured store (with its password hash,
    /// never a password) to FILE as JSON Lines.
    Export {
        /// The file to write, `-` for standard output. It is created
        /// readable and writable by its owner only (0600); an existing file
        /// or symbolic link is refused unless --force.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace an existing FILE. A symbolic link is never written
        /// through: the link itself is replaced by the new file, and what it
        /// pointed to is left as it was.
        #[arg(long)]
        force: bool,
    },
    /// Manage accounts: create, list, disable, enable, delete, unlock, and
    /// see or end their sessions.
    #[command(subcommand)]
    User(accounts::UserCommand),
    /// Manage groups, which access rules grant by: create, delete, add and
    /// remove members, list.
    #[command(subcommand)]
    Group(groups::GroupCommand),
    /// Manage sessions across all accounts.
    #[command(subcommand)]
    Sessions(accounts::SessionsCommand),
    /// Add the accounts in FILE (written by `latch export`) to the
    /// configured store; accounts already there are skipped and counted.
    Import {
        /// The file to read.
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
    },
}

impl Cli {
    /// Loads the settings, starts logging and runs the command; every
    /// failure is one line on stderr and a non-zero exit.
    pub async fn run(self) -> ExitCode {
        let settings = match Settings::load() {
            Ok(settings) => settings,
            Err(error) => return fail(&error),
        };
        init_logging(&settings.log);
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => serve::serve(settings).await,
            Command::Export { out, force } => export::export(&settings, out, force).await,
            Command::Import { input } => import(&settings, input).await,
            Command::User(command) => accounts::user(&settings, command).await,
            Command::Group(command) => groups::group(&settings, command).await,
            Command::Sessions(command) => accounts::sessions(&settings, command).await,
        }
    }
}

async fn import(settings: &Settings, path: PathBuf) -> ExitCode {
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(error) => return fail(&format!("cannot read {}: {error}", path.display())),
    };
    let store = match Store::open(settings).await {
        Ok(store) => store,
        Err(error) => return fail(&error),
    };
    let mut input = BufReader::new(file);
    let ports = store.ports();
    let report =
        transfer::import_users(ports.users.as_ref(), ports.groups.as_ref(), &mut input).await;
    store.close().await;
    match report {
        Ok(report) => {
            eprintln!(
                "latch: imported {} accounts from {}, with {} group memberships; skipped {} already present and {} whose username is taken by another account",
                report.imported,
                path.display(),
                report.memberships,
                report.already_present,
                report.username_taken,
            );
            ExitCode::SUCCESS
        }
        Err(error) => fail(&format!("import from {} stopped: {error}", path.display())),
    }
}

/// Says what went wrong, on one line, and gives the failing exit code.
fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("latch: {error}");
    ExitCode::FAILURE
}

/// Logs to stderr, as readable text or JSON lines (`log.format`);
/// `RUST_LOG` wins over `log.level`.
fn init_logging(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.level));
    // Colours only on a terminal: log files and collectors get plain text.
    let logger = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match log.format {
        LogFormat::Text => logger.init(),
        LogFormat::Json => logger
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
