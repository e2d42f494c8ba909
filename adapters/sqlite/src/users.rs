//! Accounts: the `users` table.

use async_trait::async_trait;
use latch_domain::{
    InsertUserError, PasswordHash, StorageError, User, UserId, UserRepository, UsernameKey,
};
use sqlx::error::ErrorKind;
use time::OffsetDateTime;

use crate::{
    columns::{self, millis},
    error::storage,
    store::SqliteStore,
};

/// SQLite's message for a clash on the username key (its only unique column
/// besides the primary key).
const USERNAME_KEY_CLASH: &str = "users.username_key";

/// The start of a query for the columns [`columns::user`] reads.
macro_rules! select_user {
    () => {
        "SELECT id AS user_id, username, password_hash, \
         created_at AS user_created_at, last_login_at, credential_version, disabled FROM users"
    };
}

#[async_trait]
impl UserRepository for SqliteStore {
    async fn insert_user(&self, user: &User) -> Result<(), InsertUserError> {
        let inserted = sqlx::query(
            "INSERT INTO users \
             (id, username, username_key, password_hash, created_at, last_login_at, \
              credential_version, disabled) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user.id.to_string())
        .bind(user.username.as_str())
        .bind(user.username.key().as_str())
        .bind(user.password_hash.as_str())
        .bind(millis(user.created_at)?)
        .bind(user.last_login_at.map(millis).transpose()?)
        .bind(i64::from(user.credential_version))
        .bind(user.disabled)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(error))
                if error.kind() == ErrorKind::UniqueViolation
                    && error.message().contains(USERNAME_KEY_CLASH) =>
            {
                Err(InsertUserError::UsernameTaken)
            }
            Err(error) => Err(storage(error).into()),
        }
    }

    async fn user_by_key(&self, key: &UsernameKey) -> Result<Option<User>, StorageError> {
        let row = sqlx::query(concat!(select_user!(), " WHERE username_key = ?"))
            .bind(key.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(storage)?;
        row.as_ref().map(columns::user).transpose()
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StorageError> {
        let row = sqlx::query(concat!(select_user!(), " WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(storage)?;
        row.as_ref().map(columns::user).transpose()
    }

    async fn record_sign_in(&self, id: UserId, at: OffsetDateTime) -> Result<(), StorageError> {
        sqlx::query("UPDATE users SET last_login_at = ? WHERE id = ?")
            .bind(millis(at)?)
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(storage)
    }

    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StorageError> {
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(hash.as_str())
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(storage)
    }

    /// One statement: the new hash and the next credential version together.
    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<Option<u32>, StorageError> {
        let row = sqlx::query(
            "UPDATE users SET password_hash = ?, credential_version = credential_version + 1 \
             WHERE id = ? RETURNING credential_version",
        )
        .bind(hash.as_str())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(storage)?;
        row.map(|row| columns::count(&row, "credential_version"))
            .transpose()
    }

    async fn users_page<'a>(
        &self,
        after: Option<&'a UsernameKey>,
        limit: u32,
    ) -> Result<Vec<User>, StorageError> {
        // SQLite's BINARY collation compares UTF-8 bytes, as the port asks.
        let rows = sqlx::query(concat!(
            select_user!(),
            " WHERE ?1 IS NULL OR username_key > ?1 ORDER BY username_key LIMIT ?2"
        ))
        .bind(after.map(UsernameKey::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(storage)?;
        rows.iter().map(columns::user).collect()
    }

    async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<bool, StorageError> {
        sqlx::query("UPDATE users SET disabled = ? WHERE id = ?")
            .bind(disabled)
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(storage)
    }

    /// The account's sessions go with it (`ON DELETE CASCADE`).
    async fn delete_user(&self, id: UserId) -> Result<bool, StorageError> {
        sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(storage)
    }
}
