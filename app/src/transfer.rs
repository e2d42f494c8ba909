//! Moving accounts between stores: `latch export` writes every account as
//! JSON Lines, `latch import` loads such a file into the configured store.
//!
//! One line per account, in username-key order:
//!
//! ```json
//! {"id":"…uuid…","username":"Alice","password_hash":"$argon2id$…","created_at":"2026-01-02T03:04:05.678Z","last_login_at":null,"groups":["admins"]}
//! ```
//!
//! `disabled` is written only for a disabled account and `groups` only for
//! an account in any; groups move with their members (an empty group is
//! not written).
//!
//! Password hashes move as they are (PHC strings), so nobody resets a
//! password; plain passwords are never known, so never written. Sessions
//! are not moved: people sign in again on the new store.

use std::io::{self, BufRead, Write};

use latch_domain::{
    CreateGroupError, GroupName, GroupRepository, InsertUserError, MembershipError, PasswordHash,
    StorageError, User, UserId, UserRepository, Username,
};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// Accounts read from the store per page while exporting.
const PAGE: u32 = 500;

/// Why an export or import stopped.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The file could not be read or written.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A line of the file is not an account as `latch export` writes it.
    #[error("line {line}: {detail}")]
    Malformed {
        /// The line's number, from 1.
        line: u64,
        /// What is wrong with it.
        detail: String,
    },
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Accounts added to the store.
    pub imported: u64,
    /// Accounts skipped because one with the same id is already there (an
    /// earlier import of the same file, say).
    pub already_present: u64,
    /// Accounts skipped because another account holds their username.
    pub username_taken: u64,
    /// Memberships given to the accounts imported (their groups created
    /// where the store had none of that name).
    pub memberships: u64,
}

/// One account as a line of the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: String,
    username: String,
    password_hash: String,
    created_at: String,
    last_login_at: Option<String>,
    /// Written only for a disabled account; absent means enabled.
    #[serde(default, skip_serializing_if = "is_false")]
    disabled: bool,
    /// The account's groups, sorted; absent means none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<String>,
}

fn is_false(value: &bool) -> bool {
    !value
}

