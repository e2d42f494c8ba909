//! Accounts: the `users` table.

use async_trait::async_trait;
use latch_domain::{
    InsertUserError, PasswordHash, StorageError, User, UserId, UserRepository, UsernameKey,
    UsernameSkeleton,
};
use rusqlite::{ErrorCode, Row, params};
use time::OffsetDateTime;

use crate::{
    columns::{Cells, millis, user_columns},
    error::storage,
    statements::{all_rows, execute, first_row},
    store::SqliteStore,
};

/// SQLite's messages for a clash on the username key or skeleton (the only
/// unique columns besides the primary key).
const USERNAME_CLASHES: [&str; 2] = ["users.username_key", "users.username_skeleton"];

/// The start of a query for an account's columns.
macro_rules! select_user {
    () => {
        concat!("SELECT ", user_columns!("users."), " FROM users")
    };
}

/// Reads an account from a row of [`select_user!`].
fn user(row: &Row<'_>) -> Result<User, StorageError> {
    Cells::new(row).user()
}

/// Whether an insert failed only because the username key or skeleton is
/// taken.
fn is_username_clash(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, Some(message))
            if failure.code == ErrorCode::ConstraintViolation
                && USERNAME_CLASHES.iter().any(|clash| message.contains(clash))
    )
}

#[async_trait]
impl UserRepository for SqliteStore {
    /// One `INSERT`: the unique indexes on the username key and skeleton
    /// decide a race between two registrations.
    async fn insert_user(&self, user: &User) -> Result<(), InsertUserError> {
        let values = (
            user.id.to_string(),
            user.username.as_str().to_owned(),
            user.username.key().as_str().to_owned(),
            user.username.skeleton().as_str().to_owned(),
            user.password_hash.as_str().to_owned(),
            millis(user.created_at)?,
            user.last_login_at.map(millis).transpose()?,
            i64::from(user.credential_version),
            user.disabled,
        );
        self.write(move |connection| {
            let inserted = connection
                .prepare_cached(
                    "INSERT INTO users \
                     (id, username, username_key, username_skeleton, password_hash, \
                      created_at, last_login_at, credential_version, disabled) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .and_then(|mut statement| statement.execute(values));
            Ok(inserted)
        })
        .await?
        .map(|_| ())
        .map_err(|error| {
            if is_username_clash(&error) {
                InsertUserError::UsernameTaken
            } else {
                storage(error).into()
            }
        })
    }

    async fn user_by_key(&self, key: &UsernameKey) -> Result<Option<User>, StorageError> {
        self.read(|connection| {
            first_row(
                connection,
                concat!(select_user!(), " WHERE username_key = ?"),
                [key.as_str()],
                user,
            )
        })
    }

    async fn skeleton_taken(&self, skeleton: &UsernameSkeleton) -> Result<bool, StorageError> {
        self.read(|connection| {
            first_row(
                connection,
                "SELECT 1 FROM users WHERE username_skeleton = ?",
                [skeleton.as_str()],
                |_| Ok(()),
            )
            .map(|found| found.is_some())
        })
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StorageError> {
        self.read(|connection| {
            first_row(
                connection,
                concat!(select_user!(), " WHERE id = ?"),
                [id.to_string()],
                user,
            )
        })
    }

    async fn record_sign_in(&self, id: UserId, at: OffsetDateTime) -> Result<(), StorageError> {
        let at = millis(at)?;
        self.write(move |connection| {
            execute(
                connection,
                "UPDATE users SET last_login_at = ? WHERE id = ?",
                params![at, id.to_string()],
            )
            .map(|_| ())
        })
        .await
    }

    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StorageError> {
        let hash = hash.as_str().to_owned();
        self.write(move |connection| {
            execute(
                connection,
                "UPDATE users SET password_hash = ? WHERE id = ?",
                params![hash, id.to_string()],
            )
            .map(|_| ())
        })
        .await
    }

    /// One statement: the new hash and the next credential version together.
    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<Option<u32>, StorageError> {
        let hash = hash.as_str().to_owned();
        self.write(move |connection| {
            first_row(
                connection,
                "UPDATE users SET password_hash = ?, credential_version = credential_version + 1 \
                 WHERE id = ? RETURNING credential_version",
                params![hash, id.to_string()],
                |row| Cells::new(row).count("credential_version"),
            )
        })
        .await
    }

    async fn users_page<'a>(
        &self,
        after: Option<&'a UsernameKey>,
        limit: u32,
    ) -> Result<Vec<User>, StorageError> {
        // SQLite's BINARY collation compares UTF-8 bytes, as the port asks.
        self.read(|connection| {
            all_rows(
                connection,
                concat!(
                    select_user!(),
                    " WHERE ?1 IS NULL OR username_key > ?1 ORDER BY username_key LIMIT ?2"
                ),
                params![after.map(UsernameKey::as_str), i64::from(limit)],
                user,
            )
        })
    }

    async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<bool, StorageError> {
        self.write(move |connection| {
            execute(
                connection,
                "UPDATE users SET disabled = ? WHERE id = ?",
                params![disabled, id.to_string()],
            )
            .map(|changed| changed > 0)
        })
        .await
    }

    /// The account's sessions go with it (`ON DELETE CASCADE`).
    async fn delete_user(&self, id: UserId) -> Result<bool, StorageError> {
        self.write(move |connection| {
            execute(
                connection,
                "DELETE FROM users WHERE id = ?",
                [id.to_string()],
            )
            .map(|changed| changed > 0)
        })
        .await
    }
}
