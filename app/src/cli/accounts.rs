//! The operator's commands on accounts and sessions: `latch user ...` and
//! `latch sessions ...`, run against the configured store through the
//! domain's rules.

use std::{
    io::{self, BufRead, IsTerminal, Write},
    process::ExitCode,
    sync::Arc,
};

use clap::Subcommand;
use latch_domain::{
    AccountReport, OperatorError, Operators, Password, RegisterError, SessionInfo, TotpState,
};
use latch_http::AuditLog;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{Settings, authenticator, cli::fail, store::Store};

/// Accounts read from the store per page while listing.
const PAGE: u32 = 500;

/// `latch user ...`.
#[derive(Debug, Subcommand)]
pub(super) enum UserCommand {
    /// Create an account. The password is read from standard input (its
    /// first line), or asked for without echo on a terminal; never from the
    /// command line, where other users could see it.
    Create {
        /// The username.
        name: String,
    },
    /// List every account: username, created, last sign-in, and whether it
    /// is disabled.
    List,
    /// Show an account: created, last sign-in, status, its second factors
    /// (kinds and dates, never secrets), and how many sessions are live.
    Show {
        /// The username.
        name: String,
    },
    /// Remove every second factor of an account (its authenticator app and
    /// recovery codes) and end all its sessions, for a person who lost
    /// their phone: they sign in with their password alone again.
    ResetFactors {
        /// The username.
        name: String,
    },
    /// Disable an account: it can no longer sign in, and all its sessions
    /// end at once.
    Disable {
        /// The username.
        name: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The username.
        name: String,
    },
    /// Delete an account and all its sessions.
    Delete {
        /// The username.
        name: String,
    },
    /// List an account's live sessions: id, started, last used, and client
    /// IP and browser at sign-in.
    Sessions {
        /// The username.
        name: String,
    },
    /// End every session of an account.
    RevokeSessions {
        /// The username.
        name: String,
    },
    /// Clear a username's failed sign-in counter, so that it is no longer
    /// throttled.
    Unlock {
        /// The username.
        name: String,
    },
    /// List the groups an account belongs to.
    Groups {
        /// The username.
        name: String,
    },
}

/// `latch sessions ...`.
#[derive(Debug, Subcommand)]
pub(super) enum SessionsCommand {
    /// Delete every session past its expiry (MongoDB's TTL index does this
    /// by itself; SQLite needs it now and then).
    PurgeExpired,
}

/// Runs `latch user ...`.
pub(super) async fn user(settings: &Settings, command: UserCommand) -> ExitCode {
    with_operators(settings, |operators| async move {
        match command {
            UserCommand::Create { name } => create(&operators, &name).await,
            UserCommand::List => list(&operators).await,
            UserCommand::Show { name } => {
                let report = operators.show(&name).await.map_err(account)?;
                print_report(&report).map_err(|error| error.to_string())?;
                Ok(format!("shown {}", report.user.username.as_str()))
            }
            UserCommand::ResetFactors { name } => {
                let reset = operators
                    .reset_second_factors(&name)
                    .await
                    .map_err(account)?;
                Ok(format!(
                    "removed {} and {} recovery codes; ended {} sessions",
                    if reset.authenticator_app {
                        "the authenticator app"
                    } else {
                        "no authenticator app"
                    },
                    reset.recovery_codes,
                    reset.sessions_ended
                ))
            }
            UserCommand::Disable { name } => {
                let user = operators.disable(&name).await.map_err(account)?;
                Ok(format!(
                    "disabled {}; its sessions ended",
                    user.username.as_str()
                ))
            }
            UserCommand::Enable { name } => {
                let user = operators.enable(&name).await.map_err(account)?;
                Ok(format!("enabled {}", user.username.as_str()))
            }
            UserCommand::Delete { name } => {
                let user = operators.delete_account(&name).await.map_err(account)?;
                Ok(format!(
                    "deleted {} and its sessions",
                    user.username.as_str()
                ))
            }
            UserCommand::Sessions { name } => {
                let sessions = operators.sessions(&name).await.map_err(account)?;
                print_sessions(&sessions);
                Ok(format!("{} live sessions", sessions.len()))
            }
            UserCommand::RevokeSessions { name } => {
                let ended = operators.revoke_sessions(&name).await.map_err(account)?;
                Ok(format!("ended {ended} sessions"))
            }
            UserCommand::Unlock { name } => {
                operators
                    .unlock(&name)
                    .await
                    .map_err(|error| error.to_string())?;
                Ok(format!("cleared the failed sign-ins of {}", name.trim()))
            }
            UserCommand::Groups { name } => {
                let groups = operators.groups_of(&name).await.map_err(account)?;
                let mut out = io::stdout().lock();
                for group in &groups {
                    writeln!(out, "{group}").map_err(|error| error.to_string())?;
                }
                Ok(format!("{} groups", groups.len()))
            }
        }
    })
    .await
}