/// Writes every account of `users` to `out`, one JSON line each, walking
/// the store a page at a time; returns how many.
pub async fn export_users(
    users: &dyn UserRepository,
    out: &mut dyn Write,
) -> Result<u64, TransferError> {
    let mut written = 0;
    let mut after = None;
    loop {
        let page = users.users_page(after.as_ref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.username.key().clone());
        for user in &page {
            serde_json::to_writer(&mut *out, &line_of(user)?).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

/// Adds the accounts in `input` (as [`export_users`] writes them) to
/// `users`, through the same insert that registration uses, with their
/// memberships in `groups`. Accounts already there are skipped and
/// counted, so an import can be run again. Stops at the first malformed
/// line, naming it; the lines before it are imported.
pub async fn import_users(
    users: &dyn UserRepository,
    groups: &dyn GroupRepository,
    input: &mut dyn BufRead,
) -> Result<ImportReport, TransferError> {
    let mut report = ImportReport::default();
    let mut text = String::new();
    let mut number = 0;
    loop {
        text.clear();
        if input.read_line(&mut text)? == 0 {
            return Ok(report);
        }
        number += 1;
        if text.trim().is_empty() {
            continue;
        }
        let (user, memberships) = user_of(&text).map_err(|detail| TransferError::Malformed {
            line: number,
            detail,
        })?;
        if users.user_by_id(user.id).await?.is_some() {
            report.already_present += 1;
            continue;
        }
        match users.insert_user(&user).await {
            Ok(()) => report.imported += 1,
            Err(InsertUserError::UsernameTaken) => {
                report.username_taken += 1;
                continue;
            }
            Err(InsertUserError::Storage(error)) => return Err(error.into()),
        }
        for group in &memberships {
            join(groups, group, user.id).await?;
            report.memberships += 1;
        }
    }
}

/// Makes `user` a member of `group`, creating the group first if the store
/// has none of that name.
async fn join(
    groups: &dyn GroupRepository,
    group: &GroupName,
    user: UserId,
) -> Result<(), StorageError> {
    match groups.create_group(group).await {
        Ok(()) | Err(CreateGroupError::Exists) => {}
        Err(CreateGroupError::Storage(error)) => return Err(error),
    }
    match groups.add_member(group, user).await {
        Ok(_) => Ok(()),
        Err(MembershipError::Storage(error)) => Err(error),
        Err(MembershipError::NoSuchGroup | MembershipError::NoSuchUser) => Err(StorageError::new(
            format!("group {group} or account {user} was deleted during the import"),
        )),
    }
}

fn line_of(user: &User) -> Result<Line, StorageError> {
    let format = |at: OffsetDateTime| {
        at.format(&Rfc3339)
            .map_err(|error| StorageError::new(format!("account {}: {error}", user.id)))
    };
    Ok(Line {
        id: user.id.to_string(),
        username: user.username.as_str().to_owned(),
        password_hash: user.password_hash.as_str().to_owned(),
        created_at: format(user.created_at)?,
        last_login_at: user.last_login_at.map(format).transpose()?,
        disabled: user.disabled,
        groups: user
            .groups
            .iter()
            .map(|group| group.as_str().to_owned())
            .collect(),
    })
}

/// The account on a line, and the groups it belongs to.
fn user_of(text: &str) -> Result<(User, Vec<GroupName>), String> {
    let line: Line = serde_json::from_str(text).map_err(|error| error.to_string())?;
    let id = UserId::parse(&line.id).ok_or_else(|| format!("id {:?} is not a UUID", line.id))?;
    if line.username.trim().is_empty() || line.username.trim() != line.username {
        return Err(format!("username {:?} is empty or padded", line.username));
    }
    if !line.password_hash.starts_with('$') {
        return Err("password_hash is not a PHC string (it must start with $)".to_owned());
    }
    let memberships = line
        .groups
        .iter()
        .map(|name| {
            GroupName::parse(name)
                .ok()
                .filter(|group| group.as_str() == name)
                .ok_or_else(|| format!("group {name:?} is not a group name"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let time = |field: &str, text: &str| {
        OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|error| format!("{field} {text:?} is not an RFC 3339 time: {error}"))
    };
    let user = User {
        id,
        // Kept as it was stored, like any stored name: a rule made stricter
        // since must not lock its owner out.
        username: Username::from_stored(line.username),
        password_hash: PasswordHash::new(line.password_hash),
        created_at: time("created_at", &line.created_at)?,
        last_login_at: line
            .last_login_at
            .as_deref()
            .map(|text| time("last_login_at", text))
            .transpose()?,
        // Sessions are not carried over, so no older version can linger.
        credential_version: 0,
        disabled: line.disabled,
        // Stored as memberships once the account is in.
        groups: Vec::new(),
    };
    Ok((user, memberships))
}

#[cfg(test)]
mod tests {
    use latch_memory::MemoryStore;

    use super::*;

    fn user(name: &str, byte: u8) -> User {
        User {
            id: UserId::from_random_bytes([byte; 16]),
            username: Username::parse(name).unwrap(),
            password_hash: PasswordHash::new(format!(
                "$argon2id$v=19$m=47104,t=1,p=1$c2FsdA${name}"
            )),
            created_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            last_login_at: Some(
                OffsetDateTime::from_unix_timestamp_nanos(1_700_000_001_234_000_000).unwrap(),
            ),
            credential_version: 0,
            disabled: false,
            groups: Vec::new(),
        }
    }

    #[tokio::test]
    async fn an_export_imports_into_another_store_field_for_field_and_again_skips() {
        let source = MemoryStore::new();
        let accounts = [user("Zoë", 1), user("alice", 2), user("Bob", 3)];
        for account in &accounts {
            source.insert_user(account).await.unwrap();
        }
        let mut file = Vec::new();
        assert_eq!(export_users(&source, &mut file).await.unwrap(), 3);
        let text = String::from_utf8(file.clone()).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(
            text.lines()
                .next()
                .unwrap()
                .contains(r#""username":"alice""#),
            "key order"
        );

        let target = MemoryStore::new();
        let report = import_users(&target, &target, &mut file.as_slice())
            .await
            .unwrap();
        assert_eq!(report.imported, 3);
        for account in &accounts {
            assert_eq!(
                target.user_by_id(account.id).await.unwrap().as_ref(),
                Some(account)
            );
        }
        let again = import_users(&target, &target, &mut file.as_slice())
            .await
            .unwrap();
        assert_eq!(
            again,
            ImportReport {
                imported: 0,
                already_present: 3,
                username_taken: 0,
                memberships: 0
            }
        );
    }

    #[tokio::test]
    async fn a_username_held_by_another_account_is_skipped_and_counted() {
        let target = MemoryStore::new();
        target.insert_user(&user("alice", 9)).await.unwrap();
        let source = MemoryStore::new();
        source.insert_user(&user("ALICE", 1)).await.unwrap();
        source.insert_user(&user("bob", 2)).await.unwrap();
        let mut file = Vec::new();
        export_users(&source, &mut file).await.unwrap();
        let report = import_users(&target, &target, &mut file.as_slice())
            .await
            .unwrap();
        assert_eq!(
            report,
            ImportReport {
                imported: 1,
                already_present: 0,
                username_taken: 1,
                memberships: 0
            }
        );
    }

    #[tokio::test]
    async fn memberships_move_with_their_accounts_and_groups_are_made_where_missing() {
        let source = MemoryStore::new();
        let (alice, bob) = (user("alice", 1), user("bob", 2));
        for account in [&alice, &bob] {
            source.insert_user(account).await.unwrap();
        }
        for (group, members) in [("admins", vec![&alice]), ("ops", vec![&alice, &bob])] {
            let group = GroupName::parse(group).unwrap();
            source.create_group(&group).await.unwrap();
            for member in members {
                source.add_member(&group, member.id).await.unwrap();
            }
        }
        let mut file = Vec::new();
        export_users(&source, &mut file).await.unwrap();
        let text = String::from_utf8(file.clone()).unwrap();
        assert!(
            text.lines()
                .next()
                .unwrap()
                .contains(r#""groups":["admins","ops"]"#),
            "{text}"
        );

        let target = MemoryStore::new();
        target
            .create_group(&GroupName::parse("ops").unwrap())
            .await
            .unwrap();
        let report = import_users(&target, &target, &mut file.as_slice())
            .await
            .unwrap();
        assert_eq!((report.imported, report.memberships), (2, 3));
        for account in [&alice, &bob] {
            assert_eq!(
                target.user_by_id(account.id).await.unwrap().unwrap().groups,
                source.user_by_id(account.id).await.unwrap().unwrap().groups,
            );
        }
        let again = import_users(&target, &target, &mut file.as_slice())
            .await
            .unwrap();
        assert_eq!((again.already_present, again.memberships), (2, 0));

        let bad = r#"{"id":"00000000-0000-4000-8000-000000000009","username":"carol","password_hash":"$x","created_at":"2026-01-01T00:00:00Z","last_login_at":null,"groups":["Ops"]}"#;
        let error = import_users(&target, &target, &mut bad.as_bytes())
            .await
            .unwrap_err();
        assert!(error.to_string().contains(r#"group "Ops""#), "{error}");
    }

    #[tokio::test]
    async fn a_malformed_line_is_named_and_the_lines_before_it_are_imported() {
        let mut file = Vec::new();
        let source = MemoryStore::new();
        source.insert_user(&user("alice", 1)).await.unwrap();
        export_users(&source, &mut file).await.unwrap();
        file.extend_from_slice(b"\n{\"id\":\"nope\"}\n");
        let target = MemoryStore::new();
        let error = import_users(&target, &target, &mut file.as_slice())
            .await
            .unwrap_err();
        assert!(
            matches!(error, TransferError::Malformed { line: 3, .. }),
            "{error}"
        );
        assert!(error.to_string().starts_with("line 3: "), "{error}");
        assert!(
            target
                .user_by_id(user("alice", 1).id)
                .await
                .unwrap()
                .is_some()
        );

        for bad in [
            r#"{"id":"00000000-0000-4000-8000-000000000001","username":"a","password_hash":"plain","created_at":"2026-01-01T00:00:00Z","last_login_at":null}"#,
            r#"{"id":"00000000-0000-4000-8000-000000000001","username":"abc","password_hash":"$x","created_at":"yesterday","last_login_at":null}"#,
            "not json",
        ] {
            let error = import_users(&target, &target, &mut bad.as_bytes())
                .await
                .unwrap_err();
            assert!(
                matches!(error, TransferError::Malformed { line: 1, .. }),
                "{bad}: {error}"
            );
        }
    }
}
