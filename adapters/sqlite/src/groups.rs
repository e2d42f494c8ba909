//! Groups and memberships: the `groups` and `group_members` tables. An
//! account's groups are read with the account itself (see
//! [`user_columns!`](crate::columns::user_columns)).

use async_trait::async_trait;
use latch_domain::{
    CreateGroupError, GroupName, GroupRepository, GroupSummary, MembershipError, StorageError,
    UserId, Username,
};
use rusqlite::{Connection, ErrorCode, TransactionBehavior, params};

use crate::{
    columns::Cells,
    error::storage,
    statements::{account_exists, all_rows, execute, exists},
    store::SqliteStore,
};

/// Whether an insert failed because the group's name is taken.
fn is_name_clash(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, Some(message))
            if failure.code == ErrorCode::ConstraintViolation && message.contains("groups.name")
    )
}

/// In one write transaction: checks that the group and the account exist,
/// then runs `change` (an insert or delete of their membership) and tells
/// whether it changed a row.
fn change_membership(
    connection: &mut Connection,
    name: &str,
    user: &str,
    change: &'static str,
) -> Result<Result<bool, MembershipError>, StorageError> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(storage)?;
    if !exists(&transaction, "SELECT 1 FROM groups WHERE name = ?", name)? {
        return Ok(Err(MembershipError::NoSuchGroup));
    }
    if !account_exists(&transaction, user)? {
        return Ok(Err(MembershipError::NoSuchUser));
    }
    let changed = execute(&transaction, change, params![user, name])?;
    transaction.commit().map_err(storage)?;
    Ok(Ok(changed > 0))
}

#[async_trait]
impl GroupRepository for SqliteStore {
    /// One `INSERT`: the primary key on the name decides a race.
    async fn create_group(&self, name: &GroupName) -> Result<(), CreateGroupError> {
        let name = name.as_str().to_owned();
        self.write(move |connection| {
            Ok(connection
                .prepare_cached("INSERT INTO groups (name) VALUES (?)")
                .and_then(|mut statement| statement.execute([name])))
        })
        .await?
        .map(|_| ())
        .map_err(|error| {
            if is_name_clash(&error) {
                CreateGroupError::Exists
            } else {
                storage(error).into()
            }
        })
    }

    /// The memberships go with it (`ON DELETE CASCADE`).
    async fn delete_group(&self, name: &GroupName) -> Result<bool, StorageError> {
        let name = name.as_str().to_owned();
        self.write(move |connection| {
            execute(connection, "DELETE FROM groups WHERE name = ?", [name])
                .map(|changed| changed > 0)
        })
        .await
    }

    async fn groups(&self) -> Result<Vec<GroupSummary>, StorageError> {
        self.read(|connection| {
            all_rows(
                connection,
                "SELECT g.name, \
                 (SELECT count(*) FROM group_members AS m WHERE m.group_name = g.name) \
                 FROM groups AS g ORDER BY g.name",
                [],
                |row| {
                    let mut cells = Cells::new(row);
                    Ok(GroupSummary {
                        name: GroupName::from_stored(cells.text("name")?),
                        members: u64::from(cells.count("members")?),
                    })
                },
            )
        })
    }

    async fn add_member(&self, name: &GroupName, user: UserId) -> Result<bool, MembershipError> {
        let (name, user) = (name.as_str().to_owned(), user.to_string());
        self.write(move |connection| {
            change_membership(
                connection,
                &name,
                &user,
                "INSERT OR IGNORE INTO group_members (user_id, group_name) VALUES (?, ?)",
            )
        })
        .await?
    }

    async fn remove_member(&self, name: &GroupName, user: UserId) -> Result<bool, MembershipError> {
        let (name, user) = (name.as_str().to_owned(), user.to_string());
        self.write(move |connection| {
            change_membership(
                connection,
                &name,
                &user,
                "DELETE FROM group_members WHERE user_id = ? AND group_name = ?",
            )
        })
        .await?
    }

    /// Two reads in one transaction: whether the group exists, then its
    /// members' usernames.
    async fn members(&self, name: &GroupName) -> Result<Option<Vec<Username>>, StorageError> {
        self.read(|connection| {
            let transaction = connection.unchecked_transaction().map_err(storage)?;
            if !exists(
                &transaction,
                "SELECT 1 FROM groups WHERE name = ?",
                name.as_str(),
            )? {
                return Ok(None);
            }
            let members = all_rows(
                &transaction,
                "SELECT u.username FROM group_members AS m JOIN users AS u ON u.id = m.user_id \
                 WHERE m.group_name = ? ORDER BY u.username_key",
                [name.as_str()],
                |row| Ok(Username::from_stored(Cells::new(row).text("username")?)),
            )?;
            transaction.commit().map_err(storage)?;
            Ok(Some(members))
        })
    }
}
