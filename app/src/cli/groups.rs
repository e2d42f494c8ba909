//! The operator's commands on groups: `latch group ...`, run against the
//! configured store through the domain's rules.

use std::{
    io::{self, Write},
    process::ExitCode,
};

use clap::Subcommand;
use latch_domain::{GroupMemberError, Operators};

use crate::{Settings, cli::accounts::with_operators};

/// `latch group ...`.
#[derive(Debug, Subcommand)]
pub(super) enum GroupCommand {
    /// Create an empty group. Names are 1 to 64 characters of a-z, 0-9,
    /// '-', '_' and '.' (letters are lowercased), starting with a letter
    /// or a digit.
    Create {
        /// The group's name.
        name: String,
    },
    /// Delete a group; its members stay, only their membership ends.
    Delete {
        /// The group's name.
        name: String,
    },
    /// Make an account a member of a group.
    Add {
        /// The group's name.
        group: String,
        /// The account's username.
        user: String,
    },
    /// End an account's membership of a group.
    Remove {
        /// The group's name.
        group: String,
        /// The account's username.
        user: String,
    },
    /// List every group with its number of members.
    List,
    /// List the members of a group.
    Members {
        /// The group's name.
        name: String,
    },
}

/// Runs `latch group ...`.
pub(super) async fn group(settings: &Settings, command: GroupCommand) -> ExitCode {
    with_operators(settings, |operators| async move {
        match command {
            GroupCommand::Create { name } => {
                let name = operators
                    .create_group(&name)
                    .await
                    .map_err(|error| error.to_string())?;
                Ok(format!("created group {name}"))
            }
            GroupCommand::Delete { name } => {
                let name = operators
                    .delete_group(&name)
                    .await
                    .map_err(|error| error.to_string())?;
                Ok(format!("deleted group {name}; its members stay"))
            }
            GroupCommand::Add { group, user } => {
                let added = operators
                    .add_to_group(&group, &user)
                    .await
                    .map_err(member)?;
                Ok(if added {
                    format!("added {} to {}", user.trim(), group.trim())
                } else {
                    format!("{} was a member of {} already", user.trim(), group.trim())
                })
            }
            GroupCommand::Remove { group, user } => {
                let removed = operators
                    .remove_from_group(&group, &user)
                    .await
                    .map_err(member)?;
                Ok(if removed {
                    format!("removed {} from {}", user.trim(), group.trim())
                } else {
                    format!("{} was not a member of {}", user.trim(), group.trim())
                })
            }
            GroupCommand::List => list(&operators).await,
            GroupCommand::Members { name } => {
                let members = operators
                    .group_members(&name)
                    .await
                    .map_err(|error| error.to_string())?;
                let mut out = io::stdout().lock();
                for member in &members {
                    writeln!(out, "{}", member.as_str()).map_err(|error| error.to_string())?;
                }
                Ok(format!("{} members", members.len()))
            }
        }
    })
    .await
}

async fn list(operators: &Operators) -> Result<String, String> {
    let groups = operators
        .list_groups()
        .await
        .map_err(|error| error.to_string())?;
    let mut out = io::stdout().lock();
    let write = |error: io::Error| error.to_string();
    writeln!(out, "group\tmembers").map_err(write)?;
    for group in &groups {
        writeln!(out, "{}\t{}", group.name, group.members).map_err(write)?;
    }
    Ok(format!("{} groups", groups.len()))
}

/// Names which of the two was not found, so the operator knows what to fix.
fn member(error: GroupMemberError) -> String {
    match error {
        GroupMemberError::NoSuchGroup => "no group has that name".to_owned(),
        GroupMemberError::NoSuchAccount => "no account has that username".to_owned(),
        error => error.to_string(),
    }
}