/// Runs `latch sessions ...`.
pub(super) async fn sessions(settings: &Settings, command: SessionsCommand) -> ExitCode {
    with_operators(settings, |operators| async move {
        match command {
            SessionsCommand::PurgeExpired => {
                let purged = operators
                    .purge_expired()
                    .await
                    .map_err(|error| error.to_string())?;
                Ok(format!(
                    "deleted {} expired sessions and {} stale failure counts, and {} sign-ins \
                     left unfinished",
                    purged.sessions, purged.failure_counts, purged.pending_sign_ins
                ))
            }
        }
    })
    .await
}

/// Opens the store, runs `work` with the operator's face of the domain
/// over it (its changes written to the audit log), closes the store, and
/// reports: the outcome on stderr, a non-zero exit on failure.
pub(super) async fn with_operators<F, Fut>(settings: &Settings, work: F) -> ExitCode
where
    F: FnOnce(Operators) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let store = match Store::open(settings).await {
        Ok(store) => store,
        Err(error) => return fail(&error),
    };
    let outcome = match authenticator(settings, &store, Arc::new(AuditLog)).await {
        Ok(auth) => work(auth.operators()).await,
        Err(error) => Err(error.to_string()),
    };
    store.close().await;
    match outcome {
        Ok(message) => {
            eprintln!("latch: {message}");
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error),
    }
}

fn account(error: OperatorError) -> String {
    error.to_string()
}

async fn create(operators: &Operators, name: &str) -> Result<String, String> {
    let password = read_password().map_err(|error| format!("cannot read the password: {error}"))?;
    match operators.create_account(name, &password).await {
        Ok(user) => Ok(format!("created {}", user.username.as_str())),
        Err(RegisterError::InvalidInput(errors)) => {
            let problems: Vec<String> = [
                errors.username.map(|error| format!("username: {error}")),
                errors.password.map(|error| format!("password: {error}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            Err(problems.join("; "))
        }
        Err(RegisterError::UsernameTaken) => Err("that username is taken".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

/// The first line of standard input, without its line ending; on a
/// terminal, asked for with echo turned off.
fn read_password() -> io::Result<Password> {
    let stdin = io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("Password: ");
        io::stderr().flush()?;
        set_echo(false);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if terminal {
        set_echo(true);
        eprintln!();
    }
    if read? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "standard input is empty",
        ));
    }
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    Ok(Password::new(password))
}

/// Turns the terminal's echo off or on (with `stty`; where there is none,
/// the password shows as it is typed).
fn set_echo(on: bool) {
    let _ = std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status();
}

async fn list(operators: &Operators) -> Result<String, String> {
    let mut count = 0;
    let mut after = None;
    let mut out = io::stdout().lock();
    let write = |error: io::Error| error.to_string();
    writeln!(out, "username\tcreated\tlast sign-in\tstatus").map_err(write)?;
    loop {
        let page = operators
            .users_page(after.as_ref(), PAGE)
            .await
            .map_err(|error| error.to_string())?;
        let Some(last) = page.last() else { break };
        after = Some(last.username.key().clone());
        for user in &page {
            writeln!(
                out,
                "{}\t{}\t{}\t{}",
                user.username.as_str(),
                when(user.created_at),
                user.last_login_at.map_or_else(|| "never".to_owned(), when),
                if user.disabled { "disabled" } else { "enabled" },
            )
            .map_err(write)?;
            count += 1;
        }
    }
    Ok(format!("{count} accounts"))
}

/// An account's report as `field<TAB>value` lines.
fn print_report(report: &AccountReport) -> io::Result<()> {
    let user = &report.user;
    let app = match report.factors.totp {
        None => "none".to_owned(),
        Some(TotpState {
            confirmed_at: Some(confirmed),
            ..
        }) => format!("confirmed {}", when(confirmed)),
        Some(TotpState { added_at, .. }) => format!("being set up since {}", when(added_at)),
    };
    let mut out = io::stdout().lock();
    writeln!(out, "username\t{}", user.username.as_str())?;
    writeln!(out, "created\t{}", when(user.created_at))?;
    writeln!(
        out,
        "last sign-in\t{}",
        user.last_login_at.map_or_else(|| "never".to_owned(), when)
    )?;
    let status = if user.disabled { "disabled" } else { "enabled" };
    writeln!(out, "status\t{status}")?;
    writeln!(out, "authenticator app\t{app}")?;
    writeln!(
        out,
        "recovery codes left\t{}",
        report.factors.recovery_codes_left
    )?;
    writeln!(out, "live sessions\t{}", report.live_sessions)
}

/// One line per session, with its browser named as the account pages name
/// it ("Firefox on Linux").
fn print_sessions(sessions: &[SessionInfo]) {
    println!("id\tstarted\tlast used\tclient ip\tbrowser");
    for session in sessions {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            session.id,
            when(session.created_at),
            when(session.last_seen_at),
            session.client_ip.as_deref().unwrap_or("-"),
            latch_http::browser_name(session.user_agent.as_deref()),
        );
    }
}

fn when(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}
