//! Failed sign-ins: the `login_failures` table, one row per username key.

use async_trait::async_trait;
use latch_domain::{FailedAttempts, LoginAttemptRepository, StorageError, UsernameKey};
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

use crate::{
    columns::{self, millis},
    error::storage,
    store::SqliteStore,
};

fn attempts(row: &SqliteRow) -> Result<FailedAttempts, StorageError> {
    Ok(FailedAttempts {
        count: columns::count(row, "count")?,
        last_failed_at: columns::time(row, "last_failed_at")?,
    })
}

#[async_trait]
impl LoginAttemptRepository for SqliteStore {
    async fn failed_attempts(
        &self,
        key: &UsernameKey,
    ) -> Result<Option<FailedAttempts>, StorageError> {
        let row =
            sqlx::query("SELECT count, last_failed_at FROM login_failures WHERE username_key = ?")
                .bind(key.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(storage)?;
        row.as_ref().map(attempts).transpose()
    }

    /// One upsert that increments in place, so concurrent failures from
    /// several instances are all counted.
    async fn record_failed_attempt(
        &self,
        key: &UsernameKey,
        at: OffsetDateTime,
    ) -> Result<FailedAttempts, StorageError> {
        let row = sqlx::query(
            "INSERT INTO login_failures (username_key, count, last_failed_at) VALUES (?1, 1, ?2) \
             ON CONFLICT (username_key) DO UPDATE \
             SET count = count + 1, last_failed_at = excluded.last_failed_at \
             RETURNING count, last_failed_at",
        )
        .bind(key.as_str())
        .bind(millis(at)?)
        .fetch_one(&self.pool)
        .await
        .map_err(storage)?;
        attempts(&row)
    }

    async fn clear_failed_attempts(&self, key: &UsernameKey) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM login_failures WHERE username_key = ?")
            .bind(key.as_str())
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(storage)
    }
}
